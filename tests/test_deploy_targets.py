"""`--target`: a deployment target enables its own rules and raises the severities it needs, in
every report format, under `--select`/`--ignore` and from the config file."""

from __future__ import annotations

import json

import pytest

from modellint.cli import DEPLOY_TARGETS, main
from modellint.rules._examples import CLEAN, MLMODEL, SIGNATURE, model_files
from modellint.rules._targets import TARGET_ONLY_CODES, TARGETS, profiles
from modellint.rules.ml002_no_pyfunc_flavor import _WITHOUT_PYFUNC
from modellint.selection import RuleSelection
from tests.conftest import write_files

NO_SIGNATURE = model_files(MLmodel=MLMODEL.replace(SIGNATURE, ""))
VIRTUALENV_ONLY = model_files(MLmodel=MLMODEL.replace("      conda: conda.yaml\n", ""), conda__yaml=None)


@pytest.fixture
def model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def write(files):
        return write_files(tmp_path / "model", files)

    return write


def findings(capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["model", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)["findings"]


def codes_and_severities(capsys, *args: str) -> set[tuple[str, str]]:
    return {(finding["code"], finding["severity"]) for finding in findings(capsys, *args)[1]}


def test_the_cli_names_every_target_and_mlflow_serve_is_the_default():
    assert DEPLOY_TARGETS == tuple(TARGETS)
    assert RuleSelection().targets == ("mlflow-serve",)
    assert TARGETS["mlflow-serve"].enables == () and TARGETS["mlflow-serve"].raises == ()


def test_the_default_target_changes_nothing(model, capsys):
    model(_without_pyfunc())
    assert findings(capsys)[1] == findings(capsys, "--target", "mlflow-serve")[1]


def _without_pyfunc():
    return model_files(MLmodel=_WITHOUT_PYFUNC)


def test_azure_makes_a_missing_pyfunc_flavor_an_error(model, capsys):
    model(_without_pyfunc())
    assert ("ML002", "warning") in codes_and_severities(capsys)
    assert ("ML002", "error") in codes_and_severities(capsys, "--target", "azureml-online")
    assert ("ML002", "error") in codes_and_severities(capsys, "--target", "azureml-batch")
    assert ("ML002", "warning") in codes_and_severities(capsys, "--target", "databricks")


def test_databricks_makes_a_missing_signature_an_error_and_azure_batch_a_warning(model, capsys):
    model(NO_SIGNATURE)
    assert codes_and_severities(capsys) == {("ML403", "info")}
    assert codes_and_severities(capsys, "--target", "databricks") == {("ML403", "error")}
    assert codes_and_severities(capsys, "--target", "azureml-batch") == {("ML403", "warning")}
    # Several targets: the highest severity any of them gives.
    assert codes_and_severities(capsys, "--target", "azureml-batch", "--target", "databricks") == {("ML403", "error")}
    assert main(["model", "--target", "databricks", "--fail-on", "error"]) == 1
    capsys.readouterr()
    assert main(["model", "--fail-on", "error"]) == 0


@pytest.mark.parametrize("output_format", ["concise", "full", "github", "sarif", "markdown"])
def test_the_raised_severity_shows_in_every_format(model, capsys, output_format):
    model(NO_SIGNATURE)
    main(["model", "--format", output_format, "--target", "databricks"])
    out = capsys.readouterr().out
    main(["model", "--format", output_format])
    default = capsys.readouterr().out
    assert out != default
    if output_format == "sarif":
        assert {result["level"] for result in json.loads(out)["runs"][0]["results"]} == {"error"}
    elif output_format == "github":
        assert out.startswith("::error ")
    else:
        assert "error" in out.lower()


def test_a_target_rule_runs_only_for_its_target_or_when_named(model, capsys):
    model(VIRTUALENV_ONLY)
    assert "ML601" not in {code for code, _ in codes_and_severities(capsys)}
    assert ("ML601", "error") in codes_and_severities(capsys, "--target", "azureml-online")
    assert ("ML601", "error") in codes_and_severities(capsys, "--target", "azureml-batch")
    assert "ML601" not in {code for code, _ in codes_and_severities(capsys, "--target", "databricks")}
    # Named by code or name it runs; `ALL` and a prefix reach only the chosen targets' rules.
    assert codes_and_severities(capsys, "--select", "ML601") == {("ML601", "error")}
    assert codes_and_severities(capsys, "--select", "azureml-no-conda-env") == {("ML601", "error")}
    assert codes_and_severities(capsys, "--select", "ML6") == set()
    assert codes_and_severities(capsys, "--select", "ALL") == codes_and_severities(capsys)
    assert "ML601" not in {code for code, _ in codes_and_severities(capsys, "--target", "azureml-online",
                                                                   "--ignore", "ML601")}
    assert "ML601" not in {code for code, _ in codes_and_severities(capsys, "--target", "azureml-online",
                                                                   "--ignore", "ML6")}


def test_a_raised_finding_can_still_be_ignored(model, capsys):
    model(NO_SIGNATURE)
    assert codes_and_severities(capsys, "--target", "databricks", "--ignore", "ML403") == set()


def test_target_from_the_config_file_and_the_command_line_wins(model, capsys, tmp_path):
    model(NO_SIGNATURE)
    (tmp_path / "modellint.toml").write_text('target = ["databricks"]\n')
    assert codes_and_severities(capsys) == {("ML403", "error")}
    assert codes_and_severities(capsys, "--target", "mlflow-serve") == {("ML403", "info")}
    assert codes_and_severities(capsys, "--isolated") == {("ML403", "info")}


def test_an_unknown_target_is_a_usage_error(model, capsys, tmp_path):
    model(CLEAN)
    assert main(["model", "--target", "sagemaker"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    (tmp_path / "modellint.toml").write_text('target = "sagemaker"\n')
    assert main(["model"]) == 2
    assert "unknown target `sagemaker`" in capsys.readouterr().err


def test_the_python_api_takes_targets(tmp_path):
    from modellint import lint

    root = write_files(tmp_path / "model", NO_SIGNATURE)
    assert [str(finding.severity) for finding in lint(root, deploy_targets=["databricks"]).findings] == ["error"]
    assert [str(finding.severity) for finding in lint(root).findings] == ["info"]


def test_every_target_only_rule_is_registered_and_every_profile_is_consistent():
    from modellint.rules import ENTRIES_BY_CODE

    assert TARGET_ONLY_CODES <= set(ENTRIES_BY_CODE)
    assert all(code.startswith("ML6") for code in TARGET_ONLY_CODES)
    for profile in TARGETS.values():
        assert profile.source.startswith("https://")
        assert all(code in ENTRIES_BY_CODE for code, _ in profile.raises)
    assert profiles(["Databricks", "databricks"]) == (TARGETS["databricks"],)
