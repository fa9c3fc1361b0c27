"""Process hygiene: workers die with the run, signals end it cleanly, output failures are exit 2,
a bad path does not stop the others, and discovery stays bounded.

The signal tests start ``python -m modellint --jobs 2`` over enough model dirs to use the worker
pool, in a session of its own, wait until its workers exist (read from ``/proc``), signal it,
and then look for any process left in that session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from modellint.rules._examples import CLEAN
from tests.conftest import REPO, write_files
from tests.hostile.harness import Sandbox, assert_promises, run_cli

EVIL_PICKLE = b"cos\nsystem\n(S'echo pwned'\ntR."
linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def evil_model(root: Path) -> Path:
    write_files(root, {**CLEAN, "extra.pkl": EVIL_PICKLE})
    return root


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, ppid, pgrp, session, ...)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _in_session(session: int) -> list[int]:
    """Live (not zombie) processes of ``session``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields and int(fields[3]) == session and fields[0] != "Z":
                found.append(int(entry))
    return found


def _children(pid: int) -> list[int]:
    return [int(entry) for entry in os.listdir("/proc")
            if entry.isdigit() and (fields := _stat(int(entry))) and int(fields[1]) == pid and fields[0] != "Z"]


def _many_models(root: Path, count: int) -> Path:
    models = root / "models"
    for index in range(count):
        evil_model(models / f"m{index:04d}")
    return models


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MODELLINT_")}
    environment.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1"})
    return subprocess.Popen([sys.executable, "-m", "modellint", *args], cwd=cwd, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for_workers(process: subprocess.Popen, count: int, timeout: float = 60.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = _children(process.pid)
        if len(workers) >= count:
            return workers
        if process.poll() is not None:
            raise AssertionError(f"the run ended before its workers were seen: {process.communicate()}")
        time.sleep(0.02)
    raise AssertionError("no worker processes appeared")


def _wait_until_gone(session: int, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = _in_session(session)
        if not left:
            return []
        time.sleep(0.05)
    return _in_session(session)


@pytest.fixture(scope="module")
def many_models(tmp_path_factory) -> Path:
    # Enough model dirs that the engine uses its worker pool (48 and more) and takes a while.
    return _many_models(tmp_path_factory.mktemp("pool"), 400)


@pytest.mark.slow
@linux_only
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL, signal.SIGINT])
def test_a_signalled_run_leaves_no_process_behind(many_models, signum):
    process = _start(["check", str(many_models), "--jobs", "2", "--no-progress"], many_models.parent)
    try:
        workers = _wait_for_workers(process, 2)
        if signum == signal.SIGINT:  # Ctrl-C: the terminal signals the whole foreground process group
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        out, err = process.communicate(timeout=30)
        left = _wait_until_gone(process.pid)
    finally:
        for pid in _in_session(process.pid):  # never leave a stray behind, even when the test fails
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"left behind after {signum!r}: {left} (workers were {workers})"
    stderr = err.decode()
    assert "Traceback" not in stderr, stderr
    if signum == signal.SIGINT:
        assert process.returncode == 130 and stderr.strip().endswith("modellint: interrupted"), (process.returncode, stderr)
    elif signum == signal.SIGTERM:
        assert process.returncode == 143 and "modellint: terminated" in stderr, (process.returncode, stderr)
    else:
        assert process.returncode == -signal.SIGKILL


@linux_only
@pytest.mark.parametrize("mechanism", ["prctl", "watchdog"])
def test_a_worker_dies_with_its_parent(mechanism):
    """The initializer: a child of a short-lived parent ends when that parent exits, by the kernel's
    parent-death signal on Linux, or by the watchdog thread where prctl is missing."""
    probe = (
        "import os, sys, time\n"
        "from modellint import process\n"
        "from modellint.process import init_worker\n"
        f"if {mechanism == 'watchdog'}:\n"
        "    process._kill_me_with_parent = lambda: False\n"
        "parent = os.getpid()\n"
        "if os.fork() == 0:\n"
        "    init_worker(parent)\n"
        "    print(os.getpid(), flush=True)\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "time.sleep(0.5)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    child = int(result.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _stat(child) and _stat(child)[0] != "Z":
        time.sleep(0.05)
    assert not _stat(child) or _stat(child)[0] == "Z", "the worker outlived its parent"


def test_jobs_is_capped_at_the_cpus(tmp_path):
    from modellint.process import available_cpus, worker_count

    assert worker_count(1000) == available_cpus()
    assert worker_count(None) == available_cpus()
    assert worker_count(1) == 1
    assert worker_count(0) == 1


@pytest.mark.slow
@linux_only
def test_jobs_1000_starts_no_more_workers_than_cpus(many_models):
    from modellint.process import available_cpus

    process = _start(["check", str(many_models), "--jobs", "1000", "--no-progress"], many_models.parent)
    # the report (400 findings) is larger than a pipe holds: drain it, or the run blocks writing it
    drains = [threading.Thread(target=stream.read, daemon=True) for stream in (process.stdout, process.stderr)]
    for drain in drains:
        drain.start()
    most = 0
    try:
        while process.poll() is None:
            most = max(most, len(_children(process.pid)))
            time.sleep(0.02)
        process.communicate()
    finally:
        for pid in _in_session(process.pid):
            os.kill(pid, signal.SIGKILL)
    assert process.returncode == 1
    assert 0 < most <= available_cpus()


# --- output failures --------------------------------------------------------------------------

def _one_error_line(run, where: str) -> None:
    lines = [line for line in run.stderr.splitlines() if line.startswith("modellint: error:")]
    assert run.returncode == 2, run
    assert len(lines) == 1 and lines[0].startswith(f"modellint: error: cannot write the report to {where}"), run
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run


@pytest.mark.parametrize("exit_zero", [[], ["--exit-zero"]])
def test_output_file_that_is_a_directory(tmp_path, exit_zero):
    sandbox = Sandbox(tmp_path)
    evil_model(sandbox.target)
    (sandbox.cwd / "report").mkdir()
    run = run_cli(["check", str(sandbox.target), "--output-file", "report", *exit_zero], sandbox)
    _one_error_line(run, "report")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("exit_zero", [[], ["--exit-zero"]])
def test_output_file_on_a_full_disk(tmp_path, exit_zero):
    sandbox = Sandbox(tmp_path)
    evil_model(sandbox.target)
    run = run_cli(["check", str(sandbox.target), "--output-file", "/dev/full", *exit_zero], sandbox)
    _one_error_line(run, "/dev/full")


def test_output_file_below_a_file(tmp_path):
    sandbox = Sandbox(tmp_path)
    evil_model(sandbox.target)
    (sandbox.cwd / "plain").write_text("x")
    run = run_cli(["check", str(sandbox.target), "--output-file", "plain/report.txt"], sandbox)
    _one_error_line(run, "plain/report.txt")


def _shell_run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", "PY": sys.executable}
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_stdout_on_a_full_disk(tmp_path):
    evil_model(tmp_path / "model")
    result = _shell_run('"$PY" -m modellint model --exit-zero > /dev/full', tmp_path)
    assert result.returncode == 2, result
    assert result.stderr == "modellint: error: cannot write the report to stdout: No space left on device\n", result


def test_stdout_closed(tmp_path):
    evil_model(tmp_path / "model")
    result = _shell_run('"$PY" -m modellint model >&-', tmp_path)
    assert result.returncode == 2, result
    assert result.stderr == "modellint: error: cannot write the report to stdout: stdout is closed\n", result


def test_a_broken_pipe_is_quiet_and_keeps_the_verdict(tmp_path):
    """`modellint ... | head`: no message (the reader chose to stop), but findings are never exit 0."""
    for index in range(60):
        evil_model(tmp_path / "models" / f"m{index}")
    result = _shell_run('set -o pipefail; "$PY" -m modellint models --jobs 1 | head -n 1', tmp_path)
    assert result.returncode == 1, result
    assert result.stderr == "", result
    assert len(result.stdout.splitlines()) == 1


# --- paths ------------------------------------------------------------------------------------

def test_a_missing_path_is_reported_and_the_others_linted(tmp_path):
    sandbox = Sandbox(tmp_path)
    evil_model(sandbox.target)
    before = sandbox.snapshot()
    run = run_cli(["check", "nope", str(sandbox.target), "also/missing"], sandbox)
    assert_promises(run, sandbox, before)
    assert run.returncode == 2
    assert "ML302" in run.stdout
    errors = [line for line in run.stderr.splitlines() if line.startswith("modellint: error:")]
    assert errors == ["modellint: error: nope: no such file or directory",
                      "modellint: error: also/missing: no such file or directory"], run


def test_only_missing_paths_print_no_report(tmp_path):
    sandbox = Sandbox(tmp_path)
    run = run_cli(["check", "nope"], sandbox)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == "modellint: error: nope: no such file or directory\n"


def test_a_directory_symlink_to_the_root_is_not_walked(tmp_path):
    sandbox = Sandbox(tmp_path)
    evil_model(sandbox.target / "models" / "evil")
    (sandbox.target / "models" / "disk").symlink_to("/")
    (sandbox.target / "models" / "loop").symlink_to(sandbox.target)
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target)], sandbox, timeout=30)
    assert_promises(run, sandbox, before, seconds=20)
    assert run.returncode == 1 and "ML302" in run.stdout


