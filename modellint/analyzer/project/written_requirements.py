"""The requirement lists MLflow would write for a save/log call, each line with where it comes from.

Follows ``mlflow/utils/environment.py`` (3.x): ``pip_requirements`` replaces the inferred
defaults, ``extra_pip_requirements`` appends to them, a ``conda_env`` keeps its channels and
conda deps and has its ``pip:`` list processed; ``-r file`` lines are expanded, ``-c file``
lines become ``constraints.txt`` plus one ``-c constraints.txt`` line; ``mlflow==<version>``
goes first unless an mlflow requirement is given. Inference keeps what the model imports
while it loads (and predicts on the input example), maps modules to distributions, and prunes
what another captured distribution (mlflow included) already installs, except mlflow's own
direct dependencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from modellint.analyzer.environment.requirements import (
    MLFLOW_REQUIREMENT_NAMES,
    RequirementsBudgetExceeded,
    normalize_name,
    parse_requirements_text,
)
from modellint.analyzer.files import read_text
from modellint.analyzer.knowledge.distributions import KnowledgeBase, guess_distribution
from modellint.analyzer.project.log_calls import UNKNOWN, Literal
from modellint.analyzer.yamlfile import YamlDocument, YamlError, parse_yaml
from modellint.findings import Span
from modellint.record import Record

# The library a flavor's default requirements name, by the flavor's module; anything else is
# looked up as a module of the same name.
FLAVOR_LIBRARIES = {
    "pytorch": "torch", "spark": "pyspark", "paddle": "paddle", "h2o": "h2o", "onnx": "onnx",
    "sentence_transformers": "sentence_transformers", "llama_index": "llama_index",
}


class Origin(Record):
    """Where a generated line comes from; ``generated`` lines are MLflow's own (pins it adds)."""

    __slots__ = ("path", "span", "generated")

    def __init__(self, path: Path, span: Span, generated: bool = False) -> None:
        self.path = path
        self.span = span
        self.generated = generated


class SimulatedRequirements(Record):
    """``lines`` and ``origins`` run in parallel; None means the call's arguments are not literal."""

    __slots__ = ("lines", "origins", "constraints", "conda", "conda_origin")

    def __init__(self, lines: list[str] | None = None, origins: list[Origin] | None = None,
                 constraints: list[tuple[str, Origin]] | None = None, conda: Literal | None = None,
                 conda_origin: Path | None = None) -> None:
        self.lines = [] if lines is None else lines
        self.origins = [] if origins is None else origins
        self.constraints = [] if constraints is None else constraints
        self.conda = conda  # the user's conda_env as a literal tree (dict)
        self.conda_origin = conda_origin


class NotLiteral(Exception):
    """An environment argument modellint cannot read statically."""


def simulate_requirements(
    arguments: dict[str, Literal],
    call_origin: Origin,
    search_roots: tuple[Path, ...],
    inferred: list[str],
    mlflow_version: str,
) -> SimulatedRequirements:
    """The requirements MLflow writes; raises :class:`NotLiteral` when they depend on runtime values.

    ``search_roots`` end with the project root: a requirements or conda file that resolves
    outside it (``-r ../../secrets.txt``, a symlink) is never read, and its line stays as written.
    """
    conda_env, pip_requirements, extra = (arguments.get(name) for name in
                                          ("conda_env", "pip_requirements", "extra_pip_requirements"))
    conda = conda_origin = None
    user: list[tuple[str, Origin]] = []
    if conda_env is not None and conda_env.value is not None:
        conda, conda_origin = _conda_literal(conda_env, search_roots)
        pip = _conda_pip(conda)
        user = _strings(pip, search_roots) if pip is not None else []
    elif pip_requirements is not None and pip_requirements.value is not None:
        user = _strings(pip_requirements, search_roots)
    else:
        user = [(line, Origin(call_origin.path, call_origin.span, generated=True)) for line in inferred]
        if extra is not None and extra.value is not None:
            user.extend(_strings(extra, search_roots))
    lines: list[tuple[str, Origin]] = []
    constraints: list[tuple[str, Origin]] = []
    for text, origin in user:
        _expand(text, origin, search_roots, lines, constraints, depth=0)
    if not any(_is_mlflow(line) for line, _ in lines):
        lines.insert(0, (f"mlflow=={mlflow_version}", Origin(call_origin.path, call_origin.span, generated=True)))
    if constraints:
        lines.append(("-c constraints.txt", Origin(call_origin.path, call_origin.span, generated=True)))
    return SimulatedRequirements([line for line, _ in lines], [origin for _, origin in lines], constraints,
                                 conda, conda_origin)


def _strings(literal: Literal, roots: tuple[Path, ...]) -> list[tuple[str, Origin]]:
    """A list of requirement strings, or a path to a requirements file (read like ``-r``)."""
    if isinstance(literal.value, str):
        return [(f"-r {literal.value}", Origin(literal.path, literal.span))]
    if not isinstance(literal.value, tuple):
        raise NotLiteral
    found = []
    for item in literal.value:
        if not isinstance(item.value, str):
            raise NotLiteral
        found.append((item.value, Origin(item.path, item.span)))
    return found


