"""Rules from installed plugins: distributions that declare ``[project.entry-points."modellint.rules"]``.

An entry point names a rule class (``ACME001 = "acme_rules.owner:OwnerTag"``), a sequence of them
(``acme = "acme_rules:RULES"``) or a module exposing ``RULES`` (``acme = "acme_rules"``). Every
rule is checked before it is used, and a plugin that cannot be used stops the run with a
:class:`PluginError` naming its distribution and entry point (a usage error, exit 2): dropping it
quietly would make a run look clean that never ran the rule it was configured with.

Plugins come from the installed environment only. The folder modellint runs in may be the model
under check, and ``python -m``/``-c`` put it first on ``sys.path``: that entry is not searched
(:mod:`modellint.import_path`). The registry (:mod:`modellint.rules`) decides when this module is
used at all.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Iterable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from modellint.findings import Severity
from modellint.hidden_text import escape_hidden
from modellint.import_path import without_working_directory
from modellint.record import Record
from modellint.rules._base import FixAvailability, Rule, SerializedFileRule

if TYPE_CHECKING:
    from importlib_metadata import EntryPoint

GROUP = "modellint.rules"
# An organisation's prefix of capital letters, then three digits: ACME001 (ASCII digits: `\d`
# would take ACME٠٠١, which no one can type as a selector).
_CODE = re.compile(r"[A-Z]{1,8}[0-9]{3}")
# Two words at least: a selector with a hyphen is a name, one without a code or a prefix.
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
# A documentation link SARIF's `uri` format accepts and a Markdown link `[ACME001](...)` holds:
# http(s), RFC 3986 characters without brackets or parentheses (which would end the link), valid
# percent-escapes. Anything else (a space, `|`, `javascript:`) only costs the link.
_WEB_ADDRESS = re.compile(r"https?://(?:[A-Za-z0-9\-._~:/?#@!$&'*+,;=]|%[0-9A-Fa-f]{2})+")


class PluginError(Exception):
    """A plugin that cannot be used: a usage error (exit 2) naming its distribution and entry point."""


class PluginOrigin(Record):
    """Where a plugin's rule comes from: for `modellint rule`, error messages and SARIF's ``helpUri``."""

    __slots__ = ("distribution", "version", "entry_point", "help_uri")

    def __init__(self, distribution: str, version: str, entry_point: str, help_uri: str | None) -> None:
        self.distribution = distribution
        self.version = version
        self.entry_point = entry_point  # as declared: `ACME = acme_rules`
        self.help_uri = help_uri  # the distribution's Documentation (else Homepage) URL

    def __str__(self) -> str:
        return f"plugin {self.distribution} {self.version}, entry point `{self.entry_point}`"


class PluginRule(Record):
    __slots__ = ("rule", "origin")

    def __init__(self, rule: type[Rule], origin: PluginOrigin) -> None:
        self.rule = rule
        self.origin = origin


def installed(reserved_prefix: str, taken_names: Collection[str]) -> tuple[PluginRule, ...]:
    """The rules of the plugins installed in this environment, in code order."""
    return load(installed_entry_points(), reserved_prefix, taken_names)


def installed_entry_points() -> list[EntryPoint]:
    """The ``modellint.rules`` entry points of the installed distributions, the first of each name
    on the search path (as Python would import it)."""
    import importlib_metadata  # only when plugins are needed: 10 ms

    found: list[EntryPoint] = []
    seen: set[str] = set()
    for distribution in importlib_metadata.distributions(path=without_working_directory(sys.path)):
        try:
            entry_points = distribution.entry_points.select(group=GROUP)
        except Exception as error:  # noqa: BLE001 - a malformed entry_points.txt may declare a plugin: no guessing
            where = getattr(distribution, "_path", None) or distribution.name  # its .dist-info folder, if it has one
            raise PluginError(f"distribution {where}: cannot read its entry points: "
                              f"{type(error).__name__}: {error}") from None
        if not entry_points:
            continue
        name = re.sub(r"[-_.]+", "-", distribution.name or "").lower()
        if name not in seen:
            seen.add(name)
            found.extend(entry_points)
    return found


def load(entry_points: Iterable[Any], reserved_prefix: str, taken_names: Collection[str]) -> tuple[PluginRule, ...]:
    """Load and check the rules of ``entry_points`` (importlib-metadata ``EntryPoint``s, or
    anything with their ``name``, ``value``, ``dist`` and ``load()``).

    A code must be capital letters and three digits, not starting with ``reserved_prefix`` (the
    built-in rules' codes all do); a name must not be in ``taken_names`` (the built-in rules'); both
    must be unique across plugins. The same class named by two entry points is one rule.
    """
    by_code: dict[str, PluginRule] = {}
    by_name: dict[str, PluginRule] = {}
    seen: set[type[Rule]] = set()
    for entry_point in sorted(entry_points, key=_sort_key):
        origin = _origin(entry_point)
        for rule in _rules(entry_point, origin):
            if rule in seen:
                continue
            seen.add(rule)
            _check_rule(rule, origin, reserved_prefix)
            where = f"{origin}: rule `{rule.__qualname__}`"
            if rule.name in taken_names:
                raise PluginError(f"{where}: name `{rule.name}` is a built-in rule's")
            known = by_code.get(rule.code)
            if known is not None:
                raise PluginError(f"{where}: code {rule.code} is also the code of `{known.rule.__qualname__}` "
                                  f"({known.origin})")
            if rule.name in by_name:
                other = by_name[rule.name]
                raise PluginError(f"{where}: name `{rule.name}` is also the name of {other.rule.code} ({other.origin})")
            by_code[rule.code] = by_name[rule.name] = PluginRule(rule, origin)
    return tuple(by_code[code] for code in sorted(by_code))


def _sort_key(entry_point: Any) -> tuple[str, str, str]:
    return (_distribution_name(entry_point), entry_point.name, entry_point.value)


def _distribution_name(entry_point: Any) -> str:
    distribution = getattr(entry_point, "dist", None)
    return (distribution.name if distribution is not None else None) or "(unknown distribution)"


def _origin(entry_point: Any) -> PluginOrigin:
    distribution = getattr(entry_point, "dist", None)
    version = (distribution.version if distribution is not None else None) or "(unknown version)"
    return PluginOrigin(_distribution_name(entry_point), version, f"{entry_point.name} = {entry_point.value}",
                        _help_uri(distribution))


def _help_uri(distribution: Any) -> str | None:
    """The distribution's ``Project-URL: Documentation, ...``, else its home page: the first that
    is a plain web address."""
    if distribution is None:
        return None
    try:
        metadata = distribution.metadata
        urls = dict(_labelled(metadata.get_all("Project-URL") or ()))
        candidates = [urls.get(label) for label in ("documentation", "docs", "homepage", "home-page", "home")]
        candidates.append(metadata.get("Home-page"))
    except Exception:  # noqa: BLE001 - metadata that cannot be read only costs the link
        return None
    return next((url for url in candidates if url and _WEB_ADDRESS.fullmatch(url)), None)


def _labelled(project_urls: Iterable[str]) -> Iterator[tuple[str, str]]:
    for line in project_urls:
        label, comma, url = line.partition(",")
        if comma and url.strip():
            yield re.sub(r"[\s_]+", "-", label.strip().lower()), url.strip()


def _rules(entry_point: Any, origin: PluginOrigin) -> list[type[Rule]]:
    """The rule classes an entry point names."""
    try:
        loaded = entry_point.load()
    except (Exception, SystemExit) as error:  # whatever the plugin's import raises is reported as the plugin's
        raise PluginError(f"{origin}: cannot be loaded: {type(error).__name__}: {error}") from None
    if isinstance(loaded, ModuleType):
        if not hasattr(loaded, "RULES"):
            raise PluginError(f"{origin}: module `{loaded.__name__}` has no RULES (a sequence of rule classes)")
        loaded = loaded.RULES
    if isinstance(loaded, type):
        loaded = (loaded,)
    if not isinstance(loaded, (list, tuple)) or not loaded:
        raise PluginError(f"{origin}: names {type(loaded).__name__} `{loaded!r}`, not a rule class, a non-empty "
                          "sequence of them, or a module with RULES")
    for item in loaded:
        if not (isinstance(item, type) and issubclass(item, Rule)) or item is Rule:
            raise PluginError(f"{origin}: `{item!r}` is not a subclass of modellint's Rule "
                              "(from modellint.rules import Rule)")
    return list(loaded)


def _check_rule(rule: type[Rule], origin: PluginOrigin, reserved_prefix: str) -> None:
    where = f"{origin}: rule `{rule.__qualname__}`"
    code = getattr(rule, "code", None)
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise PluginError(f"{where}: code {code!r} is not 1 to 8 capital letters and 3 digits (such as ACME001)")
    if code.startswith(reserved_prefix):
        raise PluginError(f"{where}: code {code} starts with {reserved_prefix}, which is reserved for "
                          "modellint's own rules")
    if code[:-3] == "ALL":
        raise PluginError(f"{where}: code {code} has the prefix ALL, which as a selector means every built-in rule")
    name = getattr(rule, "name", None)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise PluginError(f"{where}: name {name!r} is not two or more lower-case words joined by hyphens "
                          "(such as owner-tag-missing)")
    if not isinstance(getattr(rule, "severity", None), Severity):
        raise PluginError(f"{where}: severity must be a modellint.findings.Severity (ERROR, WARNING or INFO)")
    if not isinstance(rule.fix_title, (str, type(None))):
        raise PluginError(f"{where}: fix_title must be a string or None")
    if not isinstance(rule.fix_availability, FixAvailability):
        raise PluginError(f"{where}: fix_availability must be a modellint.rules.FixAvailability")
    documentation = rule.__doc__ or ""
    if not documentation.strip():
        raise PluginError(f"{where}: has no docstring (the documentation `modellint rule {code}` prints: "
                          "## What it does, ## Why is this bad?, ## Example, ## Fix)")
    # `modellint rules`, `modellint rule` and SARIF's help print the docstring as written.
    for number, line in enumerate(documentation.split("\n"), start=1):
        if escape_hidden(line) != line:
            raise PluginError(f"{where}: docstring line {number} holds a control, bidi or zero-width character, "
                              f"which would reach the terminal as is: {escape_hidden(line).strip()}")
    if rule.check in (Rule.check, SerializedFileRule.check):  # the bases' raise NotImplementedError
        raise PluginError(f"{where}: does not define check(model)")
