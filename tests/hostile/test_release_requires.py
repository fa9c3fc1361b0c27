"""Hostile requirement lists against the per-release Requires-Dist data (version-aware provision,
ML507): a list that pins every distribution the data covers, so that every pin's release is read
and checked against every other pin, and a list at the line budget of pins the data must look up
one by one, stay fast and small."""

from __future__ import annotations

from pathlib import Path

from modellint.analyzer.environment.declared import DeclaredEnvironment
from modellint.analyzer.environment.pin_conflicts import pin_conflicts
from modellint.analyzer.environment.requirements import MAX_REQUIREMENT_LINES, parse_requirements_text
from modellint.analyzer.knowledge.distributions import load
from modellint.analyzer.knowledge.release_requires import DistributionRequires, release_requires
from modellint.rules._code_examples import code_model
from tests.hostile.harness import Sandbox, assert_promises, run_cli

SECONDS = 8.0  # start-up included
MEMORY = 512 * 2**20


def _run(tmp_path: Path, files: dict[str, str | bytes]):
    sandbox = Sandbox(tmp_path / "sandbox")
    sandbox.write(files)
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise", "--no-cache"], sandbox, timeout=120)
    assert_promises(run, sandbox, before, seconds=SECONDS, memory=MEMORY)
    return run


def test_pinning_every_covered_distribution_at_its_oldest_release(tmp_path):
    data = release_requires()
    pins = []
    for name in data.distributions():
        releases = data.get(name)
        known = [v for v in releases.versions if releases.find(v) is not None] if releases else []
        if known:
            pins.append(f"{name}=={known[0]}")
    code = {"imports.py": "".join(f"import {name.replace('-', '_')}\n" for name in data.distributions())}
    run = _run(tmp_path, code_model(code, *pins))
    assert "ML507" in run.stdout, run


def test_a_list_at_the_line_budget_looks_each_distribution_up_once(monkeypatch):
    # Every line a release of a covered distribution that the data lacks, each looked up between
    # recorded releases: the work is one lookup per distinct distribution, not one per line. (Counted,
    # not timed: in process it takes about 1 s, most of it the closure of the 500 distributions.)
    names = list(release_requires().distributions())
    lines = "\n".join(f"{names[i % len(names)]}==0.{i}.{i}" for i in range(MAX_REQUIREMENT_LINES - 10))
    requirements = parse_requirements_text(lines, Path("requirements.txt"))
    lookups: list[str] = []
    real_find = DistributionRequires.find
    monkeypatch.setattr(DistributionRequires, "find", lambda self, version: lookups.append(self.name)
                        or real_find(self, version))
    assert DeclaredEnvironment(requirements.lines, (3, 11), load()).installed
    assert list(pin_conflicts(requirements, (3, 11))) == []
    assert len(lookups) <= 2 * len(names)
