"""``--resolve`` on hostile requirements: uv reads no file outside the model, builds nothing,
reads no config file of the model's, and a uv that hangs or floods is bounded. Whatever happens,
a list that was not resolved is never reported as clean."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from modellint.resolve import runner
from modellint.rules._examples import CLEAN_PIP
from modellint.rules._resolve_examples import with_index
from tests.hostile.harness import Sandbox, assert_promises, run_cli

SETUP_PY = "from pathlib import Path\nPath({marker!r}).write_text('built')\nfrom setuptools import setup\nsetup(name='proj')\n"


def _model(sandbox: Sandbox, *extra: str, files: dict[str, str | bytes] | None = None) -> None:
    sandbox.write({**with_index(*CLEAN_PIP, *extra), **(files or {})})
    (sandbox.outside / "evil.whl").write_bytes(b"not a wheel")


def _check(sandbox: Sandbox, *args: str, offline: bool = True):
    # Offline: every case resolves from the model's own wheels, or must never reach an index.
    return run_cli(["check", "../target", "--resolve", "--select", "ML508", "--format", "concise", *args], sandbox,
                   env={"UV_OFFLINE": "1"} if offline else None)


@pytest.mark.parametrize("line", [
    "-r ../outside/secret.txt",
    "-r {outside}/secret.txt",
    "-c ../outside/secret.txt",
    "-r inc.txt",  # a symlink out of the model
    "--find-links ../outside",
    "../outside/evil.whl",
    "evil @ file://{outside}/evil.whl",
    "-r ~/.netrc",
])
def test_a_path_out_of_the_model_is_never_handed_to_uv(tmp_path, line):
    sandbox = Sandbox(tmp_path)
    _model(sandbox, line.format(outside=sandbox.outside))
    os.symlink(sandbox.outside / "secret.txt", sandbox.target / "inc.txt")
    before = sandbox.snapshot()
    run = _check(sandbox)
    assert_promises(run, sandbox, before)
    assert run.returncode == 1 and "ML508 [error]" in run.stdout
    assert "names a path outside the model dir: not handed to the resolver" in run.stdout, run


@pytest.mark.parametrize("line", ["-e .", "-e ./proj", "./proj", "proj @ file:./proj", "./proj.tar.gz",
                                  "proj @ git+https://example.invalid/proj.git"])
def test_nothing_of_the_model_is_ever_built(tmp_path, line):
    sandbox = Sandbox(tmp_path)
    built = sandbox.root / "SETUP_RAN"
    setup = SETUP_PY.format(marker=str(built))
    _model(sandbox, line, files={"setup.py": setup, "proj/setup.py": setup, "proj.tar.gz": b"\x1f\x8b"})
    before = sandbox.snapshot()
    run = _check(sandbox)
    assert not built.exists(), f"a setup.py of the model ran\n{run!r}"
    assert_promises(run, sandbox, before)
    assert "ML508 [error]" in run.stdout and "which --resolve never does" in run.stdout, run


def test_config_files_in_the_model_and_the_working_folder_configure_nothing(tmp_path):
    sandbox = Sandbox(tmp_path)
    # Read, either would forbid every wheel: nothing would resolve.
    hostile = '[pip]\nno-binary = [":all:"]\n'
    _model(sandbox, files={"uv.toml": hostile, "pyproject.toml": "[tool.uv.pip]\nno-binary = [\":all:\"]\n"})
    sandbox.write({"uv.toml": hostile}, under="cwd")
    before = sandbox.snapshot()
    run = _check(sandbox)
    assert_promises(run, sandbox, before, clean_allowed=True)
    assert run.returncode == 0, run


@pytest.mark.parametrize("offline", [False, True], ids=["refused", "offline"])
def test_an_unreachable_index_is_not_checked_never_clean(tmp_path, offline):
    sandbox = Sandbox(tmp_path)
    sandbox.write(with_index(*CLEAN_PIP))
    requirements = sandbox.target / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("--no-index\n--find-links wheels\n",
                                                             "--index-url http://127.0.0.1:9/simple\n"))
    before = sandbox.snapshot()
    run = _check(sandbox, offline=offline)
    assert_promises(run, sandbox, before)
    assert "ML508 [error]" in run.stdout and "not checked: --resolve could not resolve" in run.stdout, run


def _fake_uv(tmp_path: Path, body: str) -> str:
    script = tmp_path / "uv"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


def test_a_uv_that_hangs_is_killed_with_its_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    uv = _fake_uv(tmp_path, f"sleep 300 & echo $! > {pid_file}\nwait")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("demo==1.0\n")
    started = time.monotonic()
    outcome = runner.resolve(uv, requirements, "3.11", "x86_64-manylinux_2_28", ["demo"], timeout=1.0)
    assert time.monotonic() - started < 10
    assert outcome.status == "timeout" and outcome.explanation == ("uv gave no answer within 1 s",)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "uv's child outlived the deadline"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_uv_that_floods_its_output_is_read_bounded(tmp_path):
    uv = _fake_uv(tmp_path, "head -c 50000000 /dev/zero | tr '\\0' 'x' >&2\nexit 2")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("demo==1.0\n")
    outcome = runner.resolve(uv, requirements, "3.11", "x86_64-manylinux_2_28", ["demo"], timeout=60.0)
    assert outcome.status == "uv_error"
    assert sum(len(line) for line in outcome.explanation) <= runner.MAX_OUTPUT_BYTES
