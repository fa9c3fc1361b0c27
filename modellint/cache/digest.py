"""A target's part of the cache key: the digest of its tree (or lone file), and the state of its entries.

A target is walked once, with ``lstat`` only (:class:`TreeWalk`). Its key is the digest of every
entry's name, kind and bytes (:meth:`TreeWalk.content_key`), which means reading every file. A warm
run over an unchanged store would spend most of its time doing that, so the findings are also
remembered with the digest of the entries' states (:meth:`TreeWalk.state_key`: mode, size,
modification and change times, inode and device of each, and of the target's folder itself), as
git's index remembers a file's hash with its state. The change time is set by the kernel on every
write, rename and chmod, and cannot be set back by the file's owner, so a tree cannot keep its
states and change its bytes. Only a tree whose entries all changed well before it was walked has
a state key: a file written within the same clock tick as the walk could change again without its
times showing it (git's "racily clean" entry).

A warm run need not list a folder to know its entries: a folder's modification and change times
move whenever an entry is added to it, removed or renamed, so a folder in the same state as when
it was listed holds the same names. The cache keeps the names of the last walk beside the state
key (:func:`listing_key`), and :func:`restated` takes the states of those names, one ``lstat``
each. Equal to the stored state key, they are the states of a whole walk (every folder's among
them, the target's own included, hence every name); any other names or states give another
digest, a miss.
"""

from __future__ import annotations

import hashlib
import operator
import os
import stat
import struct
import time
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.files import open_regular
from modellint.cache import MAX_BYTES

if TYPE_CHECKING:
    from collections.abc import Callable

    from modellint.targets import Target

MAX_ENTRIES = 20_000  # past it, a target is linted without the cache
_CHUNK = 1024**2
# How long before a walk every entry must have last changed for its state to stand for its
# bytes (timestamps are coarser than the clock on some file systems: two seconds on FAT).
SETTLED_NANOSECONDS = 3 * 10**9

# An entry's state: what ``lstat`` says of it that changes when it does, six integers.
State = tuple[int, int, int, int, int, int]
_MODE, _SIZE, _MTIME, _CTIME, _INODE, _DEVICE = range(6)
# An entry of a walk: its name relative to the target, its path, its state.
Entry = tuple[str, str, State]


class TreeWalk:
    """Every entry of a target (relative name, path, ``lstat``), in a fixed order, without
    following a symlink or opening anything; see :func:`walk`."""

    def __init__(self, target: Target, run: str, entries: list[Entry], newest: int, root: State | None) -> None:
        self.target = target
        self.run = run
        self.entries = entries
        self.newest = newest  # the latest modification or change time of any entry (ns)
        self.root = root  # the state of the target's folder (None for a lone file)

    def content_key(self) -> str | None:
        """The target's key: a digest of the run and of every entry's name, kind and bytes (a
        symlink by its text; a FIFO, device or socket by its kind, never opened). None when an
        entry cannot be read as it was listed."""
        digest = _started(self.target, self.run)
        for relative, path, info in self.entries:
            name = _encoded(relative)
            mode = info[_MODE]
            if stat.S_ISDIR(mode):
                _put(digest, b"dir", name)
            elif stat.S_ISLNK(mode):
                try:
                    link = os.readlink(path)
                except OSError:
                    return None
                _put(digest, b"link", name, _encoded(link))
            elif stat.S_ISREG(mode):
                content = _content_digest(path, info)
                if content is None:
                    return None
                _put(digest, b"file", name, content)
            else:  # a FIFO, device or socket: never opened (a FIFO would block), known by its kind
                _put(digest, b"special", name, str(stat.S_IFMT(mode)).encode())
        return digest.hexdigest()

    def state_key(self) -> str | None:
        """A digest of the run and of every entry's name and state, under which the findings can
        be remembered; None when an entry changed too recently for its state to be trusted."""
        if self.newest >= time.time_ns() - SETTLED_NANOSECONDS:
            return None
        return _state_digest(self.target, self.run, self.root, self.names(),
                             _packed_states([info for _, _, info in self.entries]))

    def names(self) -> list[str]:
        """Every entry's name relative to the target, in the walk's order (see :func:`restated`)."""
        return [relative for relative, _, _ in self.entries]

    def still_holds(self) -> bool:
        """Whether every entry is as it was when walked (checked after the lint, which is stored
        only then)."""
        again = walk(self.target, self.run)
        return again is not None and again.root == self.root and again.entries == self.entries


def listing_key(target: Target, run: str) -> str:
    """Where the names of ``target``'s last walk and its state key are kept: a digest of the run
    and the target alone, known before anything of it is read."""
    return _started(target, run, b"listing").hexdigest()


def restated(target: Target, run: str, names: object) -> str | None:
    """The state key a walk of ``target`` would give if its entries were ``names`` (the names of
    an earlier walk), from one ``lstat`` per name and no listing; None when a name is not there,
    an entry changed too recently, or ``names`` is not a list of at most :data:`MAX_ENTRIES` names."""
    current = _current_states(target, names)
    if current is None or _newest(*current) >= time.time_ns() - SETTLED_NANOSECONDS:
        return None
    root, infos = current
    return _state_digest(target, run, root, names, _packed_infos(infos))  # type: ignore[arg-type]


