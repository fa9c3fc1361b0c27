"""SARIF 2.1.0 that GitHub code scanning accepts.

The document validates against the OASIS schema and follows GitHub's stricter rules
(``tests/integrations/test_sarif_schema.py`` checks both):

* every rule carries ``shortDescription``, ``fullDescription``, ``help`` (text and Markdown) and
  a ``helpUri`` into ``docs/rules.md`` (a plugin's rule: its distribution's documentation URL, when
  it declares one); the security rules add ``security-severity``, which is what makes GitHub list
  their alerts as security alerts;
* every result points at a file and a line: paths are repository-relative URIs under
  ``%SRCROOT%`` (a model fetched by URI: that URI and the artifact path) (percent-encoded, so spaces, ``%`` or ``:`` in a directory name stay one
  relative reference), file-level findings sit on line 1;
* every result carries its own ``partialFingerprints``. The upload action computes them only
  for files it can read as source and skips the rest, and identical findings in sibling model
  dirs would otherwise collapse into one alert; ours hash the rule, the path and the content
  of the line (not its number), so an alert keeps its identity when lines move.

Messages are printable text (credentials redacted, control characters shown as escapes: viewers
render them). A target that could not be checked makes ``invocations[0].executionSuccessful``
false and is a ``toolExecutionNotifications`` entry of level ``error``, so the upload never reads
as a clean scan.

No ``automationDetails``: the category belongs to the upload step (``category: modellint``),
and ``upload-sarif`` keeps an id already in the file, silently ignoring the step's category.
The output is the same bytes for the same findings.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from modellint.findings import Finding, Severity
from modellint.reports import ReportContext, help_uri, location, printable, written
from modellint.reports import Writer as _Writer
from modellint.reports.indented_json import dumps, dumps_at
from modellint.reports.spill import Spill
from modellint.rules import ENTRIES_BY_CODE, rule_class

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/modellint/modellint"
SOURCE_ROOT = "%SRCROOT%"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
# GitHub's limits on rule descriptions and names.
_DESCRIPTION_LIMIT = 1024
_NAME_LIMIT = 255
# Reading at most this much of a file to find the line a fingerprint hashes: findings in
# multi-gigabyte weight files sit on line 1, and their first bytes say nothing stable anyway.
_FINGERPRINT_READ_LIMIT = 1024 * 1024


class Writer(_Writer):
    """The results wait in a :class:`~modellint.reports.spill.Spill` (a file once they are many):
    the rule table before them, and each result's ``ruleIndex`` into it, are the codes of the
    whole run. A result's fingerprint numbers repeats of its key, which holds its path: findings
    come path by path, so only the current file's lines and keys are kept."""

    def __init__(self, context: ReportContext) -> None:
        super().__init__(context)
        self.results = Spill()
        self.path: Path | None = None
        self.lines: list[bytes] | None = None
        self.occurrences: Counter[str] = Counter()

    def text(self, finding: Finding) -> str:
        path = location(finding.path, self.context)
        if finding.path != self.path:
            self.path, self.occurrences = finding.path, Counter()
            self.lines = _leading_lines(finding.path, finding.root)
        key = _fingerprint_key(finding, path, self.lines)
        self.occurrences[key] += 1
        text = printable(finding.message) + (f". Fix: {printable(finding.fix_title)}" if finding.fix_title else "")
        rest = dumps_at({
            "level": _LEVEL[finding.severity],
            "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": artifact_location(path), "region": _region(finding)}}],
            "partialFingerprints": {"primaryLocationLineHash": f"{key}:{self.occurrences[key]}"},
        }, _RESULT)
        self.results.add(finding.code)
        self.results.add("," + _RESULT_FIELD + rest[len("{" + _RESULT_FIELD):])
        return ""

    def end(self, context: ReportContext) -> Iterator[str]:
        codes = sorted(self.tally.by_code)
        index = {code: position for position, code in enumerate(codes)}
        document = {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "modellint",
                    "version": context.version,
                    "semanticVersion": context.version,
                    "informationUri": INFORMATION_URI,
                    "rules": [_rule_descriptor(code) for code in codes],
                }},
                "invocations": [_invocation(context)],
                "columnKind": "unicodeCodePoints",
                "results": [],
            }],
        }
        text = dumps(document) + "\n"
        cut = text.rindex(_EMPTY_RESULTS) + len(_EMPTY_RESULTS) - len("[]")
        if not codes:
            yield text
            return
        yield text[:cut]
        opening = "[" + _RESULT
        pieces = self.results.pieces()
        try:
            for code in pieces:
                yield (f'{opening}{{{_RESULT_FIELD}"ruleId": {encode_basestring_ascii(code)},'
                       f'{_RESULT_FIELD}"ruleIndex": {index[code]}{next(pieces)}')
                opening = "," + _RESULT
        finally:
            self.results.close()
        yield _RESULTS_END + text[cut + len("[]"):]


