"""Nested deserializer payloads are scanned once each and in bounded number: a payload memoized once
and loaded 300,000 times, or a file of a hundred thousand distinct payloads, costs time linear in
the file, never the product of the two."""

from __future__ import annotations

import time

from modellint.analyzer.serialized.pickles import Limits, scan_file

PROTO4 = b"\x80\x04"
LOAD_FROM_BYTES = b"\x8c\rtorch.storage\x8c\x10_load_from_bytes\x93"
BENIGN = PROTO4 + b"\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R."


def binbytes(data: bytes) -> bytes:
    return b"B" + len(data).to_bytes(4, "little") + data


def test_a_memoized_payload_loaded_300_000_times_is_scanned_once(tmp_path):
    path = tmp_path / "model.pkl"
    once = LOAD_FROM_BYTES + b"\x94" + binbytes(BENIGN * 200) + b"\x94"  # memo 0: the callable, memo 1: the payload
    again = b"h\x00h\x01\x85R0"  # BINGET both, TUPLE1, REDUCE, POP
    path.write_bytes(PROTO4 + once + b"0" + again * 300_000 + b"N.")
    started = time.perf_counter()
    result = scan_file(path)
    elapsed = time.perf_counter() - started
    # one scan of the payload: its first five pickles (torch.load reads no more), each calling OrderedDict()
    assert result.problems == () and [site.callable.name for site in result.calls] == ["OrderedDict"] * 5
    assert elapsed < 20.0, elapsed


def test_distinct_payloads_past_the_budget_stay_calls(tmp_path):
    path = tmp_path / "model.pkl"
    payloads = b"".join(LOAD_FROM_BYTES + binbytes(BENIGN + bytes([index % 256])) + b"\x85R0"
                        for index in range(2_000))
    path.write_bytes(PROTO4 + payloads + b"N.")
    result = scan_file(path, Limits(max_nested_payloads=1_000))
    assert len([site for site in result.calls if site.callable.name == "_load_from_bytes"]) == 1_000
