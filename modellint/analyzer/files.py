"""Reading user files without ever raising, and never outside the tree being checked.

Every failure becomes a described problem. The model under check is hostile: a path MLmodel
names (`env: ../../x`, `/etc/passwd`), or a file in it that is a symlink (`requirements.txt ->
~/.aws/credentials`), must not make modellint read, and then echo, a file elsewhere. So every
read of a model file goes through :func:`open_inside` with the model root as the boundary:
the path is resolved (symlinks included) and refused unless it stays below the root's real
path; the final component is opened with ``O_NOFOLLOW`` and the opened file is checked again
(its ``/proc/self/fd`` path, or its inode against the resolved path), so a symlink swapped in
between the check and the open is not followed. Symlinks that stay inside keep working.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO, Protocol

from modellint.record import Record

MLMODEL = "MLmodel"  # the file that makes a directory an MLflow model

MAX_TEXT_BYTES = 16 * 1024 * 1024  # no MLflow metadata file comes close; bigger is not ours

# Why a path is refused, as the finding words it after the path.
ABSOLUTE = "is an absolute path"
CLIMBS_OUT = "climbs out of the model directory"
LINKS_OUT = "is a symlink (or goes through one) to a location outside the model directory"

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_PROC_FD = "/proc/self/fd"
# No path longer than this names a file (Linux's PATH_MAX): such a path is answered without asking
# the file system, whose realpath walks it component by component (a 4 MB MLmodel value of `a/a/...`
# cost minutes per question).
MAX_PATH_CHARS = 4096
_READ_CHUNK = 64 * 1024


class PassView(Protocol):
    """The files of a target as one pass of fixes sees them (``modellint.fix_runner.FileView``)."""

    def read_text(self, path: Path, root: Path | None = None) -> tuple[str | None, ReadProblem | None]: ...

    def created(self, path: Path) -> bool: ...


# While fixes run (--fix, --diff), reads of the target being fixed go through this view: every
# read of a pass sees the same text, and --diff's later passes see what the earlier ones would
# have written. None otherwise.
view: PassView | None = None


class ReadProblem(Record):
    """Why a file was not read. ``outside`` is set when it was refused for lying outside the boundary."""

    __slots__ = ("path", "message", "outside")

    def __init__(self, path: Path, message: str, outside: bool = False) -> None:
        self.path = path
        self.message = message
        self.outside = outside


class OutsideError(OSError):
    """Raised by :func:`open_inside` for a path that resolves outside its boundary."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(errno.EACCES, reason, str(path))
        self.path = path
        self.reason = reason


# --- where a path leads ---------------------------------------------------------------------------


def written_escape(written: str) -> str | None:
    """Why a path as written in model metadata leaves the directory it is relative to, by its text
    alone: :data:`ABSOLUTE` (POSIX, Windows, ``~``, ``file:``), :data:`CLIMBS_OUT` (``..`` above
    the start, with ``/`` or ``\\`` separators), or None."""
    head = written[:MAX_PATH_CHARS]  # what makes a path absolute is at its start
    if _anchored(head):
        return ABSOLUTE
    if len(written) > MAX_PATH_CHARS:
        return None  # names no file: absent (ML003's), not outside; and never parsed component by component
    depth = 0
    for part in written.replace("\\", "/").split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return CLIMBS_OUT
        elif part not in ("", "."):
            depth += 1
    return None


def remembered_for_short_text(judge: Callable[[str], bool]) -> Callable[[str], bool]:
    """``judge``, its answer for each text of up to 256 characters remembered (1,024 of them): a
    store's models name the same few short paths (``model.pkl``), which would otherwise go through
    pathlib objects every time they are asked about. A longer text, which a hostile file can make
    as long as it likes, is judged each time and never held."""
    remembered = lru_cache(maxsize=1024)(judge)

    def judged(text: str) -> bool:
        return remembered(text) if len(text) <= 256 else judge(text)

    return judged


def _has_anchor(head: str) -> bool:
    return head.startswith(("file:", "~")) or PurePosixPath(head).is_absolute() or bool(PureWindowsPath(head).anchor)


_anchored = remembered_for_short_text(_has_anchor)


def is_within(root: Path | str, path: Path | str) -> bool:
    """Whether ``path``, symlinks resolved, lies at or below ``root`` (symlinks resolved)."""
    try:
        base = real_root(root)
        real = realpath_below(root, base, path)
    except (OSError, ValueError):
        return False
    return lies_below(base, real)


