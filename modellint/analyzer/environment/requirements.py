"""Requirement lines, conda environment files and python_env.yaml, with positions.

The same :class:`RequirementLine` model serves requirements.txt and the conda ``pip:`` list, so
rules that compare the two (ML102) or check each line (ML104-ML107, ML109) see one shape.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from modellint.analyzer.environment.pep508 import ParsedRequirement, parse_requirement
from modellint.analyzer.identity_memo import by_identity
from modellint.findings import Span
from modellint.record import Record

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

# pip options that may stand on a requirements line (pip's req_file.py SUPPORTED_OPTIONS).
_OPTION_TAKES_VALUE = {
    "-r": "requirement", "--requirement": "requirement",
    "-c": "constraint", "--constraint": "constraint",
    "-e": "editable", "--editable": "editable",
    "-i": "index-url", "--index-url": "index-url",
    "--extra-index-url": "extra-index-url",
    "-f": "find-links", "--find-links": "find-links",
    "--trusted-host": "trusted-host",
    "--no-binary": "no-binary", "--only-binary": "only-binary",
    "--hash": "hash", "--config-settings": "config-settings",
    "--global-option": "global-option", "--use-feature": "use-feature",
}
_OPTION_FLAGS = {"--no-index": "no-index", "--pre": "pre", "--prefer-binary": "prefer-binary",
                 "--require-hashes": "require-hashes"}

# A requirements list is never this big (real ones are under 10 KB); past it, a hostile file
# would only cost time and memory, so the list is refused as a whole (ML110).
MAX_REQUIREMENTS_CHARS = 2**20
MAX_REQUIREMENT_LINES = 10_000


_SEPARATORS = re.compile(r"[-_.]+")


# The distributions a requirement names MLflow itself by: MLflow writes one of them first.
MLFLOW_REQUIREMENT_NAMES = frozenset({"mlflow", "mlflow-skinny", "mlflow-tracing"})


_PLACEHOLDER_VERSION = re.compile(r"^0(\.0)*$")


def is_placeholder_version(version: str) -> bool:
    """Whether ``version`` is a placeholder (``0``, ``0.0``, ...) that stands for "unknown", as
    some tools write when they cannot read a version: never a release."""
    return _PLACEHOLDER_VERSION.match(version) is not None


@lru_cache(maxsize=16384)
def normalize_name(name: str) -> str:
    """PEP 503 normalisation: ``Scikit_Learn`` and ``scikit-learn`` are the same distribution.

    (packaging.utils.canonicalize_name does the same but imports packaging.tags, which costs
    a tenth of modellint's start-up. Cached: every rule over a requirements list asks each
    line's name again.)
    """
    return _SEPARATORS.sub("-", name).lower()


_parse_requirement = lru_cache(maxsize=8192)(parse_requirement)


_T = TypeVar("_T")


def per_requirement(compute: Callable[[ParsedRequirement], _T], maxsize: int = 16384) -> Callable[[ParsedRequirement], _T]:
    """``compute`` remembered per parsed requirement, by identity (:func:`~modellint.analyzer.identity_memo.by_identity`):
    the parser hands equal lines one object, and a store's lists repeat the same lines. (By
    equality, packaging would give `x==1.0` the answer of `x==1.0.0`.)"""
    return by_identity(compute, maxsize)


class RequirementLine(Record):
    """One logical line of a requirements list.

    ``kind`` is ``"requirement"`` (PEP 508), ``"option"`` (a pip option such as ``-c x.txt``),
    ``"location"`` (a bare path or URL of an archive or project, which pip accepts) or
    ``"invalid"`` (none of these). ``text`` is the line without its comment.
    """

    __slots__ = ("path", "span", "text", "kind", "requirement", "option", "option_value", "error", "name", "pin")
    # ``name`` (the requirement's normalised name) and ``pin`` (the operator and version of a single
    # ``==X``/``===X``, else ``(None, None)``) are kept because every rule over a list asks each line
    # for them (600,000 times over a 1,000-model store). They are functions of ``requirement``, so
    # neither compared nor shown; left out, they are worked out here; given, they are what ``replace``
    # and pickling copy.
    _uncompared = _unshown = frozenset({"name", "pin"})

    def __init__(self, path: Path, span: Span, text: str, kind: str, requirement: ParsedRequirement | None = None,
                 option: str | None = None, option_value: str | None = None, error: str | None = None,
                 name: str | None = None, pin: tuple[str | None, str | None] | None = None) -> None:
        self.path = path
        self.span = span
        self.text = text
        self.kind = kind
        self.requirement = requirement
        self.option = option
        self.option_value = option_value
        self.error = error
        self.name = name if name is not None or requirement is None else normalize_name(requirement.name)
        self.pin = pin if pin is not None else _exact_pin(requirement) if requirement is not None else (None, None)

    def replace(self, **changes: Any) -> RequirementLine:
        # ``name`` and ``pin`` follow ``requirement``: a new requirement gets its own, never the
        # copied ones of the line it replaces.
        if "requirement" in changes:
            changes.setdefault("name", None)
            changes.setdefault("pin", None)
        return super().replace(**changes)

    @property
    def specifier(self) -> SpecifierSet | None:
        return self.requirement.specifier if self.requirement else None

    @property
    def pinned_version(self) -> str | None:
        """The version of a single ``==X`` (or ``===X``) pin, else None."""
        return self.pin[1]

    @property
    def pinned_with_equality(self) -> bool:
        """Whether the line is a single ``==X`` pin (not ``===X``, not a ``==X.*`` prefix)."""
        return self.pin[0] == "=="


def _exact_pin_of(requirement: ParsedRequirement) -> tuple[str | None, str | None]:
    # Once per parsed requirement (the parser's cache shares them between equal lines): every
    # per-pin rule asks each line again, hundreds of thousands of times over a store. By identity:
    # by equality, `x==1.0.0; marker` got the version of an earlier `x==1.0; marker`.
    specs = list(requirement.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].operator, specs[0].version
    return None, None


_exact_pin = per_requirement(_exact_pin_of)


class RequirementsList(Record):
    __slots__ = ("path", "lines")

    def __init__(self, path: Path, lines: list[RequirementLine] | None = None) -> None:
        self.path = path
        self.lines = [] if lines is None else lines

    @property
    def requirements(self) -> list[RequirementLine]:
        return [line for line in self.lines if line.kind == "requirement"]

    def by_name(self) -> dict[str, list[RequirementLine]]:
        grouped: dict[str, list[RequirementLine]] = {}
        for line in self.requirements:
            grouped.setdefault(line.name or "", []).append(line)
        return grouped


def classify_requirement(text: str, path: Path, span: Span) -> RequirementLine:
    """Classify one requirement string (comment already stripped)."""
    stripped = text.strip()
    if stripped.startswith("-"):
        option, value = _split_option(stripped)
        if option in _OPTION_TAKES_VALUE or option in _OPTION_FLAGS:
            canonical = _OPTION_TAKES_VALUE.get(option) or _OPTION_FLAGS[option]
            return RequirementLine(path, span, stripped, "option", option=canonical,
                                   option_value=value)
        return RequirementLine(path, span, stripped, "invalid", error=f"unknown pip option {option!r}")
    try:
        requirement = _parse_requirement(stripped)
    except ValueError as error:  # packaging's InvalidRequirement
        if _looks_like_location(stripped):
            return RequirementLine(path, span, stripped, "location", option_value=stripped.split(";")[0].strip())
        return RequirementLine(path, span, stripped, "invalid", error=_first_line(str(error)))
    return RequirementLine(path, span, stripped, "requirement", requirement=requirement)


class RequirementsBudgetExceeded(ValueError):
    """A requirements list over :data:`MAX_REQUIREMENTS_CHARS` or :data:`MAX_REQUIREMENT_LINES`."""


def strip_comment(line: str) -> str:
    """``line`` without its comment: from the first ``#`` at the start or after whitespace, as pip's
    ``(^|\\s+)#.*$`` reads it, but in one pass (that regex is quadratic on a long run of blanks)."""
    index = line.find("#")
    while index > 0 and not line[index - 1].isspace():
        index = line.find("#", index + 1)
    return line if index < 0 else line[:index]


