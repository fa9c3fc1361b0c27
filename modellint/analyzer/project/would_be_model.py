"""The model dir MLflow would write for one save/log call: its own files written to a temporary
directory, the code it copies from the project only mapped (nothing of it written).

The files are those of a :class:`~modellint.analyzer.project.simulation.SavePlan`: the env files,
MLmodel, the copied code. Every line written has an :class:`Origin`: the project literal it comes
from, or the call itself for a line MLflow writes on its own (``generated``), so that whatever is
said about a line can be said about the project's. Nothing is ever written into the project.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.files import exists, is_dir
from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.project.written_requirements import Origin, conda_yaml

if TYPE_CHECKING:
    from modellint.analyzer.code.scans import CodeCopies
    from modellint.analyzer.code.source_imports import ModuleScan
    from modellint.analyzer.environment.environment_settings import EnvironmentSettings
    from modellint.analyzer.project.simulation import SavePlan
    from modellint.analyzer.serialized.inventory import SerializedFile

# How the simulated python_model.pkl refers to a class or function: by module and name, as
# cloudpickle does; no byte offset of it means anything (the file is not the one MLflow writes).
SIMULATED_OPCODE = "STACK_GLOBAL"
SIMULATED_PICKLE = "python_model.pkl"
# Flavors whose save/log writes no `python_function` flavor at all: `mlflow.mleap` (MLflow 2.x;
# `add_to_model` adds only its own flavor; MLflow 3 removed it).
FLAVORS_WITHOUT_PYFUNC = frozenset({"mleap"})


class WouldBeModel(ModelDir):
    """The model dir MLflow would write for one training call: its small files (MLmodel, the env
    files) in a temporary dir, its code dir only as copies of the project's files
    (:attr:`code_copies`), never written.

    ``origins`` maps each written file (relative POSIX path) to the origin of each of its lines;
    a copied file is in ``plan.copies`` instead.
    """

    def __init__(self, root: Path, plan: SavePlan, origins: dict[str, list[Origin]],
                 settings: EnvironmentSettings | None = None, code_copies: CodeCopies | None = None) -> None:
        super().__init__(root, settings=settings)
        self.training = plan.training
        self.plan = plan
        self.origins = origins
        self.code_copies = code_copies

    @cached_property
    def code_directories(self) -> list[Path]:
        """The code dirs MLmodel names, once each: folders of :attr:`code_copies`."""
        copies = self.code_copies
        return [directory for directory in dict.fromkeys(self.root / relative for _, relative in self.code_dirs)
                if copies is not None and copies.is_dir(directory)]

    @cached_property
    def tree(self) -> tuple[list[Path], list[Path]]:
        """The written files, then the code dir's copies, as a walk of the model MLflow writes
        lists them (copies are never links)."""
        from modellint.analyzer.model_layout import model_tree, walked_dir

        files, links_out = model_tree(self.root)
        copies = self.code_copies
        if copies is not None and copies.is_dir(self.root / "code"):
            files = [*files, *copies.walk(self.root / "code", walked_dir)]
        return files, links_out

    def _in_code_dir(self, directory: Path, name: str, present=exists) -> bool:
        copies, path = self.code_copies, directory / name
        return copies is not None and (copies.is_dir(path) if present is is_dir else copies.exists(path))

    def _code_dir_names(self, directory: Path) -> list[str]:
        return list(self.code_copies.listing.get(directory, ())) if self.code_copies is not None else []

    @property
    def source_python(self) -> tuple[int, int] | None:
        """The Python the copied code must parse under: the project's pinned one. Without a pin
        MLflow records the training interpreter, which ran the code: nothing to compare with."""
        return self.declared_python if self.plan.python_pinned else None

    @cached_property
    def code_scans(self) -> tuple[ModuleScan, ...]:
        """The code dir as MLflow would write it, plus the by-value class read from its source.

        A real model has the class's bytecode inside ``python_model.pkl``; the would-be model has
        no pickle to read, so the scan of the class's own lines in the project stands in for it
        (its findings then point at the project file, where the fix belongs). It is an entry point
        as the pickled code is: of a vendored package in ``code_paths``, only what it can import
        is judged, as in the model dir MLflow writes.
        """
        return self._scan_code(self.plan.by_value_scans, self.code_copies)

    @cached_property
    def serialized_files(self) -> list[SerializedFile]:
        """``python_model.pkl`` as cloudpickle would write it: references to the modules loading imports."""
        from modellint.analyzer.serialized.inventory import SerializedFile
        from modellint.analyzer.serialized.pickles import GlobalRef, ScanResult

        code = self.plan.training.model_code
        if code is None or code.kind != "class":
            return []
        refs = []
        if code.module is not None:
            refs.append(GlobalRef(code.module, code.class_name or "", 0, None, SIMULATED_OPCODE))
        for obj in code.pickled_objects:
            module, _, name = obj.qualified_name.rpartition(".")
            refs.append(GlobalRef(module, name, 0, None, SIMULATED_OPCODE))
        if not refs:
            return []
        path = self.root / SIMULATED_PICKLE
        scan = ScanResult(path, "pickle", tuple(refs), (), (), (), (), ())
        return [SerializedFile(path, SIMULATED_PICKLE, scan)]


@contextmanager
def would_be_model(plan: SavePlan, settings: EnvironmentSettings | None = None) -> Iterator[WouldBeModel]:
    """The model ``plan`` describes, its small files written to a temporary directory that is
    removed on exit; ``settings`` are the user's known-first-party / module-distributions settings."""
    directory = _private_directory("modellint-would-be-")
    try:
        origins, copies = _write(plan, directory)
        yield WouldBeModel(directory, plan, origins, settings, copies)
    finally:
        _remove_tree(directory)


