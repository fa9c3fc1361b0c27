"""The format versions an ONNX file is stamped with, read statically, against what each onnxruntime
release loads (ML311).

The files under tests/data/formats/onnx_stamps/ were written and checked by the real onnx library
(scripts/build_format_fixtures.py onnx_stamps). Loaded with real onnxruntime releases when they were
built: 1.17.3 refused ``ir10_opset21.onnx`` ("Unsupported model IR version: 10, max supported IR
version: 9") and ``ir8_ml5.onnx`` ("Current official support for domain ai.onnx.ml is till opset 4")
and loaded ``ir8_opset17.onnx``; 1.18.1 and 1.32.0 loaded all three.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.knowledge.onnxruntime_limits import first_loading, limits_of, series_limits
from modellint.analyzer.serialized.pickles import scan_file
from modellint.findings import Severity
from modellint.rules._format_examples import ONNX_PIP, encode_field, onnx_files, onnx_model, onnx_node
from tests.conftest import write_files

STAMPS = Path(__file__).resolve().parent.parent / "data" / "formats" / "onnx_stamps"
BENIGN_ONNX = Path(__file__).resolve().parents[2] / "corpus" / "benign" / "onnx-logistic-regression"


@pytest.mark.parametrize(("name", "ir_version", "opsets"), [
    ("ir8_opset17", 8, (("ai.onnx", 17),)),
    ("ir10_opset21", 10, (("ai.onnx", 21),)),
    ("ir8_ml5", 8, (("ai.onnx", 17), ("ai.onnx.ml", 5))),
])
def test_the_stamp_onnx_wrote_is_read_back(name, ir_version, opsets):
    scan = scan_file(STAMPS / f"{name}.onnx")
    assert [(stamp.ir_version, stamp.opsets) for stamp in scan.onnx_stamps] == [(ir_version, opsets)]


def test_the_stamp_of_a_model_mlflow_saved_from_skl2onnx():
    """corpus/benign: skl2onnx at target_opset 17 imports the default domain twice and ai.onnx.ml once."""
    scan = scan_file(BENIGN_ONNX / "model.onnx")
    assert [(stamp.ir_version, stamp.opsets) for stamp in scan.onnx_stamps] == [(8, (("ai.onnx.ml", 1), ("ai.onnx", 17)))]


def _with_runtime(tmp_path: Path, model: Path, pin: str) -> Path:
    root = tmp_path / "model"
    files = onnx_files(model.read_bytes(), pip=tuple(pin if line.startswith("onnxruntime") else line for line in ONNX_PIP))
    write_files(root, files)
    return root


@pytest.mark.parametrize(("name", "pin", "refused"), [
    ("ir8_opset17", "onnxruntime==1.17.3", False),
    ("ir10_opset21", "onnxruntime==1.17.3", True),
    ("ir8_ml5", "onnxruntime==1.17.3", True),
    ("ir10_opset21", "onnxruntime==1.18.1", False),
    ("ir8_ml5", "onnxruntime==1.18.1", False),
    ("ir10_opset21", "onnxruntime==1.32.0", False),
    ("ir10_opset21", "onnxruntime-gpu==1.17.1", True),
    ("ir10_opset21", "onnxruntime>=1.17", False),  # a range: pip installs the newest release
    ("ir10_opset21", "onnxruntime==1.40.0", False),  # newer than the table: not known to refuse it
])
def test_a_pin_is_judged_as_the_real_release_loaded_the_file(tmp_path, name, pin, refused):
    root = _with_runtime(tmp_path, STAMPS / f"{name}.onnx", pin)
    findings = [finding for finding in lint(root).findings if finding.code == "ML311"]
    assert bool(findings) == refused, [finding.message for finding in findings]
    assert all(finding.severity is Severity.ERROR for finding in findings)


def test_documented_series_judge_the_default_opset_only(tmp_path):
    """onnxruntime 1.11 implements opset 16 (its compatibility table); the benign skl2onnx model needs 17."""
    old = [finding for finding in lint(_with_runtime(tmp_path, BENIGN_ONNX / "model.onnx", "onnxruntime==1.11.1")).findings
           if finding.code == "ML311"]
    assert old and "opset 17 of `ai.onnx` (it knows up to 16)" in old[0].message
    assert "onnxruntime 1.15.1 is the first measured release" in old[0].message
    fine = tmp_path / "fine"
    fine.mkdir()
    assert not [finding for finding in lint(_with_runtime(fine, BENIGN_ONNX / "model.onnx", "onnxruntime==1.12.0")).findings
                if finding.code == "ML311"]


def test_a_pin_whose_marker_is_false_on_linux_is_not_judged(tmp_path):
    root = _with_runtime(tmp_path, STAMPS / "ir10_opset21.onnx", 'onnxruntime==1.17.3; sys_platform == "win32"')
    assert not [finding for finding in lint(root).findings if finding.code == "ML311"]


def test_a_file_that_could_not_be_read_whole_is_not_judged_against_the_runtime(tmp_path):
    """A malformed file is ML303's (could not be checked); its partial stamp says nothing reliable."""
    truncated = onnx_model(onnx_node("Relu"), ir_version=10, opset=21) + b"\x3a\x05\x0a"
    root = tmp_path / "model"
    write_files(root, onnx_files(truncated, pip=("mlflow==3.17.2", "onnx==1.20.1", "onnxruntime==1.17.3")))
    codes = {finding.code for finding in lint(root).findings}
    assert "ML303" in codes and "ML311" not in codes


