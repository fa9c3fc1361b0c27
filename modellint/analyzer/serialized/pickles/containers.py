"""Scanning by container: zip archives (PyTorch, npz, zip-in-zip), numpy ``.npy``, skops, and
compressed or stacked pickle streams; ``scan_file`` is the entry point."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from modellint.analyzer.serialized.pickles.machine import scan_pickles
from modellint.analyzer.serialized.pickles.results import (
    CallSite,
    Facts,
    GlobalRef,
    Limits,
    ModelBudget,
    ScanResult,
    Unscannable,
)
from modellint.analyzer.serialized.pickles.sniffing import (
    SKOPS_SCHEMA,
    ZIP_MAGICS,
    member_stream,
    open_zip,
    sniff,
    sniff_member,
)
from modellint.analyzer.serialized.pickles.streams import (
    PROBE_BYTES,
    ByteStream,
    Source,
    decompressing,
    decompression_errors,
)

if TYPE_CHECKING:
    import zipfile

# zipfile, ast (npy headers), json (skops schemas) and the decompressors are imported where a
# file needs them: a plain pickle, the usual case, needs none of them.


def scan_zip(handle: ByteStream, facts: Facts, prefix: str | None, depth: int) -> None:
    import zipfile

    try:
        archive = open_zip(handle)
    except Unscannable as error:
        facts.problem(error.reason, None, prefix)
        return
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        facts.problem(f"unreadable zip archive: {error}", None, prefix)
        return
    for info in archive.infolist():
        if info.is_dir():
            continue
        member = f"{prefix}/{info.filename}" if prefix else info.filename
        left, budget = facts.decompression_left()
        if left <= 0 and info.compress_type != zipfile.ZIP_STORED:
            facts.problem(f"{budget} exceeded: the remaining compressed members are not read", None, member)
            return
        try:
            _scan_zip_member(handle, info, facts, member, depth)
        except Unscannable as error:
            facts.problem(error.reason, error.offset, member)
        except (OSError, EOFError, zlib.error) as error:
            facts.problem(f"unreadable zip member: {error}", None, member)


def _scan_zip_member(handle: ByteStream, info: zipfile.ZipInfo, facts: Facts, member: str, depth: int) -> None:
    import zipfile

    stored = info.compress_type == zipfile.ZIP_STORED
    with member_stream(handle, info) as stream:
        head = stream.read(PROBE_BYTES)  # past the budget by one head at most: scan_zip stops at the next member
    if not stored:
        facts.spend_decompressed(len(head))
    if head.startswith(ZIP_MAGICS):
        if depth >= facts.limits.max_zip_depth:
            facts.problem(f"zip nested deeper than {facts.limits.max_zip_depth} levels", None, member)
            return
        with _seekable_member(handle, info, facts) as nested:
            scan_zip(nested, facts, member, depth + 1)
        return
    kind = sniff_member(head)
    if kind is None:
        return
    with member_stream(handle, info) as stream:
        scan_stream(kind, stream, info.file_size if stored else None, facts, member)


def _seekable_member(handle: ByteStream, info: zipfile.ZipInfo, facts: Facts) -> ByteStream:
    """zipfile needs to seek: a stored member is a window (nothing copied); a compressed one is inflated
    to a temporary file that never grows past the spool budget or the decompression budget."""
    import zipfile

    stream = member_stream(handle, info)
    if info.compress_type == zipfile.ZIP_STORED:
        return stream
    import tempfile  # only for a compressed zip nested in a zip: rare, and tempfile is not free to import

    left, budget = facts.decompression_left()
    spool_limit = facts.limits.max_spooled_bytes
    if spool_limit < left:
        left, budget = spool_limit, f"spool budget for a compressed nested zip ({spool_limit:,} bytes)"
    spool = tempfile.TemporaryFile()
    try:
        with stream:
            copied = 0
            while chunk := stream.read(min(2**20, left - copied + 1)):
                copied += len(chunk)
                facts.spend_decompressed(len(chunk))
                if copied > left:
                    raise Unscannable(f"{budget} exceeded", None)
                spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


# ---------------------------------------------------------------------------
# numpy .npy


def scan_npy(source: Source, facts: Facts, member: str | None) -> None:
    """Object-dtype ``.npy`` files hold a pickle right after their header."""
    magic = source.read(8)
    major = magic[6]
    length_format = struct.Struct("<H" if major == 1 else "<I")  # header length: 2 bytes in .npy 1.0, 4 later
    header_length = length_format.unpack(source.read(length_format.size))[0]
    if header_length > facts.limits.max_line_bytes:
        raise Unscannable("npy header too large", source.pos)
    try:
        import ast

        header = ast.literal_eval(source.read(header_length).decode("latin-1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise Unscannable("npy header is not a Python literal", 8) from None
    if not isinstance(header, dict) or "descr" not in header:
        raise Unscannable("npy header has no descr", 8)
    if _descr_has_object(header["descr"]):
        scan_pickles(source, facts, member, joblib=False, count=1)


def _descr_has_object(descr: object) -> bool:
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list):
        return any(isinstance(item, tuple) and len(item) > 1 and _descr_has_object(item[1]) for item in descr)
    return True  # an unrecognised descr: assume objects, fail closed


# ---------------------------------------------------------------------------
# skops

_SKOPS_BUILTIN_TYPES = {f"builtins.{n}" for n in ("int", "float", "str", "bool", "list", "set", "map", "tuple")}
_SKOPS_DEFAULT_TRUST: dict[str, Callable[[str], bool]] = {
    "ObjectNode": lambda t: t.startswith("sklearn.") and ".TreePredictor" not in t,
    "FunctionNode": lambda t: t.rpartition(".")[0] in ("numpy", "scipy.special"),
    "TypeNode": lambda t: t in _SKOPS_BUILTIN_TYPES or t.startswith("numpy."),
    "DictNode": lambda t: t in ("builtins.dict", "collections.OrderedDict"),
    "DefaultDictNode": lambda t: t == "collections.defaultdict",
    "ListNode": lambda t: t == "builtins.list",
    "SetNode": lambda t: t == "builtins.set",
    "TupleNode": lambda t: t == "builtins.tuple",
    "SliceNode": lambda t: t == "builtins.slice",
    "JsonNode": lambda t: t in ("builtins.int", "builtins.float", "builtins.str", "builtins.bool"),
    "BytesNode": lambda t: t == "builtins.bytes",
    "BytearrayNode": lambda t: t == "builtins.bytearray",
    "NdArrayNode": lambda t: t.startswith("numpy."),
    "DTypeNode": lambda t: t.startswith("numpy."),
    "MaskedArrayNode": lambda t: t.startswith("numpy.ma."),
    "RandomStateNode": lambda t: t == "numpy.random.RandomState",
    "RandomGeneratorNode": lambda t: t.startswith("numpy.random."),
    "SparseMatrixNode": lambda t: t.startswith("scipy.sparse."),
}
_SKOPS_CONSTRUCTING_LOADERS = {"ObjectNode", "ConstructorFromReduceNode", "ReduceNode", "DefaultDictNode", "PartialNode"}


def scan_skops(handle: ByteStream, facts: Facts, member: str | None) -> None:
    import json

    try:
        archive = open_zip(handle)
    except Unscannable as error:
        facts.problem(error.reason, None, member)
        return
    try:
        info = archive.getinfo(SKOPS_SCHEMA)
    except KeyError:
        facts.problem("skops file without schema.json", None, member)
        return
    if info.file_size > facts.limits.max_line_bytes * 16:  # json.loads of 16 MiB of `{},` holds 360 MB
        facts.problem("skops schema.json too large", None, member)
        return
    with member_stream(handle, info) as stream:
        try:
            schema = json.loads(stream.read(info.file_size))
        except (ValueError, RecursionError):
            facts.problem("skops schema.json is not JSON", None, member)
            return
    _walk_skops(schema, facts, member or SKOPS_SCHEMA)  # its .npy members load with allow_pickle=False


def _walk_skops(schema: object, facts: Facts, member: str) -> None:
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        pending.extend(node.values())
        module, name, loader = node.get("__module__"), node.get("__class__"), node.get("__loader__")
        if not isinstance(module, str) or not isinstance(name, str):
            continue
        type_name = f"{module}.{name}"
        facts.skops_types.append(type_name)
        ref = GlobalRef(module, name, 0, member, "skops")
        facts.globals.append(ref)
        if loader in _SKOPS_CONSTRUCTING_LOADERS:
            facts.calls.append(CallSite(ref, "skops", 0, member))
        trusted = _SKOPS_DEFAULT_TRUST.get(loader if isinstance(loader, str) else "", lambda t: False)
        if not trusted(type_name):
            facts.skops_untrusted.append(type_name)


def scan_stream(kind: str, stream: ByteStream, size: int | None, facts: Facts, member: str | None) -> None:
    """Scan an open stream already known to be ``kind``; errors become problems. ``size`` None: the
    stream inflates a compressed zip member, and what it gives counts against the decompression budget."""
    source = None
    try:
        if kind in ("pickle", "joblib", "torch-legacy", "npy"):
            source = Source(stream, size) if size is not None else _inflating_source(stream, facts)
            if kind == "npy":
                scan_npy(source, facts, member)
            elif kind == "torch-legacy":
                scan_pickles(source, facts, member, joblib=False, count=5)  # raw storages follow
            else:
                scan_pickles(source, facts, member, joblib=member is None)
        elif kind == "lz4":
            facts.problem("lz4-compressed stream: the standard library cannot decompress it", 0, member)
        else:
            _scan_compressed(kind, stream, facts, member)
    except Unscannable as error:
        facts.problem(error.reason, error.offset, member)
    except (OSError, EOFError, zlib.error, ValueError) as error:
        facts.problem(f"unreadable {kind} stream: {error}", None, member)
    finally:
        if source is not None and size is None:
            facts.spend_decompressed(source.consumed)


def _inflating_source(stream: ByteStream, facts: Facts) -> Source:
    left, budget = facts.decompression_left()
    return Source(stream, None, left, budget)


def _scan_compressed(kind: str, stream: ByteStream, facts: Facts, member: str | None) -> None:
    source = None
    try:
        source = _inflating_source(decompressing(kind, stream), facts)
        scan_pickles(source, facts, member, joblib=member is None)
    except Unscannable as error:
        facts.problem(error.reason, error.offset, member)
    except decompression_errors() as error:
        facts.problem(f"unreadable {kind} stream: {error}", None, member)
    finally:
        if source is not None:
            facts.spend_decompressed(source.consumed)


def _read_errors(kind: str) -> tuple[type[Exception], ...]:
    if kind in ("skops", "zip", "npz", "torchscript", "keras"):
        import zipfile

        return (OSError, zipfile.BadZipFile)
    return (OSError,)


def _read_pickled_archive(stream: ByteStream, facts: Facts, where: str) -> None:
    """A zip in a pickle's ``BytesIO``: judged when it is a Keras archive, which Keras pickles a model as."""
    from modellint.analyzer.serialized.keras import scan_keras

    scan_keras(stream, facts, where, keras_only=True)


