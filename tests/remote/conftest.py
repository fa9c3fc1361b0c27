"""A real ``mlflow server`` for the model-URI tests: SQLite backend store and local artifact root
in a temporary folder, on a free loopback port, started once per session and stopped after it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

CORPUS = REPO / "corpus" / "models"
BROKEN_CASE = "ml104-not-pep508"  # two ML104 errors, with fixes
CLEAN_CASE = "sklearn-cloudpickle"  # clean, and its model.pkl is a pickle the scanner reads
LONE_PICKLE = REPO / "tests" / "data" / "pickles" / "by_value_load_eval.pkl"  # ML302: eval run by __setstate__
# The server delivers webhooks to `modellint webhook` on loopback over plain http (by default it
# delivers to public https URLs only), and reads its webhook list afresh for each event.
WEBHOOK_DELIVERY = {"MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true", "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
                    "MLFLOW_WEBHOOK_CACHE_TTL": "1"}
_START_TIMEOUT = 180  # the first start migrates the SQLite store: ~20 s on two busy cores


class Server:
    def __init__(self, uri: str) -> None:
        self.uri = uri
        # registered name -> (corpus case, run id, the version's source: an mlflow-artifacts:/ URI)
        self.models: dict[str, tuple[str, str, str]] = {}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(uri: str) -> bool:
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    pytest.importorskip("mlflow")
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    uri = f"http://127.0.0.1:{port}"
    log = open(root / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
         "--artifacts-destination", str(root / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True,  # its own group: uvicorn is a child
        env={**os.environ, **WEBHOOK_DELIVERY},
    )
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not _answers(uri):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start:\n{(root / 'server.log').read_text()[-3000:]}")
            time.sleep(0.25)
        server = Server(uri)
        _register(server)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _register(server: Server) -> None:
    """Log the broken and the clean corpus model as run artifacts, register each as version 1 of
    its own model with the alias ``champion``: what a team's training job does with MLflow."""
    from mlflow import MlflowClient

    client = MlflowClient(server.uri)
    for case, name in ((BROKEN_CASE, "broken"), (CLEAN_CASE, "clean")):
        run_id, version = register(server.uri, case, name)
        client.set_registered_model_alias(name, "champion", version.version)
        server.models[name] = (case, run_id, version.source)


def register(server_uri: str, case: str, name: str) -> tuple[str, Any]:
    """Log a corpus model as a run's ``model`` artifact (a lone pickle beside it, under ``extras``)
    and register it as the next version of ``name``: its run id and MLflow's ModelVersion."""
    import mlflow

    mlflow.set_tracking_uri(server_uri)
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(CORPUS / case), "model")
        mlflow.log_artifact(str(LONE_PICKLE), "extras")  # beside the model: a lone file to name by URI
    return run.info.run_id, mlflow.register_model(f"runs:/{run.info.run_id}/model", name)


def corpus_dir(case: str) -> Path:
    return CORPUS / case
