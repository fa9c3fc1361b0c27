"""What MLflow would write for each save/log call of a training project.

For each call modellint reads the literal arguments, finds the code the model will run (the
``PythonModel`` class and what it imports, a models-from-code file, a ``loader_module``), and
simulates what MLflow writes: ``code_paths`` copied by basename into ``code/``, the requirement
lists (inferred from what loading imports, or the user's), ``mlflow==`` added. The result is a
:class:`SavePlan`: facts only. :mod:`~modellint.analyzer.project.would_be_model` writes it as a
model dir, and :mod:`modellint.project_mode` judges that model and reports on the project's lines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.files import exists, is_dir, is_within
from modellint.analyzer.project.call_signature import SIGNATURE_SETTERS
from modellint.analyzer.project.code_graph import CodeGraph
from modellint.analyzer.project.log_calls import MlflowCall, SourceFile
from modellint.analyzer.project.python_model import ModelCode, resolve_model_code
from modellint.analyzer.project.sources import climbs_out, lexically_below, project_sources, resolve_module
from modellint.analyzer.project.training import CodePathArgument, TrainingCall
from modellint.analyzer.project.written_requirements import (
    NotLiteral,
    Origin,
    SimulatedRequirements,
    conda_python_literal,
    flavor_defaults,
    inferred_requirements,
    recorded_mlflow_version,
    simulate_requirements,
    stand_in_distribution,
)
from modellint.findings import Span
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.analyzer.code.source_imports import ModuleScan
    from modellint.analyzer.environment.environment_settings import EnvironmentSettings
    from modellint.analyzer.knowledge.distributions import KnowledgeBase

_EXTENSION_SUFFIXES = (".so", ".pyd")


class SavePlan(Record):
    """Everything MLflow would write for one save/log call, with the project file each copy comes from."""

    __slots__ = ("training", "requirements", "python", "mlflow_version", "copies", "by_value_scans", "python_origin",
                 "copied_from_outside")

    def __init__(self, training: TrainingCall, requirements: SimulatedRequirements, python: str,
                 mlflow_version: str | None, copies: dict[str, Path] | None = None,
                 by_value_scans: tuple[ModuleScan, ...] = (), python_origin: Origin | None = None,
                 copied_from_outside: frozenset[str] = frozenset()) -> None:
        self.training = training
        self.requirements = requirements
        self.python = python
        self.mlflow_version = mlflow_version  # None: no exact MLflow pin, so MLmodel records none
        self.copies = {} if copies is None else copies  # relative path in the model -> project file
        self.by_value_scans = by_value_scans  # ModuleScans of the by-value class (only its lines)
        # Where the project names the Python (the conda env's `python=` item, `.python-version`).
        self.python_origin = python_origin
        # The copies whose project path, symlinks followed, leads outside the project: the would-be
        # model holds only their name, never their content.
        self.copied_from_outside = copied_from_outside

    @property
    def python_pinned(self) -> bool:
        """Whether the project names the Python: else `python` is modellint's default, and MLflow
        records whatever the training run used."""
        return self.python_origin is not None


def save_plans(root: Path, settings: EnvironmentSettings | None = None) -> Iterator[SavePlan]:
    """A :class:`SavePlan` per save/log call of the project at ``root``; ``settings`` are the user's
    known-first-party / module-distributions settings."""
    project_root = root if root.is_dir() else root.parent
    for source in project_sources(root):
        if isinstance(source, SourceFile):
            for call in source.mlflow_calls():
                yield plan_save(call, source, project_root, settings)


def training_calls(root: Path) -> list[TrainingCall]:
    """The save/log calls of a project with their facts (for tests and tools)."""
    return [plan.training for plan in save_plans(root)]


def plan_save(call: MlflowCall, source: SourceFile, project_root: Path,
              settings: EnvironmentSettings | None = None) -> SavePlan:
    """What MLflow would write for ``call`` in ``source``, a file of the project at ``project_root``."""
    from modellint.analyzer.knowledge.distributions import load

    knowledge = load().configured(settings)
    roots = tuple(dict.fromkeys((source.path.parent, project_root)))
    code_paths = _code_paths(call, roots, project_root)
    model_code = resolve_model_code(call, source, roots) if call.flavor == "pyfunc" else None
    has_example = call.given("input_example") or call.opaque
    infers = not (call.given("pip_requirements") or call.given("conda_env"))
    graph = CodeGraph(roots)
    by_value_scans = graph.model_code_scans(model_code)
    load_modules, predict_facts = graph.runtime_imports(model_code, by_value_scans)
    # What MLflow pins when the call names no mlflow requirement: the installed version, which a
    # static reading cannot see; the newest known release stands in (that line is MLflow's own,
    # so no ML1xx finding is ever reported on it).
    newest_mlflow = knowledge.version("mlflow") or "3"
    python, python_origin = _project_python(project_root)
    inference_fails = model_code is not None and model_code.kind == "loader_module"  # mlflow#14145
    # Unpickling the model imports the modules of the objects it holds: inference sees them.
    pickled = [obj.qualified_name.rpartition(".")[0] for obj in (model_code.pickled_objects if model_code else ())]
    modules = [] if inference_fails else [*load_modules, *pickled,
                                          *(fact.module for fact in predict_facts if has_example)]
    python_tuple = _version_tuple(python)
    stdlib = _stdlib(python_tuple)
    third_party = [module for module in modules if _third_party(module, stdlib, roots, knowledge)]
    inferred = inferred_requirements(third_party, flavor_defaults(call.flavor, call.arguments, knowledge),
                                     knowledge, python_tuple)
    stand_ins = frozenset(name for module in third_party if knowledge.suggest(module) is None
                          and (name := stand_in_distribution(module, knowledge))) if infers else frozenset()
    call_origin = Origin(call.path, call.span)
    try:
        requirements = simulate_requirements(call.arguments, call_origin, roots, inferred, newest_mlflow)
        known = not call.opaque or not infers
    except NotLiteral:
        requirements = simulate_requirements({}, call_origin, roots, [], newest_mlflow)
        known = False
    conda_pin = conda_python_literal(requirements)
    if conda_pin is not None:
        python, python_origin = conda_pin[0], Origin(conda_pin[1].path, conda_pin[1].span)
    predict_time_imports = tuple(fact for fact in predict_facts if _third_party(fact.module, stdlib, roots, knowledge))
    training = TrainingCall(call, project_root, code_paths, model_code, infers, has_example, known,
                            predict_time_imports, stand_ins, source.calls_any(SIGNATURE_SETTERS))
    copies, outside = _code_dir(call, code_paths, model_code, graph, roots)
    return SavePlan(training, requirements, python, recorded_mlflow_version(requirements), copies, by_value_scans,
                    python_origin, outside)


def _code_paths(call: MlflowCall, roots: tuple[Path, ...], project_root: Path) -> tuple[CodePathArgument, ...]:
    literal = call.literal("code_paths")
    if literal is None or not isinstance(literal.value, tuple):
        return ()
    found = []
    for item in literal.value:
        if not isinstance(item.value, str) or not item.value.strip():
            continue
        text = item.value.strip()
        # Normalised: `../src` names `<root's parent>/src` (MLflow copies `abspath(entry)`).
        bases = (Path(text),) if Path(text).is_absolute() else roots
        candidates = [Path(os.path.normpath(base / text)) for base in bases]
        path = next((candidate for candidate in candidates if exists(candidate)), candidates[0])
        if item.anchored:
            outside = False  # built from the script's own location: no working directory involved
        elif Path(text).is_absolute():
            outside = not lexically_below(path, project_root)
        else:
            outside = climbs_out(text)
        found.append(CodePathArgument(text, path, item.span, item.path, outside, exists(path), item.anchored))
    return tuple(found)


def _code_dir(call: MlflowCall, code_paths: tuple[CodePathArgument, ...], model_code: ModelCode | None,
              graph: CodeGraph, roots: tuple[Path, ...]) -> tuple[dict[str, Path], frozenset[str]]:
    """``code/...`` (and the models-from-code file at the root) -> the project file it copies;
    and those copies whose file lies outside the project (:attr:`SavePlan.copied_from_outside`).

    A file of a walked ``code_paths`` directory is inside by construction (the walk leaves out
    symlinks leading out): a vendored package's 1,500 files are not resolved again one by one."""
    copies: dict[str, Path] = {}
    checked: set[str] = set()  # copies already known to lie inside the project
    for entry in code_paths:
        if not entry.exists:
            continue  # MLflow refuses to save: the training run fails loudly, not the model
        target = f"code/{entry.copied_as}"
        if not is_within(roots[-1], entry.path):
            # Outside the project (ML204 says so when written with `..`): never read or walked;
            # the would-be model gets an empty stand-in of that name, so imports of it still resolve.
            copies[target] = entry.path
            checked.discard(target)
        elif is_dir(entry.path):
            for file in _shipped_files(roots[-1], entry.path):
                copied = f"{target}/{file.relative_to(entry.path).as_posix()}"
                copies[copied] = file
                checked.add(copied)
        else:
            copies[target] = entry.path  # a later entry with the same basename wins, as in MLflow
            checked.add(target)
    infer = call.literal("infer_code_paths")
    if infer is not None and infer.value is True and not code_paths:
        cwd = roots[0]
        for file in graph.load_time_files:
            try:
                relative = file.relative_to(cwd)
            except ValueError:
                continue  # MLflow only copies modules below the working directory
            copies[f"code/{relative.as_posix()}"] = file
    if model_code is not None and model_code.kind == "code_file":
        copies[model_code.path.name] = model_code.path
        checked.discard(model_code.path.name)
    outside = frozenset(relative for relative, file in copies.items()
                        if relative not in checked and not is_within(roots[-1], file))
    return copies, outside


