"""The trust boundary of configuration: a checked model never configures the checker.

A model (or the folder of a lone pickle) ships a `modellint.toml` or a `pyproject.toml` with
`[tool.modellint]` that tries to run a program (`python`), write files (`fix`, `output-file`)
or silence its own finding (`ignore`, `per-path-ignores`, `select`). Whatever the working
directory (outside the model, the model itself, a folder inside it), nothing runs, nothing is
written, and the ML302 finding of a pickle calling `os.system` is reported. The same settings in
the user's own folder (the working directory, outside any model) narrow the rules as asked, and
the keys with effects are still refused there, with a warning.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from modellint.rules._examples import CLEAN
from tests.conftest import REPO, write_files
from tests.hostile.harness import Sandbox, assert_promises, run_cli

EVIL_PICKLE = b"cos\nsystem\n(S'echo pwned'\ntR."
SCRIPT = "#!/bin/sh\ntouch {marker}\necho '{{}}'\n"

HOSTILE_SETTINGS = {
    "python": 'python = "x.sh"\n',
    "fix": "fix = true\nunsafe-fixes = true\n",
    "output-file": 'output-file = "../../outside/x"\n',
    "ignore": 'ignore = ["ML302"]\n',
    "per-path-ignores": 'per-path-ignores = {"**" = ["ALL"]}\n',
    "select": 'select = ["ML1"]\n',
    "everything": 'python = "x.sh"\nfix = true\noutput-file = "../outside/y"\nignore = ["ALL"]\n'
                  'exclude = ["*"]\nfollow-symlinks = true\nexit-zero = true\n',
}


def _ran(sandbox: Sandbox) -> Path:
    return sandbox.root / "SCRIPT_RAN"


def _hostile_model(sandbox: Sandbox, root: Path, settings: str, style: str) -> None:
    """A model with a pickle calling os.system, a fixable requirement and its own config file."""
    # extra.pkl is the file the sklearn flavor loads: a stray pickle MLflow never loads is only a warning
    mlmodel = CLEAN["MLmodel"].replace("model.skops", "extra.pkl").replace("format: skops", "format: cloudpickle")
    files = {**CLEAN, "MLmodel": mlmodel, "requirements.txt": "mlflow\nscikit-learn==1.9.1\nskops==0.16.0\n",
             "extra.pkl": EVIL_PICKLE}
    if style == "modellint.toml":
        files["modellint.toml"] = settings
    elif style == "pyproject.toml":
        files["pyproject.toml"] = "[project]\nname = 'innocent'\n[tool.modellint]\n" + settings
    else:  # a modellint.toml with a [tool.modellint] table
        files["modellint.toml"] = "[tool.modellint]\n" + settings
    write_files(root, files)
    script = root / "x.sh"
    script.write_text(SCRIPT.format(marker=_ran(sandbox)))
    script.chmod(0o755)


def _assert_not_steered(run, sandbox: Sandbox, before) -> None:
    assert not _ran(sandbox).exists(), f"the model's x.sh ran\n{run!r}"
    assert_promises(run, sandbox, before)
    assert run.returncode == 1, run
    assert "ML302" in run.stdout and "os.system" in run.stdout, run


def _cases():
    """Every setting, file style and working directory; the fast tier runs every setting and every
    working directory with a modellint.toml, and the other file styles with all settings at once."""
    for where in ("outside", "model", "inside-model"):
        for style in ("modellint.toml", "pyproject.toml", "tool-table"):
            for name in sorted(HOSTILE_SETTINGS):
                fast = style == "modellint.toml" or name == "everything"
                yield pytest.param(where, style, name, marks=() if fast else pytest.mark.slow,
                                   id=f"{where}-{style}-{name}")


@pytest.mark.parametrize(("where", "style", "name"), list(_cases()))
def test_a_model_cannot_configure_its_own_check(tmp_path, where, style, name):
    sandbox = Sandbox(tmp_path)
    _hostile_model(sandbox, sandbox.target, HOSTILE_SETTINGS[name], style)
    if where == "outside":
        cwd, path = sandbox.cwd, str(sandbox.target)
    elif where == "model":
        cwd, path = sandbox.target, "."
    else:  # the working directory a folder inside the model, the config above it
        (sandbox.target / "code" / "sub").mkdir(parents=True)
        cwd, path = sandbox.target / "code" / "sub", str(sandbox.target)
    sandbox.cwd = cwd
    before = sandbox.snapshot()
    run = run_cli(["check", path, "--format", "concise"], sandbox)
    _assert_not_steered(run, sandbox, before)
    if where != "outside" and style != "pyproject.toml":
        assert "not used: a config file inside a model dir" in run.stderr, run


@pytest.mark.parametrize("name", ["python", "ignore", "per-path-ignores", "everything"])
def test_a_config_beside_a_lone_pickle_is_not_used(tmp_path, name):
    """A downloaded pickle and a modellint.toml in the same folder: the folder may be the attacker's."""
    sandbox = Sandbox(tmp_path)
    write_files(sandbox.target, {"model.pkl": EVIL_PICKLE, "modellint.toml": HOSTILE_SETTINGS[name]})
    script = sandbox.target / "x.sh"
    script.write_text(SCRIPT.format(marker=_ran(sandbox)))
    script.chmod(0o755)
    sandbox.cwd = sandbox.target
    before = sandbox.snapshot()
    run = run_cli(["check", "model.pkl"], sandbox)
    _assert_not_steered(run, sandbox, before)


