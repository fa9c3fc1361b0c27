"""What ``--format cyclonedx`` says about one model dir, without the CycloneDX library: its
MLmodel facts, the packages its environment files declare, the closure the knowledge base
predicts they install, and its files with their hashes.

Which files declare what (the README's "SBOM" section says the same):

* pip requirements: ``requirements.txt`` (what ``--env-manager virtualenv`` and ``uv`` install,
  through python_env.yaml's ``-r requirements.txt``) and the ``pip:`` list of the conda file (what
  ``--env-manager conda`` installs). MLflow writes the same list to both; a package declared in
  both is one component naming both lines. python_env.yaml's ``build_dependencies`` are declared
  too (pip, setuptools, wheel: installed first), and any requirement it lists itself.
* conda packages: the conda file's other dependencies, which only ``--env-manager conda`` installs
  (``pkg:conda/...``); ``python`` is the model's Python, a property of the model, not a package.
* predicted: what the knowledge base says the pip requirements that apply on Linux and the
  declared Python install, transitively, at no particular version (the resolver picks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from modellint.analyzer.artifacts import ArtifactList
from modellint.analyzer.environment.requirements import RequirementLine
from modellint.analyzer.model_dir import ModelDir
from modellint.record import Record
from modellint.reports import printable

DECLARED = "declared"
PREDICTED = "predicted by modellint's knowledge base"
# The MLmodel keys an inventory names, as they are written there.
# Packages listed per model, declared ones first: a real environment has tens to a few hundred; a
# requirements file of thousands is an attack on the SBOM library, whose output step is quadratic
# in its top-level components.
MAX_PACKAGES = 1_000
_MLMODEL_KEYS = ("run_id", "model_uuid", "model_id", "mlflow_version", "utc_time_created")


class Package(Record):
    """One package of the environment. ``ecosystem`` is ``pypi``, ``conda`` or ``location`` (a
    requirement line that names a file or URL instead of a distribution: ``name`` is that text).
    ``version`` is set for an exact pin. ``applies`` is False for a requirement whose marker
    excludes Linux and the declared Python. ``requires`` names the pypi packages it installs
    directly (the knowledge base's edges); ``known`` is False when the knowledge base knows
    nothing of it, so its dependencies are missing, not absent."""

    __slots__ = ("ecosystem", "name", "version", "origin", "declared_in", "specifiers", "applies", "requires", "known")

    def __init__(self, ecosystem: str, name: str, version: str | None, origin: str, declared_in: tuple[str, ...] = (),
                 specifiers: tuple[str, ...] = (), applies: bool = True, requires: tuple[str, ...] = (),
                 known: bool = True) -> None:
        self.ecosystem = ecosystem
        self.name = name
        self.version = version
        self.origin = origin
        self.declared_in = declared_in  # "requirements.txt:3", one per line that declares it
        self.specifiers = specifiers  # the requirement lines as written, for what a pin does not say
        self.applies = applies
        self.requires = requires
        self.known = known


class ModelInventory(Record):
    """One model dir as an SBOM describes it. ``properties`` are MLmodel's facts (flavor, run id,
    the Python the environment is built for) and the pip options the requirement files give."""

    __slots__ = ("root", "properties", "packages", "unlisted_packages", "artifacts")

    def __init__(self, root: Path, properties: tuple[tuple[str, str], ...], packages: tuple[Package, ...],
                 unlisted_packages: int, artifacts: ArtifactList) -> None:
        self.root = root
        self.properties = properties
        self.packages = packages
        self.unlisted_packages = unlisted_packages  # past MAX_PACKAGES: counted, not listed
        self.artifacts = artifacts


def model_inventory(model: ModelDir) -> ModelInventory:
    from modellint.analyzer.artifacts import list_artifacts

    entries, links_out = model.tree
    packages = _packages(model)
    return ModelInventory(model.root, _model_properties(model), packages[:MAX_PACKAGES],
                          max(len(packages) - MAX_PACKAGES, 0), list_artifacts(model.root, entries, links_out, model.withheld))


def _model_properties(model: ModelDir) -> tuple[tuple[str, str], ...]:
    properties: list[tuple[str, str]] = [("modellint:flavor", flavor) for flavor in model.flavors]
    data: dict[Any, Any] = model.mlmodel.data if model.mlmodel is not None and isinstance(model.mlmodel.data, dict) else {}
    for key in _MLMODEL_KEYS:
        value = data.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            properties.append((f"modellint:mlmodel:{key}", _text(str(value))))
    python = model.declared_python_version
    properties.append(("modellint:python", ".".join(map(str, python)) if python else
                       "none declared: the closure is predicted for {}.{}".format(*model.environment.python)))
    for line in _requirement_files(model):
        if line.kind == "option":
            properties.append(("modellint:pip-option", f"{_where(model, line)}: {_text(line.text)}"))
    return tuple(properties)


def _requirement_files(model: ModelDir) -> list[RequirementLine]:
    """The lines of requirements.txt, the conda ``pip:`` list and python_env.yaml's build
    dependencies, and the requirements python_env.yaml lists itself (MLflow writes only
    ``-r requirements.txt`` there, which is not repeated as an option)."""
    lines = list(model.declared_requirements)
    if model.python_env is not None:
        lines.extend(model.python_env.build_dependencies.lines)
        lines.extend(line for line in model.python_env.dependencies.lines if line.kind in ("requirement", "location"))
    return lines


def _packages(model: ModelDir) -> tuple[Package, ...]:
    environment = model.environment
    declared: dict[tuple[str, str, str | None], list[RequirementLine]] = {}
    for line in _requirement_files(model):
        if line.kind == "requirement" and line.name is not None:
            declared.setdefault(("pypi", line.name, line.pinned_version), []).append(line)
        elif line.kind == "location":
            declared.setdefault(("location", _text(line.text), None), []).append(line)
    applying = [(line.name, frozenset(line.requirement.extras)) for lines in declared.values() for line in lines
                if line.name is not None and line.requirement is not None and environment.applies(line)]
    graph = environment.knowledge.dependency_graph(applying, environment.python)
    packages = []
    for (ecosystem, name, version), lines in declared.items():
        packages.append(Package(
            ecosystem, name, version, DECLARED, tuple(_where(model, line) for line in lines),
            tuple(sorted({_text(line.text) for line in lines})), any(environment.applies(line) for line in lines),
            graph.get(name, ()), ecosystem != "pypi" or environment.knowledge.is_known(name)))
    packages.extend(_conda_packages(model))
    declared_names = {name for (ecosystem, name, _) in declared if ecosystem == "pypi"}
    for name in sorted(set(graph) - declared_names):
        packages.append(Package("pypi", name, None, PREDICTED, requires=graph[name],
                                known=environment.knowledge.is_known(name)))
    return tuple(packages)


def _conda_packages(model: ModelDir) -> Iterable[Package]:
    if model.conda is None:
        return
    where = model.conda_file_name
    for spec in model.conda.specs:
        if spec.name == "python":
            continue
        yield Package("conda", _text(spec.name), _text(spec.exact_version) if spec.exact_version else None, DECLARED,
                      (f"{where}:{spec.span.line}",), (_text(spec.text),))


def _where(model: ModelDir, line: RequirementLine) -> str:
    try:
        shown = line.path.relative_to(model.root).as_posix()
    except ValueError:
        shown = line.path.name
    return f"{shown}:{line.span.line}"


def _text(value: str) -> str:
    """A string from the model, as an SBOM may hold it: credentials redacted (an index URL with a
    token must not travel with the SBOM), control characters shown as escapes (viewers render them)."""
    return printable(value)
