"""`modellint registry` against a local `mlflow server`: the wall time of the installed command.

Starts the test-suite's server (tests/remote/conftest.py: SQLite store, local artifact root,
loopback port) with its two registered versions (broken and clean), then times, alternated run
after run (the VM's speed drifts): the registry linted, linted and tagged (`--set-tags --force`),
a re-run that skips both (`--set-tags`), and `check` of the same two versions by URI. Needs the
test extra (`mlflow`).

    python benchmarks/bench_registry.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_remote import _Folders  # noqa: E402 - after the path
from tests.remote import conftest  # noqa: E402 - the fixture is the server's one definition


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    command = str(Path(sys.executable).with_name("modellint"))
    root = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    server_fixture = conftest.mlflow_server.__wrapped__(_Folders(root))  # type: ignore[attr-defined]
    server = next(server_fixture)
    try:
        environment = {**os.environ, "MLFLOW_TRACKING_URI": server.uri}
        cases = [("registry", ["registry"]), ("registry --set-tags --force", ["registry", "--set-tags", "--force"]),
                 ("registry --set-tags (both skipped)", ["registry", "--set-tags"]),
                 ("check models:/broken/1 models:/clean/1", ["check", "models:/broken/1", "models:/clean/1"])]
        times: dict[str, list[float]] = {name: [] for name, _ in cases}
        for _ in range(repeat):
            for name, arguments in cases:
                start = time.perf_counter()
                completed = subprocess.run([command, *arguments, "--format", "concise", "--isolated"], env=environment,
                                           capture_output=True, text=True, check=False, cwd=REPO)
                times[name].append(time.perf_counter() - start)
                assert completed.returncode in (0, 1), completed.stderr
        for name, values in times.items():
            print(f"{name}: median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}, "
                  f"n={len(values)})")
    finally:
        next(server_fixture, None)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
