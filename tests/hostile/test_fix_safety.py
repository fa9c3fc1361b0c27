"""`--fix` under attack and under load: concurrent runs, signals, read-only files, symlinks, and
`--diff` showing exactly what `--fix` writes (modellint.fix_runner)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from modellint.cli import main
from modellint.rules import ALL_RULES
from modellint.rules._base import ProjectInvalid
from modellint.rules._examples import model_files
from tests.conftest import REPO, write_files
from tests.hostile.harness import Sandbox, assert_promises, run_cli

ENV_FILES = ("requirements.txt", "conda.yaml", "python_env.yaml")
# ML105 pins mlflow and ML107 drops a duplicate (safe), ML103 swaps the channel (unsafe).
REQUIREMENTS = "# pinned by hand\nmlflow  # the loader\nscikit-learn==1.9.1\nskops==0.16.0\nscikit-learn==1.9.1\n"


def _fixable_examples() -> list[dict]:
    """Every rule's INVALID model-dir example that has a fix."""
    return [dict(case.files) for rule in ALL_RULES
            for case in rule.INVALID if case.fixed is not None and not isinstance(case, ProjectInvalid)]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and not path.is_symlink()}


def _environment(**extra: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("MODELLINT_", "GITHUB_"))}
    environment.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1", **extra})
    return environment


