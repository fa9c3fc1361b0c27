"""Hostile ONNX files and SavedModels (and the protobuf reader under them), Keras configs and
TorchScript sources: deep nesting, oversized varints, length prefixes past the end, millions of
nodes, members that inflate past their budget. Each is an ML303 finding naming what stopped the
read, within bounded time and memory; never a traceback and never "All checks passed!".

Measured through the CLI on the 2-vCPU VM under the load of five other helpers (load average
about 14): the small cases take 0.5-2 s; the 10^7-node file (130 MB) stops at the field budget
(10^6 fields) in 6-12 s, under 150 MiB (the graph is read from the stream, never held).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from modellint.rules._format_examples import (
    encode_field,
    encode_varint,
    external_tensor,
    keras_files,
    onnx_files,
    onnx_model,
    onnx_node,
    saved_model,
    saved_model_files,
    tf_node,
    torchscript_files,
)
from tests.hostile.harness import Run, Sandbox, assert_promises, run_cli

FAST = 10.0
MEMORY = 256 * 2**20


def check(tmp_path: Path, files: Mapping[str, str | bytes], *expected: str, seconds: float = FAST) -> Run:
    sandbox = Sandbox(tmp_path / "sandbox")
    sandbox.write(files)
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox, timeout=120.0)
    assert_promises(run, sandbox, before, seconds=seconds, memory=MEMORY)
    for text in expected:
        assert text in run.stdout, f"{text!r} not reported\n{run!r}"
    return run


def nested_graphs(levels: int) -> bytes:
    """A model whose graph holds an If whose branch holds an If ... ``levels`` deep."""
    graph = encode_field(1, onnx_node("Relu"))
    for _ in range(levels):
        attribute = encode_field(1, "then_branch") + encode_field(6, graph)
        graph = encode_field(1, encode_field(4, "If") + encode_field(5, attribute))
    return encode_field(1, 8) + encode_field(7, graph)


def test_graphs_nested_past_the_depth_bound(tmp_path):
    check(tmp_path, onnx_files(nested_graphs(2000)), "ML303", "nested deeper than")


def test_a_varint_longer_than_ten_bytes(tmp_path):
    model = onnx_model(onnx_node("Relu")) + b"\x08" + b"\xff" * 64
    check(tmp_path, onnx_files(model), "ML303", "varint longer than 10 bytes")


def test_a_length_prefix_past_the_end_of_the_file(tmp_path):
    model = onnx_model(onnx_node("Relu")) + b"\x3a" + encode_varint(2**62) + b"\x0a\x00"
    check(tmp_path, onnx_files(model), "ML303", "runs past the end")


def test_a_node_length_past_its_graph(tmp_path):
    graph = encode_field(1, onnx_node("Relu"))[:-3]  # the node's length still claims the cut bytes
    check(tmp_path, onnx_files(encode_field(1, 8) + encode_field(7, graph)), "ML303", "runs past the end")


@pytest.mark.slow
def test_ten_million_nodes_stop_at_the_field_budget(tmp_path):
    node = encode_field(1, onnx_node("Relu"))
    graph = node * 10**7
    model = encode_field(1, 8) + encode_field(7, graph)
    check(tmp_path, onnx_files(model), "ML303", "protobuf fields (per file): over the budget", seconds=60.0)


def keras_config(config: bytes) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", config)
    return buffer.getvalue()


def test_a_keras_config_nested_past_the_recursion_limit(tmp_path):
    check(tmp_path, keras_files(keras_config(b"[" * 1_000_000 + b"]" * 1_000_000)), "ML303", "not JSON")


def test_a_keras_config_that_inflates_past_its_budget(tmp_path):
    check(tmp_path, keras_files(keras_config(b" " * (64 * 2**20))), "ML303", "over the")


def test_a_torchscript_source_that_inflates_past_the_code_budget(tmp_path):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("m/constants.pkl", b"\x80\x02).")
        archive.writestr("m/code/__torch__.py", b"#" * (80 * 2**20))
    check(tmp_path, torchscript_files(buffer.getvalue()), "ML303", "TorchScript code over")


def test_a_saved_model_whose_graph_length_runs_past_the_file(tmp_path):
    model = saved_model(tf_node("x", "MatMul"))
    check(tmp_path, saved_model_files({"saved_model.pb": model[:-4]}), "ML303", "runs past the end")


@pytest.mark.slow
def test_a_saved_model_of_millions_of_nodes_stops_at_the_field_budget(tmp_path):
    model = saved_model(*([tf_node("n", "MatMul")] * 2_000_000))
    check(tmp_path, saved_model_files({"saved_model.pb": model}), "ML303", "over the budget", seconds=60.0)


@pytest.mark.parametrize("kind", ["onnx", "saved-model"])
def test_a_field_of_the_wrong_wire_type_is_unscannable_not_a_crash(tmp_path, kind):
    # a graph (ONNX field 7) and a meta graph's field (SavedModel) written as varints after well-formed
    # ones: a reader that takes the varint for a length reads past the bytes it holds
    if kind == "onnx":
        files = onnx_files(encode_field(1, 7) + encode_field(7, b"") + encode_field(7, 127))
    else:
        meta_graph = encode_field(1, b"") + encode_field(2, b"") + encode_field(3, b"") + encode_field(2, 127)
        files = saved_model_files({"saved_model.pb": encode_field(1, 1) + encode_field(2, meta_graph)})
    run = check(tmp_path, files, "ML303", "wire type 0")
    assert "internal error" not in run.stdout + run.stderr


def test_thousands_of_external_data_locations_are_bounded_and_summarised(tmp_path):
    initializers = tuple(external_tensor(f"w{index}", f"/etc/data-{index}") for index in range(3_000))
    run = check(tmp_path, onnx_files(onnx_model(onnx_node("MatMul"), initializers=initializers)),
                "ML302", "more such hazards (reads-outside), not listed", "external data locations")
    assert run.stdout.count("ML302") == 6, run.stdout  # five listed, one summary


# --- legacy Keras HDF5 (modellint.analyzer.serialized.hdf5) ---------------------------------------

_UNDEFINED = b"\xff" * 8


def hdf5_file(*messages: bytes, tail: bytes = b"") -> bytes:
    """Superblock 0 whose root group's version 1 object header at 0x60 holds ``messages``."""
    body = b"".join(messages)
    header = b"\x01\x00" + min(len(messages), 0xFFFF).to_bytes(2, "little") + (1).to_bytes(4, "little") + \
        len(body).to_bytes(4, "little") + bytes(4)
    size = 0x60 + len(header) + len(body) + len(tail)
    superblock = (b"\x89HDF\r\n\x1a\n" + bytes([0, 0, 0, 0, 0, 8, 8, 0]) + (4).to_bytes(2, "little")
                  + (16).to_bytes(2, "little") + bytes(4) + bytes(8) + _UNDEFINED + size.to_bytes(8, "little")
                  + _UNDEFINED + bytes(8) + (0x60).to_bytes(8, "little") + bytes(24))
    assert len(superblock) == 0x60
    return superblock + header + body + tail