def test_follow_symlinks_follows_with_a_cycle_guard(tmp_path):
    sandbox = Sandbox(tmp_path)
    evil_model(sandbox.outside / "elsewhere" / "evil")
    (sandbox.target / "linked").symlink_to(sandbox.outside / "elsewhere")
    (sandbox.target / "loop").symlink_to(sandbox.target)
    run = run_cli(["check", str(sandbox.target)], sandbox, timeout=30)
    assert run.returncode == 2 and "no MLmodel and no Python files found" in run.stderr
    run = run_cli(["check", str(sandbox.target), "--follow-symlinks"], sandbox, timeout=30)
    assert run.returncode == 1 and run.stdout.count("ML302") == 1, run


def test_a_named_symlink_is_linted(tmp_path):
    """Paths named on the command line are always linted, a symlink included."""
    sandbox = Sandbox(tmp_path)
    evil_model(sandbox.outside / "evil")
    (sandbox.cwd / "link").symlink_to(sandbox.outside / "evil")
    run = run_cli(["check", "link"], sandbox)
    assert run.returncode == 1 and "ML302" in run.stdout


def test_exclude_and_gitignore(tmp_path):
    sandbox = Sandbox(tmp_path)
    for name in ("keep", "old/a", "build/b", "vendor/c", "vendor/important"):
        evil_model(sandbox.cwd / "models" / name)
    write_files(sandbox.cwd, {".git/HEAD": "ref: refs/heads/main\n",
                              ".gitignore": "# comment\nbuild/\n/models/vendor/*\n!/models/vendor/important\n"})

    def linted(*args: str) -> set[str]:
        run = run_cli(["check", "models", "--format", "concise", *args], sandbox)
        assert run.returncode == 1, run
        return {line.split("/extra.pkl")[0].removeprefix("models/") for line in run.stdout.splitlines() if "ML302" in line}

    assert linted() == {"keep", "old/a", "vendor/important"}
    assert linted("--no-respect-gitignore") == {"keep", "old/a", "build/b", "vendor/c", "vendor/important"}
    assert linted("--extend-exclude", "old") == {"keep", "vendor/important"}
    assert linted("--exclude", "models/keep", "--no-respect-gitignore") == {"old/a", "build/b", "vendor/c",
                                                                          "vendor/important"}
    # A path named on the command line is linted whatever excludes it.
    run = run_cli(["check", "models/build/b", "--extend-exclude", "b"], sandbox)
    assert run.returncode == 1 and "ML302" in run.stdout
    # Config keys, relative to the config file's folder.
    (sandbox.cwd / "modellint.toml").write_text('extend-exclude = ["models/old"]\nrespect-gitignore = false\n')
    assert linted() == {"keep", "build/b", "vendor/c", "vendor/important"}


