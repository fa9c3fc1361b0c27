"""TensorFlow SavedModels (built by tensorflow-cpu, scripts/build_format_fixtures.py, and assembled
field by field) read with the wire reader: ops that touch files or call Python are hazards,
the checkpoint saver every SavedModel holds is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.serialized.pickles import scan_file, sniff
from modellint.findings import Severity
from modellint.rules._format_examples import saved_model, saved_model_files, tf_function, tf_node
from tests.conftest import write_files


def scan_bytes(tmp_path: Path, data: bytes):
    path = tmp_path / "saved_model.pb"
    path.write_bytes(data)
    return scan_file(path)


SAVER = (tf_function("__inference__traced_save_123", tf_node("SaveV2", "SaveV2"),
                     tf_node("ShardedFilename", "ShardedFilename"), tf_node("MergeV2Checkpoints", "MergeV2Checkpoints")),
         tf_function("__inference__traced_restore_456", tf_node("RestoreV2", "RestoreV2")))


def test_the_saver_and_ordinary_ops_are_clean(tmp_path):
    model = saved_model(tf_node("saver_filename", "Placeholder"), tf_node("StatefulPartitionedCall", "StatefulPartitionedCall"),
                        functions=(*SAVER, tf_function("__inference_serve_7", tf_node("MatMul", "MatMul"))))
    scan = scan_bytes(tmp_path, model)
    assert scan.kind == "saved-model" and scan.hazards == () and scan.problems == ()


def test_the_tf1_saver_scope_is_clean(tmp_path):
    scan = scan_bytes(tmp_path, saved_model(tf_node("save/SaveV2", "SaveV2"), tf_node("save/RestoreV2", "RestoreV2")))
    assert scan.hazards == ()


@pytest.mark.parametrize(("op", "kind", "what"), [
    ("ReadFile", "touches-files", "reads a file"),
    ("WriteFile", "touches-files", "writes a file"),
    ("MatchingFiles", "touches-files", "lists files"),
    ("EagerPyFunc", "runs-code", "Python function"),
    ("RestoreV2", "touches-files", "reads a checkpoint file"),
])
def test_a_file_or_python_op_in_a_serving_function_is_a_hazard(tmp_path, op, kind, what):
    serve = tf_function("__inference_serve_7", tf_node("MatMul", "MatMul"), tf_node("evil", op))
    scan = scan_bytes(tmp_path, saved_model(functions=(*SAVER, serve)))
    assert [hazard.kind for hazard in scan.hazards] == [kind]
    assert f"`{op}` (node `evil` of function `__inference_serve_7`)" in scan.hazards[0].detail
    assert what in scan.hazards[0].detail


def test_a_file_op_in_the_graph_itself_is_a_hazard(tmp_path):
    scan = scan_bytes(tmp_path, saved_model(tf_node("read", "ReadFile"), tf_node("read_2", "ReadFile")))
    assert len(scan.hazards) == 1 and "node `read` of the graph and 1 more" in scan.hazards[0].detail


def test_a_truncated_saved_model_is_a_problem(tmp_path):
    data = saved_model(tf_node("x", "ReadFile"))
    scan = scan_bytes(tmp_path, data[:-3])
    assert scan.kind == "saved-model" and any("malformed SavedModel" in p.reason for p in scan.problems)


@pytest.mark.parametrize("data", [b"\x08\x01\x12\x02\x08\x01", b"\x08\x02\x12\x00", b"\x08\x01\x1a\x00"])
def test_other_protobufs_are_not_saved_models(tmp_path, data):
    path = tmp_path / "other.pb"
    path.write_bytes(data)
    assert sniff(path) is None


SAVED = Path(__file__).resolve().parent.parent / "data" / "formats" / "saved_model"


@pytest.mark.parametrize("name", ["benign", "tf1_graph"])
def test_saved_models_written_by_tensorflow_are_clean(name):
    scan = scan_file(SAVED / name / "saved_model.pb")
    assert scan.kind == "saved-model" and scan.hazards == () and scan.problems == ()


@pytest.mark.parametrize("name", ["benign", "tf1_graph", "read_file"])
def test_the_other_files_of_a_saved_model_are_not_model_files(name):
    others = [path for path in (SAVED / name).rglob("*") if path.is_file() and path.name != "saved_model.pb"]
    assert others and [sniff(path) for path in others] == [None] * len(others)


@pytest.mark.parametrize(("name", "op", "kind"), [("read_file", "ReadFile", "touches-files"),
                                                  ("write_file", "WriteFile", "touches-files"),
                                                  ("matching_files", "MatchingFiles", "touches-files"),
                                                  ("py_function", "EagerPyFunc", "runs-code")])
def test_serving_functions_built_by_tensorflow_that_touch_files_are_hazards(name, op, kind):
    scan = scan_file(SAVED / name / "saved_model.pb")
    assert [(hazard.kind, f"`{op}`" in hazard.detail) for hazard in scan.hazards] == [(kind, True)]
    assert "of function `__inference_serve_" in scan.hazards[0].detail


def test_tensorflow_model_dirs_report_through_ml302(tmp_path):
    for name in ("benign", "read_file"):
        files = {path.relative_to(SAVED / name).as_posix(): path.read_bytes()
                 for path in (SAVED / name).rglob("*") if path.is_file()}
        write_files(tmp_path / name, saved_model_files(files))
    findings = {name: [(f.code, f.severity) for f in lint(tmp_path / name).findings if f.severity >= Severity.WARNING]
                for name in ("benign", "read_file")}
    assert findings == {"benign": [], "read_file": [("ML302", Severity.ERROR)]}
