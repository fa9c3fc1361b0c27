"""``modellint webhook``: a registry gate that needs no cron.

MLflow's tracking server calls it on ``model_version.created`` and ``model_version_alias.created``;
each delivery is verified (:mod:`modellint.remote.webhook_signature`: signed with the shared
secret, timely, not replayed) before anything else is done with it, then the version it names is
queued. One worker thread lints the queued versions one at a time, exactly as ``modellint
registry --set-tags`` lints and tags them (:func:`modellint.remote.registry.lint_versions`), so
that the registry's UI shows the verdict. The queue is bounded (503 when full, which MLflow
retries), a version is queued once however many deliveries name it, and a delivery or a lint
that goes wrong is one line on stderr: the server carries on.

Starlette and uvicorn (the extra ``modellint[webhook]``) are imported when the server starts,
never by the rest of modellint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from modellint.remote.registry import Version
from modellint.remote.webhook_signature import Rejected, Verifier
from modellint.reports import printable

EXTRA = "modellint[webhook]"
DEFAULT_SECRET_ENV = "MODELLINT_WEBHOOK_SECRET"
DEFAULT_MAX_QUEUE = 100
MAX_BODY = 1024**2  # MLflow's payloads are a few hundred bytes; tags and a description fit many times over
BODY_TIMEOUT = 10.0  # seconds to receive a body: a sender that drips it holds a connection no longer
MAX_CONNECTIONS = 64  # uvicorn answers 503 above it: at most this many bodies are held at once
SHUTDOWN_WAIT = 60.0  # seconds the lint in flight may take to finish on SIGTERM or Ctrl-C
# Refusals logged per minute at most: a flood of forged deliveries must not fill the disk with its lines.
REFUSALS_LOGGED = 20
PATH = "/webhook"
# The events that name a version to lint: its creation, and an alias moved onto it.
EVENTS = frozenset({("model_version", "created"), ("model_version_alias", "created")})
_MAX_NAME = 1000  # longer than any name MLflow's registry accepts


class Malformed(Exception):
    """A signed delivery whose payload is not one MLflow sends."""


def parse_event(body: bytes) -> tuple[str, Version | None]:
    """The event (``entity.action``) a delivery reports and the version it names, or None for an
    event that names none to lint; :class:`Malformed` if the body is not MLflow's payload."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise Malformed("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise Malformed("the body is not a JSON object")
    entity, action, data = payload.get("entity"), payload.get("action"), payload.get("data")
    if not isinstance(entity, str) or not isinstance(action, str) or not isinstance(data, dict):
        raise Malformed("the body has no `entity`, `action` and `data`")
    event = f"{entity}.{action}"
    if (entity, action) not in EVENTS:
        return event, None
    name, version = data.get("name"), data.get("version")
    if not isinstance(name, str) or not name or len(name) > _MAX_NAME or "\x00" in name:
        raise Malformed(f"{event}: `data.name` is not a model name")
    if not isinstance(version, str) or not version.isascii() or not version.isdigit() or len(version) > 20:
        raise Malformed(f"{event}: `data.version` is not a model version number")
    return event, Version(name, version)


class LintQueue:
    """The versions waiting for the worker, at most ``capacity`` of them, each once; a version
    being linted is not queued again either (its lint would find the same)."""

    QUEUED, ALREADY, FULL, CLOSED = "queued", "already queued", "full", "closed"

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._waiting: deque[Version] = deque()
        self._pending: set[Version] = set()  # waiting or being linted
        self._ready = threading.Condition()
        self._closed = False

    def offer(self, job: Version) -> str:
        with self._ready:
            if self._closed:
                return self.CLOSED
            if job in self._pending:
                return self.ALREADY
            if len(self._waiting) >= self.capacity:
                return self.FULL
            self._waiting.append(job)
            self._pending.add(job)
            self._ready.notify()
            return self.QUEUED

    def take(self) -> Version | None:
        """The next version to lint (it stays pending until :meth:`done`); None once closed."""
        with self._ready:
            while not self._waiting and not self._closed:
                self._ready.wait()
            if self._closed:
                return None
            return self._waiting.popleft()

    def done(self, job: Version) -> None:
        with self._ready:
            self._pending.discard(job)

    def close(self) -> list[Version]:
        """Take no more; the versions that were waiting, which will not be linted."""
        with self._ready:
            self._closed = True
            dropped = list(self._waiting)
            self._waiting.clear()
            self._ready.notify_all()
            return dropped


