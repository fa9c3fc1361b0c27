"""`modellint request` through real MLflow, now: the request written for `mlflow-serve`, and the
payload the `azureml-online` request unwraps to, are handed to ``mlflow.models.validate_serving_input``
(the scoring server's own parsing and schema enforcement) in a fresh interpreter of this venv.
``test_target_requests_corpus.py`` replays the verdicts recorded for every corpus model; this
runs MLflow on the three request shapes: a split frame, named tensors, and a chat model's
payload, which ML602 reports in its stored form and the Azure request sends as named tensors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from modellint import lint
from modellint.analyzer.deployment.requests import unwrap_azure
from modellint.request_writer import request_text
from tests.conftest import REPO

CORPUS = REPO / "corpus"
MODELS = ("models/sklearn-skops", "signatures/valid_named_tensors", "signatures/valid_chat_messages_params")

_VALIDATE = """
import json, sys, warnings
warnings.simplefilter("ignore")
from mlflow.models import validate_serving_input
verdicts = []
for model, payload in json.loads(sys.stdin.read()):
    try:
        validate_serving_input(model, payload)
        verdicts.append("ok")
    except Exception as error:
        verdicts.append(f"{type(error).__name__}: {error}"[:300])
print(json.dumps(verdicts))
"""

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mlflow") is None, reason="needs MLflow (the test extra)")


def _mlflow_verdicts(cases: list[tuple[str, dict]]) -> list[str]:
    completed = subprocess.run([sys.executable, "-c", _VALIDATE], input=json.dumps(cases), capture_output=True,
                               text=True, timeout=300, env={"MLFLOW_DISABLE_TELEMETRY": "true", "PATH": ""})
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.splitlines()[-1])


@pytest.mark.slow
def test_mlflow_accepts_the_written_requests_and_the_azure_ones_unwrapped():
    cases = []
    for name in MODELS:
        model = CORPUS / name
        serve = json.loads(request_text(model, "mlflow-serve")[0])
        azure = json.loads(request_text(model, "azureml-online")[0])
        unwrapped = unwrap_azure(azure)
        assert unwrapped is not None, name
        cases += [(str(model), serve), (str(model), unwrapped)]
    assert _mlflow_verdicts(cases) == ["ok"] * len(cases), cases


def test_the_chat_model_ml602_reports_gets_an_azure_request_mlflow_accepts():
    model = CORPUS / "signatures" / "valid_chat_messages_params"
    stored = json.loads((model / "serving_input_example.json").read_text(encoding="utf-8"))
    findings = lint(model, deploy_targets=["azureml-online"]).findings
    assert [finding.code for finding in findings if finding.code.startswith("ML6")] == ["ML602"]
    text, notes = request_text(model, "azureml-online")
    azure = json.loads(text)
    assert notes[0] == "built from the stored serving example"
    # The stored chat payload less its declared param, under `input_data`: Azure's named tensors.
    assert azure == {"input_data": {"messages": stored["messages"]}}
    assert _mlflow_verdicts([(str(model), stored), (str(model), unwrap_azure(azure))]) == ["ok", "ok"]
