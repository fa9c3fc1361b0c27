"""The release each exact pin of a model's pip lists names, looked up in the per-release data.

Only what the data can answer is returned: a requirement pinned with ``==``/``===`` (or an
``==X.*`` prefix), of a distribution the data covers, whose marker holds on the serving platform,
in a list that names no other index (``--index-url``, ``--extra-index-url``, ``--find-links``,
``--no-index``: another index may serve releases PyPI lacks). A pin with a local version label
(``torch==2.1.0+cpu``) is skipped too: such builds come from their project's own index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from modellint.analyzer.environment.requirements import RequirementLine, RequirementsList, per_requirement
from modellint.record import Record

if TYPE_CHECKING:
    from packaging.version import Version

    from modellint.analyzer.environment.pep508 import ParsedRequirement
    from modellint.analyzer.environment.serving_platform import ServingPlatform
    from modellint.analyzer.knowledge.releases import DistributionReleases, Release

OTHER_INDEX_OPTIONS = frozenset({"index-url", "extra-index-url", "find-links", "no-index"})


class PinnedRelease(Record):
    """``line`` pins a release of ``releases``: ``release`` when the data lists it, else None
    (``newer`` then says whether the pin is newer than every release on the snapshot date, which
    a later release may have filled, rather than one PyPI never had)."""

    __slots__ = ("line", "releases", "release", "newer", "prefix")

    def __init__(self, line: RequirementLine, releases: DistributionReleases, release: Release | None,
                 newer: bool, prefix: bool) -> None:
        self.line = line
        self.releases = releases
        self.release = release  # for a prefix pin, the newest release matching it
        self.newer = newer
        self.prefix = prefix  # an ``==X.*`` pin: pip picks among its releases

    @property
    def pinned(self) -> str:
        # The single ``==``/``===`` specifier that made the line a judged pin, remembered per requirement.
        return _single_equality(self.line).version


def pinned_releases(lists: Iterable[RequirementsList | None], target: ServingPlatform | None) -> Iterator[PinnedRelease]:
    """Every judged pin of ``lists`` (requirements.txt, the conda ``pip:`` list), in order."""
    from modellint.analyzer.knowledge.releases import release_data

    data = release_data()
    for requirements in lists:
        if requirements is None:
            continue
        if any(line.option in OTHER_INDEX_OPTIONS for line in requirements.lines):
            continue
        for line in requirements.requirements:
            spec = _single_equality(line)
            if spec is None or line.name is None or line.name not in data or not applies_on(line, target):
                continue
            releases = data.get(line.name)
            if releases is not None:
                yield PinnedRelease(line, releases, *_matched(spec.operator, spec.version, releases))


def _single_equality(line: RequirementLine):  # -> packaging Specifier | None
    return _equality(line.requirement) if line.requirement is not None else None


def _single_equality_of(requirement: ParsedRequirement):  # -> packaging Specifier | None
    specs = list(requirement.specifier)
    if len(specs) != 1 or specs[0].operator not in ("==", "===") or "+" in specs[0].version:
        return None
    return specs[0]


_equality = per_requirement(_single_equality_of)


def applies_on(line: RequirementLine, target: ServingPlatform | None) -> bool:
    """Whether the line's environment marker holds on the serving platform (False when it has one
    and no Python is declared: whether it applies is unknown)."""
    marker = line.requirement.marker if line.requirement else None
    if marker is None:
        return True
    if target is None:
        return False  # whether it applies depends on a Python nobody declared
    try:
        return bool(marker.evaluate(target.marker_environment()))
    except Exception:  # noqa: BLE001 - an unevaluable marker: not judged
        return False


@lru_cache(maxsize=4096)
def _matched(operator: str, version: str, releases: DistributionReleases) -> tuple[Release | None, bool, bool]:
    """``(release, newer, prefix)`` of :class:`PinnedRelease` for the pin ``<operator><version>`` of
    ``releases``, once per process: a store's models pin the same releases. Keyed by the pin as
    written (packaging equates ``==1.0`` and ``==1.0.0``, which ``releases.find`` tells apart) and
    by the data's own object for the distribution."""
    from packaging.specifiers import Specifier

    spec = Specifier(f"{operator}{version}")
    prefix = version.endswith(".*")
    if not prefix:
        # Most pins name a release as PyPI spells it: found without parsing every version.
        found = releases.find(version)
        if found is not None:
            return found, False, False
        if operator == "===":
            return None, _newer(version, _parsed(releases)), False
    parsed = _parsed(releases)  # a prefix, or a spelling PEP 440 equates (1.0 == 1.0.0)
    # A prefix matches only releases pip can install from: one without files is no candidate.
    matching = [release for parsed_version, release in parsed
                if spec.contains(parsed_version, prereleases=True) and (release.has_files or not prefix)]
    if matching:
        return matching[-1], False, prefix
    return None, _newer(version.removesuffix(".*"), parsed), prefix


