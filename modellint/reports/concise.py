"""`path:line:col: CODE message`, one finding a line (Ruff's concise format)."""

from __future__ import annotations

from modellint.findings import Finding
from modellint.reports import ReportContext, printable, shown_path, summary, unchecked_lines


def render(findings: list[Finding], context: ReportContext) -> str:
    lines = [
        f"{shown_path(f.path, context)}:{f.span.line}:{f.span.column}: {f.code}{' [*]' if f.fixable else ''} "
        f"[{f.severity}] {printable(f.message)}"
        for f in findings
    ]
    lines.extend(unchecked_lines(context))
    lines.append(summary(findings, context))
    return "\n".join(lines) + "\n"