class Worker:
    """The thread that lints what the queue holds, one version at a time, with ``lint(job)``."""

    def __init__(self, queue: LintQueue, lint: Callable[[Version], None]) -> None:
        self.queue = queue
        self.lint = lint
        self._thread = threading.Thread(target=self._run, name="modellint-webhook-worker", daemon=True)
        self._current: Version | None = None

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while (job := self.queue.take()) is not None:
            self._current = job
            try:
                self.lint(job)
            except Exception as error:  # noqa: BLE001 - one version's failure is one line, never the server's end
                say(f"{job.shown}: not linted: {_message(error)}")
            finally:
                self._current = None
                self.queue.done(job)

    def stop(self, wait: float = SHUTDOWN_WAIT) -> None:
        """Drop what waits; let the lint in flight finish (its temporary folder is removed by it)."""
        for job in self.queue.close():
            say(f"{job.shown}: not linted: the server is shutting down")
        current = self._current
        if current is not None and self._thread.is_alive():
            say(f"{current.shown}: waiting for its lint to finish (at most {wait:.0f} s)")
        self._thread.join(wait)


def create_app(verifier: Verifier, queue: LintQueue, *, max_body: int = MAX_BODY,
               body_timeout: float = BODY_TIMEOUT) -> Any:
    """The ASGI application: ``POST /webhook`` takes deliveries, ``GET /health`` says it is up."""
    from starlette.applications import Starlette
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    refusals = _Throttle(REFUSALS_LOGGED, 60.0)

    def answer(status: int, message: str, request: Request) -> JSONResponse:
        if status >= 400:
            client = request.client.host if request.client else "?"
            refusals.say(f"{status} to {client}: {message}")
        return JSONResponse({"status": status, "message": message}, status_code=status)

    async def deliver(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body:
            return answer(413, f"the body is over {max_body} bytes", request)
        try:
            body = await asyncio.wait_for(_read(request, max_body), body_timeout)
        except _TooLarge:
            return answer(413, f"the body is over {max_body} bytes", request)
        except (asyncio.TimeoutError, ClientDisconnect):
            return answer(408, "the body did not arrive in time", request)
        try:
            delivery = verifier.verify(request.headers, body)
        except Rejected as rejected:
            return answer(401, str(rejected), request)
        # Verified: from here on the sender holds the secret, and the event loop does not yield
        # until the answer, so the checks and what they admit happen as one step.
        if not verifier.has_room():
            return answer(503, "too many deliveries inside the replay window: retry later", request)
        try:
            event, job = parse_event(body)
        except Malformed as malformed:
            verifier.admit(delivery)
            return answer(400, str(malformed), request)
        if job is None:
            verifier.admit(delivery)
            return answer(200, f"{event}: nothing to lint", request)
        outcome = queue.offer(job)
        if outcome in (LintQueue.FULL, LintQueue.CLOSED):
            # Not admitted: MLflow retries a 503 with the same delivery id, which must then pass.
            reason = "the queue is full" if outcome == LintQueue.FULL else "the server is shutting down"
            return answer(503, f"{job.shown}: not queued: {reason}: retry later", request)
        verifier.admit(delivery)
        say(f"{job.shown}: {outcome} ({event})")
        return answer(202, f"{job.shown}: {outcome}", request)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route(PATH, deliver, methods=["POST"]), Route("/health", health, methods=["GET"])])


class _TooLarge(Exception):
    pass


