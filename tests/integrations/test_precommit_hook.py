"""The real `pre-commit try-repo` on this repository's hook: pre-commit builds its own virtualenv,
installs modellint into it (from PyPI's dependencies) and runs `.pre-commit-hooks.yaml`.

try-repo on a checkout with uncommitted changes commits only the *tracked* ones into its shadow
repo (`git add -u`), so a new hook file would be missing on a developer's machine; and it uses a
fresh store per run, ignoring PRE_COMMIT_HOME. The test therefore commits a snapshot of the work
tree (tracked and untracked, minus ignored files) to a temporary repository, the same on a dirty
checkout and a clean CI one, and starts the two runs in parallel (each installs for ~20 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow  # two real virtualenv builds: most of the suite's time
pytest.importorskip("pre_commit", reason="pre-commit is a test extra")
if shutil.which("git") is None:
    pytest.skip("git is not installed", allow_module_level=True)

CORPUS = REPO / "corpus" / "models"
BROKEN, CLEAN = "ml103-conda-defaults", "sklearn-skops"
_IDENTITY = {"GIT_AUTHOR_NAME": "modellint tests", "GIT_AUTHOR_EMAIL": "tests@modellint.invalid",
             "GIT_COMMITTER_NAME": "modellint tests", "GIT_COMMITTER_EMAIL": "tests@modellint.invalid"}


def _git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **_IDENTITY},
                            capture_output=True, text=True, check=True)
    return result.stdout


def _commit_all(repo: Path) -> None:
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-q", "--no-verify", "-m", "snapshot", cwd=repo)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():  # listed in the index but deleted in the work tree: skip
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    _commit_all(snapshot)
    return snapshot


@pytest.fixture(scope="module")
def runs(hook_repo, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Two hook runs in one repository: a commit touching both model dirs (and a README), and
    one touching only the clean model dir."""
    work = tmp_path_factory.mktemp("models-repo")
    shutil.copytree(CORPUS / BROKEN, work / "models" / "broken")
    shutil.copytree(CORPUS / CLEAN, work / "models" / "clean")
    (work / "README.md").write_text("# models\n")
    _commit_all(work)
    broken_files = sorted(str(path.relative_to(work)) for path in (work / "models" / "broken").iterdir())
    clean_files = sorted(str(path.relative_to(work)) for path in (work / "models" / "clean").iterdir())
    file_lists = {"both": [*broken_files, *clean_files, "README.md"], "clean": [*clean_files, "README.md"]}
    home = tmp_path_factory.mktemp("pre-commit-home")
    environment = {**os.environ, **_IDENTITY, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    started = {
        name: subprocess.Popen(
            [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "modellint", "--verbose", "--files", *files],
            cwd=work, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for name, files in file_lists.items()
    }
    finished = {}
    try:
        for name, process in started.items():
            output, _ = process.communicate(timeout=300)
            finished[name] = subprocess.CompletedProcess(process.args, process.returncode, output, "")
    finally:
        for process in started.values():
            if process.poll() is None:  # timed out (no package index?): leave nothing running
                process.kill()
                process.wait()
    return finished


def test_hook_fails_with_the_finding_of_the_broken_model_reported_once(runs):
    run = runs["both"]
    assert run.returncode == 1, run.stdout
    assert "modellint................................................................Failed" in run.stdout
    # every file of the broken dir was passed; its one finding is reported once
    assert run.stdout.count("ML103") == 1, run.stdout
    assert "models/broken/conda.yaml:2:3: ML103 [warning]" in run.stdout
    assert "models/clean" not in run.stdout


def test_hook_passes_on_the_clean_model(runs):
    run = runs["clean"]
    assert run.returncode == 0, run.stdout
    assert "modellint................................................................Passed" in run.stdout
    assert "All checks passed!" in run.stdout  # --verbose shows that modellint did lint it