def _fix_process(root: Path, cwd: Path, *args: str, pause_between_replaces: bool = False) -> subprocess.Popen:
    start = ["-c", _PAUSED_RUN] if pause_between_replaces else ["-m", "modellint"]
    return subprocess.Popen([sys.executable, *start, str(root), "--fix", "--unsafe-fixes", "--isolated",
                             "--format", "concise", "--no-progress", *args], cwd=cwd, env=_environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


# `python -m modellint` whose paired writes wait (up to 30 s, until a signal is noted) after the
# first replace of a group and before the next: a window to signal a half-written pair.
_PAUSED_RUN = """
import os, sys, time
from modellint import fix_runner
from modellint.cli import main

real_replace, real_write_together = os.replace, fix_runner.write_together

def write_together(changes, checkpoint=fix_runner._no_checkpoint):
    changes, replaced = list(changes), []

    def replace(source, target):
        real_replace(source, target)
        replaced.append(target)
        deadline = time.monotonic() + 30
        while len(replaced) < len(changes) and time.monotonic() < deadline:
            try:
                checkpoint()
            except fix_runner.FixInterrupted:
                return  # noted: the writer's own checkpoint before the next replace raises it again
            time.sleep(0.01)

    os.replace = replace
    try:
        return real_write_together(changes, checkpoint)
    finally:
        os.replace = real_replace

fix_runner.write_together = write_together
sys.argv[0] = "modellint"
sys.exit(main())
"""


def _assert_env_files_parse(root: Path) -> None:
    from packaging.requirements import Requirement

    for path in root.rglob("*"):
        if path.name in ("conda.yaml", "python_env.yaml"):
            assert isinstance(yaml.safe_load(path.read_text()), dict), path
        elif path.name == "requirements.txt":
            for line in path.read_text().splitlines():
                line = line.split(" #")[0].strip()
                if line and not line.startswith(("#", "-")):
                    Requirement(line)


# ------------------------------------------------------------------------------- concurrency


@pytest.mark.slow
def test_two_concurrent_fix_runs_apply_every_fix_exactly_once(tmp_path):
    """Two `--fix` processes on the same 300 model dirs, 10 times: every env file parses and every
    dir is what one run alone makes of it (a fix applied twice would add a line twice)."""
    examples = _fixable_examples() + [model_files(requirements__txt=REQUIREMENTS)]
    pristine = tmp_path / "pristine"
    for index in range(300):
        write_files(pristine / f"m{index:03}", examples[index % len(examples)])
    expected = tmp_path / "expected"
    shutil.copytree(pristine, expected)
    alone = _fix_process(expected, tmp_path, "--jobs", "1")
    alone.communicate(timeout=300)
    reference = _snapshot(expected)
    assert reference != _snapshot(pristine)
    _assert_env_files_parse(expected)
    for attempt in range(10):
        root = tmp_path / f"run{attempt}"
        shutil.copytree(pristine, root)
        runs = [_fix_process(root, tmp_path, "--jobs", "1") for _ in range(2)]
        for run in runs:
            _, err = run.communicate(timeout=300)
            assert b"Traceback" not in err, err.decode()
        _assert_env_files_parse(root)
        assert _snapshot(root) == reference, f"attempt {attempt}"
        assert not list(root.rglob("*.modellint"))
        shutil.rmtree(root)


# ------------------------------------------------------------------------------- refused writes


def _ml105_model(sandbox: Sandbox) -> Path:
    sandbox.write(model_files(requirements__txt=REQUIREMENTS))
    return sandbox.target


def _errors(run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("modellint: error:")]


@pytest.mark.parametrize("mode", [0o444, 0o440, 0o400])
def test_a_read_only_file_is_refused_with_one_line(tmp_path, mode):
    sandbox = Sandbox(tmp_path)
    model = _ml105_model(sandbox)
    os.chmod(model / "requirements.txt", mode)
    before = sandbox.snapshot()
    run = run_cli(["../target", "--fix"], sandbox)
    assert_promises(run, sandbox, before, fixing=True)
    assert run.returncode == 2, run
    assert len(_errors(run)) == 1, run
    assert _errors(run)[0].endswith("/target/requirements.txt: cannot write the fix: the file is read-only")
    assert sandbox.snapshot() == before
    assert "ML105" in run.stdout  # the finding stays


def test_a_read_only_twin_keeps_the_other_file_unchanged(tmp_path):
    """ML201 adds the line to requirements.txt and conda.yaml together: one read-only, neither written."""
    sandbox = Sandbox(tmp_path)
    sandbox.write(_ml201_pair())
    os.chmod(sandbox.target / "conda.yaml", 0o444)
    before = sandbox.snapshot()
    run = run_cli(["../target", "--fix", "--unsafe-fixes"], sandbox)
    assert_promises(run, sandbox, before, fixing=True)
    assert run.returncode == 2 and sandbox.snapshot() == before, run
    assert len(_errors(run)) == 1, run
    assert _errors(run)[0].endswith("/target/conda.yaml: cannot write the fix: the file is read-only")


def test_an_immutable_file_is_refused(tmp_path):
    sandbox = Sandbox(tmp_path)
    model = _ml105_model(sandbox)
    if subprocess.run(["chattr", "+i", str(model / "requirements.txt")], capture_output=True).returncode:
        pytest.skip("chattr +i is not supported here")
    try:
        before = sandbox.snapshot()
        run = run_cli(["../target", "--fix"], sandbox)
        assert run.returncode == 2 and sandbox.snapshot() == before, run
        assert len(_errors(run)) == 1 and "requirements.txt" in _errors(run)[0]
    finally:
        subprocess.run(["chattr", "-i", str(model / "requirements.txt")])


def test_diff_refuses_what_fix_refuses(tmp_path):
    sandbox = Sandbox(tmp_path)
    model = _ml105_model(sandbox)
    os.chmod(model / "requirements.txt", 0o444)
    before = sandbox.snapshot()
    run = run_cli(["../target", "--diff"], sandbox)
    assert_promises(run, sandbox, before)
    assert run.returncode == 2 and run.stdout == "", run
    assert len(_errors(run)) == 1


def _outside_requirements(sandbox: Sandbox) -> None:
    sandbox.write({"reqs.txt": REQUIREMENTS}, under="outside")


@pytest.mark.parametrize("link", ["../outside/reqs.txt", "ABSOLUTE"])
def test_a_symlink_leading_outside_is_never_written_through(tmp_path, link):
    sandbox = Sandbox(tmp_path)
    _outside_requirements(sandbox)
    sandbox.write(model_files(requirements__txt=None))
    (sandbox.target / "requirements.txt").symlink_to(sandbox.outside / "reqs.txt" if link == "ABSOLUTE" else link)
    before = sandbox.snapshot()
    run = run_cli(["../target", "--fix", "--unsafe-fixes"], sandbox)
    assert_promises(run, sandbox, before, fixing=True)  # outside/ unchanged
    assert sandbox.snapshot() == before, run
    assert "Fixed" not in run.stderr or "requirements.txt" not in run.stderr


def test_a_hard_link_to_an_outside_file_is_replaced_not_written_through(tmp_path):
    """The atomic replace gives the model dir its own file; the outside one keeps its bytes."""
    sandbox = Sandbox(tmp_path)
    _outside_requirements(sandbox)
    sandbox.write(model_files(requirements__txt=None))
    os.link(sandbox.outside / "reqs.txt", sandbox.target / "requirements.txt")
    before = sandbox.snapshot()
    run = run_cli(["../target", "--fix"], sandbox)
    assert_promises(run, sandbox, before, fixing=True, clean_allowed=True)
    assert (sandbox.outside / "reqs.txt").read_text() == REQUIREMENTS
    assert "mlflow==3.17.2" in (sandbox.target / "requirements.txt").read_text()


def test_a_symlinked_folder_leading_outside_is_never_written_through(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"env/conda.yaml": yaml.safe_dump(
        {"channels": ["defaults"],
         "dependencies": ["python=3.11.7", "pip", {"pip": ["mlflow", "scikit-learn==1.9.1"]}]},
        sort_keys=False)}, under="outside")
    files = model_files(conda__yaml=None)
    files["MLmodel"] = files["MLmodel"].replace("conda: conda.yaml", "conda: env/conda.yaml")
    sandbox.write(files)
    (sandbox.target / "env").symlink_to("../outside/env")
    before = sandbox.snapshot()
    run = run_cli(["../target", "--fix", "--unsafe-fixes"], sandbox)
    assert_promises(run, sandbox, before, fixing=True)
    assert sandbox.snapshot() == before, run