@lru_cache(maxsize=64)
def _real_root(root: str) -> str:
    return os.path.realpath(root)


def real_root(root: Path | str) -> str:
    """``os.path.realpath(root)``, asked once per absolute root until :func:`forget_real_roots`
    (the engine calls it before each target): every file of a model dir is checked against it.
    Should the root be re-pointed meanwhile, a file is compared with where the root led first, and
    one that is not below that is refused: the check fails closed. A relative root depends on the
    working directory and is resolved each time."""
    text = os.fspath(root)
    return _real_root(text) if os.path.isabs(text) else os.path.realpath(text)


def forget_real_roots() -> None:
    _real_root.cache_clear()


def realpath_below(root: Path | str, base: str, path: Path | str) -> str:
    """``os.path.realpath(path)`` for a ``path`` written below ``root``, whose real path is ``base``:
    only the components below ``root`` are looked at (one ``lstat`` each) instead of every one from
    ``/``. A ``..`` or a symlink among them hands the rest to ``os.path.realpath`` from where it
    stands, so the answer is always realpath's."""
    text, top = os.fspath(path), os.fspath(root)
    if text == top and os.path.isabs(top):
        return base
    if not text.startswith(top) or text[len(top):len(top) + 1] != os.sep or not os.path.isabs(top):
        return os.path.realpath(text)
    parts = text[len(top) + 1:].split(os.sep)
    current = base
    for index, part in enumerate(parts):
        if part in ("", "."):
            continue
        if part == "..":
            return os.path.realpath(os.path.join(current, *parts[index:]))
        step = current + part if current.endswith(os.sep) else current + os.sep + part
        try:
            is_link = stat.S_ISLNK(os.lstat(step).st_mode)
        except OSError:
            is_link = False  # realpath goes on with an absent component as written
        if is_link:
            return os.path.realpath(os.path.join(step, *parts[index + 1:]))
        current = step
    return current


def escape(root: Path, written: str) -> str | None:
    """Why ``written`` (relative to ``root``, as model metadata names it) leads outside ``root``, or None."""
    reason = written_escape(written)
    if reason is not None or "\x00" in written or len(written) > MAX_PATH_CHARS:
        return reason  # a NUL byte or an overlong path names no file at all: absent, not outside
    try:
        path = root / written
    except (TypeError, ValueError):
        return ABSOLUTE
    return None if is_within(root, path) else LINKS_OUT


# --- reading --------------------------------------------------------------------------------------


def open_inside(root: Path, path: Path | str) -> int:
    """A read-only descriptor of ``path``, which must resolve below ``root``.

    Raises :class:`OutsideError` when it does not (checked before and after the open), and
    ``OSError`` as ``os.open`` does (``ELOOP`` for a symlink loop, ``ENAMETOOLONG`` for a path no
    file can have, before any realpath walks it). Never blocks on a FIFO.
    """
    text = os.fspath(path)
    if len(text) > MAX_PATH_CHARS:
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), text[:80] + "...")
    if "\0" in text:  # a path written in a model file; realpath and open would raise ValueError
        raise OSError(errno.EINVAL, "a path with a NUL character", text.replace("\0", "\\0")[:80])
    base = real_root(root)
    child = _direct_child(root, base, text)
    descriptor = _open_child(child) if child is not None else None
    if descriptor is not None and child is not None:
        real = child
    else:
        real = realpath_below(root, base, text)
        if not lies_below(base, real):
            raise OutsideError(Path(path), LINKS_OUT)
        descriptor = os.open(real, _OPEN_FLAGS)
    try:
        if not _opened_below(descriptor, base, real):
            raise OutsideError(Path(path), LINKS_OUT)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _direct_child(root: Path | str, base: str, text: str) -> str | None:
    """Where ``text`` is when it names an entry of ``root`` itself (``<root>/MLmodel``, most reads):
    that name below ``base``, which is already real; None for a deeper or unusual path."""
    top = os.fspath(root)
    if not text.startswith(top) or text[len(top):len(top) + 1] != os.sep:
        return None
    name = text[len(top) + 1:]
    if not name or os.sep in name or name in (".", ".."):
        return None
    return base + name if base.endswith(os.sep) else base + os.sep + name


def _open_child(real: str) -> int | None:
    """``real`` (an entry of a real folder) opened without following a symlink there, so that
    nothing but that entry is opened; None when it is one (or the open fails otherwise): the
    caller then resolves it. An absent entry is absent either way."""
    try:
        return os.open(real, _OPEN_FLAGS)
    except FileNotFoundError:
        raise
    except OSError:
        return None


