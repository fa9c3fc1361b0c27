"""The corpus built with real MLflow (corpus/build.py) against modellint's findings.

Each ``corpus/models/<case>/CASE.json`` holds the codes the case is built to trigger and the
verdict MLflow itself gave when the corpus was built (load, predict, and for some cases
``mlflow models predict --env-manager uv``). modellint must report exactly the expected codes at
error or warning severity and nothing else there: a clean model gets no error and no warning.
Codes of rules not registered yet are left out, so the test tightens as rules land.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellint import lint
from modellint.findings import Severity
from modellint.rules import RULES_BY_CODE

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "models"
CASES = sorted(path.parent for path in CORPUS.glob("*/CASE.json"))


def _case(model: Path) -> dict:
    return json.loads((model / "CASE.json").read_text())


def test_corpus_is_present():
    assert len(CASES) >= 30


@pytest.mark.parametrize("model", CASES, ids=lambda path: path.name)
def test_findings_match_the_case(model: Path):
    expected = {code for code in _case(model)["expect"] if code in RULES_BY_CODE}
    findings = lint(model).findings
    loud = {f.code for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)}
    every = {f.code for f in findings}
    assert expected <= every, f"missing {sorted(expected - every)}"
    assert loud <= expected, f"unexpected errors/warnings: {[f for f in findings if f.code in loud - expected]}"


def test_clean_cases_loaded_and_predicted_with_mlflow():
    """The clean cases are clean by MLflow's own verdict, not only by ours."""
    clean = [model for model in CASES if not _case(model)["expect"]]
    assert len(clean) >= 8
    for model in clean:
        verdict = _case(model)["verdict"]
        assert verdict["load"] == "ok" and verdict["predict"] == "ok", model.name
