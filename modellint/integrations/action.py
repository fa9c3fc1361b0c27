"""The GitHub Action's lint step: one run of modellint, three renderings of its findings.

``action.yml`` runs ``python -m modellint.integrations.action`` with the action's inputs in the
environment (never spliced into the script). modellint runs once, in-process, writing its
stable JSON report; the findings read back from it are rendered as

* workflow-command annotations on stdout (GitHub shows 10 errors and 10 warnings per step,
  so the full concise report follows in a folded log group),
* a Markdown table appended to ``$GITHUB_STEP_SUMMARY`` (input ``summary``, default on),
* a SARIF file for ``github/codeql-action/upload-sarif`` (input ``sarif``, default off).

Environment read: ``GITHUB_WORKSPACE`` (where paths are resolved and reported from),
``GITHUB_STEP_SUMMARY``, ``GITHUB_OUTPUT``, ``RUNNER_TEMP``, and ``INPUT_PATHS`` (whitespace-
separated, shell quoting allowed; default ``.``), ``INPUT_ARGS`` (options for ``modellint
check``), ``INPUT_SARIF``, ``INPUT_SUMMARY``. Outputs: ``exit-code``, ``findings``,
``sarif-file`` (empty without SARIF). The process exits with modellint's exit code.

Configuration is the repository's own: found from ``GITHUB_WORKSPACE`` upward, never inside a
model dir (a pull request's model cannot ship a config that silences it), and the keys that run
programs or write files come only from ``args`` (`--python`, `--config FILE`...), see
:mod:`modellint.config`.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
import uuid
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

from modellint.findings import Applicability, Edit, Finding, Fix, Severity, Span
from modellint.integrations.action_install import set_output
from modellint.record import Record

EXIT_ERROR = 2
SARIF_NAME = "modellint.sarif"
# GitHub caps one step's summary at 1 MiB and drops the whole upload beyond it.
SUMMARY_LIMIT = 1024 * 1024
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class InputError(ValueError):
    """An action input that cannot be used as given."""


class Inputs(Record):
    __slots__ = ("paths", "args", "sarif", "summary")

    def __init__(self, paths: list[str], args: list[str], sarif: bool, summary: bool) -> None:
        self.paths = paths
        self.args = args
        self.sarif = sarif
        self.summary = summary

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Inputs:
        return cls(
            paths=_split("paths", environ.get("INPUT_PATHS", "")) or ["."],
            args=_split("args", environ.get("INPUT_ARGS", "")),
            sarif=_boolean("sarif", environ.get("INPUT_SARIF", ""), default=False),
            summary=_boolean("summary", environ.get("INPUT_SUMMARY", ""), default=True),
        )


def main(environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    try:
        inputs = Inputs.from_environment(environ)
    except InputError as error:
        _error(str(error))
        return EXIT_ERROR
    workspace = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd())
    try:
        with _working_directory(workspace):
            return _run(inputs, environ)
    except OSError as error:  # an unwritable summary or output file, a missing workspace
        _error(f"{error.filename or 'modellint'}: {error.strerror or error}")
        return EXIT_ERROR


def _run(inputs: Inputs, environ: Mapping[str, str]) -> int:
    from modellint import __version__
    from modellint.reports import ReportContext, UncheckedTarget, concise, github, markdown, sarif, summary_line

    base = Path.cwd()
    exit_code, document = _lint(inputs)
    if document is None:
        _error("modellint wrote no report (see the messages above); `args` takes options only, "
               "paths go in `paths`, and --diff has no place in the action")
        _outputs(environ, EXIT_ERROR, 0, "")
        return EXIT_ERROR
    findings = findings_from_json(document, base)
    errors = [UncheckedTarget(base / error["path"], error["message"]) for error in document.get("errors", [])]
    context = ReportContext(base=base, version=__version__, targets=document["summary"]["targets"], errors=errors)

    sys.stdout.write(github.render(findings, context))
    if findings:
        token = uuid.uuid4().hex  # model paths come from the repository: no workflow commands in them
        sys.stdout.write(f"::group::modellint report: {summary_line(findings)}\n::stop-commands::{token}\n")
        sys.stdout.write(concise.render(findings, context))
        sys.stdout.write(f"::{token}::\n::endgroup::\n")
    sys.stdout.flush()

    summary_file = environ.get("GITHUB_STEP_SUMMARY")
    if inputs.summary and summary_file:
        used = os.path.getsize(summary_file) if os.path.exists(summary_file) else 0
        text = markdown.render(findings, context, max_bytes=max(SUMMARY_LIMIT - used, 0))
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(text)

    sarif_file = ""
    if inputs.sarif:
        path = Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir()) / SARIF_NAME
        path.write_text(sarif.render(findings, context), encoding="utf-8")
        sarif_file = str(path)
    _outputs(environ, exit_code, len(findings), sarif_file)
    return exit_code


def _lint(inputs: Inputs) -> tuple[int, dict | None]:
    """Run ``modellint check`` once with the JSON report to a temporary file; the user's options
    come first so the report format and file given here win."""
    from modellint.cli import main as modellint

    with tempfile.TemporaryDirectory(prefix="modellint-action-") as directory:
        report = Path(directory) / "report.json"
        argv = ["check", *inputs.args, "--format", "json", "--output-file", str(report), "--no-progress",
                "--", *inputs.paths]
        exit_code = modellint(argv)
        try:
            document = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return exit_code, None
    return exit_code, document


def findings_from_json(document: dict, base: Path) -> list[Finding]:
    """The findings of a report in modellint's JSON format, paths made absolute against ``base``."""
    findings = []
    for item in document["findings"]:
        fix = None
        if item["fix"] is not None:
            edits = tuple(Edit(base / edit["path"], edit["start"], edit["end"], edit["content"])
                          for edit in item["fix"]["edits"])
            fix = Fix(item["fix"]["title"], edits, Applicability(item["fix"]["applicability"]))
        findings.append(Finding(
            code=item["code"],
            name=item["name"],
            severity=Severity.parse(item["severity"]),
            message=item["message"],
            path=base / item["path"],
            span=Span(item["line"], item["column"], item["end_line"], item["end_column"]),
            fix_title=item["fix_title"],
            fix=fix,
        ))
    return findings


def _outputs(environ: Mapping[str, str], exit_code: int, findings: int, sarif_file: str) -> None:
    output_file = environ.get("GITHUB_OUTPUT")
    if not output_file:
        return
    set_output(output_file, "exit-code", str(exit_code))
    set_output(output_file, "findings", str(findings))
    set_output(output_file, "sarif-file", sarif_file)


def _split(name: str, text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as error:  # an unclosed quote
        raise InputError(f"input `{name}`: {error}") from None


def _boolean(name: str, text: str, *, default: bool) -> bool:
    value = text.strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InputError(f"input `{name}`: expected true or false, got {text!r}")


def _error(message: str) -> None:
    from modellint.reports.github import escape_data

    print(f"::error title=modellint::{escape_data(message)}", flush=True)


@contextmanager
def _working_directory(path: Path):
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


if __name__ == "__main__":
    sys.exit(main())
