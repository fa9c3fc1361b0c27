"""Reporters: GitHub workflow commands, SARIF, JSON and the terminal formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modellint.findings import Finding, Severity, Span
from modellint.reports import ReportContext, concise, full, github, markdown, sarif
from modellint.reports import json as json_report
from modellint.rules import RULES_BY_CODE

BASE = Path("/repo")
CONTEXT = ReportContext(base=BASE, version="0.1.0", targets=1)


def make(code="ML103", message="uses defaults", path="models/m/conda.yaml", span=Span(3, 5, 3, 13), severity=None, fix_title="Replace with conda-forge"):
    rule = RULES_BY_CODE[code]
    return Finding(
        code=code,
        name=rule.name,
        severity=severity or rule.severity,
        message=message,
        path=BASE / path,
        span=span,
        fix_title=fix_title,
    )


# ----------------------------------------------------------------------------- github


def test_github_annotation_shape():
    line = github.render([make()], CONTEXT).strip()
    assert line == (
        "::warning file=models/m/conda.yaml,line=3,endLine=3,col=5,endColumn=13,title=modellint (ML103)"
        "::ML103 uses defaults%0Ahelp: Replace with conda-forge"
    )


def test_github_escapes_data_and_properties_like_the_actions_toolkit():
    # toolkit: data escapes % \r \n; properties additionally : and ,
    assert github.escape_data("50% a\r\nb:c,d") == "50%25 a%0D%0Ab:c,d"
    assert github.escape_property("50% a\r\nb:c,d") == "50%25 a%0D%0Ab%3Ac%2Cd"
    line = github.render([make(message="100%: a, b\nc", path="we,ird:dir/conda.yaml")], CONTEXT)
    assert "file=we%2Cird%3Adir/conda.yaml," in line
    # a line break from the model is shown as `\n` (printable); the runner never sees one
    assert "::ML103 100%25: a, b\\nc%0Ahelp:" in line
    assert line.count("\n") == 1  # one command per finding, never a raw newline inside


def test_github_file_level_finding_points_at_line_one():
    line = github.render([make(code="ML101", span=Span(), fix_title=None, message="no python_env.yaml", severity=Severity.WARNING)], CONTEXT)
    assert ",line=1," in line
    assert line.startswith("::warning ")


def test_github_severities_and_the_annotation_limit_notice():
    info = make(code="ML106", message="unpinned")
    assert github.render([info], CONTEXT).startswith("::notice ")
    ten = [make(message=f"m{i}", span=Span(i + 1, 1, i + 1, 2)) for i in range(10)]
    assert "GitHub shows only the first" not in github.render(ten, CONTEXT)
    eleven = ten + [make(message="m11", span=Span(20, 1, 20, 2))]
    out = github.render(eleven, CONTEXT).splitlines()
    assert len(out) == 12
    assert out[-1].startswith("::notice title=modellint::modellint found 0 errors and 11 warnings")


def test_github_multi_line_span_drops_columns():
    line = github.render([make(span=Span(2, 3, 4, 1))], CONTEXT)
    assert "line=2,endLine=4,title=" in line and "col=" not in line


# ----------------------------------------------------------------------------- sarif


def test_sarif_document_is_what_code_scanning_accepts():
    findings = [make(), make(code="ML106", message="unpinned", path="models/m/requirements.txt", span=Span(2, 1, 2, 7))]
    doc = json.loads(sarif.render(findings, CONTEXT))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["ML103", "ML106"]
    for rule in rules:
        assert rule["fullDescription"]["text"] and rule["help"]["markdown"].startswith("# ")
        assert rule["helpUri"].startswith("https://")
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    first, second = run["results"]
    assert first["ruleId"] == "ML103" and first["ruleIndex"] == 0 and first["level"] == "warning"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "models/m/conda.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 13}
    assert re.fullmatch(r"[0-9a-f]{32}:1", first["partialFingerprints"]["primaryLocationLineHash"])
    assert second["level"] == "note" and second["ruleIndex"] == 1


def test_sarif_fingerprints_are_stable_and_distinguish_repeats():
    twice = [make(span=Span(3, 5, 3, 13)), make(span=Span(7, 5, 7, 13))]
    one = json.loads(sarif.render(twice, CONTEXT))["runs"][0]["results"]
    again = json.loads(sarif.render(twice, CONTEXT))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in one]
    assert prints == [r["partialFingerprints"]["primaryLocationLineHash"] for r in again]
    assert prints[0].endswith(":1") and prints[1].endswith(":2") and prints[0][:32] == prints[1][:32]


def test_sarif_result_with_no_findings_is_still_a_valid_run():
    doc = json.loads(sarif.render([], CONTEXT))
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["tool"]["driver"]["rules"] == []


# ----------------------------------------------------------------------------- json / terminal


def test_json_keys_are_the_documented_schema():
    doc = json.loads(json_report.render([make()], CONTEXT))
    assert list(doc) == ["version", "findings", "errors", "summary"]
    assert list(doc["findings"][0]) == [
        "code", "name", "severity", "message", "fix_title", "path", "line", "column", "end_line", "end_column", "fix",
    ]
    assert doc["summary"] == {"targets": 1, "failed_targets": 0, "findings": 1, "error": 0, "warning": 1, "info": 0}


def test_machine_formats_are_byte_identical_across_runs():
    findings = [make(), make(code="ML106", message="unpinned", path="a/requirements.txt")]
    for reporter in (json_report, github, sarif, concise, markdown):
        assert reporter.render(findings, CONTEXT) == reporter.render(list(findings), CONTEXT)


def test_concise_is_one_line_per_finding():
    out = concise.render([make()], CONTEXT)
    assert out.splitlines()[0] == "models/m/conda.yaml:3:5: ML103 [warning] uses defaults"


def test_full_shows_the_offending_line_and_the_fix_without_colour(tmp_path):
    conda_file = tmp_path / "conda.yaml"
    conda_file.write_text("name: env\nchannels:\n  - defaults\ndependencies: []\n")
    finding = make(path=str(conda_file), span=Span(3, 5, 3, 13))
    out = full.render([finding], ReportContext(base=tmp_path, version="0.1.0", targets=1, color=False))
    assert "\x1b[" not in out
    assert "conda.yaml:3:5" in out and "ML103" in out
    assert "  - defaults" in out and "^^^^^^^^" in out
    assert "Replace with conda-forge" in out


# ----------------------------------------------------------------------------- markdown


def test_markdown_table_rows_link_the_rule_and_show_the_location():
    out = markdown.render([make(), make(code="ML106", message="unpinned", path="a/requirements.txt", span=Span(2, 1, 2, 7), fix_title=None)], CONTEXT)
    lines = out.splitlines()
    assert lines[:4] == ["## modellint", "", "| severity | code | message | location |", "|---|---|---|---|"]
    assert lines[4] == ("| warning | [ML103](https://github.com/modellint/modellint/blob/main/docs/rules.md#ml103) "
                        "| uses defaults (fix: Replace with conda-forge) | `models/m/conda.yaml:3:5` |")
    assert lines[5].startswith("| info | [ML106](") and lines[5].endswith("| unpinned | `a/requirements.txt:2:1` |")
    assert lines[-1] == "Found 1 warning, 1 info. 1 model dir or project checked."


def test_markdown_escapes_pipes_and_line_breaks_inside_cells():
    out = markdown.render([make(message="a | b\nc\r\nd", path="odd|dir/`x`/conda.yaml")], CONTEXT)
    row = out.splitlines()[4]
    assert "a \\| b\\nc\\r\\nd" in row  # line breaks from the model are shown as escapes
    assert markdown.escape_cell("a\nb") == "a<br>b"  # and our own would be <br>
    assert row.endswith("| ``odd\\|dir/`x`/conda.yaml:3:5`` |")  # a longer fence around a backtick
    assert len(re.split(r"(?<!\\)\|", row)) == 6  # four cells between the outer pipes, whatever the text held


def test_markdown_says_no_findings_when_clean():
    assert markdown.render([], ReportContext(base=BASE, version="0.1.0", targets=3)) == (
        "## modellint\n\nNo findings (3 model dirs or projects checked).\n")


def test_markdown_cuts_the_table_to_a_byte_budget_but_counts_everything():
    findings = [make(message=f"m{i}", span=Span(i + 1, 1, i + 1, 2)) for i in range(200)]
    full_table = markdown.render(findings, CONTEXT)
    cut = markdown.render(findings, CONTEXT, max_bytes=4000)
    assert len(cut.encode()) <= 4000 < len(full_table.encode())
    shown = sum(1 for line in cut.splitlines() if line.startswith("| warning"))
    assert 0 < shown < 200
    assert f"{200 - shown} more findings not shown, to stay under the size limit." in cut
    assert cut.rstrip().endswith("Found 200 warnings. 1 model dir or project checked.")


def test_markdown_is_a_cli_format(tmp_path, monkeypatch, capsys):
    from modellint.cli import main

    monkeypatch.chdir(tmp_path)
    assert main([str(tmp_path), "--format", "markdown"]) == 2  # nothing to lint: usage error, no table
    capsys.readouterr()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "MLmodel").write_text("flavors: {}\n")
    main(["m", "--format", "markdown"])
    assert capsys.readouterr().out.startswith("## modellint\n\n| severity |")


def test_fix_hint_is_worded_as_ruff_words_it():
    from modellint.findings import Applicability, Edit, Fix
    from modellint.reports import fixable_line

    def with_fix(applicability):
        return make().replace(fix=Fix("t", (Edit(BASE / "x", 0, 0, "y"),), applicability))

    safe, unsafe = with_fix(Applicability.SAFE), with_fix(Applicability.UNSAFE)
    assert fixable_line([make()]) is None
    assert fixable_line([safe, safe]) == "[*] 2 fixable with `--fix`."
    assert fixable_line([safe, unsafe]) == "[*] 1 fixable with `--fix` (1 unsafe fix available with `--fix --unsafe-fixes`)."
    assert fixable_line([unsafe, unsafe]) == "2 unsafe fixes available with `--fix --unsafe-fixes`."
    assert fixable_line([safe, unsafe], unsafe_fixes=True) == "[*] 2 fixable with `--fix`."
    out = concise.render([safe, unsafe], CONTEXT).splitlines()
    assert out[-2:] == ["Found 2 warnings.", "[*] 1 fixable with `--fix` (1 unsafe fix available with `--fix --unsafe-fixes`)."]


@pytest.mark.parametrize("document", [
    {},
    [],
    {"a": [], "b": {}, "c": [{}], "d": [[]]},
    {"findings": [{"code": "ML101", "line": 3, "fix": None, "ok": True, "no": False, "n": -7, "big": 2**80}]},
    {"text": "é ☃ \U0001f600 \x00\x1f \"quoted\" \\ / \t\n\r\u2028", "emoji key \U0001f600": "x"},
    {"nested": {"deeper": {"deepest": [1, [2, [3, {"k": "v"}]]]}}},
    {"float": 1.5, "tiny": 1e-300, "nan": float("nan"), "inf": float("-inf")},
    {1: "int key", None: "none key", 2.5: "float key"},
    {"findings": [{"a": 1}, {"fix": {"edits": [{"k": "v"}, {3: "int key deep in an item"}]}}]},
    ("a", "tuple", ["inside"]),
    "just a string",
    None,
])
def test_indented_json_is_json_dumps_byte_for_byte(document):
    from modellint.reports.indented_json import dumps

    assert dumps(document) == json.dumps(document, indent=2)
    from modellint.reports.indented_json import dumps_at

    # inside a larger document: every line break stands further in
    assert dumps_at(document, "\n    ") == json.dumps(document, indent=2).replace("\n", "\n    ")


def test_indented_json_refuses_what_json_refuses():
    from modellint.reports.indented_json import dumps

    with pytest.raises(TypeError):
        dumps({"path": Path("x")})


def test_json_report_is_json_dumps_of_the_documented_shape_byte_for_byte():
    from modellint.findings import Applicability, Edit, Fix
    from modellint.reports import UncheckedTarget

    fix = Fix("Use `conda-forge` — https://user:secret@host", (
        Edit(BASE / "models/m/conda.yaml", 10, 18, "conda-forge\n\x00é"),
        Edit(Path("/elsewhere/requirements.txt"), 0, 0, "https://u:p@example.org/simple\n"),
    ), Applicability.UNSAFE)
    findings = [
        make(),
        make(message="é ☃ \U0001f600 \x1f \"quoted\" \\ / \t\n https://user:token@host/x", fix_title=None),
        make(code="ML101", path="../outside/python_env.yaml", span=Span(), severity=Severity.INFO),
        Finding("ML103", "defaults-channel", Severity.ERROR, "m", BASE / "models/m/conda.yaml", Span(1, 2, 3, 4),
                "t", fix),
        Finding("ML103", "defaults-channel", Severity.ERROR, "m", BASE / "models/m/conda.yaml", Span(1, 2, 3, 4),
                None, Fix("nothing to edit", ())),
    ]
    errors = [UncheckedTarget(BASE / "broken", "cannot read `MLmodel`: \x07")]
    context = ReportContext(base=BASE, version="9.9.9", targets=7, errors=errors)
    expected = {
        "version": "9.9.9",
        "findings": [json_report.finding_dict(finding, context) for finding in findings],
        "errors": [{"path": "broken", "message": "cannot read `MLmodel`: \\x07"}],
        "summary": {"targets": 7, "failed_targets": 1, "findings": 5,
                    **{word: sum(str(finding.severity) == word for finding in findings)
                       for word in ("error", "warning", "info")}},
    }
    assert json_report.render(findings, context) == json.dumps(expected, indent=2) + "\n"
    empty = {**expected, "findings": [], "errors": [],
             "summary": {**expected["summary"], "findings": 0, "error": 0, "warning": 0, "info": 0, "failed_targets": 0}}
    context = ReportContext(base=BASE, version="9.9.9", targets=7)
    assert json_report.render([], context) == json.dumps(empty, indent=2) + "\n"
