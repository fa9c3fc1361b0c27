"""`modellint registry` against a real MLflow tracking server (see conftest): every version linted
as `check models:/<name>/<version>` lints it, one report, and the verdicts written as tags."""

from __future__ import annotations

import json

import pytest

from modellint import __version__
from modellint.cli import main
from modellint.remote.registry import knowledge_version

pytestmark = pytest.mark.slow  # one real `mlflow server` per test session (~20 s to start)

BOTH = "[bc]*"  # broken and clean, not the versions other tests register


def _registry(capsys, server, *arguments: str) -> tuple[int, str, str]:
    code = main(["registry", "--tracking-uri", server.uri, "--isolated", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _tags(server, name: str) -> dict[str, str]:
    from mlflow import MlflowClient

    tags = MlflowClient(server.uri).get_model_version(name, "1").tags
    return {key: value for key, value in tags.items() if key.startswith("modellint.")}


def test_set_tags_writes_the_verdicts_then_skips_them_until_forced(mlflow_server, capsys):
    code, out, err = _registry(capsys, mlflow_server, "--name", BOTH, "--set-tags", "--format", "concise")
    assert code == 1
    assert "models:/broken/1/requirements.txt:3:1: ML104" in out and "models:/clean/1" not in out
    assert "modellint: registry: broken/1: tagged modellint.status=fail (2 errors, 0 warnings)" in err
    assert "modellint: registry: clean/1: tagged modellint.status=pass (0 errors, 0 warnings)" in err
    knowledge = knowledge_version()
    assert _tags(mlflow_server, "broken") == {"modellint.status": "fail", "modellint.errors": "2",
                                              "modellint.warnings": "0", "modellint.version": __version__,
                                              "modellint.knowledge": knowledge}
    assert _tags(mlflow_server, "clean") == {"modellint.status": "pass", "modellint.errors": "0",
                                             "modellint.warnings": "0", "modellint.version": __version__,
                                             "modellint.knowledge": knowledge}

    code, out, err = _registry(capsys, mlflow_server, "--name", BOTH, "--set-tags", "--format", "concise")
    assert (code, out) == (0, "")
    assert err.splitlines() == [
        f"modellint: registry: {name}/1: skipped, already tagged modellint.status={status} by modellint "
        f"{__version__} with knowledge base {knowledge} (--force lints it again)"
        for name, status in (("broken", "fail"), ("clean", "pass"))]

    code, out, err = _registry(capsys, mlflow_server, "--name", BOTH, "--set-tags", "--force", "--format", "concise")
    assert code == 1 and "models:/broken/1/requirements.txt:3:1: ML104" in out
    assert "skipped" not in err and "broken/1: tagged modellint.status=fail" in err
    # Without --set-tags the registry is linted whatever its tags say.
    code, out, err = _registry(capsys, mlflow_server, "--name", BOTH, "--format", "concise")
    assert code == 1 and "models:/broken/1/requirements.txt:3:1: ML104" in out and err == ""


def test_one_json_report_names_each_version(mlflow_server, capsys):
    code, out, err = _registry(capsys, mlflow_server, "--name", BOTH, "--format", "json")
    assert (code, err) == (1, "")
    document = json.loads(out)
    assert document["errors"] == []
    paths = {finding["path"] for finding in document["findings"]}
    assert paths == {"models:/broken/1/requirements.txt", "models:/broken/1/conda.yaml"}
    assert {finding["code"] for finding in document["findings"]} == {"ML104"}


def test_the_registry_report_is_the_check_report_of_its_version_uris(mlflow_server, capsys):
    code, out, _ = _registry(capsys, mlflow_server, "--name", BOTH, "--format", "sarif")
    assert main(["check", "models:/broken/1", "models:/clean/1", "--tracking-uri", mlflow_server.uri, "--isolated",
                 "--format", "sarif"]) == code == 1
    assert out == capsys.readouterr().out


@pytest.mark.parametrize(("arguments", "linted"), [
    (("--name", "clean"), ["clean"]),
    (("--name", "br?ken"), ["broken"]),
    (("--name", BOTH, "--alias", "champion"), ["broken", "clean"]),
    (("--name", "clean", "--alias", "champion"), ["clean"]),
    (("--name", BOTH, "--alias", "nobody"), []),
    (("--name", BOTH, "--stage", "none"), ["broken", "clean"]),
    (("--name", BOTH, "--stage", "Production"), []),
    (("--name", "Broken"), []),  # MLflow's names are case-sensitive, and so is the glob
])
def test_name_alias_and_stage_filters(mlflow_server, capsys, arguments, linted):
    code, out, err = _registry(capsys, mlflow_server, *arguments, "--format", "json")
    if not linted:
        assert (code, out) == (0, "")
        assert err.startswith("modellint: registry: no model version matches (") and err.endswith(": nothing to check\n")
        return
    document = json.loads(out)
    assert code == (1 if "broken" in linted else 0)
    assert {finding["path"].split("/")[1] for finding in document["findings"]} == ({"broken"} & set(linted))


def test_a_version_that_cannot_be_fetched_is_an_error_and_never_tagged(mlflow_server, capsys):
    from mlflow import MlflowClient

    _, run_id, source = mlflow_server.models["clean"]
    # A version whose source is a folder the run does not have: registered, but nothing to fetch.
    client = MlflowClient(mlflow_server.uri)
    client.create_registered_model("unfetchable")
    client.create_model_version("unfetchable", f"{source.rpartition('/')[0]}/missing", run_id=run_id)
    code, out, err = _registry(capsys, mlflow_server, "--name", "[cu]*", "--set-tags", "--force", "--format", "concise")
    assert code == 2
    assert out.startswith("models:/unfetchable/1: error: nothing is listed at this URI")  # in the report too
    assert "modellint: error: models:/unfetchable/1: nothing is listed at this URI" in err
    assert "modellint: registry: unfetchable/1: not tagged: it could not be checked" in err
    assert "clean/1: tagged modellint.status=pass" in err
    assert _tags(mlflow_server, "unfetchable") == {}
