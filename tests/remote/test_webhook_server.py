"""`modellint webhook` against a real MLflow tracking server (see conftest): the server's own signed
deliveries get each new version linted and tagged; forged, replayed and malformed ones change
nothing and leave the gate serving."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest

from modellint import __version__
from modellint.remote.registry import knowledge_version
from tests.remote.conftest import BROKEN_CASE, CLEAN_CASE, register
from tests.remote.webhook_gate import Gate, payload, post, signed, start_gate, wait_for

pytestmark = pytest.mark.slow  # a real `mlflow server` and a real `modellint webhook`

SECRET = "test-secret-" + uuid.uuid4().hex
_LINT_TIMEOUT = 120  # a version's lint imports nothing new, but two busy cores are slow
_CACHE_TTL = 1.5  # the tracking server's webhook list is cached for MLFLOW_WEBHOOK_CACHE_TTL (1 s here)


@pytest.fixture(scope="module")
def gate(mlflow_server, tmp_path_factory) -> Gate:
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    running = start_gate(mlflow_server.uri, SECRET, tmp_path_factory.mktemp("webhook-gate"))
    yield running
    code = running.stop()
    assert code == 143, running.stderr()  # SIGTERM: shut down cleanly, then the CLI's exit code for it


@pytest.fixture
def hooked(mlflow_server, gate):
    """The webhook registered on the tracking server for as long as one test runs."""
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server.uri)
    webhook = client.create_webhook(name=f"modellint-{uuid.uuid4().hex[:8]}", url=gate.url, secret=SECRET,
                                    events=["model_version.created", "model_version_alias.created"])
    yield client
    client.delete_webhook(webhook.webhook_id)
    time.sleep(_CACHE_TTL)  # no delivery to it from a version another test registers next


def _register(server, case: str, name: str) -> str:
    return register(server.uri, case, name)[1].version


def _tags(server, name: str, version: str = "1") -> dict[str, str]:
    from mlflow import MlflowClient

    tags = MlflowClient(server.uri).get_model_version(name, version).tags
    return {key: value for key, value in tags.items() if key.startswith("modellint.")}


def _tagged(server, name: str) -> dict[str, str]:
    """The version's tags once all are written (one request each, the knowledge base's last)."""
    tags = _tags(server, name)
    return tags if "modellint.knowledge" in tags else {}


def _verdict(status: str, errors: int) -> dict[str, str]:
    return {"modellint.status": status, "modellint.errors": str(errors), "modellint.warnings": "0",
            "modellint.version": __version__, "modellint.knowledge": knowledge_version()}


def _unique(stem: str) -> str:
    return f"w-{stem}-{uuid.uuid4().hex[:6]}"  # never matched by the registry tests' `[bc]*`


def test_mlflow_deliveries_get_each_new_version_linted_and_tagged(mlflow_server, gate, hooked):
    broken, clean = _unique("broken"), _unique("clean")
    assert _register(mlflow_server, BROKEN_CASE, broken) == "1"
    assert _register(mlflow_server, CLEAN_CASE, clean) == "1"
    wait_for(lambda: _tagged(mlflow_server, broken) and _tagged(mlflow_server, clean), _LINT_TIMEOUT,
             f"the tags of {broken}/1 and {clean}/1:\n{gate.stderr()}")
    assert _tags(mlflow_server, broken) == _verdict("fail", 2)
    assert _tags(mlflow_server, clean) == _verdict("pass", 0)
    log = gate.stderr()
    assert f"modellint: webhook: {broken}/1: queued (model_version.created)" in log
    assert f"modellint: webhook: {broken}/1: tagged modellint.status=fail (2 errors, 0 warnings)" in log
    assert f"modellint: webhook: {clean}/1: tagged modellint.status=pass (0 errors, 0 warnings)" in log
    # The report of each lint is the server's stdout, as `check` prints it.
    assert f"models:/{broken}/1/requirements.txt:3:1: ML104" in gate.out.read_text()


def test_an_alias_moved_onto_an_untagged_version_gets_it_linted(mlflow_server, gate, hooked):
    name = _unique("alias")
    _register(mlflow_server, CLEAN_CASE, name)
    wait_for(lambda: _tagged(mlflow_server, name), _LINT_TIMEOUT, f"the tags of {name}/1:\n{gate.stderr()}")
    for key in _tags(mlflow_server, name):  # as if modellint had never seen it
        hooked.delete_model_version_tag(name, "1", key)
    hooked.set_registered_model_alias(name, "champion", "1")
    wait_for(lambda: f"{name}/1: queued (model_version_alias.created)" in gate.stderr(), _LINT_TIMEOUT,
             f"the alias delivery:\n{gate.stderr()}")
    wait_for(lambda: _tagged(mlflow_server, name), _LINT_TIMEOUT, f"the new tags of {name}/1:\n{gate.stderr()}")
    assert _tags(mlflow_server, name) == _verdict("pass", 0)


def test_a_version_tagged_already_is_not_linted_again(mlflow_server, gate, hooked):
    name = _unique("again")
    _register(mlflow_server, BROKEN_CASE, name)
    wait_for(lambda: _tagged(mlflow_server, name), _LINT_TIMEOUT, f"the tags of {name}/1:\n{gate.stderr()}")
    hooked.set_registered_model_alias(name, "champion", "1")
    wait_for(lambda: f"{name}/1: skipped, already tagged modellint.status=fail" in gate.stderr(), _LINT_TIMEOUT,
             f"the skip:\n{gate.stderr()}")


def test_forged_deliveries_are_refused_and_change_nothing(mlflow_server, gate):
    untouched, witness = _unique("untouched"), _unique("witness")
    _register(mlflow_server, BROKEN_CASE, untouched)
    _register(mlflow_server, CLEAN_CASE, witness)
    body = payload("model_version", "created", {"name": untouched, "version": "1"})
    good = signed(SECRET, body)
    forgeries = [
        {**good, "X-MLflow-Signature": signed("another secret", body)["X-MLflow-Signature"]},  # wrong secret
        {key: value for key, value in good.items() if key != "X-MLflow-Signature"},  # unsigned
        {**good, "X-MLflow-Signature": "v1,"},
        signed(SECRET, body, timestamp=int(time.time()) - 3600),  # stale: signed an hour ago
        signed(SECRET, body, timestamp=int(time.time()) + 3600),  # from the future
        {**good, "X-MLflow-Timestamp": str(int(good["X-MLflow-Timestamp"]) - 1)},  # signed for another time
    ]
    for headers in forgeries:
        assert post(gate.url, body, headers)[0] == 401
    tampered = payload("model_version", "created", {"name": witness, "version": "1"})
    assert post(gate.url, tampered, good)[0] == 401  # a good signature over another body
    assert f"{untouched}/1: queued" not in gate.stderr()
    # A genuine delivery after them is linted: the worker takes versions in order, so had any
    # forgery been queued, its version would be tagged by the time the witness is.
    assert post(gate.url, tampered, signed(SECRET, tampered))[0] == 202
    wait_for(lambda: _tagged(mlflow_server, witness), _LINT_TIMEOUT, f"the tags of {witness}/1:\n{gate.stderr()}")
    assert _tags(mlflow_server, untouched) == {}
    assert "401 to 127.0.0.1: the signature does not match the secret" in gate.stderr()


def test_a_replayed_delivery_is_refused(mlflow_server, gate):
    name = _unique("replayed")
    _register(mlflow_server, CLEAN_CASE, name)
    body = payload("model_version", "created", {"name": name, "version": "1"})
    headers = signed(SECRET, body)
    assert post(gate.url, body, headers)[0] == 202
    wait_for(lambda: _tagged(mlflow_server, name), _LINT_TIMEOUT, f"the tags of {name}/1:\n{gate.stderr()}")
    status, answer = post(gate.url, body, headers)
    assert status == 401 and answer["message"] == "replayed: this delivery id was accepted before"


def test_a_malformed_payload_is_400_and_the_gate_still_serves(mlflow_server, gate):
    name = _unique("after-malformed")
    _register(mlflow_server, CLEAN_CASE, name)
    for body in (b"{not json", b"[]", b'{"entity": "model_version", "action": "created", "data": {"name": 3}}',
                 b'{"entity": "model_version", "action": "created", "data": {"name": "x", "version": "../1"}}',
                 b"[" * 100_000):
        status, _ = post(gate.url, body, signed(SECRET, body))
        assert status == 400
    # An event the gate does not lint for is acknowledged, not refused.
    other = payload("registered_model", "created", {"name": name, "tags": {}, "description": None})
    assert post(gate.url, other, signed(SECRET, other))[0] == 200
    body = payload("model_version", "created", {"name": name, "version": "1"})
    assert post(gate.url, body, signed(SECRET, body))[0] == 202
    wait_for(lambda: _tagged(mlflow_server, name), _LINT_TIMEOUT, f"the tags of {name}/1:\n{gate.stderr()}")
    assert gate.process.poll() is None


def test_a_version_the_registry_does_not_have_is_one_line(mlflow_server, gate):
    body = payload("model_version", "created", {"name": _unique("nobody"), "version": "7"})
    assert post(gate.url, body, signed(SECRET, body))[0] == 202
    wait_for(lambda: "/7: not linted: the registry could not read it" in gate.stderr(), _LINT_TIMEOUT,
             f"the failure line:\n{gate.stderr()}")
    assert "Traceback" not in gate.stderr() and gate.process.poll() is None


def test_ctrl_c_stops_the_gate_cleanly(mlflow_server, tmp_path: Path):
    pytest.importorskip("starlette")
    running = start_gate(mlflow_server.uri, SECRET, tmp_path)
    assert running.stop(signal.SIGINT) == 130
    assert running.stderr().rstrip().endswith("modellint: interrupted")
    assert "Traceback" not in running.stderr()
