"""The stable JSON format documented in the README.

Strings keep their characters (JSON escapes control characters) but never a credential: messages,
fix titles and the contents of fix edits are redacted (``https://user:****@host``), so a consumer
that applies the edits itself would write the mask; ``--fix`` applies the real ones. Paths are
exact, so that consumers can open the files. Targets that could not be checked are listed under
``errors`` with a one-line message.
"""

from __future__ import annotations

from collections.abc import Iterator
from json.encoder import encode_basestring_ascii
from pathlib import Path

from modellint.credentials import redact
from modellint.findings import Finding, Severity
from modellint.reports import RECENT, ReportContext, location, printable, written
from modellint.reports import Writer as _Writer
from modellint.reports.indented_json import dumps_at


def finding_dict(finding: Finding, context: ReportContext) -> dict:
    fix = None
    if finding.fix is not None:
        fix = {
            "title": redact(finding.fix.title),
            "applicability": str(finding.fix.applicability),
            "edits": [
                {"path": location(edit.path, context), "start": edit.start, "end": edit.end,
                 "content": redact(edit.content)}
                for edit in finding.fix.edits
            ],
        }
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": str(finding.severity),
        "message": redact(finding.message),
        "fix_title": redact(finding.fix_title) if finding.fix_title is not None else None,
        "path": location(finding.path, context),
        "line": finding.span.line,
        "column": finding.span.column,
        "end_line": finding.span.end_line,
        "end_column": finding.span.end_column,
        "fix": fix,
    }


class Writer(_Writer):
    """``json.dumps(document, indent=2)`` of {"version", "findings", "errors", "summary"}, each
    finding written straight to its text as it comes: a store's report is 13,000 findings, whose
    dicts cost as much time to build and walk as the text, and more memory."""

    def __init__(self, context: ReportContext) -> None:
        super().__init__(context)
        self.shown: dict[Path, str] = {}  # a report names each file many times, one after another
        self.opening = "[" + _FINDING

    def start(self) -> str:
        return '{\n  "version": ' + dumps_at(self.context.version, _TOP) + ',\n  "findings": '

    def text(self, finding: Finding) -> str:
        if len(self.shown) >= RECENT:
            self.shown.clear()
        opening, self.opening = self.opening, "," + _FINDING
        return opening + _finding_text(finding, self.context, self.shown)

    def end(self, context: ReportContext) -> Iterator[str]:
        counts = self.tally.by_severity
        errors = [{"path": location(error.path, context), "message": printable(error.message)}
                  for error in context.errors]
        summary = {
            "targets": context.targets,
            "failed_targets": len(context.errors),
            "findings": self.tally.findings,
            "error": counts.get(Severity.ERROR, 0),
            "warning": counts.get(Severity.WARNING, 0),
            "info": counts.get(Severity.INFO, 0),
        }
        yield "[]" if self.tally.findings == 0 else _TOP + "]"
        yield (',\n  "errors": ' + dumps_at(errors, _TOP) + ',\n  "summary": ' + dumps_at(summary, _TOP) + "\n}\n")


def render(findings: list[Finding], context: ReportContext) -> str:
    return written(Writer(context), findings, context)


_TOP = "\n  "  # where the document's own keys stand
_FINDING = _TOP + "  "  # where each finding's braces stand
_FIELD = _FINDING + "  "
_FIX_FIELD = _FIELD + "  "
_EDIT = _FIX_FIELD + "  "


def _finding_text(finding: Finding, context: ReportContext, shown: dict[Path, str]) -> str:
    """``finding_dict(finding)`` as the document's writer writes it inside the findings list."""
    fields = (
        ("code", _string(finding.code)),
        ("name", _string(finding.name)),
        ("severity", _string(str(finding.severity))),
        ("message", _string(redact(finding.message))),
        ("fix_title", _string(redact(finding.fix_title)) if finding.fix_title is not None else "null"),
        ("path", _string(_location(finding.path, context, shown))),
        ("line", _number(finding.span.line)),
        ("column", _number(finding.span.column)),
        ("end_line", _number(finding.span.end_line)),
        ("end_column", _number(finding.span.end_column)),
        ("fix", _fix_text(finding, context, shown)),
    )
    return _object(fields, _FINDING)


def _fix_text(finding: Finding, context: ReportContext, shown: dict[Path, str]) -> str:
    fix = finding.fix
    if fix is None:
        return "null"
    edits = [_object((
        ("path", _string(_location(edit.path, context, shown))),
        ("start", _number(edit.start)),
        ("end", _number(edit.end)),
        ("content", _string(redact(edit.content))),
    ), _EDIT) for edit in fix.edits]
    edit_list = "[" + _EDIT + ("," + _EDIT).join(edits) + _FIX_FIELD + "]" if edits else "[]"
    return _object((
        ("title", _string(redact(fix.title))),
        ("applicability", _string(str(fix.applicability))),
        ("edits", edit_list),
    ), _FIELD)


def _object(fields: tuple[tuple[str, str], ...], newline: str) -> str:
    inner = newline + "  "
    return "{" + inner + ("," + inner).join(f'"{key}": {text}' for key, text in fields) + newline + "}"


def _string(text: str) -> str:
    return encode_basestring_ascii(text)


def _number(value: object) -> str:
    return int.__repr__(value) if type(value) is int else dumps_at(value, "")


def _location(path: Path, context: ReportContext, shown: dict[Path, str]) -> str:
    text = shown.get(path)
    if text is None:
        text = shown[path] = location(path, context)
    return text
