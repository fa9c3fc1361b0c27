"""Training-project mode: judge the model each save/log call would write, on the project's lines.

The analyzer simulates what MLflow would write for a call
(:mod:`~modellint.analyzer.project.simulation`) and writes that would-be model to a temporary
directory (:mod:`~modellint.analyzer.project.would_be_model`). Here the rules that apply to a
training project (their ``RULE_TABLE`` entry says ``training_project``) judge it like any model
dir, and every finding is mapped back to the project line it comes from: the call, an argument,
or an import in the project's own files. A finding on a line MLflow writes by itself is dropped
when the rule says the project cannot change it, and a fix survives only when it edits the
project (directly, or moved onto the literal the written line comes from).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.project.log_calls import Unreadable
from modellint.analyzer.project.simulation import SavePlan, plan_save
from modellint.analyzer.project.sources import lexically_below, project_sources
from modellint.analyzer.project.written_requirements import Origin
from modellint.findings import Finding, Fix, Severity
from modellint.record import Record
from modellint.rules import ENTRIES_BY_CODE, Rule
from modellint.rules._base import own_findings

if TYPE_CHECKING:
    from modellint.analyzer.code.notebooks import NotebookCode
    from modellint.analyzer.environment.environment_settings import EnvironmentSettings
    from modellint.analyzer.project.would_be_model import WouldBeModel


class ProjectCheck(Record):
    """The findings on one training project, and whether it saves or logs a model at all
    (a project without findings may simply have nothing modellint can check).

    ``self_contained``: no call names a ``code_paths`` entry outside the project, so the
    findings depend on the project's tree alone (whether such an entry exists, and is a folder,
    is a fact of another tree); the cache keeps only those.
    """

    __slots__ = ("findings", "saves_models", "self_contained")

    def __init__(self, findings: list[Finding], saves_models: bool, self_contained: bool = False) -> None:
        self.findings = findings
        self.saves_models = saves_models
        self.self_contained = self_contained


def lint_project(root: Path, rules: Iterable[type[Rule]], settings: EnvironmentSettings | None = None) -> list[Finding]:
    """Findings for every save/log call in the project at ``root`` (a directory or one file);
    ``settings`` are the user's known-first-party / module-distributions settings."""
    return check_project(root, rules, settings).findings


def check_project(root: Path, rules: Iterable[type[Rule]], settings: EnvironmentSettings | None = None) -> ProjectCheck:
    """:func:`lint_project`, and whether the project has a save/log call (read in the same pass)."""
    rules = [rule for rule in rules if ENTRIES_BY_CODE[rule.code].training_project]
    findings: dict[tuple, Finding] = {}
    project_root = root if root.is_dir() else root.parent
    saves_models = False
    self_contained = True
    notebooks: dict[Path, NotebookCode] = {}
    for source in project_sources(root):
        if isinstance(source, Unreadable):
            found = _unreadable(source, rules)
        else:
            calls = source.mlflow_calls()
            saves_models = saves_models or bool(calls)
            if source.notebook is not None:
                notebooks[source.path] = source.notebook
            found = []
            for call in calls:
                plan = plan_save(call, source, project_root, settings)
                self_contained = self_contained and _inside(plan, project_root)
                found.extend(_lint_plan(plan, rules, settings))
        for finding in found:
            finding = _in_cell(finding, notebooks)
            findings.setdefault((finding.code, finding.path, finding.span, finding.message), finding)
    return ProjectCheck(sorted(findings.values(), key=lambda finding: finding.sort_key), saves_models,
                        self_contained)


def _inside(plan: SavePlan, project_root: Path) -> bool:
    """Whether every ``code_paths`` entry of the call lies in the project, as written and once
    symlinks are followed."""
    from modellint.analyzer.files import is_within

    return all(not entry.outside_project and lexically_below(entry.path, project_root) and is_within(project_root, entry.path)
               for entry in plan.training.code_paths)


def _in_cell(finding: Finding, notebooks: dict[Path, NotebookCode]) -> Finding:
    """A finding on a notebook names the cell and the line in it, as Jupyter shows them. Its span
    stays the line of the code cells read as one script: one position every report format can
    hold (JSON, SARIF), unique in the file, and the order the cells run in. No fix edits a
    notebook: its positions are those of that script, not of the JSON file."""
    if finding.fix is not None and any(edit.path.name.endswith(".ipynb") for edit in finding.fix.edits):
        finding = finding.replace(fix=None)
    notebook = notebooks.get(finding.path)
    cell = notebook.locate(finding.span.line) if notebook is not None else None
    if cell is None:
        return finding
    return finding.replace(message=f"{finding.message} (cell {cell[0]}, line {cell[1]})")


