"""Which files of a training project can matter, and where its first-party modules live.

A project may be a monorepo; modellint must not parse all of it. A byte search for the names
of MLflow's save/log entry points picks the files that can hold a call (reading bytes is two
orders of magnitude cheaper than parsing); everything else is reached only through the import
graph of the code the model runs, one resolved module at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from modellint.analyzer.files import exists, is_dir, is_file, is_within
from modellint.analyzer.project.log_calls import SourceFile, Unreadable, read_source

# A file that saves or logs a model names one of these. The model's own code (a `PythonModel`
# subclass, a models-from-code file calling `set_model`) is not searched for: it matters only
# when a call names it, and it is reached from that call (python_model=, its imports).
CALL_MARKERS = (b"save_model", b"log_model")

_SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "site-packages", ".ipynb_checkpoints", "mlruns", ".venv", "venv",
    "build", "dist", ".eggs",
})
VIRTUALENV_MARKER = "pyvenv.cfg"  # a folder holding one is a virtualenv: never the project's code
MAX_SOURCE_BYTES = 4 * 1024 * 1024  # a generated or vendored blob, not a training script
# Training notebooks (`.ipynb`) carry their outputs (plots as base64): bigger than any script. One
# up to MAX_TEXT_BYTES is read; a bigger one is searched for the markers a chunk at a time (at most
# this much), and one that has them is said to be too large to check rather than skipped silently.
MAX_NOTEBOOK_SEARCH_BYTES = 256 * 1024 * 1024
_SOURCE_SUFFIXES = (".py", ".ipynb")


def _python_entries(root: str) -> Iterator[tuple[str, int]]:
    """``(path, size)`` of every ``.py`` file and notebook below ``root``, in a stable order, skipping VCS and
    cache dirs, virtualenvs and symlink loops. Symlinked directories are not descended (``ln -s /
    x`` must not walk the disk) and symlinked files resolving outside ``root`` are left out.

    Works on ``str`` paths and ``os.scandir`` entries: on a 20,000-file tree building a
    ``Path`` per file cost more than reading all the bytes.
    """
    seen: set[tuple[int, int]] = set()
    base = os.path.realpath(root)
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            stat = os.stat(directory)
            if (stat.st_dev, stat.st_ino) in seen:
                continue
            seen.add((stat.st_dev, stat.st_ino))
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue
        if any(entry.name == VIRTUALENV_MARKER for entry in entries):
            continue
        subdirs = []
        for entry in entries:
            try:
                if entry.is_symlink():
                    if entry.name.endswith(_SOURCE_SUFFIXES) and entry.is_file() and is_within(base, entry.path):
                        yield entry.path, entry.stat().st_size
                elif entry.is_dir(follow_symlinks=False):
                    if not _skipped_dir(entry.name):
                        subdirs.append(entry.path)
                elif entry.name.endswith(_SOURCE_SUFFIXES) and entry.is_file(follow_symlinks=False):
                    yield entry.path, entry.stat().st_size
            except OSError:
                continue
        stack.extend(reversed(subdirs))


def contains_any(path: Path | str, markers: tuple[bytes, ...], size: int | None = None) -> bool:
    """Whether the file's bytes contain one of ``markers`` (unreadable or huge files: no)."""
    try:
        size = os.stat(path).st_size if size is None else size
        if str(path).endswith(".ipynb") and size > MAX_SOURCE_BYTES:
            return _search_chunks(path, markers, MAX_NOTEBOOK_SEARCH_BYTES)
        if size > MAX_SOURCE_BYTES:
            return False
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    return any(marker in data for marker in markers)


def _search_chunks(path: Path | str, markers: tuple[bytes, ...], limit: int) -> bool:
    """:func:`contains_any` for a big file, reading at most ``limit`` bytes a MiB at a time."""
    from modellint.analyzer.files import open_regular

    overlap = max(len(marker) for marker in markers) - 1
    tail = b""
    read = 0
    with open_regular(path) as handle:
        while read < limit:
            chunk = handle.read(1024 * 1024)
            if not chunk:
                return False
            read += len(chunk)
            window = tail + chunk
            if any(marker in window for marker in markers):
                return True
            tail = window[-overlap:] if overlap else b""
    return False