def _shipped_files(project_root: Path, directory: Path) -> list[Path]:
    """What a ``code_paths`` directory contributes that import checks can see (never a symlink
    leading out of the project)."""
    from modellint.analyzer.files import walk_inside

    return [path for path, inside in walk_inside(project_root, directory, lambda name: name != "__pycache__")
            if inside and (path.suffix == ".py" or path.name.endswith(_EXTENSION_SUFFIXES))]


def _project_python(project_root: Path) -> tuple[str, Origin | None]:
    """The Python the training run uses, and where the project pins it: the version
    `.python-version` names (its first line), else modellint's default (no origin)."""
    from modellint.analyzer.environment.declared import DEFAULT_PYTHON
    from modellint.analyzer.files import read_text

    path = project_root / ".python-version"
    text, _ = read_text(path, project_root)
    lines = text.splitlines() if text else []
    number, line = next(((index, line) for index, line in enumerate(lines, start=1) if line.strip()), (0, ""))
    first = line.strip()
    if first[:1].isdigit() and "." in first:
        column = line.index(first) + 1
        return first, Origin(path, Span(number, column, number, column + len(first)))
    return f"{DEFAULT_PYTHON[0]}.{DEFAULT_PYTHON[1]}", None


def _version_tuple(text: str) -> tuple[int, int]:
    from modellint.analyzer.environment.declared import DEFAULT_PYTHON
    from modellint.analyzer.model_layout import parse_version_tuple

    version = parse_version_tuple(text)
    return (version[0], version[1]) if version and len(version) >= 2 else DEFAULT_PYTHON


def _stdlib(python: tuple[int, int]) -> frozenset[str]:
    from modellint.analyzer.knowledge.stdlib import stdlib_modules

    try:
        return stdlib_modules(python)
    except ValueError:
        return frozenset()


def _third_party(module: str, stdlib: frozenset[str], roots: tuple[Path, ...], knowledge: KnowledgeBase) -> bool:
    """Whether MLflow's inference would pin a distribution for ``module``: not the standard
    library, MLflow or the project's own code. Nor a known-first-party module: that is the
    deployment's (not installed where the model trains, or declared the user's own way)."""
    top = module.split(".")[0]
    return (bool(top) and top not in stdlib and top != "mlflow" and resolve_module(top, roots) is None
            and not knowledge.is_first_party(module))