def restated_all(key: str, run: str, targets: list[Target], names: list[list[str]]) -> tuple[str, list[str]] | None:
    """:func:`restated` of each of ``targets`` with its ``names``, and one digest of all their
    states under ``key`` (a pack's, which names the targets) from the same ``lstat`` calls; None
    when a name is not there or an entry changed too recently. Equal to the one digest of an
    earlier call, every target's state key is what that call gave (:func:`states_unchanged`)."""
    keys: list[str] = []
    whole = _all_states(key, targets, names, lambda target, root, listed, packed: keys.append(
        _state_digest(target, run, root, listed, packed)))
    return None if whole is None else (whole.hexdigest(), keys)


def states_unchanged(key: str, targets: list[Target], names: list[list[str]], whole: str) -> bool:
    """Whether the one digest :func:`restated_all` gives is ``whole``, without working out each
    target's state key: a warm run over a store in which nothing changed."""
    current = _all_states(key, targets, names)
    return current is not None and current.hexdigest() == whole


def _all_states(key: str, targets: list[Target], names: list[list[str]],
                each: Callable[[Target, State | None, list[str], bytes], object] | None = None) -> hashlib._Hash | None:
    """The one digest of every target's states (``each`` told each target's root and packed
    states as they are read); None when a name is not there or an entry changed too recently."""
    whole = _whole_started(key, names)
    newest = 0
    for target, listed in zip(targets, names):
        current = _current_states(target, listed)
        if current is None:
            return None
        root, infos = current
        newest = max(newest, _newest(root, infos))
        packed = _packed_infos(infos)
        _put(whole, _encoded(repr(root)), packed)
        if each is not None:
            each(target, root, listed, packed)
    return whole if newest < time.time_ns() - SETTLED_NANOSECONDS else None


def _whole_started(key: str, names: list[list[str]]) -> hashlib._Hash:
    digest = hashlib.sha256()
    _put(digest, b"all states", key.encode(), _encoded(repr(names)))
    return digest


def _current_states(target: Target, names: object) -> tuple[State | None, list[os.stat_result]] | None:
    """The state of ``target``'s folder (None for a lone file) and what ``lstat`` says of each of
    ``names`` below it; None when a name is not there, or ``names`` is not a list of at most
    :data:`MAX_ENTRIES` names."""
    if type(names) is not list or len(names) > MAX_ENTRIES:
        return None
    try:
        if target.kind == "file":
            if names != [target.path.name]:
                return None
            paths = [str(target.path)]
            root = None
        else:
            prefix = os.path.join(str(target.path), "")
            paths = [prefix + name for name in names]  # a name that is no str raises TypeError: a miss
            root = _state(os.stat(target.path))
        return root, [os.lstat(path) for path in paths]
    except (OSError, TypeError, ValueError):  # ValueError: a NUL in a name
        return None


def _newest(root: State | None, infos: list[os.stat_result]) -> int:
    """The latest modification or change time of the folder and the entries (ns)."""
    # Both times, C-speed: a warm run over a store looks at 30,000 names.
    newest = max(max(map(_MTIME_NS, infos), default=0), max(map(_CTIME_NS, infos), default=0))
    return newest if root is None else max(newest, root[_MTIME], root[_CTIME])


_MTIME_NS = operator.attrgetter("st_mtime_ns")
_CTIME_NS = operator.attrgetter("st_ctime_ns")
# An entry's state as bytes: mode, size, modification and change times, inode, device.
_PACKED_STATE = struct.Struct("<QqqqQQ")


def _state_digest(target: Target, run: str, root: State | None, names: list[str], states: bytes) -> str:
    """The digest of a walk's names and states (:func:`_packed_states` of a walk's tuples, or
    :func:`_packed_infos` of what ``lstat`` gave for the names: the same bytes for the same states)."""
    digest = _started(target, run, b"states")
    # The names' repr: quoted and escaped, so no two lists of names read alike.
    _put(digest, _encoded(repr(root)), _encoded(repr(names)), states)
    return digest.hexdigest()


def _packed_states(states: list[State]) -> bytes:
    """Each state as six fixed-width integers (a fifth of the cost of their repr); their repr when
    one does not fit in 64 bits (a time set centuries ahead), which no packing starts like (its
    first eight bytes would be a mode over 16 bits)."""
    pack = _PACKED_STATE.pack
    try:
        return b"".join([pack(*info) for info in states])
    except struct.error:
        return b"repr" + _encoded(repr(states))


