"""Legacy Keras HDF5 files (``model.save("model.h5")``, what ``mlflow.tensorflow``/``mlflow.keras``
write with ``save_format="h5"``), read without h5py: the ``model_config`` attribute of the root
group, the JSON that ``keras.models.load_model`` rebuilds the model from, judged as a ``.keras``
archive's ``config.json`` is (:func:`modellint.analyzer.serialized.keras_config.walk_config`): a ``Lambda``
layer's marshalled bytecode, and the modules of the classes it names.

Only the structures on the way there are read (HDF5 file format specification 3.0): the superblock
(versions 0-3), the root group's object header (version 1, or 2 with its ``OHDR``/``OCHK``
signatures) with its continuation blocks, its attribute messages (versions 1-3), a fixed-length
string (what tf.keras 2 writes, ``json.dumps(...).encode()``) or a variable-length string in a
global heap collection (what Keras 3 writes). A file without ``model_config`` holds weights only
(``save_weights``) and runs nothing at load. Whatever stands between the root group and that
attribute and is not one of these (dense attribute storage in a fractal heap, a shared datatype,
an address past the end of the file, a budget spent) is a problem: the file is reported as not
checked, never as clean.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING

from modellint.analyzer.serialized.pickles.results import Unscannable
from modellint.analyzer.serialized.pickles.sniffing import HDF5_SIGNATURE

if TYPE_CHECKING:
    from modellint.analyzer.serialized.pickles.results import Facts
    from modellint.analyzer.serialized.pickles.streams import ByteStream

CONFIG_ATTRIBUTE = "model_config"
MAX_HEADER_BLOCKS = 64  # continuation blocks of one object header: h5py writes one or two
MAX_MESSAGES = 10_000
MAX_BLOCK_BYTES = 16 * 2**20
_UNDEFINED = 0xFFFFFFFFFFFFFFFF

_CONTINUATION = 0x10
_ATTRIBUTE = 0x0C
_ATTRIBUTE_INFO = 0x15
_STRING_CLASS = 3
_VARIABLE_LENGTH_CLASS = 9


def scan_hdf5(handle: ByteStream, size: int, facts: Facts) -> None:
    """The model config of the HDF5 file ``handle`` (``size`` bytes), judged into ``facts``."""
    import json

    from modellint.analyzer.serialized.keras import MAX_CONFIG_BYTES
    from modellint.analyzer.serialized.keras_config import walk_config

    try:
        text = _ModelConfigReader(handle, size).read()
    except Unscannable as error:
        facts.problem(f"HDF5 file not read to its Keras model config: {error.reason}", error.offset, None)
        return
    if text is None:
        return  # weights only: no model config, nothing rebuilt at load
    if len(text) > MAX_CONFIG_BYTES:
        facts.problem(f"Keras model config of {len(text):,} bytes: over the {MAX_CONFIG_BYTES:,} bytes read",
                      None, CONFIG_ATTRIBUTE)
        return
    facts.spend_decompressed(len(text))
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        facts.problem("the Keras `model_config` attribute is not JSON (or nests too deep to read)", None,
                      CONFIG_ATTRIBUTE)
        return
    walk_config(config, facts, CONFIG_ATTRIBUTE)


class _ModelConfigReader:
    """One bounded walk from the superblock to the root group's ``model_config`` attribute."""

    def __init__(self, handle: ByteStream, size: int) -> None:
        self.handle = handle
        self.size = size
        self.offsets = 8
        self.lengths = 8
        self.base = 0
        self.creation_order = False  # whether version 2 messages carry a creation order field

    def read(self) -> bytes | None:
        root = self._superblock()
        for data, offset in self._messages(root):
            if data[0] not in (1, 2, 3):
                raise Unscannable(f"attribute message of unknown version {data[0]}", offset)
            name, datatype, dataspace, value = _attribute_parts(data, offset)
            if name == CONFIG_ATTRIBUTE:
                return self._string(datatype, dataspace, value, offset)
        return None

    # --- reading within the file

    def _at(self, address: int, count: int) -> bytes:
        start = self.base + address
        if address == _UNDEFINED or count > MAX_BLOCK_BYTES or start < 0 or start + count > self.size:
            raise Unscannable(f"{count:,} bytes at address {address:#x}: outside the file", None)
        self.handle.seek(start)
        data = self.handle.read(count)
        if len(data) != count:
            raise Unscannable("file shorter than it says", start)
        return data

    def _number(self, data: bytes, at: int, width: int) -> int:
        if at + width > len(data):
            raise Unscannable("structure cut short", None)
        return int.from_bytes(data[at:at + width], "little")

    # --- superblock and object headers

    def _superblock(self) -> int:
        """The address of the root group's object header."""
        head = self._at(0, 96 if self.size >= 96 else self.size)
        if not head.startswith(HDF5_SIGNATURE) or len(head) < 12:
            raise Unscannable("no HDF5 signature at the start (a user block is not read)", 0)
        version = head[8]
        if version in (0, 1):
            self.offsets, self.lengths = head[13], head[14]
            field = 24 + (4 if version == 1 else 0)
        elif version in (2, 3):
            self.offsets, self.lengths = head[9], head[10]
            field = 12
        else:
            raise Unscannable(f"superblock version {version}", 8)
        if self.offsets not in (2, 4, 8) or self.lengths not in (2, 4, 8):
            raise Unscannable("superblock with unusual address sizes", 9)
        self.base = self._number(head, field, self.offsets)
        if version in (0, 1):
            # base, free space, end of file, driver info; then the root symbol table entry: its
            # link name offset, then the object header's address.
            return self._number(head, field + 5 * self.offsets, self.offsets)
        return self._number(head, field + 3 * self.offsets, self.offsets)  # base, extension, end, root

    def _messages(self, address: int) -> Iterator[tuple[bytes, int]]:
        """The attribute messages of the object header at ``address``, following continuations; a
        fractal heap of dense attributes or a budget spent raises."""
        blocks: list[tuple[int, int | None]] = [(address, None)]
        seen: set[int] = set()
        count = 0
        while blocks:
            block_address, length = blocks.pop(0)
            if len(seen) >= MAX_HEADER_BLOCKS or block_address in seen:
                raise Unscannable("object header continuations loop or run past the budget", None)
            seen.add(block_address)
            for kind, data, offset in self._header_block(block_address, length, first=length is None):
                count += 1
                if count > MAX_MESSAGES:
                    raise Unscannable(f"over {MAX_MESSAGES:,} object header messages", offset)
                if kind == _CONTINUATION:
                    blocks.append((self._number(data, 0, self.offsets),
                                   self._number(data, self.offsets, self.lengths)))
                elif kind == _ATTRIBUTE_INFO and self._dense_attributes(data):
                    raise Unscannable("the root group's attributes are in dense storage (a fractal heap)", offset)
                elif kind == _ATTRIBUTE:
                    yield data, offset

    def _dense_attributes(self, data: bytes) -> bool:
        flags = self._number(data, 1, 1)
        heap = self._number(data, 2 + (2 if flags & 1 else 0), self.offsets)
        return heap not in (_UNDEFINED, (1 << (8 * self.offsets)) - 1)

    def _header_block(self, address: int, length: int | None, first: bool) -> Iterator[tuple[int, bytes, int]]:
        """(type, data, offset) of each message in one block of an object header."""
        if first:
            prefix = self._at(address, 16)
            if prefix.startswith(b"OHDR"):
                yield from self._version2_block(address, prefix)
                return
            if prefix[0] != 1:
                raise Unscannable(f"object header of unknown version {prefix[0]}", self.base + address)
            size = self._number(prefix, 8, 4)
            yield from self._version1_messages(self._at(address + 16, size), self.base + address + 16)
            return
        block = self._at(address, length or 0)
        if block.startswith(b"OCHK"):
            yield from self._version2_messages(block[4:-4], self.base + address + 4)
        else:
            yield from self._version1_messages(block, self.base + address)

    def _version1_messages(self, block: bytes, offset: int) -> Iterator[tuple[int, bytes, int]]:
        at = 0
        while at + 8 <= len(block):
            kind, size, flags = struct.unpack_from("<HHB", block, at)
            data = block[at + 8:at + 8 + size]
            if len(data) != size:
                raise Unscannable("object header message cut short", offset + at)
            if flags & 0x02 and kind == _ATTRIBUTE:
                raise Unscannable("a shared attribute message", offset + at)
            yield kind, data, offset + at + 8
            at += 8 + size

    def _version2_block(self, address: int, prefix: bytes) -> Iterator[tuple[int, bytes, int]]:
        version, flags = prefix[4], prefix[5]
        if version != 2:
            raise Unscannable(f"object header of unknown version {version}", self.base + address)
        at = 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
        width = 1 << (flags & 0x03)
        header = self._at(address, at + width)
        size = self._number(header, at, width)
        self.creation_order = bool(flags & 0x04)
        block = self._at(address + at + width, size)
        yield from self._version2_messages(block, self.base + address + at + width)

    def _version2_messages(self, block: bytes, offset: int) -> Iterator[tuple[int, bytes, int]]:
        at = 0
        head = 6 if self.creation_order else 4
        while at + head <= len(block):
            kind, size, flags = struct.unpack_from("<BHB", block, at)
            data = block[at + head:at + head + size]
            if len(data) != size:
                raise Unscannable("object header message cut short", offset + at)
            if flags & 0x02 and kind == _ATTRIBUTE:
                raise Unscannable("a shared attribute message", offset + at)
            yield kind, data, offset + at + head
            at += head + size

    # --- the attribute's value

    def _string(self, datatype: bytes, dataspace: bytes, value: bytes, offset: int) -> bytes:
        """The text of a scalar (or one-element) string attribute."""
        if not datatype:
            raise Unscannable("attribute without a datatype", offset)
        if _elements(dataspace, self.lengths) != 1:
            raise Unscannable("the model config is not a single string", offset)
        kind = datatype[0] & 0x0F
        size = self._number(datatype, 4, 4)
        if kind == _STRING_CLASS:
            return value[:size].split(b"\0", 1)[0]
        if kind == _VARIABLE_LENGTH_CLASS and datatype[1] & 0x0F == 1:  # a variable-length string
            length = self._number(value, 0, 4)
            collection = self._number(value, 4, self.offsets)
            index = self._number(value, 4 + self.offsets, 4)
            return self._global_heap_object(collection, index, length)
        raise Unscannable(f"the model config is of HDF5 datatype class {kind}, not a string", offset)

    def _global_heap_object(self, address: int, index: int, length: int) -> bytes:
        head = self._at(address, 8 + self.lengths)
        if not head.startswith(b"GCOL"):
            raise Unscannable("no global heap collection where the model config should be", self.base + address)
        collection = self._at(address, self._number(head, 8, self.lengths))
        at = 8 + self.lengths
        while at + 8 + self.lengths <= len(collection):
            number = self._number(collection, at, 2)
            size = self._number(collection, at + 8, self.lengths)
            if number == 0:
                break  # the free space at the end of the collection
            if number == index:
                data = collection[at + 8 + self.lengths:at + 8 + self.lengths + size]
                if len(data) != size or length > size:
                    raise Unscannable("global heap object cut short", self.base + address + at)
                return data[:length]
            at += 8 + self.lengths + (size + 7) // 8 * 8
        raise Unscannable(f"global heap object {index} not found", self.base + address)


