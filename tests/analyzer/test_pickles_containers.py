"""Containers chosen by content (pickle.md §1.3, §1.7.7, §4.5), on built and on real-library files.

Built files carry the harmless ``os.system("echo pwned")`` payload and are never loaded. The
real-library files in tests/data/pickles/ come from scripts/build_pickle_fixtures.py.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from modellint.analyzer.serialized.pickles import Limits, scan_file, sniff
from tests.analyzer.test_pickles import (
    BUILD,
    EMPTY_DICT,
    EVIL_P4,
    MARK,
    PROTO4,
    REDUCE,
    STOP,
    TUPLE1,
    called,
    reasons,
    scan_bytes,
    stack_global,
    u,
    unsafe,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "pickles"


def joblib_array(count: int, fill: bytes = b"\xff") -> bytes:
    """A ``NumpyArrayWrapper`` for a float64 array of ``count`` items, then its raw bytes as joblib writes them."""
    dtype_state = MARK + b"K\x03" + u("<") + b"NNN" + b"J\xff\xff\xff\xff" * 2 + b"K\x00" + b"t"
    dtype = stack_global("numpy", "dtype") + u("f8") + b"\x89\x88" + b"\x87" + REDUCE + dtype_state + BUILD
    state = (EMPTY_DICT + MARK + u("subclass") + stack_global("numpy", "ndarray") + u("shape") + b"M" + struct.pack("<H", count)
             + TUPLE1 + u("order") + u("C") + u("dtype") + dtype + u("allow_mmap") + b"\x89"
             + u("numpy_array_alignment_bytes") + b"K\x10" + b"u")
    wrapper = stack_global("joblib.numpy_pickle", "NumpyArrayWrapper") + b")" + b"\x81" + state + BUILD
    padding = 5
    return wrapper + bytes([padding]) + b"\x00" * padding + fill * (8 * count)


def os_system_call() -> bytes:
    return stack_global("os", "system") + u("echo pwned") + TUPLE1 + REDUCE


# The raw array bytes are a valid opcode (REDUCE): a reader that parses them desynchronises.
JOBLIB_AFTER_ARRAY = PROTO4 + b"]" + MARK + joblib_array(64, fill=b"R") + os_system_call() + b"e" + STOP


def test_payload_after_a_joblib_array_is_seen(tmp_path: Path) -> None:
    result = scan_bytes(tmp_path, JOBLIB_AFTER_ARRAY, "model.joblib")
    assert result.kind == "joblib"
    assert "os.system" in unsafe(result) and result.problems == ()


@pytest.mark.parametrize(
    ("kind", "compress"),
    [
        ("zlib", zlib.compress),
        ("gzip", gzip.compress),
        ("bz2", bz2.compress),
        ("xz", lzma.compress),
        ("lzma", lambda data: lzma.compress(data, format=lzma.FORMAT_ALONE)),
    ],
)
def test_compressed_joblib_is_decompressed(tmp_path: Path, kind: str, compress) -> None:
    path = tmp_path / "model.joblib"
    path.write_bytes(compress(JOBLIB_AFTER_ARRAY))
    assert sniff(path) == kind
    assert "os.system" in unsafe(scan_file(path))


def test_decompression_size_limit_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "bomb.joblib"
    path.write_bytes(zlib.compress(PROTO4 + b"\x8e" + struct.pack("<Q", 2**20) + b"\x00" * 2**20 + b"0" + EVIL_P4[2:]))
    result = scan_file(path, Limits(max_decompressed_bytes=2**16))
    assert any("size limit" in reason for reason in reasons(result))


def test_lz4_stream_is_reported_not_ignored(tmp_path: Path) -> None:
    result = scan_bytes(tmp_path, b"\x04\x22\x4d\x18" + b"\x00" * 32, "model.joblib")
    assert result.kind == "lz4" and any("lz4" in reason for reason in reasons(result))


def npy(pickle_bytes: bytes) -> bytes:
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + pickle_bytes


def test_object_npy_pickle_is_scanned(tmp_path: Path) -> None:
    result = scan_bytes(tmp_path, npy(EVIL_P4), "array.npy")
    assert result.kind == "npy" and "os.system" in unsafe(result)


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_npz_object_member_is_scanned(tmp_path: Path) -> None:
    result = scan_bytes(tmp_path, zip_bytes({"objects.npy": npy(EVIL_P4)}), "arrays.npz")
    assert result.kind == "npz" and "os.system" in unsafe(result)
    assert {ref.member for ref in result.globals} == {"objects.npy"}


@pytest.mark.parametrize("member", ["archive/data.pkl", "archive/data.weird", "archive/constants"])
@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_torch_zip_members_are_chosen_by_content(tmp_path: Path, member: str, compression: int) -> None:
    """CVE-2025-1889: a pickle member with a non-standard name is still a pickle torch can load."""
    data = zip_bytes({"archive/version": b"3\n", member: EVIL_P4, "archive/data/0": b"\x00" * 64}, compression)
    result = scan_bytes(tmp_path, data, "model.pth")
    assert result.kind == "zip" and "os.system" in unsafe(result)


def _patch(data: bytes, old: bytes, new: bytes, count: int = -1) -> bytes:
    assert old in data
    return data.replace(old, new, count)


def test_zip_header_quirks_torch_tolerates_are_tolerated(tmp_path: Path) -> None:
    """CVE-2025-1944/1945, CVE-2025-10156: bad CRCs, flag bits and local/central name mismatches."""
    data = bytearray(zip_bytes({"archive/data.pkl": EVIL_P4}))
    local = data.index(b"PK\x03\x04")
    data[local + 6] |= 0x01  # "encrypted" flag bit: zipfile refuses, torch does not care
    data[local + 14:local + 18] = b"\xde\xad\xbe\xef"  # local CRC
    name_at = local + 30
    data[name_at:name_at + 7] = b"ARCHIVE"  # local name differs from the central directory's
    result = scan_bytes(tmp_path, bytes(data), "model.pth")
    assert "os.system" in unsafe(result)


def test_zip_in_zip_is_scanned_to_a_depth_limit(tmp_path: Path) -> None:
    inner = zip_bytes({"data.pkl": EVIL_P4})
    nested = zip_bytes({"inner.zip": inner}, zipfile.ZIP_DEFLATED)
    result = scan_bytes(tmp_path, nested, "nested.zip")
    assert "os.system" in unsafe(result)
    assert {ref.member for ref in result.globals} == {"inner.zip/data.pkl"}
    deep = inner
    for _ in range(4):
        deep = zip_bytes({"z.zip": deep})
    result = scan_bytes(tmp_path, deep, "deep.zip")
    assert any("nested deeper" in reason for reason in reasons(result))


def test_legacy_torch_file_scans_every_stacked_pickle(tmp_path: Path) -> None:
    magic = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"
    protocol = b"\x80\x02M\xe9\x03."
    sys_info = b"\x80\x02}q\x00."
    model = b"\x80\x02cos\nsystem\nq\x01X\n\x00\x00\x00echo pwnedq\x02\x85q\x03Rq\x04."
    keys = b"\x80\x02]q\x00X\x01\x00\x00\x000q\x01a."
    result = scan_bytes(tmp_path, magic + protocol + sys_info + model + keys + b"\x00" * 256, "model.pt")
    assert result.kind == "torch-legacy" and "os.system" in unsafe(result) and result.problems == ()


def skops_file(schema: dict) -> bytes:
    return zip_bytes({"schema.json": json.dumps(schema).encode()})


def test_skops_types_and_trust(tmp_path: Path) -> None:
    schema = {
        "__class__": "Pipeline", "__module__": "sklearn.pipeline", "__loader__": "ObjectNode",
        "content": {"steps": {"__class__": "system", "__module__": "os", "__loader__": "FunctionNode"}},
        "protocol": 2, "_skops_version": "0.16.0",
    }
    result = scan_bytes(tmp_path, skops_file(schema), "model.skops")
    assert result.kind == "skops"
    assert set(result.skops_types) == {"sklearn.pipeline.Pipeline", "os.system"}
    assert result.skops_untrusted == ("os.system",)
    assert "os.system" in unsafe(result)


# --- real-library files: what a load imports, no unsafe call, nothing unreadable -------------------

SKLEARN_FOREST = {"sklearn.ensemble._forest", "sklearn.tree._classes", "sklearn.tree._tree", "numpy"}


@pytest.mark.parametrize(
    ("name", "kind", "modules"),
    [
        ("sklearn_rf_p2.pkl", "pickle", SKLEARN_FOREST),
        ("sklearn_rf_p4.pkl", "pickle", SKLEARN_FOREST),
        ("sklearn_rf.joblib", "joblib", SKLEARN_FOREST | {"joblib.numpy_pickle"}),
        ("sklearn_rf_zlib.joblib", "zlib", SKLEARN_FOREST),
        ("sklearn_rf_gzip.joblib", "gzip", SKLEARN_FOREST),
        ("sklearn_rf_bz2.joblib", "bz2", SKLEARN_FOREST),
        ("sklearn_rf_lzma.joblib", "lzma", SKLEARN_FOREST),
        ("sklearn_rf_xz.joblib", "xz", SKLEARN_FOREST),
        ("object_array.joblib", "joblib", SKLEARN_FOREST),
        ("object_array.npy", "npy", {"numpy"}),
        ("object_array.npz", "npz", {"numpy"}),
        ("sklearn_lgbm_cloudpickle.pkl", "pickle", {"lightgbm.sklearn", "sklearn.pipeline"}),
        ("sklearn_lgbm.skops", "skops", {"lightgbm.sklearn", "sklearn.pipeline"}),
        ("torch_state_dict.pt", "zip", {"torch._utils", "collections"}),
        ("torch_module.pth", "zip", {"torch.nn.modules.linear", "torch._utils"}),
        ("torch_legacy.pt", "torch-legacy", {"torch._utils", "collections"}),
        ("pyfunc_by_reference.pkl", "pickle", {"my_model"}),
    ],
)
def test_real_library_files(name: str, kind: str, modules: set[str]) -> None:
    result = scan_file(DATA / name)
    assert result.kind == kind
    assert result.problems == ()
    assert modules <= result.imported_modules()
    assert unsafe(result) == set()


def test_by_value_pythonmodel_reports_the_import_inside_predict() -> None:
    result = scan_file(DATA / "pyfunc_by_value.pkl")
    (code,) = [code for code in result.embedded_code if code.qualname and code.qualname.endswith("predict")]
    assert code.imports == ("tabulate",)
    assert code.python_minor == (3, 11)
    assert "tabulate" not in {ref.module for ref in result.globals}  # only the bytecode names it
    assert unsafe(result) == set() and "cloudpickle.cloudpickle._make_function" in called(result)


def test_a_fifo_swapped_in_after_the_sniff_is_refused_not_waited_on(tmp_path):
    """The model's walk sniffed a regular file; a FIFO put in its place before the scan opens it
    is a problem of the scan, never an open that blocks until a writer comes."""
    import os

    fifo = tmp_path / "model.pkl"
    os.mkfifo(fifo)
    result = scan_file(fifo, kind="pickle", root=tmp_path)
    assert result.kind == "pickle"
    assert [problem.reason for problem in result.problems] == ["cannot read file: [Errno 22] a FIFO, not a regular file"]
