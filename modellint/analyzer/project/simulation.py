"""Training-project mode: lint the model a project's ``save_model``/``log_model`` calls would write.

For each call modellint reads the literal arguments, finds the code the model will run (the
``PythonModel`` class and what it imports, a models-from-code file, a ``loader_module``), and
simulates what MLflow writes: ``code_paths`` copied by basename into ``code/``, the requirement
lists (inferred from what loading imports, or the user's), ``mlflow==`` added. That would-be
model is written to a temporary directory (never into the project), linted by the same rules as
any model dir, and every finding is mapped back to the project line it comes from: the call,
an argument, or an import in the project's own files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.files import exists, is_dir, is_within
from modellint.analyzer.project.log_calls import MlflowCall, SourceFile, Unreadable, read_source
from modellint.analyzer.project.python_model import ModelCode, resolve_model_code
from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.project.sources import call_candidates, climbs_out, package_of, resolve_module
from modellint.analyzer.project.written_requirements import (
    NotLiteral,
    Origin,
    SimulatedRequirements,
    conda_python,
    conda_yaml,
    flavor_defaults,
    inferred_requirements,
    recorded_mlflow_version,
    simulate_requirements,
)
from modellint.findings import Finding, Fix, Span
from modellint.record import Record
from modellint.rules import ENTRIES_BY_CODE

if TYPE_CHECKING:
    from modellint.analyzer.environment.import_settings import ImportSettings

_EXTENSION_SUFFIXES = (".so", ".pyd")
_SIMULATED_OPCODE = "STACK_GLOBAL"  # how cloudpickle refers to a class or function by module and name


class CodePathArgument(Record):
    """One ``code_paths`` entry as written, and what it names on disk."""

    __slots__ = ("text", "path", "span", "source", "outside_project", "exists", "anchored")

    def __init__(self, text: str, path: Path, span: Span, source: Path, outside_project: bool, exists: bool,
                 anchored: bool = False) -> None:
        self.text = text
        self.path = path
        self.span = span
        self.source = source
        self.outside_project = outside_project
        self.exists = exists
        self.anchored = anchored  # built from ``__file__``: ``text`` is the absolute path it names

    @property
    def copied_as(self) -> str:
        """MLflow keeps only the basename of the absolute path: ``src/utils.py`` -> ``code/utils.py``,
        ``../src`` -> ``code/src``."""
        return Path(_absolute(self.path)).name


class TrainingCall(Record):
    """The facts about one save/log call that only the training project shows.

    Rules reach it as ``model.training`` on the would-be model (None on a real model dir).
    ``predict_time_imports`` are imports in the code the model runs that execute only when
    it predicts (inside ``predict`` or helpers), which MLflow's requirement inference sees
    only when the call gives an ``input_example``.
    """

    __slots__ = ("call", "project_root", "code_paths", "model_code", "infers_requirements", "has_input_example",
                 "requirements_known", "predict_time_imports")

    def __init__(self, call: MlflowCall, project_root: Path, code_paths: tuple[CodePathArgument, ...],
                 model_code: ModelCode | None, infers_requirements: bool, has_input_example: bool,
                 requirements_known: bool, predict_time_imports: tuple = ()) -> None:
        self.call = call
        self.project_root = project_root
        self.code_paths = code_paths
        self.model_code = model_code
        self.infers_requirements = infers_requirements
        self.has_input_example = has_input_example
        self.requirements_known = requirements_known
        self.predict_time_imports = predict_time_imports


class _Plan(Record):
    """Everything needed to write the would-be model and map its findings back."""

    __slots__ = ("training", "requirements", "python", "mlflow_version", "copies", "by_value_scans", "python_pinned")

    def __init__(self, training: TrainingCall, requirements: SimulatedRequirements, python: str,
                 mlflow_version: str | None, copies: dict[str, Path] | None = None,
                 by_value_scans: tuple = (), python_pinned: bool = False) -> None:
        self.training = training
        self.requirements = requirements
        self.python = python
        self.mlflow_version = mlflow_version  # None: no exact MLflow pin, so MLmodel records none
        self.copies = {} if copies is None else copies  # relative path in the model -> project file
        self.by_value_scans = by_value_scans  # ModuleScans of the by-value class (only its lines)
        # Whether the project names the Python (.python-version, the conda env): else `python` is
        # modellint's default, and MLflow records whatever the training run used.
        self.python_pinned = python_pinned


class WouldBeModel(ModelDir):
    """The model dir MLflow would write for one training call (files in a temporary dir)."""

    def __init__(self, root: Path, plan: _Plan, imports: ImportSettings | None = None) -> None:
        super().__init__(root, imports=imports)
        self.training = plan.training
        self._plan = plan

    @property
    def source_python(self) -> tuple[int, int] | None:
        """The Python the copied code must parse under: the project's pinned one. Without a pin
        MLflow records the training interpreter, which ran the code: nothing to compare with."""
        return self.declared_python if self._plan.python_pinned else None

    @cached_property
    def code_scans(self) -> tuple:
        """The code dir as MLflow would write it, plus the by-value class read from its source.

        A real model has the class's bytecode inside ``python_model.pkl``; the would-be model has
        no pickle to read, so the scan of the class's own lines in the project stands in for it
        (its findings then point at the project file, where the fix belongs).
        """
        return (*super().code_scans, *self._plan.by_value_scans)

    @cached_property
    def serialized_files(self) -> list:
        """``python_model.pkl`` as cloudpickle would write it: references to the modules loading imports."""
        from modellint.analyzer.serialized.pickles import GlobalRef, ScanResult
        from modellint.analyzer.serialized.inventory import SerializedFile

        code = self.training.model_code
        if code is None or code.kind != "class":
            return []
        refs = []
        if code.module is not None:
            refs.append(GlobalRef(code.module, code.class_name or "", 0, None, _SIMULATED_OPCODE))
        for obj in code.pickled_objects:
            module, _, name = obj.qualified_name.rpartition(".")
            refs.append(GlobalRef(module, name, 0, None, _SIMULATED_OPCODE))
        if not refs:
            return []
        path = self.root / "python_model.pkl"
        scan = ScanResult(path, "pickle", tuple(refs), (), (), (), (), ())
        return [SerializedFile(path, "python_model.pkl", scan)]


# --------------------------------------------------------------------------- public entry point


def lint_project(root: Path, rules: Iterable[type], imports: ImportSettings | None = None) -> list[Finding]:
    """Findings for every save/log call in the project at ``root`` (a directory or one file);
    ``imports`` are the user's known-first-party / module-distributions settings."""
    rules = [rule for rule in rules if _applies_to_projects(rule)]
    findings: dict[tuple, Finding] = {}
    project_root = root if root.is_dir() else root.parent
    _calls_found[root] = False
    for source in _candidate_sources(root):
        if isinstance(source, Unreadable):
            found = _unreadable(source, rules)
        else:
            calls = source.mlflow_calls()
            _calls_found[root] = _calls_found[root] or bool(calls)
            found = [finding for call in calls
                     for finding in _lint_plan(_plan(call, source, project_root, imports), rules, imports)]
        for finding in found:
            findings.setdefault((finding.code, finding.path, finding.span, finding.message), finding)
    return sorted(findings.values(), key=lambda finding: finding.sort_key)


