"""`modellint request` against real MLflow: ``corpus/targets/requests/<case>/verdict.json`` records, per
corpus model with a signature, the requests modellint wrote and what
``mlflow.models.validate_serving_input`` (MLflow 3.17.2, ``corpus/builders/target_requests.py``)
said of the mlflow-serve request and of the payload the Azure request unwraps to. MLflow accepts
them for every corpus model that loads, but one whose code cannot be imported (it fails the same
way on the example MLflow stored for it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellint.analyzer.deployment.requests import sample_request, unwrap_azure
from modellint.analyzer.model_dir import ModelDir
from tests.conftest import REPO

CORPUS = REPO / "corpus"
CASES = sorted(path.parent for path in (CORPUS / "targets" / "requests").glob("*/verdict.json"))


def _verdict(case: Path) -> dict:
    return json.loads((case / "verdict.json").read_text(encoding="utf-8"))


def test_every_corpus_model_with_a_signature_has_a_recorded_verdict():
    with_signature = {f"{folder.replace('/', '-')}__{path.parent.name}"
                      for folder in ("models", "signatures", "targets/models")
                      for path in (CORPUS / folder).glob("*/MLmodel")
                      if ModelDir(path.parent).signature.declared}
    assert with_signature and {case.name for case in CASES} == with_signature


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_mlflow_accepts_the_written_requests(case):
    verdict = _verdict(case)
    model = CORPUS / verdict["model"]
    facts = ModelDir(model).signature
    for target, entry in verdict["requests"].items():
        written = case / f"{target}.json"
        current = sample_request(facts.signature, facts.example, target)
        if not written.exists():  # modellint wrote none then: it still writes none, for the same reason
            assert current.body is None and current.problem in entry["modellint"], (target, entry)
            continue
        recorded = json.loads(written.read_text(encoding="utf-8"))
        assert current.body == recorded, f"{target}: rebuild corpus/targets (python corpus/build.py --builder target_requests)"
        if target == "azureml-online":
            assert unwrap_azure(recorded) is not None
        if verdict["loads"]:
            # Accepted, unless the model fails the same way on the example MLflow itself stored for it.
            assert entry["mlflow"]["valid"] or entry["mlflow"] == verdict.get("stored_example"), (target, entry)
