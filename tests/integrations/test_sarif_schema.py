"""SARIF output against the official SARIF 2.1.0 schema (tests/data/sarif/) and GitHub's stricter
rules for code scanning uploads, on the real-models corpus and on odd paths."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest

from modellint import __version__
from modellint.engine import lint_targets
from modellint.findings import Finding, Severity, Span
from modellint.reports import ReportContext, sarif
from modellint.rules import ALL_RULES, RULES_BY_CODE
from modellint.selection import RuleSelection
from modellint.targets import discover
from tests.conftest import REAL_MODELS, REPO, shared_absent
from tests.realmodels.materialise import materialise_corpus

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test extra")

SCHEMA = json.loads((REPO / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text())
GITHUB_TEXT_LIMIT = 1024


def validator():
    checker = jsonschema.FormatChecker()
    # without rfc3986-validator, jsonschema silently skips URI formats: make sure they are checked
    assert {"uri", "uri-reference"} <= set(checker.checkers), "install the test extra (rfc3986-validator)"
    return jsonschema.Draft4Validator(SCHEMA, format_checker=checker)


def schema_errors(document: dict) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator().iter_errors(document)]


def github_problems(document: dict) -> list[str]:
    """What GitHub's SARIF support page requires beyond the schema, and what its upload action
    needs to keep every result (a file, a line, and a fingerprint of our own)."""
    problems = []
    run = document["runs"][0]
    if "automationDetails" in run:
        problems.append("automationDetails would override the upload step's category")
    rules = run["tool"]["driver"]["rules"]
    for rule in rules:
        for key in ("shortDescription", "fullDescription"):
            text = rule.get(key, {}).get("text", "")
            if not text or len(text) > GITHUB_TEXT_LIMIT:
                problems.append(f"{rule['id']}: {key}.text missing or over {GITHUB_TEXT_LIMIT} characters")
        if not rule.get("help", {}).get("text") or not rule["help"].get("markdown"):
            problems.append(f"{rule['id']}: help.text and help.markdown")
        if not rule.get("helpUri", "").startswith("https://"):
            problems.append(f"{rule['id']}: helpUri")
        if not rule.get("properties", {}).get("tags"):
            problems.append(f"{rule['id']}: properties.tags")
        severity = rule["properties"].get("security-severity")
        if severity is not None and (not 0 <= float(severity) <= 10 or "security" not in rule["properties"]["tags"]):
            problems.append(f"{rule['id']}: security-severity without the security tag or out of range")
    seen = set()
    for number, result in enumerate(run["results"]):
        if not result.get("message", {}).get("text"):
            problems.append(f"result {number}: message.text")
        if rules[result["ruleIndex"]]["id"] != result["ruleId"]:
            problems.append(f"result {number}: ruleIndex does not point at ruleId")
        location = result["locations"][0]["physicalLocation"]
        if location["region"].get("startLine", 0) < 1:
            problems.append(f"result {number}: no startLine")
        if "uriBaseId" in location["artifactLocation"] and location["artifactLocation"]["uri"].startswith("/"):
            problems.append(f"result {number}: an absolute path under a uriBaseId")
        fingerprint = (result["ruleId"], result["partialFingerprints"]["primaryLocationLineHash"])
        if fingerprint in seen:
            problems.append(f"result {number}: fingerprint {fingerprint} repeats: GitHub would merge the alerts")
        seen.add(fingerprint)
    return problems


@pytest.fixture(scope="module")
def real_models(tmp_path_factory) -> Path:
    reason = shared_absent(REAL_MODELS / "index.json")
    if reason:
        pytest.skip(reason)
    return materialise_corpus(REAL_MODELS, tmp_path_factory.mktemp("sarif-real-models"))


@pytest.fixture(scope="module")
def real_sarif(real_models) -> tuple[dict, str, int]:
    selection = RuleSelection()
    report = lint_targets(discover([real_models]), selection.enabled_rules(), selection, base=real_models, jobs=2)
    assert len(report.targets) >= 142 and not report.failures
    text = sarif.render(report.findings, ReportContext(base=real_models, version=__version__, targets=len(report.targets)))
    return json.loads(text), text, len(report.findings)


def test_real_models_sarif_validates_against_the_official_schema(real_sarif):
    document, _, count = real_sarif
    assert count > 100 and len(document["runs"][0]["results"]) == count
    assert schema_errors(document) == []


def test_real_models_sarif_meets_githubs_rules(real_sarif):
    assert github_problems(real_sarif[0]) == []


def test_every_real_models_result_points_at_an_existing_file_and_line(real_sarif, real_models):
    for result in real_sarif[0]["runs"][0]["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert (real_models / unquote(location["artifactLocation"]["uri"])).is_file(), location
        assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1


def test_real_models_sarif_is_byte_identical_across_runs(real_sarif, real_models):
    selection = RuleSelection()
    report = lint_targets(discover([real_models]), selection.enabled_rules(), selection, base=real_models, jobs=1)
    again = sarif.render(report.findings, ReportContext(base=real_models, version=__version__, targets=len(report.targets)))
    assert again == real_sarif[1]


def test_every_rule_descriptor_meets_githubs_rules():
    """All rules at once, not only those the corpus fires."""
    findings = [Finding(rule.code, rule.name, rule.severity, f"{rule.name} here", Path("/repo/m/MLmodel"), Span(1, 1, 1, 2))
                for rule in ALL_RULES]
    document = json.loads(sarif.render(findings, ReportContext(base=Path("/repo"), version=__version__, targets=1)))
    assert schema_errors(document) == []
    assert github_problems(document) == []
    tags = {rule["id"]: rule["properties"] for rule in document["runs"][0]["tool"]["driver"]["rules"]}
    assert tags["ML302"]["security-severity"] == "7.8" and "security" in tags["ML302"]["tags"]
    assert "security-severity" not in tags["ML201"]


def test_odd_paths_are_percent_encoded_relative_references(tmp_path):
    odd = tmp_path / "models" / "we ird%dir,a:b#c?d[e]é"
    shutil.copytree(REPO / "corpus" / "models" / "ml103-conda-defaults", odd)
    outside = tmp_path.parent / f"{tmp_path.name}-outside" / "conda.yaml"
    findings = [
        Finding("ML103", RULES_BY_CODE["ML103"].name, Severity.WARNING, "uses defaults", odd / "conda.yaml", Span(2, 3, 2, 11)),
        Finding("ML103", RULES_BY_CODE["ML103"].name, Severity.WARNING, "uses defaults", outside, Span(2, 3, 2, 11)),
    ]
    document = json.loads(sarif.render(findings, ReportContext(base=tmp_path, version=__version__, targets=2)))
    assert schema_errors(document) == []
    inside, absolute = (result["locations"][0]["physicalLocation"]["artifactLocation"] for result in document["runs"][0]["results"])
    assert inside == {"uri": "models/we%20ird%25dir%2Ca%3Ab%23c%3Fd%5Be%5D%C3%A9/conda.yaml", "uriBaseId": "%SRCROOT%"}
    assert unquote(inside["uri"]) == f"models/{odd.name}/conda.yaml"
    assert absolute["uri"].startswith("file:///") and "uriBaseId" not in absolute


def test_findings_in_sibling_model_dirs_and_on_directories_keep_their_own_fingerprints(tmp_path):
    """The same finding in two copies of a model, and findings on a directory, a missing file
    and a binary file (where the upload action cannot compute a fingerprint), stay distinct."""
    for name in ("a", "b"):
        shutil.copytree(REPO / "corpus" / "models" / "ml103-conda-defaults", tmp_path / name)
    (tmp_path / "a" / "model.pkl").write_bytes(b"\x80\x04\x00" * 10)
    rule = RULES_BY_CODE["ML101"]
    findings = [Finding("ML103", "defaults-channel", Severity.WARNING, "uses defaults", tmp_path / name / "conda.yaml", Span(2, 3, 2, 11))
                for name in ("a", "b")]
    findings += [Finding(rule.code, rule.name, rule.severity, message, path)
                 for message, path in (("no env", tmp_path / "a"), ("no env", tmp_path / "b"),
                                       ("missing", tmp_path / "a" / "gone.txt"), ("binary", tmp_path / "a" / "model.pkl"))]
    document = json.loads(sarif.render(findings, ReportContext(base=tmp_path, version=__version__, targets=2)))
    assert github_problems(document) == []
    prints = [result["partialFingerprints"]["primaryLocationLineHash"] for result in document["runs"][0]["results"]]
    assert len(set(prints)) == len(prints)


def test_fingerprint_follows_the_line_content_not_its_number(tmp_path):
    shutil.copytree(REPO / "corpus" / "models" / "ml103-conda-defaults", tmp_path / "m")
    conda_file = tmp_path / "m" / "conda.yaml"
    context = ReportContext(base=tmp_path, version=__version__, targets=1)

    def fingerprint(line: int) -> str:
        finding = Finding("ML103", "defaults-channel", Severity.WARNING, "uses defaults", conda_file, Span(line, 3, line, 11))
        return json.loads(sarif.render([finding], context))["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"]

    before = fingerprint(2)
    conda_file.write_text("# a comment pushes everything down\n" + conda_file.read_text())
    assert fingerprint(3) == before