def _expand(text: str, origin: Origin, roots: tuple[Path, ...], lines: list[tuple[str, Origin]],
            constraints: list[tuple[str, Origin]], depth: int) -> None:
    """Add ``text`` to ``lines``, or what the file it names (``-r``) lists; ``-c`` files to ``constraints``."""
    stripped = text.strip()
    for flag, constraint in (("-r", False), ("--requirement", False), ("-c", True), ("--constraint", True)):
        if stripped.startswith(flag) and (len(stripped) == len(flag) or stripped[len(flag)] in " =\t"):
            name = stripped[len(flag):].lstrip(" =\t")
            listed = _read_list(name, roots) if depth < 8 else None
            if listed is None:  # MLflow raises FileNotFoundError at save time: keep the line visible
                lines.append((stripped, origin))
                return
            for line_text, line_origin in listed:
                if constraint:
                    constraints.append((line_text, line_origin))
                else:
                    _expand(line_text, line_origin, roots, lines, constraints, depth + 1)
            return
    lines.append((stripped, origin))


def _read_list(name: str, roots: tuple[Path, ...]) -> list[tuple[str, Origin]] | None:
    for root in roots:
        path = root / name
        text, _ = read_text(path, roots[-1])
        if text is not None:
            try:
                parsed = parse_requirements_text(text, path)
            except RequirementsBudgetExceeded:
                raise NotLiteral from None  # no real list is this big: what MLflow writes is unknowable
            return [(line.text, Origin(path, line.span)) for line in parsed.lines]
    return None


def recorded_mlflow_version(requirements: SimulatedRequirements) -> str | None:
    """The ``mlflow_version`` the would-be MLmodel records, or None when it cannot be known.

    MLmodel records the MLflow that saves the model. A static reading only knows it when the
    requirements pin an MLflow distribution exactly (the training run then has that version,
    or its pin check warns); an unpinned or ranged one says nothing, and inventing a version
    would make ML105 report a disagreement that does not exist.
    """
    from modellint.analyzer.environment.pep508 import parse_requirement

    for line in requirements.lines:
        if not _is_mlflow(line):
            continue
        try:
            # The common `mlflow==3.1.0` without importing packaging.requirements (and through
            # it logging, subprocess, inspect: 2 MB of a project run's peak); packaging judges the rest.
            requirement = parse_requirement(line.split("#")[0].strip())
        except ValueError:  # packaging's InvalidRequirement
            return None
        pins = [spec.version for spec in requirement.specifier if spec.operator in ("==", "===")]
        return pins[0] if len(pins) == 1 and "*" not in pins[0] else None
    return None


def _is_mlflow(line: str) -> bool:
    head = line.split(";")[0].strip()
    name = head
    for separator in "=<>!~[ @":
        name = name.split(separator)[0]
    return normalize_name(name) in MLFLOW_REQUIREMENT_NAMES or "/mlflow" in head or "mlflow@git" in head


def _conda_literal(conda_env: Literal, roots: tuple[Path, ...]) -> tuple[Literal, Path]:
    if isinstance(conda_env.value, dict):
        return conda_env, conda_env.path
    if isinstance(conda_env.value, str):
        for root in roots:
            path = root / conda_env.value
            text, _ = read_text(path, roots[-1])
            if text is None:
                continue
            try:
                document = parse_yaml(text)
            except YamlError:
                raise NotLiteral from None
            if isinstance(document.data, dict):
                return _from_yaml(document, document.data, (), path), path
    raise NotLiteral


def _from_yaml(document: YamlDocument, value, key: tuple, path: Path) -> Literal:
    span = document.span(*key) if key else Span()
    if isinstance(value, dict):
        return Literal({str(k): _from_yaml(document, v, (*key, k), path) for k, v in value.items()}, path, span)
    if isinstance(value, list):
        return Literal(tuple(_from_yaml(document, v, (*key, i), path) for i, v in enumerate(value)), path, span)
    return Literal(value, path, span)


def _conda_pip(conda: Literal) -> Literal | None:
    dependencies = conda.value.get("dependencies") if isinstance(conda.value, dict) else None
    if dependencies is None:
        return None
    if not isinstance(dependencies.value, tuple):
        raise NotLiteral
    for item in dependencies.value:
        if isinstance(item.value, dict) and "pip" in item.value:
            return item.value["pip"]
    return None