def relative_posix(root: Path, path: Path) -> str:
    """``path.relative_to(root).as_posix()`` (``ValueError`` when not below), by the text of the
    paths for one built below ``root`` the usual way (``root / ...``, a walk from ``root``): a
    model dir's walk asks it of every file."""
    top, text = str(root), str(path)
    if os.sep == "/" and text.startswith(top) and text[len(top):len(top) + 1] == "/" and top not in ("", "/", "."):
        return text[len(top) + 1:]
    return path.relative_to(root).as_posix()


def lies_below(base: str, real: str) -> bool:
    """Whether the resolved path ``real`` is ``base`` or below it (both already resolved)."""
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _opened_below(descriptor: int, base: str, real: str) -> bool:
    """Whether the file really opened is the one checked: a parent swapped for a symlink between
    ``realpath`` and ``open`` is caught here."""
    try:
        return lies_below(base, os.readlink(f"{_PROC_FD}/{descriptor}"))
    except OSError:
        pass  # no /proc: compare the inode with the checked path's
    try:
        opened, checked = os.fstat(descriptor), os.stat(real, follow_symlinks=False)
    except OSError:
        return False
    return (opened.st_dev, opened.st_ino) == (checked.st_dev, checked.st_ino)


def read_text(path: Path, root: Path | None = None) -> tuple[str | None, ReadProblem | None]:
    """:func:`read_disk_text`, or what the fix view holds while fixes run (see :data:`view`)."""
    if view is not None:
        return view.read_text(path, root)
    return read_disk_text(path, root)


