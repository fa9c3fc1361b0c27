"""Protocol 0-2 bytes (``_codecs.encode(<latin-1 text>, "latin1")``, ``bytes()``, ``bytearray(...)``)
are rebuilt as values so by-value code reads the same at every protocol; each way a hostile file can
bend that reader fails closed (ML303), within the retained-bytes budget, never as a clean read."""

from __future__ import annotations

import struct
import tracemalloc
from pathlib import Path

from modellint.analyzer.serialized.pickles import Limits, scan_file

PROTO2 = b"\x80\x02"
ENCODE = b"c_codecs\nencode\n"
CODE_TYPE = b"ctypes\nCodeType\n"


def text(value: str) -> bytes:
    """BINUNICODE, as protocol 2 writes every str."""
    data = value.encode("utf-8", "surrogatepass")
    return b"X" + struct.pack("<I", len(data)) + data


def encoded(body: str, encoding: bytes = text("latin1")) -> bytes:
    return ENCODE + text(body) + encoding + b"\x86R"


def code_type(co_code: bytes) -> bytes:
    """``types.CodeType(...)`` with the 18 arguments of 3.11+, ``co_code`` given as opcodes."""
    return (CODE_TYPE + b"(" + b"K\x00" * 6 + co_code + b")" * 3 + text("f.py") + text("f") + text("f")
            + b"K\x01" + encoded("") + encoded("") + b")" * 2 + b"tR")


def reasons(tmp_path: Path, body: bytes, limits: Limits | None = None) -> list[str]:
    path = tmp_path / "model.pkl"
    path.write_bytes(PROTO2 + body + b".")
    return [problem.reason for problem in scan_file(path, limits or Limits()).problems]


def test_co_code_from_a_latin1_text_past_the_kept_value_budget_is_unreadable_not_read(tmp_path):
    huge = "\x97\x00" * 2**20  # 2 MiB of RESUME-like units: never kept, so never read as bytecode
    found = reasons(tmp_path, code_type(encoded(huge)))
    assert found == ["co_code of a by-value code object is not readable bytes"]


def test_an_encoding_computed_at_load_time_is_reported(tmp_path):
    computed = b"c__builtin__\nstr\n" + text("latin1") + b"\x85R"
    found = reasons(tmp_path, code_type(encoded("\x97\x00", computed)))
    assert any("literal latin-1 encoding" in reason for reason in found), found
    assert "co_code of a by-value code object is not readable bytes" in found


def test_an_encoding_other_than_latin1_is_reported(tmp_path):
    for encoding in ("rot13", "utf-8", "zlib"):
        found = reasons(tmp_path, encoded("x", text(encoding)))
        assert any("literal latin-1 encoding" in reason for reason in found), (encoding, found)


def test_text_beyond_latin1_stops_the_read_as_the_load_would(tmp_path):
    found = reasons(tmp_path, encoded("\u0100"))
    assert found == ["text encoded as latin-1 holds a character beyond U+00FF: the load fails"]


def test_encoding_one_memoized_text_many_times_stays_within_the_retained_budget(tmp_path):
    chunk = "\xff" * 30_000  # 60 kB of UTF-8: kept, under the 64 KiB value budget
    body = text(chunk) + b"q\x00" + b"".join(ENCODE + b"h\x00" + text("latin1") + b"\x86Rq" + bytes([index]) + b"0"
                                        for index in range(1, 201))  # each copy kept in the memo
    tracemalloc.start()
    try:
        found = reasons(tmp_path, body + b"N", Limits(max_retained_bytes=2**20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == []
    assert peak < 3 * 2**20  # 200 copies would be 6 MB: past the budget the copies are opaque


def test_copying_one_memoized_bytes_into_many_bytearrays_stays_within_the_retained_budget(tmp_path):
    """``bytearray(b)`` makes a new copy each call: 200 of one 60 kB payload would be 12 MB."""
    chunk = "a" * 60_000  # 60 kB of text and of bytes: kept, under the 64 KiB value budget
    body = encoded(chunk) + b"q\x00" + b"".join(b"cbuiltins\nbytearray\nh\x00\x85Rq" + bytes([index]) + b"0"
                                           for index in range(1, 201))  # each copy kept in the memo
    tracemalloc.start()
    try:
        found = reasons(tmp_path, body + b"N", Limits(max_retained_bytes=2**20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == []
    assert peak < 3 * 2**20  # past the budget the copies are opaque
