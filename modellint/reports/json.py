"""The stable JSON format documented in the README.

Strings keep their characters (JSON escapes control characters) but never a credential: messages,
fix titles and the contents of fix edits are redacted (``https://user:****@host``), so a consumer
that applies the edits itself would write the mask; ``--fix`` applies the real ones. Paths are
exact, so that consumers can open the files. Targets that could not be checked are listed under
``errors`` with a one-line message.
"""

from __future__ import annotations

from collections import Counter

from modellint.credentials import redact
from modellint.findings import Finding
from modellint.reports import ReportContext, location, printable
from modellint.reports.indented_json import dumps


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


def render(findings: list[Finding], context: ReportContext) -> str:
    counts = Counter(str(finding.severity) for finding in findings)
    document = {
        "version": context.version,
        "findings": [finding_dict(finding, context) for finding in findings],
        "errors": [{"path": location(error.path, context), "message": printable(error.message)}
                   for error in context.errors],
        "summary": {
            "targets": context.targets,
            "failed_targets": len(context.errors),
            "findings": len(findings),
            "error": counts.get("error", 0),
            "warning": counts.get("warning", 0),
            "info": counts.get("info", 0),
        },
    }
    return dumps(document) + "\n"
