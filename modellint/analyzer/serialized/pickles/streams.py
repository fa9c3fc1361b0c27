"""Byte sources for the opcode reader: buffered with a position, windows into zip members,
streaming inflate and decompression; payloads are skipped with seek where the stream allows."""

from __future__ import annotations

import io
import zlib
from typing import TYPE_CHECKING, Protocol, TypeVar

from modellint.analyzer.serialized.pickles.results import Unscannable

if TYPE_CHECKING:
    from types import TracebackType

    from _typeshed import WriteableBuffer

PROBE_BYTES = 64 * 1024
ZFILE_HEADER = 2 + 19  # joblib < 0.10: b"ZF" + hex length padded to 19 bytes, then zlib data

_Stream = TypeVar("_Stream", bound="ByteStream")


class ByteStream(Protocol):
    """A binary stream as the scanners use one: a file, a window into a zip member, or a
    decompressing stream. The gzip, bz2 and lzma files are none of ``BinaryIO``, ``IO[bytes]`` or
    a common base with a file, so the scanners ask for what they call and nothing more."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int: ...

    def seekable(self) -> bool: ...

    def close(self) -> None: ...

    def __enter__(self: _Stream) -> _Stream: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None, /) -> None: ...


class Source:
    """A binary stream read through a buffer of its own, with a position counter; seeks over
    payloads when it can.

    The opcode reader asks for one or a few bytes at a time, a million times for a large
    vocabulary: slicing a 64 KiB buffer here costs a third of what a ``read(1)`` call on the
    stream (and a new bytes object) costs per opcode. With a ``limit`` (decompressed streams)
    the buffer never holds a byte past it, so the hot paths need no limit check of their own.
    """

    _CHUNK = 64 * 1024

    def __init__(self, stream: ByteStream, size: int | None, limit: int | None = None,
                 limit_name: str = "decompressed size limit") -> None:
        self.stream = stream
        self.size = size  # None: a decompressing stream, skipped by reading
        self.limit = limit
        self.limit_name = limit_name
        self._buffer = b""
        self._offset = 0  # the next byte to hand out, within _buffer
        self._start = 0  # the stream position of _buffer[0]
        self._past_limit: int | None = None  # the first byte past ``limit``, once the stream is known to go on

    @property
    def pos(self) -> int:
        return self._start + self._offset

    @property
    def consumed(self) -> int:
        """Bytes pulled from the stream so far (what a decompressing stream has inflated)."""
        return self._start + len(self._buffer)

    def read(self, count: int) -> bytes:
        offset = self._offset
        end = offset + count
        if end > len(self._buffer):
            self._fill(count)
            offset, end = 0, count
            if end > len(self._buffer):
                raise self._short(count, "truncated stream: ends inside an opcode")
        self._offset = end
        return self._buffer[offset:end]

    def read_byte(self) -> int | None:
        offset = self._offset
        if offset >= len(self._buffer):
            self._fill(1)
            offset = 0
            if not self._buffer:
                if self._past_limit is not None:
                    raise self._limit_exceeded(self.pos + 1)
                return None
        self._offset = offset + 1
        return self._buffer[offset]

    def buffered(self) -> tuple[bytes, int]:
        """The buffer and the index in it of the next byte to hand out, for a reader that parses runs of
        small opcodes in place (``Machine.run_data``); it hands them out with ``advance_to``."""
        return self._buffer, self._offset

    def advance_to(self, offset: int) -> None:
        """Hand out the buffered bytes up to ``offset`` (an index in ``buffered()``'s buffer, at most its
        length): the position moves on as reading them one by one would have moved it."""
        self._offset = offset

    def peek_byte(self) -> int | None:
        if self._offset >= len(self._buffer):
            self._fill(1)
        return self._buffer[self._offset] if self._offset < len(self._buffer) else self._past_limit

    def readline(self, max_bytes: int) -> bytes:
        newline = self._buffer.find(b"\n", self._offset, self._offset + max_bytes + 1)
        if newline < 0:
            self._fill(max_bytes + 1)
            newline = self._buffer.find(b"\n", 0, max_bytes + 1)
            if newline < 0:
                if len(self._buffer) > max_bytes:
                    raise Unscannable(f"text argument longer than {max_bytes} bytes", self.pos)
                raise self._short(len(self._buffer) + 1, "truncated stream: text argument has no newline")
        line = self._buffer[self._offset:newline]
        self._offset = newline + 1
        return line

    def skip(self, count: int) -> None:
        buffered = len(self._buffer) - self._offset
        if count <= buffered:
            self._offset += count
            return
        if self.size is not None and self.pos + count > self.size:
            raise Unscannable("truncated stream: payload runs past the end", self.size)
        if self._past_limit is not None:
            raise self._limit_exceeded(self.pos + count)
        self._start, self._buffer, self._offset = self._start + len(self._buffer), b"", 0
        remaining = count - buffered
        if self.size is not None:
            self.stream.seek(remaining, io.SEEK_CUR)
            self._start += remaining
            return
        while remaining:
            chunk = self.stream.read(min(remaining, 2**20))
            if not chunk:
                raise Unscannable("truncated stream: payload runs past the end", self._start)
            remaining -= len(chunk)
            self._start += len(chunk)
            if self.limit is not None and self._start > self.limit:
                raise self._limit_exceeded(self._start)

    def rewind(self, position: int) -> None:
        """Go back to ``position`` (a seekable stream only): a second reading of the same bytes."""
        self.stream.seek(position - (self._start + len(self._buffer)), io.SEEK_CUR)
        self._start, self._buffer, self._offset = position, b"", 0

    def _fill(self, count: int) -> None:
        """Make the buffer start at the current position and hold ``count`` bytes, or all there is
        before the end of the stream or the limit."""
        kept = self._buffer[self._offset:]
        self._start += self._offset
        pieces, held = [kept], len(kept)
        while held < count and self._past_limit is None:
            chunk = self.stream.read(max(self._CHUNK, count - held))
            if not chunk:
                break
            pieces.append(chunk)
            held += len(chunk)
        self._buffer, self._offset = b"".join(pieces), 0
        if self.limit is not None and self._past_limit is None and self._start + held > self.limit:
            allowed = max(0, self.limit - self._start)
            self._past_limit = self._buffer[allowed]
            self._buffer = self._buffer[:allowed]

    def _short(self, wanted: int, truncated: str) -> Unscannable:
        """The error for a read of ``wanted`` bytes from the current position that the buffer cannot give."""
        if self._past_limit is not None:
            return self._limit_exceeded(self.pos + wanted)
        return Unscannable(truncated, self._start + len(self._buffer))

    def _limit_exceeded(self, offset: int) -> Unscannable:
        name = self.limit_name if "(" in self.limit_name else f"{self.limit_name} ({self.limit} bytes)"
        return Unscannable(f"{name} exceeded", offset)


class _View(io.RawIOBase):
    """A read-only, seekable view of ``length`` bytes from ``start`` of something larger."""

    def __init__(self, start: int, length: int) -> None:
        self._start, self._length, self._pos = start, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


class Section(_View):
    """``[start, start + length)`` of a seekable ``Source``'s stream, read a second time: a payload the
    opcode reader skipped, which turns out to be a nested file (``torch.storage._load_from_bytes(b)``).
    The stream is moved with relative seeks only (a ``Source`` never knows where its stream started)
    and ``close`` puts it back at ``source.consumed``, where the outer reader's next read expects it."""

    def __init__(self, source: Source, start: int, length: int) -> None:
        super().__init__(start, length)
        self._source = source
        self._at = source.consumed  # the stream's position, in the source's coordinates

    def readinto(self, buffer: WriteableBuffer) -> int:
        stream = self._source.stream
        with memoryview(buffer) as view:
            count = max(0, min(len(view), self._length - self._pos))
            target = self._start + self._pos
            stream.seek(target - self._at, io.SEEK_CUR)
            data = stream.read(count)
            view[: len(data)] = data
        self._at = target + len(data)
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._source.stream.seek(self._source.consumed - self._at, io.SEEK_CUR)
        super().close()