def _unreadable(source: Unreadable, rules: list[type]) -> list[Finding]:
    """A file that may save a model but does not parse: said once, as info, like any code file
    whose imports cannot be checked (ML201); the training run itself will show the error."""
    from modellint.findings import Severity

    for rule in rules:
        if ENTRIES_BY_CODE[rule.code].reports_unparseable_project_file:
            return [rule().finding(source.path, f"cannot check the model this file may save: {source.message}",
                                   source.span, severity=Severity.INFO)]
    return []


def training_calls(root: Path) -> list[TrainingCall]:
    """The save/log calls of a project with their facts (for tests and tools)."""
    return [plan.training for plan in training_plans(root)]


def _applies_to_projects(rule: type) -> bool:
    return ENTRIES_BY_CODE[rule.code].training_project  # about what a training call controls


def training_plans(root: Path, imports: ImportSettings | None = None) -> Iterator[_Plan]:
    project_root = root if root.is_dir() else root.parent
    for source in _candidate_sources(root):
        if isinstance(source, SourceFile):
            for call in source.mlflow_calls():
                yield _plan(call, source, project_root, imports)


def _candidate_sources(root: Path) -> Iterator[SourceFile | Unreadable]:
    """The parsed files that may save or log a model (selected by a byte search first)."""
    for path in call_candidates(root):
        yield read_source(path)


# --------------------------------------------------------------------------- simulation


