"""A bounded reader of the protobuf wire format, for the model files written as protobuf messages
(ONNX ``ModelProto``, TensorFlow's ``saved_model.pb``).

Why not the ``protobuf`` package: decoding a message with it needs the generated classes of the
message's schema (``onnx_pb2``, ``saved_model_pb2``), which ship only inside onnx and tensorflow,
the packages a static reader must not import; and its parser materialises every field, the
gigabytes of ``raw_data`` of an ONNX initializer included, into memory. Its reflection-free
``UnknownFieldSet`` does the same. What a check needs is a handful of fields by number, so this
module reads the five wire types itself (varint, fixed64, length-delimited, fixed32; groups,
deprecated and written by neither format, are refused) and lets the caller descend only into the
messages it asks for. A message larger than :data:`IN_MEMORY_BYTES` is read from the stream, its
other payloads skipped by seek; a smaller one is read into memory once (payloads included: an
ONNX initializer of up to 64 MiB is read, then stepped over), so memory stays bounded by that size.

Hostile input is bounded: a varint longer than 10 bytes, a length past the end of its enclosing
message, a field number 0, an unknown wire type, nesting deeper than ``max_depth`` and more than
``max_fields`` fields read over one file raise :class:`WireError`, which the caller turns into a
problem (ML303). Strings are read only up to ``max_string_bytes``; longer ones raise too.
"""

from __future__ import annotations

import io
from collections.abc import Container, Iterator
from typing import NamedTuple, Protocol

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5
_MAX_VARINT_BYTES = 10
_SCALAR_SIZES = {VARINT: 0, FIXED64: 8, FIXED32: 4}  # 0: as long as the varint
# A message this small is read into memory and parsed there (its sub-messages are views of it): ONNX
# graphs of real models are a few MB of nodes, their weights in separate initializers or files.
IN_MEMORY_BYTES = 64 * 2**20