def _unreadable(source: Unreadable, rules: list[type[Rule]]) -> list[Finding]:
    """A file that may save a model but does not parse: said once, as info, like any code file
    whose settings cannot be checked (ML201); the training run itself will show the error."""
    for rule in rules:
        if ENTRIES_BY_CODE[rule.code].reports_unparseable_project_file:
            return [rule().finding(source.path, f"cannot check the model this file may save: {source.message}",
                                   source.span, severity=Severity.INFO)]
    return []


def _lint_plan(plan: SavePlan, rules: list[type[Rule]], settings: EnvironmentSettings | None = None) -> list[Finding]:
    from modellint.analyzer.project.would_be_model import would_be_model

    if not plan.training.requirements_known:
        rules = [rule for rule in rules if ENTRIES_BY_CODE[rule.code].environment_free]
    found = []
    with would_be_model(plan, settings) as model:
        for rule in rules:
            for finding in own_findings(rule, rule().check(model)):
                mapped = _map_back(finding, model)
                if mapped is not None:
                    found.append(mapped)
    return found


def _map_back(finding: Finding, model: WouldBeModel) -> Finding | None:
    """The finding on the project's own files; None for one about a line MLflow writes itself.

    A fix survives when it edits project files (ML203, ML204, ML209 rewrite the call's
    literals), or is moved onto the project literal a written line comes from (ML103's channel);
    one left on the temporary would-be model would change nothing the user keeps.
    """
    from modellint.analyzer.project.would_be_model import SIMULATED_OPCODE, SIMULATED_PICKLE

    directory, plan = model.root, model.plan
    original_fix = finding.fix
    if finding.fix is not None and any(lexically_below(edit.path, directory) for edit in finding.fix.edits):
        finding = finding.replace(fix=None)
    try:
        relative = finding.path.relative_to(directory).as_posix()
    except ValueError:
        return finding  # already about a project file (the by-value class, a code_paths literal)
    call = plan.training.call
    if relative in plan.copies:
        return finding.replace(path=plan.copies[relative])
    lines = model.origins.get(relative)
    if lines is not None:
        index = finding.span.line - 1
        origin = lines[index] if 0 <= index < len(lines) else Origin(call.path, call.span, generated=True)
        if origin.generated and ENTRIES_BY_CODE[finding.code].project_lines_only:
            return None
        fix = _retargeted_fix(original_fix, directory, model.origins) if original_fix is not None else None
        return finding.replace(path=origin.path, span=origin.span, fix=fix)
    if relative == SIMULATED_PICKLE:
        # The pickle is simulated: say so, instead of a byte offset into a file that does not exist.
        message = finding.message.replace(f"{SIMULATED_OPCODE} at byte 0", "pickled by reference").replace(
            f"`{SIMULATED_PICKLE}`", f"the `{SIMULATED_PICKLE}` this call writes")
        argument = call.literal("python_model")
        return finding.replace(path=call.path, span=argument.span if argument else call.span, message=message,
                               fix=None)
    return finding.replace(path=call.path, span=call.span, fix=None)


def _retargeted_fix(fix: Fix, directory: Path, origins: dict[str, list[Origin]]) -> Fix | None:
    """A fix of a generated file (``conda.yaml``: `defaults` -> `conda-forge`) made to the project
    literal that line came from; None when any edit spans lines, touches a line MLflow writes
    itself, or cannot be matched to exactly one place in the literal."""
    from modellint.analyzer.files import read_text
    from modellint.fixes.project_edits import retarget_edit

    edits = []
    for edit in fix.edits:
        try:
            relative = edit.path.relative_to(directory).as_posix()
        except ValueError:
            return None
        text, _ = read_text(edit.path)
        old = text[edit.start:edit.end] if text is not None else ""
        if text is None or not old or "\n" in old or "\n" in edit.content:
            return None
        line = text.count("\n", 0, edit.start)
        lines = origins.get(relative, [])
        origin = lines[line] if line < len(lines) else None
        if origin is None or origin.generated:
            return None
        moved = retarget_edit(old, edit.content, origin.path, origin.span)
        if moved is None:
            return None
        if moved not in edits:  # requirements.txt and the conda pip: list came from one literal
            edits.append(moved)
    return Fix(fix.title, tuple(edits), fix.applicability)
