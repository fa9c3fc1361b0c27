"""Exact pins of one pip list that contradict each other: ``pandas==2.2.3`` requires
``numpy>=1.23.2`` and the same list pins ``numpy==1.21.0``, so no resolver can install it.

Only certain clashes are found: a list that names no other index (``--index-url``,
``--extra-index-url``, ``--find-links``, ``--no-index``), both requirements pinned with ``==``, the
requiring release recorded in the per-release data (its own Requires-Dist, not the newest
release's), its Requires-Dist line's marker holding for the declared Python on Linux x86_64 with
the extras the requirement asks for (a marker that needs the Python is not judged when none is
declared), and the pinned version outside the specifier. A placeholder pin (``==0.0``) is
ML104's, never part of a clash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from modellint.analyzer.environment.pinned_releases import OTHER_INDEX_OPTIONS
from modellint.analyzer.environment.requirements import (
    RequirementLine,
    RequirementsList,
    is_placeholder_version,
    normalize_name,
)
from modellint.record import Record

_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")  # PEP 508's name, at a line's start

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from modellint.analyzer.knowledge.release_requires import ReleaseFacts


class Clash(Record):
    """``requirer`` (an exact pin) requires ``specifier`` (``>=1.23.2``) of the pinned distribution."""

    __slots__ = ("requirer", "specifier")

    def __init__(self, requirer: RequirementLine, specifier: str) -> None:
        self.requirer = requirer
        self.specifier = specifier


class PinConflict(Record):
    """``pinned`` pins ``name`` to a ``version`` that every ``clashes`` requirer excludes."""

    __slots__ = ("pinned", "name", "version", "clashes")

    def __init__(self, pinned: RequirementLine, name: str, version: str, clashes: tuple[Clash, ...]) -> None:
        self.pinned = pinned
        self.name = name
        self.version = version
        self.clashes = clashes


def pin_conflicts(requirements: RequirementsList | None, python: tuple[int, int] | None) -> Iterator[PinConflict]:
    """The contradicted exact pins of one pip list, in file order."""
    if requirements is None or any(line.option in OTHER_INDEX_OPTIONS for line in requirements.lines):
        return  # another index may serve the release with other metadata: no clash is certain
    pins = _exact_pins(requirements, python)
    if len(pins) < 2:
        return
    asked = tuple((name, version, _extras(line)) for name, (line, version) in pins.items())
    clashes = _clashes(asked, python)
    for name, (line, version) in pins.items():
        if name in clashes:
            yield PinConflict(line, name, version,
                              tuple(Clash(pins[requirer][0], specifier) for requirer, specifier in clashes[name]))


@lru_cache(maxsize=256)
def _clashes(pins: tuple[tuple[str, str, frozenset[str]], ...],
             python: tuple[int, int] | None) -> dict[str, tuple[tuple[str, str], ...]]:
    """Pinned distribution -> (requirer, specifier) of each pin whose release excludes its pinned
    version, requirers in the order ``pins`` (distribution, version, extras asked) lists them.
    Once per set of pins: requirements.txt and the conda ``pip:`` list mostly pin the same
    releases, and a store's models share whole lists."""
    from modellint.analyzer.knowledge.release_requires import release_requires

    data = release_requires()
    versions = {name: version for name, version, _ in pins}
    clashes: dict[str, list[tuple[str, str]]] = {}
    for name, version, extras in pins:
        facts = data.find(name, version)
        if facts is not None:
            for dependency, text, has_marker in _required(facts, extras, python, versions):
                excluding = _excluding(text, has_marker, versions[dependency])
                if dependency != name and excluding is not None:
                    clashes.setdefault(dependency, []).append((name, excluding))
    return {name: tuple(found) for name, found in clashes.items()}


def _extras(line: RequirementLine) -> frozenset[str]:
    return frozenset(normalize_name(extra) for extra in (line.requirement.extras if line.requirement else ()))


def _exact_pins(requirements: RequirementsList, python: tuple[int, int] | None) -> dict[str, tuple[RequirementLine, str]]:
    """Distribution -> its ``==`` pin line and version, for lines that apply (the first pin of a
    distribution named twice: ML107 reports the duplicate)."""
    pins: dict[str, tuple[RequirementLine, str]] = {}
    for line in requirements.requirements:
        if line.name is None or normalize_name(line.name) in pins:
            continue
        version = line.pinned_version
        requirement = line.requirement
        if version is None or requirement is None or requirement.url or is_placeholder_version(version):
            continue
        if not line.pinned_with_equality or not _line_applies(line, python):
            continue
        pins.setdefault(normalize_name(line.name), (line, version))
    return pins


