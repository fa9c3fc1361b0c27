"""Ruff-like human output: the message, the location, the offending lines, and the fix title.

Rendered with rich so that colours and styles follow the terminal; rich is imported only
here, so machine formats and `--version` never pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from modellint.analyzer.files import read_text
from modellint.findings import Finding, Severity
from modellint.reports import ReportContext, printable, shown_path, summary, written
from modellint.reports import Writer as _Writer

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}
_CONTEXT_LINES = 1
_MAX_SHOWN_LINES = 6


@lru_cache(maxsize=128)
def _lines(path: Path, root: Path | None) -> tuple[str, ...]:
    text, _ = read_text(path, root)  # confined to the model dir: a symlink leading out shows no lines
    return tuple(text.splitlines()) if text else ()


class Writer(_Writer):
    """One rich console for the whole report, its buffer taken and emptied after each finding."""

    def __init__(self, context: ReportContext) -> None:
        from rich.console import Console

        super().__init__(context)
        self.buffer = io.StringIO()
        self.console = Console(file=self.buffer, force_terminal=context.color, no_color=not context.color,
                               highlight=False, width=10_000 if not context.color else None, soft_wrap=True)

    def text(self, finding: Finding) -> str:
        from rich.text import Text

        console = self.console
        header = Text()
        header.append(finding.code, style=_STYLE[finding.severity])
        if finding.fixable:
            header.append(" [*]", style="bold")
        header.append(f" {printable(finding.message)}", style="bold")
        console.print(header)
        location = f"{shown_path(finding.path, self.context)}:{finding.span.line}:{finding.span.column}"
        console.print(Text.assemble((" --> ", "blue"), location))
        frame = _frame(finding)
        if frame:
            console.print(frame)
        if finding.fix_title:
            console.print(Text.assemble(("help", "bold cyan"), f": {printable(finding.fix_title)}"))
        console.print()
        return self._taken()

    def end(self, context: ReportContext) -> Iterator[str]:
        from rich.text import Text

        console = self.console
        for error in context.errors:
            console.print(Text.assemble(("error", "bold red"), f": {printable(error.message)}"))
            console.print(Text.assemble((" --> ", "blue"), shown_path(error.path, context)))
            console.print()
        closing = summary(self.tally, context).split("\n")
        console.print(Text(closing[0], style="bold"))
        for line in closing[1:]:
            console.print(Text(line))
        yield self._taken()

    def _taken(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def render(findings: list[Finding], context: ReportContext) -> str:
    return written(Writer(context), findings, context)


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
    masked = _masked_continuations(lines, first, last)
    text = Text()
    text.append(f"{' ' * width} |\n", style="blue")
    for number in range(first, last + 1):
        line = masked.get(number, lines[number - 1])
        text.append(f"{number:>{width}} | ", style="blue")
        shown = printable(line)
        text.append(shown + "\n")
        if number == span.line and span.end_line == span.line:
            # the caret sits under the shown text: escapes and redaction change column widths
            # (a slice past the end is the whole line, so an end column beyond it stops at its end)
            start = len(printable(line[:max(span.column - 1, 0)]))
            end = max(len(printable(line[:max(span.end_column - 1, 0)])), start + 1)
            text.append(f"{' ' * width} | ", style="blue")
            text.append(" " * start + "^" * (end - start) + "\n", style=_STYLE[finding.severity])
    text.append(f"{' ' * width} |", style="blue")
    return text


# How far a `\` continuation is followed to find a credential split across physical lines.
_MAX_CONTINUATION = 64


def _masked_continuations(lines: tuple[str, ...], first: int, last: int) -> dict[int, str]:
    """Lines ``first..last`` (1-based) with credentials masked where a requirement line continued
    with ``\\`` splits a URL across physical lines (each line alone would not show an ``@``).
    Only lines that change are returned; :func:`printable` masks the rest."""
    from modellint.credentials import MASK, find_credentials

    start = first
    while start > 1 and first - start < _MAX_CONTINUATION and lines[start - 2].endswith("\\"):
        start -= 1
    end = last
    while end < len(lines) and end - last < _MAX_CONTINUATION and lines[end - 1].endswith("\\"):
        end += 1
    changed: dict[int, str] = {}
    number = start
    while number <= end:
        group = [number]
        while lines[group[-1] - 1].endswith("\\") and group[-1] < end:
            group.append(group[-1] + 1)
        number = group[-1] + 1
        if len(group) == 1:
            continue
        pieces = [lines[line - 1][:-1] if line != group[-1] else lines[line - 1] for line in group]
        credentials = find_credentials("".join(pieces))
        offset = 0
        for line, piece in zip(group, pieces):
            cuts = [(max(c.start - offset, 0), min(c.end - offset, len(piece))) for c in credentials
                    if c.start < offset + len(piece) and c.end > offset]
            if cuts:
                shown, position = [], 0
                for cut_start, cut_end in cuts:
                    shown.append(piece[position:cut_start] + MASK)
                    position = cut_end
                shown.append(piece[position:])
                changed[line] = "".join(shown) + lines[line - 1][len(piece):]
            offset += len(piece)
    return changed
