"""What the conda environment asks of a channel whose contents are known: conda-forge.

conda builds a model's conda env (``mlflow models serve --env-manager conda``, Azure ML) from the
channels the file lists, and stops with ``PackagesNotFoundError`` when they serve no package of a
name, or no build of the asked version. modellint knows one channel (see
:mod:`~modellint.analyzer.knowledge.conda_forge`), so only an environment whose channels are
conda-forge alone (``nodefaults`` beside it only turns the user's default channels off) is
judged; ``defaults``, ``anaconda``, ``pytorch``, ``bioconda``, a custom channel or URL, or no
channel list at all (conda then asks the user's configured channels) leave it unjudged. A spec
that names its own channel (``pytorch::pytorch``) is judged only when that channel is conda-forge.

Version specs are read with conda's match-spec grammar for the forms conda env files use:
``python=3.8`` (that version or a longer one: ``3.8.*``), ``python==3.8.10``, ``python 3.8.10``,
``python=3.8.10=<build>`` (the build string is not judged), ``3.8.*``, comparisons joined by
``,`` (and) and ``|`` (or). A spec in any other form is not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from modellint.analyzer.environment.requirements import CondaEnv, CondaSpec
from modellint.record import Record

if TYPE_CHECKING:
    from collections.abc import Callable

CONDA_FORGE = "conda-forge"
_NO_DEFAULTS = "nodefaults"
_CHANNEL_URL = re.compile(r"^(?:https?://)?conda\.anaconda\.org/([^/\s]+)/?$")
_VERSION = re.compile(r"^\d+(?:\.\d+)*$")
_COMPARISON = re.compile(r"^(>=|<=|==|!=|>|<|=)?\s*(\d+(?:\.\d+)*)(\.?\*)?$")
_MAX_SPEC_CHARS = 200


class UnbuiltPython(Record):
    """The conda env's ``python`` spec, which no version conda-forge built (of ``snapshot``)
    matches; ``below``/``above`` are the nearest built versions, ``minor`` the ``major.minor`` of
    the asked version when conda-forge built any release of it."""

    __slots__ = ("spec", "below", "above", "minor", "snapshot")

    def __init__(self, spec: CondaSpec, below: str | None, above: str | None, minor: str | None,
                 snapshot: str) -> None:
        self.spec = spec
        self.below = below
        self.above = above
        self.minor = minor
        self.snapshot = snapshot


class UnservedCondaPackage(Record):
    """A conda dependency naming a package conda-forge's registry of ``snapshot`` does not list."""

    __slots__ = ("spec", "snapshot")

    def __init__(self, spec: CondaSpec, snapshot: str) -> None:
        self.spec = spec
        self.snapshot = snapshot


def channel_name(channel: str) -> str:
    """``conda-forge`` for ``conda-forge``, ``Conda-Forge/`` or ``https://conda.anaconda.org/conda-forge``."""
    lowered = channel.strip().lower().rstrip("/")
    match = _CHANNEL_URL.match(lowered)
    return match.group(1) if match else lowered


def conda_forge_only(conda: CondaEnv) -> bool:
    """Whether conda-forge is every channel the env asks (``nodefaults`` aside)."""
    names = {channel_name(channel) for channel, _ in conda.channels} - {_NO_DEFAULTS}
    return names == {CONDA_FORGE}


def _judged(spec: CondaSpec) -> bool:
    return spec.channel is None or channel_name(spec.channel) == CONDA_FORGE


def unbuilt_python(conda: CondaEnv | None) -> UnbuiltPython | None:
    """The env's ``python`` spec when its channels are conda-forge alone and no conda-forge build
    matches it; None when it matches, cannot be read, or the channels are others."""
    if conda is None or not conda_forge_only(conda):
        return None
    spec = conda.python
    if spec is None or spec.version is None or not _judged(spec):
        return None
    judged = _unbuilt_answer(spec.version)
    if judged is None:
        return None
    below, above, minor, snapshot = judged
    return UnbuiltPython(spec, below, above, minor, snapshot)


