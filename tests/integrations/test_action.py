"""The GitHub Action's script, run with the environment a runner gives a step.

Annotations are decoded the way the runner parses workflow commands (`ActionCommand.TryParseV2`:
properties split on `,`, then on the first `=`, `%25` decoded last) to prove the round trip
for paths and messages holding `%`, `,`, `:` and newlines.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modellint.integrations import action
from modellint.integrations.action_install import requirement
from tests.conftest import REPO

CORPUS = REPO / "corpus" / "models"
WEIRD_DIR = "we%ird,di:r"
NEWLINE_DIR = "new\nline"
# An absolute path in MLmodel makes ML004 quote it: a message with `%`, `,`, `:` and a newline.
ODD_ARTIFACT_PATH = "/home/ci/100%,a:b\nsecond"

_PROPERTY_ESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_DATA_ESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """``(command, properties, message)`` of one workflow command, unescaped as the runner does."""
    match = re.fullmatch(r"::(\S+?)(?: (.*?))?::(.*)", line)
    assert match, line
    command, raw_properties, data = match.groups()
    properties = {}
    for pair in filter(None, (raw_properties or "").split(",")):
        key, _, value = pair.partition("=")
        for escaped, plain in _PROPERTY_ESCAPES:
            value = value.replace(escaped, plain)
        properties[key] = value
    for escaped, plain in _DATA_ESCAPES:
        data = data.replace(escaped, plain)
    return command, properties, data


@pytest.fixture
def workspace(tmp_path) -> Path:
    root = tmp_path / "workspace"
    shutil.copytree(CORPUS / "ml103-conda-defaults", root / "models" / WEIRD_DIR)
    mlmodel = root / "models" / WEIRD_DIR / "MLmodel"
    mlmodel.write_text(f"artifact_path: {json.dumps(ODD_ARTIFACT_PATH)}\n" + mlmodel.read_text())
    shutil.copytree(CORPUS / "ml105-mlflow-unpinned", root / "models" / NEWLINE_DIR)
    shutil.copytree(CORPUS / "sklearn-skops", root / "models" / "clean")
    return root


@pytest.fixture
def runner(tmp_path, workspace):
    """The files and variables a runner gives a step; returns (environment, summary, output)."""
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    summary, output = tmp_path / "step_summary.md", tmp_path / "github_output"
    summary.write_text("")
    output.write_text("")
    environment = {"GITHUB_WORKSPACE": str(workspace), "GITHUB_STEP_SUMMARY": str(summary),
                   "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(temp), "INPUT_PATHS": "models",
                   "INPUT_ARGS": "", "INPUT_SARIF": "true", "INPUT_SUMMARY": "true"}
    return environment, summary, output


def read_outputs(path: Path) -> dict[str, str]:
    """Parse ``$GITHUB_OUTPUT`` (``name<<DELIMITER`` blocks) as the runner does."""
    outputs, lines = {}, path.read_text().split("\n")
    while lines and lines[0]:
        name, _, delimiter = lines.pop(0).partition("<<")
        end = lines.index(delimiter)
        outputs[name] = "\n".join(lines[:end])
        del lines[: end + 1]
    return outputs


def run_action(environment: dict[str, str], capsys) -> tuple[int, str, str]:
    code = action.main(environment)
    out, err = capsys.readouterr()
    return code, out, err


def test_annotations_round_trip_odd_paths_and_messages(runner, capsys):
    environment, _, _ = runner
    code, out, _ = run_action(environment, capsys)
    assert code == 1
    commands = [parse_command(line) for line in out.splitlines() if line.startswith(("::error", "::warning", "::notice"))]
    by_file = {(properties["file"], message.split(" ", 1)[0]): (command, properties, message)
               for command, properties, message in commands if "file" in properties}
    command, properties, message = by_file[(f"models/{WEIRD_DIR}/conda.yaml", "ML103")]
    assert command == "warning" and properties["line"] == "2" and properties["title"] == "modellint (ML103)"
    assert message.endswith("\nhelp: Replace the channel with `conda-forge`")
    command, properties, message = by_file[(f"models/{WEIRD_DIR}/MLmodel", "ML004")]
    # `%`, `,`, `:` survive; the newline is shown as `\n`, never a break in the log
    assert ODD_ARTIFACT_PATH.replace("\n", "\\n") in message
    assert any(file.startswith(f"models/{NEWLINE_DIR}/") for file, _ in by_file)
    # one physical line per command: nothing unescaped leaks a newline into the log
    assert all("\n" not in line and "\r" not in line for line in out.splitlines())
    # the full report follows, with workflow commands switched off around repository text
    token = re.search(r"^::stop-commands::(\w+)$", out, re.M).group(1)
    assert f"\n::{token}::\n::endgroup::\n" in out


def test_summary_table_sarif_and_outputs_come_from_the_same_findings(runner, capsys):
    environment, summary, output = runner
    code, out, _ = run_action(environment, capsys)
    outputs = read_outputs(output)
    annotations = [line for line in out.splitlines() if re.match(r"::(error|warning|notice) file=", line)]
    assert outputs["exit-code"] == str(code) == "1"
    assert outputs["findings"] == str(len(annotations))

    table = summary.read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| severity")]
    assert len(rows) == len(annotations)
    assert f"`models/{WEIRD_DIR}/conda.yaml:2:3`" in table
    assert "100%,a:b\\nsecond" in table  # the newline is shown as `\n`: one line inside the cell
    assert re.search(r"^Found .*\. 3 model dirs or projects checked\.$", table, re.M)

    sarif_path = Path(outputs["sarif-file"])
    assert sarif_path.parent == Path(environment["RUNNER_TEMP"])
    results = json.loads(sarif_path.read_text())["runs"][0]["results"]
    assert len(results) == len(annotations)
    uris = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for result in results}
    assert "models/we%25ird%2Cdi%3Ar/conda.yaml" in uris and "models/new%0Aline/requirements.txt" in uris


def test_exit_code_follows_modellint(runner, capsys, monkeypatch):
    environment, _, output = runner
    from modellint.cli import main as modellint

    monkeypatch.chdir(environment["GITHUB_WORKSPACE"])
    for args, expected in (("", 1), ("--fail-on error", 0), ("--exit-zero", 0)):
        assert modellint(["check", *args.split(), "models"]) == expected
        capsys.readouterr()
        assert action.main({**environment, "INPUT_ARGS": args}) == expected
        assert read_outputs(output)["exit-code"] == str(expected)
        output.write_text("")
    capsys.readouterr()


def test_clean_run_writes_a_no_findings_summary_and_skips_sarif_when_off(runner, capsys):
    environment, summary, output = runner
    environment = {**environment, "INPUT_PATHS": "models/clean", "INPUT_SARIF": "false"}
    code, out, _ = run_action(environment, capsys)
    assert code == 0 and out == ""
    assert summary.read_text() == "## modellint\n\nNo findings (1 model dir or project checked).\n"
    assert read_outputs(output) == {"exit-code": "0", "findings": "0", "sarif-file": ""}


def test_summary_off_leaves_the_summary_alone(runner, capsys):
    environment, summary, _ = runner
    run_action({**environment, "INPUT_SUMMARY": "false"}, capsys)
    assert summary.read_text() == ""


@pytest.mark.parametrize(("variable", "value", "complaint"), [
    ("INPUT_SARIF", "maybe", "input `sarif`: expected true or false"),
    ("INPUT_ARGS", '--select "ML1', "input `args`: No closing quotation"),
    ("INPUT_ARGS", "--diff", "modellint wrote no report"),
    ("INPUT_PATHS", "does-not-exist", "modellint wrote no report"),
    ("GITHUB_WORKSPACE", "/nonexistent/workspace", "/nonexistent/workspace"),
])
def test_bad_input_is_an_error_annotation_and_exit_2(runner, capsys, variable, value, complaint):
    environment, _, _ = runner
    code, out, err = run_action({**environment, variable: value}, capsys)
    assert code == 2
    assert "Traceback" not in out + err
    errors = [parse_command(line) for line in out.splitlines() if line.startswith("::error title=modellint::")]
    assert errors and complaint in errors[-1][2]


def test_runs_as_a_module_with_only_the_environment(runner):
    environment, _, output = runner
    result = subprocess.run([sys.executable, "-m", "modellint.integrations.action"], cwd=REPO,
                            env={**os.environ, **environment}, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert read_outputs(output)["exit-code"] == "1"


def test_no_step_imports_from_the_repository_under_check(runner, workspace, monkeypatch):
    """Every step runs with the repository as its working directory, which `python -m` puts first
    on sys.path: a `yaml.py` or `logging.py` at its root would replace the real module. The lint
    step's command, as action.yml writes it, runs there without importing it."""
    import yaml

    from modellint.integrations import action_install

    marker = workspace.parent / "imported"
    for module in ("yaml", "typing", "logging", "json"):
        (workspace / f"{module}.py").write_text(f"open({str(marker)!r}, 'a').write({module!r})\n")
    steps = {step.get("id"): step for step in yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]}
    command = shlex.split(steps["modellint"]["run"].split("||")[0])
    assert command[:4] == ["$MODELLINT_PYTHON", "-I", "-m", "modellint.integrations.action"]
    environment, _, output = runner
    result = subprocess.run([sys.executable, *command[1:]], cwd=workspace, env={**os.environ, **environment},
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert not marker.exists(), marker.read_text()

    started = []
    monkeypatch.setattr(action_install.subprocess, "run",
                        lambda argv: started.append(argv) or subprocess.CompletedProcess(argv, 1))
    action_install._create_virtualenv(workspace / "venv")
    action_install._pip_install(Path("python"), "modellint")
    assert [argv[1:3] for argv in started] == [["-I", "-m"], ["-I", "-m"]]


@pytest.mark.parametrize(("version", "ref", "expected"), [
    ("", "v0.1.0", ("modellint==0.1.0", True)),
    ("", "0.2.0rc1", ("modellint==0.2.0rc1", True)),
    ("", "main", ("/action", False)),
    ("", "", ("/action", False)),  # `uses: ./` gives no ref
    ("", "3f1c2e9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e", ("/action", False)),
    ("0.1.1", "v0.1.0", ("modellint==0.1.1", False)),
    ("v0.1.1", "", ("modellint==0.1.1", False)),
    (">=0.1,<0.2", "", ("modellint>=0.1,<0.2", False)),
    ("latest", "v0.1.0", ("modellint", False)),
])
def test_install_step_picks_the_version(version, ref, expected):
    assert requirement(version, ref, "/action") == expected


def test_install_step_rejects_a_version_that_is_not_one():
    with pytest.raises(ValueError, match="input `version`"):
        requirement("main; rm -rf /", "", "/action")
