"""The pip requirement lists of a model: requirements.txt and the conda file's `pip:` list."""

from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.environment.requirements import RequirementLine, RequirementsList
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Applicability, Fix
from modellint.fixes.edits import make_fix, replace_span


def pip_lists(model: ModelDir) -> Iterator[RequirementsList]:
    if model.requirements is not None:
        yield model.requirements
    if model.conda is not None and model.conda.pip is not None:
        yield model.conda.pip


def pip_lines(model: ModelDir) -> Iterator[RequirementLine]:
    for requirements_list in pip_lists(model):
        yield from requirements_list.lines


def pinned(line: RequirementLine, name: str, version: str | None) -> str:
    """``line``'s requirement renamed ``name`` and pinned ``==version`` (unpinned without one),
    its extras and marker kept."""
    requirement = line.requirement
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement and requirement.extras else ""
    marker = f"; {requirement.marker}" if requirement and requirement.marker else ""
    return f"{name}{extras}{'==' + version if version else ''}{marker}"


def rewrite_fix(line: RequirementLine, replacement: str, title: str, applicability: Applicability) -> Fix | None:
    """A fix writing ``replacement`` over ``line``, which may stand plain or quoted in YAML."""
    expected = (line.text, f'"{line.text}"', f"'{line.text}'")
    return make_fix(title, replace_span(line.path, line.span, replacement, expected=expected), applicability)
