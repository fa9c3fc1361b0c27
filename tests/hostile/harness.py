"""The hostile-input harness: the real CLI in a subprocess, measured, and the promises it keeps.

Every hostile case builds a :class:`Sandbox` (the target under check, an ``outside/`` folder the
target must never reach, a working directory, and a canary package that writes a marker file
when imported), runs ``python -m modellint`` in it with :func:`run_cli`, and checks
:func:`assert_promises`:

- no code of the target ran (the canary marker never appears);
- no byte changed anywhere without ``--fix``, and none outside the target with it;
- time and memory stayed bounded (wall-clock timeout, peak RSS of the process tree's leader read
  with ``wait4``, and an address-space limit as a backstop);
- no traceback, and the result is a finding (exit 1) or a usage/internal error (exit 2) whose
  stderr says so in one line: never "All checks passed!" for what was not checked.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.conftest import REPO, write_files

CANARY_INIT = """\
from pathlib import Path
Path({marker!r}).write_text("imported")
"""

DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY = 512 * 2**20  # peak RSS allowed by default: the linter runs in well under this
ADDRESS_SPACE_LIMIT = 4 * 2**30  # backstop: a runaway allocation fails instead of swapping the machine


class Run:
    """What one CLI run did."""

    def __init__(self, returncode: int, stdout: str, stderr: str, seconds: float, peak_rss: int) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.peak_rss = peak_rss  # bytes

    def __repr__(self) -> str:
        return (f"Run(returncode={self.returncode}, seconds={self.seconds:.2f}, peak_rss={self.peak_rss >> 20} MiB,\n"
                f"stdout={self.stdout[-2000:]!r},\nstderr={self.stderr[-2000:]!r})")


class Sandbox:
    """``root/target`` (what is checked), ``root/outside`` (what must stay untouched and unread),
    ``root/cwd`` (the working directory of the run) and ``root/canary`` (on PYTHONPATH)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.target = root / "target"
        self.outside = root / "outside"
        self.cwd = root / "cwd"
        self.canary_dir = root / "canary"
        self.marker = root / "CANARY_WAS_IMPORTED"
        for directory in (self.target, self.outside, self.cwd, self.canary_dir):
            directory.mkdir(parents=True, exist_ok=True)
        canary = CANARY_INIT.format(marker=str(self.marker))
        write_files(self.canary_dir, {"canary_pkg/__init__.py": canary, "canary_pkg/sub.py": canary})
        # A secret beside the target: no report may ever show it.
        write_files(self.outside, {"secret.txt": "TOP-SECRET-OUTSIDE-VALUE\n"})

    def write(self, files: Mapping[str, str | bytes], under: str = "target") -> Path:
        return write_files(self.root / under, files)

    def snapshot(self) -> dict[str, tuple[str, int]]:
        """Every entry below the sandbox (symlinks not followed): content hash (or link target) and mode."""
        state: dict[str, tuple[str, int]] = {}
        for directory, subdirs, names in os.walk(self.root, followlinks=False):
            for name in subdirs + names:
                path = Path(directory) / name
                relative = path.relative_to(self.root).as_posix()
                info = os.lstat(path)
                if os.path.islink(path):
                    state[relative] = ("link:" + os.readlink(path), info.st_mode)
                elif path.is_file() and not name.startswith("CANARY"):
                    state[relative] = (_digest(path), info.st_mode)
                else:
                    state[relative] = ("", info.st_mode)
        return state


def _digest(path: Path) -> str:
    if path.stat().st_size > 64 * 2**20:  # big payloads: size and edges are enough to see a change
        with path.open("rb") as handle:
            head = handle.read(2**16)
            handle.seek(-2**16, os.SEEK_END)
            tail = handle.read()
        return f"{path.stat().st_size}:{hashlib.sha256(head + tail).hexdigest()}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Runs the command as its own child and reports that child's rusage. Linux counts the memory a
# process had before exec in its peak RSS, and a pytest worker that forks modellint directly has
# grown by hundreds of MiB over a run: measured that way, a 30 MiB run could read 256 MiB. This
# launcher is a fresh interpreter of about 10 MiB when it forks, so the peak is modellint's own.
_LAUNCHER = """
import os, resource, sys
limit, report, *command = sys.argv[1:]
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
    os.execv(command[0], command)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as handle:
    handle.write(f"{usage.ru_maxrss} {status}")
"""


