"""A GitHub-flavoured Markdown table of the findings: for job summaries and PR comments.

Cells are escaped for GFM tables (a ``|`` ends a cell even inside a code span; a newline ends
the row), and the table can be cut to a byte budget because a job summary step is capped at
1 MiB: the totals always count every finding.
"""

from __future__ import annotations

from modellint.findings import Finding
from modellint.reports import ReportContext, help_uri, printable, shown_path, summary_line, unchecked_line

HEADER = "| severity | code | message | location |\n|---|---|---|---|\n"


def render(findings: list[Finding], context: ReportContext, *, max_bytes: int | None = None) -> str:
    parts = ["## modellint\n\n"]
    errors = "".join(f"- **error**: {escape_cell(printable(error.message))} "
                     f"({_code_span(escape_cell(shown_path(error.path, context)))})\n" for error in context.errors)
    if errors:
        parts.append(f"**{unchecked_line(len(context.errors))}**\n\n{errors}\n")
    checked = _targets(context.targets - len(context.errors))
    if not findings:
        parts.append(f"No findings ({checked} checked).\n")
        return "".join(parts)
    totals = f"\n{summary_line(findings)} {checked.capitalize()} checked.\n"
    budget = None
    if max_bytes is not None:
        budget = max_bytes - _size(*parts, HEADER, totals, _cut_notice(len(findings)))
    parts.append(HEADER)
    used = 0
    shown = 0
    for finding in findings:
        location = f"{shown_path(finding.path, context)}:{finding.span.line}:{finding.span.column}"
        documentation = help_uri(finding.code)
        code = finding.code if documentation is None else f"[{finding.code}]({documentation})"
        row = f"| {finding.severity} | {code} | {escape_cell(_message(finding))} | {_code_span(escape_cell(location))} |\n"
        if budget is not None and used + _size(row) > budget:
            break
        parts.append(row)
        used += _size(row)
        shown += 1
    if shown < len(findings):
        parts.append(_cut_notice(len(findings) - shown))
    parts.append(totals)
    return "".join(parts)


def escape_cell(text: str) -> str:
    """Keep ``text`` inside one table cell: escape pipes (GFM splits cells on them even inside code
    spans, and unescapes ``\\|`` there too) and turn line breaks into ``<br>``."""
    text = text.replace("|", "\\|")
    return text.replace("\r\n", "<br>").replace("\r", "<br>").replace("\n", "<br>")


def _message(finding: Finding) -> str:
    return printable(finding.message) + (f" (fix: {printable(finding.fix_title)})" if finding.fix_title else "")


def _code_span(text: str) -> str:
    """A code span that survives backticks in the text (a path may hold one)."""
    fence = "`"
    while fence in text:
        fence += "`"
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _cut_notice(hidden: int) -> str:
    return f"\n{hidden} more finding{'s' if hidden != 1 else ''} not shown, to stay under the size limit.\n"


def _size(*texts: str) -> int:
    return sum(len(text.encode()) for text in texts)


def _targets(count: int) -> str:
    return f"{count} model dir{'s' if count != 1 else ''} or project{'s' if count != 1 else ''}"
