"""Nested deserializers judged by their payload: torch pickles a tensor's storage as
``torch.storage._load_from_bytes(<legacy torch.save bytes>)``, and ``pickle.loads(<bytes>)`` loads a
pickle of the file; when that payload is a literal of the file, the scanner reads it as the loader would
and reports what it imports and calls, instead of the deserializer itself.

Real pickles come from scripts/build_pickle_fixtures.py --only nested, which also checks each label
with the real loaders (never here); the rest are hand-assembled like tests/analyzer/test_pickles.py's."""

from __future__ import annotations

import gzip
import pickle
import zipfile
from pathlib import Path

import pytest

from modellint.analyzer.serialized.pickles import Limits, scan_file
from tests.analyzer.test_pickles import PROTO4, REDUCE, STOP, TUPLE1, reasons, scan_bytes, stack_global, u, unsafe

DATA = Path(__file__).resolve().parent.parent / "data" / "pickles"
LOAD_FROM_BYTES = "torch.storage._load_from_bytes"


def binbytes(data: bytes) -> bytes:
    return b"B" + len(data).to_bytes(4, "little") + data


def load_from_bytes(payload: bytes) -> bytes:
    """``torch.storage._load_from_bytes(payload)`` as the body of a protocol-4 pickle."""
    return stack_global("torch.storage", "_load_from_bytes") + binbytes(payload) + TUPLE1 + REDUCE


def os_system_pickle() -> bytes:
    return PROTO4 + stack_global("os", "system") + u("echo pwned") + TUPLE1 + REDUCE + STOP


def imported(result) -> set[str]:
    return {f"{ref.module}.{ref.name}" for ref in result.globals}


@pytest.mark.parametrize("name", ["nested_tensor_p2", "nested_tensor_p5", "nested_pickle_loads"])
def test_real_pickles_whose_nested_payloads_load_data_are_clean(name):
    result = scan_file(DATA / f"{name}.pkl")
    assert result.problems == () and unsafe(result) == set()
    assert LOAD_FROM_BYTES not in imported(result) and "_pickle.loads" not in imported(result)


@pytest.mark.parametrize("protocol", [2, 5])
def test_a_tensor_storage_payload_reports_what_it_imports(protocol):
    result = scan_file(DATA / f"nested_tensor_p{protocol}.pkl")
    nested = [ref for ref in result.globals if ref.member and "_load_from_bytes" in ref.member]
    assert {f"{ref.module}.{ref.name}" for ref in nested} == {"torch.FloatStorage"}
    assert "torch" in result.imported_modules()


@pytest.mark.parametrize("name", ["nested_torch_os_system", "nested_torch_os_system_skipped",
                                  "nested_pickle_loads_os_system"])
def test_a_payload_that_runs_a_command_is_unsafe_and_says_where(name):
    result = scan_file(DATA / f"{name}.pkl")
    assert "posix.system" in unsafe(result)
    [call] = [site for site in result.calls if site.callable.name == "system"]
    assert call.member is not None and call.member.startswith("payload loaded by ")


def test_a_zip_payload_stays_a_call_of_the_deserializer():
    # torch.load reads a zip archive too; the scanner does not follow one nested in bytes: fail closed
    assert LOAD_FROM_BYTES in unsafe(scan_file(DATA / "nested_torch_zip_payload.pkl"))


def test_a_payload_that_is_not_a_literal_stays_a_call(tmp_path):
    computed = (stack_global("torch.storage", "_load_from_bytes")
                + stack_global("builtins", "bytes") + u("made at load time") + TUPLE1 + REDUCE)
    result = scan_bytes(tmp_path, PROTO4 + computed + TUPLE1 + REDUCE + STOP)
    assert LOAD_FROM_BYTES in unsafe(result)


def test_the_reader_goes_on_after_a_skipped_payload_read_again(tmp_path):
    # the payload (past the 64 KiB kept in memory) is read a second time where it lies; the outer reader
    # must then find the stream where it left it, and still see the call that follows
    benign = PROTO4 + binbytes(b"\x00" * 100_000) + b"0" + STOP
    data = PROTO4 + load_from_bytes(benign) + b"0" + os_system_pickle()[2:]
    result = scan_bytes(tmp_path, data)
    assert reasons(result) == [] and unsafe(result) == {"os.system"}
    [call] = [site for site in result.calls if site.callable.name == "system"]
    assert call.member is None and call.offset == data.rindex(b"R")


def test_a_payload_in_a_stored_zip_member_is_read_again_there(tmp_path):
    path = tmp_path / "model.pth"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", (DATA / "nested_tensor_p5.pkl").read_bytes())
        archive.writestr("archive/version", "3\n")
    result = scan_file(path)
    assert result.problems == () and unsafe(result) == set()


def test_a_large_payload_in_a_compressed_stream_stays_a_call(tmp_path):
    # a decompressing stream cannot be read twice: the 80 KB storage payload is unknown, so the call stays
    result = scan_bytes(tmp_path, gzip.compress((DATA / "nested_tensor_p5.pkl").read_bytes()), "model.joblib")
    assert LOAD_FROM_BYTES in unsafe(result)


def test_payloads_nested_past_the_depth_budget_stay_a_call(tmp_path):
    payload = os_system_pickle()
    for _ in range(4):
        payload = PROTO4 + load_from_bytes(payload) + STOP
    result = scan_bytes(tmp_path, payload)
    assert LOAD_FROM_BYTES in unsafe(result) and "os.system" not in unsafe(result)
    within = scan_file(tmp_path / "model.pkl", Limits(max_nested_depth=5))
    assert "os.system" in unsafe(within) and LOAD_FROM_BYTES not in unsafe(within)


def test_torch_payload_pickles_run_until_the_payload_ends(tmp_path):
    # torch.load fails where the payload ends (after its first pickle here): nothing more runs, so the
    # missing magic number, protocol and storages are no scanning problem
    result = scan_bytes(tmp_path, PROTO4 + load_from_bytes(pickle.dumps({"a": 1}, protocol=2)) + STOP)
    assert reasons(result) == [] and unsafe(result) == set()