def render(findings: list[Finding], context: ReportContext) -> str:
    return written(Writer(context), findings, context)


# Where the document's results stand: in the one run (``runs[0]``), under the document.
_EMPTY_RESULTS = '"results": []'
_RESULTS_END = "\n      ]"
_RESULT = _RESULTS_END[:-1] + "  "
_RESULT_FIELD = _RESULT + "  "


def _invocation(context: ReportContext) -> dict:
    notifications = [{
        "level": "error",
        "message": {"text": printable(error.message)},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(location(error.path, context))}}],
    } for error in context.errors]
    invocation: dict = {"executionSuccessful": not context.errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def artifact_location(path: str) -> dict:
    """A relative path becomes a URI under ``%SRCROOT%``; an absolute one (a path outside the
    base, which code scanning cannot show) a ``file://`` URI, so neither is misread; the path of a
    model fetched by URI (``models:/fraud/3/MLmodel``) is that absolute URI itself."""
    from modellint.remote import is_model_uri

    if is_model_uri(path):
        scheme, rest = path.split(":", 1)
        return {"uri": scheme + ":" + quote(rest, safe="/:@!$&'()*+,;=")}
    if PurePosixPath(path).is_absolute():
        return {"uri": "file://" + quote(path, safe="/")}
    return {"uri": quote(path, safe="/"), "uriBaseId": SOURCE_ROOT}


def _region(finding: Finding) -> dict:
    """1-based lines and columns, end column exclusive (SARIF's "character following the end").

    A zero-width span (a file-level finding) is widened to its first character: GitHub
    highlights nothing for an empty region.
    """
    span = finding.span
    line, column = max(span.line, 1), max(span.column, 1)
    end_line = max(span.end_line, line)
    region = {"startLine": line, "startColumn": column, "endLine": end_line}
    if end_line == line:
        region["endColumn"] = max(span.end_column, column + 1)
    elif span.end_column >= 1:
        region["endColumn"] = span.end_column
    return region


def _fingerprint_key(finding: Finding, path: str, lines: list[bytes] | None) -> str:
    """A hash of what identifies the finding without its line number: the rule, the path and
    the text of its line, or the message when there is no text line (a binary file, a
    directory, a file that does not exist). Repeats of the same key are numbered by the caller."""
    line = _line_text(lines, finding.span.line)
    logical = line.strip() if line is not None and line.strip() else f"message:{finding.message}"
    return hashlib.sha256(f"{finding.code}\0{path}\0{logical}".encode()).hexdigest()[:32]


def _leading_lines(path: Path, root: Path | None = None) -> list[bytes] | None:
    """The complete lines in the first ``_FINGERPRINT_READ_LIMIT`` bytes of a text file; None for
    a binary file or one that cannot be read, or that leads outside the model dir ``root``."""
    from modellint.analyzer.files import open_regular

    try:
        with open_regular(path, root) as handle:
            data = handle.read(_FINGERPRINT_READ_LIMIT)
    except OSError:  # a directory, a missing file, a symlink loop
        return None
    if b"\x00" in data:
        return None
    lines = data.split(b"\n")
    if len(data) == _FINGERPRINT_READ_LIMIT:
        lines.pop()  # the last line may be cut anywhere
    return lines


def _line_text(lines: list[bytes] | None, number: int) -> str | None:
    if lines is None or not 0 < number <= len(lines):
        return None
    try:
        return lines[number - 1].decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        return None


def _rule_descriptor(code: str) -> dict:
    rule = rule_class(code)
    documentation = rule.documentation()
    security_severity = ENTRIES_BY_CODE[code].security_severity  # a CVSS-style score, or None
    tags = ["mlflow", "reliability" if security_severity is None else "security"]
    properties: dict = {"tags": tags, "precision": "high", "problem.severity": _PROBLEM_SEVERITY[rule.severity]}
    if security_severity is not None:
        properties["security-severity"] = security_severity
    descriptor = {
        "id": rule.code,
        "name": _clip(rule.name, _NAME_LIMIT),
        "shortDescription": {"text": _clip(rule.summary(), _DESCRIPTION_LIMIT)},
        "fullDescription": {"text": _clip(_plain(_body(documentation)), _DESCRIPTION_LIMIT)},
        "help": {"text": _plain(documentation), "markdown": documentation},
        "helpUri": help_uri(code),
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": properties,
    }
    if descriptor["helpUri"] is None:  # a plugin without a documentation URL: its `help` is all there is
        del descriptor["helpUri"]
    return descriptor


def _body(markdown: str) -> str:
    """The documentation without its title line: the title only repeats the rule's name."""
    return markdown.split("\n", 1)[1] if markdown.startswith("# ") and "\n" in markdown else markdown


def _plain(markdown: str) -> str:
    return "\n".join(line.lstrip("#").strip() if line.startswith("#") else line for line in markdown.splitlines()).strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
