"""PEP 508 requirement strings, without importing ``packaging.requirements`` for the usual ones.

``packaging.requirements`` imports ``packaging.markers``, which imports ``packaging.tags``
(``logging``, ``platform``, ``subprocess``, ``sysconfig``): 25 ms on this machine, an eighth of
a cold start on one model dir. Almost every line MLflow writes is ``name==version``, which
needs none of it. So the common shape, ``name[extras] specifiers`` with no URL and no marker,
is read here and its specifiers are parsed by ``packaging.specifiers.SpecifierSet``, which is
what ``packaging`` itself does with them. Everything else (a marker, a URL, any text this
reader does not recognise, every invalid line) goes to ``packaging.requirements.Requirement``,
so packaging stays the judge of what is valid and its error messages are the ones users see.
A test holds both paths to the same result on every requirement line of the real-models
corpus, on a sample of the knowledge base's Requires-Dist lines and on generated edge cases.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet

    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

# packaging's tokenizer: IDENTIFIER for names and extras, WS for blanks, and the characters it
# lets into a specifier list (printable ASCII and tab, except ``)``, ``;``). A name ends with a
# letter or digit (IDENTIFIER's trailing ``\b``); brackets and ``@`` never reach the specifier.
# Old metadata writes the specifiers in parentheses: ``graphql-core (<3.3,>=3.2)``.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_SPECIFIER_CHARACTER = r"[\t\x20-\x27\x2a-\x3a\x3c-\x3f\x41-\x5a\x5e-\x7e]"
# No two ``[ \t]*`` are adjacent and every part ends where the next cannot start, so a failed
# match backtracks in linear time (``name[ \t]*(?:[extras])?[ \t]*`` was quadratic on a long run
# of blanks: 45 s for one line of 40,000 spaces).
_COMMON_SHAPE = re.compile(
    rf"[ \t]*(?P<name>{_NAME})[ \t]*"
    rf"(?:\[(?P<extras>[ \t]*(?:{_NAME}[ \t]*(?:,[ \t]*{_NAME}[ \t]*)*)?)\][ \t]*)?"
    rf"(?:\([ \t]*(?P<parenthesized>(?:[<>=!~]{_SPECIFIER_CHARACTER}*)?)\)[ \t]*"
    rf"|(?P<specifier>(?:[<>=!~]{_SPECIFIER_CHARACTER}*)?))"
)
_EXTRA_SEPARATOR = re.compile(r"[ \t]*,[ \t]*")


class ParsedRequirement(Protocol):
    """What modellint reads from a requirement: the attributes of ``packaging``'s Requirement
    (read-only here, so that SimpleRequirement's narrower ones satisfy it too)."""

    @property
    def name(self) -> str: ...

    @property
    def url(self) -> str | None: ...

    @property
    def extras(self) -> AbstractSet[str]: ...

    @property
    def specifier(self) -> SpecifierSet: ...

    @property
    def marker(self) -> Marker | None: ...

    def __hash__(self) -> int: ...  # parsed requirements key per-requirement caches


class SimpleRequirement:
    """A requirement without URL or marker, read by :func:`parse_requirement`'s fast path."""

    __slots__ = ("name", "extras", "specifier")
    url = None
    marker = None

    def __init__(self, name: str, extras: frozenset[str], specifier: SpecifierSet) -> None:
        self.name = name
        self.extras = extras
        self.specifier = specifier

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"

    def __repr__(self) -> str:
        return f"<Requirement({str(self)!r})>"


def parse_requirement(text: str) -> ParsedRequirement:
    """Parse one PEP 508 string; raises ``packaging``'s ``InvalidRequirement`` (a ValueError)."""
    common = _COMMON_SHAPE.fullmatch(text)
    specifier = _specifier_set(common["specifier"] or common["parenthesized"] or "") if common else None
    if common is None or specifier is None:
        from packaging.requirements import Requirement

        return Requirement(text)
    extras = (common["extras"] or "").strip()
    return SimpleRequirement(common["name"], frozenset(_EXTRA_SEPARATOR.split(extras) if extras else ()), specifier)


def _specifier_set(text: str) -> SpecifierSet | None:
    """The specifiers of a common-shape line, or None when packaging should judge the line."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        specifiers = SpecifierSet(text)
    except InvalidSpecifier:
        return None
    # SpecifierSet skips empty items (and folds repeated ones); whether a requirement may have
    # a trailing comma depends on the packaging release, so such lines are left to packaging.
    if text and len(specifiers) != text.count(",") + 1:
        return None
    return specifiers
