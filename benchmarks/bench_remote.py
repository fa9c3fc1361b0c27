"""Model URIs: `modellint check models:/...` against a local `mlflow server`.

Starts the test-suite's server (tests/remote/conftest.py: SQLite store, local artifact root,
loopback port), registers the broken and the clean corpus model, then times the installed
command on each URI form and on the same model dir on disk, alternated run after run (the VM's
speed drifts). Then, in one process with MLflow already imported, the fetch alone (listing and
downloads), which is what is left once MLflow's import is paid. Last, a 1 GiB registered version
(tests/remote/test_large_model.py's): wall time, bytes downloaded and peak memory of the command.
Needs the test extra (`mlflow`); ``--command`` times another install's `modellint` (one with only
the `modellint[mlflow]` extra, say) against the same server.

    python benchmarks/bench_remote.py [--repeat 7] [--command PATH]
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

from tests.remote import conftest  # noqa: E402 - after the path: the fixture is the server's one definition
from tests.remote.test_large_model import _register_large_model, _run_measured  # noqa: E402


class _Folders:
    """What the fixture asks of pytest's ``tmp_path_factory``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def mktemp(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root))


def _median(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--command", type=Path, default=Path(sys.executable).with_name("modellint"))
    options = parser.parse_args()
    repeat, command = options.repeat, options.command
    root = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    server_fixture = conftest.mlflow_server.__wrapped__(_Folders(root))  # type: ignore[attr-defined]
    server = next(server_fixture)
    try:
        environment = {**os.environ, "MLFLOW_TRACKING_URI": server.uri}
        run_id = server.models["clean"][1]
        cases = [(f"on disk: corpus/models/{conftest.BROKEN_CASE}", str(conftest.CORPUS / conftest.BROKEN_CASE)),
                 ("models:/broken/1", "models:/broken/1"), ("models:/broken@champion", "models:/broken@champion"),
                 ("models:/clean/1", "models:/clean/1"), ("runs:/<id>/model (clean)", f"runs:/{run_id}/model")]
        times: dict[str, list[float]] = {name: [] for name, _ in cases}
        for _ in range(repeat):
            for name, target in cases:
                start = time.perf_counter()
                subprocess.run([str(command), "check", target, "--format", "concise", "--isolated"], env=environment,
                               capture_output=True, check=False, cwd=REPO)
                times[name].append(time.perf_counter() - start)
        for name, values in times.items():
            print(f"{name}: {_median(values)}")

        import mlflow  # noqa: F401 - imported before timing: what is left is the listing and the downloads

        from modellint.remote.fetch import RemoteView

        fetches = []
        for _ in range(repeat):
            start = time.perf_counter()
            with RemoteView(["models:/broken/1"], server.uri) as view:
                assert view.targets and not view.errors
            fetches.append(time.perf_counter() - start)
        print(f"fetch of models:/broken/1 in process, MLflow already imported: {_median(fetches)}")
        _large_version(server.uri, root, command, repeat)
    finally:
        next(server_fixture, None)
        shutil.rmtree(root, ignore_errors=True)


def _large_version(server_uri: str, root: Path, command: Path, repeat: int) -> None:
    uri = _register_large_model(server_uri, root)
    downloads = root / "downloads"
    downloads.mkdir()
    environment = {**os.environ, "MLFLOW_TRACKING_URI": server_uri, "TMPDIR": str(downloads)}
    times, peaks = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        code, output, peak = _run_measured([str(command), "check", uri, "--isolated", "--format", "concise"],
                                           environment, root)
        times.append(time.perf_counter() - start)
        peaks.append(peak)
        assert code == 1 and "ML302" in output, output
    from mlflow.artifacts import list_artifacts

    listed = [info.file_size for info in list_artifacts(artifact_uri=uri) if not info.is_dir]
    print(f"{uri} ({len(listed)} files, {sum(listed):,} bytes, all downloaded each run): {_median(times)}, peak memory "
          f"{max(peaks) / 1024**2:.0f} MB (min {min(peaks) / 1024**2:.0f})")


if __name__ == "__main__":
    main()