def _plan(call: MlflowCall, source: SourceFile, project_root: Path, imports: ImportSettings | None = None) -> _Plan:
    from modellint.analyzer.knowledge.distributions import load

    knowledge = load().configured(imports)
    roots = tuple(dict.fromkeys((source.path.parent, project_root)))
    code_paths = _code_paths(call, roots, project_root)
    model_code = resolve_model_code(call, source, roots) if call.flavor == "pyfunc" else None
    has_example = call.given("input_example") or call.opaque
    infers = not (call.given("pip_requirements") or call.given("conda_env"))
    graph = _CodeGraph(roots)
    by_value_scans = graph.model_code_scans(model_code)
    load_modules, predict_facts = graph.runtime_imports(model_code, by_value_scans)
    # What MLflow pins when the call names no mlflow requirement: the installed version, which a
    # static reading cannot see; the newest known release stands in (that line is MLflow's own,
    # so no ML1xx finding is ever reported on it).
    newest_mlflow = knowledge.version("mlflow") or "3"
    python, pinned = _project_python(project_root)
    inference_fails = model_code is not None and model_code.kind == "loader_module"  # mlflow#14145
    # Unpickling the model imports the modules of the objects it holds: inference sees them.
    pickled = [obj.qualified_name.rpartition(".")[0] for obj in (model_code.pickled_objects if model_code else ())]
    modules = [] if inference_fails else [*load_modules, *pickled,
                                          *(fact.module for fact in predict_facts if has_example)]
    python_tuple = _version_tuple(python)
    stdlib = _stdlib(python_tuple)
    # A known-first-party module is the deployment's: MLflow's inference would not pin it either
    # (it is not installed where the model trains, or the user declares it their own way).
    third_party = [module for module in modules
                   if _third_party(module, stdlib, roots) and not knowledge.is_first_party(module)]
    inferred = inferred_requirements(third_party, flavor_defaults(call.flavor, call.arguments, knowledge),
                                     knowledge, python_tuple)
    call_origin = Origin(call.path, call.span)
    try:
        requirements = simulate_requirements(call.arguments, call_origin, roots, inferred, newest_mlflow)
        known = not call.opaque or not infers
    except NotLiteral:
        requirements = simulate_requirements({}, call_origin, roots, [], newest_mlflow)
        known = False
    pinned = pinned or bool(conda_python(requirements))
    python = conda_python(requirements) or python
    training = TrainingCall(call, project_root, code_paths, model_code, infers, has_example, known,
                            tuple(fact for fact in predict_facts if _third_party(fact.module, stdlib, roots)
                                  and not knowledge.is_first_party(fact.module)))
    copies = _code_dir(call, code_paths, model_code, graph, roots)
    return _Plan(training, requirements, python, recorded_mlflow_version(requirements), copies, by_value_scans, pinned)


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
            outside = not _is_below(path, project_root)
        else:
            outside = climbs_out(text)
        found.append(CodePathArgument(text, path, item.span, item.path, outside, exists(path), item.anchored))
    return tuple(found)


def _is_below(path: Path, root: Path) -> bool:
    try:
        Path(_absolute(path)).relative_to(_absolute(root))
    except ValueError:
        return False
    return True


def _absolute(path: Path) -> str:
    return os.path.normpath(os.path.abspath(path))


def _code_dir(call: MlflowCall, code_paths: tuple[CodePathArgument, ...], model_code: ModelCode | None,
              graph: _CodeGraph, roots: tuple[Path, ...]) -> dict[str, Path]:
    """``code/...`` (and the models-from-code file at the root) -> the project file it copies."""
    copies: dict[str, Path] = {}
    for entry in code_paths:
        if not entry.exists:
            continue  # MLflow refuses to save: the training run fails loudly, not the model
        target = f"code/{entry.copied_as}"
        if not is_within(roots[-1], entry.path):
            # Outside the project (ML204 says so when written with `..`): never read or walked;
            # `_write` puts an empty stand-in of that name, so imports of it still resolve.
            copies[target] = entry.path
        elif is_dir(entry.path):
            for file in _shipped_files(roots[-1], entry.path):
                copies[f"{target}/{file.relative_to(entry.path).as_posix()}"] = file
        else:
            copies[target] = entry.path  # a later entry with the same basename wins, as in MLflow
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
    return copies


def _shipped_files(project_root: Path, directory: Path) -> list[Path]:
    """What a ``code_paths`` directory contributes that import checks can see (never a symlink
    leading out of the project)."""
    from modellint.analyzer.files import walk_inside

    return [path for path, inside in walk_inside(project_root, directory, lambda name: name != "__pycache__")
            if inside and (path.suffix == ".py" or path.name.endswith(_EXTENSION_SUFFIXES))]


