"""`modellint project --fix` and `--diff` through the command line, on every training-project
example whose fixes the rules declare (``ProjectInvalid(..., fixed=...)`` beside each rule; what
each fix writes is checked rule by rule in ``tests/rules/test_rule_examples.py``). Here: the
fix runner's passes over all rules give the same files, a second run changes nothing, `--diff`
writes nothing and is a patch `patch -p1` applies to the same result, and the messages say what
was fixed and what needs `--unsafe-fixes`."""

from __future__ import annotations

import subprocess

import pytest

from modellint.cli import main
from modellint.rules import ALL_RULES, rule_class
from modellint.rules._base import ProjectInvalid
from tests.conftest import write_files
from tests.rules.run_examples import files_of

_FIXED_PROJECTS = [pytest.param(case, id=f"{rule.code}-invalid-{index}")
                   for rule in ALL_RULES for index, case in enumerate(rule.INVALID)
                   if isinstance(case, ProjectInvalid) and case.fixed is not None]


def _project(tmp_path, monkeypatch, case: ProjectInvalid):
    monkeypatch.chdir(tmp_path)
    return write_files(tmp_path / "project", case.files)


def _first_fixed_project(code: str) -> ProjectInvalid:
    return next(case for case in rule_class(code).INVALID if isinstance(case, ProjectInvalid) and case.fixed)


def _lint(capsys, *arguments):
    code = main(["project", "--format", "concise", *arguments])
    out, err = capsys.readouterr()
    return code, out, err


def _expected(case: ProjectInvalid) -> dict[str, bytes]:
    return {**{name: text.encode() for name, text in case.files.items()},
            **{name: text.encode() for name, text in case.fixed.items()}}


@pytest.mark.parametrize("case", _FIXED_PROJECTS)
def test_fix_writes_what_the_example_declares_and_a_second_run_nothing(case, tmp_path, monkeypatch, capsys):
    project = _project(tmp_path, monkeypatch, case)
    code, out, err = _lint(capsys, "--fix", "--unsafe-fixes")
    assert code == 0 and "Fixed" in err, out
    assert files_of(project) == _expected(case)
    code, _, err = _lint(capsys, "--fix", "--unsafe-fixes")
    assert code == 0 and "Fixed" not in err
    assert files_of(project) == _expected(case)


@pytest.mark.parametrize("case", _FIXED_PROJECTS)
def test_diff_writes_nothing_and_applies_with_patch(case, tmp_path, monkeypatch, capsys):
    project = _project(tmp_path, monkeypatch, case)
    code, diff, _ = _lint(capsys, "--diff", "--unsafe-fixes")
    first = sorted(case.fixed)[0]
    assert code == 1 and diff.startswith(f"--- a/project/{first}\n+++ b/project/{first}\n")
    assert files_of(project) == {name: text.encode() for name, text in case.files.items()}  # --diff writes nothing
    subprocess.run(["patch", "-p1", "--quiet"], input=diff.encode(), cwd=tmp_path, check=True)
    assert files_of(project) == _expected(case)
    assert _lint(capsys)[0] == 0


def test_fix_says_what_it_fixed(tmp_path, monkeypatch, capsys):
    case = _first_fixed_project("ML203")  # one safe fix
    project = _project(tmp_path, monkeypatch, case)
    code, out, _ = _lint(capsys)
    assert code == 1 and "ML203" in out
    code, out, err = _lint(capsys, "--fix")
    assert code == 0 and "ML203" not in out and "Fixed 1 finding in 1 file." in err
    fixed = files_of(project)
    code, _, err = _lint(capsys, "--fix")
    assert code == 0 and "Fixed" not in err
    assert files_of(project) == fixed


def test_an_unsafe_fix_waits_for_unsafe_fixes(tmp_path, monkeypatch, capsys):
    case = _first_fixed_project("ML204")  # one unsafe fix
    project = _project(tmp_path, monkeypatch, case)
    pristine = files_of(project)
    code, out, err = _lint(capsys, "--fix")
    assert code == 1 and "ML204" in out and "1 more fix available with `--unsafe-fixes`." in err
    assert files_of(project) == pristine
