"""`path:line:col: CODE message`, one finding a line (Ruff's concise format)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from modellint.findings import Finding
from modellint.reports import RECENT, ReportContext, printable, shown_paths, summary, unchecked_lines, written
from modellint.reports import Writer as _Writer


class Writer(_Writer):
    def __init__(self, context: ReportContext) -> None:
        super().__init__(context)
        self.shown = shown_paths(context)
        self.message = lru_cache(maxsize=RECENT)(printable)  # copies of one model repeat its messages

    def text(self, finding: Finding) -> str:
        return (f"{self.shown(finding.path)}:{finding.span.line}:{finding.span.column}: {finding.code}"
                f"{' [*]' if finding.fixable else ''} [{finding.severity}] {self.message(finding.message)}\n")

    def end(self, context: ReportContext) -> Iterator[str]:
        for line in unchecked_lines(context):
            yield line + "\n"
        yield summary(self.tally, context) + "\n"


def render(findings: list[Finding], context: ReportContext) -> str:
    return written(Writer(context), findings, context)
