"""`path:line:col: CODE message`, one finding a line (Ruff's concise format)."""

from __future__ import annotations

from functools import cache

from modellint.findings import Finding
from modellint.reports import ReportContext, printable, shown_paths, summary, unchecked_lines


def render(findings: list[Finding], context: ReportContext) -> str:
    shown = shown_paths(context)
    message = cache(printable)  # copies of one model repeat its messages
    lines = [
        f"{shown(f.path)}:{f.span.line}:{f.span.column}: {f.code}{' [*]' if f.fixable else ''} "
        f"[{f.severity}] {message(f.message)}"
        for f in findings
    ]
    lines.extend(unchecked_lines(context))
    lines.append(summary(findings, context))
    return "\n".join(lines) + "\n"
