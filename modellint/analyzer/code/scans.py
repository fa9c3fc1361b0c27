"""The code a model dir makes Python run, as import scans.

* every importable ``.py`` file in each flavor's code dir (``flavors.*.code``, put first on
  ``sys.path`` at load), with the package its path gives it so relative imports resolve;
* the models-from-code file: MLmodel ``model_code_path`` names it, the loader runs its basename
  from the model root;
* code cloudpickle stored by value in the model's pickles (a ``PythonModel`` written in a notebook
  or the training script): the modules its bytecode imports and the names it uses, taken from
  the pickle scan (:mod:`modellint.analyzer.serialized.inventory`); binary files have no lines, so
  those facts point at the file start and name the function instead.

Files that cannot be imported (a name that is not an identifier, caches, hidden dirs) are never
read; a file without the bytes ``import`` is never parsed.

A code dir often holds more than the model runs: a vendored package with its ``tests/``, helper
scripts. When the model's entry points are known (every pickle scanned without a problem) and
reach into the code dir, only the code-dir modules reachable from them through imports are
parsed and count (:func:`reachable_scans`); otherwise every importable file does.
"""

from __future__ import annotations

import gc
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.code.source_imports import (
    MAX_SOURCE_BYTES,
    CallFact,
    ImportFact,
    ModuleScan,
    scan_file,
    scan_source,
)
from modellint.analyzer.files import is_file, is_within, walk_inside
from modellint.findings import FILE_START
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.analyzer.code.scan_ahead import HelperChannel, ScanAhead
    from modellint.analyzer.serialized.inventory import SerializedFile

MAX_CODE_FILES = 2000  # a code dir holding a whole virtualenv is reported by file count, not parsed
# Source bytes parsed per model: ast.parse and the visit take 1-4 s per MiB of dense code on a
# loaded machine; past the budget a file is reported, not read.
MAX_CODE_BYTES = 2 * 2**20
# A walk starts a helper process (see _CodeReader) when the files on its stack that it has yet
# to scan hold this many bytes: below it, forking (~2 ms) and sending scans back cost more than
# the second CPU returns. It looks again each time it has parsed another HELPER_LOOK_BYTES.
HELPER_AFTER_BYTES = 256 * 1024
HELPER_LOOK_BYTES = 32 * 1024
_SKIPPED_DIRS = frozenset({"__pycache__", "site-packages", "node_modules"})


class CodeCopies(Record):
    """The files a would-be model copies from its training project, none of them written: each
    path below the model dir -> the project file whose bytes it holds (read confined to
    ``root``), or None for an empty file (a code path outside the project, kept by name only).
    ``listing`` holds each folder of the copies with the names in it, sorted, as a walk of the
    copied folder would list them: copying a vendored package (sympy: 1,500 files in 160
    folders) to a temporary dir cost a tenth of a project's lint, and half a second when other
    processes kept the disk busy."""

    __slots__ = ("files", "listing", "root")

    def __init__(self, files: Mapping[Path, Path | None], listing: Mapping[Path, tuple[str, ...]], root: Path) -> None:
        self.files = files
        self.listing = listing
        self.root = root

    def is_dir(self, path: Path) -> bool:
        return path in self.listing

    def exists(self, path: Path) -> bool:
        return path in self.files or path in self.listing

    def walk(self, top: Path, keep_dir: Callable[[str], bool]) -> Iterator[Path]:
        """The files below ``top`` in the order :func:`~modellint.analyzer.files.walk_inside`
        gives a folder on disk: each folder's files by name, then its kept subfolders by name."""
        stack = [top]
        while stack:
            here = stack.pop()
            names = self.listing.get(here, ())
            children = [here / name for name in names]
            yield from (child for child in children if child in self.files)
            stack.extend(reversed([child for child, name in zip(children, names)
                                   if child in self.listing and keep_dir(name)]))


