"""`--format cyclonedx`: a model dir's environment and files as a CycloneDX 1.6 SBOM, validated
against the schema the CycloneDX library ships (offline), on corpus models built by real MLflow."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modellint.analyzer.artifacts import CHANGED, list_artifacts
from modellint.analyzer.knowledge.distributions import load
from modellint.cli import main
from modellint.reports import FORMATS
from tests.conftest import REPO, write_files

CORPUS = REPO / "corpus" / "models"
PREDICTED = "predicted by modellint's knowledge base"


def _sbom(capsys, *arguments: str) -> tuple[int, dict, str]:
    code = main(["check", "--format", "cyclonedx", "--isolated", "--no-cache", *arguments])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else {}, captured.err


def validate_sbom(document: dict) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    assert error is None, error


def _properties(component: dict, name: str) -> list[str]:
    return [prop["value"] for prop in component.get("properties", []) if prop["name"] == name]


def _by_ref(document: dict) -> dict[str, dict]:
    return {component["bom-ref"]: component for component in document.get("components", [])}


def _depends_on(document: dict, ref: str) -> list[str]:
    return next(entry.get("dependsOn", []) for entry in document["dependencies"] if entry["ref"] == ref)


def test_cyclonedx_is_a_format():
    assert "cyclonedx" in FORMATS


def test_a_corpus_model_is_a_valid_sbom_of_its_requirements_closure_and_files(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    code, document, err = _sbom(capsys, "corpus/models/ml103-conda-defaults")
    assert (code, err) == (1, "")  # ML103's warning, as in every other format
    validate_sbom(document)
    assert document["specVersion"] == "1.6" and document["serialNumber"].startswith("urn:uuid:")
    metadata = document["metadata"]
    assert metadata["tools"]["components"][0]["name"] == "modellint"
    model = metadata["component"]
    assert (model["type"], model["name"]) == ("machine-learning-model", "corpus/models/ml103-conda-defaults")
    assert _properties(model, "modellint:flavor") == ["python_function", "sklearn"]
    assert _properties(model, "modellint:mlmodel:model_uuid") == ["898953e1cb4e4791990546e18c6e10b6"]
    assert _properties(model, "modellint:python") == ["3.11.7"]

    components = _by_ref(document)
    mlflow = components["pkg:pypi/mlflow@3.17.2"]
    assert (mlflow["purl"], mlflow["version"], mlflow["scope"]) == ("pkg:pypi/mlflow@3.17.2", "3.17.2", "required")
    assert _properties(mlflow, "modellint:origin") == ["declared"]
    # MLflow writes the list to both files: one component naming both lines
    assert _properties(mlflow, "modellint:declared-in") == ["conda.yaml:7", "requirements.txt:1"]
    assert "pkg:pypi/mlflow@3.17.2" in _depends_on(document, "model")
    skinny = components["pkg:pypi/mlflow-skinny"]  # no version: the resolver picks it
    assert "version" not in skinny and _properties(skinny, "modellint:origin") == [PREDICTED]
    assert "pkg:pypi/mlflow-skinny" in _depends_on(document, "pkg:pypi/mlflow@3.17.2")
    assert "pkg:pypi/mlflow-skinny" not in _depends_on(document, "model")  # only what is declared
    # an edge to a declared package lands on its pinned component
    assert "pkg:pypi/pandas@3.1.1" in _depends_on(document, "pkg:pypi/mlflow@3.17.2")

    files = {file["name"]: file for file in model["components"]}
    assert set(files) == {path.name for path in (CORPUS / "ml103-conda-defaults").iterdir()}
    for name, file in files.items():
        digest = hashlib.sha256((CORPUS / "ml103-conda-defaults" / name).read_bytes()).hexdigest()
        assert (file["type"], file["hashes"]) == ("file", [{"alg": "SHA-256", "content": digest}])
    assert _properties(files["model.skops"], "modellint:serialized-format") == ["skops"]
    # the finding travels with the file it concerns
    assert _properties(files["conda.yaml"], "modellint:finding") == [
        "ML103 warning line 2: conda channel `defaults` is Anaconda's: its terms of service may require a "
        "commercial licence"]
    assert _properties(metadata, "modellint:summary") == ["Found 1 warning."]


def test_a_conda_only_model_lists_conda_packages_and_the_conda_pip_list(capsys, tmp_path, monkeypatch):
    model = write_files(tmp_path / "m", {
        "MLmodel": "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.skops\n"
                   "    env: conda.yaml\n    python_version: 3.11.7\n",
        "model.skops": b"PK\x05\x06" + b"\0" * 18,
        "conda.yaml": "channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip<=24.0\n- libgomp=14.2.0\n"
                      "- pip:\n  - scikit-learn==1.5.2\n  - pywin32==306; sys_platform == 'win32'\nname: env\n",
    })
    monkeypatch.chdir(tmp_path)
    code, document, err = _sbom(capsys, str(model))
    validate_sbom(document)
    components = _by_ref(document)
    libgomp = components["pkg:conda/libgomp@14.2.0"]
    assert _properties(libgomp, "modellint:env-manager") == ["conda (installed only by --env-manager conda)"]
    assert _properties(libgomp, "modellint:declared-in") == ["conda.yaml:6"]
    assert "pkg:conda/python@3.11.7" not in components  # the Python is the model's property
    assert _properties(components["pkg:conda/pip"], "modellint:requirement") == ["pip<=24.0"]
    sklearn = components["pkg:pypi/scikit-learn@1.5.2"]
    assert _properties(sklearn, "modellint:declared-in") == ["conda.yaml:8"]
    assert "pkg:pypi/scikit-learn@1.5.2" in _depends_on(document, "model")
    assert "pkg:pypi/joblib" in _depends_on(document, "pkg:pypi/scikit-learn@1.5.2")
    windows_only = components["pkg:pypi/pywin32@306"]  # declared, but not installed on Linux
    assert windows_only["scope"] == "excluded"
    assert "pkg:pypi/pywin32@306" not in _depends_on(document, "model")


def test_a_model_with_code_and_pickles_lists_them_with_their_formats(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    code, document, err = _sbom(capsys, "corpus/models/codepaths-file")
    validate_sbom(document)
    files = {file["name"]: file for file in document["metadata"]["component"]["components"]}
    code_files = [name for name in files if name.startswith("code/")]
    assert code_files and all(files[name]["hashes"] for name in code_files)
    assert _properties(files["python_model.pkl"], "modellint:serialized-format") == ["pickle"]


def test_an_unknown_distribution_is_said_to_be_unknown_and_options_are_kept_redacted(capsys, tmp_path, monkeypatch):
    model = write_files(tmp_path / "m", {
        "MLmodel": "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
                   "    env: {virtualenv: python_env.yaml}\n",
        "python_env.yaml": "python: 3.11.7\nbuild_dependencies:\n- pip==24.0\ndependencies:\n- -r requirements.txt\n",
        "requirements.txt": "--extra-index-url https://user:s3cr3t-t0ken@pypi.example.com/simple\n"
                            "acme-internal-features==1.0\n./wheels/acme-1.0-py3-none-any.whl\n",
    })
    monkeypatch.chdir(tmp_path)
    _, document, _ = _sbom(capsys, str(model))
    validate_sbom(document)
    assert "s3cr3t-t0ken" not in json.dumps(document)
    options = _properties(document["metadata"]["component"], "modellint:pip-option")
    assert len(options) == 1 and options[0].startswith("requirements.txt:1: --extra-index-url https://")
    components = _by_ref(document)
    acme = components["pkg:pypi/acme-internal-features@1.0"]
    assert _properties(acme, "modellint:knowledge") == [
        "unknown to modellint's knowledge base: what it installs is not listed"]
    wheel = components["location:./wheels/acme-1.0-py3-none-any.whl"]
    assert "purl" not in wheel and _properties(wheel, "modellint:declared-in") == ["requirements.txt:3"]
    assert _properties(components["pkg:pypi/pip@24.0"], "modellint:declared-in") == ["python_env.yaml:3"]


def test_source_date_epoch_makes_the_document_reproducible(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    _, first, _ = _sbom(capsys, "corpus/models/sklearn-skops")
    _, second, _ = _sbom(capsys, "corpus/models/sklearn-skops")
    assert first == second
    assert first["metadata"]["timestamp"] == "2023-11-14T22:13:20+00:00"
    validate_sbom(first)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    _, third, _ = _sbom(capsys, "corpus/models/sklearn-skops")
    _, fourth, _ = _sbom(capsys, "corpus/models/sklearn-skops")
    assert third["serialNumber"] != fourth["serialNumber"]
    for document in (third, fourth):  # apart from these two, the same bytes every run
        document.pop("serialNumber"), document["metadata"].pop("timestamp")
    assert third == fourth


def test_one_sbom_describes_one_model_dir(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    code = main(["check", "--format", "cyclonedx", "corpus/models/sklearn-skops", "corpus/models/ml103-conda-defaults"])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err == ("modellint: error: --format cyclonedx describes one model dir: 2 targets were found; "
                            "name one model dir (one SBOM each)\n")
    project = write_files(tmp_path / "project", {"train.py": "import mlflow\n"})
    code = main(["check", "--format", "cyclonedx", str(project)])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert "a training project holds no model to describe" in captured.err


def test_a_lone_serialized_file_is_the_subject(capsys, tmp_path, monkeypatch):
    pickle = tmp_path / "model.pkl"
    pickle.write_bytes(b"\x80\x04K\x01.")
    monkeypatch.chdir(tmp_path)
    _, document, _ = _sbom(capsys, "model.pkl")
    validate_sbom(document)
    subject = document["metadata"]["component"]
    assert (subject["type"], subject["name"]) == ("file", "model.pkl")
    assert subject["hashes"][0]["content"] == hashlib.sha256(b"\x80\x04K\x01.").hexdigest()


def test_without_the_library_the_format_says_how_to_get_it(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "cyclonedx", None)  # what an import does when it is not installed
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *args: None)
    monkeypatch.chdir(REPO)
    code = main(["check", "--format", "cyclonedx", "corpus/models/sklearn-skops"])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err == ("modellint: error: --format cyclonedx needs the CycloneDX library: "
                            "pip install 'modellint[sbom]'\n")


def test_a_check_in_another_format_never_imports_the_library():
    script = ("import sys\nfrom modellint.cli import main\n"
              "main(['check', '--format', 'json', '--no-cache', 'corpus/models/sklearn-skops'])\n"
              "sys.stderr.write(repr(sorted(m for m in sys.modules if m.startswith(('cyclonedx', 'packageurl')))))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.stderr.endswith("[]"), result.stderr


def test_the_dependency_graph_is_the_closure_with_its_edges():
    knowledge = load()
    requirements = [("mlflow", frozenset())]
    graph = knowledge.dependency_graph(requirements, (3, 11))
    assert set(graph) == set(knowledge.closure(requirements, (3, 11)))
    assert "mlflow-skinny" in graph["mlflow"]
    assert set(graph["mlflow"]) == set(knowledge.dependencies("mlflow", (), (3, 11))) - {"mlflow"}


# --- the artifact list ----------------------------------------------------------------------------


def test_artifacts_past_the_hashing_budget_are_listed_without_a_hash(tmp_path):
    write_files(tmp_path, {"a.bin": b"a" * 100, "b.bin": b"b" * 100, "c.bin": b"c" * 10})
    listed = list_artifacts(tmp_path, sorted(tmp_path.iterdir()), max_hashed_bytes=150)
    by_name = {artifact.relative: artifact for artifact in listed.artifacts}
    assert by_name["a.bin"].sha256 == hashlib.sha256(b"a" * 100).hexdigest()
    assert by_name["b.bin"].sha256 is None and "hashing budget" in (by_name["b.bin"].unhashed or "")
    assert by_name["c.bin"].sha256 is not None  # what is left still hashes a small file


def test_artifacts_past_the_file_limit_are_counted(tmp_path):
    write_files(tmp_path, {f"f{index}.txt": "x" for index in range(5)})
    listed = list_artifacts(tmp_path, sorted(tmp_path.iterdir()), withheld={"z.bin": "over the download budget"},
                            max_files=3)
    assert [artifact.relative for artifact in listed.artifacts] == ["f0.txt", "f1.txt", "f2.txt"]
    assert listed.unlisted == 3


def test_a_withheld_file_is_listed_as_not_downloaded(tmp_path):
    write_files(tmp_path, {"MLmodel": "flavors: {}\n"})
    listed = list_artifacts(tmp_path, [tmp_path / "MLmodel"], withheld={"model.pkl": "over the download budget"})
    withheld = listed.artifacts[1]
    assert (withheld.relative, withheld.sha256, withheld.unhashed) == (
        "model.pkl", None, "not downloaded: over the download budget")


def test_a_file_that_grows_while_hashed_gets_no_hash(tmp_path, monkeypatch):
    path = tmp_path / "grows.bin"
    path.write_bytes(b"x" * 10)
    real_lstat = os.lstat

    def lstat_then_grow(target, *args, **kwargs):  # the size is taken, then the file changes
        status = real_lstat(target, *args, **kwargs)
        if Path(target) == path:
            path.write_bytes(b"x" * 20)
        return status

    monkeypatch.setattr(os, "lstat", lstat_then_grow)
    [artifact] = list_artifacts(tmp_path, [path]).artifacts
    assert (artifact.sha256, artifact.unhashed) == (None, CHANGED)


@pytest.mark.parametrize("case", ["ml103-conda-defaults", "mlflow2-sklearn", "read-excel-no-openpyxl",
                                  "loader-module-codepaths", "pip-requirements-constraints", "notebook-unity-catalog"])
def test_every_corpus_case_validates(capsys, monkeypatch, case):
    monkeypatch.chdir(REPO)
    _, document, err = _sbom(capsys, f"corpus/models/{case}")
    validate_sbom(document)
    assert all("hashes" in file for file in document["metadata"]["component"]["components"])


def test_the_python_api_renders_the_same_sbom(capsys, monkeypatch):
    import modellint

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    report = modellint.lint(CORPUS / "ml104-not-pep508")
    main(["check", str(CORPUS / "ml104-not-pep508"), "--isolated", "--no-cache", "--format", "cyclonedx"])
    assert modellint.render(report, "cyclonedx") == capsys.readouterr().out
    with pytest.raises(ValueError, match="describes one model dir: 2 targets"):
        modellint.render(modellint.lint(CORPUS / "ml104-not-pep508", CORPUS / "sklearn-skops"), "cyclonedx")


def test_inside_the_model_dir_the_subject_is_named_by_its_folder(capsys, monkeypatch):
    monkeypatch.chdir(CORPUS / "sklearn-skops")
    _, document, _ = _sbom(capsys, ".")
    assert document["metadata"]["component"]["name"] == "sklearn-skops"


def test_requirements_python_env_lists_itself_are_declared(capsys, tmp_path, monkeypatch):
    model = write_files(tmp_path / "m", {
        "MLmodel": "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
                   "    env: {virtualenv: python_env.yaml}\n",
        "python_env.yaml": "python: 3.11.7\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n"
                           "- numpy==2.1.0\n",
        "requirements.txt": "pandas==2.2.3\n",
    })
    monkeypatch.chdir(tmp_path)
    _, document, _ = _sbom(capsys, str(model))
    validate_sbom(document)
    assert _properties(_by_ref(document)["pkg:pypi/numpy@2.1.0"], "modellint:declared-in") == ["python_env.yaml:6"]
    assert not _properties(document["metadata"]["component"], "modellint:pip-option")  # `-r requirements.txt`
    assert {"pkg:pypi/numpy@2.1.0", "pkg:pypi/pandas@2.2.3", "pkg:pypi/pip"} <= set(_depends_on(document, "model"))