@pytest.mark.parametrize("link", ["../outside/made.yaml", "made-inside.yaml", "../outside/missing-dir/x.yaml"])
def test_a_dangling_symlink_is_never_created_through(tmp_path, link):
    """ML101 creates python_env.yaml: never through a dangling symlink, inside or out."""
    sandbox = Sandbox(tmp_path)
    sandbox.write(model_files(python_env__yaml=None))
    (sandbox.target / "python_env.yaml").symlink_to(link)
    before = sandbox.snapshot()
    run = run_cli(["../target", "--fix"], sandbox)
    assert_promises(run, sandbox, before, fixing=True)
    assert sandbox.snapshot() == before, run
    assert not (sandbox.outside / "made.yaml").exists() and not (sandbox.target / "made-inside.yaml").exists()


def test_a_file_created_by_a_fix_never_lands_outside(tmp_path):
    """MLmodel names the python_env file `../outside/python_env.yaml`: ML101 must not create it there."""
    sandbox = Sandbox(tmp_path)
    files = model_files(python_env__yaml=None)
    files["MLmodel"] = files["MLmodel"].replace("virtualenv: python_env.yaml", "virtualenv: ../outside/python_env.yaml")
    assert "../outside/python_env.yaml" in files["MLmodel"]
    sandbox.write(files)
    before = sandbox.snapshot()
    run = run_cli(["../target", "--fix", "--unsafe-fixes"], sandbox)
    assert_promises(run, sandbox, before, fixing=True)
    assert not (sandbox.outside / "python_env.yaml").exists()


def test_a_symlink_inside_the_model_dir_is_written_through_and_kept(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write(model_files(requirements__txt=None) | {"envs/requirements.txt": REQUIREMENTS})
    (sandbox.target / "requirements.txt").symlink_to("envs/requirements.txt")
    before = sandbox.snapshot()
    run = run_cli(["../target", "--fix"], sandbox)
    assert_promises(run, sandbox, before, fixing=True, clean_allowed=True)
    assert (sandbox.target / "requirements.txt").is_symlink()
    assert "mlflow==3.17.2" in (sandbox.target / "envs" / "requirements.txt").read_text()


# ------------------------------------------------------------------------------- signals


def _ml201_pair() -> dict:
    """A model whose ML201 fix (unsafe: no pin known) adds `tabulate` to both env files."""
    from modellint.rules.ml201_missing_dependency import MissingDependency

    for case in MissingDependency.INVALID:
        if case.fixed is not None and set(case.fixed) == {"requirements.txt", "conda.yaml"}:
            return dict(case.files)
    raise AssertionError("ML201 has no paired fix example")


@pytest.mark.parametrize(("signum", "returncode"), [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 130),
                                                   (signal.SIGHUP, -signal.SIGHUP)])