def _project_python(project_root: Path) -> tuple[str, bool]:
    """The Python the training run uses, and whether the project pins it: the version
    `.python-version` names, else modellint's default."""
    from modellint.analyzer.environment.declared import DEFAULT_PYTHON
    from modellint.analyzer.files import read_text

    text, _ = read_text(project_root / ".python-version", project_root)
    first = text.strip().splitlines()[0].strip() if text and text.strip() else ""
    if first[:1].isdigit() and "." in first:
        return first, True
    return f"{DEFAULT_PYTHON[0]}.{DEFAULT_PYTHON[1]}", False


def _version_tuple(text: str) -> tuple[int, int]:
    from modellint.analyzer.environment.declared import DEFAULT_PYTHON
    from modellint.analyzer.model_dir import parse_version_tuple

    version = parse_version_tuple(text)
    return (version[0], version[1]) if version and len(version) >= 2 else DEFAULT_PYTHON


def _stdlib(python: tuple[int, int]) -> frozenset[str]:
    from modellint.analyzer.knowledge.distributions import stdlib_modules

    try:
        return stdlib_modules(python)
    except ValueError:
        return frozenset()


def _third_party(module: str, stdlib: frozenset[str], roots: tuple[Path, ...]) -> bool:
    top = module.split(".")[0]
    return bool(top) and top not in stdlib and top != "mlflow" and resolve_module(top, roots) is None


class _CodeGraph:
    """Import facts of the code the model runs, following first-party modules lazily."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        self.roots = roots
        self._scans: dict[Path, object] = {}
        self.load_time_files: list[Path] = []

    def scan(self, path: Path):
        if path not in self._scans:
            from modellint.analyzer.code.source_imports import scan_file

            # The roots end with the project root: a file resolving outside it is never read.
            self._scans[path] = scan_file(path, package=package_of(path, self.roots), root=self.roots[-1])
        return self._scans[path]

    def model_code_scans(self, code: ModelCode | None) -> tuple:
        """For a by-value class: the scan of its file, restricted to what is pickled with it."""
        if code is None or not code.by_value or code.source is None:
            return ()
        scan = self.scan(code.path)
        referenced = {code.source.aliases[name] for name in code.referenced_names if name in code.source.aliases}
        kept = tuple(fact for fact in scan.imports
                     if code.runs_line(fact.span.line) or (not fact.lazy and _binds_any(fact, referenced)))
        changes = {"imports": kept,
                   "dynamic_unknown": tuple(span for span in scan.dynamic_unknown if code.runs_line(span.line))}
        calls = getattr(scan, "calls", None)
        if calls is not None:
            changes["calls"] = tuple(c for c in calls if code.runs_line(_line_of(c)))
        return (scan.replace(**changes),)

    def runtime_imports(self, code: ModelCode | None, by_value_scans: tuple) -> tuple[list[str], list]:
        """Modules imported while the model loads, and the import facts that run only in predict."""
        load: list[str] = []
        predict: list = []
        if code is None:
            return load, predict
        if code.by_value:
            facts = [fact for scan in by_value_scans for fact in scan.imports]
        elif code.kind == "loader_module":
            path = resolve_module(code.module or "", self.roots)
            facts = list(self.scan(path).imports) if path and path.is_file() else []
            code = code.replace(path=path or code.path, source=_parsed(path)) if path and path.is_file() else code
        else:
            facts = list(self.scan(code.path).imports)
            self._note_load_file(code.path)
        pending: list[tuple] = []
        for fact in facts:
            if fact.type_checking or fact.optional:
                continue
            phase = "load" if (code.by_value and not fact.lazy) else code.phase(fact.span.line)
            if phase == "load":
                pending.append(fact)
            elif phase == "predict":
                predict.append(fact)
        seen: set[Path] = set()
        while pending:
            fact = pending.pop(0)
            module = self._absolute_module(fact)
            load.append(module)
            for target in self._first_party_targets(module, fact):
                if target in seen:
                    continue
                seen.add(target)
                self._note_load_file(target)
                pending.extend(f for f in self.scan(target).imports
                               if not (f.lazy or f.type_checking or f.optional))
        # A first-party module that predict imports runs its module-level imports then, too:
        # `from src.utils import render` inside predict imports whatever src/utils.py imports.
        pending = list(predict)
        while pending:
            fact = pending.pop(0)
            for target in self._first_party_targets(self._absolute_module(fact), fact):
                if target in seen:
                    continue
                seen.add(target)
                found = [f for f in self.scan(target).imports if not (f.lazy or f.type_checking or f.optional)]
                predict.extend(found)
                pending.extend(found)
        return load, predict

    def _note_load_file(self, path: Path) -> None:
        """A first-party file imported while loading, with its packages' ``__init__`` files."""
        for file in [path, *(parent / "__init__.py" for parent in path.parents)]:
            if not any(_is_below(file, root) and file != root for root in self.roots):
                break
            if file.is_file() and file not in self.load_time_files:
                self.load_time_files.append(file)

    def _absolute_module(self, fact) -> str:
        if not getattr(fact, "level", 0):
            return fact.module
        package = package_of(fact.path, self.roots) or ""
        parts = package.split(".") if package else []
        base = parts[: len(parts) - (fact.level - 1)] if fact.level > 1 else parts
        return ".".join([*base, fact.module] if fact.module else base)

    def _first_party_targets(self, module: str, fact) -> list[Path]:
        targets = []
        for name in [module, *(f"{module}.{item}" for item in getattr(fact, "names", ()) or ())]:
            path = resolve_module(name, self.roots) if name else None
            if path is not None and path.is_file() and path.suffix == ".py":
                targets.append(path)
        return targets


