"""Hostile models that name or link a file outside themselves: a finding, never a read.

Every way a model dir can point outside (a `..` or absolute path in MLmodel, a symlinked file or
directory, a chain of symlinks, a symlink loop) must give ML006 (or ML004 for the absolute
flavor paths it owns), and the content of the file outside (the sandbox's secret,
``/etc/passwd``) must never appear in any output format. Symlinks that stay inside the model
keep working.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from modellint.rules._examples import CLEAN, MLMODEL
from tests.hostile.harness import Run, Sandbox, assert_promises, run_cli

# Every case runs in JSON (what the assertions read); the slow tier runs it in the other formats
# too. The fast tier runs every format once, on a model holding every kind of escape at once
# (test_every_format_on_every_kind_of_escape).
FORMATS = [pytest.param((), id="json"),
           pytest.param(("full", "sarif", "github"), id="all-formats", marks=pytest.mark.slow)]
ALL_FORMATS = ("full", "sarif", "github", "concise", "markdown", "cyclonedx")
PASSWD_LINE = "root:x:0:0"  # the first line of /etc/passwd on every Linux
SECONDS = 20.0


def _mlmodel(*edits: tuple[str, str]) -> str:
    text = MLMODEL
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


def _model(sandbox: Sandbox, *edits: tuple[str, str], drop: tuple[str, ...] = (), **extra: str) -> Path:
    files = {**CLEAN, "MLmodel": _mlmodel(*edits), **{name.replace("__", "."): text for name, text in extra.items()}}
    for name in drop:
        files.pop(name)
    return sandbox.write(files)


def _link(link: Path, target: str | Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(target, link)


@pytest.fixture(params=FORMATS)
def formats(request) -> tuple[str, ...]:
    return request.param


def _run_every_format(sandbox: Sandbox, formats: tuple[str, ...], *extra: str) -> dict[str, Run]:
    """One run per output format (JSON first); each keeps the promises and shows no line of a file outside."""
    before = sandbox.snapshot()
    runs = {}
    for output in ("json", *formats):
        run = run_cli(["check", str(sandbox.target), "--format", output, *extra], sandbox, timeout=60)
        assert_promises(run, sandbox, before, seconds=SECONDS)
        assert PASSWD_LINE not in run.stdout + run.stderr, f"/etc/passwd was echoed\n{run!r}"
        runs[output] = run
    return runs


def _codes(runs: dict[str, Run]) -> list[tuple[str, str, int]]:
    """``(code, path relative to the target, line)`` from the JSON run."""
    document = json.loads(runs["json"].stdout)
    return [(finding["code"], Path(finding["path"]).name, finding["line"]) for finding in document["findings"]]


def _ml006(runs: dict[str, Run]) -> list[str]:
    document = json.loads(runs["json"].stdout)
    return [f"ML006 {finding['message']}" for finding in document["findings"] if finding["code"] == "ML006"]


def _output(runs: dict[str, Run]) -> str:
    return "".join(run.stdout + run.stderr for run in runs.values())


# --- paths MLmodel names --------------------------------------------------------------------------


_SLOW = pytest.mark.slow


@pytest.mark.parametrize(("key", "written"), [
    ("conda", "../outside/secret.txt"),
    ("virtualenv", "/etc/passwd"),
    ("conda", "sub/../../outside/secret.txt"),
    ("virtualenv", "..\\outside\\secret.txt"),
    pytest.param("conda", "../../outside/secret.txt", marks=_SLOW),
    pytest.param("conda", "/etc/passwd", marks=_SLOW),
    pytest.param("conda", "{outside}/secret.txt", marks=_SLOW),
    pytest.param("conda", "~/.ssh/id_rsa", marks=_SLOW),
    pytest.param("conda", "file:///etc/passwd", marks=_SLOW),
    pytest.param("virtualenv", "../outside/secret.txt", marks=_SLOW),
    pytest.param("virtualenv", "{outside}/secret.txt", marks=_SLOW),
])
def test_an_env_file_named_outside_is_reported_not_read(tmp_path, key, written, formats):
    sandbox = Sandbox(tmp_path)
    written = written.format(outside=sandbox.outside)
    default = "conda.yaml" if key == "conda" else "python_env.yaml"
    _model(sandbox, (f"{key}: {default}", f"{key}: '{written}'"))
    runs = _run_every_format(sandbox, formats)
    assert [line for line in _ml006(runs) if f"env.{key}" in line and written in line], _output(runs)
    # One clear error: ML101 does not also say the file is missing, ML110 does not parse it.
    assert not any(code in ("ML101", "ML110") and name == "MLmodel" for code, name, _ in _codes(runs)), _output(runs)


def test_the_legacy_string_env_outside_is_reported(tmp_path, formats):
    sandbox = Sandbox(tmp_path)
    _model(sandbox, ("    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n",
                     "    env: ../outside/secret.txt\n"))
    runs = _run_every_format(sandbox, formats)
    assert [line for line in _ml006(runs) if "python_function.env names `../outside/secret.txt`" in line]


@pytest.mark.parametrize("code_dir", ["../outside", "../../", "..", "code/../../outside"])
def test_a_code_dir_outside_is_never_walked(tmp_path, code_dir, formats):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"secret_module.py": "import TOP_SECRET_OUTSIDE_MODULE\nTOKEN = 'TOP-SECRET-OUTSIDE-VALUE'\n",
                   "pandas.py": "x = 1\n"}, under="outside")
    _model(sandbox, ("code: null", f"code: {code_dir}"),
           ("loader_module: mlflow.sklearn", "loader_module: secret_module"))
    runs = _run_every_format(sandbox, formats)
    assert [line for line in _ml006(runs) if "sklearn.code" in line], _output(runs)
    everything = _output(runs)
    assert "TOP_SECRET_OUTSIDE_MODULE" not in everything and "pandas.py" not in everything


def test_an_absolute_code_dir_stays_ml004s_and_is_never_walked(tmp_path, formats):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"secret_module.py": "import TOP_SECRET_OUTSIDE_MODULE\n"}, under="outside")
    _model(sandbox, ("code: null", f"code: {sandbox.outside}"))
    runs = _run_every_format(sandbox, formats)
    codes = [code for code, name, _ in _codes(runs) if name == "MLmodel"]
    assert "ML004" in codes and "ML006" not in codes, _output(runs)
    assert "TOP_SECRET_OUTSIDE_MODULE" not in _output(runs)


@pytest.mark.parametrize("edit", [
    ("pickled_model: model.skops", "pickled_model: ../outside/secret.txt"),
    ("    model_path: model.skops\n", "    model_path: ../outside/secret.txt\n"),
    ("    code: null\n", "    code: null\n    data: ../outside\n"),
    ("    code: null\n", "    code: null\n    artifacts:\n      vocab:\n        path: ../outside/secret.txt\n"
                       "        uri: /tmp/vocab.txt\n"),
])
def test_a_flavor_or_artifact_path_climbing_out_is_ml006_not_ml003(tmp_path, edit, formats):
    sandbox = Sandbox(tmp_path)
    _model(sandbox, edit)
    runs = _run_every_format(sandbox, formats)
    codes = [code for code, name, _ in _codes(runs) if name == "MLmodel"]
    assert "ML006" in codes, _output(runs)
    assert "ML003" not in codes, _output(runs)


@pytest.mark.parametrize("key", ["artifact_path", "serving_input_path"])
@pytest.mark.parametrize("written", ["../outside/secret.txt", "{outside}/secret.txt", "link.json"])
def test_input_example_paths_outside_are_never_read(tmp_path, key, written, formats):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"secret.txt": '{"columns": ["TOP-SECRET-OUTSIDE-VALUE"], "data": [[1]]}'}, under="outside")
    written = written.format(outside=sandbox.outside)
    info = ("saved_input_example_info:\n  artifact_path: input_example.json\n  serving_input_path: serving.json\n"
            "  type: dataframe\n  pandas_orient: split\n")
    info = info.replace(f"{key}: {'input_example.json' if key == 'artifact_path' else 'serving.json'}",
                        f"{key}: '{written}'")
    _model(sandbox, ("mlflow_version: 3.17.2\n", "mlflow_version: 3.17.2\n" + info),
           input_example__json='{"columns": ["a", "b"], "data": [[1.0, 2.0]]}',
           serving__json='{"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 2.0]]}}')
    if written == "link.json":
        _link(sandbox.target / "link.json", sandbox.outside / "secret.txt")
    runs = _run_every_format(sandbox, formats)
    codes = [code for code, _, _ in _codes(runs)]
    assert "ML006" in codes or "ML004" in codes, _output(runs)
    assert "ML003" not in codes and "ML401" not in codes, _output(runs)


def test_a_models_from_code_file_that_links_out_is_reported_not_scanned(tmp_path, formats):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"model_code.py": "import TOP_SECRET_OUTSIDE_MODULE\n"}, under="outside")
    _model(sandbox, ("loader_module: mlflow.sklearn", "loader_module: mlflow.pyfunc.loaders.code_model"),
           ("    model_path: model.skops\n", "    model_code_path: /home/me/project/model_code.py\n"))
    _link(sandbox.target / "model_code.py", sandbox.outside / "model_code.py")
    runs = _run_every_format(sandbox, formats)
    assert [line for line in _ml006(runs) if "model_code_path" in line], _output(runs)
    assert "TOP_SECRET_OUTSIDE_MODULE" not in _output(runs)


# --- files of the model that are symlinks leading out -------------------------------------------


@pytest.mark.parametrize("name", ["requirements.txt", "conda.yaml", "python_env.yaml"])
def test_an_env_file_that_is_a_symlink_out_is_reported_not_read(tmp_path, name, formats):
    sandbox = Sandbox(tmp_path)
    _model(sandbox)
    _link(sandbox.target / name, sandbox.outside / "secret.txt")
    runs = _run_every_format(sandbox, formats)
    codes = _codes(runs)
    if name == "requirements.txt":  # read by its fixed name: reported at the link
        assert [line for line in _ml006(runs) if f"`{name}` is a symlink" in line], _output(runs)
        assert ("ML006", name, 1) in codes
    else:  # named by MLmodel: reported at the key, once
        assert [line for line in _ml006(runs) if f"names `{name}`, a path through a symlink" in line], _output(runs)
        line = 4 if name == "conda.yaml" else 5
        assert [entry for entry in codes if entry[0] == "ML006"] == [("ML006", "MLmodel", line)]
    # Not read, so not parsed (ML104/ML110), and not "missing" either (ML101).
    assert not [entry for entry in codes if entry[0] in ("ML101", "ML104", "ML110")], _output(runs)


def test_a_symlink_to_etc_passwd_is_not_read(tmp_path, formats):
    sandbox = Sandbox(tmp_path)
    _model(sandbox)
    _link(sandbox.target / "requirements.txt", "/etc/passwd")
    runs = _run_every_format(sandbox, formats)
    assert ("ML006", "requirements.txt", 1) in _codes(runs)


def test_a_symlink_chain_ending_outside_is_reported(tmp_path, formats):
    sandbox = Sandbox(tmp_path)
    _model(sandbox)
    _link(sandbox.target / "requirements.txt", "sub/hop1.txt")
    _link(sandbox.target / "sub" / "hop1.txt", "../other/hop2.txt")
    _link(sandbox.target / "other" / "hop2.txt", "../../outside/secret.txt")
    runs = _run_every_format(sandbox, formats)
    links = [name for code, name, _ in _codes(runs) if code == "ML006"]
    assert sorted(links) == ["hop1.txt", "hop2.txt", "requirements.txt"], _output(runs)


def test_a_dangling_symlink_out_is_reported_without_probing(tmp_path, formats):
    sandbox = Sandbox(tmp_path)
    _model(sandbox)
    _link(sandbox.target / "requirements.txt", sandbox.outside / "does-not-exist.txt")
    runs = _run_every_format(sandbox, formats)
    assert ("ML006", "requirements.txt", 1) in _codes(runs)


def test_a_symlink_loop_is_bounded_and_reported(tmp_path, formats):
    sandbox = Sandbox(tmp_path)
    _model(sandbox)
    _link(sandbox.target / "requirements.txt", "loop.txt")
    _link(sandbox.target / "loop.txt", "requirements.txt")
    _link(sandbox.target / "dir_loop", "dir_loop")
    runs = _run_every_format(sandbox, formats)
    assert [line for line in _output(runs).splitlines() if "symlink loop" in line], _output(runs)
    assert "ML101" not in [code for code, _, _ in _codes(runs)], _output(runs)  # ML110 says it, once


@pytest.mark.parametrize("target", ["/", "{outside}", "../outside", "/etc"])
def test_a_symlinked_code_dir_out_is_never_walked(tmp_path, target, formats):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"helper.py": "import TOP_SECRET_OUTSIDE_MODULE\n"}, under="outside")
    _model(sandbox, ("code: null", "code: code"))
    _link(sandbox.target / "code", target.format(outside=sandbox.outside))
    runs = _run_every_format(sandbox, formats)
    assert [line for line in _ml006(runs) if "sklearn.code names `code`" in line], _output(runs)
    assert "TOP_SECRET_OUTSIDE_MODULE" not in _output(runs)


def test_files_in_a_code_dir_linking_out_are_not_scanned(tmp_path, formats):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"helper.py": "import TOP_SECRET_OUTSIDE_MODULE\n", "pkg/__init__.py": "import ALSO_SECRET\n"},
                  under="outside")
    _model(sandbox, ("code: null", "code: code"))
    sandbox.write({"code/own.py": "import numpy\n"})
    _link(sandbox.target / "code" / "helper.py", sandbox.outside / "helper.py")
    _link(sandbox.target / "code" / "pkg", sandbox.outside / "pkg")
    runs = _run_every_format(sandbox, formats)
    links = sorted(name for code, name, _ in _codes(runs) if code == "ML006")
    assert links == ["helper.py", "pkg"], _output(runs)
    everything = _output(runs)
    assert "TOP_SECRET_OUTSIDE_MODULE" not in everything and "ALSO_SECRET" not in everything


def test_a_pickle_linking_out_is_not_scanned(tmp_path, formats):
    import pickle

    sandbox = Sandbox(tmp_path)
    sandbox.write({"evil.pkl": pickle.dumps(os.system, protocol=2)}, under="outside")
    _model(sandbox)
    _link(sandbox.target / "extra.pkl", sandbox.outside / "evil.pkl")
    _link(sandbox.target / "weights", sandbox.outside)
    runs = _run_every_format(sandbox, formats)
    codes = _codes(runs)
    assert ("ML006", "extra.pkl", 1) in codes and ("ML006", "weights", 1) in codes, _output(runs)
    assert "ML302" not in [code for code, _, _ in codes], _output(runs)  # the outside pickle was not read


def test_an_mlmodel_linking_out_is_not_read(tmp_path, formats):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"MLmodel": MLMODEL.replace("mlflow_version", "# TOP-SECRET-OUTSIDE-VALUE\nmlflow_version")},
                  under="outside")
    _model(sandbox)
    _link(sandbox.target / "MLmodel", sandbox.outside / "MLmodel")
    runs = _run_every_format(sandbox, formats)
    codes = _codes(runs)
    assert [entry for entry in codes if entry[0] == "ML001"], _output(runs)
    assert not [entry for entry in codes if entry[0] == "ML006"], _output(runs)  # one error for one file


def test_every_format_on_every_kind_of_escape(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"helper.py": "import TOP_SECRET_OUTSIDE_MODULE\n"}, under="outside")
    _model(sandbox, ("conda: conda.yaml", "conda: ../outside/secret.txt"), ("virtualenv: python_env.yaml",
           "virtualenv: /etc/passwd"), ("code: null", "code: code"),
           ("pickled_model: model.skops", "pickled_model: ../../outside/secret.txt"))
    _link(sandbox.target / "requirements.txt", sandbox.outside / "secret.txt")
    _link(sandbox.target / "code", sandbox.outside)
    _link(sandbox.target / "data" / "vocab.txt", "/etc/passwd")
    _link(sandbox.target / "chain.txt", "data/vocab.txt")
    _link(sandbox.target / "loop.txt", "loop.txt")
    runs = _run_every_format(sandbox, ALL_FORMATS)
    assert len(_ml006(runs)) == 7, _output(runs)
    assert "TOP_SECRET_OUTSIDE_MODULE" not in _output(runs)


# --- what must keep working -----------------------------------------------------------------------


def test_symlinks_that_stay_inside_keep_working(tmp_path):
    sandbox = Sandbox(tmp_path)
    files = {**CLEAN, "MLmodel": _mlmodel(("code: null", "code: code"),
                                          ("conda: conda.yaml", "conda: envs/conda.yaml")),
             "src/helpers.py": "import numpy\n"}
    files["envs/real-conda.yaml"] = files.pop("conda.yaml")
    files["shared/requirements.txt"] = files.pop("requirements.txt")
    sandbox.write(files)
    _link(sandbox.target / "envs" / "conda.yaml", "real-conda.yaml")
    _link(sandbox.target / "requirements.txt", "shared/requirements.txt")
    _link(sandbox.target / "code", "src")
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "full"], sandbox)
    assert_promises(run, sandbox, before, clean_allowed=True)
    assert "ML006" not in run.stdout and "ML101" not in run.stdout and "ML305" not in run.stdout, run
    # The code dir behind the symlink is scanned: numpy comes with scikit-learn, nothing else is missing.
    assert "ML201" not in run.stdout, run


def test_a_model_dir_reached_through_a_symlink_is_checked_normally(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write(CLEAN)
    alias = sandbox.cwd / "model"
    _link(alias, sandbox.target)
    run = run_cli(["check", str(alias), "--format", "concise"], sandbox)
    assert run.returncode == 0 and "All checks passed" in run.stdout, run


# --- training projects ----------------------------------------------------------------------------

_TRAIN = "import mlflow\nfrom sklearn.linear_model import LogisticRegression\nm = LogisticRegression()\n"


@pytest.mark.parametrize("call", [
    'mlflow.sklearn.log_model(m, "model", pip_requirements="../outside/secret.txt")',
    'mlflow.sklearn.log_model(m, "model", pip_requirements=["-r ../outside/secret.txt"])',
    'mlflow.sklearn.log_model(m, "model", extra_pip_requirements="../outside/secret.txt")',
    'mlflow.sklearn.log_model(m, "model", conda_env="../outside/conda.yaml")',
    'mlflow.sklearn.log_model(m, "model", code_paths=["../outside"], pip_requirements=["scikit-learn==1.5.0"])',
    'mlflow.sklearn.log_model(m, "model", code_paths=["../outside/helper.py"], pip_requirements=["scikit-learn"])',
    'mlflow.pyfunc.log_model("model", python_model="../outside/model.py", pip_requirements=["mlflow==2.0"])',
    'import helper\nmlflow.sklearn.log_model(m, "model", code_paths=["helper.py"], pip_requirements="requirements.txt")',
    'mlflow.pyfunc.log_model("model", python_model="linked.py", pip_requirements=["mlflow==2.0"])',
])
def test_a_training_project_never_reads_files_outside_it(tmp_path, call):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"helper.py": "import TOP_SECRET_OUTSIDE_MODULE\n",
                   "model.py": "import TOP_SECRET_OUTSIDE_MODULE\nimport mlflow\nmlflow.models.set_model(None)\n",
                   "conda.yaml": "dependencies:\n- pip:\n  - TOP-SECRET-OUTSIDE-VALUE\n"}, under="outside")
    sandbox.write({"train.py": _TRAIN + call + "\n"})
    _link(sandbox.target / "helper.py", sandbox.outside / "helper.py")
    _link(sandbox.target / "linked.py", sandbox.outside / "model.py")
    _link(sandbox.target / "requirements.txt", sandbox.outside / "secret.txt")
    before = sandbox.snapshot()
    for output in ("json",):
        run = run_cli(["check", str(sandbox.target), "--format", output], sandbox)
        # A project whose only fault is a file outside it may pass: what matters is that it is not read.
        assert_promises(run, sandbox, before, seconds=SECONDS, clean_allowed=True)
        assert "TOP_SECRET_OUTSIDE_MODULE" not in run.stdout, run
