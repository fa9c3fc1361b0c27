"""``--statistics``: the count of findings per rule, then the summary (Ruff's statistics)."""

from __future__ import annotations

from collections.abc import Iterator

from modellint.findings import Finding
from modellint.reports import ReportContext, summary, unchecked_lines, written
from modellint.reports import Writer as _Writer


class Writer(_Writer):
    """Nothing until the end: the counts come first, and they hold one number per rule."""

    def text(self, finding: Finding) -> str:
        return ""

    def end(self, context: ReportContext) -> Iterator[str]:
        from modellint.rules import rule_class

        lines = []
        for code, count in sorted(self.tally.by_code.items(), key=lambda item: (-item[1], item[0])):
            fixable = "[*]" if code in self.tally.fixable_codes else "[ ]"
            lines.append(f"{count}\t{code}\t{fixable} {rule_class(code).name}")
        lines.extend(unchecked_lines(context))
        lines.append(summary(self.tally, context))
        yield "\n".join(lines) + "\n"


def render(findings: list[Finding], context: ReportContext) -> str:
    return written(Writer(context), findings, context)