def _parsed(path: Path | None) -> SourceFile | None:
    if path is None:
        return None
    parsed = read_source(path)
    return parsed if isinstance(parsed, SourceFile) else None


def _binds_any(fact, referenced: set[str]) -> bool:
    module = fact.module
    return any(target == module or target.startswith(module + ".") or module.startswith(target + ".")
               for target in referenced)


def _line_of(call_fact) -> int:
    span = getattr(call_fact, "span", None)
    return span.line if span is not None else 0


# --------------------------------------------------------------------------- writing and mapping


def _lint_plan(plan: _Plan, rules: list[type], imports: ImportSettings | None = None) -> list[Finding]:
    if not plan.training.requirements_known:
        rules = [rule for rule in rules if ENTRIES_BY_CODE[rule.code].environment_free]
    directory = Path(tempfile.mkdtemp(prefix="modellint-would-be-"))
    try:
        origins = _write(plan, directory)
        model = WouldBeModel(directory, plan, imports)
        found = []
        for rule in rules:
            for finding in rule().check(model):
                mapped = _map_back(finding, directory, plan, origins)
                if mapped is not None:
                    found.append(mapped)
        return found
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _write(plan: _Plan, directory: Path) -> dict[str, list[Origin]]:
    call = plan.training.call
    call_origin = Origin(call.path, call.span, generated=True)
    requirements = plan.requirements
    origins: dict[str, list[Origin]] = {}
    _write_text(directory / "requirements.txt", "\n".join(requirements.lines))
    origins["requirements.txt"] = list(requirements.origins)
    conda_text, conda_origins = conda_yaml(requirements, plan.python, call_origin)
    _write_text(directory / "conda.yaml", conda_text)
    origins["conda.yaml"] = conda_origins
    python_env = f"python: {plan.python}\nbuild_dependencies:\n- pip\n- setuptools\n- wheel\ndependencies:\n- -r requirements.txt\n"
    _write_text(directory / "python_env.yaml", python_env)
    origins["python_env.yaml"] = [call_origin] * python_env.count("\n")
    if requirements.constraints:
        _write_text(directory / "constraints.txt", "\n".join(line for line, _ in requirements.constraints))
        origins["constraints.txt"] = [origin for _, origin in requirements.constraints]
    mlmodel = _mlmodel(plan)
    _write_text(directory / "MLmodel", mlmodel)
    origins["MLmodel"] = [call_origin] * mlmodel.count("\n")
    project_root = plan.training.project_root
    for relative, source in plan.copies.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not is_within(project_root, source):  # a code path outside the project: its name, not its content
            target.mkdir(exist_ok=True) if is_dir(source) else target.write_bytes(b"")
            continue
        try:
            shutil.copyfile(source, target)
        except OSError:
            target.write_bytes(b"")
    return origins


def _write_text(path: Path, text: str) -> None:
    path.write_bytes(text.encode())


