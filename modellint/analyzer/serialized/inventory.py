"""The serialized files of a model dir (or one standalone file) and what loading them needs.

Every regular file is sniffed by content (``pickles.sniff``), whatever its name, except the
few files MLflow itself reads as text (MLmodel, the env files, ``*.py`` sources): those are
never unpickled, and a requirements list such as ``cloudpickle\\nmlflow`` happens to be a
valid start of a protocol-0 pickle.

:func:`load_time_imports` are the modules loading a file imports. Code embedded by value in a
pickle (cloudpickle ``_make_function`` / ``CodeType``, a ``PythonModel`` defined in a notebook)
imports more when it runs (``import tabulate`` inside ``predict``): the scan keeps that code as
``EmbeddedCode``, and :mod:`modellint.analyzer.code.scans` turns its imports into the import facts
the imports rules (ML201) read.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any

from modellint.analyzer.files import MLMODEL, NotRegularFile, is_dir, open_regular, read_regular, relative_posix
from modellint.analyzer.model_layout import REQUIREMENTS, model_tree
from modellint.analyzer.serialized.pickles import Limits, Problem, ScanResult
from modellint.analyzer.serialized.pickles.results import ModelBudget
from modellint.analyzer.serialized.pickles.streams import PROBE_BYTES
from modellint.record import Record

_TEXT_SUFFIXES = (".py", ".pyi")


class SerializedFile(Record):
    """One scanned file; ``relative`` is its POSIX path below the model dir (its name when standalone)."""

    __slots__ = ("path", "relative", "scan")

    def __init__(self, path: Path, relative: str, scan: ScanResult) -> None:
        self.path = path
        self.relative = relative
        self.scan = scan


def scan_model_files(root: Path, text_files: set[str], declared: dict[str, str] | None = None,
                     limits: Limits = Limits(), files: list[Path] | None = None,
                     withheld: dict[str, str] | None = None) -> list[SerializedFile]:
    """Scan every serialized file below ``root``; ``text_files`` are relative paths MLflow reads as text,
    ``declared`` the relative paths a flavor's loader unpickles (see :func:`declared_pickles`).
    ``files`` is the model dir's walk (:attr:`ModelDir.tree`) when the caller has it: never a
    symlink leading out of ``root`` (those are reported, not read).

    Fail closed: a file that cannot be read, a FIFO, device or socket (never opened: a FIFO would block),
    and a declared pickle whose content is not one each give a :class:`SerializedFile` whose scan has
    no kind and one problem saying so; so does each ``withheld`` file (relative path -> why its bytes
    are not here), text files included. The files share one decompression budget.
    """
    from modellint.analyzer.serialized.pickles.containers import scan_file  # a project's run reads no pickle

    declared = declared or {}
    budget = ModelBudget()
    found = []
    for path, trouble in _model_files(root, files):
        relative = relative_posix(root, path)
        if relative in text_files:
            continue  # read (and reported) as text: ML001/ML110
        if trouble is None and path.suffix not in _TEXT_SUFFIXES:
            kind, trouble = _sniff(path, root)
            if kind is not None:
                found.append(SerializedFile(path, relative, scan_file(path, limits, budget, kind=kind, root=root)))
                continue
            if trouble is None and relative in declared:
                trouble = (f"is declared as a pickle (`{declared[relative]}`) but {_not_a_pickle(path, root)}: "
                           "a load fails")
        if trouble is not None:
            found.append(SerializedFile(path, relative, _unscanned(path, trouble)))
    for relative, why in sorted((withheld or {}).items()):
        found.append(SerializedFile(root / relative, relative, _unscanned(root / relative, why)))
    return found


def _sniff(path: Path, root: Path) -> tuple[str | None, str | None]:
    """``(kind, None)`` for a serialized file, ``(None, None)`` for another regular file, ``(None, why)``
    when it cannot be read."""
    # Imported here: sniffing brings the pickle machine, which a project's run never needs; the
    # `import ... as` form costs no failed `__path__` lookup per call, as `from ... import` would.
    import modellint.analyzer.serialized.pickles.sniffing as sniffing

    try:
        head = read_regular(path, root, PROBE_BYTES)
        return sniffing.sniff_stream(head, lambda: open_regular(path, root)), None
    except NotRegularFile as error:  # replaced since the walk saw it
        return None, f"is {error.kind}, not a regular file: not read"
    except OSError as error:
        return None, f"cannot be read: {error.strerror or error}"
    except (ValueError, EOFError):
        return None, None  # as sniff() answers


def _not_a_pickle(path: Path, root: Path) -> str:
    """What a declared pickle is instead, for the message: a Git LFS pointer names its cause."""
    from modellint.analyzer.serialized.lfs import pointer_description

    pointer = pointer_description(path, root)
    return f"it is {pointer}" if pointer is not None else "its content is not one"


def _unscanned(path: Path, reason: str) -> ScanResult:
    return ScanResult(path, None, (), (), (), (), (), (Problem(reason, None, None),))


def _model_files(root: Path, files: list[Path] | None) -> list[tuple[Path, str | None]]:
    """Every entry of the model dir's walk (``files``, else :func:`~modellint.analyzer.model_layout.model_tree`
    of ``root``) that is not a readable directory, with why it cannot be scanned (a FIFO, device or
    socket; a directory or file that cannot be read), or None for a regular file. A dangling symlink is left out: ML003 reports it when MLmodel
    names it."""
    from modellint.analyzer.files import special_kind

    if files is None:
        files = model_tree(root)[0]
    entries: list[tuple[Path, str | None]] = []
    for path in files:
        try:
            kind = special_kind(os.stat(path).st_mode)
        except FileNotFoundError:
            continue
        except OSError as error:
            entries.append((path, f"cannot be read: {error.strerror or error}"))
            continue
        if kind is None:
            entries.append((path, None))
        elif kind == "a directory":  # the walk gives only those it could not list
            entries.append((path, "is a directory that cannot be read"))
        else:
            entries.append((path, f"is {kind}, not a regular file: a load or a copy of the model that opens it "
                                  "blocks or never ends; not opened"))
    return entries


# serialization formats the sklearn flavor loads with (cloud)pickle; absent means pickle (MLflow < 1.?)
_PICKLE_FORMATS = (None, "pickle", "cloudpickle")


def declared_pickles(root: Path, flavors: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Relative POSIX path -> ``flavor.key`` for each file MLmodel names that its flavor's loader unpickles:
    sklearn ``pickled_model`` (and pyfunc ``model_path``/``data`` with ``loader_module: mlflow.sklearn``)
    in the pickle or cloudpickle format, pyfunc ``python_model`` (a pickled ``PythonModel``), the
    ``model.pth`` of a pytorch ``model_data`` directory, statsmodels ``data``. Only these: other flavors
    store their own formats (xgboost json/ubj, keras h5, onnx, skops...). ``flavors`` are those of
    the MLmodel of the model dir ``root``."""
    found: dict[str, str] = {}

    def add(flavor: str, key: str, inside: str | None = None) -> None:
        value = flavors.get(flavor, {}).get(key)
        if not isinstance(value, str) or not value:
            return
        relative = posixpath.normpath(value.replace("\\", "/"))
        if relative.startswith(("../", "/")) or relative in ("..", "."):
            return  # outside the model dir: not this check's
        if inside is not None:
            relative = posixpath.join(relative, inside) if is_dir(root / relative) else relative
        found.setdefault(relative, f"{flavor}.{key}")

    sklearn = flavors.get("sklearn", {})
    pyfunc = flavors.get("python_function", {})
    if "sklearn" in flavors and sklearn.get("serialization_format") in _PICKLE_FORMATS:
        add("sklearn", "pickled_model")
    if pyfunc.get("loader_module") == "mlflow.sklearn":
        conf = sklearn if "sklearn" in flavors else pyfunc
        if conf.get("serialization_format") in _PICKLE_FORMATS:
            add("python_function", "model_path")
            add("python_function", "data")
    if str(pyfunc.get("loader_module", "")).startswith("mlflow.pyfunc") and \
            not str(pyfunc.get("python_model", "")).endswith(".py"):
        add("python_function", "python_model")
    add("pytorch", "model_data", inside="model.pth")
    if pyfunc.get("loader_module") == "mlflow.pytorch":
        add("python_function", "data", inside="model.pth")
    add("statsmodels", "data")
    return found


