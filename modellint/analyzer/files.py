"""Reading user files without ever raising: every failure becomes a described problem."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from modellint.record import Record

MLMODEL = "MLmodel"  # the file that makes a directory an MLflow model

MAX_TEXT_BYTES = 16 * 1024 * 1024  # no MLflow metadata file comes close; bigger is not ours


class ReadProblem(Record):
    __slots__ = ("path", "message")

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message


def read_text(path: Path) -> tuple[str | None, ReadProblem | None]:
    """Return ``(text, None)``, ``(None, None)`` when absent, or ``(None, problem)``."""
    try:
        if path.is_dir():
            return None, ReadProblem(path, f"`{path.name}` is a directory, not a file")
        with open_regular(path) as handle:
            data = handle.read(MAX_TEXT_BYTES + 1)
    except FileNotFoundError:
        return None, None
    except NotRegularFile as error:
        return None, ReadProblem(path, f"`{path.name}` is {error.kind}, not a regular file: not read")
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


class NotRegularFile(OSError):
    """A FIFO, device, socket or directory where a file is expected: opening a FIFO for reading blocks
    until a writer comes, a device such as ``/dev/zero`` never ends."""

    def __init__(self, kind: str) -> None:
        super().__init__(errno.EINVAL, f"{kind}, not a regular file")
        self.kind = kind


_SPECIAL_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
                  stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}


def special_kind(mode: int) -> str | None:
    """``"a FIFO"``, ``"a character device"``... for a ``st_mode`` that is not a regular file, else None."""
    return None if stat.S_ISREG(mode) else _SPECIAL_KINDS.get(stat.S_IFMT(mode), "not a regular file")


def open_regular(path: Path | str) -> BinaryIO:
    """Open a regular file for reading; raise :class:`NotRegularFile` for anything else, without
    blocking (the open is non-blocking, so a FIFO is refused instead of waited on) or reading it."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        kind = special_kind(os.fstat(descriptor).st_mode)
        if kind is not None:
            raise NotRegularFile(kind)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def exists(path: Path) -> bool:
    """``Path.exists`` that treats symlink loops and permission errors as absent."""
    try:
        return path.exists()
    except OSError:
        return False


def is_file(path: Path) -> bool:
    """``Path.is_file`` that answers False where pathlib raises (a name too long, a symlink loop)."""
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
