"""`path:line:col: CODE message`, one finding a line (Ruff's concise format)."""

from __future__ import annotations

from modellint.findings import Finding
from modellint.reports import ReportContext, relative, summary_line


def render(findings: list[Finding], context: ReportContext) -> str:
    lines = [
        f"{relative(f.path, context.base)}:{f.span.line}:{f.span.column}: {f.code}{' [*]' if f.fixable else ''} "
        f"[{f.severity}] {f.message}"
        for f in findings
    ]
    lines.append(summary_line(findings))
    return "\n".join(lines) + "\n"
