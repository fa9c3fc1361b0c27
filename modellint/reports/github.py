"""GitHub Actions workflow commands (annotations), escaped exactly as the Actions toolkit does.

The runner reads a workflow command only at the start of a line, and every line break of a
message is escaped (``%0A``), so a message from the model cannot start a second command; its
other control characters (the log viewer renders ANSI colours) are shown as escapes first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from modellint.findings import Finding, Severity
from modellint.reports import ReportContext, location, printable, written
from modellint.reports import Writer as _Writer

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
# GitHub shows at most 10 error and 10 warning annotations per step and drops the rest.
ANNOTATION_LIMIT = 10


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")


def file_property(path, context: ReportContext) -> str:
    """The ``file=`` of an annotation: the real path, so that GitHub attaches it to the file (line
    breaks are the toolkit's `%0A`), with any other control character shown as an escape."""
    pieces = _LINE_BREAK.split(location(path, context))
    return escape_property("".join(piece if index % 2 else printable(piece) for index, piece in enumerate(pieces)))


def annotation(finding: Finding, context: ReportContext) -> str:
    span = finding.span
    properties = [f"file={file_property(finding.path, context)}", f"line={span.line}"]
    end_line = max(span.end_line, span.line)
    properties.append(f"endLine={end_line}")
    if end_line == span.line:  # the runner drops columns on multi-line annotations
        properties.append(f"col={span.column}")
        properties.append(f"endColumn={max(span.end_column, span.column)}")
    properties.append(f"title={escape_property(f'modellint ({finding.code})')}")
    message = f"{finding.code} {printable(finding.message)}"
    if finding.fix_title:
        message += f"\nhelp: {printable(finding.fix_title)}"
    return f"::{_COMMAND[finding.severity]} {','.join(properties)}::{escape_data(message)}"


def error_annotation(error, context: ReportContext) -> str:
    """A target that could not be checked: an ``::error`` on the target itself."""
    return (f"::error file={file_property(error.path, context)},"
            f"title={escape_property('modellint: target not checked')}::{escape_data(printable(error.message))}")


class Writer(_Writer):
    def text(self, finding: Finding) -> str:
        return annotation(finding, self.context) + "\n"

    def end(self, context: ReportContext) -> Iterator[str]:
        for error in context.errors:
            yield error_annotation(error, context) + "\n"
        errors = self.tally.by_severity.get(Severity.ERROR, 0)
        warnings = self.tally.by_severity.get(Severity.WARNING, 0)
        if errors > ANNOTATION_LIMIT or warnings > ANNOTATION_LIMIT:
            yield (
                "::notice title=modellint::"
                + escape_data(
                    f"modellint found {errors} errors and {warnings} warnings; GitHub shows only the first "
                    f"{ANNOTATION_LIMIT} of each kind as annotations. See the job log or the SARIF upload for all of them."
                )
                + "\n"
            )


def render(findings: list[Finding], context: ReportContext) -> str:
    return written(Writer(context), findings, context)
