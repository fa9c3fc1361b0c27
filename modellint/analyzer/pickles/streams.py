"""Byte sources for the opcode reader: buffered with a position, windows into zip members,
streaming inflate and decompression; payloads are skipped with seek where the stream allows."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from typing import BinaryIO

from modellint.analyzer.pickles.results import Unscannable

PROBE_BYTES = 64 * 1024
ZFILE_HEADER = 2 + 19  # joblib < 0.10: b"ZF" + hex length padded to 19 bytes, then zlib data



class Source:
    """A buffered binary stream with a position counter; seeks over payloads when it can."""

    def __init__(self, stream: BinaryIO, size: int | None, limit: int | None = None) -> None:
        self.stream = stream
        self.size = size  # None: a decompressing stream, skipped by reading
        self.limit = limit
        self.pos = 0

    def read(self, count: int) -> bytes:
        data = self.stream.read(count)
        if len(data) < count:
            raise Unscannable("truncated stream: ends inside an opcode", self.pos + len(data))
        self._advance(count)
        return data

    def read_byte(self) -> int | None:
        data = self.stream.read(1)
        if not data:
            return None
        self._advance(1)
        return data[0]

    def peek_byte(self) -> int | None:
        data = self.stream.peek(1)[:1]
        return data[0] if data else None

    def readline(self, max_bytes: int) -> bytes:
        line = self.stream.readline(max_bytes + 1)
        if not line.endswith(b"\n"):
            if len(line) > max_bytes:
                raise Unscannable(f"text argument longer than {max_bytes} bytes", self.pos)
            raise Unscannable("truncated stream: text argument has no newline", self.pos + len(line))
        self._advance(len(line))
        return line[:-1]

    def skip(self, count: int) -> None:
        if self.size is not None:
            if self.pos + count > self.size:
                raise Unscannable("truncated stream: payload runs past the end", self.size)
            self.stream.seek(count, io.SEEK_CUR)
            self._advance(count)
            return
        remaining = count
        while remaining:
            chunk = self.stream.read(min(remaining, 2**20))
            if not chunk:
                raise Unscannable("truncated stream: payload runs past the end", self.pos)
            remaining -= len(chunk)
            self._advance(len(chunk))

    def _advance(self, count: int) -> None:
        self.pos += count
        if self.limit is not None and self.pos > self.limit:
            raise Unscannable(f"decompressed size limit ({self.limit} bytes) exceeded", self.pos)


class Window(io.RawIOBase):
    """A read-only, seekable view of ``[start, start + length)`` of an open file (a stored zip member)."""

    def __init__(self, handle: BinaryIO, start: int, length: int) -> None:
        self._handle, self._start, self._length, self._pos = handle, start, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        count = max(0, min(len(buffer), self._length - self._pos))
        self._handle.seek(self._start + self._pos)
        data = self._handle.read(count)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


class Inflate(io.RawIOBase):
    """Streaming zlib/deflate decompression (joblib's zlib files, deflated zip members)."""

    def __init__(self, raw: BinaryIO, wbits: int) -> None:
        self._raw = raw
        self._decompressor = zlib.decompressobj(wbits)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._decompressor.eof:
            data = self._decompressor.unconsumed_tail or self._raw.read(2**16)
            if not data:
                raise EOFError("compressed stream ended before its end marker")
            out = self._decompressor.decompress(data, len(buffer))
            if out:
                buffer[: len(out)] = out
                return len(out)
        return 0


def decompressing(kind: str, raw: BinaryIO) -> BinaryIO:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.BZ2File(raw, "rb")  # type: ignore[return-value]
    if kind in ("xz", "lzma"):
        return lzma.LZMAFile(raw, "rb", format=lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE)  # type: ignore[return-value]
    if kind == "zfile":
        raw.read(ZFILE_HEADER)
    return io.BufferedReader(Inflate(raw, zlib.MAX_WBITS))  # type: ignore[return-value]


def decompressed_head(kind: str, raw: BinaryIO) -> bytes:
    try:
        return decompressing(kind, raw).read(PROBE_BYTES)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError):
        return b""
