"""The cache directory: one JSON file per key, written atomically, read defensively.

Runs side by side write the same entry at once: each writes a private temporary file and
renames it into place, so a reader sees a whole entry or none. An entry is used only when it
parses, names the key it is found under and decodes to findings; anything else (truncated by a
full disk, edited, a symlink, too big) is a miss, and the target is linted and written again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from modellint.analyzer.files import open_regular
from modellint.cache.codec import CorruptEntry, decode, encode
from modellint.findings import Finding
from modellint.record import Record

FORMAT = "modellint-cache-2"  # a new format is a new folder: old entries are never read as new ones
MAX_ENTRY_BYTES = 64 * 1024**2  # findings of one target: far more than any real model gives


def default_directory() -> Path:
    """``MODELLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/modellint``, else ``~/.cache/modellint``."""
    configured = os.environ.get("MODELLINT_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "modellint"


class Listed(Record):
    """A walk's names and state key, kept under a key of the target alone (see
    :func:`modellint.cache.digest.restated`)."""

    __slots__ = ("key", "names", "state")

    def __init__(self, key: str, names: list[str], state: str) -> None:
        self.key = key
        self.names = names
        self.state = state


class TargetCache(Record):
    """The cache of one run: its directory, the run's fingerprint, and a token of this run alone
    that its listing entries carry (travels to the workers): the run can tell an entry its own
    lint wrote from one another run wrote since (:mod:`modellint.cache.warm`)."""

    __slots__ = ("directory", "run", "writer")

    def __init__(self, directory: Path, run: str, writer: str = "") -> None:
        self.directory = directory
        self.run = run
        self.writer = writer

    def _path(self, key: str) -> str:
        # Joined as text: a warm run over a store asks for thousands of entries.
        return os.path.join(self.directory, FORMAT, key[:2], f"{key}.json")

    def load(self, key: str, target: Path) -> list[Finding] | None:
        """The findings stored under ``key`` for the target at ``target``, or None (a miss)
        whatever is wrong with the entry."""
        document = self.read(key)
        return None if document is None else self.findings(document, target)

    def read(self, key: str) -> dict[str, Any] | None:
        """The entry stored under ``key``, parsed, when it is one this version wrote under that key."""
        data = self.read_bytes(key)
        return None if data is None else self.parsed(data, key)

    def read_bytes(self, key: str) -> bytes | None:
        """The bytes of the entry stored under ``key``, unchecked; None when there is no regular
        file of at most :data:`MAX_ENTRY_BYTES` there."""
        try:  # a symlink or FIFO put in an entry's place is refused, never followed or waited on
            with open_regular(self._path(key), buffering=0, follow=False) as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > MAX_ENTRY_BYTES:
                    return None
                data = handle.read(size + 1)  # no more than the entry says it holds (and one byte to see it grew)
        except OSError:
            return None
        return data if len(data) == size else None

    @staticmethod
    def parsed(data: bytes, key: str) -> dict[str, Any] | None:
        """The entry ``data`` (an entry's bytes, from its file or a pack), parsed, when it is one
        this version wrote under ``key``."""
        try:
            document = json.loads(data)
        except (ValueError, RecursionError):
            return None
        if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("key") != key:
            return None
        return document

    @staticmethod
    def findings(document: dict[str, Any], target: Path) -> list[Finding] | None:
        """The findings of an entry :meth:`read` returned, or None when they do not decode."""
        try:
            return decode(document, target)
        except CorruptEntry:
            return None

    def store(self, keys: Iterable[str], findings: list[Finding], target: Path, listed: Listed | None = None) -> None:
        """Write the findings of the target at ``target`` under each of ``keys``, and with the
        names and state key of its walk under ``listed``'s key; a cache that cannot be written
        (read-only, full) is no error: the next run lints again. Nor is one too big to write:
        findings whose texts add up to more than a quarter of :data:`MAX_ENTRY_BYTES` (JSON
        escapes can grow text sixfold) are not encoded at all, so a hostile target cannot make the
        cache hold its findings twice over."""
        if _text_size(findings) > MAX_ENTRY_BYTES // 4:
            return
        encoded = encode(findings, target)
        entries: list[tuple[str, dict[str, Any]]] = [(key, {}) for key in keys]
        if listed is not None:
            entries.append((listed.key, {"names": listed.names, "state": listed.state, "writer": self.writer}))
        for key, extra in entries:
            self._write(key, json.dumps({"format": FORMAT, "key": key, **extra, **encoded}, separators=(",", ":")))

    def _write(self, key: str, text: str) -> None:
        """``text`` as the entry of ``key``, whole or not at all: written beside it, then renamed."""
        path = self._path(key)
        folder = os.path.dirname(path)
        try:
            # Each level private (mkdir's mode applies to the last level only).
            for level in (self.directory, self.directory / FORMAT, Path(folder)):
                level.mkdir(parents=True, exist_ok=True, mode=0o700)
            import tempfile  # only a run that writes an entry: a warm run writes none

            descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(text)
            os.replace(temporary, path)
        except (OSError, UnicodeEncodeError):
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _text_size(findings: list[Finding]) -> int:
    """The characters an entry of ``findings`` holds, about: messages, paths and fix edits."""
    size = 0
    for finding in findings:
        size += 200 + len(finding.message) + len(finding.fix_title or "") + 2 * len(str(finding.path))
        if finding.fix is not None:
            size += sum(len(edit.content) + len(str(edit.path)) + 40 for edit in finding.fix.edits)
    return size
