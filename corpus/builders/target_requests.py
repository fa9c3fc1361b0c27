"""Deployment-target requests: what real MLflow says of the requests `modellint request` writes.

Run inside the MLflow 3.x venv by ``corpus/build.py`` (``build(corpus_dir)``), with
``$MODELLINT_LINTER_PYTHON`` an interpreter that runs this repository's modellint. For every corpus
model dir whose MLmodel has a signature (``corpus/models/*``, ``corpus/signatures/*``,
``corpus/targets/models/*``), it writes ``CORPUS_DIR/targets/requests/<folder>__<case>/`` (the folder's
``/`` written ``-``):

* ``mlflow-serve.json`` and ``azureml-online.json``: the requests ``modellint request --target``
  wrote (absent when it wrote none; ``verdict.json`` then holds its error);
* ``verdict.json``: whether the model loads here (``mlflow.pyfunc.load_model``), and MLflow's own
  verdict, ``mlflow.models.validate_serving_input``, on the mlflow-serve request and on the payload
  the Azure request unwraps to (``input_data`` around a split frame is a ``dataframe_split``
  payload, around anything else an ``inputs`` one, as Azure's docs pair them).

A model that does not load here (a broken corpus case) gets no payload verdict: validation would
fail on the load, which says nothing about the request. ``stored_example`` is MLflow's verdict on
the model's own ``serving_input_example.json``: a model that fails on a request the same way it
fails on the example MLflow wrote for it (code it cannot import) is broken, whatever the request.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import mlflow
import yaml
from mlflow.models import validate_serving_input

TARGETS = ("mlflow-serve", "azureml-online")
SOURCES = ("models", "signatures", "targets/models")


def _has_signature(model: Path) -> bool:
    try:
        data = yaml.safe_load((model / "MLmodel").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and data.get("signature") is not None


def _modellint_request(repo: Path, model: Path, target: str) -> tuple[dict[str, Any] | None, str]:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    completed = subprocess.run([os.environ["MODELLINT_LINTER_PYTHON"], "-m", "modellint", "request", "--target", target,
                                str(model)], capture_output=True, text=True, env=env, cwd=repo)
    if completed.returncode != 0:
        return None, completed.stderr.strip()
    return json.loads(completed.stdout), completed.stderr.strip()


def _unwrap_azure(request: dict[str, Any]) -> dict[str, Any]:
    data = request["input_data"]
    if isinstance(data, dict) and "columns" in data and "data" in data:
        return {"dataframe_split": data}
    return {"inputs": data}


def _mlflow_verdict(model: Path, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            validate_serving_input(str(model), json.dumps(payload))
    except Exception as error:  # noqa: BLE001 - MLflow's verdict, whatever it raises
        return {"valid": False, "error": f"{type(error).__name__}: {error}"[:500]}
    return {"valid": True}


def _loads(model: Path) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mlflow.pyfunc.load_model(str(model))
    except Exception as error:  # noqa: BLE001
        return {"loads": False, "error": f"{type(error).__name__}: {error}"[:500]}
    return {"loads": True}


def build(corpus_dir: Path) -> None:
    repo = corpus_dir.parent
    out = corpus_dir / "targets" / "requests"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for source in SOURCES:
        for model in sorted((corpus_dir / source).glob("*/MLmodel")):
            model = model.parent
            if not _has_signature(model):
                continue
            case = out / f"{source.replace('/', '-')}__{model.name}"
            case.mkdir()
            verdict: dict[str, Any] = {"model": f"{source}/{model.name}", "mlflow_version": mlflow.__version__,
                                       **_loads(model), "requests": {}}
            stored = model / "serving_input_example.json"
            if verdict["loads"] and stored.is_file():
                verdict["stored_example"] = _mlflow_verdict(model, json.loads(stored.read_text(encoding="utf-8")))
            for target in TARGETS:
                request, notes = _modellint_request(repo, model, target)
                entry: dict[str, Any] = {"modellint": notes}
                if request is not None:
                    (case / f"{target}.json").write_text(json.dumps(request, indent=2) + "\n", encoding="utf-8")
                    if verdict["loads"]:
                        payload = _unwrap_azure(request) if target == "azureml-online" else request
                        entry["mlflow"] = _mlflow_verdict(model, payload)
                verdict["requests"][target] = entry
            (case / "verdict.json").write_text(json.dumps(verdict, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            print(f"targets: {case.name}: {json.dumps(verdict['requests'])[:200]}", flush=True)