@pytest.mark.parametrize("mlmodel", ["file", "directory", "dangling-symlink"])
def test_any_mlmodel_entry_marks_a_model_dir(tmp_path, mlmodel):
    """The model dir test for configs looks for any entry named MLmodel, not only a readable file."""
    sandbox = Sandbox(tmp_path)
    _hostile_model(sandbox, sandbox.target, HOSTILE_SETTINGS["everything"], "modellint.toml")
    (sandbox.target / "MLmodel").unlink()
    if mlmodel == "file":
        (sandbox.target / "MLmodel").write_text("")
    elif mlmodel == "directory":
        (sandbox.target / "MLmodel").mkdir()
    else:
        (sandbox.target / "MLmodel").symlink_to(sandbox.root / "missing")
    sandbox.cwd = sandbox.target
    before = sandbox.snapshot()
    run = run_cli(["check", "extra.pkl"], sandbox)
    assert not _ran(sandbox).exists()
    assert_promises(run, sandbox, before)
    assert "not used: a config file inside a model dir" in run.stderr


def test_the_users_own_config_narrows_the_rules(tmp_path):
    """The same `ignore`/`select` in the working directory (the user's repository) is honoured."""
    sandbox = Sandbox(tmp_path)
    _hostile_model(sandbox, sandbox.cwd / "models" / "evil", "", "modellint.toml")
    (sandbox.cwd / "models" / "evil" / "modellint.toml").unlink()
    (sandbox.cwd / "modellint.toml").write_text('ignore = ["ML302"]\n')
    run = run_cli(["check", "models", "--format", "concise"], sandbox)
    assert "ML302" not in run.stdout and "ML105" in run.stdout, run
    (sandbox.cwd / "modellint.toml").write_text('select = ["ML302"]\n')
    run = run_cli(["check", "models", "--format", "concise"], sandbox)
    assert run.returncode == 1 and "ML302" in run.stdout and "ML105" not in run.stdout, run
    (sandbox.cwd / "modellint.toml").write_text('per-path-ignores = {"models/evil/extra.pkl" = ["ML302"]}\n')
    run = run_cli(["check", "models", "--format", "concise"], sandbox)
    assert "ML302" not in run.stdout and "ML105" in run.stdout, run
    # The user's repository above a model dir the user works in: still the user's config.
    (sandbox.cwd / "modellint.toml").write_text('ignore = ["ML302"]\n')
    sandbox.cwd = sandbox.cwd / "models" / "evil"
    run = run_cli(["check", ".", "--format", "concise"], sandbox)
    assert "ML302" not in run.stdout and "ML105" in run.stdout, run