def scan_model_code(root: Path, code_directories: Iterable[Path], *, code_file: Path | None,
                    serialized_files: Sequence[SerializedFile], loader_module: str | None,
                    python: tuple[int, int] | None,
                    by_value_scans: Sequence[ModuleScan] = (),
                    copies: CodeCopies | None = None) -> tuple[ModuleScan, ...]:
    """The scans of the model dir ``root``'s code: its ``code_directories`` (those MLmodel names,
    inside it), its models-from-code ``code_file``, the by-value code in its ``serialized_files``;
    ``loader_module`` is the pyfunc one, ``python`` the grammar to parse with (:func:`syntax_python`).
    ``by_value_scans``: by-value code read from elsewhere (a training project's class, whose
    pickle does not exist yet), an entry point as the pickled code is. ``copies``: files that
    exist only as copies of a project's (:class:`CodeCopies`)."""
    modules: dict[str, tuple[Path, str]] = {}  # dotted name -> (file, package); first code dir wins
    seen: set[Path] = set()
    unread: list[ModuleScan] = []
    for directory in code_directories:
        files = _importable_files(root, directory, copies)
        if len(files) > MAX_CODE_FILES:  # one past the limit: the first file left out says so
            unread.append(ModuleScan(files.pop()[0], (), (), f"not analysed: the code directory holds more than "
                                     f"{MAX_CODE_FILES} importable files", error_kind="limit"))
        for path, package in files:
            if path not in seen:
                seen.add(path)
                modules.setdefault(_module_name(path, package), (path, package))
    budget = _Budget(MAX_CODE_BYTES)
    entry_scans = []
    if code_file is not None and code_file not in seen:
        entry_scans.append(scan_code_file(code_file, package=None, python=python, budget=budget,
                                          root=root, copies=copies))  # exec'd by path: no package
    entry_scans.extend(_by_value_scans(serialized_files))
    entry_scans.extend(by_value_scans)
    entries = _entry_modules(serialized_files, loader_module, entry_scans)
    code_dir_scans = reachable_scans(modules, entries, python=python, budget=budget, root=root, copies=copies)
    return (*code_dir_scans, *entry_scans, *unread)


def syntax_python(python: tuple[int, ...] | None) -> tuple[int, int] | None:
    """The Python whose grammar a model's source must parse under, given the one it declares
    (:attr:`~modellint.analyzer.model_dir.ModelDir.source_python`): a 3.x, else None."""
    return (python[0], python[1]) if python is not None and len(python) >= 2 and python[0] == 3 else None


def _module_name(path: Path, package: str) -> str:
    stem = path.stem
    if stem == "__init__":
        return package
    return f"{package}.{stem}" if package else stem


def _entry_modules(serialized_files: Sequence[SerializedFile], loader_module: str | None,
                   entry_scans: list[ModuleScan]) -> set[str] | None:
    """Modules loading the model imports first: what its pickles reference, the pyfunc
    ``loader_module``, the imports of the models-from-code file and of by-value code. None when
    a pickle could not be read to the end, so that list may be incomplete."""
    entries: set[str] = set()
    for serialized in serialized_files:
        if serialized.scan.problems:
            return None
        entries |= serialized.scan.imported_modules()
        for code in serialized.scan.embedded_code:
            entries.update(code.dynamic_imports)
    if loader_module:
        entries.add(loader_module)
    for scan in entry_scans:
        entries |= scan.imported_modules()
        # `from lib import helpers` may import the submodule lib.helpers: follow it as
        # reachable_scans follows the same form inside the code dir.
        entries.update(f"{fact.module}.{name}" for fact in scan.imports if fact.resolved and not fact.type_checking
                       for name in fact.names if name != "*")
    return entries


