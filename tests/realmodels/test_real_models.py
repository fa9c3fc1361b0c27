"""modellint on the 142 real model dirs (+4 negatives) agrees with the measured facts.

The facts come from ``shared/real-models/index.json`` and INDEX.md, measured by scripts that
only parsed YAML/text. Binaries are restored as empty placeholders from each SOURCE.txt so
that ML003 is judged against the original directory listing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from modellint.engine import lint_targets
from modellint.findings import Severity
from modellint.selection import RuleSelection
from modellint.targets import discover
from tests.conftest import REAL_MODELS, needs_shared
from tests.realmodels.materialise import materialise_corpus

NEGATIVES = REAL_MODELS / "_negatives"

pytestmark = needs_shared(REAL_MODELS / "index.json")


@pytest.fixture(scope="module")
def index() -> dict[str, dict]:
    return {entry["dir"]: entry for entry in json.loads((REAL_MODELS / "index.json").read_text())}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return materialise_corpus(REAL_MODELS, tmp_path_factory.mktemp("real-models"))


@pytest.fixture(scope="module")
def report(corpus):
    selection = RuleSelection()
    targets = discover([corpus])
    return lint_targets(targets, selection.enabled_rules(), selection, base=corpus, jobs=2)


@pytest.fixture(scope="module")
def fired(report, corpus) -> dict[str, dict[str, list]]:
    """code -> model dir name -> findings."""
    grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for finding in report.findings:
        grouped[finding.code][finding.path.relative_to(corpus).parts[0]].append(finding)
    return grouped


def _dirs(fired, code) -> set[str]:
    return set(fired.get(code, {}))


def test_every_dir_is_linted_without_crashing(report, index):
    assert report.failures == []
    assert len(report.targets) == len(index) + 4 == 146


def test_negatives_and_only_they_are_unreadable(fired):
    assert _dirs(fired, "ML001") == {path.name for path in NEGATIVES.iterdir()}


def test_defaults_channel_on_exactly_the_anaconda_dirs(fired, index):
    expected = {name for name, entry in index.items()
                if {"defaults", "anaconda"} & set(entry["conda_channels"] or [])}
    assert len(expected) == 35
    assert _dirs(fired, "ML103") == expected


def test_env_files_inconsistent_on_pip_drift_and_python_mismatch(fired, index):
    drift = {name for name, entry in index.items() if entry["pip_disagree"]}
    python_mismatch = {name for name, entry in index.items()
                       if entry["py_mismatch_conda"] or entry["py_mismatch_python_env"]}
    assert (len(drift), len(python_mismatch)) == (15, 2)
    assert _dirs(fired, "ML102") == drift | python_mismatch


def test_invalid_requirement_on_sklearn_alias_and_placeholder_pins(fired, index):
    alias = {name for name, entry in index.items() if entry["uses_sklearn_alias"]}
    placeholder = {"ThomasFavrel__OC-P7_Deploy_Scoring_Model__mlflow_model"}  # scikit-learn==0.0
    assert len(alias) == 3
    assert _dirs(fired, "ML104") == alias | placeholder


def test_option_lines_are_ml109_not_ml104(fired, index):
    # The index counts `--extra-index-url`/`--find-links` as "not PEP 508"; they are legal pip
    # options, so rules.md makes them ML109 (info), and ML104 stays for uninstallable lines.
    option_dirs = {name for name, entry in index.items() if entry["invalid_req_lines"]}
    assert _dirs(fired, "ML109") == option_dirs


def test_duplicates(fired):
    assert _dirs(fired, "ML107") == {
        "BethanyJep__sentiment-analysis-with-yelp-dataset__root",
        "Erica233__mlflow-project-best-practices__model",
        "Erica233__mlflow-project-best-practices__model-old",
        "jithsg__Azure-Databricks-MLflow-AWS_Apprunner-App__root",
    }


def test_no_pyfunc_flavor(fired, index):
    expected = {name for name, entry in index.items() if "python_function" not in entry["flavors"]}
    assert len(expected) == 3
    assert _dirs(fired, "ML002") == expected


def _missing(entry) -> list[str]:
    return entry["missing_refs"]


def test_missing_env_files(fired, index):
    named_but_absent = {name for name, entry in index.items()
                        if any(ref.startswith("python_function.env") or ref.startswith("python_env.yaml -r")
                               for ref in _missing(entry))}
    assert len(named_but_absent) == 8
    # Two MLflow 1.x dirs have no environment file at all (the manifest lists none): no env
    # builder can create an environment for them, which the index does not count as a ref.
    no_env_at_all = {"subhojit-mukherjee__lstm_time_series__2018_08_28", "whiletruelearn__mlflow_test__models"}
    assert _dirs(fired, "ML101") == named_but_absent | no_env_at_all


def test_missing_model_files_judged_against_the_manifest(fired, index):
    data_refs = {name for name, entry in index.items()
                 if any(not ref.startswith(("python_function.env", "python_env.yaml -r")) and "absolute" not in ref
                        for ref in _missing(entry))}
    assert len(data_refs) == 12
    # KonuTech: `artifacts.keras-model.path: artifacts/model` is absent from the original
    # listing too (only data/model exists); the index does not check artifact paths.
    assert _dirs(fired, "ML003") == data_refs | {"KonuTech__MLflow-tutorial__74778b05-model"}


def test_absolute_paths(fired, index):
    errors = {name for name, findings in fired["ML004"].items()
              if any(finding.severity is Severity.ERROR for finding in findings)}
    assert errors == {"whiletruelearn__mlflow_test__models"}
    infos = {name for name, findings in fired["ML004"].items()
             if any(finding.severity is Severity.INFO for finding in findings)}
    # INDEX.md lists 12 dirs whose `artifact_path` is absolute; 10 of them are machine-local
    # paths (the other two are s3:// and dbfs:/ URIs, which leak nothing about a machine), and
    # 3 dirs hold machine-local `artifacts.*.uri` values (husainsb has both).
    local_artifact_path = {
        "05sjha__timeseries_mlops__m-7ce05f-model", "160103126__mlflow-fastapi-wine__m-7b5b29-model",
        "160103126__mlflow-fastapi-wine__model", "AmineXSaid__mlflow_streamlit__root",
        "JuanRaigoso__credit-mlp__models-mlflow_model", "bkget__SmartAd-Performance-Aanalysis__models",
        "husainsb__btc_forecast_mlops__root", "magheya__sentiment-analysis-mlops__backend-mlflow_model",
        "sergioandres0180__project-dsa__models", "vallabh-12__Retail-Demand-Forecasting-System__models-best_model",
    }
    local_artifact_uri = {"KonuTech__MLflow-tutorial__74778b05-model", "hetbarot__nlp-clf-03__api-model",
                          "husainsb__btc_forecast_mlops__root"}
    assert infos == local_artifact_path | local_artifact_uri


def test_mlflow_pin(fired, index):
    mismatched = {name for name, entry in index.items() if entry["mlflow_pin_mismatch"]}
    assert len(mismatched) == 2
    assert mismatched <= _dirs(fired, "ML105")
    for name, findings in fired["ML105"].items():
        if name not in mismatched:
            assert all("not pinned" in f.message or "does not install MLflow" in f.message for f in findings), name


def test_unpinned_requirements_excluding_mlflow(fired, index):
    expected = {name for name, entry in index.items()
                if any(not item.lower().startswith("mlflow") for item in entry["unpinned"])}
    assert len(expected) == 19
    assert _dirs(fired, "ML106") == expected


def test_output_is_deterministic(corpus, report):
    selection = RuleSelection()
    again = lint_targets(discover([corpus]), selection.enabled_rules(), selection, base=corpus, jobs=1)
    assert again.findings == report.findings
