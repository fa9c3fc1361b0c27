"""The deployment targets on models saved by real MLflow (corpus/targets/models, built by
corpus/builders/target_models.py, and the main corpus): each model serves with MLflow (its
``CASE.json`` records MLflow's verdict) and gets, per target, exactly the errors and warnings the
target's documents predict."""

from __future__ import annotations

import json

import pytest

from modellint import lint
from modellint.findings import Severity
from tests.conftest import REPO

CORPUS = REPO / "corpus"
TARGET_MODELS = sorted(path.parent for path in (CORPUS / "targets" / "models").glob("*/CASE.json"))

# (model, target) -> (code, severity) of every error and warning.
EXPECTED = {
    ("targets/models/ml601-python-env-only", "mlflow-serve"): set(),
    ("targets/models/ml601-python-env-only", "azureml-online"): {("ML601", "error")},
    ("targets/models/ml601-python-env-only", "azureml-batch"): {("ML601", "error")},
    ("targets/models/ml601-python-env-only", "databricks"): set(),
    ("targets/models/ml602-records-payload", "mlflow-serve"): set(),
    # Saved by MLflow 3.17.2: its own `mlflow==3.17.2` pin is past the image's last working 3.6.0, and
    # past 3.14.0, the newest release a report of the crash covers: ML604 leaves it unjudged.
    ("targets/models/ml602-records-payload", "azureml-online"): {("ML602", "warning")},
    ("targets/models/ml602-records-payload", "azureml-batch"): set(),
    # 420,000 rows logged as input_example: over Databricks' 16 MB, and over what ML401 reads (it says
    # so: an unread example is never reported clean), on every target.
    ("targets/models/ml603-payload-over-16mb", "mlflow-serve"): {("ML401", "error"), ("ML401", "warning")},
    ("targets/models/ml603-payload-over-16mb", "azureml-online"): {("ML401", "error"), ("ML401", "warning")},
    ("targets/models/ml603-payload-over-16mb", "databricks"): {("ML401", "error"), ("ML401", "warning"),
                                                                ("ML603", "warning")},
    ("targets/models/ml604-inference-server-pin", "mlflow-serve"): set(),
    ("targets/models/ml604-inference-server-pin", "azureml-online"): {("ML604", "error")},
    ("targets/models/ml604-inference-server-pin", "azureml-batch"): set(),
    ("targets/models/ml604-inference-server-pin", "databricks"): set(),
    ("models/logged-sklearn-3x", "azureml-online"): set(),
    ("models/mlflow2-sklearn", "azureml-online"): set(),
    ("models/ml002-no-pyfunc-flavor", "mlflow-serve"): {("ML002", "warning")},
    ("models/ml002-no-pyfunc-flavor", "azureml-batch"): {("ML002", "error")},
    ("models/ml002-no-pyfunc-flavor", "databricks"): {("ML002", "warning")},
    ("models/codepaths-parent", "mlflow-serve"): set(),
    ("models/codepaths-parent", "databricks"): {("ML403", "error")},
    ("models/codepaths-parent", "azureml-batch"): {("ML403", "warning")},
}


def test_every_target_model_serves_with_mlflow():
    assert [model.name for model in TARGET_MODELS] == ["ml601-python-env-only", "ml602-records-payload",
                                                       "ml603-payload-over-16mb", "ml604-inference-server-pin"]
    for model in TARGET_MODELS:
        case = json.loads((model / "CASE.json").read_text(encoding="utf-8"))
        assert case["verdict"] == {"load_and_predict": "ok", "serving_example": "ok"}, model.name


@pytest.mark.parametrize("model, target", sorted(EXPECTED), ids=lambda value: str(value).rsplit("/", 1)[-1])
def test_each_target_reports_what_its_documents_predict(model, target):
    findings = lint(CORPUS / model, deploy_targets=[target]).findings
    loud = {(finding.code, str(finding.severity)) for finding in findings if finding.severity >= Severity.WARNING}
    assert loud == EXPECTED[model, target]


def test_each_target_rule_fires_where_its_corpus_model_says():
    """The finding itself, not only its code: the file and line the rule points at on the model
    real MLflow wrote."""
    size = lint(CORPUS / "targets/models/ml603-payload-over-16mb", deploy_targets=["databricks"]).findings
    (payload,) = [finding for finding in size if finding.code == "ML603"]
    assert payload.path.name == "serving_input_example.json" and "16.8 MB" in payload.message
    pin = lint(CORPUS / "targets/models/ml604-inference-server-pin", deploy_targets=["azureml-online"]).findings
    (clash,) = [finding for finding in pin if finding.code == "ML604"]
    model = CORPUS / "targets/models/ml604-inference-server-pin"
    line = (model / "conda.yaml").read_text(encoding="utf-8").splitlines()[clash.span.line - 1]
    assert (clash.path.name, line.strip()) == ("conda.yaml", "- azureml-inference-server-http==1.3.4")
    assert "pull/4009" in clash.message
