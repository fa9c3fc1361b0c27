"""Findings to JSON and back, checked field by field: what does not decode to exactly the shapes
written is an error, which the store turns into a miss."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modellint.findings import Applicability, Edit, Finding, Fix, Severity, Span


class CorruptEntry(Exception):
    """An entry that is not what :func:`encode` writes."""


def encode(findings: list[Finding]) -> list[dict[str, Any]]:
    return [_finding(finding) for finding in findings]


def decode(document: Any) -> list[Finding]:
    try:
        if not isinstance(document, list):
            raise CorruptEntry("not a list of findings")
        paths = _Paths()
        return [_read_finding(item, paths) for item in document]
    except (KeyError, TypeError, ValueError) as error:
        raise CorruptEntry(str(error)) from None


class _Paths(dict[str, Path]):
    """One Path per distinct text: the findings of a target share a few files and one root."""

    def __missing__(self, text: str) -> Path:
        path = self[text] = Path(text)
        return path

    def of(self, value: Any) -> Path:
        return self[_text(value)]


def _finding(finding: Finding) -> dict[str, Any]:
    return {"code": finding.code, "name": finding.name, "severity": finding.severity.name,
            "message": finding.message, "path": str(finding.path), "span": _span(finding.span),
            "fix_title": finding.fix_title, "fix": None if finding.fix is None else _fix(finding.fix),
            "root": None if finding.root is None else str(finding.root)}


def _span(span: Span) -> list[int]:
    return [span.line, span.column, span.end_line, span.end_column]


def _fix(fix: Fix) -> dict[str, Any]:
    return {"title": fix.title, "applicability": fix.applicability.value,
            "edits": [[str(edit.path), edit.start, edit.end, edit.content] for edit in fix.edits],
            "reads": [str(path) for path in fix.reads]}


def _read_finding(item: Any, paths: _Paths) -> Finding:
    fix = item["fix"]
    root = item["root"]
    return Finding(_text(item["code"]), _text(item["name"]), Severity[_text(item["severity"])],
                   _text(item["message"]), paths.of(item["path"]), _read_span(item["span"]),
                   _optional_text(item["fix_title"]), None if fix is None else _read_fix(fix, paths),
                   None if root is None else paths.of(root))


def _read_span(value: Any) -> Span:
    if not isinstance(value, list) or len(value) != 4 or not all(_is_int(number) for number in value):
        raise CorruptEntry("a span is four integers")
    return Span(*value)


def _read_fix(value: Any, paths: _Paths) -> Fix:
    edits = []
    for edit in value["edits"]:
        if not isinstance(edit, list) or len(edit) != 4 or not _is_int(edit[1]) or not _is_int(edit[2]):
            raise CorruptEntry("an edit is a path, two offsets and a text")
        edits.append(Edit(paths.of(edit[0]), edit[1], edit[2], _text(edit[3])))
    if not isinstance(value["reads"], list):
        raise CorruptEntry("a fix's reads are a list")
    return Fix(_text(value["title"]), tuple(edits), Applicability(_text(value["applicability"])),
               tuple(paths.of(path) for path in value["reads"]))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise CorruptEntry(f"expected a string, found {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
