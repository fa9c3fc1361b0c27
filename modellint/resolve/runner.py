"""Running ``uv pip compile`` on a prepared list: bounded in time and output, and unable to run
anything of the model's.

* ``--no-build``: uv never builds a source distribution or a local project to learn its
  dependencies, so no ``setup.py`` (of the model's own projects, or of a package an index serves)
  runs on the machine running modellint. A release with only an sdist therefore does not resolve
  here; :func:`resolve` tells that outcome (``needs_build``) from a real conflict.
* ``--no-config``, and a working folder of its own outside the model: no ``uv.toml`` or
  ``pyproject.toml`` of the model (or of the folder modellint runs in) configures uv.
* ``UV_PYTHON_DOWNLOADS=never``: no interpreter is fetched; ``--python-version`` and
  ``--python-platform`` say what to resolve for, nothing is installed.
* The user's own ``UV_*`` environment (a mirror's ``UV_INDEX_URL``, ``UV_OFFLINE``) is kept.
* uv runs in a process group of its own, killed at the deadline; its standard error is read up to
  :data:`MAX_OUTPUT_BYTES`, its standard output (the pinned list) is not kept.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from modellint.record import Record
from modellint.resolve import uv_output

TIMEOUT_SECONDS = 120.0
MAX_OUTPUT_BYTES = 256 * 1024


class Outcome(Record):
    """What one uv run said: ``status`` (see :func:`uv_output.classify`, plus ``needs_build``), its
    explanation lines, and the requirement uv's explanation starts from (a normalised name)."""

    __slots__ = ("status", "explanation", "blamed")

    def __init__(self, status: str, explanation: tuple[str, ...], blamed: str | None) -> None:
        self.status = status
        self.explanation = explanation
        self.blamed = blamed


def command(uv: str, requirements: Path, python: str, platform: str) -> list[str]:
    return [uv, "pip", "compile", str(requirements), "--python-version", python, "--python-platform", platform,
            "--no-header", "--no-annotate", "--no-build", "--no-config", "--color", "never", "--quiet",
            "--output-file", os.devnull]


def resolve(uv: str, requirements: Path, python: str, platform: str, names: Sequence[str], *,
            timeout: float | None = None) -> Outcome:
    """uv's answer for ``requirements`` (a scratch file) on CPython ``python`` and uv's ``platform``."""
    limit = TIMEOUT_SECONDS if timeout is None else timeout
    # COLUMNS: uv wraps its explanation to the terminal's width; one reason per line reads the same anywhere.
    environment = dict(os.environ, UV_PYTHON_DOWNLOADS="never", UV_NO_CONFIG="1", NO_COLOR="1", COLUMNS="100000")
    with tempfile.TemporaryDirectory(prefix="modellint-uv-") as cwd, \
            tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(command(uv, requirements, python, platform), cwd=cwd, env=environment,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                                       start_new_session=True)
        except OSError as error:
            return Outcome("uv_error", (f"could not run uv: {error.strerror or error}",), None)
        try:
            exit_code: int | None = process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            return Outcome("timeout", (f"uv gave no answer within {limit:.0f} s",), None)
        finally:
            if process.poll() is None:  # interrupted: uv must not outlive the run
                _kill_group(process)
        errors.seek(0)
        stderr = errors.read(MAX_OUTPUT_BYTES).decode("utf-8", "replace")
    hide = (f"{requirements.parent}/", f"{cwd}/")
    lines = uv_output.explanation(stderr, hide=hide)
    status = uv_output.classify(exit_code, stderr)
    if status == "resolved":
        return Outcome(status, (), None)
    if status == "unsatisfiable" and uv_output.needs_build(stderr):
        status = "needs_build"
    return Outcome(status, lines, uv_output.first_required(lines, names) or next(iter(uv_output.blamed(lines, names)), None))


def _kill_group(process: subprocess.Popen) -> None:
    """uv and whatever it started (its session's group); on Windows, uv itself."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
