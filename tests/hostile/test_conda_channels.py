"""Hostile conda environments against the conda-forge checks (ML511, ML512): a dependency list at
the line budget of names conda-forge lacks, crafted match specs (huge versions, thousands of
alternatives, brackets and build strings, channel prefixes), and alias bombs where the checks read
(the channel list, the dependencies). Each run stays fast and small, with no traceback, and what
cannot be read is a finding, never a clean report."""

from __future__ import annotations

from pathlib import Path

import pytest

from modellint.analyzer.environment.requirements import MAX_REQUIREMENT_LINES
from modellint.rules._examples import CLEAN
from tests.hostile.harness import Run, Sandbox, assert_promises, run_cli
from tests.hostile.test_budgets import billion_laughs

SECONDS = 8.0  # start-up included
MEMORY = 512 * 2**20


def _check(tmp_path: Path, conda: str, *, clean_allowed: bool = False) -> Run:
    sandbox = Sandbox(tmp_path / "sandbox")
    sandbox.write({**CLEAN, "conda.yaml": conda})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise", "--no-cache"], sandbox, timeout=120)
    assert_promises(run, sandbox, before, seconds=SECONDS, memory=MEMORY, clean_allowed=clean_allowed)
    return run


def _env(*dependencies: str, channels: str = "- conda-forge\n") -> str:
    return ("channels:\n" + channels + "dependencies:\n" + "".join(f"- {dependency}\n" for dependency in dependencies)
            + "- pip:\n  - mlflow==3.17.2\n  - scikit-learn==1.9.1\n  - skops==0.16.0\n")


def test_a_dependency_list_at_the_budget_of_names_conda_forge_lacks(tmp_path):
    names = [f"acme-private-{index}=1.0" for index in range(MAX_REQUIREMENT_LINES - 5)]
    run = _check(tmp_path, _env("python=3.11.7", *names))
    assert run.stdout.count("ML512") >= len(names) * 0.99, run


def test_a_dependency_list_over_the_budget_is_reported_unread(tmp_path):
    names = [f"acme-private-{index}" for index in range(MAX_REQUIREMENT_LINES + 1)]
    run = _check(tmp_path, _env("python=3.11.7", *names))
    assert "ML110" in run.stdout and "ML512" not in run.stdout, run


CRAFTED_PYTHON = {
    "huge-version": "python=3." + "9" * 200_000,
    "huge-integer-component": "python=3.9." + "1" * 5_000,
    "many-alternatives": "python " + "|".join(f"3.9.{index}" for index in range(50_000)),
    "many-comparisons": "python " + ",".join(">=3.0" for _ in range(50_000)),
    "nested-operators": "python " + ">" * 100_000 + "3.9",
    "bracket-build": "python[version='>=3.9.3,<3.9.4', build=" + "x" * 100_000 + "]",
    "build-string": "python=3.9.3=" + "h" * 100_000,
    "blank-run": "python " + " " * 100_000 + "3.9.3",
    "dots": "python=" + "." * 100_000,
    "channel-prefix": "conda-forge" * 10_000 + "::python=3.9.3",
}


@pytest.mark.parametrize("case", sorted(CRAFTED_PYTHON))
def test_a_crafted_python_spec_is_judged_quickly_or_left_alone(tmp_path, case):
    # Every one of these either names a version no conda-forge build matches (ML511) or is a spec
    # the reader does not judge; none may cost more than a plain one.
    _check(tmp_path, _env(CRAFTED_PYTHON[case], "numpy"), clean_allowed=True)


def test_a_skipped_version_behind_a_build_string_is_still_judged(tmp_path):
    run = _check(tmp_path, _env("python=3.9.3=h12debd9_4_cpython"))
    assert "ML511" in run.stdout, run


def test_an_alias_bomb_in_the_channel_list_is_a_budget_finding(tmp_path):
    bomb = billion_laughs()
    conda = "x-anchors:\n" + "".join(f"  {line}\n" for line in bomb.splitlines()) + _env(
        "python=3.9.3", "acme-private", channels="- conda-forge\n- *l9\n")
    run = _check(tmp_path, conda)
    assert "YAML budget" in run.stdout or "not valid YAML" in run.stdout, run
    assert "ML511" not in run.stdout and "ML512" not in run.stdout, run


def test_channels_written_as_a_mapping_or_numbers_are_not_judged(tmp_path):
    run = _check(tmp_path, "channels: {conda-forge: 1}\ndependencies:\n- python=3.9.3\n- acme-private\n")
    assert "ML511" not in run.stdout and "ML512" not in run.stdout, run
    run = _check(tmp_path / "numbers", "channels: [1, 2.5, null]\ndependencies:\n- python=3.9.3\n- acme-private\n",
                 clean_allowed=True)
    assert "ML511" not in run.stdout and "ML512" not in run.stdout, run