def _parsed(releases: DistributionReleases) -> list[tuple[Version, Release]]:
    from packaging.version import InvalidVersion, Version

    parsed: list[tuple[Version, Release]] = []
    for release in releases.releases:
        try:
            parsed.append((Version(release.version), release))
        except InvalidVersion:
            continue
    return parsed


def _newer(version: str, parsed: list[tuple[Version, Release]]) -> bool:
    """Whether ``version`` may have been released after the snapshot: newer than every release, or
    than every release of its own ``major.minor`` series (a maintenance line goes on beside newer
    ones: `urllib3 1.26.x` after 2.0). True when it is no PEP 440 version: it cannot be placed, so it
    is not called missing. A series with no release at all (`cloudpickle 2.5` between 2.2 and 3.0)
    is not one that may still come."""
    from packaging.version import InvalidVersion, Version

    try:
        pinned = Version(version)
    except InvalidVersion:
        return True
    if not parsed or pinned > max(v for v, _ in parsed):
        return True
    series = [v for v, _ in parsed if v.release[:2] == pinned.release[:2]]
    return bool(series) and pinned > max(series)


# A pre-release segment follows a digit or a separator (`1.0rc1`, `2.0.dev3`, `1.0-beta`); a local
# label's letters (`+cpu`) are not one. Compiled on first use, by re's cache.
_PRE_RELEASE = r"(?i)[\d._-](a|b|c|rc|alpha|beta|pre|preview|dev)\d*"


def nearest_release(releases: DistributionReleases, pinned: Release, suitable: Callable[[Release], bool]) -> Release | None:
    """The release nearest ``pinned`` (one of ``releases``) that ``suitable`` accepts: the first
    one after it, else the last one before it; pre-releases only when ``pinned`` is one. The data
    lists releases in PEP 440 order, so nothing is parsed."""
    ordered = releases.releases
    index = ordered.index(pinned)
    pre = _is_prerelease(pinned.version)
    for candidates in (ordered[index + 1:], ordered[index - 1::-1] if index else ()):
        for release in candidates:
            if (pre or not _is_prerelease(release.version)) and suitable(release):
                return release
    return None


def _is_prerelease(version: str) -> bool:
    return re.search(_PRE_RELEASE, version) is not None


def excludes_python(release: Release, target: ServingPlatform) -> bool:
    """Whether the release's Requires-Python excludes the target Python (for every patch release
    the target may be, when it is declared without one). False when it declares none, or one
    PEP 440 cannot read (pip then ignores it too)."""
    if not release.requires_python:
        return False
    return _excludes(release.requires_python, target.python_versions())


@lru_cache(maxsize=1024)
def _excludes(requires_python: str, pythons: tuple[str, ...]) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        allowed = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return False
    return not any(allowed.contains(version, prereleases=True) for version in pythons)


def installable(release: Release, target: ServingPlatform) -> bool:
    """Whether pip installs the release on the target from a wheel: it is not yanked, its
    Requires-Python admits the target and a wheel serves it."""
    return not release.yanked and release.has_wheel_for(target) and not excludes_python(release, target)
