"""A GitHub-flavoured Markdown table of the findings: for job summaries and PR comments.

Cells are escaped for GFM tables (a ``|`` ends a cell even inside a code span; a newline ends
the row), and the table can be cut to a byte budget because a job summary step is capped at
1 MiB: the totals always count every finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from modellint.findings import Finding
from modellint.reports import ReportContext, help_uri, printable, shown_path, summary_line, unchecked_line, written
from modellint.reports import Writer as _Writer
from modellint.reports.spill import Spill

HEADER = "| severity | code | message | location |\n|---|---|---|---|\n"


class Writer(_Writer):
    """The rows wait in a :class:`~modellint.reports.spill.Spill` (a file once they are many): the
    table comes after the list of targets not checked, which only the end of the run knows, and a
    budget is the room that list and the totals leave."""

    def __init__(self, context: ReportContext, *, max_bytes: int | None = None) -> None:
        super().__init__(context)
        self.max_bytes = max_bytes
        self.rows = Spill()

    def text(self, finding: Finding) -> str:
        location = f"{shown_path(finding.path, self.context)}:{finding.span.line}:{finding.span.column}"
        documentation = help_uri(finding.code)
        code = finding.code if documentation is None else f"[{finding.code}]({documentation})"
        self.rows.add(f"| {finding.severity} | {code} | {escape_cell(_message(finding))} | "
                      f"{_code_span(escape_cell(location))} |\n")
        return ""

    def end(self, context: ReportContext) -> Iterator[str]:
        parts = ["## modellint\n\n"]
        errors = "".join(f"- **error**: {escape_cell(printable(error.message))} "
                         f"({_code_span(escape_cell(shown_path(error.path, context)))})\n" for error in context.errors)
        if errors:
            parts.append(f"**{unchecked_line(len(context.errors))}**\n\n{errors}\n")
        checked = _targets(context.targets - len(context.errors))
        total = self.tally.findings
        if not total:
            parts.append(f"No findings ({checked} checked).\n")
            yield "".join(parts)
            return
        totals = f"\n{summary_line(self.tally)} {checked.capitalize()} checked.\n"
        budget = None
        if self.max_bytes is not None:
            budget = self.max_bytes - _size(*parts, HEADER, totals, _cut_notice(total))
        parts.append(HEADER)
        yield "".join(parts)
        used = 0
        shown = 0
        try:
            for row in self.rows.pieces():
                if budget is not None and used + _size(row) > budget:
                    break
                yield row
                used += _size(row)
                shown += 1
        finally:
            self.rows.close()
        if shown < total:
            yield _cut_notice(total - shown)
        yield totals


def render(findings: list[Finding], context: ReportContext, *, max_bytes: int | None = None) -> str:
    return written(Writer(context, max_bytes=max_bytes), findings, context)


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