def reachable_scans(modules: dict[str, tuple[Path, str]], entries: set[str] | None, *,
                    python: tuple[int, int] | None = None, budget: _Budget | None = None,
                    root: Path | None = None, copies: CodeCopies | None = None) -> list[ModuleScan]:
    """Scans of the code-dir ``modules`` that importing ``entries`` can run: an imported module,
    the packages above it (their ``__init__`` runs first), and ``from pkg import sub`` submodules,
    followed through every import but those under ``TYPE_CHECKING``, lazy ones included (a
    function may be called). Only those files are parsed. Every module when ``entries`` is None
    or reaches none of them: then there is no basis to leave a file out.

    An import whose name is computed at run time is not followed (ML208 reports it as
    unverifiable): counting it as "could load anything" would bring back every vendored test
    module for the sake of the optional-dependency helpers most libraries have. With ``root``,
    files are read only when they resolve below it.

    When ``entries`` is known and reaches none of the modules, loading the model imports none
    of them: their scans say so (``loaded`` False), so that a file that does not parse there
    is not reported as breaking the load. With ``entries`` None nothing is known: every scan
    counts as loaded.

    On a large code dir a forked helper parses files the walk will come to (:class:`_CodeReader`);
    the walk, its order and its budget stay here, so the answer does not depend on it.
    """
    reached: dict[str, ModuleScan] = {}
    # In a fixed order: which files the budget reaches must not change from run to run.
    pending = sorted(entries or (), reverse=True)
    reader = _CodeReader(modules, python, root, copies, budget)
    try:
        while pending:
            for name in _run_by_import(pending.pop()):
                if name not in modules or name in reached:
                    continue
                scan = reached[name] = reader.scan(name, pending, reached)
                for fact in scan.imports:
                    if fact.resolved and not fact.type_checking:
                        pending.append(fact.module)
                        pending.extend(f"{fact.module}.{imported}" for imported in fact.names if imported != "*")
    finally:
        reader.close()
    if not reached:
        loaded = entries is None
        return [scan_code_file(path, package=package, python=python, budget=budget, root=root,
                               copies=copies).replace(loaded=loaded)
                for path, package in modules.values()]
    return [reached[name] for name in modules if name in reached]  # in file order, as before


class _Budget:
    """Source bytes a model may still have parsed (:data:`MAX_CODE_BYTES`)."""

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining


class _CodeReader:
    """Scans the walk's files in the walk's order, its budget spent as it goes. On a large code
    dir a helper process (:mod:`.scan_ahead`) scans the files the walk will come to, from the
    last one back, and a file it has scanned is taken from it. The budget is spent here, in the
    walk's order, whoever parsed the file: the answer is the sequential one."""

    def __init__(self, modules: Mapping[str, tuple[Path, str]], python: tuple[int, int] | None, root: Path | None,
                 copies: CodeCopies | None, budget: _Budget | None) -> None:
        self._modules = modules
        self._python = python
        self._root = root
        self._copies = copies
        self._budget = budget
        self._parsed = 0  # bytes parsed so far
        self._seconds = 0.0  # and the time that took: the walk's own pace
        self._next_look = HELPER_LOOK_BYTES  # when to look at the stack for the helper again
        self._ahead: ScanAhead | None = None
        self._index: dict[str, int] = {}
        self._helper_allowed = True

    def scan(self, name: str, pending: list[str], reached: Mapping[str, ModuleScan]) -> ModuleScan:
        """The scan of module ``name``, with the walk's stack ``pending`` and what it has ``reached``."""
        path, package = self._modules[name]
        refused = _budgeted(path, self._budget, self._copies)
        if refused is not None:
            return refused
        size = _source_size(path, self._copies) or 0
        ahead = self._helper(pending, reached)
        if ahead is not None:
            own_seconds = size * self._seconds / self._parsed if self._parsed else float("inf")
            taken = ahead.take(self._index[name], size, own_seconds)
            if taken is not None:
                return taken
        started = time.perf_counter()
        scan = _scan_without_collection(path, package, self._python, self._root, self._copies)
        self._seconds += time.perf_counter() - started
        self._parsed += size
        return scan

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.close()

    def _helper(self, pending: list[str], reached: Mapping[str, ModuleScan]) -> ScanAhead | None:
        if self._ahead is not None or not self._helper_allowed or self._parsed < self._next_look:
            return self._ahead
        self._next_look = self._parsed + HELPER_LOOK_BYTES
        if self._waiting_bytes(pending, reached) < HELPER_AFTER_BYTES:
            return None
        from modellint.analyzer.code import spare_cpu

        if not spare_cpu.may_start():
            return None  # asked again after the next HELPER_LOOK_BYTES: a CPU may be idle by then
        from modellint.analyzer.code import scan_ahead

        self._helper_allowed = False
        self._index = {name: index for index, name in enumerate(self._modules)}
        paths = [path for path, _ in self._modules.values()]
        room = None if self._budget is None else self._budget.remaining
        try:
            self._ahead = scan_ahead.ScanAhead(lambda channel: self._help(channel, pending, set(reached), room), paths)
        except OSError:
            return None
        return self._ahead

    def _waiting_bytes(self, pending: list[str], reached: Mapping[str, ModuleScan]) -> int:
        """Bytes of the code-dir files on the stack ``pending`` that the walk has yet to scan,
        counted until they reach :data:`HELPER_AFTER_BYTES`."""
        counted: set[str] = set()
        waiting = 0
        for module in reversed(pending):
            for name in _run_by_import(module):
                if name in self._modules and name not in reached and name not in counted:
                    counted.add(name)
                    waiting += _source_size(self._modules[name][0], self._copies) or 0
                    if waiting >= HELPER_AFTER_BYTES:
                        return waiting
        return waiting

    def _help(self, channel: HelperChannel, pending: list[str], reached: set[str], room: int | None) -> None:
        """The helper's work (in the forked process, on the walk's state at the fork): the files
        the walk will come to, guessed from their import lines (:func:`_guessed_order`), scanned
        from the last one back, skipping those the walk has taken, until the two meet. The walk
        goes forward from the first: a right guess leaves each side about half the bytes and the
        walk never waiting, a wrong one only costs the helper a file the walk scans as well."""
        for index, path, package in reversed(self._guessed_order(pending, reached, room)):
            channel.refresh()
            if index in channel.taken:
                continue
            channel.started(index)
            try:
                scan = _scan_read(path, package, self._python, self._root, self._copies)
            except Exception:  # noqa: BLE001 - the walk scans it again and meets the failure itself
                channel.failed(index)
                continue
            channel.scanned(index, scan)

    def _guessed_order(self, pending: list[str], reached: set[str], room: int | None) -> list[tuple[int, Path, str]]:
        """``(index, file, package)`` of the files the walk would read from here, in its order,
        with each file's imports guessed from its lines (:mod:`.import_outline`) and the
        budget's ``room`` spent as :func:`_budgeted` spends it."""
        from modellint.analyzer.code.import_outline import outline

        stack = list(pending)
        order = []
        while stack:
            for name in _run_by_import(stack.pop()):
                if name not in self._modules or name in reached:
                    continue
                reached.add(name)
                path, package = self._modules[name]
                size = _source_size(path, self._copies)
                if size is None or size > MAX_SOURCE_BYTES:
                    continue  # the walk refuses it unread
                if room is not None:
                    if size > room:
                        continue
                    room -= size
                order.append((self._index[name], path, package))
                for module, names in outline(_read_source(path, self._root, self._copies), package):
                    stack.append(module)
                    stack.extend(f"{module}.{imported}" for imported in names if imported != "*")
        return order


def scan_code_file(path: Path, *, package: str | None, python: tuple[int, int] | None,
                   budget: _Budget | None = None, root: Path | None = None,
                   copies: CodeCopies | None = None) -> ModuleScan:
    """:func:`scan_file` for a regular file; anything else named ``x.py`` (a FIFO, a device, a
    symlink to ``/dev/zero``, a dangling link) is never opened (a FIFO would block the read):
    importing it blocks, reads forever or fails, so it is reported as a file Python cannot load.
    A file of ``copies`` is its project file, or empty when that is no regular file it can read
    (MLflow's copy of it fails, or holds nothing modellint may read)."""
    refused = _budgeted(path, budget, copies)
    if refused is not None:
        return refused
    return _scan_read(path, package, python, root, copies)