def model_text_files(conda_file_name: str, python_env_file_name: str) -> set[str]:
    """The files of a model dir that MLflow reads as text, never as serialized objects, given the
    env files its MLmodel names."""
    return {MLMODEL, REQUIREMENTS, conda_file_name, python_env_file_name}


class StandaloneFile:
    """A serialized file linted on its own (``modellint check model.pkl``): no MLmodel, no environment.

    The :class:`~modellint.analyzer.serialized.facts.SerializedFacts` the rules able to judge a lone
    file read (a model dir offers the same).
    """

    declared_python: tuple[int, int] | None = None

    def __init__(self, path: Path) -> None:
        from modellint.analyzer.serialized.pickles import scan_file, sniff

        self.root = path.parent
        self.serialized_files = [SerializedFile(path, path.name, scan_file(path))] if sniff(path) else []

    def loaded_by_mlflow(self, relative: str) -> bool:
        return True  # the user names the file to check: it is the one loaded


class LoadImport(Record):
    """The first reason a load imports one top-level module: a global, a ``subimport`` or a skops type."""

    __slots__ = ("module", "name", "where")

    def __init__(self, module: str, name: str, where: str) -> None:
        self.module = module
        self.name = name
        self.where = where  # "STACK_GLOBAL at byte 21", "subimport", "skops type in schema.json"


def load_time_imports(scan: ScanResult) -> dict[str, LoadImport]:
    """Top-level module -> first import of it that loading the file performs (not by-value code's own imports,
    which run only when that code runs: see the module docstring)."""
    found: dict[str, LoadImport] = {}
    for ref in scan.globals:
        where = ref.where
        if ref.member:
            where += f" of `{ref.member}`"
        found.setdefault(ref.module.split(".")[0], LoadImport(ref.module, ref.name, where))
    for module in scan.subimports:
        found.setdefault(module.split(".")[0], LoadImport(module, module, "cloudpickle subimport"))
    found.pop("", None)
    return found
