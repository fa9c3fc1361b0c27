"""modellint never imports or runs the code it analyses.

A canary package writes a marker file when it is imported. It is placed everywhere an
accidental import could find it: the model's code dir (which MLflow puts on sys.path), the
model root, the working directory and PYTHONPATH; the model's code imports it in every way the
import scanner understands, names it as `loader_module`, and runs it from a models-from-code
file. The full CLI runs in a subprocess over the model: the marker must never appear.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from modellint.rules._code_examples import code_model
from tests.conftest import REPO, write_files

CANARY_INIT = """\
from pathlib import Path
Path({marker!r}).write_text("imported")
"""

USES_CANARY = """\
import importlib

import canary_pkg
from canary_pkg import anything


def predict(rows):
    import canary_pkg.sub
    import tabulate  # undeclared: proves the file was analysed
    return importlib.import_module("canary_pkg")
"""


def test_the_cli_never_imports_the_model_code(tmp_path):
    marker = tmp_path / "CANARY_WAS_IMPORTED"
    canary = CANARY_INIT.format(marker=str(marker))
    files = code_model({"canary_pkg/__init__.py": canary, "canary_pkg/sub.py": canary, "uses.py": USES_CANARY},
                       root_files={"model_code.py": "import canary_pkg\nimport uses\n" + canary})
    files["MLmodel"] = (files["MLmodel"]
                        .replace("loader_module: mlflow.sklearn", "loader_module: canary_pkg")
                        .replace("    code: code\n", "    code: code\n    model_code_path: /home/u/model_code.py\n"))
    model = write_files(tmp_path / "model", files)
    for elsewhere in (tmp_path / "cwd", tmp_path / "pythonpath", model):
        write_files(elsewhere, {"canary_pkg/__init__.py": canary, "sitecustomize_canary.py": canary})
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(tmp_path / "pythonpath"),
                                                               str(model / "code")]))

    completed = subprocess.run(
        [sys.executable, "-m", "modellint", "check", str(model), "--output-format", "json"],
        cwd=tmp_path / "cwd", env=environment, capture_output=True, text=True, timeout=120, check=False,
    )

    assert completed.returncode in (0, 1), completed.stderr
    report = json.loads(completed.stdout)
    findings = report if isinstance(report, list) else report.get("findings", [])
    assert any("tabulate" in json.dumps(finding) for finding in findings), completed.stdout
    assert not marker.exists(), "modellint imported the analysed code"
