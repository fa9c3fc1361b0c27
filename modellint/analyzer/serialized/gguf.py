"""GGUF files (llama.cpp models, logged as pyfunc artifacts) read for what a load runs: the chat
templates in their metadata.

The header is ``GGUF``, a little-endian uint32 version (2 or 3 here; version 1 used 32-bit counts),
uint64 tensor and key-value counts, then the key-value pairs: a length-prefixed UTF-8 key, a uint32
value type and the value (fixed-size numbers, length-prefixed strings, or a typed array with a
uint64 element count). Every count is checked against the bytes left before anything is read or
skipped, so a count of 2**63 or an array of 2**40 elements is reported, not iterated; strings other
than chat templates are skipped, never read into memory.

``tokenizer.chat_template`` and the named variants ``tokenizer.chat_template.<name>`` are Jinja
programs that a runtime renders on every request: :mod:`~modellint.analyzer.serialized.chat_template`
judges them.
"""

from __future__ import annotations

import struct
from typing import IO

from modellint.record import Record

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
MAX_KEY_BYTES = 65_535
MAX_TEMPLATE_BYTES = 256 * 2**10  # real chat templates are 0.3-20 KB
MAX_KEY_VALUES = 1_000_000
# Chat templates judged per file, all together: a real GGUF holds one to three (0.3-20 KB each); judging
# costs about 3 ms per KiB, so a file built to hold thousands is refused past this, not read for minutes.
MAX_TEMPLATES_BYTES = 1 * 2**20
MAX_ARRAY_DEPTH = 2  # llama.cpp writes flat arrays; one level of nesting is the most a reader accepts here
MAX_ELEMENTS_READ = 8_000_000  # strings stepped over one by one (a 256k vocabulary plus its merges: ~0.6 M)
MIN_TENSOR_INFO_BYTES = 32  # name length, 1 dimension, type, offset
_STRING, _ARRAY = 8, 9
_FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
TEMPLATE_KEY = "tokenizer.chat_template"


class ChatTemplate(Record):
    """One chat template of a GGUF file: its metadata key, text and the file offset its bytes start at."""

    __slots__ = ("key", "text", "offset")

    def __init__(self, key: str, text: str, offset: int) -> None:
        self.key = key
        self.text = text
        self.offset = offset


