"""Exact pins of a release that a published advisory affects, looked up in the advisory data
(:mod:`~modellint.analyzer.knowledge.advisories`).

A pin is judged when it is a single ``==``/``===`` of one release (not an ``==X.*`` prefix, which
lets pip pick a fixed release) whose marker holds on the serving platform. A local version label
(``torch==2.1.0+cpu``) is judged by its public version: the build carries the same code. A
placeholder (``==0.0``, ML104's) and a release PyPI does not have (ML503's) are not judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from modellint.analyzer.environment.pinned_releases import applies_on
from modellint.analyzer.environment.requirements import RequirementLine, RequirementsList, is_placeholder_version
from modellint.record import Record

if TYPE_CHECKING:
    from packaging.version import Version

    from modellint.analyzer.environment.serving_platform import ServingPlatform
    from modellint.analyzer.knowledge.advisories import Advisory


class VulnerablePin(Record):
    """``line`` pins release ``version`` of ``name``, which ``advisories`` affect (ordered by id);
    ``fixed`` is the first later release none of them affects, None when one of them names no fix."""

    __slots__ = ("line", "name", "version", "advisories", "fixed", "snapshot_date")

    def __init__(self, line: RequirementLine, name: str, version: str, advisories: tuple[Advisory, ...],
                 fixed: str | None, snapshot_date: str) -> None:
        self.line = line
        self.name = name
        self.version = version
        self.advisories = advisories
        self.fixed = fixed
        self.snapshot_date = snapshot_date


def vulnerable_pins(lists: Iterable[RequirementsList | None], target: ServingPlatform | None) -> Iterator[VulnerablePin]:
    """Every pin of ``lists`` (requirements.txt, the conda ``pip:`` list) of an affected release, in order."""

    from modellint.analyzer.knowledge.advisories import advisory_data

    data = advisory_data()
    for requirements in lists:
        if requirements is None:
            continue
        for line in requirements.requirements:
            pinned, name = line.pinned_version, line.name
            if (pinned is None or name is None or name not in data or is_placeholder_version(pinned)
                    or not applies_on(line, target)):
                continue
            version = _public_version(pinned)
            if version is None:
                continue
            affecting, fixed = _judged(name, version)
            if affecting:
                yield VulnerablePin(line, name, pinned, affecting, fixed, data.snapshot_date)


@lru_cache(maxsize=8192)
def _public_version(pinned: str) -> Version | None:
    """The public part of a pinned version (``2.1.0`` of ``2.1.0+cpu``); None when PEP 440 cannot
    read it."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(Version(pinned).public)
    except InvalidVersion:
        return None


@lru_cache(maxsize=8192)
def _judged(name: str, version: Version) -> tuple[tuple[Advisory, ...], str | None]:
    """The advisories affecting release ``version`` of ``name`` and the release that fixes them all
    (once per process: a store of models pins the same releases again and again)."""
    from modellint.analyzer.knowledge.advisories import advisory_data
    from modellint.analyzer.knowledge.serving_irrelevant_advisories import serving_irrelevant

    skipped = serving_irrelevant(name)  # a component a scoring process never runs (the table says why)
    advisories = [advisory for advisory in advisory_data().get(name) if advisory.id not in skipped]
    if _unpublished(name, version):
        return (), None
    affecting = tuple(sorted((advisory for advisory in advisories if advisory.affects(version)),
                             key=lambda advisory: advisory.id))
    return affecting, _fixing_release(name, version, affecting) if affecting else None


def _unpublished(name: str, version: Version) -> bool:
    """Whether the per-release data covers ``name`` and has no release ``version`` (ML503's
    finding: nothing installs, vulnerable or not)."""
    from modellint.analyzer.knowledge.releases import release_data

    releases = release_data().get(name)
    if releases is None or releases.find(str(version)) is not None:
        return False
    return version not in _versions(name, yanked=True)  # a spelling PEP 440 equates (1.0 == 1.0.0)


def _fixing_release(name: str, version: Version, advisories: Sequence[Advisory]) -> str | None:
    """The first release after ``version`` that none of ``advisories`` affects, at or after every
    fix they name: among the releases PyPI has (the per-release data) when it covers ``name``,
    else among the fixes the advisories name. A final release for a final pin (advisories often
    name a development release as the fix)."""
    from modellint.analyzer.knowledge.releases import release_data

    fixes = [advisory.fixed_in(version) for advisory in advisories]
    if any(fix is None for fix in fixes):
        return None
    floor = max(fix for fix in fixes if fix is not None)
    if name in release_data():
        candidates: Iterable[Version] = _versions_from(name, floor)
    else:
        candidates = tuple(sorted({bound for advisory in advisories for bound in _fixed_bounds(advisory)}))
    for candidate in candidates:
        if (candidate >= floor and (version.is_prerelease or not candidate.is_prerelease)
                and not any(advisory.affects(candidate) for advisory in advisories)):
            return str(candidate)
    return None


@lru_cache(maxsize=256)
def _versions(name: str, yanked: bool) -> tuple[Version, ...]:
    """The sorted versions of the releases of ``name`` that have files (and are not yanked, unless
    ``yanked``), per the per-release data (parsed once per distribution)."""
    from packaging.version import InvalidVersion, Version

    from modellint.analyzer.knowledge.releases import release_data

    releases = release_data().get(name)
    versions = []
    for release in releases.releases if releases is not None else ():
        if release.has_files and (yanked or not release.yanked):
            try:
                versions.append(Version(release.version))
            except InvalidVersion:
                continue
    return tuple(sorted(versions))


def _versions_from(name: str, floor: Version) -> Iterator[Version]:
    """The versions of the releases of ``name`` at or after ``floor`` that have files and are not
    yanked, oldest first: a fix is usually a few releases on, so the older ones are never parsed."""
    from packaging.version import InvalidVersion, Version

    from modellint.analyzer.knowledge.releases import release_data

    releases = release_data().get(name)
    for release in releases.releases_from(floor) if releases is not None else ():
        if release.has_files and not release.yanked:
            try:
                yield Version(release.version)
            except InvalidVersion:
                continue


def _fixed_bounds(advisory: Advisory) -> Iterator[Version]:
    from packaging.version import Version

    for events in advisory.ranges:
        for kind, text in events:
            if kind == "f":
                yield Version(text)
