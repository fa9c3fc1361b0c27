"""A streamed report's order against model dirs named to sort apart from how they are listed.

A report is written as targets finish (:mod:`modellint.report_stream`), which relies on each
model dir reporting only on its own path and those below it. Here model dirs whose names differ
only by characters that sort before ``/`` (a space, ``!``, ``-``, ``.``, a tab) and after it
(``é``) hold an MLmodel naming absolute and escaping paths for everything it can name; the
report, in workers and without, is in the whole report's order, and no finding leaves its model
dir's path.
"""

from __future__ import annotations

import json

import pytest

from tests.hostile.harness import Sandbox, assert_promises, run_cli

HOSTILE_MLMODEL = """\
artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: /etc/passwd
    python_version: 3.10.0
    code: ../../outside
    env:
      conda: /etc/conda.yaml
      virtualenv: ../outside/python_env.yaml
  sklearn:
    pickled_model: /etc/hosts
    sklearn_version: 1.3.0
saved_input_example_info:
  artifact_path: /etc/hostname
  type: json_object
signature:
  inputs: '[{"type": "double"}]'
"""
NAMES = [f"m{number}{suffix}" for number in range(8) for suffix in ("", " ", "!", "-", ".", "\t", "é")]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_findings_stay_in_their_model_dir_and_come_in_the_report_order(tmp_path, jobs):
    sandbox = Sandbox(tmp_path)
    for name in NAMES:
        sandbox.write({f"{name}/MLmodel": HOSTILE_MLMODEL, f"{name}/requirements.txt": "mlflow\n"})
    before = sandbox.snapshot()
    run = run_cli(["check", "../target", "--no-cache", "--format", "json", "--jobs", jobs], sandbox)
    assert_promises(run, sandbox, before)
    findings = json.loads(run.stdout)["findings"]
    prefix = f"{sandbox.target}/"  # outside the working directory: shown as absolute paths
    assert all(finding["path"].startswith(prefix) for finding in findings)
    assert {finding["path"][len(prefix):].split("/")[0] for finding in findings} == set(NAMES)  # each dir has findings
    keys = [(f["path"], f["line"], f["column"], f["code"], f["message"]) for f in findings]
    assert keys == sorted(keys)
    assert keys[0][0].startswith(f"{prefix}m0\t/")  # a tab sorts first, `é` after `/`: not listing order
