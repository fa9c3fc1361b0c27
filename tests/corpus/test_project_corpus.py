"""Training-project mode against the corpus: each ``corpus/projects/<case>/`` is the project real
MLflow saved ``corpus/models/<case>/`` from, so linting the project must report what linting
the model it really wrote reports (``CASE.json`` "expect"), at the call and import lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellint import lint
from modellint.findings import Severity
from modellint.rules import RULES_BY_CODE

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
# train.py at the project root, or in a job folder beside the code it ships (codepaths-parent), or
# a training notebook (notebook-unity-catalog: its code cells were run in order)
PROJECTS = sorted(path for path in (CORPUS / "projects").iterdir()
                  if any(path.glob("**/train.py")) or any(path.glob("**/train.ipynb")))

# Expected codes a project cannot show, per case, with the reason. ML3xx findings come from the
# bytes of the pickled artifact; the project shows the class being pickled, the objects handed
# to its constructor and the modules they come from, which covers every ML301 in the corpus
# today (class-in-module-no-codepaths: the class's module; skinny-no-sklearn: the estimator's).
# What stays out of reach is what only the pickle's bytes decide (ML302 payloads, ML303
# unreadable streams, ML304's bytecode minor): no case in the corpus expects one.
OUT_OF_REACH: dict[str, dict[str, str]] = {}

# Codes only a project can give (the model dir lacks the call that explains the problem), per case.
PROJECT_ONLY: dict[str, dict[str, str]] = {
    "lazy-import-missing": {
        "ML209": "the ML201 cause: `predict` imports tabulate lazily and the call gives no input_example",
    },
    "codepaths-parent": {
        "ML204": "`code_paths=[\"../src\"]` depends on the directory the script is run from; the model "
                 "MLflow wrote from job/ is fine",
    },
}


def _expected(case: str) -> set[str]:
    expect = json.loads((CORPUS / "models" / case / "CASE.json").read_text())["expect"]
    return {code for code in expect if code in RULES_BY_CODE} - set(OUT_OF_REACH.get(case, {}))


def test_every_project_has_its_model():
    assert len(PROJECTS) >= 20
    for project in PROJECTS:
        assert (CORPUS / "models" / project.name / "CASE.json").is_file(), project.name


@pytest.mark.parametrize("project", PROJECTS, ids=lambda path: path.name)
def test_project_findings_match_the_model_mlflow_wrote(project: Path):
    report = lint(project)
    assert not report.failures, report.failures
    expected = _expected(project.name)
    extra = set(PROJECT_ONLY.get(project.name, {}))
    loud = {finding.code for finding in report.findings if finding.severity >= Severity.WARNING}
    every = {finding.code for finding in report.findings}
    assert expected <= every, f"missing {sorted(expected - every)}: {report.findings}"
    assert loud <= expected | extra, f"unexpected: {[f for f in report.findings if f.code in loud - expected - extra]}"
    assert extra <= every, f"project-only codes no longer reported: {sorted(extra - every)}"


@pytest.mark.parametrize("project", PROJECTS, ids=lambda path: path.name)
def test_findings_point_into_the_project(project: Path):
    """Every finding is on a project file the user can open (never the temporary would-be model)."""
    for finding in lint(project).findings:
        assert finding.path.is_relative_to(project), finding
        assert finding.path.is_file(), finding
        lines = finding.path.read_text().splitlines()
        assert 1 <= finding.span.line <= len(lines), finding
        assert finding.fix is None or all(edit.path.is_relative_to(project) for edit in finding.fix.edits)


def test_a_training_notebook_is_judged_at_the_cell_and_line_of_its_call():
    """The notebook real MLflow ran (corpus/models/notebook-unity-catalog is what its cells wrote):
    its `log_model` call registers a Unity Catalog name with neither signature nor input_example.
    The finding names the cell and the line in it as Jupyter shows them, and `--target databricks`
    makes it the error it is on the model MLflow wrote."""
    import json as json_module

    project = CORPUS / "projects" / "notebook-unity-catalog"
    model = CORPUS / "models" / "notebook-unity-catalog"
    (finding,) = [f for f in lint(project).findings if f.code == "ML403"]
    assert finding.path.name == "train.ipynb" and finding.severity == Severity.INFO
    assert finding.message.endswith("(cell 5, line 4)") and "`main.default.churn`" in finding.message
    cells = json_module.loads((project / "train.ipynb").read_text(encoding="utf-8"))["cells"]
    assert "registered_model_name=\"main.default.churn\"" in cells[4]["source"][3]
    for target in (project, model):
        raised = [f for f in lint(target, deploy_targets=["databricks"]).findings if f.code == "ML403"]
        assert [f.severity for f in raised] == [Severity.ERROR], target