def _over_budget(name: str, what: str, limit: int) -> RequirementsBudgetExceeded:
    return RequirementsBudgetExceeded(f"`{name}` is over the requirements budget ({what}, more than {limit:,}): not read")


def parse_requirements_text(text: str, path: Path) -> RequirementsList:
    """Parse requirements.txt the way pip reads it: comments, ``\\`` continuations, options.

    Raises :class:`RequirementsBudgetExceeded` for a list over the size or line budget."""
    if len(text) > MAX_REQUIREMENTS_CHARS:
        raise _over_budget(path.name, f"{len(text):,} characters", MAX_REQUIREMENTS_CHARS)
    physical = text.splitlines()
    if len(physical) > MAX_REQUIREMENT_LINES:
        raise _over_budget(path.name, f"{len(physical):,} lines", MAX_REQUIREMENT_LINES)
    lines: list[RequirementLine] = []
    index = 0
    while index < len(physical):
        start = index
        raw = physical[index]
        pieces = [raw]
        while pieces[-1].endswith("\\") and index + 1 < len(physical):
            pieces[-1] = pieces[-1][:-1]
            index += 1
            pieces.append(physical[index])
        index += 1
        logical = "".join(pieces)
        content = strip_comment(logical).strip()
        if not content:
            continue
        column = len(raw) - len(raw.lstrip()) + 1
        span = Span(start + 1, column, index, len(physical[index - 1].rstrip()) + 1)
        lines.append(classify_requirement(content, path, span))
    return RequirementsList(path, lines)


