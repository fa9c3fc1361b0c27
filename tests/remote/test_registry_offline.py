"""`modellint registry` without a tracking server: its arguments, the error without MLflow, and the
listing, budgets and tags against a fake client and fake artifact repositories (the real server's
tests are in test_registry_command.py)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from modellint import __version__
from modellint.cli import main
from modellint.engine import Report, TargetFailure
from modellint.findings import Finding, Severity
from modellint.remote import fetch
from modellint.remote.registry import (
    Verdict,
    Version,
    knowledge_version,
    list_versions,
    verdict,
    write_tags,
)
from modellint.targets import Target
from tests.hostile.test_remote_artifacts import FakeRepository, _model
from tests.remote.conftest import BROKEN_CASE, CLEAN_CASE, corpus_dir


class Page(list):
    def __init__(self, items, token=None) -> None:
        super().__init__(items)
        self.token = token


class FakeClient:
    """MlflowClient's registry calls, over ``versions``: name -> {version: (stage, tags)}; searches
    come back two results a page, as a server pages them."""

    def __init__(self, versions: dict[str, dict[str, tuple[str, dict[str, str]]]], fail_tags: bool = False) -> None:
        self.versions = versions
        self.fail_tags = fail_tags
        self.aliases: dict[tuple[str, str], str] = {}

    def _paged(self, items, page_token):
        start = int(page_token or 0)
        return Page(items[start:start + 2], str(start + 2) if start + 2 < len(items) else None)

    def search_registered_models(self, page_token=None):
        return self._paged([SimpleNamespace(name=name) for name in self.versions], page_token)

    def _entity(self, name, version):
        stage, tags = self.versions[name][version]
        return SimpleNamespace(name=name, version=version, current_stage=stage, tags=dict(tags))

    def search_model_versions(self, page_token=None):
        return self._paged([self._entity(name, version) for name in self.versions for version in self.versions[name]],
                           page_token)

    def get_model_version_by_alias(self, name, alias):
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        if (name, alias) not in self.aliases:  # what the server answers
            raise MlflowException(f"Registered model alias {alias} not found.", error_code=INVALID_PARAMETER_VALUE)
        return self._entity(name, self.aliases[name, alias])

    def set_model_version_tag(self, name, version, key, value):
        if self.fail_tags:
            raise RuntimeError("PERMISSION_DENIED: no\nsecond line")
        self.versions[name][version][1][key] = value


@pytest.fixture
def registry(monkeypatch, tmp_path):
    """``registry(client)``: the registry command talks to ``client``; ``models:/broken/N`` resolves
    to the broken corpus model, every other name to the clean one."""
    pytest.importorskip("mlflow")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(downloads))
    models = {case: _model(corpus_dir(case)) for case in (BROKEN_CASE, CLEAN_CASE)}

    def repository(uri: str) -> FakeRepository:
        return FakeRepository(*models[BROKEN_CASE if uri.startswith("models:/broken/") else CLEAN_CASE])

    def install(client: FakeClient) -> Path:
        monkeypatch.setattr(fetch, "mlflow_client", lambda tracking_uri: client)
        monkeypatch.setattr(fetch, "_mlflow", lambda tracking_uri: repository)
        return downloads

    return install


def _registry(capsys, *arguments: str) -> tuple[int, str, str]:
    code = main(["registry", "--isolated", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_without_mlflow_the_registry_names_the_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # what `import mlflow` does when it is not installed
    code, out, err = _registry(capsys)
    assert (code, out) == (2, "")
    assert err == "modellint: error: a model URI needs MLflow's client: pip install 'modellint[mlflow]'\n"


@pytest.mark.parametrize(("arguments", "message"), [
    (("--force",), "--force only applies with --set-tags"),
    (("--set-tags", "--diff"), "--set-tags needs the lint's verdict: it does not go with --diff"),
    (("--max-download", "lots"), "--max-download: expected a size such as 500M or 2G, got `lots`"),
    (("--jobs", "0"), "--jobs must be at least 1"),
])
def test_bad_arguments_are_usage_errors_before_anything_is_asked(capsys, monkeypatch, arguments, message):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # the usage error comes first
    assert _registry(capsys, *arguments) == (2, "", f"modellint: error: {message}\n")


def test_fix_is_refused_before_anything_is_asked(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    code, out, err = _registry(capsys, "--fix")
    assert (code, out) == (2, "")
    assert err.startswith("modellint: error: --fix cannot change a model in a tracking server or artifact store")


def test_an_unknown_option_is_a_usage_error(capsys):
    code, out, err = _registry(capsys, "--alias")
    assert (code, out) == (2, "") and "expected one argument" in err


def test_versions_are_listed_over_every_page_and_filtered():
    pytest.importorskip("mlflow")  # the fake client raises MLflow's own exception for a missing alias
    client = FakeClient({
        "fraud": {"1": ("Archived", {}), "2": ("Production", {"modellint.status": "pass", "other": "x"}),
                  "10": ("None", {})},
        "fraud-eu": {"1": ("Production", {})},
        "Churn": {"3": ("None", {})},
    })
    client.aliases["fraud", "champion"] = "2"
    every = list_versions(client, "*", None, None)
    assert [(version.name, version.version) for version in every] == [
        ("Churn", "3"), ("fraud", "1"), ("fraud", "2"), ("fraud", "10"), ("fraud-eu", "1")]
    assert every[2].tags == (("modellint.status", "pass"),)  # only modellint's own tags are kept
    assert [version.uri for version in list_versions(client, "fraud*", None, "production")] == [
        "models:/fraud/2", "models:/fraud-eu/1"]
    assert [version.uri for version in list_versions(client, "*", "champion", None)] == ["models:/fraud/2"]
    assert list_versions(client, "churn", None, None) == []  # case-sensitive, as MLflow's names are


def _finding(path: Path, severity: Severity) -> Finding:
    return Finding("ML104", "not-pep508", severity, "message", path)


def test_the_verdict_counts_the_findings_of_its_own_version(tmp_path):
    one, two = Target("model", tmp_path / "0"), Target("model", tmp_path / "1")
    report = Report([one, two], [_finding(tmp_path / "0" / "conda.yaml", Severity.ERROR),
                                 _finding(tmp_path / "0" / "MLmodel", Severity.WARNING),
                                 _finding(tmp_path / "1" / "MLmodel", Severity.INFO)])
    assert verdict(one, report, Severity.WARNING) == Verdict(False, 1, 1)
    assert verdict(two, report, Severity.WARNING) == Verdict(True, 0, 0)
    assert verdict(two, report, Severity.INFO) == Verdict(False, 0, 0)
    assert verdict(None, report, Severity.WARNING) is None  # not fetched
    failed = report.replace(failures=[TargetFailure(two, "internal error")])
    assert verdict(two, failed, Severity.WARNING) is None  # not fully linted: never a pass


def test_a_tag_that_cannot_be_written_is_an_error_line(capsys):
    client = FakeClient({"fraud": {"1": ("None", {})}}, fail_tags=True)
    assert not write_tags(client, {Version("fraud", "1"): Verdict(True, 0, 0)}, "2026-01-01")
    assert capsys.readouterr().err == ("modellint: error: fraud/1: the tags could not be written: "
                                       "PERMISSION_DENIED: no\n")


def test_each_version_has_its_own_download_budget(registry, capsys):
    # Three versions of a 2.6 KiB model: one budget for all would leave files of the last ones out.
    registry(FakeClient({"clean": {str(number): ("None", {}) for number in (1, 2, 3)}}))
    code, out, err = _registry(capsys, "--max-download", "3K", "--format", "json", "--jobs", "3")
    assert (code, err) == (0, "")
    assert json.loads(out)["findings"] == [] and json.loads(out)["errors"] == []


def test_tags_are_written_skipped_and_forced(registry, capsys):
    client = FakeClient({"broken": {"1": ("None", {})}, "clean": {"1": ("None", {}), "2": ("None", {})}})
    downloads = registry(client)
    code, out, err = _registry(capsys, "--set-tags", "--format", "concise")
    assert code == 1 and "models:/broken/1/requirements.txt:3:1: ML104" in out
    assert client.versions["broken"]["1"][1] == {"modellint.status": "fail", "modellint.errors": "2",
                                                 "modellint.warnings": "0", "modellint.version": __version__,
                                                 "modellint.knowledge": knowledge_version()}
    assert client.versions["clean"]["2"][1]["modellint.status"] == "pass"
    assert list(downloads.iterdir()) == []  # the fetched versions are gone with the run

    client.versions["clean"]["3"] = ("None", {})  # registered since: the only one linted now
    code, out, err = _registry(capsys, "--set-tags", "--format", "json")
    assert (code, json.loads(out)["findings"]) == (0, [])
    assert err.count("skipped, already tagged") == 3 and "clean/3: tagged modellint.status=pass" in err

    client.versions["clean"]["1"][1]["modellint.knowledge"] = "1999-01-01"  # a new knowledge base judges again
    code, out, err = _registry(capsys, "--set-tags")
    assert code == 0 and err.count("skipped") == 3 and "clean/1: tagged" in err
    code, out, err = _registry(capsys, "--set-tags", "--force")
    assert code == 1 and "skipped" not in err and err.count(": tagged ") == 4


def test_a_version_whose_tags_cannot_be_written_fails_the_run(registry, capsys):
    registry(FakeClient({"clean": {"1": ("None", {})}}, fail_tags=True))
    code, out, err = _registry(capsys, "--set-tags", "--format", "json")
    assert code == 2 and json.loads(out)["findings"] == []
    assert err == "modellint: error: clean/1: the tags could not be written: PERMISSION_DENIED: no\n"


def test_a_registry_that_cannot_be_listed_is_one_error_line(registry, capsys):
    class Unreachable(FakeClient):
        def search_registered_models(self, page_token=None):
            raise ConnectionError("API request to endpoint /api/2.0/mlflow/registered-models/search failed\nretries")

    registry(Unreachable({}))
    assert _registry(capsys) == (2, "", "modellint: error: the model registry could not be listed: API request to "
                                        "endpoint /api/2.0/mlflow/registered-models/search failed\n")
