"""Models for the deployment targets' rules, saved by real MLflow with the one edit each rule is about.

Run inside the MLflow 3.x venv by ``corpus/build.py`` (``build(corpus_dir)``); writes
``CORPUS_DIR/targets/models/<case>/`` and, in each, ``CASE.json``: what the case is, the edit made
after ``save_model``, and MLflow's own verdict on the result (``mlflow.pyfunc.load_model`` and a
``predict`` on the stored input example, and ``mlflow.models.validate_serving_input`` on the stored
serving payload): each model works with ``mlflow models serve`` and is refused by the target the
rule is about, which the target's document, not MLflow, says (cited in the rule's doc).
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.models import validate_serving_input
from sklearn.linear_model import LogisticRegression

FRAME = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
LABELS = [0, 1, 0, 1]
# The training frame repeated to 420,000 rows: logged whole as `input_example`, MLflow writes a
# serving payload of about 17.6 MB (42 bytes a row, pretty-printed), over Databricks' 16 MB.
TRAINING_SET = pd.concat([FRAME] * 105_000, ignore_index=True)


def _python_env_only(model: Path) -> None:
    (model / "conda.yaml").unlink()
    mlmodel = model / "MLmodel"
    mlmodel.write_text(mlmodel.read_text(encoding="utf-8").replace("      conda: conda.yaml\n", "", 1), encoding="utf-8")


def _records_payload(model: Path) -> None:
    rows = FRAME.head(2).to_dict(orient="records")
    (model / "serving_input_example.json").write_text(json.dumps({"dataframe_records": rows}, indent=2),
                                                      encoding="utf-8")


def _unedited(model: Path) -> None:
    """The case is in what ``save_model`` was given (``SAVE_ARGUMENTS``), not in an edit."""


CASES: dict[str, tuple[str, str, Callable[[Path], None]]] = {
    "ml601-python-env-only": (
        "ML601 (azureml-online, azureml-batch): a sklearn model with python_env.yaml and requirements.txt only",
        "deleted conda.yaml and the `conda:` line of the pyfunc env", _python_env_only),
    "ml602-records-payload": (
        "ML602 (azureml-online): the stored serving payload in records orientation, which MLflow accepts",
        "rewrote serving_input_example.json as `dataframe_records` of the same rows", _records_payload),
    "ml603-payload-over-16mb": (
        "ML603 (databricks): the whole 420,000-row training frame logged as input_example; MLflow writes a "
        "17.6 MB serving_input_example.json",
        "none: save_model(input_example=TRAINING_SET)", _unedited),
    "ml604-inference-server-pin": (
        "ML604 (azureml-online): azureml-inference-server-http==1.3.4 added to the model's environment "
        "(as Azure/azureml-examples#3875 adds the scoring server to a model's conda.yaml)",
        "none: save_model(extra_pip_requirements=['azureml-inference-server-http==1.3.4'])", _unedited),
}
# What save_model is given beyond the classifier and the path, per case (default: two rows as input_example).
SAVE_ARGUMENTS: dict[str, dict[str, Any]] = {
    "ml603-payload-over-16mb": {"input_example": TRAINING_SET},
    "ml604-inference-server-pin": {"input_example": FRAME.head(2),
                                   "extra_pip_requirements": ["azureml-inference-server-http==1.3.4"]},
}


def _verdict(model: Path) -> dict[str, Any]:
    verdict: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            loaded = mlflow.pyfunc.load_model(str(model))
            example = mlflow.models.Model.load(str(model)).load_input_example(str(model))
            loaded.predict(example)
            verdict["load_and_predict"] = "ok"
        except Exception as error:  # noqa: BLE001 - MLflow's verdict, whatever it raises
            verdict["load_and_predict"] = f"{type(error).__name__}: {error}"[:300]
        serving = model / "serving_input_example.json"
        try:
            validate_serving_input(str(model), serving.read_text(encoding="utf-8"))
            verdict["serving_example"] = "ok"
        except Exception as error:  # noqa: BLE001
            verdict["serving_example"] = f"{type(error).__name__}: {error}"[:300]
    return verdict


def build(corpus_dir: Path) -> None:
    out = corpus_dir / "targets" / "models"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    classifier = LogisticRegression().fit(FRAME, LABELS)
    for name, (description, edit, apply) in CASES.items():
        model = out / name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arguments = SAVE_ARGUMENTS.get(name, {"input_example": FRAME.head(2)})
            mlflow.sklearn.save_model(classifier, str(model), **arguments)
        apply(model)
        case = {"description": description, "edit": edit, "built_with": {"mlflow": mlflow.__version__},
                "verdict": _verdict(model)}
        (model / "CASE.json").write_text(json.dumps(case, indent=2) + "\n", encoding="utf-8")
        print(f"target models: {name}: {case['verdict']}", flush=True)
