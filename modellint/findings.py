"""What a rule reports: findings, their severity, and the fixes they carry.

Positions are 1-based lines and columns everywhere in modellint; the analyzer converts
libcst's and PyYAML's 0-based positions at the boundary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


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


@dataclass(frozen=True, order=True)
class Span:
    """A 1-based, end-inclusive-line / end-exclusive-column region of one file."""

    line: int = 1
    column: int = 1
    end_line: int = 0
    end_column: int = 0

    def __post_init__(self) -> None:
        if self.end_line < self.line:
            object.__setattr__(self, "end_line", self.line)
        if self.end_line == self.line and self.end_column < self.column:
            object.__setattr__(self, "end_column", self.column)


FILE_START = Span(1, 1, 1, 1)


@dataclass(frozen=True)
class Edit:
    """Replace ``[start, end)`` (character offsets into the file's text) with ``content``.

    A file that does not exist yet is created by an edit with ``start == end == 0``.
    """

    path: Path
    start: int
    end: int
    content: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE
    # Files the edits were computed from (ML102 copies requirements.txt into conda.yaml): the
    # fix waits for the next pass when another fix changes one of them in this pass.
    reads: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    path: Path
    span: Span = FILE_START
    fix_title: str | None = None
    fix: Fix | None = field(default=None, compare=False)

    @property
    def fixable(self) -> bool:
        """A fix that ``--fix`` applies on its own (unsafe ones also need ``--unsafe-fixes``)."""
        return self.fix is not None and self.fix.applicability is Applicability.SAFE

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path.as_posix(), self.span.line, self.span.column, self.code, self.message)
