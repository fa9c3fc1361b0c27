"""A 1 GiB registered model version, linted from a real ``mlflow server`` by the real command: the
whole pickle is scanned (its one dangerous call sits after the gigabyte of payload), the peak
memory stays under 200 MB, and the download folder is gone afterwards.

The command runs as the ``modellint[mlflow]`` extra installs it: MLflow's client without pandas,
NumPy, PyArrow, SciPy or scikit-learn, none of which mlflow-skinny requires (checked below). This
suite's venv has the full ``mlflow`` for the server, and importing it loads pandas and PyArrow:
172 to 212 MB before a byte is fetched, depending on how the kernel maps their shared libraries.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.remote.conftest import CLEAN_CASE, corpus_dir

pytestmark = pytest.mark.slow

PAYLOAD = 1024**3
PEAK_LIMIT = 200 * 1024**2
# PROTO 4, BINBYTES8 <1 GiB>, POP, then `os.system("true")` (STACK_GLOBAL, TUPLE1, REDUCE), STOP.
_TAIL = b"0\x8c\x02os\x94\x8c\x06system\x94\x93\x8c\x04true\x94\x85R."


def _write_large_pickle(path: Path) -> None:
    """1 GiB of payload written in 16 MiB pieces: the test holds none of it."""
    piece = bytes(16 * 1024**2)
    with open(path, "wb") as handle:
        handle.write(b"\x80\x04\x8e" + struct.pack("<Q", PAYLOAD))
        for _ in range(PAYLOAD // len(piece)):
            handle.write(piece)
        handle.write(_TAIL)


def _register_large_model(server_uri: str, folder: Path) -> str:
    import mlflow

    model = folder / "model"
    shutil.copytree(corpus_dir(CLEAN_CASE), model)
    _write_large_pickle(model / "model.pkl")
    mlflow.set_tracking_uri(server_uri)
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(model), "model")
    shutil.rmtree(model)  # the server holds its copy
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "large")
    return f"models:/large/{version.version}"


# The kernel's peak for a process counts the memory of the process it was forked from (at exec,
# Linux keeps the parent's high-water mark, and this test's process holds MLflow): so the command
# is started by a bare interpreter, whose few MB are all that is added to the measure.
_LAUNCHER = """
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as peak:
    peak.write(str(usage.ru_maxrss * 1024))  # Linux gives kilobytes
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _run_measured(arguments: list[str], environment: dict[str, str], folder: Path) -> tuple[int, str, int]:
    """Exit code, output and peak resident memory (bytes) of the command, from the kernel."""
    peak = folder / "peak"
    result = subprocess.run([sys.executable, "-I", "-S", "-c", _LAUNCHER, str(peak), *arguments], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    return result.returncode, result.stdout.decode(), int(peak.read_text())


# Distributions the full mlflow brings and mlflow-skinny (the extra) does not: absent from the
# command's imports, as in the extra's install.
_NOT_IN_THE_EXTRA = ("pandas", "pyarrow", "numpy", "scipy", "sklearn")
_ABSENT = f"""
import sys

class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {_NOT_IN_THE_EXTRA!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled())
"""


def as_the_extra_installs_it(folder: Path) -> dict[str, str]:
    """Environment variables under which a command sees no distribution the extra lacks."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(_ABSENT)
    return {"PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def test_the_extra_brings_none_of_what_the_measure_leaves_out():
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    required = {Requirement(line).name.lower() for line in requires("mlflow-skinny") or ()
                if "extra ==" not in line}
    assert required and not required & {"pandas", "pyarrow", "numpy", "scipy", "scikit-learn"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in kilobytes is Linux's")
def test_a_1_gib_model_version_is_scanned_whole_in_bounded_memory(mlflow_server, tmp_path):
    uri = _register_large_model(mlflow_server.uri, tmp_path)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    environment = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_server.uri, "TMPDIR": str(downloads),
                   **as_the_extra_installs_it(tmp_path / "extra")}
    command = [str(Path(sys.executable).with_name("modellint")), "check", uri, "--isolated", "--format", "concise"]
    code, output, peak = _run_measured(command, environment, tmp_path)
    assert code == 1, output
    assert f"{uri}/model.pkl:1:1: ML302 [error] loading `model.pkl` calls `os.system` (REDUCE at byte " in output
    assert "ML303" not in output  # downloaded within the default budget, not left out
    assert peak < PEAK_LIMIT, f"peak memory {peak / 1024**2:.0f} MB"
    assert list(downloads.iterdir()) == []
