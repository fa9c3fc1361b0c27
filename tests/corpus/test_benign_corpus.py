"""The benign corpus (corpus/benign, built by corpus/builders/benign.py): ordinary models saved by
the real libraries through MLflow, each loaded and predicted by MLflow in a fresh process when the
corpus was built (its ``CASE.json`` holds the verdict). A model MLflow loads and predicts with
gets no error and no warning: not from the serialized-file rules, and not from any other."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from modellint import lint
from modellint.findings import Severity
from tests.conftest import REPO

BENIGN = REPO / "corpus" / "benign"
CASES = sorted(path.parent for path in BENIGN.glob("*/CASE.json"))
# What the corpus must cover, by the flavor that saved it (catches a builder that silently lost a library).
MINIMUM_CASES = {"sklearn": 185, "pytorch": 3, "keras": 1, "xgboost": 3, "lightgbm": 3, "catboost": 1,
                 "statsmodels": 2, "onnx": 2, "transformers": 1, "pyfunc": 11}
KERAS_CUSTOM_LAYER = BENIGN / "pyfunc-keras-custom-layer"
KERAS_MODEL_ATTRIBUTE = BENIGN / "pyfunc-keras-model-attribute"
LAMBDA_KERAS = REPO / "tests" / "data" / "formats" / "keras" / "lambda.keras"


def _case(model: Path) -> dict:
    return json.loads((model / "CASE.json").read_text(encoding="utf-8"))


def test_every_library_is_in_the_corpus():
    flavors: dict[str, int] = {}
    for model in CASES:
        flavor = _case(model)["flavor"]
        flavors[flavor] = flavors.get(flavor, 0) + 1
    assert {flavor: count for flavor, count in flavors.items() if count >= MINIMUM_CASES.get(flavor, 0)} == flavors
    assert set(flavors) == set(MINIMUM_CASES)


def test_every_case_loaded_and_predicted_with_mlflow():
    for model in CASES:
        assert _case(model)["verdict"] == {"load": "ok", "predict": "ok"}, model.name


@pytest.mark.parametrize("model", CASES, ids=lambda path: path.name)
def test_a_benign_model_gets_no_error_and_no_warning(model: Path):
    findings = lint(model).findings
    loud = [f"{finding.code} {finding.severity}: {finding.path.name}: {finding.message}" for finding in findings
            if finding.severity >= Severity.WARNING]
    assert loud == []


def test_no_benign_model_records_a_machine_local_path():
    # the builder names artifacts relative to a scratch folder, as a user saving from the training folder does
    recorded = [f"{model.name}: {finding.message}" for model in CASES for finding in lint(model).findings
                if finding.code == "ML004"]
    assert recorded == []


def _twin(tmp_path: Path) -> Path:
    twin = tmp_path / KERAS_CUSTOM_LAYER.name
    shutil.copytree(KERAS_CUSTOM_LAYER, twin)
    return twin


def test_the_keras_custom_layer_twin_without_its_module_is_an_error(tmp_path: Path):
    # the same model saved without code_paths: Keras cannot find ScaleShift, and the load fails
    twin = _twin(tmp_path)
    shutil.rmtree(twin / "code")
    mlmodel = twin / "MLmodel"
    mlmodel.write_text(mlmodel.read_text(encoding="utf-8").replace("    code: code\n", ""), encoding="utf-8")
    errors = {(finding.code, finding.path.name) for finding in lint(twin).findings
              if finding.severity == Severity.ERROR}
    assert ("ML301", "model.keras") in errors


def test_the_keras_custom_layer_twin_with_a_lambda_layer_is_an_error(tmp_path: Path):
    twin = _twin(tmp_path)
    shutil.copyfile(LAMBDA_KERAS, twin / "artifacts" / "model.keras")
    errors = [finding for finding in lint(twin).findings if finding.severity == Severity.ERROR]
    assert [(finding.code, finding.path.name) for finding in errors] == [("ML302", "model.keras")]
    assert "`Lambda` layer" in errors[0].message


def test_the_pickled_keras_model_twin_with_a_lambda_layer_is_an_error(tmp_path: Path):
    # MLflow pickled the loaded Keras model into python_model.pkl: its archive is a BINBYTES payload
    twin = tmp_path / KERAS_MODEL_ATTRIBUTE.name
    shutil.copytree(KERAS_MODEL_ATTRIBUTE, twin)
    data = (twin / "python_model.pkl").read_bytes()
    start = data.index(b"PK\x03\x04")
    assert data[start - 5:start - 4] == b"B"
    length = struct.unpack("<I", data[start - 4:start])[0]
    hostile = LAMBDA_KERAS.read_bytes()
    (twin / "python_model.pkl").write_bytes(data[:start - 4] + struct.pack("<I", len(hostile)) + hostile
                                            + data[start + length:])
    errors = [finding for finding in lint(twin).findings if finding.severity == Severity.ERROR]
    assert [(finding.code, finding.path.name) for finding in errors] == [("ML302", "python_model.pkl")]
    assert "`Lambda` layer" in errors[0].message