def test_one_finding_per_pin_names_the_release_that_loads_every_file(tmp_path):
    root = _with_runtime(tmp_path, STAMPS / "ir10_opset21.onnx", "onnxruntime==1.17.3")
    shutil.copy(STAMPS / "ir8_ml5.onnx", root / "other.onnx")
    shutil.copy(STAMPS / "ir10_opset21.onnx", root / "newest.onnx")
    (root / "newest.onnx").write_bytes(onnx_model(onnx_node("Relu"), ir_version=11, opset=23))
    findings = [finding for finding in lint(root).findings if finding.code == "ML311"]
    assert [finding.path.name for finding in findings] == ["conda.yaml", "requirements.txt"]
    assert "(and 2 more ONNX files)" in findings[0].message
    assert "onnxruntime 1.23.2 is the first measured release" in findings[0].message


def test_the_table_grows_with_the_series():
    """Each measured series loads at least what the one before it loads (a row typed wrong would not)."""
    rows = [row for row in series_limits() if row.release is not None]
    assert [row.series for row in rows] == sorted(row.series for row in rows) and len(rows) >= 18
    for older, newer in zip(rows, rows[1:]):
        assert older.ir_version is not None and newer.ir_version is not None
        assert older.ir_version <= newer.ir_version
        assert all(version <= dict(newer.opsets)[domain] for domain, version in older.opsets)
    documented = [row for row in series_limits() if row.release is None]
    assert all(row.ir_version is None and [domain for domain, _ in row.opsets] == ["ai.onnx"] for row in documented)


def test_first_loading_skips_documented_series():
    assert first_loading(8, (("ai.onnx", 12),), after=(1, 0)) == limits_of((1, 15))
    assert first_loading(99, (), after=(1, 0)) is None


def test_opset_imports_are_bounded(tmp_path):
    """A crafted file importing a million operator sets: 64 are kept, the rest said once."""
    imports = b"".join(encode_field(8, encode_field(1, f"d{index}") + encode_field(2, 1)) for index in range(100_000))
    model = encode_field(1, 8) + encode_field(7, encode_field(1, onnx_node("Relu"))) + imports
    path = tmp_path / "model.onnx"
    path.write_bytes(model)
    scan = scan_file(path)
    assert len(scan.onnx_stamps[0].opsets) == 64
    assert [problem.reason for problem in scan.problems] == ["more than 64 operator set imports: the rest are not checked"]


def test_a_domain_imported_twice_is_judged_by_its_newest_version(tmp_path):
    """onnxruntime 1.17.3 refused opset 13, 17 and 21 of the default domain in either order (and the
    `ai.onnx` alias beside the empty name): every entry counts."""
    def opset_import(domain: str, version: int) -> bytes:
        return encode_field(8, (encode_field(1, domain) if domain else b"") + encode_field(2, version))

    body = encode_field(1, 8) + encode_field(7, encode_field(1, onnx_node("Relu")))
    for imports in ((("", 21), ("", 17)), (("", 17), ("ai.onnx", 21))):
        path = tmp_path / "model.onnx"
        path.write_bytes(body + b"".join(opset_import(domain, version) for domain, version in imports))
        assert scan_file(path).onnx_stamps[0].opsets == (("ai.onnx", 21),)
