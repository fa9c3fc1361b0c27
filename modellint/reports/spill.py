"""Text a report must hold until its end, in memory while it is small and in an unnamed temporary
file beyond that: a format whose opening depends on the whole run (Markdown's list of targets not
checked, SARIF's rule table) keeps its body here rather than in the process's memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

# Held in memory up to this many bytes; a store's report goes to the file. Kept under glibc's
# mmap threshold (128 KiB): a buffer grown past it and freed raises the threshold, and the
# allocations after it stay in the heap (a 2,000-dir Markdown report: 8 MB more peak RSS at 1 MiB).
IN_MEMORY = 64 * 1024
_READ = 64 * 1024


class Spill:
    """Pieces of text, read back once in the order they were added. A piece is stored as its
    UTF-8 length and bytes, so that a reader gets back exactly the pieces given."""

    def __init__(self, in_memory: int = IN_MEMORY) -> None:
        self.in_memory = in_memory
        self.buffer = bytearray()
        self.file: IO[bytes] | None = None

    def add(self, piece: str) -> None:
        encoded = piece.encode("utf-8", "surrogatepass")
        self.buffer += len(encoded).to_bytes(4, "little")
        self.buffer += encoded
        if len(self.buffer) >= self.in_memory:
            self._flush()

    def _flush(self) -> None:
        if self.file is None:
            import tempfile

            self.file = tempfile.TemporaryFile(prefix="modellint-report-")
        self.file.write(self.buffer)
        self.buffer.clear()

    def pieces(self) -> Iterator[str]:
        """Every piece added, in order; the spill is empty afterwards."""
        if self.file is None:
            data, self.buffer = self.buffer, bytearray()
            yield from _decoded(memoryview(data))
            return
        self._flush()
        file, self.file = self.file, None
        with file:
            file.seek(0)
            pending = b""
            while True:
                block = file.read(_READ)
                if not block:
                    break
                pending += block
                complete = _complete_length(pending)
                yield from _decoded(memoryview(pending)[:complete])
                pending = pending[complete:]

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        self.buffer.clear()


def _complete_length(data: bytes) -> int:
    """How many leading bytes of ``data`` are whole pieces."""
    position = 0
    while position + 4 <= len(data):
        end = position + 4 + int.from_bytes(data[position:position + 4], "little")
        if end > len(data):
            break
        position = end
    return position


def _decoded(data: memoryview) -> Iterator[str]:
    position = 0
    while position < len(data):
        size = int.from_bytes(data[position:position + 4], "little")
        yield str(data[position + 4:position + 4 + size], "utf-8", "surrogatepass")
        position += 4 + size
