"""The GitHub Action's install step: put modellint in a private virtualenv.

Runs before modellint is installed, as ``python3 <action path>/modellint/integrations/action_install.py``,
so it uses the standard library only. The version comes from the ``version`` input; without
one, from the ref the workflow named (``uses: modellint/modellint@v0.1.0`` installs
``modellint==0.1.0`` from PyPI, as psf/black's action does); a branch, a commit or a local
``uses: ./`` installs the action's own checkout, which is the code of that ref. A private
virtualenv keeps the workflow's own packages out of the results (modellint judges a model by
its files, never by what happens to be installed next to it).

Environment: ``INPUT_VERSION``, ``ACTION_REF``, ``ACTION_PATH`` (passed by ``action.yml``),
``RUNNER_TEMP`` (where the virtualenv goes) and ``GITHUB_OUTPUT`` (gets ``python=<its interpreter>``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

DISTRIBUTION = "modellint"
_VERSION_TAG = re.compile(r"^v?(\d+(?:\.\d+)*(?:(?:a|b|rc|\.post|\.dev)\d+)?)$")
_SPECIFIER = re.compile(r"^(?:==|!=|<=|>=|~=|<|>)")


def requirement(version: str, action_ref: str, action_path: str) -> tuple[str, bool]:
    """``(what to pip install, whether it came from the ref)``.

    ``version``: ``""`` (use the ref), ``latest``, ``0.1.0`` / ``v0.1.0``, or a specifier such
    as ``>=0.1,<0.2``.
    """
    version = version.strip()
    if version == "latest":
        return DISTRIBUTION, False
    if version:
        if _SPECIFIER.match(version):
            return f"{DISTRIBUTION}{version}", False
        match = _VERSION_TAG.match(version)
        if match is None:
            raise ValueError(f"input `version`: expected a version such as 0.1.0, a specifier such as "
                             f">=0.1,<0.2, or latest; got {version!r}")
        return f"{DISTRIBUTION}=={match.group(1)}", False
    match = _VERSION_TAG.match(action_ref.strip())
    if match is not None:
        return f"{DISTRIBUTION}=={match.group(1)}", True
    return action_path, False


def main() -> int:
    action_path = os.environ.get("ACTION_PATH") or str(Path(__file__).resolve().parents[2])
    try:
        spec, from_ref = requirement(os.environ.get("INPUT_VERSION", ""), os.environ.get("ACTION_REF", ""), action_path)
    except ValueError as error:
        print(f"::error title=modellint::{_escape(str(error))}")
        return 2
    environment = Path(os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()) / "modellint-venv"
    python = _create_virtualenv(environment)
    if python is None:
        print(f"::error title=modellint::cannot create a virtualenv in {_escape(str(environment))}")
        return 2
    if not _pip_install(python, spec):
        if not from_ref:
            print(f"::error title=modellint::pip could not install {_escape(spec)}")
            return 2
        # A release tag that is not on PyPI (yet): the checkout is the same code.
        print(f"::warning title=modellint::{_escape(spec)} is not installable from the package index; "
              "installing the action's own checkout instead")
        if not _pip_install(python, action_path):
            print(f"::error title=modellint::pip could not install {_escape(action_path)}")
            return 2
    set_output(os.environ.get("GITHUB_OUTPUT"), "python", str(python))
    return 0


# The step's working directory is the repository under check: `python -m` would put it first on
# sys.path, so that its `logging.py` or `typing.py` replaced the standard library's. -I never does.
_ISOLATED = "-I"


def _create_virtualenv(directory: Path) -> Path | None:
    result = subprocess.run([sys.executable, _ISOLATED, "-m", "venv", "--clear", str(directory)])
    if result.returncode != 0:
        return None
    for candidate in (directory / "bin" / "python", directory / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    return None


def _pip_install(python: Path, spec: str) -> bool:
    command = [str(python), _ISOLATED, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", spec]
    print(f"::group::pip install {spec}", flush=True)
    try:
        return subprocess.run(command).returncode == 0
    finally:
        print("::endgroup::", flush=True)


def set_output(output_file: str | None, name: str, value: str) -> None:
    """Append a step output to ``output_file`` (``$GITHUB_OUTPUT``) in the multi-line form, which
    no value (a path with a newline) can break out of; without a file, print it."""
    if not output_file:
        print(f"{name}={value}")
        return
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    with open(output_file, "a", encoding="utf-8") as handle:
        handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def _escape(text: str) -> str:
    """Workflow-command data escaping, as ``modellint.reports.github.escape_data`` (not importable
    here: this runs before modellint is installed)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


if __name__ == "__main__":
    sys.exit(main())
