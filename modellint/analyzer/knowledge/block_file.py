"""The layout the per-release data, its Requires-Dist and the advisories share: a data file a
model reads a few blocks of, never the whole.

    {"format": N, "snapshot_date": ..., "index_bytes": K, ...}\\n   a JSON header line
    name<TAB>offset<TAB>length\\n ...                              K bytes, sorted by name
    zlib blocks                                                     one per distribution

Opening one reads the header and the index only; a block is read, inflated (at most
``max_block_bytes`` of it read) and parsed the first time a distribution is asked for, once per
process.
"""

from __future__ import annotations

import json
import zlib
from _thread import allocate_lock  # threading.Lock itself, without importing threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from modellint.analyzer.knowledge.distributions import SortedLines

T = TypeVar("T")


class BlockFile(Generic[T]):
    """One such data file; subclasses say what a block parses to (:meth:`_parse`) and what a
    distribution without a block is (:attr:`missing`)."""

    max_block_bytes = 4 << 20

    def __init__(self, path: Path, expected_format: int, missing: T) -> None:
        self._path = path
        with path.open("rb") as handle:
            header_line = handle.readline(4096)
            self.header = json.loads(header_line)
            if self.header.get("format") != expected_format:
                raise ValueError(f"{path.name}: format {self.header.get('format')}, expected {expected_format}")
            index = handle.read(self.header["index_bytes"])
        self._index = SortedLines(index, 0, len(index))
        self._blocks_start = len(header_line) + len(index)
        self._missing = missing
        self._parsed: dict[str, T] = {}
        self._lock = allocate_lock()

    @property
    def snapshot_date(self) -> str:
        return str(self.header["snapshot_date"])

    def __contains__(self, name: str) -> bool:
        return name in self._index

    def names(self) -> tuple[str, ...]:
        return tuple(self._index)

    def get(self, name: str) -> T:
        """What the block of the normalised distribution ``name`` holds (``missing`` without one)."""
        with self._lock:
            if name not in self._parsed:
                self._parsed[name] = self._read(name)
            return self._parsed[name]

    def _read(self, name: str) -> T:
        entry = self._index.get(name)
        if entry is None:
            return self._missing
        offset, length = (int(field) for field in entry.split("\t"))
        with self._path.open("rb") as handle:
            handle.seek(self._blocks_start + offset)
            text = zlib.decompress(handle.read(min(length, self.max_block_bytes))).decode()
        return self._parse(name, text)

    def _parse(self, name: str, text: str) -> T:
        raise NotImplementedError


def encode_block_file(header: Mapping[str, Any], blocks: Mapping[str, str]) -> bytes:
    """The bytes of a data file holding ``blocks`` (distribution -> its block's text), ``header``
    completed with ``index_bytes``: what the build scripts write and :class:`BlockFile` reads."""
    index, data, offset = [], [], 0
    for name in sorted(blocks, key=str.encode):
        compressed = zlib.compress(blocks[name].encode(), 9)
        index.append(f"{name}\t{offset}\t{len(compressed)}\n")
        data.append(compressed)
        offset += len(compressed)
    index_bytes = "".join(index).encode()
    full_header = {**header, "index_bytes": len(index_bytes)}
    return json.dumps(full_header, sort_keys=True).encode() + b"\n" + index_bytes + b"".join(data)