@lru_cache(maxsize=1024)
def _unbuilt_answer(version: str) -> tuple[str | None, str | None, str | None, str] | None:
    """``(below, above, minor, snapshot)`` of :class:`UnbuiltPython` for the conda spec version
    ``version``, or None when a build matches it or the spec is not read; once per version text
    (a store's envs ask for the same few Pythons, each a walk of every build conda-forge made)."""
    matcher = version_matcher(version)
    if matcher is None:
        return None
    from modellint.analyzer.knowledge.conda_forge import conda_forge_python

    built = conda_forge_python()
    keyed = _built_keys(built.versions)
    if any(matcher(key) for key, _ in keyed):
        return None
    asked = _asked_version(version)
    if asked is None:
        return None, None, None, built.snapshot_date
    wanted = _key(asked)
    below = max((item for item in keyed if item[0] < wanted), default=None)
    above = min((item for item in keyed if item[0] > wanted), default=None)
    minor = ".".join(str(part) for part in wanted[:2])
    has_minor = len(wanted) >= 2 and any(key[:2] == wanted[:2] for key, _ in keyed)
    return below[1] if below else None, above[1] if above else None, minor if has_minor else None, built.snapshot_date


def unserved_packages(conda: CondaEnv | None) -> Iterator[UnservedCondaPackage]:
    """The env's conda dependencies (not its ``pip:`` list) that conda-forge does not publish, in
    order, when its channels are conda-forge alone."""
    if conda is None or not conda_forge_only(conda):
        return
    from modellint.analyzer.knowledge.conda_forge import conda_forge_names, judged_name, names_snapshot

    names = None
    for spec in conda.specs:
        if not _judged(spec) or not judged_name(spec.name):
            continue
        if names is None:
            names = conda_forge_names()
        if spec.name not in names:
            yield UnservedCondaPackage(spec, names_snapshot())


def version_matcher(text: str) -> Callable[[tuple[int, ...]], bool] | None:
    """A test of a version key against a conda version spec (``=3.8``, ``>=3.8,<3.10``...), or
    None for a spec this reader does not know."""
    text = text.strip()
    if len(text) > _MAX_SPEC_CHARS or not text:
        return None
    text = _without_build(text)
    alternatives = []
    for alternative in text.split("|"):
        tests = []
        for part in alternative.split(","):
            test = _comparison(part.strip())
            if test is None:
                return None
            tests.append(test)
        alternatives.append(tests)
    return lambda key: any(all(test(key) for test in tests) for tests in alternatives)


def _without_build(text: str) -> str:
    """The version part of ``=3.8.10=h1234_cpython`` or ``3.8.10 h1234_cpython``."""
    if " " in text and not any(operator in text for operator in "<>=!,|"):
        return text.split()[0]
    if text.startswith("=") and not text.startswith("=="):
        return "=" + text[1:].split("=")[0]
    return text


def _comparison(part: str) -> Callable[[tuple[int, ...]], bool] | None:
    match = _COMPARISON.match(part)
    if match is None:
        return None
    operator, version, star = match.group(1) or "", _key(match.group(2)), match.group(3)
    if operator in ("", "=") or (operator == "==" and star):
        return lambda key: key[:len(version)] == version
    if star:
        return None
    if operator == "==":
        return lambda key: _padded(key, version) == _padded(version, key)
    if operator == "!=":
        return lambda key: _padded(key, version) != _padded(version, key)
    comparisons: dict[str, Callable[[tuple[int, ...]], bool]] = {
        ">=": lambda key: _padded(key, version) >= _padded(version, key),
        "<=": lambda key: _padded(key, version) <= _padded(version, key),
        ">": lambda key: _padded(key, version) > _padded(version, key),
        "<": lambda key: _padded(key, version) < _padded(version, key),
    }
    return comparisons[operator]


def _asked_version(text: str) -> str | None:
    """The version an exact or prefix spec asks for (``3.9.3`` of ``=3.9.3``), else None."""
    match = _COMPARISON.match(_without_build(text.strip()))
    if match is None or (match.group(1) or "=") not in ("=", "=="):
        return None
    return match.group(2)


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")) if _VERSION.match(version) else ()


@lru_cache(maxsize=1)
def _built_keys(versions: tuple[str, ...]) -> tuple[tuple[tuple[int, ...], str], ...]:
    """The built versions with their keys, once per process: every conda-forge env asks of the same
    snapshot."""
    return tuple((_key(version), version) for version in versions)


def _padded(key: tuple[int, ...], other: tuple[int, ...]) -> tuple[int, ...]:
    """``key`` with zeros up to ``other``'s length: conda compares 3.8 and 3.8.0 as equal."""
    return key + (0,) * (len(other) - len(key))