class _Throttle:
    """:func:`say`, at most ``limit`` lines a ``period``; then how many were left unsaid."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._start = clock()
        self._said = 0
        self._unsaid = 0

    def say(self, message: str) -> None:
        now = self._clock()
        if now - self._start >= self.period:
            if self._unsaid:
                say(f"{self._unsaid} more refused deliveries were not logged in the last {self.period:.0f} s")
            self._start, self._said, self._unsaid = now, 0, 0
        if self._said < self.limit:
            self._said += 1
            say(message)
        else:
            self._unsaid += 1


async def _read(request: Any, limit: int) -> bytes:
    """The body, read as it streams in, refused as soon as it is over ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def serve(args: argparse.Namespace, check: Callable[[argparse.Namespace, Any, Any], int],
          resolve_settings: Callable[[argparse.Namespace], Any]) -> int:
    """The ``webhook`` command: listen until SIGTERM or Ctrl-C. ``check`` is the CLI's lint of
    fetched URI targets (as for ``registry``); ``resolve_settings`` its reading of the lint
    options, checked once here so that a bad option stops the start, not every lint."""
    from modellint.remote.fetch import DEFAULT_MAX_BYTES, mlflow_client, parse_size
    from modellint.remote.registry import knowledge_version
    from modellint.selection import RuleSelection

    if args.fix or args.diff:
        raise ValueError("the webhook server tags verdicts: --fix and --diff do not go with it")
    if args.max_queue < 1:
        raise ValueError("--max-queue must be at least 1")
    if not 0 <= args.port <= 65535:
        raise ValueError("--port must be between 0 and 65535")
    if not args.secret_env.isidentifier() or not args.secret_env.isascii():
        # Not echoed: it may be the secret itself, given where its name was asked for.
        raise ValueError("--secret-env takes the name of the environment variable that holds the secret, "
                         "never the secret")
    secret = os.environ.get(args.secret_env, "")
    if not secret:
        raise ValueError(f"the webhook secret: set the environment variable {args.secret_env} (--secret-env NAME) "
                         "to the secret the webhook was registered with")
    tracking_uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not tracking_uri:
        # MLflow's own default is a store in the working directory, which no tracking server shares.
        raise ValueError("the webhook server tags the versions of the tracking server that calls it: "
                         "name it with --tracking-uri URI or MLFLOW_TRACKING_URI")
    try:
        import uvicorn
    except ImportError:
        raise ValueError(f"the webhook server needs Starlette and uvicorn: pip install '{EXTRA}'") from None
    settings = resolve_settings(args)
    RuleSelection(settings.select, settings.extend_select, settings.ignore, settings.per_path_ignores,
                  settings.target or ("mlflow-serve",)).validate()
    budget = DEFAULT_MAX_BYTES if args.max_download is None else parse_size(args.max_download)
    client = mlflow_client(tracking_uri)
    knowledge = knowledge_version()

    def lint(job: Version) -> None:
        from modellint.remote.fetch import mlflow_message
        from modellint.remote.registry import already_tagged, get_version, lint_versions, say_skipped

        try:
            version = get_version(client, job.name, job.version)
        except Exception as error:  # noqa: BLE001 - MLflow, the network and the plugins raise anything
            say(f"{job.shown}: not linted: the registry could not read it: {printable(mlflow_message(error))}")
            return
        if already_tagged(version, knowledge):
            say_skipped(version, knowledge, "webhook")
            return
        lint_versions(args, check, client, [version], budget, knowledge, command="webhook")

    queue = LintQueue(args.max_queue)
    app = create_app(Verifier(secret), queue)
    listener = socket.create_server((args.host, args.port), family=socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    host, port = listener.getsockname()[:2]
    worker = Worker(queue, lint)
    worker.start()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            limit_concurrency=MAX_CONNECTIONS, timeout_graceful_shutdown=10)
    shown_host = f"[{host}]" if ":" in host else host
    say(f"listening on http://{shown_host}:{port}{PATH} for {', '.join(sorted('.'.join(e) for e in EVENTS))}; "
        f"tracking server {printable(tracking_uri)}")
    from modellint.process import terminate_on_sigterm

    try:
        # uvicorn shuts down on SIGTERM and Ctrl-C, then raises the signal again: Terminated or
        # KeyboardInterrupt, which the CLI turns into its exit codes.
        with terminate_on_sigterm():
            uvicorn.Server(config).run(sockets=[listener])
    finally:
        worker.stop()
        listener.close()
    return 0


def say(message: str) -> None:
    # One write per line: the worker thread and the server write side by side.
    try:
        sys.stderr.write(f"modellint: webhook: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _message(error: Exception) -> str:
    from modellint.remote.fetch import mlflow_message

    return printable(mlflow_message(error))