def run_cli(args: Sequence[str], sandbox: Sandbox, *, timeout: float = DEFAULT_TIMEOUT,
            env: Mapping[str, str] | None = None, stdin: bytes | None = None) -> Run:
    """``python -m modellint ARGS`` in ``sandbox.cwd``, killed after ``timeout`` seconds.

    The peak RSS is the run's own process (``wait4``); worker processes are measured by the
    tests that start them.
    """
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("MODELLINT_", "GITHUB_"))}
    environment.update({"PYTHONPATH": os.pathsep.join([str(REPO), str(sandbox.canary_dir)]), "NO_COLOR": "1",
                        # The findings cache stays on, as for a user: a hostile target goes through it too.
                        "MODELLINT_CACHE_DIR": str(sandbox.root.parent / f"{sandbox.root.name}-cache")})
    environment.update(env or {})
    stdout_path, stderr_path = sandbox.root / ".stdout", sandbox.root / ".stderr"
    usage_path = sandbox.root / ".usage"
    command = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(ADDRESS_SPACE_LIMIT), str(usage_path),
               sys.executable, "-m", "modellint", *args]
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        started = time.monotonic()
        # A session of its own, so that a run past its time is killed with its launcher.
        process = subprocess.Popen(command, cwd=sandbox.cwd, env=environment, start_new_session=True,
                                   stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                   stdout=stdout, stderr=stderr)
        if stdin is not None:
            process.stdin.write(stdin)
            process.stdin.close()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise AssertionError(f"modellint {' '.join(args)} ran longer than {timeout} s") from None
        seconds = time.monotonic() - started
    max_rss_kib, status = (int(field) for field in usage_path.read_text().split())
    out = stdout_path.read_bytes().decode("utf-8", "replace")
    err = stderr_path.read_bytes().decode("utf-8", "replace")
    for path in (stdout_path, stderr_path, usage_path):
        path.unlink()
    return Run(os.waitstatus_to_exitcode(status), out, err, seconds, max_rss_kib * 1024)


def assert_promises(run: Run, sandbox: Sandbox, before: Mapping[str, tuple[str, int]], *, fixing: bool = False,
                    memory: int = DEFAULT_MEMORY, seconds: float | None = None, clean_allowed: bool = False) -> None:
    """The promises every hostile run keeps (see the module docstring).

    ``before`` is :meth:`Sandbox.snapshot` taken before the run. With ``fixing`` the target may
    change (and nothing else); ``clean_allowed`` for the few cases where the hostile part is
    fully checked and really is harmless.
    """
    assert not sandbox.marker.exists(), f"the canary was imported: code of the target ran\n{run!r}"
    after = sandbox.snapshot()
    changed = sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))
    if fixing:
        changed = [path for path in changed if not path.startswith("target/")]
    assert not changed, f"files changed{' outside the target' if fixing else ' without --fix'}: {changed}\n{run!r}"
    assert "Traceback" not in run.stdout + run.stderr, run
    assert "TOP-SECRET-OUTSIDE-VALUE" not in run.stdout + run.stderr, f"a file outside the target was echoed\n{run!r}"
    assert run.peak_rss <= memory, f"peak RSS {run.peak_rss >> 20} MiB over {memory >> 20} MiB\n{run!r}"
    if seconds is not None:
        assert run.seconds <= seconds, f"took {run.seconds:.1f} s, over {seconds} s\n{run!r}"
    if clean_allowed:
        assert run.returncode in (0, 1, 2), run
        return
    assert "All checks passed" not in run.stdout + run.stderr, f"reported clean\n{run!r}"
    assert run.returncode in (1, 2), f"exit {run.returncode}: a hostile target must give a finding or an error\n{run!r}"
    if run.returncode == 2:
        errors = [line for line in run.stderr.splitlines() if line.startswith("modellint: error:")]
        assert errors, f"exit 2 without a `modellint: error:` line\n{run!r}"
