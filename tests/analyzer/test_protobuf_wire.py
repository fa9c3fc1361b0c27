"""The bounded protobuf wire reader: the five wire types, skipped runs, and every malformed shape as a
WireError (never an exception of another kind, never a read past the message)."""

from __future__ import annotations

import io
import struct

import pytest

from modellint.analyzer.serialized.protobuf_wire import (
    FIXED32,
    FIXED64,
    IN_MEMORY_BYTES,
    LENGTH_DELIMITED,
    VARINT,
    Message,
    WireBudget,
    WireError,
    signed64,
)
from modellint.rules._format_examples import encode_field, encode_varint

ALL = range(1, 2**29)


def message(data: bytes, budget: WireBudget | None = None) -> Message:
    return Message(io.BytesIO(data), 0, len(data), budget or WireBudget())


def test_reads_each_wire_type_with_its_value_and_offset():
    data = (encode_field(1, 300) + encode_varint(2 << 3 | FIXED64) + struct.pack("<q", -2)
            + encode_field(3, "hi") + encode_varint(4 << 3 | FIXED32) + struct.pack("<I", 7))
    read = message(data)
    fields = list(read.fields(ALL))
    assert [(f.number, f.wire_type) for f in fields] == [(1, VARINT), (2, FIXED64), (3, LENGTH_DELIMITED),
                                                        (4, FIXED32)]
    assert fields[0].value == 300 and signed64(fields[1].value) == -2 and fields[3].value == 7
    assert read.string(fields[2]) == "hi"


def test_unwanted_fields_are_stepped_over_and_runs_cost_no_field_budget():
    floats = (encode_varint(7 << 3 | FIXED32) + struct.pack("<f", 1.5)) * 1000
    ints = encode_field(8, 5) * 1000
    data = encode_field(1, "name") + floats + ints + encode_field(5, b"\x08\x01")
    budget = WireBudget(max_fields=5)
    read = message(data, budget)
    assert [f.number for f in read.fields((5,))] == [5]
    assert budget.fields == 1 and budget.skipped == 2001


def test_nested_messages_are_views_and_the_parent_resumes_after_them():
    inner = encode_field(1, "a") + encode_field(2, "b")
    data = encode_field(1, inner) + encode_field(2, 9)
    read = message(data)
    seen = []
    for field in read.fields(ALL):
        if field.number == 1:
            child = read.child(field)
            seen += [child.string(inner_field) for inner_field in child.fields(ALL)]
        else:
            seen.append(field.value)
    assert seen == ["a", "b", 9]


def test_a_message_too_large_for_memory_is_read_from_the_stream_with_its_payloads_skipped():
    blob = b"\x00" * (IN_MEMORY_BYTES + 10)
    data = encode_field(1, 5) + encode_field(9, blob) + encode_field(2, "after")
    read = message(data)
    assert read.data is None
    fields = list(read.fields(ALL))
    assert [f.number for f in fields] == [1, 9, 2] and read.string(fields[2]) == "after"


@pytest.mark.parametrize(("data", "reason"), [
    (b"\x08" + b"\xff" * 11, "longer than 10 bytes"),
    (b"\x08\xff", "past the end"),
    (b"\x0a\x7f" + b"x" * 10, "runs past the end"),
    (b"\x0a\xff\xff\xff\xff\x0f", "runs past the end"),
    (b"\x00\x01", "field number 0"),
    (b"\x0b\x0c", "wire type 3"),
    (b"\x0f", "wire type 7"),
    (b"\x09\x01\x02", "past the end"),
])
def test_malformed_input_is_a_wire_error(data, reason):
    with pytest.raises(WireError, match=reason):
        list(message(data).fields(ALL))


@pytest.mark.parametrize("in_memory", [True, False])
def test_malformed_input_from_the_stream_is_a_wire_error(in_memory, monkeypatch):
    if not in_memory:
        monkeypatch.setattr("modellint.analyzer.serialized.protobuf_wire.IN_MEMORY_BYTES", 0)
    for data in (b"\x08" + b"\xff" * 11, b"\x0a\x7f", b"\x00", b"\x0b", b"\x0d\x01"):
        with pytest.raises(WireError):
            list(message(data).fields(ALL))


def test_the_field_budget_and_the_depth_bound_stop_the_read():
    with pytest.raises(WireError, match="over the budget"):
        list(message(encode_field(1, 1) * 11, WireBudget(max_fields=10)).fields(ALL))
    with pytest.raises(WireError, match="repeated protobuf scalars"):
        list(message(encode_field(1, 1) * 11, WireBudget(max_skipped=10)).fields((2,)))
    read = message(encode_field(1, b""), WireBudget(max_depth=0))
    with pytest.raises(WireError, match="nested deeper"):
        read.child(next(iter(read.fields(ALL))))


def test_a_string_over_its_budget_is_refused_unread():
    read = message(encode_field(1, "x" * 100), WireBudget(max_string_bytes=10))
    with pytest.raises(WireError, match="per string"):
        read.string(next(iter(read.fields(ALL))))


def test_a_stepped_over_varint_longer_than_ten_bytes_is_a_wire_error_too():
    # field 1 is not wanted: the run-skipping loop must refuse what the reading one refuses
    with pytest.raises(WireError, match="longer than 10 bytes"):
        list(message(b"\x08" + b"\xff" * 11 + b"\x01").fields((5,)))


def test_a_field_of_another_wire_type_is_no_message_or_bytes():
    read = message(encode_field(7, 127))
    field = next(read.fields((7,)))
    for reader in (read.child, read.bytes, read.string):
        with pytest.raises(WireError, match="wire type 0 where a message or bytes belong"):
            reader(field)
