"""Training projects judged like the model dirs they write, where the call says enough: a missing
signature (ML403), an end-of-life Python the project pins (ML108), a flavor without
`python_function` (ML002), a pin the Azure serving image breaks on (ML604), each raised or
enabled by `--target` as for a model dir; and training notebooks checked end to end with
findings at their cells."""

from __future__ import annotations

import json

import pytest

from modellint.analyzer.project.call_signature import certainly_unsigned, unity_catalog_name
from modellint.analyzer.project.simulation import training_calls
from modellint.cli import main
from tests.conftest import write_files

_HEAD = "import mlflow\nfrom mlflow.pyfunc import PythonModel\n\n"


def _calls(tmp_path, script):
    root = write_files(tmp_path / "p", {"train.py": _HEAD + script})
    return training_calls(root)


@pytest.mark.parametrize(("call", "unsigned"), [
    ("mlflow.sklearn.log_model(clf, name='m')", True),
    ("mlflow.xgboost.save_model(booster, 'm', signature=None, input_example=None)", True),
    ("mlflow.sklearn.log_model(clf, name='m', signature=sig)", False),  # a variable: may be a signature
    ("mlflow.sklearn.log_model(clf, name='m', input_example=X[:2])", False),  # inferred from it
    ("mlflow.sklearn.log_model(clf, name='m', **options)", False),
    ("mlflow.sklearn.log_model(clf, 'm', None, None, None)", False),  # positions modellint cannot map
    ("mlflow.transformers.log_model(pipe, name='m')", False),  # a default signature from the task
    ("mlflow.openai.log_model('gpt-4o', task='chat.completions', name='m')", False),
    ("mlflow.pyfunc.save_model('m', loader_module='loader', data_path='d')", True),
    ("mlflow.pyfunc.log_model(name='m', python_model='model_code.py')", False),  # set_model: unknown
    # The signature is set on the logged model afterwards.
    ("info = mlflow.sklearn.log_model(clf, name='m')\nmlflow.models.set_signature(info.model_uri, sig)", False),
    ("from mlflow.models import set_signature as sign\nmlflow.sklearn.log_model(clf, name='m')\nsign(u, s)", False),
])
def test_a_call_is_unsigned_only_when_nothing_can_give_it_a_signature(tmp_path, call, unsigned):
    (training,) = _calls(tmp_path, call + "\n")
    assert certainly_unsigned(training) is unsigned


@pytest.mark.parametrize(("model", "unsigned"), [
    ("class M(PythonModel):\n    def predict(self, context, model_input, params=None):\n        return model_input\n",
     True),
    # MLflow 2.20+ infers the signature from the type hints of predict.
    ("class M(PythonModel):\n    def predict(self, context, model_input: list[str], params=None):\n"
     "        return model_input\n", False),
    ("class M(PythonModel):\n    def predict(self, context, model_input) -> list[str]:\n        return model_input\n",
     False),
    # A ChatModel / ResponsesAgent has a standard signature; another base may be one.
    ("from mlflow.pyfunc import ChatModel\n\n\nclass M(ChatModel):\n    def predict(self, context, messages, params):\n"
     "        return messages\n", False),
    ("class Base(PythonModel):\n    pass\n\n\nclass M(Base):\n    def predict(self, context, model_input):\n"
     "        return model_input\n", False),
    ("class M(PythonModel):\n    pass\n", False),  # predict inherited: not seen
])
def test_a_python_model_is_unsigned_only_without_hints_or_a_signed_base(tmp_path, model, unsigned):
    (training,) = _calls(tmp_path, model + "\n\nmlflow.pyfunc.log_model(name='m', python_model=M())\n")
    assert certainly_unsigned(training) is unsigned


@pytest.mark.parametrize(("name", "expected"), [
    ("'main.default.clf'", "main.default.clf"), ("'clf'", None), ("'a.b'", None), ("'a..b'", None),
    ("'a.b.c.d'", None), ("name", None),
])
def test_only_a_literal_three_part_name_is_a_unity_catalog_name(tmp_path, name, expected):
    (training,) = _calls(tmp_path, f"mlflow.sklearn.log_model(clf, name='m', registered_model_name={name})\n")
    assert unity_catalog_name(training.call) == expected


_PROJECT_SCRIPT = _HEAD + "mlflow.sklearn.log_model(clf, name='m', registered_model_name='main.ml.churn')\n"


def _check(capsys, *args):
    code = main(["check", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, [(f["code"], f["severity"], f["line"]) for f in json.loads(out)["findings"]]


@pytest.mark.parametrize(("targets", "severity", "code"), [
    ((), "info", 0), (("--target", "azureml-batch"), "warning", 1), (("--target", "databricks"), "error", 1),
])
def test_targets_raise_a_call_without_signature_as_they_raise_a_model_dir(tmp_path, monkeypatch, capsys, targets,
                                                                        severity, code):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "p", {"train.py": _PROJECT_SCRIPT})
    assert _check(capsys, "p", *targets) == (code, [("ML403", severity, 4)])


def test_azureml_targets_make_a_flavor_without_pyfunc_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "p", {"train.py": _HEAD + "mlflow.mleap.log_model(pipeline, df, 'm', signature=sig)\n"})
    assert _check(capsys, "p") == (1, [("ML002", "warning", 4)])
    assert _check(capsys, "p", "--target", "azureml-online") == (1, [("ML002", "error", 4)])