def conda_yaml(requirements: SimulatedRequirements, python: str, call_origin: Origin) -> tuple[str, list[Origin]]:
    """conda.yaml as MLflow writes it (the user's channels/name/deps kept), with each line's origin."""
    lines: list[str] = []
    origins: list[Origin] = []

    def emit(text: str, origin: Origin) -> None:
        lines.append(text)
        origins.append(origin)

    generated = Origin(call_origin.path, call_origin.span, generated=True)
    conda = requirements.conda.value if requirements.conda is not None else None
    if conda is None:
        emit("channels:", generated)
        emit("- conda-forge", generated)
        emit("dependencies:", generated)
        emit(f"- python={python}", generated)
        emit("- pip", generated)
    else:
        channels = conda.get("channels")
        if channels is not None and isinstance(channels.value, tuple):
            emit("channels:", Origin(channels.path, channels.span))
            for channel in channels.value:
                if isinstance(channel.value, str):
                    emit(f"- {_scalar(channel.value)}", Origin(channel.path, channel.span))
        emit("dependencies:", generated)
        dependencies = conda.get("dependencies")
        for item in dependencies.value if dependencies is not None and isinstance(dependencies.value, tuple) else ():
            if isinstance(item.value, str):
                emit(f"- {_scalar(item.value)}", Origin(item.path, item.span))
    emit("- pip:", generated)
    for line, origin in zip(requirements.lines, requirements.origins):
        emit(f"  - {_scalar(line)}", origin)
    name = conda.get("name") if conda is not None else None
    emit(f"name: {_scalar(name.value) if name is not None and isinstance(name.value, str) else 'mlflow-env'}",
         Origin(name.path, name.span) if name is not None else generated)
    return "\n".join(lines) + "\n", origins


def _scalar(text: str) -> str:
    import json

    plain = text and text.strip() == text and not any(c in text for c in ":#{}[],&*!|>'\"%@`") and not text.startswith("-")
    return text if plain else json.dumps(text)


def conda_python_literal(requirements: SimulatedRequirements) -> tuple[str, Literal] | None:
    """The ``python=X.Y`` pin of the user's conda env, if it gives one literally, and the list
    item that pins it."""
    conda = requirements.conda.value if requirements.conda is not None else None
    dependencies = conda.get("dependencies") if conda is not None else None
    for item in dependencies.value if dependencies is not None and isinstance(dependencies.value, tuple) else ():
        if isinstance(item.value, str) and item.value.replace(" ", "").startswith("python="):
            version = item.value.replace(" ", "")[len("python="):].lstrip("=")
            return (version, item) if version else None
    return None


def inferred_requirements(modules: Iterable[str], defaults: Iterable[str], knowledge: KnowledgeBase,
                          python: tuple[int, int]) -> list[str]:
    """``name==version`` lines MLflow's inference would write for the captured ``modules``.

    ``defaults`` are the flavor's own distributions (cloudpickle, scikit-learn...). Modules the
    knowledge base does not know map to their normalised name, unpinned (MLflow would pin the
    installed version, which a static reading cannot see).
    """
    captured: dict[str, None] = {}
    for module in modules:
        distribution = knowledge.suggest(module) or stand_in_distribution(module, knowledge)
        if distribution and normalize_name(distribution) not in MLFLOW_REQUIREMENT_NAMES:
            captured.setdefault(normalize_name(distribution), None)
    # The flavor's defaults are added after pruning (`sorted(set(inferred) | defaults)`).
    kept = {*_prune(list(captured), knowledge, python), *(normalize_name(name) for name in defaults)}
    return sorted(f"{name}=={knowledge.version(name)}" if knowledge.version(name) else name for name in kept)


def stand_in_distribution(module: str, knowledge: KnowledgeBase) -> str | None:
    """The name inference is simulated to write for a module no known distribution provides.

    MLflow maps a captured module through the training environment's installed distributions,
    which a static reading cannot see; the module's normalised name stands in, as it is for most
    projects. A stand-in is a guess: it may be written into the simulated requirements (that is
    MLflow's doing) but no finding may propose it (see ``TrainingCall.stand_in_requirements``).
    """
    if knowledge.providers(module):
        return None
    return guess_distribution(module) or None


def _prune(names: list[str], knowledge: KnowledgeBase, python: tuple[int, int]) -> list[str]:
    """Drop what another captured distribution (or mlflow) installs, except mlflow's direct deps."""
    mlflow_direct = {normalize_name(name) for name in knowledge.dependencies("mlflow", python=python)}
    brought: set[str] = set()
    for name in [*names, "mlflow"]:
        for dependency in knowledge.closure([(name, frozenset())], python):
            if dependency != name:
                brought.add(dependency)
    return [name for name in names if name not in brought or name in mlflow_direct]


def flavor_defaults(flavor: str, arguments: dict[str, Literal], knowledge: KnowledgeBase) -> list[str]:
    """The distributions a flavor's ``get_default_pip_requirements`` names (by module)."""
    if flavor == "pyfunc":
        return ["cloudpickle"]
    if flavor == "sklearn":
        serialization = arguments.get("serialization_format")
        value = serialization.value if serialization is not None else "skops"
        if value is UNKNOWN:
            return ["scikit-learn"]
        return ["scikit-learn", "skops" if value == "skops" else "cloudpickle"]
    module = FLAVOR_LIBRARIES.get(flavor, flavor)
    distribution = knowledge.suggest(module)
    return [distribution] if distribution else []
