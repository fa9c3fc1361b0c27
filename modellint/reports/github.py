"""GitHub Actions workflow commands (annotations), escaped exactly as the Actions toolkit does."""

from __future__ import annotations

from modellint.findings import Finding, Severity
from modellint.reports import ReportContext, relative

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
# GitHub shows at most 10 error and 10 warning annotations per step and drops the rest.
ANNOTATION_LIMIT = 10


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, context: ReportContext) -> str:
    span = finding.span
    properties = [f"file={escape_property(relative(finding.path, context.base))}", f"line={span.line}"]
    end_line = max(span.end_line, span.line)
    properties.append(f"endLine={end_line}")
    if end_line == span.line:  # the runner drops columns on multi-line annotations
        properties.append(f"col={span.column}")
        properties.append(f"endColumn={max(span.end_column, span.column)}")
    properties.append(f"title={escape_property(f'modellint ({finding.code})')}")
    message = f"{finding.code} {finding.message}"
    if finding.fix_title:
        message += f"\nhelp: {finding.fix_title}"
    return f"::{_COMMAND[finding.severity]} {','.join(properties)}::{escape_data(message)}"


def render(findings: list[Finding], context: ReportContext) -> str:
    lines = [annotation(finding, context) for finding in findings]
    errors = sum(1 for finding in findings if finding.severity is Severity.ERROR)
    warnings = sum(1 for finding in findings if finding.severity is Severity.WARNING)
    if errors > ANNOTATION_LIMIT or warnings > ANNOTATION_LIMIT:
        lines.append(
            "::notice title=modellint::"
            + escape_data(
                f"modellint found {errors} errors and {warnings} warnings; GitHub shows only the first "
                f"{ANNOTATION_LIMIT} of each kind as annotations. See the job log or the SARIF upload for all of them."
            )
        )
    return "\n".join(lines) + ("\n" if lines else "")