def test_a_hostile_gitignore_is_bounded(tmp_path):
    """Backtracking globs, and more patterns than any real .gitignore: bounded time, never hides more."""
    sandbox = Sandbox(tmp_path)
    evil_model(sandbox.target / "models" / ("a" * 200))
    lines = ["*a" * 100 + "b"] * 200 + [f"pattern{index}" for index in range(3000)] + ["models"]
    write_files(sandbox.target, {".gitignore": "\n".join(lines) + "\n"})
    for index in range(30):
        write_files(sandbox.target / "models" / f"d{index}", {"x.py": "", ".gitignore": "*a" * 60 + "b\n"})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target)], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=30)
    assert "ML302" in run.stdout  # the oversized .gitignore is not honoured: `models` is not hidden


def test_the_hook_drops_what_the_user_excludes(tmp_path):
    """pre-commit names the changed files: those below an excluded folder are not linted (force-exclude)."""
    sandbox = Sandbox(tmp_path)
    evil_model(sandbox.cwd / "fixtures" / "evil")
    evil_model(sandbox.cwd / "models" / "evil")
    run = run_cli(["hook", "fixtures/evil/extra.pkl", "models/evil/extra.pkl", "--extend-exclude", "fixtures"],
                  sandbox)
    assert run.returncode == 1 and "models/evil/extra.pkl" in run.stdout and "fixtures" not in run.stdout, run
    (sandbox.cwd / "modellint.toml").write_text('extend-exclude = ["fixtures/"]\n')
    run = run_cli(["hook", "fixtures/evil/extra.pkl"], sandbox)
    assert run.returncode == 0 and run.stdout == "", run


def test_ctrl_c_without_workers_is_one_line_and_exit_130(tmp_path, monkeypatch, capsys):
    from modellint import engine
    from modellint.cli import main

    evil_model(tmp_path / "model")
    monkeypatch.chdir(tmp_path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "_lint_target", interrupted)  # while the one target is linted
    assert main(["model"]) == 130
    out, err = capsys.readouterr()
    assert out == "" and err == "modellint: interrupted\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_other_output_on_a_full_disk_is_one_line(tmp_path):
    result = _shell_run('"$PY" -m modellint rules > /dev/full', tmp_path)
    assert result.returncode == 2, result
    assert result.stderr == "modellint: error: stdout: No space left on device\n", result


def test_a_deleted_working_directory_is_one_line(tmp_path):
    evil_model(tmp_path / "model")
    (tmp_path / "gone").mkdir()
    result = _shell_run(f'cd gone && rmdir ../gone && "$PY" -m modellint {tmp_path / "model"}', tmp_path)
    assert result.returncode == 2, result
    assert result.stderr == "modellint: error: the working directory: No such file or directory\n", result