def _mlmodel(plan: _Plan) -> str:
    import json

    call, code = plan.training.call, plan.training.model_code
    has_code = any(relative.startswith("code/") for relative in plan.copies)
    lines = ["flavors:", "  python_function:"]
    if has_code:
        lines.append("    code: code")
    lines += ["    env:", "      conda: conda.yaml", "      virtualenv: python_env.yaml"]
    if call.flavor != "pyfunc":
        loader = f"mlflow.{call.flavor}"
    elif code is not None and code.kind == "loader_module":
        loader = code.module or "mlflow.pyfunc.model"
    else:
        loader = "mlflow.pyfunc.model"
    lines.append(f"    loader_module: {json.dumps(loader)}")
    if code is not None and code.kind == "code_file":
        lines.append(f"    model_code_path: {json.dumps(str(code.path))}")
    elif code is not None and code.kind == "class":
        lines.append("    python_model: python_model.pkl")
    lines.append(f"    python_version: {json.dumps(plan.python)}")
    if call.flavor != "pyfunc":
        lines += [f"  {call.flavor}:", f"    code: {'code' if has_code else 'null'}"]
    if plan.mlflow_version is not None:
        lines.append(f"mlflow_version: {json.dumps(plan.mlflow_version)}")
    return "\n".join(lines) + "\n"


def _map_back(finding: Finding, directory: Path, plan: _Plan, origins: dict[str, list[Origin]]) -> Finding | None:
    """The finding on the project's own files; None for one about a line MLflow writes itself.

    A fix survives when it edits project files (ML203, ML204, ML209 rewrite the call's
    literals), or is moved onto the project literal a written line comes from (ML103's channel);
    one left on the temporary would-be model would change nothing the user keeps.
    """
    original_fix = finding.fix
    if finding.fix is not None and any(_is_below(edit.path, directory) for edit in finding.fix.edits):
        finding = finding.replace(fix=None)
    try:
        relative = finding.path.relative_to(directory).as_posix()
    except ValueError:
        return finding  # already about a project file (the by-value class, a code_paths literal)
    call = plan.training.call
    if relative in plan.copies:
        return finding.replace(path=plan.copies[relative])
    lines = origins.get(relative)
    if lines is not None:
        index = finding.span.line - 1
        origin = lines[index] if 0 <= index < len(lines) else Origin(call.path, call.span, generated=True)
        if origin.generated and ENTRIES_BY_CODE[finding.code].project_lines_only:
            return None
        fix = _retargeted_fix(original_fix, directory, origins) if original_fix is not None else None
        return finding.replace(path=origin.path, span=origin.span, fix=fix)
    if relative == "python_model.pkl":
        # The pickle is simulated: say so, instead of a byte offset into a file that does not exist.
        message = finding.message.replace(f"{_SIMULATED_OPCODE} at byte 0", "pickled by reference").replace(
            "`python_model.pkl`", "the `python_model.pkl` this call writes")
        argument = call.literal("python_model")
        return finding.replace(path=call.path, span=argument.span if argument else call.span, message=message,
                               fix=None)
    return finding.replace(path=call.path, span=call.span, fix=None)


# Whether lint_project saw a save/log call, per root: the engine asks right after linting a
# project without findings, and a monorepo's byte search should not run twice for the answer.
_calls_found: dict[Path, bool] = {}


def _retargeted_fix(fix: Fix, directory: Path, origins: dict[str, list[Origin]]) -> Fix | None:
    """A fix of a generated file (``conda.yaml``: `defaults` -> `conda-forge`) made to the project
    literal that line came from; None when any edit spans lines, touches a line MLflow writes
    itself, or cannot be matched to exactly one place in the literal."""
    from modellint.analyzer.files import read_text
    from modellint.fixes.project_edits import retarget_edit

    edits = []
    for edit in fix.edits:
        try:
            relative = edit.path.relative_to(directory).as_posix()
        except ValueError:
            return None
        text, _ = read_text(edit.path)
        old = text[edit.start:edit.end] if text is not None else ""
        if not old or "\n" in old or "\n" in edit.content:
            return None
        line = text.count("\n", 0, edit.start)
        lines = origins.get(relative, [])
        origin = lines[line] if line < len(lines) else None
        if origin is None or origin.generated:
            return None
        moved = retarget_edit(old, edit.content, origin.path, origin.span)
        if moved is None:
            return None
        edits.append(moved)
    return Fix(fix.title, tuple(edits), fix.applicability)


def has_training_calls(root: Path) -> bool:
    """Whether the project at ``root`` saves or logs a model anywhere modellint can see."""
    if root in _calls_found:
        return _calls_found[root]
    for path in call_candidates(root):
        source = read_source(path)
        if isinstance(source, SourceFile) and source.mlflow_calls():
            return True
    return False