def _budgeted(path: Path, budget: _Budget | None, copies: CodeCopies | None) -> ModuleScan | None:
    """The scan of a file that is not read (not regular, over the budget), else None once its
    size is taken from ``budget``: :func:`_scan_read` gives its scan."""
    if copies is not None and path in copies.files:
        _, size = _readable_source(copies.files[path])
    else:
        try:
            info = os.stat(path)
        except OSError as error:
            return ModuleScan(path, (), (), f"cannot read the file: {error.strerror or error}", error_kind="syntax")
        if not stat.S_ISREG(info.st_mode):
            return ModuleScan(path, (), (), "not a regular file (a FIFO, device or socket): importing it blocks or fails",
                              error_kind="syntax")
        size = info.st_size
    if budget is not None and size <= MAX_SOURCE_BYTES:  # bigger files are refused unparsed anyway
        if size > budget.remaining:
            return ModuleScan(path, (), (), f"not analysed: the model's code is over modellint's "
                              f"{MAX_CODE_BYTES // 2**20} MiB analysis budget", error_kind="limit")
        budget.remaining -= size
    return None


def _scan_read(path: Path, package: str | None, python: tuple[int, int] | None, root: Path | None,
               copies: CodeCopies | None) -> ModuleScan:
    if copies is not None and path in copies.files:
        source, _ = _readable_source(copies.files[path])
        if source is None:
            return scan_source(b"", path, package=package, python=python)
        return scan_file(path, package=package, python=python, root=root, source=(source, copies.root))
    return scan_file(path, package=package, python=python, root=root)