@pytest.mark.parametrize("style", ["modellint.toml", "pyproject.toml"])
def test_keys_with_effects_are_refused_from_the_users_config_too(tmp_path, style):
    sandbox = Sandbox(tmp_path)
    _hostile_model(sandbox, sandbox.target, "", "modellint.toml")
    (sandbox.target / "modellint.toml").unlink()
    settings = (f'python = "{sandbox.target / "x.sh"}"\nfix = true\nunsafe-fixes = true\n'
                'output-file = "../outside/report.txt"\nfollow-symlinks = true\n')
    if style == "pyproject.toml":
        settings = "[tool.modellint]\n" + settings
    (sandbox.cwd / style).write_text(settings)
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox)
    _assert_not_steered(run, sandbox, before)
    for key in ("python", "fix", "unsafe-fixes", "output-file", "follow-symlinks"):
        assert f"`{key}` is ignored: a discovered config file cannot set it" in run.stderr, run


def test_an_explicit_config_file_may_set_them(tmp_path):
    """`--config FILE` is the user's own choice, as a flag is: `output-file` from it is honoured."""
    sandbox = Sandbox(tmp_path)
    _hostile_model(sandbox, sandbox.target, "", "modellint.toml")
    (sandbox.cwd / "ci.toml").write_text('output-file = "report.txt"\n')
    run = run_cli(["check", str(sandbox.target), "--config", "ci.toml"], sandbox)
    assert run.returncode == 1 and "ML302" in (sandbox.cwd / "report.txt").read_text()


def test_isolated_still_ignores_every_config(tmp_path):
    sandbox = Sandbox(tmp_path)
    _hostile_model(sandbox, sandbox.target, "", "modellint.toml")
    (sandbox.cwd / "modellint.toml").write_text('ignore = ["ML302"]\n')
    run = run_cli(["check", str(sandbox.target), "--isolated"], sandbox)
    assert run.returncode == 1 and "ML302" in run.stdout


# --- the integrations run in the user's repository -------------------------------------------

def test_the_pre_commit_hook_is_not_steered_by_a_model(tmp_path):
    sandbox = Sandbox(tmp_path)
    _hostile_model(sandbox, sandbox.cwd / "models" / "evil", HOSTILE_SETTINGS["everything"], "modellint.toml")
    before = sandbox.snapshot()
    run = run_cli(["hook", "models/evil/extra.pkl", "models/evil/modellint.toml"], sandbox)
    _assert_not_steered(run, sandbox, before)
    # A repository that is itself one model dir: its own config is a model's config.
    _hostile_model(sandbox, sandbox.cwd, HOSTILE_SETTINGS["everything"], "modellint.toml")
    before = sandbox.snapshot()
    run = run_cli(["hook", "extra.pkl"], sandbox)
    _assert_not_steered(run, sandbox, before)


@pytest.mark.parametrize("layout", ["model-in-repo", "repo-is-a-model"])
def test_the_github_action_is_not_steered_by_a_model(tmp_path, layout):
    sandbox = Sandbox(tmp_path)
    workspace = sandbox.cwd
    model = workspace / "models" / "evil" if layout == "model-in-repo" else workspace
    _hostile_model(sandbox, model, HOSTILE_SETTINGS["everything"], "pyproject.toml")
    runner = tmp_path / "runner"  # the runner's own files: the action writes there
    runner.mkdir()
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("MODELLINT_", "GITHUB_"))}
    environment.update({"PYTHONPATH": str(REPO), "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner),
                        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"), "GITHUB_OUTPUT": str(runner / "output"),
                        "INPUT_PATHS": ".", "INPUT_ARGS": "", "INPUT_SARIF": "true", "INPUT_SUMMARY": "true"})
    before = sandbox.snapshot()
    result = subprocess.run([sys.executable, "-m", "modellint.integrations.action"], cwd=workspace, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert not _ran(sandbox).exists()
    assert result.returncode == 1, result
    assert "::error" in result.stdout and "ML302" in result.stdout, result
    def ours(state):
        return {path: value for path, value in state.items() if not path.startswith("runner")}

    assert ours(sandbox.snapshot()) == ours(before)
    assert "Traceback" not in result.stdout + result.stderr