def call_candidates(root: Path) -> list[Path]:
    """The files that may call ``mlflow.<flavor>.save_model/log_model``."""
    if root.is_file():
        return [root] if contains_any(root, CALL_MARKERS) else []
    return [Path(path) for path, size in _python_entries(str(root)) if contains_any(path, CALL_MARKERS, size)]


def project_sources(root: Path) -> Iterator[SourceFile | Unreadable]:
    """The parsed files of the project at ``root`` (a directory or one file) that may save or log
    a model (:func:`call_candidates`)."""
    for path in call_candidates(root):
        yield read_source(path)


def has_training_calls(root: Path) -> bool:
    """Whether the project at ``root`` saves or logs a model anywhere modellint can see."""
    return any(isinstance(source, SourceFile) and source.mlflow_calls() for source in project_sources(root))


def resolve_module(module: str, search_roots: tuple[Path, ...]) -> Path | None:
    """The project file that ``import module`` loads, searching ``search_roots`` in order.

    ``a.b`` -> ``<root>/a/b.py`` or ``<root>/a/b/__init__.py``; a directory without
    ``__init__.py`` (a namespace package) resolves to the directory itself. ``search_roots`` end
    with the project (or model) root: a file or directory resolving outside it through a symlink
    is not the project's, and is never returned (so never read).
    """
    parts = module.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    for root in search_roots:
        base = root.joinpath(*parts)
        for candidate in (base.parent / f"{parts[-1]}.py", base / "__init__.py"):
            if is_file(candidate):
                return candidate if is_within(search_roots[-1], candidate) else None
        if is_dir(base) and (len(parts) > 1 or _holds_python(base)):
            return base if is_within(search_roots[-1], base) else None
    return None


def module_name(path: Path, search_roots: tuple[Path, ...]) -> str | None:
    """The dotted name under which ``path`` is importable from ``search_roots`` (first match)."""
    for root in search_roots:
        try:
            relative = path.relative_to(root)
        except ValueError:
            continue
        parts = list(relative.with_suffix("").parts) if path.suffix == ".py" else list(relative.parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts and all(part.isidentifier() for part in parts):
            return ".".join(parts)
    return None


def package_of(path: Path, search_roots: tuple[Path, ...]) -> str | None:
    """The package a module file belongs to (for resolving its relative imports)."""
    name = module_name(path, search_roots)
    if name is None:
        return None
    if path.name == "__init__.py":
        return name
    return name.rpartition(".")[0] or None


def _holds_python(directory: Path) -> bool:
    try:
        return any(entry.name.endswith(".py") for entry in os.scandir(directory))
    except OSError:
        return False


def absolute_path(path: Path) -> str:
    """``path`` made absolute and normal, without resolving symlinks: how MLflow names a
    ``code_paths`` entry (``os.path.abspath``)."""
    return os.path.normpath(os.path.abspath(path))


def lexically_below(path: Path, root: Path) -> bool:
    """Whether ``path`` is ``root`` or below it, by their :func:`absolute_path` forms: as named,
    symlinks not followed (:func:`~modellint.analyzer.files.is_within` follows them)."""
    try:
        Path(absolute_path(path)).relative_to(absolute_path(root))
    except ValueError:
        return False
    return True


def climbs_out(text: str) -> bool:
    """``../src``, ``..``, ``lib/../../x``: a relative path whose normal form leaves its base dir."""
    path = PurePosixPath(text.replace("\\", "/"))
    if path.is_absolute():
        return False
    depth = 0
    for part in path.parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            return True
    return False


def searched_below(root: Path, directory: Path) -> bool:
    """Whether the search for training files of the project at ``root`` reaches ``directory``
    (a descendant): no skipped directory and no virtualenv on the way, as in ``_python_entries``."""
    try:
        parts = directory.relative_to(root).parts
    except ValueError:
        return False
    if exists(root / VIRTUALENV_MARKER):
        return False
    current = root
    for part in parts:
        current = current / part
        if _skipped_dir(part) or exists(current / VIRTUALENV_MARKER):
            return False
    return True


def _skipped_dir(name: str) -> bool:
    """A folder no search for training files enters: VCS, caches, builds, installs."""
    return name in _SKIPPED_DIRS or name.endswith(".egg-info")
