"""Reporters: pure functions from findings to text. Machine formats never go through rich."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from modellint.findings import Finding, Severity
from modellint.record import Record

FORMATS = ("full", "concise", "json", "github", "sarif", "markdown")
# A rule's documentation: the anchors `scripts/generate_docs.py` writes into docs/rules.md.
HELP_URI = "https://github.com/modellint/modellint/blob/main/docs/rules.md#{code}"


class ReportContext(Record):
    """What every reporter may need besides the findings."""

    __slots__ = ("base", "version", "targets", "color")

    def __init__(self, base: Path, version: str, targets: int, color: bool = False) -> None:
        self.base = base  # findings' paths are shown relative to this directory
        self.version = version
        self.targets = targets
        self.color = color


def relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def summary_line(findings: list[Finding]) -> str:
    if not findings:
        return "All checks passed!"
    counts = Counter(finding.severity for finding in findings)
    parts = []
    for severity, word in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.INFO, "info")):
        count = counts.get(severity, 0)
        if count:
            parts.append(f"{count} {word}{'s' if count != 1 and word != 'info' else ''}")
    return f"Found {', '.join(parts)}."
