"""ONNX models written by the real onnx library (scripts/build_format_fixtures.py), read statically:
each benign file is clean, each hostile twin (one edit apart) is a hazard or a problem."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.serialized.pickles import scan_file, sniff
from modellint.findings import Severity
from modellint.rules._format_examples import encode_field, external_tensor, onnx_files, onnx_model, onnx_node
from tests.conftest import write_files

ONNX = Path(__file__).resolve().parent.parent / "data" / "formats" / "onnx"


@pytest.mark.parametrize("name", ["benign.onnx", "local_function.onnx", "com_microsoft.onnx", "external/model.onnx"])
def test_benign_models_written_by_onnx_are_clean(name):
    scan = scan_file(ONNX / name)
    assert scan.kind == "onnx"
    assert scan.problems == () and scan.hazards == ()


def test_a_custom_domain_inside_an_if_branch_needs_a_library():
    scan = scan_file(ONNX / "custom_domain.onnx")
    assert [hazard.kind for hazard in scan.hazards] == ["custom-ops"]
    assert "`ai.onnx.contrib` (`StringRegexReplace`)" in scan.hazards[0].detail


@pytest.mark.parametrize(("name", "reason"), [("escape_parent", "climbs out of the model directory"),
                                              ("escape_absolute", "is an absolute path")])
def test_external_data_outside_the_model_is_a_hazard(name, reason):
    scan = scan_file(ONNX / name / "model.onnx")
    assert [hazard.kind for hazard in scan.hazards] == ["reads-outside"]
    assert reason in scan.hazards[0].detail and "tensor `big`" in scan.hazards[0].detail


def test_missing_external_data_is_a_problem():
    scan = scan_file(ONNX / "missing" / "model.onnx")
    assert scan.hazards == ()
    assert ["no_such_weights.bin" in problem.reason for problem in scan.problems] == [True]


def test_external_data_through_a_symlink_out_of_the_model_is_a_hazard(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    shutil.copy(ONNX / "external" / "model.onnx", model / "model.onnx")
    (tmp_path / "secret").write_bytes(b"\x00" * 4096)
    os.symlink(tmp_path / "secret", model / "weights.bin")
    scan = scan_file(model / "model.onnx", root=model)
    assert [hazard.kind for hazard in scan.hazards] == ["reads-outside"]
    assert "symlink" in scan.hazards[0].detail


def test_external_data_in_a_subdirectory_may_climb_back_to_the_model_root(tmp_path):
    files = onnx_files(onnx_model(onnx_node("Relu"), initializers=(external_tensor("w", "../weights.bin"),)))
    files["data/model.onnx"] = files.pop("model.onnx")
    write_files(tmp_path, {**files, "weights.bin": b"\x00" * 16})
    scan = scan_file(tmp_path / "data" / "model.onnx", root=tmp_path)
    assert scan.hazards == () and scan.problems == ()


def test_a_model_dir_with_custom_ops_and_escaping_data_reports_both(tmp_path):
    model = onnx_model(onnx_node("Relu"), onnx_node("Steal", "evil.ops"),
                       initializers=(external_tensor("w", "/etc/passwd"),))
    write_files(tmp_path, onnx_files(model))
    found = {(finding.code, finding.severity) for finding in lint(tmp_path).findings}
    assert found == {("ML302", Severity.ERROR), ("ML310", Severity.ERROR)}


def test_a_clean_onnx_model_dir_has_no_finding(tmp_path):
    write_files(tmp_path, onnx_files((ONNX / "benign.onnx").read_bytes()))
    assert [finding for finding in lint(tmp_path).findings if finding.severity >= Severity.WARNING] == []


@pytest.mark.parametrize("head", [b"\x08\x01\x12\x03abc", b"\x08\x07\x10\x01", b"\x08" + b"\xff" * 20,
                                  encode_field(1, 8) + encode_field(2, "producer")])
def test_protobuf_that_is_not_an_onnx_model_is_not_sniffed_as_one(tmp_path, head):
    path = tmp_path / "file.bin"
    path.write_bytes(head)
    assert sniff(path) is None


def test_the_external_weights_file_is_not_a_model():
    assert sniff(ONNX / "external" / "weights.bin") is None


def test_a_truncated_model_is_still_an_onnx_model_and_a_problem(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes((ONNX / "benign.onnx").read_bytes()[:-100])
    scan = scan_file(path)
    assert scan.kind == "onnx" and any("runs past the end" in problem.reason for problem in scan.problems)
