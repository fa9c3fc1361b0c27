"""Reading user files without ever raising: every failure becomes a described problem."""

from __future__ import annotations

import errno
from pathlib import Path

from modellint.record import Record

MLMODEL = "MLmodel"  # the file that makes a directory an MLflow model

MAX_TEXT_BYTES = 16 * 1024 * 1024  # no MLflow metadata file comes close; bigger is not ours

# While fixes run (--fix, --diff), reads of the target being fixed go through this view
# (modellint.fix_runner.FileView): every read of a pass sees the same text, and --diff's later
# passes see what the earlier ones would have written. None otherwise.
view = None


class ReadProblem(Record):
    __slots__ = ("path", "message")

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message


def read_text(path: Path) -> tuple[str | None, ReadProblem | None]:
    """Return ``(text, None)``, ``(None, None)`` when absent, or ``(None, problem)``."""
    if view is not None:
        return view.read_text(path)
    return read_disk_text(path)


def read_disk_text(path: Path) -> tuple[str | None, ReadProblem | None]:
    """:func:`read_text` from the disk itself, whatever the view holds."""
    try:
        if path.is_dir():
            return None, ReadProblem(path, f"`{path.name}` is a directory, not a file")
        with path.open("rb") as handle:
            data = handle.read(MAX_TEXT_BYTES + 1)
    except FileNotFoundError:
        return None, None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None, ReadProblem(path, f"`{path.name}` is a symlink loop")
        if error.errno == errno.ENOENT:  # a dangling symlink
            broken = ReadProblem(path, f"`{path.name}` is a broken symlink")
            return (None, broken) if path.is_symlink() else (None, None)
        return None, ReadProblem(path, f"cannot read `{path.name}`: {error.strerror or error}")
    if len(data) > MAX_TEXT_BYTES:
        return None, ReadProblem(path, f"`{path.name}` is larger than {MAX_TEXT_BYTES // 2**20} MiB")
    if b"\x00" in data:
        return None, ReadProblem(path, f"`{path.name}` is binary, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, ReadProblem(path, f"`{path.name}` is not UTF-8 text (byte {error.start})")
    return text, None


def exists(path: Path) -> bool:
    """``Path.exists`` that treats symlink loops and permission errors as absent."""
    if view is not None and view.created(path):
        return True
    try:
        return path.exists()
    except OSError:
        return False


def is_file(path: Path) -> bool:
    """``Path.is_file`` that answers False where pathlib raises (a name too long, a symlink loop)."""
    if view is not None and view.created(path):
        return True
    try:
        return path.is_file()
    except OSError:
        return False


def is_dir(path: Path) -> bool:
    """``Path.is_dir`` that answers False where pathlib raises (a name too long, a symlink loop)."""
    try:
        return path.is_dir()
    except OSError:
        return False
