"""What kind of serialized file a stream is, decided by content, never by extension."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from modellint.analyzer.serialized.pickles.machine import probe_is_pickle
from modellint.analyzer.serialized.pickles.results import Unscannable
from modellint.analyzer.serialized.pickles.streams import (
    PROBE_BYTES,
    ZFILE_HEADER,
    ByteStream,
    Inflate,
    Window,
    decompressing,
    decompression_errors,
)

if TYPE_CHECKING:
    import zipfile

TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"
NPY_MAGIC = b"\x93NUMPY"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"  # at byte 0: a user block before it is not looked for
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

LZ4_MAGIC = b"\x04\x22\x4d\x18"

SKOPS_SCHEMA = "schema.json"

# Sniffing reads the head of each zip member until one looks serialized; a zip of many compressed
# members that never do would inflate a head each. Past this much, the zip is scanned (and the scan,
# which has its own budget, reports what it cannot read).
SNIFF_INFLATE_BUDGET = 64 * 2**20
SNIFF_MEMBERS = 10_000  # members whose heads sniffing reads before it leaves the decision to the scan

# zipfile reads the whole central directory into ZipInfo objects when it opens an archive: 1 M
# entries (an 85 MB file) cost 8 s and 590 MB. A PyTorch checkpoint has one entry per storage, a
# few thousand; this budget admits about 250,000.
MAX_ZIP_DIRECTORY_BYTES = 16 * 2**20


def open_zip(handle: ByteStream) -> zipfile.ZipFile:
    """``zipfile.ZipFile(handle)``, after checking the size its end record gives the central directory;
    raises ``Unscannable`` past :data:`MAX_ZIP_DIRECTORY_BYTES` (and zipfile's own errors)."""
    import zipfile

    handle.seek(0)
    # zipfile's own end-record reader, what ZipFile reads first: private, so its stubs leave it out
    end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]
    directory_bytes = end[zipfile._ECD_SIZE] if end else 0  # type: ignore[attr-defined]
    if directory_bytes > MAX_ZIP_DIRECTORY_BYTES:
        raise Unscannable(f"zip central directory of {directory_bytes:,} bytes: over the budget "
                          f"({MAX_ZIP_DIRECTORY_BYTES:,} bytes, about 250,000 members)", None)
    return zipfile.ZipFile(handle)



