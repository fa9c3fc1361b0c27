"""Ruff-like human output: the message, the location, the offending lines, and the fix title.

Rendered with rich so that colours and styles follow the terminal; rich is imported only
here, so machine formats and `--version` never pay for it.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from modellint.analyzer.files import read_text
from modellint.findings import Finding, Severity
from modellint.reports import ReportContext, relative, summary_line

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}
_CONTEXT_LINES = 1
_MAX_SHOWN_LINES = 6


@lru_cache(maxsize=128)
def _lines(path: Path, root: Path | None) -> tuple[str, ...]:
    text, _ = read_text(path, root)  # confined to the model dir: a symlink leading out shows no lines
    return tuple(text.splitlines()) if text else ()


def render(findings: list[Finding], context: ReportContext) -> str:
    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=context.color, no_color=not context.color,
                      highlight=False, width=10_000 if not context.color else None, soft_wrap=True)
    for finding in findings:
        header = Text()
        header.append(finding.code, style=_STYLE[finding.severity])
        if finding.fixable:
            header.append(" [*]", style="bold")
        header.append(f" {finding.message}", style="bold")
        console.print(header)
        location = f"{relative(finding.path, context.base)}:{finding.span.line}:{finding.span.column}"
        console.print(Text.assemble((" --> ", "blue"), location))
        frame = _frame(finding)
        if frame:
            console.print(frame)
        if finding.fix_title:
            console.print(Text.assemble(("help", "bold cyan"), f": {finding.fix_title}"))
        console.print()
    console.print(Text(summary_line(findings), style="bold"))
    fixable = sum(1 for finding in findings if finding.fixable)
    unsafe = sum(1 for finding in findings if finding.fix and not finding.fixable)
    if fixable:
        console.print(f"[*] {fixable} fixable with `--fix`.", markup=False)
    if unsafe:
        console.print(f"{unsafe} more fixable with `--fix --unsafe-fixes`.", markup=False)
    return buffer.getvalue()


def _frame(finding: Finding):
    from rich.text import Text

    lines = _lines(finding.path, finding.root)
    span = finding.span
    if not lines or not 0 < span.line <= len(lines):
        return None
    first = max(1, span.line - _CONTEXT_LINES)
    last_marked = min(span.end_line, span.line + _MAX_SHOWN_LINES - 1, len(lines))
    last = min(len(lines), last_marked + _CONTEXT_LINES)
    width = len(str(last))
    text = Text()
    text.append(f"{' ' * width} |\n", style="blue")
    for number in range(first, last + 1):
        line = lines[number - 1]
        text.append(f"{number:>{width}} | ", style="blue")
        text.append(line + "\n")
        if number == span.line and span.end_line == span.line:
            start = max(span.column - 1, 0)
            end = max(min(span.end_column - 1, len(line)), start + 1)
            text.append(f"{' ' * width} | ", style="blue")
            text.append(" " * start + "^" * (end - start) + "\n", style=_STYLE[finding.severity])
    text.append(f"{' ' * width} |", style="blue")
    return text
