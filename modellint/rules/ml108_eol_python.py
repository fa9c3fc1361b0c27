from __future__ import annotations

import datetime
from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity, Span
from modellint.rules._base import Invalid, ProjectInvalid, ProjectValid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP, MLMODEL, PYTHON_ENV, conda, model_files

_TRAIN = """\
import mlflow
from sklearn.linear_model import LogisticRegression

_ENV = {"dependencies": ["python=3.7.16", {"pip": ["mlflow==2.17.2", "scikit-learn==1.0.2"]}]}
clf = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
mlflow.sklearn.save_model(clf, "model", input_example=[[0.0]])
"""

# End of life of each CPython minor (PEP 373/478/494/537/569/596/619/664/693/719/745).
END_OF_LIFE = {
    (2, 7): datetime.date(2020, 1, 1),
    (3, 4): datetime.date(2019, 3, 18),
    (3, 5): datetime.date(2020, 9, 30),
    (3, 6): datetime.date(2021, 12, 23),
    (3, 7): datetime.date(2023, 6, 27),
    (3, 8): datetime.date(2024, 10, 7),
    (3, 9): datetime.date(2025, 10, 31),
    (3, 10): datetime.date(2026, 10, 31),
    (3, 11): datetime.date(2027, 10, 31),
    (3, 12): datetime.date(2028, 10, 31),
    (3, 13): datetime.date(2029, 10, 31),
    (3, 14): datetime.date(2030, 10, 31),
}


class EolPython(Rule):
    """## What it does
    Flags a model whose declared Python (`python_env.yaml`, else the conda `python=` spec, else
    MLmodel `python_version`) is past its end of life on the day of the run.

    ## Why is this bad?
    End-of-life interpreters get no security fixes, and the ecosystem leaves them behind:
    conda-forge stops building them, `azureml-inference-server-http` needs Python 3.8 or newer,
    and pyenv/uv builds of old versions fail on current systems.

    In a training project it judges the Python the project declares for the model a save/log call
    writes: the `python=` item of the call's conda env, else `.python-version`. A project that
    declares none is trained under whatever interpreter runs it, which a static reading cannot see.

    ## Example
    ```yaml
    python: 3.7.6
    ```

    ## Fix
    Retrain or re-save the model under a supported Python.
    """

    code = "ML108"
    name = "eol-python"
    severity = Severity.INFO
    fix_title = "Re-save the model under a supported Python version"

    VALID = examples(lambda: (
        Valid(CLEAN),
        ProjectValid({"train.py": _TRAIN}, note="no declared Python: the training interpreter's is recorded"),
        ProjectValid({"train.py": _TRAIN, ".python-version": "3.12\n"}),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(
            MLmodel=MLMODEL.replace("python_version: 3.11.7", "python_version: 3.7.6"),
            python_env__yaml=PYTHON_ENV.replace("python: 3.11.7", "python: 3.7.6"),
            conda__yaml=conda(*CLEAN_PIP, python="3.7.6")),
            (("python_env.yaml", 1),)),
        ProjectInvalid({"train.py": _TRAIN, ".python-version": "3.8.18\n"}, ((".python-version", 1),)),
        ProjectInvalid({"train.py": _TRAIN.replace('"model", input_example', '"model", conda_env=_ENV, input_example'),
                        ".python-version": "3.12\n"}, (("train.py", 4),),
                       note="the conda env's `python=` is what the model declares"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        python = model.declared_python
        if python is None or python not in END_OF_LIFE:
            return
        end = END_OF_LIFE[python]
        if model.run_date <= end:
            return
        path, span = _declaration(model)
        yield self.finding(path, f"Python {python[0]}.{python[1]} reached end of life on {end.isoformat()}", span)


def _declaration(model: ModelDir) -> tuple:
    if model.python_env and model.python_env.python:
        return model.python_env.path, model.python_env.python_span or Span()
    if model.conda and model.conda.python and model.conda.python.exact_version:
        return model.conda.path, model.conda.python.span
    return model.mlmodel_path, model.mlmodel_span("flavors", "python_function", "python_version")
