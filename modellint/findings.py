"""What a rule reports: findings, their severity, and the fixes they carry.

Positions are 1-based lines and columns everywhere in modellint; the analyzer converts
libcst's and PyYAML's 0-based positions at the boundary.
"""

from __future__ import annotations

import enum
from pathlib import Path

from modellint.record import Record


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so that ``severity >= fail_on`` works."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None


class Applicability(enum.Enum):
    """Ruff's fix safety: safe fixes run under ``--fix``, unsafe ones need ``--unsafe-fixes``."""

    SAFE = "safe"
    UNSAFE = "unsafe"

    def __str__(self) -> str:
        return self.value


class Span(Record):
    """A 1-based, end-inclusive-line / end-exclusive-column region of one file.

    An end before the start collapses onto the start.
    """

    __slots__ = ("line", "column", "end_line", "end_column")

    def __init__(self, line: int = 1, column: int = 1, end_line: int = 0, end_column: int = 0) -> None:
        if end_line <= line:
            end_line = line  # the same int: a large project holds tens of thousands of spans
            if end_column < column:
                end_column = column
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column


FILE_START = Span(1, 1, 1, 1)


class Edit(Record):
    """Replace ``[start, end)`` (character offsets into the file's text) with ``content``.

    A file that does not exist yet is created by an edit with ``start == end == 0``.
    """

    __slots__ = ("path", "start", "end", "content")

    def __init__(self, path: Path, start: int, end: int, content: str) -> None:
        self.path = path
        self.start = start
        self.end = end
        self.content = content


class Fix(Record):
    __slots__ = ("title", "edits", "applicability", "reads")

    def __init__(self, title: str, edits: tuple[Edit, ...], applicability: Applicability = Applicability.SAFE,
                 reads: tuple[Path, ...] = ()) -> None:
        self.title = title
        self.edits = edits
        self.applicability = applicability
        # Files the edits were computed from (ML102 copies requirements.txt into conda.yaml): the
        # fix waits for the next pass when another fix changes one of them in this pass.
        self.reads = reads


class Finding(Record):
    __slots__ = ("code", "name", "severity", "message", "path", "span", "fix_title", "fix", "root")
    _uncompared = frozenset({"fix", "root"})
    _unshown = frozenset({"root"})

    def __init__(self, code: str, name: str, severity: Severity, message: str, path: Path,
                 span: Span = FILE_START, fix_title: str | None = None, fix: Fix | None = None,
                 root: Path | None = None) -> None:
        self.code = code
        self.name = name
        self.severity = severity
        self.message = message
        self.path = path
        self.span = span
        self.fix_title = fix_title
        self.fix = fix
        # The checked model dir: reporters show (and suppression comments are read from) the
        # finding's file only when it resolves inside it, never through a symlink leading out.
        self.root = root

    @property
    def fixable(self) -> bool:
        """A fix that ``--fix`` applies on its own (unsafe ones also need ``--unsafe-fixes``)."""
        return self.fix is not None and self.fix.applicability is Applicability.SAFE

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path.as_posix(), self.span.line, self.span.column, self.code, self.message)