def _packed_infos(infos: list[os.stat_result]) -> bytes:
    """:func:`_packed_states` of the states of ``infos``, without making the tuples first."""
    pack = _PACKED_STATE.pack
    try:
        return b"".join([pack(info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
                         for info in infos])
    except struct.error:
        return _packed_states([_state(info) for info in infos])


def _started(target: Target, run: str, *kind: bytes) -> hashlib._Hash:
    digest = hashlib.sha256()
    _put(digest, *kind, b"run", run.encode(), target.kind.encode(), _encoded(os.path.abspath(target.path)))
    for relative, reason in target.withheld:
        _put(digest, b"withheld", _encoded(relative), _encoded(reason))
    return digest


def walk(target: Target, run: str) -> TreeWalk | None:
    """The entries of ``target`` in a run with fingerprint ``run``; None when it is not to be
    cached (a tree of more than :data:`MAX_ENTRIES` entries or :data:`MAX_BYTES` bytes, an entry
    that cannot be listed, a training project that is one file or holds a symlink)."""
    if target.kind not in ("model", "file", "project"):
        return None
    entries: list[Entry] = []
    budget = _Budget()
    root = None
    if target.kind == "file":
        complete = _add_file(str(target.path), target.path.name, entries, budget)
    elif target.kind == "project" and (not os.path.isdir(target.path) or _holds_an_install(str(target.path))):
        # A lone script: its project is the folder around it, which is not walked. A project
        # with a virtualenv or node_modules in it: tens of thousands of files its lint never
        # reads, which every run would walk (and the first hash) for nothing.
        return None
    else:
        try:  # before its listing: a change between the two is a state no later walk matches
            root = _state(os.stat(target.path))
        except OSError:
            return None
        budget.newest = max(root[_MTIME], root[_CTIME])
        complete = _add_tree(Path(target.path), entries, budget)
    if target.kind == "project" and any(stat.S_ISLNK(info[_MODE]) for _, _, info in entries):
        # Whether a project file lies inside the project is decided by following its links; a
        # link's text is in the key, but where it leads may pass through another tree.
        return None
    return TreeWalk(target, run, entries, budget.newest, root) if complete else None


def _holds_an_install(root: str) -> bool:
    """Whether the folder ``root`` holds an environment of installed packages at its top."""
    try:
        with os.scandir(root) as listing:
            folders = [entry.path for entry in listing if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return True
    return any(os.path.basename(folder) in _INSTALL_FOLDERS or os.path.lexists(os.path.join(folder, "pyvenv.cfg"))
               for folder in folders)


_INSTALL_FOLDERS = frozenset({"node_modules", "site-packages"})


class _Budget:
    def __init__(self) -> None:
        self.entries = MAX_ENTRIES
        self.bytes = MAX_BYTES
        self.newest = 0

    def spend(self, info: State) -> bool:
        """Charge one entry of state ``info``; False once the tree is over the budget."""
        self.entries -= 1
        if stat.S_ISREG(info[_MODE]):
            self.bytes -= info[_SIZE]
        self.newest = max(self.newest, info[_MTIME], info[_CTIME])
        return self.entries >= 0 and self.bytes >= 0


def _add_tree(root: Path, entries: list[Entry], budget: _Budget) -> bool:
    """Every entry below ``root``, in a fixed order, without following a symlink."""
    pending = [(str(root), "")]
    while pending:
        folder, prefix = pending.pop()
        listed = _listed(folder, budget.entries)
        if listed is None:
            return False
        for entry in listed:
            try:
                info = _state(entry.stat(follow_symlinks=False))
            except OSError:
                return False
            if not budget.spend(info):
                return False
            relative = f"{prefix}{entry.name}"
            entries.append((relative, entry.path, info))
            if stat.S_ISDIR(info[_MODE]):
                pending.append((entry.path, f"{relative}/"))
    return True


def _listed(folder: str, most: int) -> list[os.DirEntry[str]] | None:
    """The entries of ``folder``, sorted by name; None past ``most`` of them (a folder of a million
    files is not read to the end, let alone sorted) or when it cannot be listed."""
    listed: list[os.DirEntry[str]] = []
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                if len(listed) >= most:
                    return None
                listed.append(entry)
    except OSError:
        return None
    listed.sort(key=_name)
    return listed


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _add_file(path: str, relative: str, entries: list[Entry], budget: _Budget) -> bool:
    try:
        info = _state(os.lstat(path))
    except OSError:
        return False
    entries.append((relative, path, info))
    return budget.spend(info)


def _state(info: os.stat_result) -> State:
    return info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev


def _put(digest: hashlib._Hash, *fields: bytes) -> None:
    """Each field with its length first: no two different entries (a link ``a`` to ``b c`` and
    a link ``a b`` to ``c``) can feed the digest the same bytes."""
    for field in fields:
        digest.update(len(field).to_bytes(8, "little") + field)


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # any str, one way: lone surrogates included


def _content_digest(path: str, listed: State) -> bytes | None:
    """SHA-256 of a regular file's bytes, opened without following a link and without blocking;
    None when it is not the file that was listed (replaced since) or cannot be read."""
    try:
        handle = open_regular(path, buffering=0, follow=False)
    except OSError:
        return None
    with handle:
        try:
            opened = os.fstat(handle.fileno())
            if (opened.st_dev, opened.st_ino) != (listed[_DEVICE], listed[_INODE]):
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