def _scan_without_collection(path: Path, package: str | None, python: tuple[int, int] | None, root: Path | None,
                             copies: CodeCopies | None) -> ModuleScan:
    """:func:`_scan_read` with the cycle collector paused: a parse makes up to millions of tree
    nodes, none in a cycle, and the collector's passes over them were a tenth of a walk's
    instructions (the trick mypy plays while parsing)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _scan_read(path, package, python, root, copies)
    finally:
        if collecting:
            gc.enable()


def _read_source(path: Path, root: Path | None, copies: CodeCopies | None) -> bytes:
    """The bytes :func:`_scan_read` would parse, read as it reads them (confined to the model
    dir or project); empty when it cannot."""
    from modellint.analyzer.files import read_regular

    read, read_root = (copies.files[path], copies.root) if copies is not None and path in copies.files else (path, root)
    if read is None:
        return b""
    try:
        return read_regular(read, read_root, MAX_SOURCE_BYTES)
    except OSError:  # OutsideError and NotRegularFile are OSErrors: nothing to guess from
        return b""


def _source_size(path: Path, copies: CodeCopies | None) -> int | None:
    """The bytes :func:`_scan_read` would parse, None for a file it would not read."""
    if copies is not None and path in copies.files:
        source, size = _readable_source(copies.files[path])
        return size if source is not None else None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _readable_source(source: Path | None) -> tuple[Path | None, int]:
    """``(source, its size)`` when it is a regular file (through a symlink, as a copy reads it)
    this process may read; else ``(None, 0)``: the copy is empty."""
    if source is None:
        return None, 0
    try:
        info = os.stat(source)
    except OSError:
        return None, 0
    if not stat.S_ISREG(info.st_mode) or not os.access(source, os.R_OK):
        return None, 0
    return source, info.st_size


def _run_by_import(module: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: importing a module runs every package above it."""
    parts = module.split(".")
    return [".".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def _importable_files(root: Path, directory: Path, copies: CodeCopies | None = None) -> list[tuple[Path, str]]:
    """``(file, package)`` for every module ``import`` could load from ``directory`` on sys.path,
    leaving out symlinks that lead outside the model dir ``root`` (ML006 reports them). A FIFO or
    a device named ``x.py`` is kept: :func:`scan_code_file` reports it without opening it. A
    folder of ``copies`` is listed from them."""
    found: list[tuple[Path, str]] = []
    keep = lambda name: name.isidentifier() and name not in _SKIPPED_DIRS  # noqa: E731
    if copies is not None and copies.is_dir(directory):
        listed: Iterable[tuple[Path, bool]] = ((path, True) for path in copies.walk(directory, keep))
    else:
        listed = walk_inside(root, directory, keep, special_files=True)
    depth = len(directory.parts)  # every path listed is below it: its package is what follows
    for path, inside in listed:
        stem, dot, suffix = path.name.rpartition(".")
        if not inside or suffix != "py" or not dot or not stem.isidentifier():
            continue
        found.append((path, ".".join(path.parts[depth:-1])))
        if len(found) > MAX_CODE_FILES:  # the caller reports the one past the limit
            break
    return found


def _by_value_scans(serialized_files: Sequence[SerializedFile]) -> list[ModuleScan]:
    from modellint.analyzer.serialized.inventory import load_time_imports

    scans = []
    for serialized in serialized_files:
        codes = serialized.scan.embedded_code
        if not codes:
            continue
        imports: dict[tuple[str, str], ImportFact] = {}
        calls: dict[tuple[str, str], CallFact] = {}
        dynamic_unknown = []
        for code in codes:
            origin = code.qualname or "by-value code"
            for module in code.imports:
                imports.setdefault((module, origin), ImportFact(
                    module=module, path=serialized.path, span=FILE_START, lazy=True, optional=False,
                    type_checking=False, dynamic=False, origin=origin))
            if code.opaque_dynamic_import:
                dynamic_unknown.append(FILE_START)
            # `import_module("x")` with a literal: the bytecode reader pairs the constant with the call.
            for module in code.dynamic_imports:
                imports.setdefault((module, origin), ImportFact(
                    module=module, path=serialized.path, span=FILE_START, lazy=True, optional=False,
                    type_checking=False, dynamic=True, origin=origin))
            # co_names holds every global and attribute name the function uses: enough to see
            # `pd.read_excel` (names `pd`, `read_excel`) without the call's receiver.
            for name in code.names:
                calls.setdefault((name, origin), CallFact(
                    function=name, attribute=name, resolved=False, span=FILE_START, lazy=True, type_checking=False))
        context = tuple(sorted({ref.module for ref in load_time_imports(serialized.scan).values()}))
        scans.append(ModuleScan(serialized.path, tuple(imports.values()), tuple(dynamic_unknown), None,
                                tuple(calls.values()), (), context))
    return scans


def top_level_entries(root: Path, directory: Path, copies: CodeCopies | None = None) -> list[tuple[str, Path]]:
    """``(module name, file)`` for each module/regular package directly in ``directory``, a code
    dir below the model dir ``root`` (or a folder of ``copies``); entries leading outside
    ``root`` are left out.

    A directory without ``__init__.py`` is a namespace portion: the import system prefers any
    regular package or module of that name found later on ``sys.path``, so it shadows nothing.
    """
    if copies is not None and copies.is_dir(directory):
        names = list(copies.listing[directory])
        present: Callable[[Path], bool] = copies.files.__contains__
        inside: Callable[[Path], bool] = lambda path: True  # noqa: E731 - copies are never links
    else:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return []
        present, inside = is_file, lambda path: is_within(root, path)
    entries = []
    for name in names:
        path = directory / name
        stem, dot, suffix = name.rpartition(".")
        if dot and suffix == "py" and stem.isidentifier() and stem != "__init__" and present(path):
            if inside(path):
                entries.append((stem, path))
        elif name.isidentifier() and present(path / "__init__.py") and inside(path / "__init__.py"):
            entries.append((name, path / "__init__.py"))
    return entries
