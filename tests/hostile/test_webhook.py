"""`modellint webhook` is on the network: whoever reaches its port is hostile until a delivery is
signed. A huge body, a body that never ends, a body dripped byte by byte and a flood of forged
deliveries are answered (413, 408, 401, or uvicorn's 503 over the connection limit) within a
bounded time and memory, before any of them is verified, parsed or linted; the gate still serves
a genuine delivery after them."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from modellint.remote.webhook import MAX_BODY, REFUSALS_LOGGED
from tests.remote.webhook_gate import Gate, payload, post, signed, start_gate

pytestmark = pytest.mark.slow  # one real `modellint webhook` (it imports MLflow's client)

SECRET = "hostile-test-secret"
_MEMORY = 300 * 2**20  # the gate's peak RSS: MLflow's client is most of it


@pytest.fixture(scope="module")
def gate(tmp_path_factory) -> Gate:
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    pytest.importorskip("mlflow")
    # Nothing listens on the discard port: a version that gets through is "could not read it".
    running = start_gate("http://127.0.0.1:9", SECRET, tmp_path_factory.mktemp("hostile-gate"))
    yield running
    assert running.stop() == 143, running.stderr()
    assert "Traceback" not in running.stderr()


def _address(gate: Gate) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(gate.url)
    return parsed.hostname or "", parsed.port or 0


def _peak_rss(gate: Gate) -> int:
    for line in Path(f"/proc/{gate.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _still_serves(gate: Gate) -> None:
    body = payload("model_version", "created", {"name": f"after-{time.monotonic_ns()}", "version": "1"})
    assert post(gate.url, body, signed(SECRET, body))[0] == 202
    assert gate.process.poll() is None


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


def test_a_declared_gigabyte_is_refused_before_a_byte_of_it_is_read(gate):
    started = time.monotonic()
    connection = http.client.HTTPConnection(*_address(gate), timeout=20)
    connection.putrequest("POST", "/webhook")
    connection.putheader("Content-Length", str(2**30))
    connection.endheaders()  # and no body at all
    assert connection.getresponse().status == 413
    assert time.monotonic() - started < 10
    _still_serves(gate)


def test_an_endless_body_is_cut_at_the_limit(gate):
    with socket.create_connection(_address(gate), timeout=20) as connection:
        connection.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (65536, b"{" * 65536)
        sent = 0
        response = b""
        try:
            while sent < 64 * MAX_BODY and not response:
                connection.sendall(chunk)
                sent += 65536
                connection.setblocking(False)
                try:
                    response = connection.recv(4096)
                except BlockingIOError:
                    pass
                connection.setblocking(True)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gate stopped reading: it answered and closed
        if not response:
            connection.settimeout(20)
            response = connection.recv(4096)
    assert _status(response) == 413
    # Answered long before the end of what was to be sent (what was sent past the limit is the
    # kernel's socket buffers, never the gate's memory: its peak RSS below says so).
    assert sent < 64 * MAX_BODY
    assert _peak_rss(gate) < _MEMORY
    _still_serves(gate)


def test_a_dripped_body_times_out(gate):
    with socket.create_connection(_address(gate), timeout=30) as connection:
        connection.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        started = time.monotonic()
        response = b""
        connection.settimeout(0.5)
        while not response and time.monotonic() - started < 25:
            try:
                connection.sendall(b"{")
                response = connection.recv(4096)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
    assert _status(response) == 408
    assert 9 < time.monotonic() - started < 25  # the body timeout is 10 s
    _still_serves(gate)


def test_a_flood_of_forged_deliveries_is_refused_and_bounded(gate):
    body = payload("model_version", "created", {"name": "flood", "version": "1"})
    forged = {**signed("not the secret", body)}
    padded = b" " * (MAX_BODY - len(body) - 10) + body  # each near the limit: the most memory a request may hold

    def send(number: int) -> int:
        return post(gate.url, padded if number % 2 else body, forged, timeout=60)[0]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=96) as pool:
        statuses = list(pool.map(send, range(600)))
    assert set(statuses) <= {401, 503}, sorted(set(statuses))
    assert 401 in statuses  # uvicorn's connection limit answers 503 to what comes over it
    assert time.monotonic() - started < 120
    assert "flood/1: queued" not in gate.stderr()
    # One line per refusal, but no more than so many a minute: the flood does not fill the disk.
    logged = sum(": 401 to " in line or ": 413 to " in line or ": 408 to " in line
                 for line in gate.stderr().splitlines())
    minutes = int((time.monotonic() - gate.started) // 60) + 1
    assert 0 < logged <= REFUSALS_LOGGED * minutes
    assert _peak_rss(gate) < _MEMORY
    _still_serves(gate)


def test_many_connections_that_send_nothing_do_not_stop_a_genuine_delivery(gate):
    idle = []
    try:
        for _ in range(200):
            idle.append(socket.create_connection(_address(gate), timeout=10))
        result: list[int] = []
        thread = threading.Thread(target=lambda: result.append(_genuine(gate)))
        thread.start()
        thread.join(60)
        assert result and result[0] in (202, 503)  # 503: uvicorn's connection limit, which MLflow retries
    finally:
        for connection in idle:
            connection.close()
    _still_serves(gate)


def _genuine(gate: Gate) -> int:
    body = payload("model_version", "created", {"name": f"idle-{time.monotonic_ns()}", "version": "1"})
    return post(gate.url, body, signed(SECRET, body))[0]
