"""Every rule's VALID/INVALID examples run as tests (Fixit's self-testing rules): model dirs
through the rule's ``check``, training projects through project mode. What each invalid example
reports, word for word, is pinned by ``test_rule_snapshots.py``."""

from __future__ import annotations

import pytest

from modellint.findings import Severity
from modellint.fix_runner import apply_fixes
from modellint.rules import ALL_RULES
from modellint.rules._base import FixAvailability
from tests.rules.run_examples import example_cases, files_of, fix_cases, is_project, run, run_all, write_example


@pytest.mark.parametrize(("rule", "case"), example_cases("VALID"))
def test_valid_example_is_silent(rule, case, tmp_path):
    root = write_example(tmp_path, case)
    assert run(rule, root, case) == []


@pytest.mark.parametrize(("rule", "case"), example_cases("INVALID"))
def test_invalid_example_fires_where_expected(rule, case, tmp_path):
    root = write_example(tmp_path, case)
    findings = run(rule, root, case)
    where = sorted((finding.path.relative_to(root).as_posix(), finding.span.line) for finding in findings)
    assert where == sorted(case.expect), [finding.message for finding in findings]
    expected_severity = rule.severity if case.severity is None else case.severity
    assert {finding.severity for finding in findings} == {expected_severity}
    for finding in findings:
        assert finding.code == rule.code and finding.name == rule.name
        assert finding.message and not finding.message.endswith(".")
    if case.fixed is None:
        assert [finding.fix.title for finding in findings if finding.fix] == [], "a fix the example does not show"


@pytest.mark.parametrize(("rule", "case"), example_cases("VALID"))
def test_valid_examples_are_clean_for_every_rule(rule, case, tmp_path):
    """A VALID example is a correct model (or project): no rule may report an error or a warning on it."""
    root = write_example(tmp_path, case)
    loud = [(finding.code, finding.message) for finding in run_all(root, case) if finding.severity >= Severity.WARNING]
    assert loud == []


@pytest.mark.parametrize(("rule", "case"), fix_cases())
def test_fix_gives_the_expected_files_and_is_idempotent(rule, case, tmp_path):
    root = write_example(tmp_path, case)
    before = files_of(root)
    result = apply_fixes(run(rule, root, case), unsafe=True)
    assert result.applied >= 1 and not result.errors
    expected = {**before, **{name: text.encode() for name, text in case.fixed.items()}}
    after = files_of(root)
    for name in sorted(expected.keys() | after.keys()):  # the files `fixed` names, and nothing else
        assert after.get(name) == expected.get(name), name
    assert run(rule, root, case) == [], "the fixed example still has findings"
    assert apply_fixes(run(rule, root, case), unsafe=True).applied == 0
    if is_project(case):
        # A fixed project is a correct one: `modellint project` on it exits 0.
        loud = [(finding.code, finding.message) for finding in run_all(root, case)
                if finding.severity >= Severity.WARNING]
        assert loud == []


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_fix_availability_matches_the_examples(rule, tmp_path):
    """`FixAvailability` is what `modellint rules` marks `[*]` and the docs print: a rule that can
    emit a fix must say so, one marked NONE must never emit one, and one marked SOMETIMES or
    ALWAYS must show a fix on at least one of its examples (ALWAYS: on every finding)."""
    findings = []
    for index, case in enumerate((*rule.VALID, *rule.INVALID)):
        findings.extend(run(rule, write_example(tmp_path / f"example-{index}", case), case))
    with_fix = [finding for finding in findings if finding.fix is not None]
    if rule.fix_availability is FixAvailability.NONE:
        assert with_fix == [], f"{rule.code} emits fixes but declares FixAvailability.NONE"
    else:
        assert with_fix, f"{rule.code} declares {rule.fix_availability.name} but no example shows a fix"
    if rule.fix_availability is FixAvailability.ALWAYS:
        assert len(with_fix) == len(findings)