def compression_kind(head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00\x00"):
        return "lzma"
    if head.startswith(LZ4_MAGIC):
        return "lz4"
    if head.startswith(b"ZF") and len(head) > ZFILE_HEADER and head[ZFILE_HEADER] == 0x78:
        return "zfile"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    return None


def decompressed_head(kind: str, raw: ByteStream) -> bytes:
    try:
        return decompressing(kind, raw).read(PROBE_BYTES)
    except decompression_errors():
        return b""


def sniff_stream(head: bytes, reopen: Callable[[], ByteStream]) -> str | None:
    """The kind of one stream, from its first bytes (``reopen`` gives a fresh stream for zip/compressed checks)."""
    if head.startswith(ZIP_MAGICS):
        with reopen() as handle:
            return sniff_zip(handle)
    if head.startswith(NPY_MAGIC):
        return "npy"
    if head.startswith(HDF5_SIGNATURE):
        return "hdf5"
    from modellint.analyzer.serialized.weight_files import sniff_weights

    weights = sniff_weights(head)
    if weights is not None:
        return weights
    compression = compression_kind(head)
    if compression == "lz4":
        return "lz4"
    if compression is not None:
        with reopen() as handle:
            return compression if probe_is_pickle(decompressed_head(compression, handle)) else None
    if head.startswith(TORCH_LEGACY_MAGIC):
        return "torch-legacy"
    if probe_is_pickle(head):
        return "joblib" if b"NumpyArrayWrapper" in head else "pickle"
    if head[:1] == b"\x08":  # protobuf field 1 as a varint: an ONNX ir_version, a SavedModel schema version
        from modellint.analyzer.serialized.onnx import probe_is_onnx
        from modellint.analyzer.serialized.saved_model import probe_is_saved_model

        if probe_is_onnx(head):
            return "onnx"
        return "saved-model" if probe_is_saved_model(head) else None
    return None


def sniff(path: Path, root: Path | None = None) -> str | None:
    """The serialized-model kind of ``path`` by content, or None (also for unreadable files, and
    for FIFOs and devices, which are never waited on; with ``root``, for a path leading outside it)."""
    from modellint.analyzer.files import open_regular

    try:
        with open_regular(path, root) as handle:
            head = handle.read(PROBE_BYTES)
        return sniff_stream(head, lambda: open_regular(path, root))
    except (OSError, ValueError, EOFError):
        return None


def sniff_zip(handle: ByteStream) -> str | None:
    import zipfile  # only for zip magic: a plain pickle needs none of it

    try:
        archive = open_zip(handle)
    except (zipfile.BadZipFile, OSError, ValueError, Unscannable):
        return "zip"  # a zip magic that zipfile cannot open: scan_file reports it, fail closed
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    if SKOPS_SCHEMA in names:
        return "skops"
    if names and all(name.endswith(".npy") for name in names):
        return "npz"
    if is_torchscript(names):
        return "torchscript"
    if "config.json" in names and "metadata.json" in names:  # what keras.saving.save_model writes
        return "keras"
    inflated = 0
    for index, info in enumerate(archive.infolist()):
        if inflated > SNIFF_INFLATE_BUDGET or index >= SNIFF_MEMBERS:
            return "zip"
        try:
            with member_stream(handle, info) as stream:
                head = stream.read(PROBE_BYTES)
        except (OSError, EOFError, zlib.error, Unscannable):
            return "zip"
        if info.compress_type != zipfile.ZIP_STORED:
            inflated += len(head)
        if head.startswith(ZIP_MAGICS) or probe_is_pickle(head) or compression_kind(head) or head.startswith(NPY_MAGIC):
            return "zip"
    return None


def is_torchscript(names: list[str]) -> bool:
    """Whether zip member ``names`` are a TorchScript archive's (``torch.jit.save``): ``<dir>/constants.pkl``,
    what ``torch.load`` tests to hand the file to ``torch.jit.load``, and a ``<dir>/code/`` tree."""
    tops = {name.split("/", 1)[0] for name in names if name.count("/") == 1 and name.endswith("/constants.pkl")}
    return any(name.split("/", 1)[0] in tops and name.split("/")[1:2] == ["code"] for name in names)


def member_stream(handle: ByteStream, info: zipfile.ZipInfo) -> ByteStream:
    """The member's bytes as torch reads them: data located from the local header's name/extra lengths,
    CRC, flag bits and local-vs-central name mismatches ignored."""
    import zipfile  # already loaded: ``info`` comes from a ZipFile

    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or not header.startswith(b"PK\x03\x04"):
        raise Unscannable("zip member has no local header", info.header_offset)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_length + extra_length
    window = Window(handle, start, info.compress_size)
    if info.compress_type == zipfile.ZIP_STORED:
        return io.BufferedReader(window)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        deflated = io.BufferedReader(window)
        return io.BufferedReader(Inflate(deflated, -zlib.MAX_WBITS))
    if info.compress_type == zipfile.ZIP_BZIP2:
        import bz2

        return bz2.BZ2File(io.BufferedReader(window), "rb")
    raise Unscannable(f"zip member compressed with unsupported method {info.compress_type}", info.header_offset)


def sniff_member(head: bytes) -> str | None:
    if head.startswith(NPY_MAGIC):
        return "npy"
    compression = compression_kind(head)
    if compression is not None and compression != "zlib":
        return compression
    if probe_is_pickle(head):
        return "pickle"
    return None
