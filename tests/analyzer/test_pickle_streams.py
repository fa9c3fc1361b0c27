"""The buffered Source reads, skips and fails exactly as reading the stream byte by byte would."""

from __future__ import annotations

import io
import random

import pytest

from modellint.analyzer.serialized.pickles.results import Unscannable
from modellint.analyzer.serialized.pickles.streams import Source


class Unbuffered:
    """The reference: position, truncation and size limit, one stream read per request."""

    def __init__(self, data: bytes, limit: int | None) -> None:
        self.data, self.pos, self.limit = data, 0, limit

    def _advance(self, count: int) -> None:
        self.pos += count
        if self.limit is not None and self.pos > self.limit:
            raise Unscannable("decompressed size limit exceeded", self.pos)

    def read_byte(self, _: int) -> int | None:
        if self.pos >= len(self.data):
            return None
        byte = self.data[self.pos]
        self._advance(1)
        return byte

    def read(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise Unscannable("truncated stream", self.pos)
        data = self.data[self.pos:self.pos + count]
        self._advance(count)
        return data

    def peek_byte(self, _: int) -> int | None:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def readline(self, max_bytes: int) -> bytes:
        segment = self.data[self.pos:self.pos + max_bytes + 1]
        newline = segment.find(b"\n")
        if newline < 0:
            raise Unscannable("no newline", self.pos)
        self._advance(newline + 1)
        return segment[:newline]

    def skip(self, count: int) -> None:
        if self.pos + count > len(self.data):
            raise Unscannable("truncated stream", self.pos)
        self._advance(count)


def outcome(call, argument: int):
    try:
        return "ok", call(argument)
    except Unscannable as error:
        return "error", "limit" if "limit" in error.reason else "other"


@pytest.mark.parametrize("seed", range(100))
def test_random_reads_agree_with_unbuffered_reading(seed: int) -> None:
    rng = random.Random(seed)
    data = bytes(rng.choices(b"ab\n\x00", k=rng.choice([0, 10, 1000, 300_000])))
    sized = rng.random() < 0.5
    limit = None if sized else rng.choice([None, 50, 5000, 150_000])
    reference = Unbuffered(data, limit)
    source = Source(io.BufferedReader(io.BytesIO(data)), len(data) if sized else None, limit)
    for _ in range(300):
        operation = rng.choice(["read_byte", "read", "peek_byte", "readline", "skip"])
        argument = rng.choice([1, 2, 3, 7, 100, 70_000, 200_000])
        expected = outcome(getattr(reference, operation), argument)
        method = getattr(source, operation)
        got = outcome(method if operation in ("read", "readline", "skip") else lambda _: method(), argument)
        if limit is not None and expected[0] == "error":  # reading past the limit ends the stream for both
            assert got[0] == "error", (operation, argument)
            return
        assert got == expected, (operation, argument)
        if expected[0] == "error":
            return
        assert source.pos == reference.pos


def test_rewind_reads_the_same_bytes_again() -> None:
    data = bytes(range(256)) * 1000
    source = Source(io.BufferedReader(io.BytesIO(data)), len(data))
    source.skip(100)
    first = [source.read_byte() for _ in range(70_000)]
    source.rewind(100)
    assert source.pos == 100
    assert [source.read_byte() for _ in range(70_000)] == first
