"""The serialized files of a model dir (or one standalone file) and what loading them needs.

Every regular file is sniffed by content (``pickles.sniff``), whatever its name, except the
few files MLflow itself reads as text (MLmodel, the env files, ``*.py`` sources): those are
never unpickled, and a requirements list such as ``cloudpickle\\nmlflow`` happens to be a
valid start of a protocol-0 pickle.

``by_value_imports(model)`` is the fact the imports rules (ML201) consume: the modules that
code embedded by value in a pickle (cloudpickle ``_make_function`` / ``CodeType``) imports
when it runs, e.g. ``import tabulate`` inside a ``PythonModel.predict`` defined in a notebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.pickles import EmbeddedCode, ScanResult, scan_file, sniff
from modellint.findings import FILE_START, Span
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.analyzer.model_dir import ModelDir

_TEXT_SUFFIXES = (".py", ".pyi")
_SKIPPED_DIRS = frozenset({"__pycache__", ".git"})


class SerializedFile(Record):
    """One scanned file; ``relative`` is its POSIX path below the model dir (its name when standalone)."""

    __slots__ = ("path", "relative", "scan")

    def __init__(self, path: Path, relative: str, scan: ScanResult) -> None:
        self.path = path
        self.relative = relative
        self.scan = scan


class ByValueImport(Record):
    """A module imported by code stored by value in a pickle, when that code runs.

    ``path`` is the pickle, ``member`` the container member (None for the file itself),
    ``offset`` the byte offset of the ``CodeType`` call, ``qualname`` the function's
    qualified name (``MyModel.predict``) and ``python_minors`` the CPython minors the
    bytecode fits. Binary files have no lines: ``span`` is the file start.
    """

    __slots__ = ("module", "path", "member", "offset", "qualname", "python_minors", "span")

    def __init__(self, module: str, path: Path, member: str | None, offset: int, qualname: str | None,
                 python_minors: tuple[tuple[int, int], ...], span: Span = FILE_START) -> None:
        self.module = module
        self.path = path
        self.member = member
        self.offset = offset
        self.qualname = qualname
        self.python_minors = python_minors
        self.span = span


def scan_model_files(root: Path, text_files: set[str], files: list[Path] | None = None) -> list[SerializedFile]:
    """Scan every serialized file below ``root``; ``text_files`` are relative paths MLflow reads as text.

    ``files`` is the model dir's walk (:attr:`ModelDir.tree`) when the caller has it: regular
    files inside the root only, never a symlink leading out of it (those are reported, not read).
    """
    found = []
    for path in _regular_files(root) if files is None else files:
        relative = path.relative_to(root).as_posix()
        if relative in text_files or path.suffix in _TEXT_SUFFIXES:
            continue
        kind = sniff(path)
        if kind is not None:
            found.append(SerializedFile(path, relative, scan_file(path)))
    return found


def _regular_files(root: Path) -> list[Path]:
    """Regular files only (no FIFOs or devices, which would block or never end), in a stable order,
    none leading outside ``root`` through a symlink."""
    from modellint.analyzer.files import walk_inside

    return [path for path, inside in walk_inside(root, root, lambda name: name not in _SKIPPED_DIRS) if inside]


def model_text_files(model: ModelDir) -> set[str]:
    """The files of ``model`` that MLflow reads as text, never as serialized objects."""
    from modellint.analyzer.model_dir import MLMODEL, REQUIREMENTS

    return {MLMODEL, REQUIREMENTS, model.conda_file_name, model.python_env_file_name}


class StandaloneFile:
    """A serialized file linted on its own (``modellint check model.pkl``): no MLmodel, no environment.

    Offers the attributes of :class:`~modellint.analyzer.model_dir.ModelDir` that the rules able to
    judge a lone file read.
    """

    declared_python: tuple[int, int] | None = None

    def __init__(self, path: Path) -> None:
        self.root = path.parent
        self.serialized_files = [SerializedFile(path, path.name, scan_file(path))] if sniff(path) else []


def by_value_imports(model: ModelDir | StandaloneFile) -> list[ByValueImport]:
    """Every module imported by by-value code in the model's pickles, in file then offset order."""
    found: dict[tuple[str, Path, str | None, int], ByValueImport] = {}
    for serialized in model.serialized_files:
        for code in serialized.scan.embedded_code:
            for module in code.imports:
                found.setdefault((module, serialized.path, code.member, code.offset), _by_value(module, serialized, code))
    return list(found.values())


def _by_value(module: str, serialized: SerializedFile, code: EmbeddedCode) -> ByValueImport:
    return ByValueImport(module, serialized.path, code.member, code.offset, code.qualname, code.python_minors)


class LoadImport(Record):
    """The first reason a load imports one top-level module: a global, a ``subimport`` or a skops type."""

    __slots__ = ("module", "name", "where")

    def __init__(self, module: str, name: str, where: str) -> None:
        self.module = module
        self.name = name
        self.where = where  # "STACK_GLOBAL at byte 21", "subimport", "skops type in schema.json"


def load_time_imports(scan: ScanResult) -> dict[str, LoadImport]:
    """Top-level module -> first import of it that loading the file performs (not by-value code's own imports,
    which run only when that code runs: see :func:`by_value_imports`)."""
    found: dict[str, LoadImport] = {}
    for ref in scan.globals:
        where = f"{ref.opcode} at byte {ref.offset}" if ref.opcode != "skops" else "skops type"
        if ref.member:
            where += f" of `{ref.member}`"
        found.setdefault(ref.module.split(".")[0], LoadImport(ref.module, ref.name, where))
    for module in scan.subimports:
        found.setdefault(module.split(".")[0], LoadImport(module, module, "cloudpickle subimport"))
    found.pop("", None)
    return found
