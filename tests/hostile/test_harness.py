"""The harness itself: it sees a canary import, a write, a clean verdict and a slow run."""

from __future__ import annotations

import pytest

from modellint.rules._examples import CLEAN
from tests.hostile.harness import Sandbox, assert_promises, run_cli


def test_a_clean_model_passes_only_when_allowed(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write(CLEAN)
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox)
    assert run.returncode == 0 and "All checks passed" in run.stdout
    assert_promises(run, sandbox, before, clean_allowed=True)
    with pytest.raises(AssertionError, match="reported clean"):
        assert_promises(run, sandbox, before)


def test_a_write_and_a_canary_import_are_caught(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write(CLEAN)
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target)], sandbox)
    (sandbox.outside / "new.txt").write_text("x")
    with pytest.raises(AssertionError, match="files changed"):
        assert_promises(run, sandbox, before, clean_allowed=True)
    sandbox.marker.write_text("imported")
    with pytest.raises(AssertionError, match="canary"):
        assert_promises(run, sandbox, before, clean_allowed=True)


def test_memory_is_measured(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write(CLEAN)
    run = run_cli(["check", str(sandbox.target)], sandbox)
    assert 5 * 2**20 < run.peak_rss < 512 * 2**20