def test_a_signal_between_the_two_writes_of_a_pair_restores_the_first(tmp_path, signum, returncode):
    """The run pauses between the two replaces of a paired fix (see _PAUSED_RUN); the signal lands there."""
    model = write_files(tmp_path / "model", _ml201_pair())
    before = _snapshot(model)
    process = _fix_process(model, tmp_path, pause_between_replaces=True)
    deadline = time.monotonic() + 30
    while not (changed := _changed(model, before)):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.01)
    assert len(changed) == 1, changed  # the first of the pair is replaced, the second waits in its temporary
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == returncode, err.decode()
    assert b"Traceback" not in err, err.decode()
    assert _snapshot(model) == before  # the first file got its bytes back
    assert not [path for path in tmp_path.rglob("*") if path.name.endswith(".modellint")]


def _changed(model: Path, before: dict[str, bytes]) -> list[str]:
    return [name for name, data in _snapshot(model).items()
            if not name.endswith(".modellint") and before.get(name) != data]


@pytest.mark.slow
def test_sigterm_at_any_moment_leaves_no_temporary_and_no_half_pair(tmp_path):
    """A real run killed at random moments (no hook): each pair is fixed whole or not at all."""
    pair = _ml201_pair()
    rng = random.Random(14)
    for attempt in range(6):
        root = tmp_path / f"run{attempt}"
        for index in range(60):
            write_files(root / f"m{index:02}", pair)
        process = _fix_process(root, tmp_path, "--jobs", "1")
        time.sleep(rng.uniform(0.4, 2.0))
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
        assert not list(root.rglob("*.modellint")), attempt
        for model in root.iterdir():
            added = ["tabulate" in (model / name).read_text() for name in ("requirements.txt", "conda.yaml")]
            assert added[0] == added[1], (attempt, model.name, added)
        _assert_env_files_parse(root)


# ------------------------------------------------------------------------------- --diff == --fix


def _diff_cases() -> list:
    corpus = REPO / "corpus"
    cases = [pytest.param(path, id=f"models/{path.name}") for path in sorted((corpus / "models").iterdir())]
    cases += [pytest.param(path, id=f"projects/{path.name}") for path in sorted((corpus / "projects").iterdir())
              if path.is_dir()]
    cases += [pytest.param(path / "before", id=f"roundtrip/{path.name}")
              for path in sorted((corpus / "roundtrip").iterdir())]
    examples = _fixable_examples()
    cases += [pytest.param(files, id=f"example-{index}") for index, files in enumerate(examples)]
    return cases


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs GNU patch")
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("source", _diff_cases())
def test_diff_applied_with_patch_equals_fix(source, unsafe, tmp_path, monkeypatch, capsys):
    flags = ["--isolated", "--format", "concise"] + (["--unsafe-fixes"] if unsafe else [])
    for side in ("diffed", "fixed"):
        if isinstance(source, Path):
            shutil.copytree(source, tmp_path / side / "case", symlinks=True)
        else:
            write_files(tmp_path / side / "case", source)
    before = _snapshot(tmp_path / "diffed")
    monkeypatch.chdir(tmp_path / "diffed")
    main(["case", "--diff", *flags])
    diff = capsys.readouterr().out
    assert _snapshot(tmp_path / "diffed") == before  # --diff writes nothing
    if diff:
        subprocess.run(["patch", "-p1", "--quiet", "--force", "--no-backup-if-mismatch"], input=diff.encode(),
                       cwd=tmp_path / "diffed", check=True)
    monkeypatch.chdir(tmp_path / "fixed")
    main(["case", "--fix", *flags])
    capsys.readouterr()
    assert _snapshot(tmp_path / "diffed") == _snapshot(tmp_path / "fixed")
    main(["case", "--fix", *flags])  # idempotent
    assert "Fixed" not in capsys.readouterr().err
    main(["case", "--diff", *flags])
    assert capsys.readouterr().out == ""
