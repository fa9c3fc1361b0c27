"""The benign corpus (corpus/benign, built by corpus/builders/benign.py): ordinary models saved by
the real libraries through MLflow, each loaded and predicted by MLflow in a fresh process when the
corpus was built (its ``CASE.json`` holds the verdict). A model MLflow loads and predicts with
gets no error and no warning: not from the serialized-file rules, and not from any other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellint import lint
from modellint.findings import Severity
from tests.conftest import REPO

BENIGN = REPO / "corpus" / "benign"
CASES = sorted(path.parent for path in BENIGN.glob("*/CASE.json"))
# What the corpus must cover, by the flavor that saved it (catches a builder that silently lost a library).
MINIMUM_CASES = {"sklearn": 150, "pytorch": 3, "keras": 1, "xgboost": 2, "lightgbm": 2, "catboost": 1,
                 "statsmodels": 2, "onnx": 2, "transformers": 1, "pyfunc": 8}


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
