"""`modellint webhook` without a tracking server: the verifier (against MLflow's own signing), the
payloads it accepts, the queue, and the application served by uvicorn in this process with a lint
the test controls (the real server's tests are in test_webhook_server.py)."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from modellint.cli import main
from modellint.remote.registry import Version
from modellint.remote.webhook import LintQueue, Malformed, Worker, _Throttle, create_app, parse_event
from modellint.remote.webhook_signature import MAX_SEEN, Rejected, Verifier, signature
from tests.remote.webhook_gate import payload, post

SECRET = "s3cret"
NOW = 1_765_000_000


def _headers(body: bytes, *, secret: str = SECRET, delivery_id: str = "d-1", timestamp: int = NOW) -> dict[str, str]:
    stamp = str(timestamp)
    return {"x-mlflow-delivery-id": delivery_id, "x-mlflow-timestamp": stamp,
            "x-mlflow-signature": signature(secret.encode(), delivery_id, stamp, body)}


def _verifier(clock=lambda: NOW, **options) -> Verifier:
    return Verifier(SECRET, clock=clock, **options)


# The verifier


def test_the_signature_is_mlflows():
    delivery = pytest.importorskip("mlflow.webhooks.delivery")
    body = payload("model_version", "created", {"name": "fraud", "version": "3"})
    assert signature(SECRET.encode(), "id-7", "1765000000", body) == delivery._generate_hmac_signature(
        SECRET, "id-7", "1765000000", body.decode())
    # A fixed vector, so that the scheme is pinned without MLflow too:
    # printf 'id.1.{}' | openssl dgst -sha256 -hmac key -binary | base64
    assert signature(b"key", "id", "1", b"{}") == "v1,5PVmP2AfJGwnp9flV+flrzfukNWA9zyUdqvI+IQalVs="


def test_a_signed_timely_delivery_is_accepted_once():
    verifier = _verifier()
    body = b'{"a": 1}'
    delivery = verifier.verify(_headers(body), body)
    assert (delivery.delivery_id, delivery.timestamp) == ("d-1", NOW)
    verifier.admit(delivery)
    with pytest.raises(Rejected, match="replayed"):
        verifier.verify(_headers(body), body)
    # Not admitted (the server answered 503): MLflow's retry, with the same id, passes.
    other = verifier.verify(_headers(body, delivery_id="d-2"), body)
    assert verifier.verify(_headers(body, delivery_id="d-2"), body) == other


@pytest.mark.parametrize(("change", "reason"), [
    (lambda h: h.pop("x-mlflow-signature"), "unsigned"),
    (lambda h: h.update({"x-mlflow-signature": ""}), "unsigned"),
    (lambda h: h.update({"x-mlflow-signature": "v1,AAAA"}), "does not match"),
    (lambda h: h.update({"x-mlflow-signature": h["x-mlflow-signature"].replace("v1,", "v2,")}), "does not match"),
    (lambda h: h.update({"x-mlflow-signature": " ".join(["v1,AAAA"] * 9)}), "too many"),
    (lambda h: h.pop("x-mlflow-delivery-id"), "Delivery-Id"),
    (lambda h: h.update({"x-mlflow-delivery-id": "a b"}), "Delivery-Id"),
    (lambda h: h.update({"x-mlflow-delivery-id": "x" * 129}), "Delivery-Id"),
    (lambda h: h.pop("x-mlflow-timestamp"), "Timestamp"),
    (lambda h: h.update({"x-mlflow-timestamp": "-5"}), "Timestamp"),
    (lambda h: h.update({"x-mlflow-timestamp": "١٢٣"}), "Timestamp"),  # digits, but not ASCII ones
    (lambda h: h.update({"x-mlflow-timestamp": str(NOW + 1)}), "does not match"),  # signed for another time
])
def test_unsigned_forged_and_garbled_deliveries_are_rejected(change, reason):
    body = b'{"a": 1}'
    headers = _headers(body)
    change(headers)
    with pytest.raises(Rejected, match=reason):
        _verifier().verify(headers, body)


def test_a_good_signature_among_several_is_enough():
    body = b"{}"
    good = _headers(body)["x-mlflow-signature"]
    headers = {**_headers(body), "x-mlflow-signature": f"v1,AAAA {good}"}
    assert _verifier().verify(headers, body).delivery_id == "d-1"


def test_the_body_is_signed():
    with pytest.raises(Rejected, match="does not match"):
        _verifier().verify(_headers(b'{"version": "1"}'), b'{"version": "2"}')


@pytest.mark.parametrize(("offset", "accepted"), [(-300, True), (300, True), (-301, False), (301, False)])
def test_the_timestamp_must_be_within_five_minutes_either_way(offset, accepted):
    body = b"{}"
    verifier = _verifier(clock=lambda: NOW - offset)  # the delivery is `offset` seconds from now
    if accepted:
        verifier.verify(_headers(body), body)
    else:
        with pytest.raises(Rejected, match="off this server's clock"):
            verifier.verify(_headers(body), body)


def test_remembered_ids_are_bounded_and_forgotten_once_stale():
    clock = [float(NOW)]
    verifier = _verifier(clock=lambda: clock[0], max_seen=3)
    for number in range(3):
        body = b"{}"
        verifier.admit(verifier.verify(_headers(body, delivery_id=f"d{number}"), body))
    assert not verifier.has_room()
    with pytest.raises(Rejected, match="too many deliveries"):
        verifier.admit(verifier.verify(_headers(b"{}", delivery_id="d3"), b"{}"))
    clock[0] += 301  # their timestamps are out of the window now: a replay is refused for that
    assert verifier.has_room()
    with pytest.raises(Rejected, match="off this server's clock"):
        verifier.verify(_headers(b"{}", delivery_id="d0"), b"{}")
    assert MAX_SEEN == 10_000


def test_an_empty_secret_is_refused():
    with pytest.raises(ValueError, match="empty"):
        Verifier("")


# Payloads


def test_the_events_that_name_a_version():
    created = payload("model_version", "created", {"name": "fraud", "version": "3", "source": "models:/m-1",
                                                     "run_id": None, "tags": {}, "description": None})
    assert parse_event(created) == ("model_version.created", Version("fraud", "3"))
    alias = payload("model_version_alias", "created", {"name": "fraud", "alias": "champion", "version": "4"})
    assert parse_event(alias) == ("model_version_alias.created", Version("fraud", "4"))
    tag = payload("model_version_tag", "set", {"name": "fraud", "version": "3", "key": "modellint.status",
                                                "value": "pass"})
    assert parse_event(tag) == ("model_version_tag.set", None)  # our own tags never queue a lint


@pytest.mark.parametrize("body", [
    b"", b"{", b"null", b"[]", b'"x"', b"[" * 50_000, b"\xff\xfe",
    b'{"entity": "model_version", "action": "created"}',
    b'{"entity": 1, "action": "created", "data": {}}',
    b'{"entity": "model_version", "action": "created", "data": []}',
    b'{"entity": "model_version", "action": "created", "data": {"version": "1"}}',
    b'{"entity": "model_version", "action": "created", "data": {"name": "", "version": "1"}}',
    b'{"entity": "model_version", "action": "created", "data": {"name": "a\\u0000b", "version": "1"}}',
    b'{"entity": "model_version", "action": "created", "data": {"name": "a", "version": 1}}',
    b'{"entity": "model_version", "action": "created", "data": {"name": "a", "version": "1/../2"}}',
    b'{"entity": "model_version", "action": "created", "data": {"name": "a", "version": "\\u0661"}}',
])
def test_malformed_payloads(body):
    with pytest.raises(Malformed):
        parse_event(body)


# The queue


def test_the_queue_takes_each_version_once_and_holds_at_most_its_capacity():
    queue = LintQueue(2)
    first, second, third = Version("a", "1"), Version("a", "2"), Version("b", "1")
    assert [queue.offer(job) for job in (first, first, second, third)] == [
        LintQueue.QUEUED, LintQueue.ALREADY, LintQueue.QUEUED, LintQueue.FULL]
    assert queue.take() == first
    assert queue.offer(first) == LintQueue.ALREADY  # being linted: its lint would find the same
    assert queue.offer(third) == LintQueue.QUEUED
    queue.done(first)
    assert queue.offer(first) == LintQueue.FULL
    assert queue.close() == [second, third]
    assert queue.take() is None and queue.offer(first) == LintQueue.CLOSED


def test_a_failing_lint_is_one_line_and_the_worker_carries_on(capsys):
    linted = []
    finished = threading.Event()

    def lint(job: Version) -> None:
        if job.name == "bad":
            raise RuntimeError("the store\nwent away")
        linted.append(job)
        finished.set()

    queue = LintQueue(5)
    worker = Worker(queue, lint)
    worker.start()
    queue.offer(Version("bad", "1"))
    queue.offer(Version("good", "1"))
    assert finished.wait(10)
    worker.stop(wait=5)
    assert linted == [Version("good", "1")]
    assert capsys.readouterr().err == "modellint: webhook: bad/1: not linted: the store\n"


def test_refusals_are_logged_at_most_so_many_a_period(capsys):
    clock = [0.0]
    throttle = _Throttle(2, 60.0, clock=lambda: clock[0])
    for number in range(5):
        throttle.say(f"refused {number}")
    clock[0] = 61.0
    throttle.say("refused 5")
    assert capsys.readouterr().err.splitlines() == [
        "modellint: webhook: refused 0", "modellint: webhook: refused 1",
        "modellint: webhook: 3 more refused deliveries were not logged in the last 60 s",
        "modellint: webhook: refused 5"]


# The application, served by uvicorn


@contextmanager
def _served(app) -> Iterator[str]:
    import uvicorn

    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/webhook"
    finally:
        server.should_exit = True
        thread.join(20)
        listener.close()


@pytest.fixture
def blocked_gate():
    """The app over a queue of one, with a worker whose lint waits for ``release``."""
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    started, release = threading.Event(), threading.Event()
    linted: list[Version] = []

    def lint(job: Version) -> None:
        started.set()
        release.wait(30)
        linted.append(job)

    queue = LintQueue(1)
    worker = Worker(queue, lint)
    worker.start()
    with _served(create_app(Verifier(SECRET), queue, max_body=4096)) as url:
        yield url, started, release, linted
    release.set()
    worker.stop(wait=10)


def _deliver(url: str, name: str, version: str = "1", **signing) -> tuple[int, dict]:
    body = payload("model_version", "created", {"name": name, "version": version})
    return post(url, body, {"Content-Type": "application/json",
                            **_headers(body, timestamp=int(time.time()), **signing)})


def _fresh() -> str:
    return f"d-{time.monotonic_ns()}"


def test_a_full_queue_is_503_and_its_retry_is_taken_later(blocked_gate):
    url, started, release, linted = blocked_gate
    assert _deliver(url, "a", delivery_id=_fresh())[0] == 202
    assert started.wait(10)  # the worker holds a/1
    assert _deliver(url, "b", delivery_id=_fresh()) == (202, {"status": 202, "message": "b/1: queued"})
    retried = _fresh()
    status, answer = _deliver(url, "c", delivery_id=retried)
    assert status == 503 and answer["message"] == "c/1: not queued: the queue is full: retry later"
    # One lint per version: a/1 is being linted, b/1 waits; neither is queued twice.
    assert _deliver(url, "a", delivery_id=_fresh()) == (202, {"status": 202, "message": "a/1: already queued"})
    assert _deliver(url, "b", delivery_id=_fresh()) == (202, {"status": 202, "message": "b/1: already queued"})
    release.set()
    deadline = time.monotonic() + 10
    while len(linted) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    # MLflow retries a 503 with the same delivery id: it was not remembered, so it is taken now.
    assert _deliver(url, "c", delivery_id=retried)[0] == 202


def test_answers_to_what_is_not_a_good_delivery(blocked_gate):
    url = blocked_gate[0]
    assert _deliver(url, "a", secret="wrong", delivery_id=_fresh())[0] == 401
    assert post(url, b"{}", {"Content-Type": "application/json"})[0] == 401
    over = b"x" * 5000
    status, answer = post(url, over, _headers(over, timestamp=int(time.time())))
    assert (status, answer["message"]) == (413, "the body is over 4096 bytes")
    malformed = b'{"entity": "model_version"}'
    status, answer = post(url, malformed, _headers(malformed, delivery_id=_fresh(), timestamp=int(time.time())))
    assert (status, answer["message"]) == (400, "the body has no `entity`, `action` and `data`")
    delivery_id = _fresh()
    assert _deliver(url, "a", delivery_id=delivery_id)[0] == 202
    assert _deliver(url, "a", delivery_id=delivery_id) == (
        401, {"status": 401, "message": "replayed: this delivery id was accepted before"})
    import urllib.request

    with urllib.request.urlopen(url.replace("/webhook", "/health"), timeout=10) as response:
        assert json.loads(response.read()) == {"status": "ok"}


# The command's arguments


@pytest.mark.parametrize(("arguments", "environment", "message"), [
    ((), {}, "set the environment variable MODELLINT_WEBHOOK_SECRET"),
    (("--secret-env", "MY_SECRET"), {"MY_SECRET": ""}, "set the environment variable MY_SECRET"),
    (("--max-queue", "0"), {"MODELLINT_WEBHOOK_SECRET": "s"}, "--max-queue must be at least 1"),
    (("--port", "70000"), {"MODELLINT_WEBHOOK_SECRET": "s"}, "--port must be between 0 and 65535"),
    (("--fix",), {"MODELLINT_WEBHOOK_SECRET": "s"}, "--fix and --diff do not go with it"),
    (("--select", "NOPE999"), {"MODELLINT_WEBHOOK_SECRET": "s"}, "NOPE999"),
    (("--tracking-uri", ""), {"MODELLINT_WEBHOOK_SECRET": "s"}, "name it with --tracking-uri URI or MLFLOW_TRACKING_URI"),
])
def test_the_command_refuses_to_start_without_what_it_needs(monkeypatch, capsys, arguments, environment, message):
    pytest.importorskip("uvicorn")
    monkeypatch.delenv("MODELLINT_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert main(["webhook", "--isolated", "--tracking-uri", "http://127.0.0.1:9", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("modellint: error: ") and message in err


def test_the_secret_is_never_a_command_line_value(capsys):
    assert main(["webhook", "--secret", "s"]) == 2  # not an abbreviation of --secret-env
    assert "unrecognized arguments: --secret s" in capsys.readouterr().err
    assert main(["webhook", "--secret-env", "hunter2!"]) == 2
    err = capsys.readouterr().err
    assert "--secret-env takes the name of the environment variable" in err and "hunter2" not in err


def test_without_the_extra_the_command_names_it(monkeypatch, capsys):
    monkeypatch.setenv("MODELLINT_WEBHOOK_SECRET", "s")
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed: its import raises ImportError
    assert main(["webhook", "--isolated", "--tracking-uri", "http://127.0.0.1:9"]) == 2
    assert capsys.readouterr().err == ("modellint: error: the webhook server needs Starlette and uvicorn: "
                                       "pip install 'modellint[webhook]'\n")
