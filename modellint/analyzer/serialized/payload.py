"""Whether the files MLmodel names hold a payload at all: a Git LFS pointer left where the weights
should be, an empty file, or a model dir far smaller than the ``model_size_bytes`` MLflow recorded.

``model_size_bytes`` is ``mlflow.utils.file_utils.get_total_file_size`` of the model dir, taken by a
flavor's ``save_model`` just before it writes MLmodel: every file then present counts (the payload,
the input example, ``code/``), while MLmodel, the env files and what MLflow adds later
(``registered_model_meta`` on download, the Databricks ``metadata/`` copies) do not. Across the
real models whose original listings are known, the payload files add up to exactly the recorded size.
So the present total is taken over every file except those written later, and a model dir is
reported only when it holds less than half of the recorded size: a few files edited or dropped
after the save stay far from that line, a missing or truncated payload does not.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from modellint.analyzer.files import real_root, realpath_below, relative_posix, walk_inside
from modellint.analyzer.serialized.lfs import MAX_POINTER_BYTES, pointer_description
from modellint.record import Record

# Written after model_size_bytes is taken (or by tools after the save): never part of the recorded size.
_WRITTEN_LATER = frozenset({
    "MLmodel", "requirements.txt", "constraints.txt", "registered_model_meta", "environment_variables.txt",
    "metadata/MLmodel", "metadata/conda.yaml", "metadata/python_env.yaml", "metadata/requirements.txt",
})
SHORTFALL_RATIO = 2  # reported when the recorded size is more than this many times what is present


class PayloadReference(Record):
    """A payload path MLmodel names, inside the model dir: ``relative`` POSIX, the ``key`` it is under."""

    __slots__ = ("relative", "description", "key", "holds_model")

    def __init__(self, relative: str, description: str, key: tuple[object, ...], holds_model: bool) -> None:
        self.relative = relative
        self.description = description  # "sklearn.pickled_model", "artifact `weights`"
        self.key = key
        # MLflow's own loader reads a model from it, so it cannot be empty; False for a PythonModel's
        # artifacts and a custom loader_module's data, which may be anything (an empty marker file too)
        self.holds_model = holds_model


class PayloadProblem(Record):
    """One payload that is not what MLmodel says: ``relative`` is the file (or the MLmodel key's file for a
    size shortfall, with ``key`` the MLmodel key to point at)."""

    __slots__ = ("relative", "message", "key")

    def __init__(self, relative: str, message: str, key: tuple[object, ...] | None = None) -> None:
        self.relative = relative
        self.message = message
        self.key = key


def payload_problems(root: Path, references: Iterable[PayloadReference], files: list[Path],
                     recorded_size: object, env_files: Iterable[str]) -> list[PayloadProblem]:
    """The problems of the payloads ``references`` names below the model dir ``root``, whose walk is
    ``files`` (:attr:`ModelDir.tree`); ``recorded_size`` is MLmodel's ``model_size_bytes`` (anything),
    ``env_files`` the conda and virtualenv file names MLmodel gives. A reference that does not exist is
    ML003's: it also turns the size check off (the shortfall has a clearer cause)."""
    problems: list[PayloadProblem] = []
    complete = True
    seen: set[str] = set()
    for reference in references:
        if reference.relative in seen:
            continue  # pyfunc's model_path and the flavor's own key name the same file
        seen.add(reference.relative)
        path = root / reference.relative
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            complete = False
            continue
        if stat.S_ISREG(mode):
            problems.extend(_file_problems(root, path, reference, named=True))
        elif stat.S_ISDIR(mode):
            below = _files_below(root, path, files)
            for file in below:
                problems.extend(_file_problems(root, file, reference, named=False))
            if reference.holds_model and not any(_size(file) for file in below):
                problems.append(PayloadProblem("MLmodel", f"`{reference.relative}` (named by "
                                               f"`{reference.description}`) holds no bytes: the load finds no "
                                               "model in it", reference.key))
    if complete and not problems:
        shortfall = _size_shortfall(root, recorded_size, {"MLmodel", *env_files})
        if shortfall is not None:
            problems.append(shortfall)
    return problems


def _file_problems(root: Path, path: Path, reference: PayloadReference, *, named: bool) -> list[PayloadProblem]:

    relative = relative_posix(root, path)
    size = _size(path)
    if size is None or size > MAX_POINTER_BYTES:
        return []
    if size == 0:  # an empty file inside a payload dir can be a marker (Spark's _SUCCESS); a named model cannot
        return [PayloadProblem(relative, f"`{relative}` (named by `{reference.description}`) is empty: the load "
                                         "fails (a save, copy or download that did not finish)")] \
            if named and reference.holds_model else []
    pointer = pointer_description(path, root)  # None also when unreadable: ML303 reports that
    if pointer is None:
        return []
    named_by = f"named by `{reference.description}`" if named else f"in `{reference.relative}`, which " \
               f"`{reference.description}` names"
    return [PayloadProblem(relative, f"`{relative}` ({named_by}) is {pointer}")]


def _size_shortfall(root: Path, recorded: object, written_later: set[str]) -> PayloadProblem | None:
    if not isinstance(recorded, int) or isinstance(recorded, bool) or recorded <= 0:
        return None
    present = 0
    for path, inside in walk_inside(root, root):  # every file MLflow's os.walk counted, caches included
        if inside and relative_posix(root, path) not in _WRITTEN_LATER | written_later:
            present += _size(path) or 0
            if present * SHORTFALL_RATIO >= recorded:
                return None
    return PayloadProblem("MLmodel", f"the model dir holds {present:,} bytes of payload, but MLmodel records "
                                     f"`model_size_bytes: {recorded}` from the save: payload files are missing "
                                     "or truncated (a partial copy or download, or Git LFS objects never fetched)",
                          ("model_size_bytes",))


def _size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return None


def _files_below(root: Path, directory: Path, files: list[Path]) -> list[Path]:
    """The files below ``directory``: from the model's walk, unless the reference reaches the directory
    through a symlink or ``..`` (the walk lists files under their own path), then walked from there,
    confined to the model dir."""
    base = real_root(root)
    if realpath_below(root, base, directory) == os.path.join(base, os.path.relpath(directory, root)):
        prefix = f"{directory}{os.sep}"  # the walk's paths are built below ``root`` as ``directory`` is
        return [file for file in files if str(file).startswith(prefix)]
    return [file for file, inside in walk_inside(root, directory) if inside]
