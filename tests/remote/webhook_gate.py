"""`modellint webhook` as the tests run it: the real CLI in a subprocess on a free loopback port,
and deliveries signed as MLflow signs them (with MLflow's own function)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.conftest import REPO

SECRET_ENV = "MODELLINT_TEST_WEBHOOK_SECRET"
_LISTENING = re.compile(r"listening on (http://[^ ]+/webhook)")
_START_TIMEOUT = 120  # importing MLflow's client on two busy cores


class Gate:
    """A running ``modellint webhook``: its URL, its stderr so far, and how to stop it."""

    def __init__(self, process: subprocess.Popen, url: str, log: Path, out: Path) -> None:
        self.process = process
        self.url = url
        self.log = log
        self.out = out
        self.started = time.monotonic()

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def start_gate(tracking_uri: str, secret: str, folder: Path, *arguments: str) -> Gate:
    folder.mkdir(parents=True, exist_ok=True)
    log, out = folder / "stderr.log", folder / "stdout.log"
    env = {**os.environ, SECRET_ENV: secret, "PYTHONPATH": str(REPO)}
    with open(log, "wb") as err_file, open(out, "wb") as out_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "modellint", "webhook", "--tracking-uri", tracking_uri, "--host", "127.0.0.1",
             "--port", "0", "--secret-env", SECRET_ENV, "--isolated", "--format", "concise", *arguments],
            stdout=out_file, stderr=err_file, cwd=folder, env=env)
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        found = _LISTENING.search(log.read_text(errors="replace"))
        if found:
            return Gate(process, found.group(1), log, out)
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"modellint webhook did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


def payload(entity: str, action: str, data: dict) -> bytes:
    """A delivery's body as MLflow writes it (``json.dumps`` of entity, action, timestamp, data)."""
    return json.dumps({"entity": entity, "action": action, "timestamp": "2026-12-07T00:00:00+00:00",
                       "data": data}).encode()


def signed(secret: str, body: bytes, *, delivery_id: str | None = None, timestamp: int | None = None) -> dict[str, str]:
    """The headers MLflow sends with ``body``, signed by MLflow's own code."""
    from mlflow.webhooks.delivery import _generate_hmac_signature

    delivery_id = delivery_id or str(uuid.uuid4())
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": "application/json", "X-MLflow-Delivery-Id": delivery_id, "X-MLflow-Timestamp": stamp,
            "X-MLflow-Signature": _generate_hmac_signature(secret, delivery_id, stamp, body.decode())}


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = 30) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, {"text": text.decode(errors="replace")}


def wait_for(condition, timeout: float, what: str, interval: float = 0.25):
    """``condition()``'s first truthy value, polled until ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
