"""`modellint check models:/...`, `runs:/...` against a real MLflow tracking server (see conftest):
what a registered model gives is what the same model dir gives on disk, shown under its URI."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile

import pytest

from modellint.cli import main
from tests.remote.conftest import BROKEN_CASE, CLEAN_CASE, LONE_PICKLE, REPO, corpus_dir

pytestmark = pytest.mark.slow  # one real `mlflow server` per test session (~20 s to start)


def _uris(server, name: str) -> list[str]:
    _, run_id, source = server.models[name]
    assert source.startswith("mlflow-artifacts:/")  # the server proxies its artifact store
    return [f"models:/{name}/1", f"models:/{name}@champion", f"runs:/{run_id}/model", source]


def _check(capsys, *arguments: str) -> tuple[int, str, str]:
    code = main(["check", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _facts(document: dict, root: str) -> list[tuple]:
    """What a finding says, its path taken below ``root`` (the model dir or the URI)."""
    facts = []
    for finding in document["findings"]:
        assert finding["path"].startswith(root + "/"), finding["path"]
        facts.append((finding["code"], finding["path"][len(root) + 1:], finding["line"], finding["column"],
                      finding["end_line"], finding["end_column"], finding["message"], finding["severity"]))
    return facts


@pytest.mark.parametrize("form", ["version", "alias", "run", "artifact store"])
def test_a_registered_model_gives_the_findings_of_the_same_dir_on_disk(mlflow_server, capsys, form):
    uri = dict(zip(("version", "alias", "run", "artifact store"), _uris(mlflow_server, "broken")))[form]
    on_disk = corpus_dir(BROKEN_CASE)
    disk_code, disk_out, _ = _check(capsys, str(on_disk), "--format", "json", "--isolated")
    code, out, err = _check(capsys, uri, "--tracking-uri", mlflow_server.uri, "--format", "json", "--isolated")
    assert (code, err) == (disk_code, "") and code == 1
    expected = _facts(json.loads(disk_out), os.path.relpath(on_disk).replace(os.sep, "/"))
    assert expected and _facts(json.loads(out), uri) == expected
    assert json.loads(out)["errors"] == []

    code, out, _ = _check(capsys, uri, "--tracking-uri", mlflow_server.uri, "--format", "concise", "--isolated")
    assert f"{uri}/requirements.txt:3:1: ML104" in out


@pytest.mark.parametrize("index", range(4))
def test_a_clean_registered_model_gives_nothing(mlflow_server, capsys, index):
    uri = _uris(mlflow_server, "clean")[index]
    code, out, err = _check(capsys, uri, "--tracking-uri", mlflow_server.uri, "--format", "concise", "--isolated")
    assert (code, out, err) == (0, "All checks passed!\n", "")


def test_the_tracking_uri_comes_from_the_environment_as_for_mlflow(mlflow_server, tmp_path):
    """The installed command, no --tracking-uri: MLFLOW_TRACKING_URI decides, as it does for `mlflow`."""
    environment = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_server.uri, "TMPDIR": str(tmp_path)}
    completed = subprocess.run([sys.executable, "-m", "modellint", "check", "models:/broken/1", "--format", "concise",
                                "--isolated"], capture_output=True, text=True, env=environment, cwd=REPO, timeout=120)
    assert completed.returncode == 1, completed.stderr
    assert "models:/broken/1/conda.yaml:9:5: ML104" in completed.stdout
    assert list(tmp_path.iterdir()) == []  # the download folder is gone


def test_every_format_shows_the_uri_and_the_artifact_path(mlflow_server, capsys):
    from tests.integrations.test_sarif_schema import schema_errors

    arguments = ("models:/broken/1", "--tracking-uri", mlflow_server.uri, "--isolated", "--format")
    _, out, _ = _check(capsys, *arguments, "sarif")
    document = json.loads(out)
    assert schema_errors(document) == []
    locations = [result["locations"][0]["physicalLocation"]["artifactLocation"] for result in document["runs"][0]["results"]]
    assert locations == [{"uri": "models:/broken/1/conda.yaml"}, {"uri": "models:/broken/1/requirements.txt"}]

    _, out, _ = _check(capsys, *arguments, "github")
    assert out.startswith("::error file=models%3A/broken/1/conda.yaml,line=9,")
    _, out, _ = _check(capsys, *arguments, "full")
    assert " --> models:/broken/1/requirements.txt:3:1" in out and "3 | pandas=3.1.1" in out
    _, out, _ = _check(capsys, *arguments, "markdown")
    assert "`models:/broken/1/requirements.txt:3:1`" in out


def test_a_file_over_the_download_budget_is_reported_not_checked(mlflow_server, capsys):
    code, out, _ = _check(capsys, "models:/clean/1", "--tracking-uri", mlflow_server.uri, "--max-download", "2K",
                          "--format", "json", "--isolated")
    findings = json.loads(out)["findings"]
    assert code == 1
    assert [(finding["code"], finding["path"], finding["severity"]) for finding in findings] == [
        ("ML303", "models:/clean/1/model.pkl", "error")]
    assert "was not downloaded" in findings[0]["message"] and findings[0]["message"].endswith("not checked")
    # With room for it, the same file is read and clean.
    code, out, _ = _check(capsys, "models:/clean/1", "--tracking-uri", mlflow_server.uri, "--max-download", "1M",
                          "--format", "json", "--isolated")
    assert (code, json.loads(out)["findings"]) == (0, [])


def test_fix_refuses_and_diff_shows_the_patch_a_new_version_needs(mlflow_server, capsys):
    code, out, err = _check(capsys, "models:/broken/1", "--tracking-uri", mlflow_server.uri, "--fix", "--isolated")
    assert (code, out) == (2, "")
    assert err == ("modellint: error: --fix cannot change a model in a tracking server or artifact store: use --diff "
                   "to see the fixes, then log the fixed model again\n")
    code, out, _ = _check(capsys, "models:/broken/1", "--tracking-uri", mlflow_server.uri, "--diff", "--unsafe-fixes",
                          "--isolated")
    assert code == 1
    assert "--- a/models:/broken/1/requirements.txt\n+++ b/models:/broken/1/requirements.txt\n" in out
    assert "-pandas=3.1.1\n+pandas==3.1.1\n" in out


def test_a_uri_that_does_not_resolve_is_one_line_and_exit_2(mlflow_server, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, out, err = _check(capsys, "models:/no-such-model/1", "models:/broken/1", "--tracking-uri", mlflow_server.uri,
                            "--format", "concise", "--isolated")
    assert code == 2
    assert "models:/broken/1/requirements.txt:3:1: ML104" in out and "1 target could not be checked." in out
    assert err.startswith("modellint: error: models:/no-such-model/1: ") and err.count("\n") == 1
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_uri_naming_one_serialized_file_lints_it_as_a_lone_file(mlflow_server, capsys, tmp_path):
    uri = f"runs:/{mlflow_server.models['broken'][1]}/extras/{LONE_PICKLE.name}"
    _, disk_out, _ = _check(capsys, str(LONE_PICKLE), "--format", "json", "--isolated")
    code, out, err = _check(capsys, uri, "--tracking-uri", mlflow_server.uri, "--format", "json", "--isolated")
    assert (code, err) == (1, "")
    remote, disk = json.loads(out)["findings"], json.loads(disk_out)["findings"]
    assert {finding["path"] for finding in remote} == {uri}
    assert [{**finding, "path": None} for finding in remote] == [{**finding, "path": None} for finding in disk] != []


def test_the_sbom_of_a_registered_model_is_named_by_its_uri_with_the_hashes_on_disk(mlflow_server, capsys):
    from tests.test_cyclonedx import validate_sbom

    arguments = ("models:/clean/1", "--tracking-uri", mlflow_server.uri, "--isolated", "--format", "cyclonedx")
    code, out, err = _check(capsys, *arguments, "--max-download", "2K")
    document = json.loads(out)
    validate_sbom(document)
    model = document["metadata"]["component"]
    assert (code, model["name"]) == (1, "models:/clean/1")
    files = {file["name"]: file for file in model["components"]}
    on_disk = corpus_dir(CLEAN_CASE)
    for name, file in files.items():
        if name == "model.pkl":  # over the download budget: listed, never as if it had been read
            assert "hashes" not in file
            assert [prop["value"] for prop in file["properties"] if prop["name"] == "modellint:unhashed"][0].startswith(
                "not downloaded")
            continue
        digest = hashlib.sha256((on_disk / name).read_bytes()).hexdigest()
        assert file["hashes"] == [{"alg": "SHA-256", "content": digest}]