class Seekable(Protocol):
    """What the reader calls on a stream (a file, a zip member's window)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int: ...


class WireError(Exception):
    """The bytes are not a well-formed message, or reading them would pass a budget."""

    def __init__(self, reason: str, offset: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


class WireBudget:
    """What one file's read may spend (mutable: the reads of one file share it). ``max_fields`` bounds
    the fields read one by one (messages, strings, scalars a caller asked for, every field of a message
    too large to hold in memory); ``max_skipped`` the scalars stepped over in runs, which cost a tenth
    as much. A real ONNX model reads well under 100,000 fields; a tree ensemble converted by
    skl2onnx skips a few million unpacked ``floats``/``ints``."""

    __slots__ = ("max_fields", "max_skipped", "max_depth", "max_string_bytes", "fields", "skipped", "scope")

    def __init__(self, max_fields: int = 1_000_000, max_skipped: int = 50_000_000, max_depth: int = 64,
                 max_string_bytes: int = 2**20, scope: str = "per file") -> None:
        self.max_fields = max_fields
        self.max_skipped = max_skipped
        self.max_depth = max_depth
        self.max_string_bytes = max_string_bytes
        self.fields = 0
        self.skipped = 0
        self.scope = scope  # what the maxima are, for the message: a file's, or what its model dir has left

    def count(self, fields: int, offset: int) -> None:
        self.fields += fields
        if self.fields > self.max_fields:
            raise WireError(f"more than {self.max_fields:,} protobuf fields ({self.scope}): over the budget", offset)

    def skip(self, fields: int, offset: int) -> None:
        self.skipped += fields
        if self.skipped > self.max_skipped:
            raise WireError(f"more than {self.max_skipped:,} repeated protobuf scalars ({self.scope}): over the budget",
                            offset)


class Field(NamedTuple):
    """One field of a message. ``value`` is the integer of a varint or fixed field and the payload's
    length for a length-delimited one, whose payload lies at ``start`` (absolute offset in the stream)."""

    number: int
    wire_type: int
    value: int
    start: int


class Message:
    """The byte range ``[start, end)`` (absolute offsets in ``stream``) read as one message at nesting
    ``depth``. A message of at most :data:`IN_MEMORY_BYTES` is read into memory once and parsed there
    (its children are views of it); a larger one (a graph holding gigabytes of weights) is parsed
    from the stream, its payloads skipped by seek."""

    __slots__ = ("stream", "start", "end", "depth", "budget", "data", "origin")

    def __init__(self, stream: Seekable, start: int, end: int, budget: WireBudget, depth: int = 0,
                 data: memoryview | None = None, origin: int = 0) -> None:
        if depth > budget.max_depth:
            raise WireError(f"messages nested deeper than {budget.max_depth} levels", start)
        if data is not None and not (origin <= start <= end <= origin + len(data)):
            raise WireError("protobuf message outside the bytes read for its parent", start)
        if data is None and end - start <= IN_MEMORY_BYTES:
            stream.seek(start)
            raw = stream.read(end - start)
            if len(raw) < end - start:
                raise WireError("protobuf message past the end of the file", start)
            data, origin = memoryview(raw), start
        self.stream = stream
        self.start = start
        self.end = end
        self.depth = depth
        self.budget = budget
        self.data = data  # the bytes from ``origin`` on, when in memory
        self.origin = origin

    def fields(self, wanted: Container[int]) -> Iterator[Field]:
        """The fields numbered in ``wanted``, in order; the payload of a length-delimited one is skipped
        unless the caller reads it (with :meth:`child`, :meth:`string` or :meth:`bytes`) before asking
        for the next. Other fields are stepped over (runs of an unpacked repeated scalar, such as the
        ``floats`` of an ONNX tree ensemble, millions long, in a tight loop), counted as skipped."""
        if self.data is not None:
            return self._fields_in_memory(self.data, self.origin, wanted)
        return self._fields_from_stream(wanted)

    def _fields_in_memory(self, data: memoryview, origin: int, wanted: Container[int]) -> Iterator[Field]:
        position = self.start - origin
        end = self.end - origin
        budget = self.budget
        while position < end:
            tag_at = position
            tag, position = _varint(data, position, end, origin)
            number, wire_type = tag >> 3, tag & 7
            if number == 0:
                raise WireError("protobuf field number 0", tag_at + origin)
            if number not in wanted and wire_type in _SCALAR_SIZES:
                position = self._skip_run(data, tag_at, position, end, wire_type, origin)
                continue
            if wire_type == LENGTH_DELIMITED:
                length, position = _varint(data, position, end, origin)
                if length > end - position:
                    raise WireError(f"protobuf length prefix of {length:,} bytes runs past the end of its message",
                                    position + origin)
                if number in wanted:
                    budget.count(1, tag_at + origin)
                    yield Field(number, wire_type, length, position + origin)
                else:
                    budget.skip(1, tag_at + origin)
                position += length
                continue
            if wire_type not in _SCALAR_SIZES:
                raise WireError(f"protobuf wire type {wire_type} (groups or invalid) where none is expected",
                                tag_at + origin)
            budget.count(1, tag_at + origin)
            if wire_type == VARINT:
                value, position = _varint(data, position, end, origin)
                yield Field(number, wire_type, value, position + origin)
            else:
                size = _SCALAR_SIZES[wire_type]
                if position + size > end:
                    raise WireError("fixed-width protobuf field past the end of its message", position + origin)
                yield Field(number, wire_type, int.from_bytes(data[position:position + size], "little"),
                            position + origin)
                position += size

    def _skip_run(self, data: memoryview, tag_at: int, position: int, end: int, wire_type: int,
                  origin: int) -> int:
        """Step over the scalar whose tag ends at ``position`` and every one right after it with the same
        tag; the index after the run."""
        tag_bytes = bytes(data[tag_at:position])
        tag_length = position - tag_at
        size = _SCALAR_SIZES[wire_type]
        count = 0
        while True:
            count += 1
            if size:
                position += size
            else:
                limit = min(end, position + _MAX_VARINT_BYTES)
                while position < limit and data[position] & 0x80:
                    position += 1
                if position == limit and limit < end:  # ten continuation bytes: as _varint, not a varint
                    raise WireError(f"protobuf varint longer than {_MAX_VARINT_BYTES} bytes", position + origin)
                position += 1
            if position > end:
                raise WireError("protobuf scalar past the end of its message", tag_at + origin)
            if data[position:position + tag_length] != tag_bytes:
                break
            position += tag_length
        self.budget.skip(count, tag_at + origin)
        return position

    def _fields_from_stream(self, wanted: Container[int]) -> Iterator[Field]:
        position = self.start
        budget = self.budget
        while position < self.end:
            budget.count(1, position)
            self.stream.seek(position)
            head = self.stream.read(2 * _MAX_VARINT_BYTES)  # a tag and a varint value or length
            tag, used = _varint(head, 0, min(len(head), self.end - position), position)
            number, wire_type = tag >> 3, tag & 7
            if number == 0:
                raise WireError("protobuf field number 0", position)
            if wire_type in (FIXED64, FIXED32):
                size = 8 if wire_type == FIXED64 else 4
                if position + used + size > self.end or used + size > len(head):
                    raise WireError("fixed-width protobuf field past the end of its message", position)
                if number in wanted:
                    yield Field(number, wire_type, int.from_bytes(head[used:used + size], "little"), position + used)
                position += used + size
                continue
            if wire_type not in (VARINT, LENGTH_DELIMITED):
                raise WireError(f"protobuf wire type {wire_type} (groups or invalid) where none is expected",
                                position)
            value, after = _varint(head, used, min(len(head), self.end - position), position)
            if wire_type == VARINT:
                position += after
                if number in wanted:
                    yield Field(number, wire_type, value, position)
                continue
            start = position + after
            if value > self.end - start:
                raise WireError(f"protobuf length prefix of {value:,} bytes runs past the end of its message", start)
            if number in wanted:
                yield Field(number, wire_type, value, start)
            position = start + value

    def child(self, field: Field) -> Message:
        """The length-delimited ``field`` read as a nested message."""
        _length_delimited(field)
        return Message(self.stream, field.start, field.start + field.value, self.budget, self.depth + 1,
                       self.data, self.origin)

    def bytes(self, field: Field) -> bytes:
        _length_delimited(field)
        if field.value > self.budget.max_string_bytes:
            raise WireError(f"protobuf string of {field.value:,} bytes: over the {self.budget.max_string_bytes:,} "
                            "bytes read per string", field.start)
        if self.data is not None:
            index = field.start - self.origin
            return bytes(self.data[index:index + field.value])
        self.stream.seek(field.start)
        data = self.stream.read(field.value)
        if len(data) < field.value:
            raise WireError("protobuf string past the end of the file", field.start)
        return data

    def string(self, field: Field) -> str:
        return self.bytes(field).decode("utf-8", errors="replace")


def _length_delimited(field: Field) -> None:
    """A file may give any field any wire type: read as a message or bytes only what is one (a varint
    written where a message belongs would otherwise be read as the length of bytes that are not there)."""
    if field.wire_type != LENGTH_DELIMITED:
        raise WireError(f"protobuf field {field.number} has wire type {field.wire_type} where a message or "
                        "bytes belong", field.start)


def _varint(data: bytes | memoryview, position: int, end: int, origin: int) -> tuple[int, int]:
    """The varint at ``data[position]`` (not past ``end``) and the index after it; ``origin`` is the
    file offset of ``data[0]``, for the message."""
    if position < end and data[position] < 0x80:
        return data[position], position + 1
    result = shift = 0
    for index in range(position, min(end, position + _MAX_VARINT_BYTES)):
        byte = data[index]
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, index + 1
        shift += 7
    if end - position >= _MAX_VARINT_BYTES:
        raise WireError(f"protobuf varint longer than {_MAX_VARINT_BYTES} bytes", position + origin)
    raise WireError("protobuf varint past the end of its message", position + origin)


def leading_fields(data: bytes, limit: int) -> tuple[list[Field], bool]:
    """The first well-formed fields (at most ``limit``) of the message ``data`` begins, for sniffing a
    file by its head: a length-delimited field whose payload runs past ``data`` still counts (the head
    was cut there, or the file is truncated: either way it reads as that message). The bool says
    whether the fields stopped short of ``limit`` inside ``data`` (malformed bytes, or a field cut by its
    end): the scan, not the sniff, reports what follows."""
    fields: list[Field] = []
    position = 0
    end = len(data)
    try:
        while position < end and len(fields) < limit:
            tag, position = _varint(data, position, end, 0)
            number, wire_type = tag >> 3, tag & 7
            if number == 0 or wire_type not in (VARINT, FIXED64, LENGTH_DELIMITED, FIXED32):
                return fields, True
            if wire_type == LENGTH_DELIMITED:
                length, position = _varint(data, position, end, 0)
                fields.append(Field(number, wire_type, length, position))
                position += length
            elif wire_type == VARINT:
                value, position = _varint(data, position, end, 0)
                fields.append(Field(number, wire_type, value, position))
            else:
                position += _SCALAR_SIZES[wire_type]
                fields.append(Field(number, wire_type, 0, position))
    except WireError:
        return fields, True
    return fields, position > end


def signed64(value: int) -> int:
    """A varint read as protobuf's ``int64`` (two's complement in 64 bits)."""
    value &= 2**64 - 1
    return value - 2**64 if value >= 2**63 else value
