"""ML401/ML402 against MLflow's own verdicts, real model dirs and MLflow's research samples.

``corpus/signatures/<case>/verdict.json`` records what MLflow 3.17.2 said when
``corpus/builders/signatures.py`` saved the case: whether ``Model.load`` reads the signature,
and per example file whether MLflow accepts it (``_validate_serving_input`` for the serving
payload; ``load_input_example`` + pyfunc ``predict`` for ``input_example.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellint import lint
from tests.conftest import MLFLOW_SAMPLES, REAL_MODELS, REPO, needs_shared

CORPUS = REPO / "corpus" / "signatures"
CASES = sorted(path.parent for path in CORPUS.glob("*/verdict.json"))

# The pairs the issue asks for by name, each with MLflow's verdict on it.
REQUIRED_CASES = {
    "renamed_column": False,
    "string_in_double": False,
    "float_in_long": True,  # MLflow's frame cast truncates 1.5 silently: valid
    "int_in_double": True,
    "extra_column": True,
    "missing_optional_column": True,
    "tensor_wrong_trailing_dim": False,
    "params_type_mismatch": False,
}


def _verdict(case: Path) -> dict:
    return json.loads((case / "verdict.json").read_text())


def _signature_findings(model: Path) -> list:
    return [f for f in lint(model).findings if f.code in ("ML401", "ML402")]


def test_corpus_has_the_required_cases():
    assert len(CASES) >= 40
    verdicts = {case.name: _verdict(case) for case in CASES}
    for name, valid in REQUIRED_CASES.items():
        assert all(result["valid"] == valid for result in verdicts[name]["files"].values()), name
    kinds = [all(result["valid"] for result in verdict["files"].values()) and verdict["signature"]["valid"]
             for verdict in verdicts.values()]
    assert kinds.count(True) >= 15 and kinds.count(False) >= 15


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_modellint_agrees_with_mlflow(case: Path):
    verdict = _verdict(case)
    findings = _signature_findings(case)
    invalid_signature = [f for f in findings if f.code == "ML402"]
    assert (invalid_signature == []) == verdict["signature"]["valid"], (invalid_signature, verdict["signature"])
    for name, outcome in verdict["files"].items():
        found = [f for f in findings if f.code == "ML401" and f.path.name == name]
        assert (found == []) == outcome["valid"], (name, [f.message for f in found], outcome["error"])
        if found and verdict["column"] is not None:
            assert any(repr(verdict["column"]) in f.message or str(verdict["column"]) in f.message for f in found)


def test_findings_point_at_the_offending_value():
    (finding, *_) = [f for f in _signature_findings(CORPUS / "string_in_double") if f.path.name == "serving_input_example.json"]
    line = (CORPUS / "string_in_double" / "serving_input_example.json").read_text().splitlines()[finding.span.line - 1]
    assert '"high"' in line and "'a'" in finding.message and '"high"' in finding.message


def test_malformed_signature_points_at_its_mlmodel_line():
    case = CORPUS / "malformed_unknown_column_type"
    (finding,) = _signature_findings(case)
    line = (case / "MLmodel").read_text().splitlines()[finding.span.line - 1]
    assert "decimal" in line and "decimal" in finding.message


@needs_shared(REAL_MODELS / "index.json")
def test_no_signature_errors_on_real_models():
    """The 142 dirs MLflow wrote, 16 of them with an example: no ML401 and no ML402.

    Checked by hand with MLflow 3.17.2 (``load_input_example`` / ``_enforce_schema`` and the
    scoring server's parser): every stored example that exists is accepted, except the MLflow
    1.x ``format: tf-serving`` example of the zloelias model, which MLflow 1.x read as a TF
    serving request (as modellint does) and 3.x no longer does.
    """
    index = json.loads((REAL_MODELS / "index.json").read_text())
    assert len(index) == 142
    loud = {entry["dir"]: [f.message for f in _signature_findings(REAL_MODELS / entry["dir"])] for entry in index}
    assert {name: messages for name, messages in loud.items() if messages} == {}


@needs_shared(MLFLOW_SAMPLES)
def test_no_signature_errors_on_mlflow_samples():
    """Every sample model MLflow wrote (`signatures/mismatch`, where MLflow refused the example,
    never got an MLmodel and is not a model)."""
    models = sorted(path.parent for path in MLFLOW_SAMPLES.rglob("MLmodel"))
    loud = {model.relative_to(MLFLOW_SAMPLES).as_posix(): [f.message for f in _signature_findings(model)]
            for model in models}
    assert len(loud) >= 20
    assert {name: messages for name, messages in loud.items() if messages} == {}
