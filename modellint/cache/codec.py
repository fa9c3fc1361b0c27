"""Findings to JSON and back, checked field by field: what does not decode to exactly the shapes
written is an error, which the store turns into a miss.

A warm run over a store decodes every finding it reports, so an entry is compact: each finding a
row of fields in a fixed order, and each distinct path and each distinct fix once, in tables the
rows index (a fix that rewrites a file is often shared by every finding in it). A path
below the target is written relative to it and joined back onto the target's path (half the
cost of parsing the whole path again); the values compared are the same either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from modellint.findings import Applicability, Edit, Finding, Fix, Severity, Span

_T = TypeVar("_T")


class CorruptEntry(Exception):
    """An entry that is not what :func:`encode` writes."""


def encode(findings: list[Finding], target: Path) -> dict[str, Any]:
    """``findings`` of the target at ``target`` as the JSON-ready ``{"paths": ..., "fixes": ...,
    "findings": ...}``."""
    paths = _PathTable(target)
    fixes = _FixTable(paths)
    rows = [[finding.code, finding.name, int(finding.severity), finding.message, paths.index(finding.path),
             *_span(finding.span), finding.fix_title, None if finding.fix is None else fixes.index(finding.fix),
             None if finding.root is None else paths.index(finding.root)] for finding in findings]
    return {"paths": paths.rows, "fixes": fixes.rows, "findings": rows}


def decode(document: Any, target: Path) -> list[Finding]:
    """The findings :func:`encode` wrote for the target at ``target``; :class:`CorruptEntry` for
    anything else."""
    try:
        if not isinstance(document, dict):
            raise CorruptEntry("not an entry")
        paths = _read_paths(document["paths"], target)
        fixes = _read_table(document["fixes"], lambda row: _read_fix(row, paths))
        rows = document["findings"]
        if not isinstance(rows, list):
            raise CorruptEntry("not a list of findings")
        return [_read_finding(row, paths, fixes) for row in rows]
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise CorruptEntry(str(error)) from None


class _PathTable:
    """Each distinct path once: ``[1, text]`` relative to the target, ``[0, text]`` otherwise."""

    def __init__(self, target: Path) -> None:
        self._target = str(target)
        self._prefix = os.path.join(self._target, "")
        self._indices: dict[str, int] = {}  # by text: equal paths may be spelt apart (Windows' case)
        self.rows: list[list[Any]] = []

    def index(self, path: Path) -> int:
        text = str(path)
        index = self._indices.get(text)
        if index is None:
            if text == self._target:
                self.rows.append([1, ""])
            elif text.startswith(self._prefix):
                self.rows.append([1, text[len(self._prefix):]])
            else:
                self.rows.append([0, text])
            index = self._indices[text] = len(self.rows) - 1
        return index


class _FixTable:
    """Each distinct fix once: a rule often gives the same fix (one rewrite of a file) to several findings."""

    def __init__(self, paths: _PathTable) -> None:
        self._paths = paths
        self._indices: dict[str, int] = {}
        self.rows: list[list[Any]] = []

    def index(self, fix: Fix) -> int:
        row = [fix.title, fix.applicability.value,
               [[self._paths.index(edit.path), edit.start, edit.end, edit.content] for edit in fix.edits],
               [self._paths.index(path) for path in fix.reads]]
        text = repr(row)  # the fix as written, spelling of its paths included
        index = self._indices.get(text)
        if index is None:
            self.rows.append(row)
            index = self._indices[text] = len(self.rows) - 1
        return index


def _span(span: Span) -> tuple[int, int, int, int]:
    return span.line, span.column, span.end_line, span.end_column


def _read_paths(rows: Any, target: Path) -> list[Path]:
    if not isinstance(rows, list):
        raise CorruptEntry("not a list of paths")
    paths = []
    for below, text in rows:
        if type(text) is not str or below not in (0, 1) or type(below) is not int:
            raise CorruptEntry("a path is a flag and a text")
        paths.append(target / text if below else Path(text))
    return paths


def _read_table(rows: Any, read: Callable[[Any], _T]) -> list[_T]:
    if not isinstance(rows, list):
        raise CorruptEntry("not a list")
    return [read(row) for row in rows]


def _read_finding(row: Any, paths: list[Path], fixes: list[Fix]) -> Finding:
    if type(row) is not list:
        raise CorruptEntry("a finding is a list")
    code, name, severity, message, path, line, column, end_line, end_column, fix_title, fix, root = row
    # Spelt out rather than through a helper: a warm run checks every field of every finding.
    if not (type(code) is str and type(name) is str and type(message) is str
            and (fix_title is None or type(fix_title) is str) and type(severity) is int and 0 <= severity < len(_SEVERITIES)
            and type(line) is int and type(column) is int and type(end_line) is int and type(end_column) is int):
        raise CorruptEntry("a finding's fields are texts and integers")
    return Finding(code, name, _SEVERITIES[severity], message, _row(paths, path),
                   Span(line, column, end_line, end_column), fix_title, None if fix is None else _row(fixes, fix),
                   None if root is None else _row(paths, root))


_SEVERITIES = tuple(sorted(Severity))  # by value: INFO, WARNING, ERROR


def _read_fix(value: Any, paths: list[Path]) -> Fix:
    if type(value) is not list:
        raise CorruptEntry("a fix is a list")
    title, applicability, edit_rows, reads = value
    if type(title) is not str or type(edit_rows) is not list or type(reads) is not list:
        raise CorruptEntry("a fix is a title, an applicability, edits and reads")
    edits = []
    for edit in edit_rows:
        if type(edit) is not list:
            raise CorruptEntry("an edit is a list")
        path, start, end, content = edit
        if not _are_ints(start, end) or type(content) is not str:
            raise CorruptEntry("an edit is a path, two offsets and a text")
        edits.append(Edit(_row(paths, path), start, end, content))
    return Fix(title, tuple(edits), Applicability(applicability), tuple(_row(paths, path) for path in reads))


def _row(table: list[_T], index: Any) -> _T:
    """The row ``index`` of one of the entry's tables (paths, fixes)."""
    if type(index) is not int or index < 0:  # a negative index would count from the end
        raise CorruptEntry("a path or fix is an index into the entry's table of them")
    return table[index]


def _are_ints(*values: Any) -> bool:
    return all(type(value) is int for value in values)  # exactly int: True is not a line number
