"""Keras v3 archives written by real keras 3.15.1 on its torch backend (scripts/build_format_fixtures.py),
read without keras: Lambda bytecode is a hazard, classes outside Keras are imports the load needs."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.serialized.pickles import scan_file
from modellint.findings import Severity
from modellint.rules._format_examples import LAMBDA_FUNCTION, keras_archive, keras_files, keras_layer
from tests.conftest import write_files

KERAS = Path(__file__).resolve().parent.parent / "data" / "formats" / "keras"


def scan_bytes(tmp_path: Path, data: bytes):
    path = tmp_path / "model.keras"
    path.write_bytes(data)
    return scan_file(path)


def with_config(config: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", config)
    return buffer.getvalue()


def test_a_model_saved_by_keras_is_clean():
    scan = scan_file(KERAS / "benign.keras")
    assert scan.kind == "keras" and scan.globals == () and scan.hazards == () and scan.problems == ()


def test_a_lambda_layer_saved_by_keras_is_code_that_runs_at_load():
    scan = scan_file(KERAS / "lambda.keras")
    assert [hazard.kind for hazard in scan.hazards] == ["runs-code"]
    assert "`Lambda` layer `lambda`" in scan.hazards[0].detail and "safe_mode" in scan.hazards[0].detail


def test_a_custom_layer_names_the_module_the_load_needs():
    scan = scan_file(KERAS / "custom_layer.keras")
    assert [(ref.module, ref.name) for ref in scan.globals] == [("fixture_layers.layers", "Doubling")]
    assert scan.hazards == ()


def test_a_function_by_reference_names_its_module_and_function(tmp_path):
    function = {"module": "my_features", "class_name": "function", "config": "scale", "registered_name": "scale"}
    scan = scan_bytes(tmp_path, keras_archive(keras_layer("Lambda", function=function)))
    assert [(ref.module, ref.name) for ref in scan.globals] == [("my_features", "scale")] and scan.hazards == ()


def test_a_legacy_lambda_config_is_code_too(tmp_path):
    layer = keras_layer("Lambda", function=["4wEAAAAA", None, None], function_type="lambda")
    scan = scan_bytes(tmp_path, keras_archive(layer))
    assert [hazard.kind for hazard in scan.hazards] == ["runs-code"]


@pytest.mark.parametrize(("config", "reason"), [
    (b"{not json", "not JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
])
def test_a_config_that_cannot_be_read_is_a_problem(tmp_path, config, reason):
    scan = scan_bytes(tmp_path, with_config(config))
    assert [reason in problem.reason for problem in scan.problems] == [True]


def test_a_config_over_its_budget_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr("modellint.analyzer.serialized.keras.MAX_CONFIG_BYTES", 100)
    scan = scan_bytes(tmp_path, with_config(json.dumps({"layers": ["x" * 200]}).encode()))
    assert ["over the 100 bytes read" in problem.reason for problem in scan.problems] == [True]


def test_keras_model_dirs_report_through_ml302_and_ml301(tmp_path):
    for name in ("benign", "lambda", "custom_layer"):
        write_files(tmp_path / name, keras_files((KERAS / f"{name}.keras").read_bytes()))
    findings = {name: [(f.code, f.severity) for f in lint(tmp_path / name).findings if f.severity >= Severity.WARNING]
                for name in ("benign", "lambda", "custom_layer")}
    assert findings == {"benign": [], "lambda": [("ML302", Severity.ERROR)], "custom_layer": [("ML301", Severity.ERROR)]}


def test_the_example_lambda_is_what_keras_writes():
    import base64
    import marshal

    code = marshal.loads(base64.b64decode(LAMBDA_FUNCTION["config"]["code"]))  # type: ignore[index]
    assert code.co_name == "<lambda>"
