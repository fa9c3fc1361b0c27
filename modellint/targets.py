"""Turning the paths on the command line into lint targets: model dirs and training projects."""

from __future__ import annotations

import os
from pathlib import Path

from modellint.analyzer.files import MLMODEL
from modellint.record import Record

# Directories that never hold a model worth linting and can be huge.
_SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "site-packages", ".ipynb_checkpoints",
})


class TargetError(Exception):
    """A path that cannot be linted: a usage error (exit 2)."""


class Target(Record):
    __slots__ = ("kind", "path")

    def __init__(self, kind: str, path: Path) -> None:
        self.kind = kind  # "model", "project" or "file" (a serialized file outside any model dir)
        self.path = path


def discover(paths: list[Path]) -> list[Target]:
    targets: dict[Path, Target] = {}
    for path in paths:
        for target in _targets_for(path):
            targets.setdefault(target.path, target)
    return sorted(targets.values(), key=lambda target: str(target.path))


def _targets_for(path: Path) -> list[Target]:
    if not os.path.lexists(path):
        raise TargetError(f"{path}: no such file or directory")
    if path.is_file() or (path.is_symlink() and not path.is_dir()):
        model_root = nearest_model_root(path.parent if path.name != MLMODEL else path.parent)
        if model_root is not None:
            return [Target("model", model_root)]
        if path.suffix == ".py":
            return [Target("project", path.parent)]
        from modellint.analyzer.pickles import sniff

        if sniff(path) is not None:
            return [Target("file", path)]  # a lone pickle/joblib/torch/npy/skops file
        raise TargetError(f"{path}: not inside a model directory (no MLmodel next to it or above it) "
                          "and not a serialized model file")
    if (path / MLMODEL).exists() or (path / MLMODEL).is_symlink():
        return [Target("model", path)]
    models, has_python = _walk(path)
    if models:
        return [Target("model", root) for root in models]
    if has_python:
        return [Target("project", path)]
    raise TargetError(f"{path}: no MLmodel and no Python files found")


def nearest_model_root(start: Path, stop: Path | None = None) -> Path | None:
    """The nearest directory at or above ``start`` holding ``MLmodel``, not looking above ``stop``."""
    for directory in (start, *start.parents):
        if (directory / MLMODEL).is_file():
            return directory
        if directory == stop:
            return None
    return None


def _walk(root: Path) -> tuple[list[Path], bool]:
    """Model dirs under ``root`` (not descending into them) and whether any Python was seen."""
    models: list[Path] = []
    has_python = False
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            stat = directory.stat()
            if (stat.st_dev, stat.st_ino) in seen:  # symlink cycles
                continue
            seen.add((stat.st_dev, stat.st_ino))
            entries = list(os.scandir(directory))
        except OSError:
            continue
        names = {entry.name for entry in entries}
        if MLMODEL in names and directory != root:
            models.append(directory)
            continue
        if "pyvenv.cfg" in names:
            continue
        for entry in entries:
            try:
                if entry.is_dir():
                    if entry.name in _SKIPPED_DIRS or (entry.name == ".trash" and directory.name == "mlruns"):
                        continue
                    stack.append(Path(entry.path))
                elif not has_python and entry.name.endswith(".py"):
                    has_python = True
            except OSError:
                continue
    return sorted(models), has_python