def _looks_like_location(text: str) -> bool:
    head = text.split(";")[0].strip()
    return (
        head.startswith((".", "/", "~", "\\"))
        or "://" in head
        or re.match(r"^[A-Za-z]:[\\/]", head) is not None
        or head.endswith((".whl", ".tar.gz", ".zip", ".tar.bz2"))
    )


def local_location(value: str) -> str | None:
    """The filesystem path a requirement location points at, or None for remote URLs."""
    if value.startswith("file:"):
        path = value[len("file:"):]
        while path.startswith("//"):
            path = path[1:]
        return path[1:] if re.match(r"^/[A-Za-z]:", path) else path
    if "://" in value:
        return None
    return value


def _split_option(text: str) -> tuple[str, str | None]:
    if text.startswith("--") and "=" in text.split()[0]:
        option, _, value = text.partition("=")
        return option, value.strip() or None
    head, _, rest = text.partition(" ")
    if not rest and len(head) > 2 and not head.startswith("--"):  # `-rfile.txt`
        return head[:2], head[2:]
    return head, rest.strip() or None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "not a valid requirement"


# --- conda --------------------------------------------------------------------------------------

# Every part is delimited by a character the part before cannot hold, so matching is linear
# (a trailing ``\s*(?P<rest>.*?)\s*$`` was quadratic on a long run of blanks); the rest is stripped.
_CONDA_SPEC = re.compile(r"(?:(?P<channel>[^\s:]+)::)?(?P<name>[A-Za-z0-9_.\-]+)(?P<bracket>\[[^\]]*\])?")
_BRACKET_VERSION = re.compile(r"version\s*=\s*['\"]?([^'\",\]]+)")


class CondaSpec(Record):
    """A conda MatchSpec such as ``python=3.8.10``, ``conda-forge::numpy>=1.2`` or ``pip``."""

    __slots__ = ("text", "name", "version", "channel", "span")

    def __init__(self, text: str, name: str, version: str | None, channel: str | None, span: Span) -> None:
        self.text = text
        self.name = name
        self.version = version  # the version constraint text, e.g. "=3.8.10", ">=1.2", "3.8.*"
        self.channel = channel
        self.span = span

    @property
    def exact_version(self) -> str | None:
        """The version of ``name=X``/``name==X``/``name X``; None for ranges and bare names."""
        if not self.version:
            return None
        version = self.version.strip()
        for prefix in ("==", "="):
            if version.startswith(prefix):
                version = version[len(prefix):]
                break
        else:
            if version[:1] in "<>!~":
                return None
        version = version.split()[0]
        return version.rstrip(".*") if version else None


def parse_conda_spec(text: str, span: Span) -> CondaSpec | None:
    stripped = text.strip()
    match = _CONDA_SPEC.match(stripped)
    rest = stripped[match.end():].strip() if match else ""
    if not match or "\n" in rest:
        return None
    version = rest or None
    bracket = match.group("bracket")
    if bracket and not version:
        inner = _BRACKET_VERSION.search(bracket)
        version = inner.group(1) if inner else None
    return CondaSpec(text, match.group("name").lower(), version, match.group("channel"), span)


class CondaEnv(Record):
    __slots__ = ("path", "name", "channels", "specs", "pip", "pip_span", "problems")

    def __init__(self, path: Path, name: str | None, channels: list[tuple[str, Span]], specs: list[CondaSpec],
                 pip: RequirementsList | None, pip_span: Span | None, problems: list[tuple[str, Span]]) -> None:
        self.path = path
        self.name = name
        self.channels = channels
        self.specs = specs
        self.pip = pip
        self.pip_span = pip_span
        self.problems = problems

    @property
    def python(self) -> CondaSpec | None:
        return next((spec for spec in self.specs if spec.name == "python"), None)