def test_azureml_online_judges_the_versions_the_call_pins_not_the_one_mlflow_adds(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    script = (_HEAD + "mlflow.sklearn.log_model(clf, name='m', input_example=X,\n"
              "                         pip_requirements=['mlflow==3.9.0', 'scikit-learn==1.9.1'])\n"
              "mlflow.sklearn.log_model(clf, name='other', input_example=X)\n")
    write_files(tmp_path / "p", {"train.py": script})
    assert _check(capsys, "p") == (0, [])
    assert _check(capsys, "p", "--target", "azureml-online") == (1, [("ML604", "error", 5)])


def test_an_end_of_life_python_is_reported_only_where_the_project_pins_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    script = _HEAD + "mlflow.sklearn.log_model(clf, name='m', input_example=X)\n"
    write_files(tmp_path / "p", {"train.py": script})
    assert _check(capsys, "p") == (0, [])  # the interpreter that trains is not known
    write_files(tmp_path / "p", {".python-version": "3.7\n"})
    code = main(["check", "--format", "json", "p"])
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (code, finding["code"], finding["path"], finding["line"]) == (0, "ML108", "p/.python-version", 1)


_NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5, "metadata": {},
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Churn model\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
         "source": ["%pip install -q scikit-learn mlflow\n", "import mlflow\n", "from mlflow.pyfunc import PythonModel\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [],
         "source": ["class Churn(PythonModel):\n", "    def predict(self, context, model_input, params=None):\n",
                    "        import tabulate\n", "        return tabulate.tabulate(model_input)\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 3, "outputs": [],
         "source": ["with mlflow.start_run():\n",
                    "    mlflow.pyfunc.log_model(name='churn', python_model=Churn(),\n",
                    "                            registered_model_name='main.ml.churn')\n"]},
    ],
}


def test_a_training_notebook_is_checked_with_findings_at_its_cells(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "project", {"train.ipynb": json.dumps(_NOTEBOOK, indent=1), "README.md": "churn\n"})
    code = main(["check", "--format", "concise", "--target", "databricks", "project"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[:-1] == [
        "project/train.ipynb:6:16: ML201 [error] `tabulate` (imported lazily) is not provided by any declared "
        "requirement nor the code directory: add `tabulate` to the requirements (cell 3, line 3)",
        "project/train.ipynb:9:5: ML209 [warning] `tabulate` is imported only when the model predicts "
        "(train.ipynb:6) and the `log_model` call gives no `input_example`: MLflow's requirement inference will "
        "not see it and no requirement will provide it (cell 4, line 2)",
        "project/train.ipynb:9:5: ML403 [error] the model this `log_model` call writes has no signature: it passes "
        "no `signature` and no `input_example`; Unity Catalog refuses to register `main.ml.churn` without one "
        "(cell 4, line 2)",
    ]


def test_a_notebook_named_on_the_command_line_checks_its_project(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "project", {"train.ipynb": json.dumps(_NOTEBOOK)})
    assert main(["check", "--format", "concise", "project/train.ipynb", "--select", "ML403"]) == 0
    assert "(cell 4, line 2)" in capsys.readouterr().out


def test_an_inline_suppression_in_a_notebook_cell_is_honoured(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    notebook = json.loads(json.dumps(_NOTEBOOK))
    notebook["cells"][3]["source"][1] = ("    mlflow.pyfunc.log_model(name='churn', python_model=Churn(),"
                                         "  # modellint: ignore[ML403]\n")
    write_files(tmp_path / "project", {"train.ipynb": json.dumps(notebook)})
    assert _check(capsys, "project", "--select", "ML403") == (0, [])


def test_no_fix_edits_a_notebook(tmp_path, monkeypatch, capsys):
    # ML203 rewrites a script's `code_paths` literal; a notebook's positions are its cells' script,
    # not its JSON: the finding stays, without a fix, and --fix leaves the notebook as it was.
    monkeypatch.chdir(tmp_path)
    source = ("import mlflow\nimport pandas as pd\nfrom mlflow.pyfunc import PythonModel\n\n\n"
              "class Doubler(PythonModel):\n    def predict(self, context, model_input, params=None):\n"
              "        from src.utils import double\n\n        return double(model_input)\n\n\n"
              "mlflow.pyfunc.save_model('model', python_model=Doubler(), code_paths=['src/utils.py'],\n"
              "                         input_example=pd.DataFrame({'x': [1]}))\n")
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": source}
    text = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}, indent=1)
    project = write_files(tmp_path / "p", {"train.ipynb": text, "src/__init__.py": "",
                                           "src/utils.py": "def double(v):\n    return v\n"})
    main(["check", "--format", "json", "p"])
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["code"], finding["line"], finding["fix"]) == ("ML203", 8, None)
    assert finding["message"].endswith("(cell 1, line 8)")
    main(["check", "--fix", "--unsafe-fixes", "p"])
    assert (project / "train.ipynb").read_text() == text