def _attribute_parts(data: bytes, offset: int) -> tuple[str, bytes, bytes, bytes]:
    """Name, datatype, dataspace and value of an attribute message (versions 1-3)."""
    version = data[0]
    if len(data) < 8:
        raise Unscannable("attribute message cut short", offset)
    name_size, type_size, space_size = struct.unpack_from("<HHH", data, 2)
    at = 8 if version == 1 else (9 if version == 3 else 8)
    parts = []
    for size in (name_size, type_size, space_size):
        parts.append(data[at:at + size])
        at += (size + 7) // 8 * 8 if version == 1 else size
    if any(len(part) != size for part, size in zip(parts, (name_size, type_size, space_size))):
        raise Unscannable("attribute message cut short", offset)
    name = parts[0].split(b"\0", 1)[0].decode("utf-8", "replace")
    return name, parts[1], parts[2], data[at:]


def _elements(dataspace: bytes, lengths: int) -> int:
    """How many elements a dataspace message holds (a scalar: one; a null dataspace: none)."""
    if len(dataspace) < 2:
        return 0
    version, rank = dataspace[0], dataspace[1]
    if version == 2 and len(dataspace) >= 4:
        if dataspace[3] == 0:
            return 1
        if dataspace[3] == 2:
            return 0
        start = 4
    else:
        start = 8
    if rank == 0:
        return 1
    count = 1
    for dimension in range(rank):
        field = dataspace[start + dimension * lengths:start + (dimension + 1) * lengths]
        if len(field) != lengths:
            return 0
        count *= int.from_bytes(field, "little")
    return count
