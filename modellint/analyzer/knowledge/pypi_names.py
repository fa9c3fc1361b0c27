"""Whether PyPI has a project of a given name: a Golomb-coded set of every project name on a dated
snapshot (``pypi_names.gcs`` beside this file, built by ``scripts/build_pypi_names.py``).

Each normalised name is hashed (BLAKE2b, 8 bytes) into ``[0, count << rice_bits)``; the sorted
hashes are stored as Rice-coded gaps (``rice_bits`` low bits written plainly, the rest in unary),
in blocks of ``block`` hashes that each start on a byte. A name that is not on the list matches a
stored hash with a probability of about ``2 ** -rice_bits`` (1/1024): a false "exists", which only
costs a missed finding; a name on the list is always found. Layout:

    {"format": 1, "snapshot": "2026-11", "count": N, ...}\\n    a JSON header line
    each block's first hash (little-endian uint64), then each block's byte offset (uint32)
    the Rice-coded gaps of each block after its first hash

886,323 names take 1.43 MB, where a sorted list of the names is 12.7 MB (4.0 MB compressed, which
must be decompressed whole to be searched), sorted 32-bit hashes 3.5 MB and a Bloom filter at the
same rate 1.6 MB (``scripts/build_pypi_names.py --compare``). A lookup decodes one block of 64
hashes (about 20 us).
"""

from __future__ import annotations

import bisect
import json
import sys
import threading
from array import array
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("pypi_names.gcs")
FORMAT = 1
_MAX_HEADER_BYTES = 4096


def name_hash(name: str, modulus: int) -> int:
    # hashlib.blake2b is _blake2's (hashlib never hands BLAKE2 to OpenSSL); importing it directly
    # spares a run hashlib's import of OpenSSL, a tenth of a one-model check.
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - an interpreter built without it
        from hashlib import blake2b

    digest = blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % modulus


def encode(names: Iterable[str], rice_bits: int, block: int, header: dict[str, object]) -> bytes:
    """The data file for ``names`` (already normalised); ``header`` adds the snapshot and source."""
    unique = sorted(set(names))
    modulus = len(unique) << rice_bits
    hashes = sorted({name_hash(name, modulus) for name in unique})
    firsts, offsets, stream = array("Q"), array("I"), bytearray()
    for start in range(0, len(hashes), block):
        chunk = hashes[start:start + block]
        firsts.append(chunk[0])
        offsets.append(len(stream))
        stream += _rice_encode(chunk, rice_bits)
    full_header = {**header, "format": FORMAT, "count": len(unique), "modulus": modulus,
                   "rice_bits": rice_bits, "block": block, "blocks": len(firsts)}
    return (json.dumps(full_header, sort_keys=True).encode() + b"\n" + _little_endian(firsts)
            + _little_endian(offsets) + bytes(stream))


def write_checked(path: Path, names: list[str], rice_bits: int, block: int, header: dict[str, object]) -> bytes:
    """Encode ``names`` into ``path`` and read every one back through the reader (a build script's check
    that the file answers what it was built from); the bytes written."""
    built = encode(names, rice_bits, block, header)
    path.write_bytes(built)
    stored = PypiNames(path)
    missing = [name for name in names if name not in stored]
    if missing:
        raise SystemExit(f"{len(missing)} names not found after building, e.g. {missing[:3]}")
    return built


def _little_endian(values: array) -> bytes:
    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _from_little_endian(typecode: str, data: bytes) -> array:
    values = array(typecode)
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _rice_encode(chunk: list[int], rice_bits: int) -> bytes:
    bits: list[str] = []
    low_mask = (1 << rice_bits) - 1
    for previous, value in zip(chunk, chunk[1:]):
        gap = value - previous
        bits.append("1" * (gap >> rice_bits) + "0" + format(gap & low_mask, f"0{rice_bits}b"))
    text = "".join(bits)
    text += "0" * (-len(text) % 8)
    return int(text, 2).to_bytes(len(text) // 8, "big") if text else b""


_MAX_REMEMBERED_NAME = 256
_MAX_REMEMBERED_ANSWERS = 8192


class PypiNames:
    """The set as stored: the header and block index are read on first use, then each lookup
    decodes one block."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as handle:
            header_line = handle.readline(_MAX_HEADER_BYTES)
            self.header = json.loads(header_line)
            if self.header.get("format") != FORMAT:
                raise ValueError(f"{path.name}: format {self.header.get('format')}, expected {FORMAT}")
            body = handle.read()
        blocks = int(self.header["blocks"])
        self._firsts = _from_little_endian("Q", body[:8 * blocks])
        self._offsets = _from_little_endian("I", body[8 * blocks:12 * blocks])
        self._stream = body[12 * blocks:]
        self._offsets.append(len(self._stream))
        self._modulus = int(self.header["modulus"])
        self._rice_bits = int(self.header["rice_bits"])
        self._block = int(self.header["block"])
        self._answers: dict[str, bool] = {}

    @property
    def snapshot(self) -> str:
        """The month (``2026-11``) of the newest release the name list knew: names registered later
        are missing from it."""
        return str(self.header["snapshot"])

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        # Each answer decodes a block bit by bit; a store's models ask of the same few hundred names.
        known = self._answers.get(name)
        if known is None:
            known = self._contains(name)
            if len(name) <= _MAX_REMEMBERED_NAME:
                if len(self._answers) >= _MAX_REMEMBERED_ANSWERS:
                    self._answers.clear()
                self._answers[name] = known
        return known

    def _contains(self, name: str) -> bool:
        wanted = name_hash(name, self._modulus)
        block = bisect.bisect_right(self._firsts, wanted) - 1
        if block < 0:
            return False
        value = self._firsts[block]
        if value == wanted:
            return True
        chunk = self._stream[self._offsets[block]:self._offsets[block + 1]]
        bits = format(int.from_bytes(chunk, "big"), f"0{len(chunk) * 8}b")
        position, rice_bits = 0, self._rice_bits
        for _ in range(self._block - 1):
            stop = bits.find("0", position)
            if stop < 0 or stop + 1 + rice_bits > len(bits):
                return False
            value += ((stop - position) << rice_bits) + int(bits[stop + 1:stop + 1 + rice_bits], 2)
            if value >= wanted:
                return value == wanted
            position = stop + 1 + rice_bits
        return False


def snapshot() -> str:
    """The shipped set's snapshot month, read from its header alone (for ``modellint --version``)."""
    with DATA_FILE.open("rb") as handle:
        return str(json.loads(handle.readline(_MAX_HEADER_BYTES))["snapshot"])


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> PypiNames:
    return PypiNames(DATA_FILE)


def pypi_names() -> PypiNames:
    """The shipped name set, read on first use (a model whose requirements the knowledge base
    and the per-release data all know never reads it)."""
    with _lock:
        return _load()
