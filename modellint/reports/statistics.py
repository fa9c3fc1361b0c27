"""``--statistics``: the count of findings per rule, then the summary (Ruff's statistics)."""

from __future__ import annotations

from collections import Counter

from modellint.findings import Finding
from modellint.reports import ReportContext, summary, unchecked_lines


def render(findings: list[Finding], context: ReportContext) -> str:
    from modellint.rules import rule_class

    counts = Counter(finding.code for finding in findings)
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = rule_class(code)
        fixable = "[*]" if any(finding.fixable for finding in findings if finding.code == code) else "[ ]"
        lines.append(f"{count}\t{code}\t{fixable} {rule.name}")
    lines.extend(unchecked_lines(context))
    lines.append(summary(findings, context))
    return "\n".join(lines) + "\n"