def read_disk_text(path: Path, root: Path | None = None) -> tuple[str | None, ReadProblem | None]:
    """Return ``(text, None)``, ``(None, None)`` when absent, or ``(None, problem)``.

    With ``root``, a file resolving outside it is refused (a problem with ``outside`` set) and
    never opened; without, the path is the user's own (a config file, a training project file
    named on the command line).
    """
    try:
        data = read_regular(path, root, MAX_TEXT_BYTES + 1)
    except OutsideError as error:
        return None, ReadProblem(path, f"`{path.name}` {error.reason}: not read", outside=True)
    except FileNotFoundError:
        if _is_symlink(path):
            return None, ReadProblem(path, f"`{path.name}` is a broken symlink")
        return None, None
    except NotRegularFile as error:
        if error.kind == "a directory":
            return None, ReadProblem(path, f"`{path.name}` is a directory, not a file")
        return None, ReadProblem(path, f"`{path.name}` is {error.kind}, not a regular file: not read")
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None, ReadProblem(path, f"`{path.name}` is a symlink loop")
        if error.errno == errno.ENOTDIR:
            return None, None
        return None, ReadProblem(path, f"cannot read `{path.name}`: {error.strerror or error}")
    except ValueError:  # a NUL byte in the name
        return None, None
    if len(data) > MAX_TEXT_BYTES:
        return None, ReadProblem(path, f"`{path.name}` is larger than {MAX_TEXT_BYTES // 2**20} MiB")
    if b"\x00" in data:
        return None, ReadProblem(path, f"`{path.name}` is binary, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, ReadProblem(path, f"`{path.name}` is not UTF-8 text (byte {error.start})")
    return text, None


def _is_symlink(path: Path) -> bool:
    try:
        return path.is_symlink()
    except (OSError, ValueError):
        return False


# --- walking --------------------------------------------------------------------------------------


def walk_inside(root: Path, top: Path, keep_dir: Callable[[str], bool] = lambda name: True, *,
                special_files: bool = False) -> Iterator[tuple[Path, bool]]:
    """``(path, inside)`` for the files below ``top`` (itself below ``root``), in a stable order.

    ``inside`` is True for a regular file (or a symlink to one) that stays below ``root``; False
    for a symlink, to a file or a directory, that resolves outside it: such entries are reported,
    never read or descended into. Symlinked directories are never descended (those inside are
    walked where they really are); FIFOs, devices and sockets are left out, since reading them
    would block or never end, unless ``special_files`` asks for them, and for the folders that
    cannot be listed (as inside entries, for a caller that reports them unopened). ``keep_dir``
    prunes directories by name.
    """
    if not is_within(root, top):
        return
    base = real_root(root)
    unlisted: list[OSError] = []
    # os.walk's order (a folder's entries by name, then its kept subfolders one by one, depth
    # first), with each os.DirEntry's type reused instead of an lstat and a stat per name.
    pending: list[tuple[str, Path]] = [(os.fspath(top), top)]
    while pending:
        directory, here = pending.pop()
        listed = _listed(directory, unlisted)
        if listed is None:
            continue
        kept: list[tuple[str, Path]] = []
        for entry in listed[0]:
            if _is_link(entry):
                if not lies_below(base, os.path.realpath(entry.path)):
                    yield here / entry.name, False
            elif keep_dir(entry.name):
                kept.append((entry.path, here / entry.name))
        for entry in listed[1]:
            try:
                if _is_link(entry) and not lies_below(base, os.path.realpath(entry.path)):
                    yield here / entry.name, False
                elif special_files or entry.is_file():
                    yield here / entry.name, True
            except (OSError, ValueError):
                continue
        pending.extend(reversed(kept))
    if special_files:  # the folders that could not be listed, last
        yield from ((Path(error.filename), True) for error in unlisted if error.filename and Path(error.filename) != top)


def _listed(directory: str, unlisted: list[OSError]) -> tuple[list[os.DirEntry[str]], list[os.DirEntry[str]]] | None:
    """The folders (symlinks to folders included) and the other entries of ``directory``, each by
    name, as os.walk divides them; None, with the error kept in ``unlisted``, when it cannot be listed."""
    folders: list[os.DirEntry[str]] = []
    others: list[os.DirEntry[str]] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    is_folder = entry.is_dir()
                except OSError:
                    is_folder = False
                (folders if is_folder else others).append(entry)
    except OSError as error:
        unlisted.append(error)
        return None
    folders.sort(key=_entry_name)
    others.sort(key=_entry_name)
    return folders, others


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


# --- questions that must not raise --------------------------------------------------------------


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


def open_regular(path: Path | str, root: Path | None = None, buffering: int = -1, *,
                 follow: bool = True) -> BinaryIO:
    """Open a regular file for reading; raise :class:`NotRegularFile` for anything else, without
    blocking (the open is non-blocking, so a FIFO is refused instead of waited on) or reading it.

    With ``root`` (the model dir or project being checked), the file must resolve below it:
    :class:`OutsideError` otherwise (see :func:`open_inside`). Without, the path is the user's own,
    and a symlink to it is followed unless ``follow`` is False (a walk that listed a regular file
    must not read a link someone put in its place).
    """
    descriptor = _regular_descriptor(path, root, follow)
    try:
        return os.fdopen(descriptor, "rb", buffering=buffering)
    except BaseException:
        os.close(descriptor)
        raise


def read_regular(path: Path | str, root: Path | None, limit: int) -> bytes:
    """The first ``limit`` bytes of the regular file ``path`` (all of a shorter one), opened as
    :func:`open_regular` opens it and raising what it raises, without a file object around the
    descriptor: a model dir's files are read thousands of times in a store's run."""
    descriptor = _regular_descriptor(path, root, True)
    try:
        chunks = []
        left = limit
        wanted = limit
        while left > 0:
            # The whole limit asked at once, as a file object asks: a big request is a mapping of its
            # own, returned to the system when the bytes are freed. Reads sized to each file, or of
            # 64 KiB first, left holes in the heap (4 MB more RSS over a 2,000-model store in one
            # process) for no CPU time measured.
            chunk = os.read(descriptor, min(left, wanted))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
            wanted = _READ_CHUNK
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(descriptor)


def _regular_descriptor(path: Path | str, root: Path | None, follow: bool) -> int:
    """A descriptor of the regular file ``path`` (see :func:`open_regular`)."""
    if root is not None:
        descriptor = open_inside(root, path)
    else:
        descriptor = os.open(path, _OPEN_FLAGS if not follow else _OPEN_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
    try:
        kind = special_kind(os.fstat(descriptor).st_mode)
        if kind is not None:
            raise NotRegularFile(kind)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def exists(path: Path) -> bool:
    """``Path.exists`` that treats symlink loops and permission errors as absent."""
    if view is not None and view.created(path):
        return True
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def lexists(path: Path) -> bool:
    """``os.path.lexists``: True for anything at ``path``, a broken or looping symlink included."""
    if view is not None and view.created(path):
        return True
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def is_file(path: Path) -> bool:
    """``Path.is_file`` that answers False where pathlib raises (a name too long, a symlink loop)."""
    if view is not None and view.created(path):
        return True
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    """``Path.is_dir`` that answers False where pathlib raises (a name too long, a symlink loop)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False
