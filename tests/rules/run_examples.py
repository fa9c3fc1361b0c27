"""How the suite runs a rule's examples: a model dir through ``check``, a training project
through project mode, on files written under a test's temporary directory."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding
from modellint.project_mode import lint_project
from modellint.rules import ALL_RULES, ENTRIES_BY_CODE
from modellint.rules._base import ProjectInvalid, ProjectValid, Rule, Valid
from modellint.selection import RuleSelection
from tests.conftest import write_files

# ML108 judges a Python version's end of life against the day of the run.
RUN_DATE = datetime.date(2026, 12, 1)


def is_project(case: Valid) -> bool:
    return isinstance(case, (ProjectValid, ProjectInvalid))


def example_cases(kind: str) -> list:
    """Every rule's ``VALID`` or ``INVALID`` examples as test parameters (``ML104-invalid-3``)."""
    return [pytest.param(rule, case, id=f"{rule.code}-{kind.lower()}-{index}")
            for rule in ALL_RULES for index, case in enumerate(getattr(rule, kind))]


def fix_cases() -> list:
    return [pytest.param(rule, case, id=f"{rule.code}-fix-{index}")
            for rule in ALL_RULES for index, case in enumerate(rule.INVALID) if case.fixed is not None]


def write_example(directory: Path, case: Valid) -> Path:
    return write_files(directory / ("project" if is_project(case) else "model"), case.files)


def run(rule: type[Rule], root: Path, case: Valid, *, own_example: bool = True) -> list[Finding]:
    """``rule``'s findings on the example written at ``root``, sorted as reports show them; on its
    ``own_example``, with the option the rule needs to run (ML508's ``--resolve``)."""
    if is_project(case):
        return lint_project(root, [rule])
    settings = rule.example_settings() if own_example else None
    model = ModelDir(root, run_date=RUN_DATE, settings=settings)
    if ENTRIES_BY_CODE[rule.code].requires_mlmodel and model.mlmodel is None:
        return []
    return sorted(rule().check(model), key=lambda finding: finding.sort_key)


def run_all(root: Path, case: Valid) -> Iterator[Finding]:
    """Every default rule's findings on the example: what ``modellint check`` or ``project`` would
    say (a deployment target's own rules run only under its ``--target``)."""
    rules = RuleSelection().enabled_rules()
    if is_project(case):
        yield from lint_project(root, rules)
        return
    for rule in rules:
        yield from run(rule, root, case, own_example=False)


def files_of(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts}