class GgufError(Exception):
    """The header is not a GGUF header this reader can prove; the message becomes an ML303 problem."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


class _Reader:
    __slots__ = ("handle", "size", "position", "elements")

    def __init__(self, handle: IO[bytes], size: int) -> None:
        self.handle = handle
        self.size = size
        self.position = 0
        self.elements = 0

    def left(self) -> int:
        return self.size - self.position

    def read(self, count: int) -> bytes:
        if count > self.left():
            raise GgufError(f"truncated: {count:,} bytes needed, {self.left():,} left", self.position)
        data = self.handle.read(count)
        if len(data) < count:
            raise GgufError("truncated while reading", self.position)
        self.position += count
        return data

    def skip(self, count: int) -> None:
        if count > self.left():
            raise GgufError(f"truncated: a value of {count:,} bytes with {self.left():,} left", self.position)
        self.handle.seek(count, 1)
        self.position += count

    def number(self, fmt: str) -> int:
        return int(struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0])

    def string_length(self, limit: int | None = None) -> int:
        length = self.number("<Q")
        if length > self.left() or (limit is not None and length > limit):
            raise GgufError(f"string of {length:,} bytes with {self.left():,} left", self.position - 8)
        return length


def read_gguf(handle: IO[bytes], size: int) -> list[ChatTemplate]:
    """The chat templates of the GGUF file of ``size`` bytes read from ``handle``; raises :class:`GgufError`
    for a header that is truncated, inconsistent or past a bound."""
    from hashlib import blake2b  # here: hashlib's import (OpenSSL) is a model-dir run's cost otherwise

    reader = _Reader(handle, size)
    if reader.read(4) != GGUF_MAGIC:
        raise GgufError("no GGUF magic", 0)
    version = reader.number("<I")
    if version not in SUPPORTED_VERSIONS:
        raise GgufError(f"GGUF version {version} is not one this reader proves (2 or 3)", 4)
    tensors = reader.number("<Q")
    pairs = reader.number("<Q")
    if pairs > MAX_KEY_VALUES or pairs * 13 > reader.left():  # a key-value takes 13 bytes at least
        raise GgufError(f"{pairs:,} metadata key-values cannot fit in the {reader.left():,} bytes left", 16)
    if tensors * MIN_TENSOR_INFO_BYTES > reader.left():
        raise GgufError(f"{tensors:,} tensor descriptions cannot fit in the {reader.left():,} bytes left", 8)
    templates: list[ChatTemplate] = []
    template_bytes = 0
    keys: set[bytes] = set()  # digests: a million 64 KiB keys must not be kept whole
    for _ in range(pairs):
        at = reader.position
        try:
            key = reader.read(reader.string_length(MAX_KEY_BYTES)).decode("utf-8")
        except UnicodeDecodeError:
            raise GgufError("a metadata key is not UTF-8", at) from None
        digest = blake2b(key.encode(), digest_size=16).digest()
        if digest in keys:
            raise GgufError(f"metadata key `{key[:80]}` appears twice (llama.cpp refuses the file)", at)
        keys.add(digest)
        value_type = reader.number("<I")
        if value_type == _STRING and (key == TEMPLATE_KEY or key.startswith(TEMPLATE_KEY + ".")):
            templates.append(_template(reader, key))
            template_bytes += len(templates[-1].text)
            if template_bytes > MAX_TEMPLATES_BYTES:
                raise GgufError(f"chat templates of over {MAX_TEMPLATES_BYTES:,} bytes in one file: more than this "
                                "reader judges", at)
        else:
            _skip_value(reader, value_type, depth=0)
    return templates


def _template(reader: _Reader, key: str) -> ChatTemplate:
    length = reader.number("<Q")
    if length > MAX_TEMPLATE_BYTES:
        raise GgufError(f"chat template `{key}` of {length:,} bytes is over the {MAX_TEMPLATE_BYTES:,} this reader "
                        "judges", reader.position - 8)
    offset = reader.position
    raw = reader.read(length)
    try:
        return ChatTemplate(key, raw.decode("utf-8"), offset)
    except UnicodeDecodeError:
        raise GgufError(f"chat template `{key}` is not UTF-8", offset) from None


def _skip_value(reader: _Reader, value_type: int, depth: int) -> None:
    if value_type in _FIXED_SIZES:
        reader.skip(_FIXED_SIZES[value_type])
    elif value_type == _STRING:
        reader.skip(reader.string_length())
    elif value_type == _ARRAY:
        if depth >= MAX_ARRAY_DEPTH:
            raise GgufError("arrays nested deeper than this reader accepts", reader.position)
        element_type = reader.number("<I")
        count = reader.number("<Q")
        at = reader.position
        if element_type in _FIXED_SIZES:
            reader.skip(_checked_count(reader, count, _FIXED_SIZES[element_type], at) * _FIXED_SIZES[element_type])
        elif element_type in (_STRING, _ARRAY):
            minimum = 8 if element_type == _STRING else 12
            for _ in range(_checked_count(reader, count, minimum, at)):
                reader.elements += 1
                if reader.elements > MAX_ELEMENTS_READ:
                    raise GgufError(f"more than {MAX_ELEMENTS_READ:,} array elements to step over", reader.position)
                _skip_value(reader, element_type, depth + 1)
        else:
            raise GgufError(f"array of unknown value type {element_type}", at - 12)
    else:
        raise GgufError(f"unknown value type {value_type}", reader.position - 4)


def _checked_count(reader: _Reader, count: int, minimum: int, at: int) -> int:
    if count * minimum > reader.left():
        raise GgufError(f"array of {count:,} elements cannot fit in the {reader.left():,} bytes left", at)
    return count