class Window(_View):
    """A read-only, seekable view of ``[start, start + length)`` of an open file (a stored zip member)."""

    def __init__(self, handle: ByteStream, start: int, length: int) -> None:
        super().__init__(start, length)
        self._handle = handle

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:
            count = max(0, min(len(view), self._length - self._pos))
            self._handle.seek(self._start + self._pos)
            data = self._handle.read(count)
            view[: len(data)] = data
        self._pos += len(data)
        return len(data)


class Inflate(io.RawIOBase):
    """Streaming zlib/deflate decompression (joblib's zlib files, deflated zip members)."""

    def __init__(self, raw: ByteStream, wbits: int) -> None:
        self._raw = raw
        self._decompressor = zlib.decompressobj(wbits)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:
            while not self._decompressor.eof:
                data = self._decompressor.unconsumed_tail or self._raw.read(2**16)
                if not data:
                    raise EOFError("compressed stream ended before its end marker")
                out = self._decompressor.decompress(data, len(view))
                if out:
                    view[: len(out)] = out
                    return len(out)
        return 0


def decompressing(kind: str, raw: ByteStream) -> ByteStream:
    # gzip, bz2 and lzma are imported here: a plain pickle, the usual case, needs none of them.
    if kind == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "bz2":
        import bz2

        return bz2.BZ2File(raw, "rb")
    if kind in ("xz", "lzma"):
        import lzma

        # LZMAFile reads any object with read(), as GzipFile and BZ2File do, but its stub asks for IO[bytes]
        return lzma.LZMAFile(raw, "rb", format=lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE)  # type: ignore[arg-type]
    if kind == "zfile":
        raw.read(ZFILE_HEADER)
    return io.BufferedReader(Inflate(raw, zlib.MAX_WBITS))



def decompression_errors() -> tuple[type[Exception], ...]:
    """What reading a decompressing stream may raise, besides ``Unscannable``."""
    import lzma

    return (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)
