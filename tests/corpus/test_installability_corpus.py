"""The installability corpus (``corpus/installability/<case>/``, built by real MLflow with
``corpus/builders/installability.py``): each case's recorded resolution is what the case says.

``resolution.json`` is uv's answer for the model's requirements, its declared Python and Linux
x86_64, recorded when the corpus was built; these tests hold it to ``CASE.json``'s ``expect``
(a broken case fails the way it says, the twin resolves) and to the model beside it (the
requirements and Python it was recorded for are the model's), and run modellint on every case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellint.analyzer.environment.requirements import conda_env_from_yaml
from modellint.analyzer.yamlfile import parse_yaml
from modellint.engine import lint_targets
from modellint.findings import Severity
from modellint.selection import RuleSelection
from modellint.targets import discover
from tests.conftest import REPO, load_script

ROOT = REPO / "corpus" / "installability"
CASES = sorted(path for path in ROOT.iterdir() if path.is_dir())
INSTALLABILITY = "ML5"  # the family of the installability rules (CONTRIBUTING, "Codes")

resolution = load_script("record_real_resolution")


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_the_cases_of_the_issue_are_there():
    assert {case.name for case in CASES} == {
        "release-does-not-exist", "requires-python-excludes", "no-wheel-for-python", "platform-only-package",
        "stdlib-backport", "contradictory-pins", "yanked-release", "requirement-not-on-index", "known-vulnerable-pin",
        "conda-python-not-built", "conda-package-not-in-channels", "correct-twin"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_recorded_resolution_is_what_the_case_says(case):
    expect = _json(case / "CASE.json")["expect"]
    record = _json(case / "resolution.json")
    assert record["resolution"]["status"] == expect["resolution"]
    if expect["no_build"] is not None:
        assert record["no_build"]["status"] == expect["no_build"]
    if "blames" in expect:
        failing = record["resolution"] if record["resolution"]["status"] != "resolved" else record["no_build"]
        assert expect["blames"] in failing["blamed"], failing["explanation"]
    if "warns" in expect:
        assert any(expect["warns"] in warning for warning in record["resolution"]["warnings"])
    else:
        assert record["resolution"]["warnings"] == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_record_is_of_the_model_beside_it(case):
    record = _json(case / "resolution.json")
    model = case / "model"
    assert record["requirements"] == (model / "requirements.txt").read_text().splitlines()
    assert f"python: {record['python']}\n" in (model / "python_env.yaml").read_text()
    assert f"python_version: {record['python']}\n" in (model / "MLmodel").read_text()


def test_a_failure_is_explained_and_the_twin_installs_from_wheels():
    for case in CASES:
        record = _json(case / "resolution.json")
        for outcome in (record["resolution"], record["no_build"]):
            assert (outcome["status"] == "resolved") == (outcome["explanation"] == []), case.name
    twin = _json(ROOT / "correct-twin" / "resolution.json")
    assert (twin["resolution"]["status"], twin["no_build"]["status"]) == ("resolved", "resolved")


@pytest.fixture(scope="module")
def report():
    selection = RuleSelection()
    return lint_targets(discover([ROOT]), selection.enabled_rules(), selection, base=ROOT)


def test_modellint_checks_every_case(report):
    assert report.failures == []
    assert sorted(target.path.parent.name for target in report.targets) == [case.name for case in CASES]


def test_the_twin_is_clean(report):
    twin = ROOT / "correct-twin"
    assert [finding for finding in report.findings if finding.path.is_relative_to(twin)
            and finding.severity in (Severity.ERROR, Severity.WARNING)] == []


def _conda_package_lines(path: Path) -> set[int]:
    env = conda_env_from_yaml(parse_yaml(path.read_text()), path)
    return {spec.span.line for spec in env.specs}


def test_every_offline_installability_error_is_on_a_case_that_fails(report):
    # As on the real models (tests/test_real_model_resolution.py): an offline error is a real failure.
    # One on a conda package of the conda env (not its `pip:` list) is judged by the conda record.
    for finding in report.findings:
        if finding.code.startswith(INSTALLABILITY) and finding.severity is Severity.ERROR:
            case = finding.path.relative_to(ROOT).parts[0]
            if finding.path.name == "conda.yaml" and finding.span.line in _conda_package_lines(finding.path):
                assert _json(ROOT / case / "CASE.json")["expect"].get("conda") == "fails", case
                continue
            record = _json(ROOT / case / "resolution.json")
            assert resolution.verdict(record["resolution"]["status"], record["no_build"]["status"]) == "fails", case


@pytest.mark.parametrize("case", [case for case in CASES if "conda" in _json(case / "CASE.json")["expect"]],
                         ids=lambda case: case.name)
def test_a_conda_case_records_what_was_tried_and_what_its_verdict_rests_on(case):
    # No conda channel answers from the build machine, so conda's own outcome could not be recorded:
    # the record says what was tried, and conda-forge's data (its repositories' commits) shows each
    # failing dependency: a python version no branch of its python-feedstock ever set, or a package
    # name its feedstock-outputs registry does not hold.
    record = _json(case / "conda.json")
    assert record["channels"] == ["conda-forge"]
    assert "error" in record["tried"]["channel"] and record["tried"]["conda_executable"] == [None, None, None]
    assert record["sources"]["python_feedstock"]["commit"].startswith("df31527a")
    assert record["sources"]["feedstock_outputs"]["commit"].startswith("31c6779bb4")
    failing = [item for item in record["evidence"]
               if item.get("recipe_commits_on_branches") == [] or item.get("registered") is False]
    assert len(failing) == 1, record["evidence"]
    for item in record["evidence"]:
        if item not in failing:
            assert item.get("registered", True) and item.get("recipe_commits_on_branches", [""]) != []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_modellint_reports_what_the_case_expects(report, case):
    # `reported`: the installability errors that must fire on the case (other rules may add more).
    expected = set(_json(case / "CASE.json")["expect"].get("reported", []))
    found = {finding.code for finding in report.findings
             if finding.path.is_relative_to(case) and finding.severity is Severity.ERROR}
    assert expected <= found, sorted(found)
    assert all(code.startswith(INSTALLABILITY) for code in expected)