def scan_file(path: Path, limits: Limits = Limits(), model_budget: ModelBudget | None = None, *,
              kind: str | None = None, root: Path | None = None) -> ScanResult:
    """Every fact a static read of ``path`` yields; problems (never exceptions) for what could not be read.
    ``model_budget`` is shared by the files of one model dir (see :class:`Limits`); ``kind`` is what
    :func:`sniff` said, when the caller asked it already; with ``root`` the file is opened only if it
    resolves below it. A FIFO or device swapped in is refused, never waited on."""
    from modellint.analyzer.files import open_regular
    from modellint.analyzer.serialized.weight_files import WEIGHT_KINDS, scan_weight_file

    kind = sniff(path, root) if kind is None else kind
    if kind in WEIGHT_KINDS:
        return scan_weight_file(path, kind, root)
    facts = Facts(limits, model_budget=model_budget, archive_reader=_read_pickled_archive)
    if kind is not None:
        errors = _read_errors(kind)
        try:
            with open_regular(path, root, buffering=2**16) as stream:
                size = os.fstat(stream.fileno()).st_size
                if kind == "skops":
                    scan_skops(stream, facts, None)
                elif kind in ("zip", "npz"):
                    scan_zip(stream, facts, None, depth=1)
                elif kind == "saved-model":
                    from modellint.analyzer.serialized.saved_model import scan_saved_model

                    scan_saved_model(stream, size, facts, None)
                elif kind == "keras":
                    from modellint.analyzer.serialized.keras import scan_keras

                    scan_keras(stream, facts)
                elif kind == "hdf5":
                    from modellint.analyzer.serialized.hdf5 import scan_hdf5

                    scan_hdf5(stream, size, facts)
                elif kind == "torchscript":
                    from modellint.analyzer.serialized.torchscript import scan_torchscript_code

                    scan_zip(stream, facts, None, depth=1)
                    scan_torchscript_code(stream, facts)
                elif kind == "onnx":
                    from modellint.analyzer.serialized.onnx import external_base, scan_onnx

                    scan_onnx(stream, size, facts, None, external_base(path, root))
                else:
                    scan_stream(kind, stream, size, facts, None)
        except errors as error:
            facts.problem(f"cannot read file: {error}", None, None)
        except RecursionError:
            facts.problem("nesting too deep to analyse", None, None)
    if kind == "pickle" and facts.joblib_arrays:
        kind = "joblib"
    if facts.by_value is not None:
        from modellint.analyzer.serialized.pickles.by_value import code_hazards

        facts.hazards.extend(code_hazards(facts.by_value))
    return ScanResult(
        path=path,
        kind=kind,
        globals=tuple(dict.fromkeys(facts.globals)),
        calls=tuple(dict.fromkeys(facts.calls)),
        subimports=tuple(dict.fromkeys(facts.subimports)),
        embedded_code=tuple(dict.fromkeys(facts.embedded)),
        skops_types=tuple(dict.fromkeys(facts.skops_types)),
        problems=tuple(dict.fromkeys(facts.problems)),
        skops_untrusted=tuple(dict.fromkeys(facts.skops_untrusted)),
        hazards=tuple(dict.fromkeys(facts.hazards)),
        onnx_stamps=tuple(facts.onnx_stamps),
    )