def _line_applies(line: RequirementLine, python: tuple[int, int] | None) -> bool:
    marker = line.requirement.marker if line.requirement is not None else None
    if marker is None:
        return True
    return _holds(str(marker), python, frozenset(), {})


def _required(facts: ReleaseFacts, extras: frozenset[str], python: tuple[int, int] | None,
              pinned: Mapping[str, object]) -> Iterator[tuple[str, str, bool]]:
    """(distribution, line, whether it has a marker) of each Requires-Dist line of the release
    that applies with ``extras`` asked, names a ``pinned`` distribution and has a specifier (the
    others are not parsed: a release requires dozens)."""
    for dependency, text, marker in _dependencies(facts.requires):
        if dependency not in pinned or (marker and not _holds(marker, python, extras, facts.markers)):
            continue
        required = _required_specifier(text, bool(marker))
        if required is not None:
            yield required[0], text, bool(marker)


@lru_cache(maxsize=16384)
def _excluding(text: str, has_marker: bool, version: str) -> str | None:
    """The specifier of Requires-Dist line ``text`` when it excludes ``version``, else None (once
    per process: a store's models pin the same releases again and again)."""
    required = _required_specifier(text, has_marker)
    if required is None or _allows(required[1], version):
        return None
    return str(required[1])


@lru_cache(maxsize=4096)
def _dependencies(requires: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(normalised distribution, line, marker or "") of each Requires-Dist line: a release's lines
    are read once per process, however many models pin it."""
    from modellint.analyzer.knowledge.distributions import marker_of

    found = []
    for text in requires:
        head = _NAME.match(text)
        if head is not None:
            found.append((normalize_name(head.group()), text, marker_of(text) or ""))
    return tuple(found)


@lru_cache(maxsize=16384)
def _required_specifier(text: str, has_marker: bool) -> tuple[str, SpecifierSet] | None:
    """The distribution and specifier set of one Requires-Dist line; None for a URL, no
    specifier, or a line that does not parse."""
    from modellint.analyzer.knowledge.distributions import parse_requires_dist

    try:
        requirement = parse_requires_dist(text.partition(";")[0] if has_marker else text)
    except ValueError:
        return None
    if requirement.url is not None or not len(requirement.specifier):
        return None
    return normalize_name(requirement.name), requirement.specifier


def _holds(marker: str, python: tuple[int, int] | None, extras: frozenset[str], table: Mapping[str, str]) -> bool:
    """Whether ``marker`` holds on Linux x86_64 for ``python`` with ``extras`` requested; False
    when that is not certain (it needs the Python and none is declared, or it does not parse).
    A condition the release's ``table`` records is looked up there, without packaging.markers."""
    from modellint.analyzer.knowledge.distributions import MARKER_PYTHONS, split_extra

    split = split_extra(marker)
    condition = marker
    if split is not None:
        condition, extra = split
        if normalize_name(extra) not in extras:
            return False
        if not condition:
            return True
    if python is None and "python" in condition:
        return False
    bits = table.get(condition)
    minor = (python or (3, MARKER_PYTHONS[-1]))[1]
    if bits is not None and (python is None or python[0] == 3) and minor in MARKER_PYTHONS:
        return bits[MARKER_PYTHONS.index(minor)] == "1"
    return _evaluated(marker, python or (3, 11), extras)


def _evaluated(marker: str, python: tuple[int, int], extras: frozenset[str]) -> bool:
    from packaging.markers import InvalidMarker, Marker, UndefinedEnvironmentName

    from modellint.analyzer.knowledge.distributions import marker_environment

    try:
        parsed = Marker(marker)
        return any(parsed.evaluate(marker_environment(python, extra)) for extra in ("", *sorted(extras)))
    except (InvalidMarker, UndefinedEnvironmentName):
        return False


def _allows(specifier: SpecifierSet, version: str) -> bool:
    parsed = _version(version)
    return True if parsed is None else specifier.contains(parsed, prereleases=True)  # unreadable: not certain


@lru_cache(maxsize=16384)
def _version(text: str) -> Version | None:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None

