"""Every rule's VALID/INVALID examples run as tests (Fixit's self-testing rules)."""

from __future__ import annotations

import datetime

import pytest

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Severity
from modellint.project_mode import lint_project
from modellint.rules import ALL_RULES, ENTRIES_BY_CODE
from tests.conftest import write_files

RUN_DATE = datetime.date(2026, 12, 1)


def _kind(rule) -> str:
    """What a rule's examples are: model dirs, or training projects (project-only rules)."""
    return rule.example_kind


def _cases(kind: str) -> list:
    return list(_iter_cases(kind))


def _iter_cases(kind: str):
    for rule in ALL_RULES:
        for index, case in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, case, id=f"{rule.code}-{kind.lower()}-{index}")


def _run(rule, root, kind="model"):
    """Run ``rule`` on an example; ``kind`` "project" examples are training projects."""
    if kind == "project":
        return lint_project(root, [rule])
    model = ModelDir(root, run_date=RUN_DATE)
    if ENTRIES_BY_CODE[rule.code].requires_mlmodel and model.mlmodel is None:
        return []
    return list(rule().check(model))


@pytest.mark.parametrize(("rule", "case"), _cases("VALID"))
def test_valid_example_is_silent(rule, case, tmp_path):
    root = write_files(tmp_path / "model", case.files)
    assert _run(rule, root, _kind(rule)) == []


@pytest.mark.parametrize(("rule", "case"), _cases("INVALID"))
def test_invalid_example_fires_where_expected(rule, case, tmp_path):
    root = write_files(tmp_path / "model", case.files)
    findings = _run(rule, root, _kind(rule))
    where = sorted((finding.path.relative_to(root).as_posix(), finding.span.line) for finding in findings)
    assert where == sorted(case.expect), [finding.message for finding in findings]
    expected_severity = rule.severity if case.severity is None else case.severity
    assert {finding.severity for finding in findings} == {expected_severity}
    for finding in findings:
        assert finding.code == rule.code and finding.name == rule.name
        assert finding.message and not finding.message.endswith(".")


@pytest.mark.parametrize(("rule", "case"), _cases("VALID"))
def test_valid_examples_are_clean_for_every_rule(rule, case, tmp_path):
    """A VALID example is a correct model: no rule may report an error or a warning on it."""
    root = write_files(tmp_path / "model", case.files)
    loud = [
        (other.code, finding.message)
        for other in ALL_RULES
        for finding in _run(other, root, _kind(rule))
        if finding.severity >= Severity.WARNING
    ]
    assert loud == []


def _fix_cases():
    for rule in ALL_RULES:
        for index, case in enumerate(rule.INVALID):
            if case.fixed is not None:
                yield pytest.param(rule, case, id=f"{rule.code}-fix-{index}")


@pytest.mark.parametrize(("rule", "case"), list(_fix_cases()))
def test_fix_gives_the_expected_files_and_is_idempotent(rule, case, tmp_path):
    from modellint.fix_runner import apply_fixes

    root = write_files(tmp_path / "model", case.files)
    result = apply_fixes(_run(rule, root), unsafe=True)
    assert result.applied >= 1 and not result.errors
    for name, text in case.fixed.items():
        assert (root / name).read_text() == text, name
    assert _run(rule, root) == [], "the fixed model still has findings"
    assert apply_fixes(_run(rule, root), unsafe=True).applied == 0


def _project_fix_examples() -> dict:
    """Rules whose fix exists only in a training project (it rewrites the save call; a model dir
    must be saved again): their model-dir examples cannot show it, these projects do."""
    from tests.test_fix_project import ML203_TRAIN, ML204_TRAIN, SRC

    return {"ML203": {**SRC, "train.py": ML203_TRAIN}, "ML204": {**SRC, "job/train.py": ML204_TRAIN}}


_PROJECT_FIX_EXAMPLES = _project_fix_examples()


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_fix_availability_matches_the_examples(rule, tmp_path):
    """`FixAvailability` is what `modellint rules` marks `[*]` and the docs print: a rule that can
    emit a fix must say so, one marked NONE must never emit one, and one marked SOMETIMES or
    ALWAYS must show a fix on at least one of its examples (ALWAYS: on every finding)."""
    from modellint.rules._base import FixAvailability

    findings = []
    for index, case in enumerate((*rule.VALID, *rule.INVALID)):
        root = write_files(tmp_path / f"example-{index}", case.files)
        findings.extend(_run(rule, root, _kind(rule)))
    if rule.code in _PROJECT_FIX_EXAMPLES:
        findings.extend(_run(rule, write_files(tmp_path / "project", _PROJECT_FIX_EXAMPLES[rule.code]), "project"))
    with_fix = [finding for finding in findings if finding.fix is not None]
    if rule.fix_availability is FixAvailability.NONE:
        assert with_fix == [], f"{rule.code} emits fixes but declares FixAvailability.NONE"
    else:
        assert with_fix, f"{rule.code} declares {rule.fix_availability.name} but no example shows a fix"
    if rule.fix_availability is FixAvailability.ALWAYS:
        assert len(with_fix) == len(findings)
