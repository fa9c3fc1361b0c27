"""SARIF 2.1.0 that GitHub code scanning accepts.

GitHub's upload action skips results without a line or pointing at a directory, and computes
fingerprints only for files it can read; every finding here points at a file and line, and
carries its own ``partialFingerprints`` so alerts keep their identity across runs.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from modellint.findings import Finding, Severity
from modellint.reports import ReportContext, relative
from modellint.rules import RULES_BY_CODE

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
HELP_URI = "https://github.com/modellint/modellint/blob/main/docs/rules.md#{code}"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SECURITY_RULES = {"ML302", "ML303"}


def _rule_descriptor(code: str) -> dict:
    rule = RULES_BY_CODE[code]
    summary = rule.summary()
    full = rule.documentation()
    descriptor = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _clip(summary, 1024)},
        "fullDescription": {"text": _clip(_plain(full), 1024)},
        "help": {"text": _plain(full), "markdown": full},
        "helpUri": HELP_URI.format(code=rule.code.lower()),
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": ["mlflow", "security" if rule.code in _SECURITY_RULES else "reliability"],
            "precision": "high",
            "problem.severity": {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}[rule.severity],
        },
    }
    return descriptor


def _plain(markdown: str) -> str:
    return "\n".join(line.lstrip("#").strip() if line.startswith("#") else line for line in markdown.splitlines()).strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fingerprint(finding: Finding, path: str, occurrence: int) -> str:
    digest = hashlib.sha256(f"{finding.code}\0{path}\0{finding.message}".encode()).hexdigest()[:32]
    return f"{digest}:{occurrence}"


def render(findings: list[Finding], context: ReportContext) -> str:
    codes = sorted({finding.code for finding in findings})
    index = {code: position for position, code in enumerate(codes)}
    seen: Counter[tuple[str, str, str]] = Counter()
    results = []
    for finding in findings:
        path = relative(finding.path, context.base)
        key = (finding.code, path, finding.message)
        seen[key] += 1
        span = finding.span
        region = {"startLine": span.line, "startColumn": span.column}
        if span.end_line >= span.line:
            region["endLine"] = span.end_line
            if span.end_column > 0 and (span.end_line > span.line or span.end_column >= span.column):
                region["endColumn"] = max(span.end_column, span.column + (1 if span.end_line == span.line else 0))
        text = finding.message + (f". Fix: {finding.fix_title}" if finding.fix_title else "")
        results.append({
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": _LEVEL[finding.severity],
            "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}, "region": region}}],
            "partialFingerprints": {"primaryLocationLineHash": _fingerprint(finding, path, seen[key])},
        })
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "modellint",
                "version": context.version,
                "semanticVersion": context.version,
                "informationUri": "https://github.com/modellint/modellint",
                "rules": [_rule_descriptor(code) for code in codes],
            }},
            "automationDetails": {"id": "modellint/"},
            "results": results,
        }],
    }
    return json.dumps(document, indent=2) + "\n"