def _private_directory(prefix: str) -> Path:
    """A new directory only this user can enter, as ``tempfile.mkdtemp`` makes it, in the first
    temporary directory the environment names (else ``/tmp``). ``tempfile`` itself imports
    ``shutil``, ``bz2``, ``lzma`` and ``random``: 1 MB of a project run's peak; it is asked only
    when that place refuses the directory."""
    base = next((os.environ[name] for name in ("TMPDIR", "TEMP", "TMP") if os.environ.get(name)),
                "/tmp" if os.name == "posix" else None)
    for _ in range(10 if base else 0):
        path = Path(os.path.abspath(base or ""), prefix + os.urandom(6).hex())  # absolute, as mkdtemp's
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        except OSError:
            break
        return path
    import tempfile

    return Path(tempfile.mkdtemp(prefix=prefix))


def _remove_tree(directory: Path) -> None:
    """Remove ``directory`` and what is in it, never following a symlink; what cannot be removed
    stays (``shutil.rmtree(..., ignore_errors=True)`` without importing ``shutil``)."""
    try:
        with os.scandir(directory) as entries:
            for entry in list(entries):
                if entry.is_dir(follow_symlinks=False):
                    _remove_tree(Path(entry.path))
                else:
                    try:
                        os.unlink(entry.path)
                    except OSError:
                        pass
        os.rmdir(directory)
    except OSError:
        pass


def _write(plan: SavePlan, directory: Path) -> tuple[dict[str, list[Origin]], CodeCopies]:
    """The files of the would-be model in ``directory``, the origin of each line written, and the
    copies of project files (:func:`_copies`)."""
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
    # Its `python:` line says the Python the project pins, where the project pins it.
    origins["python_env.yaml"] = [plan.python_origin or call_origin] + [call_origin] * (python_env.count("\n") - 1)
    if requirements.constraints:
        _write_text(directory / "constraints.txt", "\n".join(line for line, _ in requirements.constraints))
        origins["constraints.txt"] = [origin for _, origin in requirements.constraints]
    mlmodel = _mlmodel(plan)
    _write_text(directory / "MLmodel", mlmodel)
    origins["MLmodel"] = [call_origin] * mlmodel.count("\n")
    return origins, _copies(plan, directory)


def _copies(plan: SavePlan, directory: Path) -> CodeCopies:
    """The copied files of the would-be model in ``directory``. Those of the code dir are not
    written: they are :class:`~modellint.analyzer.code.scans.CodeCopies` of the project's files
    (a code path outside the project by its name only, an empty file or folder). The
    models-from-code file at the root is written as a stand-in (:func:`_stand_in`), since the
    model dir's own questions (is there such a file?) look for it on disk."""
    from modellint.analyzer.code.scans import CodeCopies

    files: dict[Path, Path | None] = {}
    listing: dict[Path, set[str]] = {}
    for relative, source in plan.copies.items():
        target = directory / relative
        outside = relative in plan.copied_from_outside  # its name, not its content
        if "/" not in relative:
            if outside:
                target.mkdir(exist_ok=True) if is_dir(source) else target.write_bytes(b"")
            elif _stand_in(source, target):
                files[target] = source
            else:
                _copy(source, target)
            continue
        if outside and is_dir(source):
            listing.setdefault(target, set())
        else:
            files[target] = None if outside else source
        child = target
        for folder in target.parents:  # each folder up to the code dir lists what is in it
            if folder == directory:
                break
            names = listing.setdefault(folder, set())
            if child.name in names:
                break  # an earlier file listed this folder in its parents, and each one above
            names.add(child.name)
            child = folder
    return CodeCopies(files, {folder: tuple(sorted(names)) for folder, names in listing.items()},
                      plan.training.project_root)


def _copy(source: Path, target: Path) -> None:
    import shutil  # only a copied file that is no Python source: an extension module, data

    try:
        shutil.copyfile(source, target)
    except OSError:
        target.write_bytes(b"")


def _stand_in(source: Path, target: Path) -> bool:
    """Whether ``target`` was written as a stand-in for the project source file ``source``: an
    empty file of its size, whose bytes the import scan reads from ``source`` itself (only the
    scan reads a copied ``.py`` file). The project file is opened only to read, never linked or
    touched. A file that is not regular and readable is copied as before (``copyfile`` refuses a
    FIFO, and the caller writes it empty)."""
    if not target.name.endswith(".py"):
        return False  # an extension module's bytes are read by other rules
    try:
        info = os.stat(source)  # through a symlink, as copyfile reads
        if not stat.S_ISREG(info.st_mode) or not os.access(source, os.R_OK):
            return False
        with open(target, "wb") as handle:
            handle.truncate(info.st_size)
    except OSError:
        return False
    return True


def _write_text(path: Path, text: str) -> None:
    path.write_bytes(text.encode())


def _mlmodel(plan: SavePlan) -> str:
    import json

    call, code = plan.training.call, plan.training.model_code
    has_code = any(relative.startswith("code/") for relative in plan.copies)
    lines = ["flavors:"]
    if call.flavor in FLAVORS_WITHOUT_PYFUNC:
        lines += [f"  {call.flavor}:", f"    code: {'code' if has_code else 'null'}"]
        return "\n".join(lines) + "\n"
    lines.append("  python_function:")
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
        lines.append(f"    python_model: {SIMULATED_PICKLE}")
    lines.append(f"    python_version: {json.dumps(plan.python)}")
    if call.flavor != "pyfunc":
        lines += [f"  {call.flavor}:", f"    code: {'code' if has_code else 'null'}"]
    if plan.mlflow_version is not None:
        lines.append(f"mlflow_version: {json.dumps(plan.mlflow_version)}")
    return "\n".join(lines) + "\n"