def conda_env_from_yaml(document: Any, path: Path) -> CondaEnv:
    """Build a :class:`CondaEnv` from a parsed YAML document (see :mod:`modellint.analyzer.yamlfile`)."""
    data = document.data
    problems: list[tuple[str, Span]] = []
    if not isinstance(data, dict):
        problems.append(("the conda environment is not a mapping", document.span()))
        return CondaEnv(path, None, [], [], None, None, problems)
    channels: list[tuple[str, Span]] = []
    raw_channels = data.get("channels") or []
    if isinstance(raw_channels, list):
        for index, channel in enumerate(raw_channels):
            channels.append((str(channel), document.span("channels", index)))
    else:
        problems.append(("`channels` is not a list", document.span("channels")))
    specs: list[CondaSpec] = []
    pip: RequirementsList | None = None
    pip_span: Span | None = None
    raw_deps = data.get("dependencies") or []
    if not isinstance(raw_deps, list):
        problems.append(("`dependencies` is not a list", document.span("dependencies")))
        raw_deps = []
    elif len(raw_deps) > MAX_REQUIREMENT_LINES:
        problems.append((str(_over_budget(path.name, f"`dependencies` has {len(raw_deps):,} entries",
                                          MAX_REQUIREMENT_LINES)), document.span("dependencies")))
        raw_deps = []
    for index, dependency in enumerate(raw_deps):
        span = document.span("dependencies", index)
        if isinstance(dependency, dict) and "pip" in dependency:
            pip_span = document.key_span("dependencies", index, "pip")
            pip = _pip_list(document, dependency["pip"], ("dependencies", index, "pip"), path, problems)
        elif isinstance(dependency, (str, int, float)):
            spec = parse_conda_spec(str(dependency), span)
            if spec is None:
                problems.append((f"not a conda package spec: {_brief(dependency)}", span))
            else:
                specs.append(spec)
        else:
            problems.append((f"unexpected dependency entry: {_brief(dependency)}", span))
    name = data.get("name")
    return CondaEnv(path, str(name) if name is not None else None, channels, specs, pip, pip_span, problems)


def _brief(value: Any) -> str:
    """A repr short enough for a message, whatever the YAML held (huge, deep or recursive)."""
    import reprlib

    brief = reprlib.Repr()
    brief.maxstring = brief.maxother = 200
    return brief.repr(value)


def _pip_list(document: Any, raw: Any, key: tuple, path: Path, problems: list[tuple[str, Span]]) -> RequirementsList:
    if not isinstance(raw, list):
        return RequirementsList(path)
    if len(raw) > MAX_REQUIREMENT_LINES:
        problems.append((str(_over_budget(path.name, f"`{key[-1]}` has {len(raw):,} entries", MAX_REQUIREMENT_LINES)),
                         document.span(*key)))
        return RequirementsList(path)
    return RequirementsList(path, [classify_requirement(str(entry), path, document.span(*key, index))
                                   for index, entry in enumerate(raw)])


# --- python_env.yaml ----------------------------------------------------------------------------

class PythonEnv(Record):
    __slots__ = ("path", "python", "python_span", "build_dependencies", "dependencies", "problems")

    def __init__(self, path: Path, python: str | None, python_span: Span | None,
                 build_dependencies: RequirementsList, dependencies: RequirementsList,
                 problems: list[tuple[str, Span]]) -> None:
        self.path = path
        self.python = python
        self.python_span = python_span
        self.build_dependencies = build_dependencies
        self.dependencies = dependencies
        self.problems = problems


def python_env_from_yaml(document: Any, path: Path) -> PythonEnv:
    data = document.data
    problems: list[tuple[str, Span]] = []
    if not isinstance(data, dict):
        problems.append(("python_env.yaml is not a mapping", document.span()))
        return PythonEnv(path, None, None, RequirementsList(path), RequirementsList(path), problems)
    python = data.get("python")
    python_span = document.span("python") if "python" in data else None
    if python is not None and not isinstance(python, str):
        python = str(python)
    lists = {}
    for key in ("build_dependencies", "dependencies"):
        raw = data.get(key) or []
        if not isinstance(raw, list):
            problems.append((f"`{key}` is not a list", document.span(key)))
            raw = []
        lists[key] = _pip_list(document, raw, (key,), path, problems)
    return PythonEnv(path, python, python_span, lists["build_dependencies"], lists["dependencies"], problems)
