"""The deployment targets' readers on hostile model dirs: the stored serving payload's size is read
with one confined `fstat`, its format through the example budget, and `modellint request` stays
bounded and never echoes what lies outside the model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from modellint.rules._examples import CLEAN, MLMODEL_WITH_EXAMPLE
from tests.hostile.harness import Sandbox, assert_promises, run_cli

WITH_EXAMPLE = MLMODEL_WITH_EXAMPLE
FRAME = json.dumps({"columns": ["a", "b"], "data": [[1.5, 2.0]]})


def _sandbox(tmp_path: Path, serving: str | bytes | None) -> Sandbox:
    sandbox = Sandbox(tmp_path / "sandbox")
    files: dict[str, str | bytes] = {**CLEAN, "MLmodel": WITH_EXAMPLE, "input_example.json": FRAME}
    if serving is not None:
        files["serving_input_example.json"] = serving
    sandbox.write(files)
    return sandbox


def test_a_fifo_as_serving_example_is_not_waited_on(tmp_path):
    sandbox = _sandbox(tmp_path, None)
    os.mkfifo(sandbox.target / "serving_input_example.json")
    before = sandbox.snapshot()
    for args in (["check", "--target", "databricks", "--target", "azureml-online", str(sandbox.target)],
                 ["request", "--target", "azureml-online", str(sandbox.target)]):
        run = run_cli(args, sandbox, timeout=30)
        assert_promises(run, sandbox, before, seconds=10, clean_allowed=args[0] == "request")


def test_a_serving_example_leading_outside_is_never_measured_or_echoed(tmp_path):
    sandbox = _sandbox(tmp_path, None)
    secret = sandbox.root / "outside" / "big.json"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text(json.dumps({"dataframe_records": ["TOP-SECRET-OUTSIDE-VALUE"] * 2_000_000}))
    (sandbox.target / "serving_input_example.json").symlink_to(secret)
    before = sandbox.snapshot()
    run = run_cli(["check", "--format", "concise", "--target", "databricks", "--target", "azureml-online", str(sandbox.target)],
                  sandbox)
    assert_promises(run, sandbox, before, seconds=10)
    assert "ML603" not in run.stdout and "ML602" not in run.stdout


def test_a_deeply_nested_serving_example_is_unchecked_not_a_crash(tmp_path):
    sandbox = _sandbox(tmp_path, '{"dataframe_split": ' + "[" * 200_000 + "]" * 200_000 + "}")
    before = sandbox.snapshot()
    run = run_cli(["check", "--target", "azureml-online", "--target", "databricks", str(sandbox.target)], sandbox)
    assert_promises(run, sandbox, before, seconds=10)
    run = run_cli(["request", "--target", "azureml-online", str(sandbox.target)], sandbox)
    assert_promises(run, sandbox, before, seconds=10, clean_allowed=True)
    assert run.returncode == 0 and json.loads(run.stdout)["input_data"]["columns"] == ["a", "b"]


def test_a_huge_serving_example_is_measured_not_read(tmp_path):
    rows = ",".join(["[1.5, 2.0]"] * 1_700_000)  # about 20 MB
    sandbox = _sandbox(tmp_path, '{"dataframe_split": {"columns": ["a", "b"], "data": [' + rows + "]}}")
    before = sandbox.snapshot()
    run = run_cli(["check", "--format", "concise", "--target", "databricks", str(sandbox.target)], sandbox)
    assert_promises(run, sandbox, before, seconds=15, memory=256 * 2**20)
    assert "ML603" in run.stdout


def test_a_nul_in_the_serving_example_path_is_a_finding_not_a_crash(tmp_path):
    sandbox = _sandbox(tmp_path, None)
    mlmodel = (sandbox.target / "MLmodel").read_text()
    (sandbox.target / "MLmodel").write_text(mlmodel.replace("serving_input_path: serving_input_example.json",
                                                            'serving_input_path: "serving_input_example.json\\0x"'))
    before = sandbox.snapshot()
    run = run_cli(["check", "--format", "concise", "--target", "databricks", "--target", "azureml-online",
                   str(sandbox.target)], sandbox)
    assert_promises(run, sandbox, before, seconds=10)
    assert "internal error" not in run.stdout + run.stderr and "ML003" in run.stdout


def test_a_signature_of_huge_tensors_gets_no_sample_request(tmp_path):
    sandbox = _sandbox(tmp_path, None)
    spec = '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 100000, 100000, 100000]}}]'
    mlmodel = (sandbox.target / "MLmodel").read_text()
    signature = mlmodel[mlmodel.index("signature:"):mlmodel.index("\n", mlmodel.index("signature:")) + 1]
    (sandbox.target / "MLmodel").write_text(mlmodel.replace(signature, f"signature: {{inputs: '{spec}'}}\n")
                                            .replace("saved_input_example_info", "unused_example_info"))
    before = sandbox.snapshot()
    run = run_cli(["request", "--target", "mlflow-serve", str(sandbox.target)], sandbox)
    assert_promises(run, sandbox, before, seconds=10, clean_allowed=True)
    assert run.returncode == 2 and "values per request" in run.stderr, run



_KEYS = ", ".join(f'"k{index}": [{index}]' for index in range(200_000))


@pytest.mark.parametrize("serving", [
    pytest.param('{"messages": [{"role": "user", "content": "hi"}], ' + _KEYS + "}", id="200000-keys"),
    pytest.param('{"messages": ' + "[" * 100_000 + "]" * 100_000 + "}", id="nested"),
])
def test_a_hostile_chat_payload_is_warned_on_and_converted_within_budget(tmp_path, serving):
    """ML602 and the request read a chat payload the same way: 200,000 top-level keys beside
    `messages` (each a would-be named tensor the conversion walks), or messages nested 100,000
    deep. The check reports, the request is refused or written, both bounded, neither a traceback."""
    sandbox = _sandbox(tmp_path, serving)
    before = sandbox.snapshot()
    run = run_cli(["check", "--format", "concise", "--target", "azureml-online", str(sandbox.target)], sandbox)
    assert_promises(run, sandbox, before, seconds=15, memory=512 * 2**20)
    assert "internal error" not in run.stdout + run.stderr
    run = run_cli(["request", "--target", "azureml-online", str(sandbox.target)], sandbox)
    assert_promises(run, sandbox, before, seconds=15, memory=512 * 2**20, clean_allowed=True)
    assert run.returncode in (0, 2) and "Traceback" not in run.stderr
    if run.returncode == 0:  # the signature's placeholder (a, b) when the payload does not fit it
        assert set(json.loads(run.stdout)) == {"input_data"}