def hdf5_message(kind: int, data: bytes) -> bytes:
    data += bytes(-len(data) % 8)
    return kind.to_bytes(2, "little") + len(data).to_bytes(2, "little") + bytes(4) + data


def vlen_config_attribute(heap_address: int) -> bytes:
    """A version 1 attribute ``model_config``: a scalar variable-length string in the global heap."""
    name = b"model_config\0"
    datatype = bytes([0x19, 0x01, 0, 0]) + (16).to_bytes(4, "little") + bytes([0x13, 0, 0, 0]) + \
        (1).to_bytes(4, "little")
    dataspace = bytes([1, 0, 0, 0]) + bytes(4)
    value = (100).to_bytes(4, "little") + heap_address.to_bytes(8, "little") + (1).to_bytes(4, "little")
    parts = b"".join(part + bytes(-len(part) % 8) for part in (name, datatype, dataspace))
    return hdf5_message(0x0C, b"\x01\x00" + len(name).to_bytes(2, "little") + len(datatype).to_bytes(2, "little")
                        + len(dataspace).to_bytes(2, "little") + parts + value)


def h5_model(data: bytes) -> Mapping[str, str | bytes]:
    files = dict(keras_files(b""))
    del files["data/model.keras"]
    return {**files, "data/model.h5": data}


def test_an_hdf5_continuation_that_loops_onto_itself(tmp_path):
    loop = hdf5_message(0x10, (0x70).to_bytes(8, "little") + (24).to_bytes(8, "little"))
    check(tmp_path, h5_model(hdf5_file(loop)), "ML303", "continuations loop")


def test_an_hdf5_header_of_a_million_messages(tmp_path):
    check(tmp_path, h5_model(hdf5_file(*[hdf5_message(0, b"")] * 1_000_000)), "ML303", "object header messages")


@pytest.mark.parametrize(("heap", "expected"), [(2**40, "outside the file"), (0x60, "no global heap collection")])
def test_an_hdf5_config_string_pointing_nowhere(tmp_path, heap, expected):
    check(tmp_path, h5_model(hdf5_file(vlen_config_attribute(heap))), "ML303", expected)


def test_an_hdf5_global_heap_claiming_an_exabyte(tmp_path):
    heap_at = 0x60 + 16 + len(vlen_config_attribute(0))
    collection = b"GCOL\x01\x00\x00\x00" + (2**60).to_bytes(8, "little")
    check(tmp_path, h5_model(hdf5_file(vlen_config_attribute(heap_at), tail=collection)), "ML303", "outside the file")
