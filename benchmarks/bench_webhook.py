"""`modellint webhook` against a local `mlflow server`: from a version's registration to its last tag.

Starts the test-suite's server (tests/remote/conftest.py: SQLite store, local artifact root,
loopback port, webhook delivery to loopback allowed) and a `modellint webhook` registered with
it, then registers the broken corpus model as new models one after the other and times each from
`mlflow.register_model` to the moment its last `modellint.*` tag is readable. The first lint of
a gate imports the rules and the knowledge base: it is shown apart. Needs the test extra.

    python benchmarks/bench_webhook.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_remote import _Folders  # noqa: E402 - after the path
from tests.remote import conftest  # noqa: E402 - the fixture is the server's one definition
from tests.remote.webhook_gate import start_gate  # noqa: E402


def main() -> None:
    import mlflow
    from mlflow import MlflowClient

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    root = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    server_fixture = conftest.mlflow_server.__wrapped__(_Folders(root))  # type: ignore[attr-defined]
    server = next(server_fixture)
    secret = uuid.uuid4().hex
    gate = start_gate(server.uri, secret, root / "gate")
    try:
        client = MlflowClient(server.uri)
        client.create_webhook(name="bench", url=gate.url, secret=secret, events=["model_version.created"])
        time.sleep(2)  # the server's webhook list is cached for MLFLOW_WEBHOOK_CACHE_TTL (1 s here)
        mlflow.set_tracking_uri(server.uri)
        times = []
        for number in range(repeat):
            name = f"bench-{number}"
            with mlflow.start_run() as run:
                mlflow.log_artifacts(str(conftest.corpus_dir(conftest.BROKEN_CASE)), "model")
            start = time.perf_counter()
            mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
            while "modellint.knowledge" not in client.get_model_version(name, "1").tags:
                time.sleep(0.02)
            times.append(time.perf_counter() - start)
        rest = times[1:] or times
        print(f"registered -> tagged: first {times[0]:.3f} s; then median {statistics.median(rest):.3f} s "
              f"(min {min(rest):.3f}, max {max(rest):.3f}, n={len(rest)})")
    finally:
        gate.stop()
        next(server_fixture, None)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
