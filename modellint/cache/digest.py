"""A target's part of the cache key: the digest of its tree (or lone file), and the state of its entries."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.files import open_regular
from modellint.cache import MAX_BYTES

if TYPE_CHECKING:
    from modellint.targets import Target

MAX_ENTRIES = 20_000  # past it, a target is linted without the cache
_CHUNK = 1024**2


class TreeKey:
    """A target's key, and the state of each entry when it was hashed: the lint that follows
    is stored under the key only if nothing changed meanwhile (:meth:`still_holds`)."""

    def __init__(self, key: str, states: list[tuple[str, int, int, int, int]]) -> None:
        self.key = key
        self._states = states

    def still_holds(self, target: Target) -> bool:
        walk = _Walk()
        if target.kind == "file":
            _add_entry(None, str(target.path), target.path.name, walk)
        else:
            _add_tree(None, Path(target.path), walk)
        return walk.states == self._states


def target_key(target: Target, run: str) -> TreeKey | None:
    """The key of ``target`` in a run with fingerprint ``run``; None when it is not to be cached
    (a project, a tree too large to hash, an entry that cannot be read)."""
    if target.kind not in ("model", "file"):
        return None
    digest = hashlib.sha256()
    _put(digest, b"run", run.encode(), target.kind.encode(), _encoded(os.path.abspath(target.path)))
    for relative, reason in target.withheld:
        _put(digest, b"withheld", _encoded(relative), _encoded(reason))
    walk = _Walk()
    if target.kind == "file":
        complete = _add_entry(digest, str(target.path), target.path.name, walk)
    else:
        complete = _add_tree(digest, Path(target.path), walk)
    return TreeKey(digest.hexdigest(), walk.states) if complete else None


class _Walk:
    """The budget of one walk, and the state of each entry seen (mode, size, times)."""

    def __init__(self) -> None:
        self.entries = MAX_ENTRIES
        self.bytes = MAX_BYTES
        self.states: list[tuple[str, int, int, int, int]] = []


def _add_tree(digest: hashlib._Hash | None, root: Path, walk: _Walk) -> bool:
    """Every entry below ``root``, in a fixed order, without following a symlink."""
    pending = [(str(root), "")]
    while pending:
        folder, prefix = pending.pop()
        names = _listed(folder, walk.entries)
        if names is None:
            return False
        for name in names:
            relative = f"{prefix}{name}"
            path = os.path.join(folder, name)
            if not _add_entry(digest, path, relative, walk):
                return False
            if stat.S_ISDIR(walk.states[-1][1]):
                pending.append((path, f"{relative}/"))
    return True


def _listed(folder: str, most: int) -> list[str] | None:
    """The names in ``folder``, sorted; None past ``most`` of them (a folder of a million files is
    not read to the end, let alone sorted) or when it cannot be listed."""
    names: list[str] = []
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                if len(names) >= most:
                    return None
                names.append(entry.name)
    except OSError:
        return None
    return sorted(names)


def _add_entry(digest: hashlib._Hash | None, path: str, relative: str, walk: _Walk) -> bool:
    """One entry into ``digest`` (None: only its state is noted, no file is read)."""
    walk.entries -= 1
    if walk.entries < 0:
        return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    mode = info.st_mode
    walk.states.append((relative, mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns))
    if digest is None:
        return True
    name = _encoded(relative)
    if stat.S_ISDIR(mode):
        _put(digest, b"dir", name)
    elif stat.S_ISLNK(mode):
        try:
            link = os.readlink(path)
        except OSError:
            return False
        _put(digest, b"link", name, _encoded(link))
    elif stat.S_ISREG(mode):
        walk.bytes -= info.st_size
        if walk.bytes < 0:
            return False
        content = _content_digest(path, info)
        if content is None:
            return False
        _put(digest, b"file", name, content)
    else:  # a FIFO, device or socket: never opened (a FIFO would block), known by its kind
        _put(digest, b"special", name, str(stat.S_IFMT(mode)).encode())
    return True


def _put(digest: hashlib._Hash, *fields: bytes) -> None:
    """Each field with its length first: no two different entries (a link ``a`` to ``b c`` and
    a link ``a b`` to ``c``) can feed the digest the same bytes."""
    for field in fields:
        digest.update(len(field).to_bytes(8, "little") + field)


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # any str, one way: lone surrogates included


def _content_digest(path: str, listed: os.stat_result) -> bytes | None:
    """SHA-256 of a regular file's bytes, opened without following a link and without blocking;
    None when it is not the file that was listed (replaced since) or cannot be read."""
    try:
        handle = open_regular(path, buffering=0, follow=False)
    except OSError:
        return None
    with handle:
        try:
            opened = os.fstat(handle.fileno())
            if (opened.st_dev, opened.st_ino) != (listed.st_dev, listed.st_ino):
                return None
            digest = hashlib.sha256()
            remaining = opened.st_size
            while remaining > 0:
                chunk = handle.read(min(_CHUNK, remaining))
                if not chunk:
                    return None  # shorter than it says: changing under us
                digest.update(chunk)
                remaining -= len(chunk)
            if handle.read(1):
                return None  # longer than it says: changing under us
            return f"{opened.st_size} {digest.hexdigest()}".encode()
        except OSError:
            return None
