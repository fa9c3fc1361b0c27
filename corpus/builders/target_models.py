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


def _python_env_only(model: Path) -> None:
    (model / "conda.yaml").unlink()
    mlmodel = model / "MLmodel"
    mlmodel.write_text(mlmodel.read_text(encoding="utf-8").replace("      conda: conda.yaml\n", "", 1), encoding="utf-8")


def _records_payload(model: Path) -> None:
    rows = FRAME.head(2).to_dict(orient="records")
    (model / "serving_input_example.json").write_text(json.dumps({"dataframe_records": rows}, indent=2),
                                                      encoding="utf-8")


CASES: dict[str, tuple[str, str, Callable[[Path], None]]] = {
    "ml601-python-env-only": (
        "ML601 (azureml-online, azureml-batch): a sklearn model with python_env.yaml and requirements.txt only",
        "deleted conda.yaml and the `conda:` line of the pyfunc env", _python_env_only),
    "ml602-records-payload": (
        "ML602 (azureml-online): the stored serving payload in records orientation, which MLflow accepts",
        "rewrote serving_input_example.json as `dataframe_records` of the same rows", _records_payload),
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
            mlflow.sklearn.save_model(classifier, str(model), input_example=FRAME.head(2))
        apply(model)
        case = {"description": description, "edit": edit, "built_with": {"mlflow": mlflow.__version__},
                "verdict": _verdict(model)}
        (model / "CASE.json").write_text(json.dumps(case, indent=2) + "\n", encoding="utf-8")
        print(f"target models: {name}: {case['verdict']}", flush=True)
