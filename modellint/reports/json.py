"""The stable JSON format documented in the README."""

from __future__ import annotations

import json
from collections import Counter

from modellint.findings import Finding
from modellint.reports import ReportContext, relative


def finding_dict(finding: Finding, context: ReportContext) -> dict:
    fix = None
    if finding.fix is not None:
        fix = {
            "title": finding.fix.title,
            "applicability": str(finding.fix.applicability),
            "edits": [
                {"path": relative(edit.path, context.base), "start": edit.start, "end": edit.end, "content": edit.content}
                for edit in finding.fix.edits
            ],
        }
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": str(finding.severity),
        "message": finding.message,
        "fix_title": finding.fix_title,
        "path": relative(finding.path, context.base),
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
        "summary": {
            "targets": context.targets,
            "findings": len(findings),
            "error": counts.get("error", 0),
            "warning": counts.get("warning", 0),
            "info": counts.get("info", 0),
        },
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
