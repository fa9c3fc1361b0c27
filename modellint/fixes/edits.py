"""Building and applying fixes: text edits that keep everything else in the file byte for byte.

Rules describe a fix as edits at character offsets (:class:`~modellint.findings.Edit`). Builders
here check that the text they replace is what the rule saw, so a fix can never land on the
wrong bytes. ``plan_fixes`` takes a fix whole or not at all: a fix whose edits overlap an
already accepted one waits for the next pass. Writing (atomic, verified, paired files together)
and the passes are :mod:`modellint.fix_runner`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from modellint.analyzer.files import lexists, read_text
from modellint.findings import Applicability, Edit, Finding, Fix, Span
from modellint.record import Record


@lru_cache(maxsize=16)
def _line_starts(text: str) -> tuple[int, ...]:
    """Where each line of ``text`` starts. Cached: the fixes of one file (a requirements list of
    thousands of pins, each with its fix) all read the same text, which is scanned once."""
    starts = [0]
    find = text.find
    newline = find("\n")
    while newline != -1:
        starts.append(newline + 1)
        newline = find("\n", newline + 1)
    return tuple(starts)


def span_offsets(text: str, span: Span) -> tuple[int, int] | None:
    """Character offsets of ``span`` in ``text`` (columns are 1-based, the end is exclusive)."""
    starts = _line_starts(text)
    if not (1 <= span.line <= len(starts) and 1 <= span.end_line <= len(starts)):
        return None
    start = starts[span.line - 1] + span.column - 1
    end = starts[span.end_line - 1] + span.end_column - 1
    if not 0 <= start <= end <= len(text):
        return None
    return start, end


def _locate(text: str, span: Span, expected: Iterable[str]) -> tuple[int, int] | None:
    """Offsets of the ``expected`` literal the span starts with, when the rest of the span is
    blank or a comment (a requirements line's span covers its comment); else None: the file
    changed, or the rule's view of it was not literal."""
    offsets = span_offsets(text, span)
    if offsets is None:
        return None
    start, end = offsets
    for literal in sorted(set(expected), key=len, reverse=True):
        if literal and text.startswith(literal, start) and start + len(literal) <= end:
            rest = text[start + len(literal):end].strip()
            if not rest or rest.startswith("#"):
                return start, start + len(literal)
    return None


def replace_span(path: Path, span: Span, content: str, *, expected: Iterable[str]) -> Edit | None:
    """An edit replacing the ``expected`` literal at ``span`` with ``content`` (None if absent)."""
    text, _ = read_text(path)
    if text is None:
        return None
    offsets = _locate(text, span, expected)
    return Edit(path, offsets[0], offsets[1], content) if offsets else None


def delete_list_item(path: Path, span: Span, *, expected: Iterable[str]) -> Edit | None:
    """An edit removing the whole line of a one-item line (a YAML ``- item`` or a requirements
    line), comment included; None when other content shares the line (flow style, ``a; b``)."""
    text, _ = read_text(path)
    if text is None or span.line != span.end_line:
        return None
    offsets = _locate(text, span, expected)
    if offsets is None:
        return None
    starts = _line_starts(text)
    line_start = starts[span.line - 1]
    line_end = starts[span.line] if span.line < len(starts) else len(text)
    before = text[line_start:offsets[0]].strip()
    after = text[offsets[1]:line_end].strip()
    if before not in ("", "-") or (after and not after.startswith("#")):
        return None
    if line_end == len(text) and not text.endswith("\n") and line_start > 0:
        # The last line has no newline (MLflow writes requirements.txt that way): take the
        # newline before it instead, so the file keeps its shape.
        line_start -= 2 if text[line_start - 2 : line_start] == "\r\n" else 1
    return Edit(path, line_start, line_end, "")


def make_fix(title: str, edit: Edit | None, applicability: Applicability = Applicability.SAFE) -> Fix | None:
    return Fix(title, (edit,), applicability) if edit is not None else None


class AppliedFix(Record):
    __slots__ = ("code", "title", "paths")

    def __init__(self, code: str, title: str, paths: tuple[Path, ...]) -> None:
        self.code = code
        self.title = title
        self.paths = paths


class FixPlan(Record):
    """What a pass of fixes would write: each file's old and new text, and the fixes taken."""

    __slots__ = ("files", "fixes", "errors")

    def __init__(self, files: dict[Path, tuple[str | None, str]] | None = None, fixes: list[AppliedFix] | None = None,
                 errors: list[str] | None = None) -> None:
        self.files = {} if files is None else files  # path -> (old, new)
        self.fixes = [] if fixes is None else fixes
        self.errors = [] if errors is None else errors


def applicable(finding: Finding, *, unsafe: bool) -> bool:
    fix = finding.fix
    return fix is not None and bool(fix.edits) and (unsafe or fix.applicability is Applicability.SAFE)


def plan_fixes(findings: Iterable[Finding], *, unsafe: bool = False) -> FixPlan:
    """Every applicable fix that does not overlap one accepted before it. Fixes are taken in
    the findings' order (path, line, column, code), so which of two conflicting fixes wins is
    deterministic; the loser is retried by the next pass. Nothing is written."""
    accepted: dict[Path, list[Edit]] = {}
    taken: list[AppliedFix] = []
    seen: set[tuple[Edit, ...]] = set()
    candidates = [(finding, fix) for finding in findings
                  if (fix := finding.fix) is not None and applicable(finding, unsafe=unsafe)]
    # Fixes computed from other files go last, and only if those files stay as they were.
    candidates.sort(key=lambda candidate: bool(candidate[1].reads))
    for finding, fix in candidates:
        if any(path in accepted for path in fix.reads):
            continue
        edits = tuple(sorted(fix.edits, key=lambda edit: (str(edit.path), edit.start, edit.end)))
        if edits in seen:  # several findings sharing one fix (ML102's list rewrite)
            continue
        seen.add(edits)
        if any(_overlaps(edit, other) for edit in edits for other in accepted.get(edit.path, ())):
            continue
        for edit in edits:
            accepted.setdefault(edit.path, []).append(edit)
        taken.append(AppliedFix(finding.code, fix.title, tuple(sorted({edit.path for edit in edits}))))
    files: dict[Path, tuple[str | None, str]] = {}
    errors: list[str] = []
    for path, file_edits in sorted(accepted.items()):
        text, problem = read_text(path)
        if text is None and (problem is not None or any(edit.start or edit.end for edit in file_edits)):
            errors.append(problem.message if problem else f"{path}: vanished before it could be fixed")
            taken = [fix for fix in taken if path not in fix.paths]
            continue
        new_text = apply_edits(text or "", file_edits)  # text None: a file the fix creates
        if new_text != text:
            files[path] = (text, new_text)
    return FixPlan(files, taken, errors)


def unified_diff(plan: FixPlan, display: Callable[[Path], str]) -> str:
    """The plan as a unified diff ``patch -p1`` applies (``a/`` and ``b/`` prefixes, and the
    ``\\ No newline at end of file`` marker where a side lacks a final newline)."""
    import difflib  # --diff only; this module is imported by every rule that builds fixes

    chunks = []
    for path, (old, new) in sorted(plan.files.items()):
        name = display(path)
        old_lines = (old or "").splitlines(keepends=True)
        new_lines = new.splitlines(keepends=True)
        diff = difflib.unified_diff(old_lines, new_lines, "/dev/null" if old is None else f"a/{name}", f"b/{name}")
        for line in diff:
            chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(chunks)


def _overlaps(first: Edit, second: Edit) -> bool:
    if first.start == first.end == second.start == second.end:
        # Two insertions at one point (two requirements appended after the same last line) can
        # both go in when each is whole lines: `apply_edits` orders them by content, so the result
        # does not depend on which fix came first. Anything else, and two fixes creating the
        # same file, waits for the next pass.
        creating = first.start == 0 and not lexists(first.path)  # --diff's earlier passes count (files.view)
        return creating or not (_whole_lines(first.content) and _whole_lines(second.content))
    return first.start < second.end and second.start < first.end


def _whole_lines(content: str) -> bool:
    """An insertion that brings its own line break (a line and its newline, or a newline and a
    line), so that two of them side by side stay two lines whichever comes first."""
    return content.endswith("\n") or content.startswith(("\n", "\r\n"))


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with non-overlapping ``edits`` applied. Insertions at one point come out in
    content order (applied last-to-first, each lands before the ones already there)."""
    for edit in sorted(edits, key=lambda edit: (edit.start, edit.end, edit.content), reverse=True):
        text = text[: edit.start] + edit.content + text[edit.end :]
    return text
