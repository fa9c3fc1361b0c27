"""Reporters: pure functions from findings to text. Machine formats never go through rich.

Every string that comes from the model under check (messages, fix titles, paths, lines of its
files) goes through :func:`printable` before a human format prints it: credentials redacted and
control characters shown as escapes. Rules need not care what a model's bytes could do to a
terminal or a CI log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.credentials import redact
from modellint.findings import Finding, Severity
from modellint.hidden_text import escape_hidden
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.targets import Target

FORMATS = ("full", "concise", "json", "github", "sarif", "markdown", "cyclonedx")
# A rule's documentation: the anchors `scripts/generate_docs.py` writes into docs/rules.md.
HELP_URI = "https://github.com/modellint/modellint/blob/main/docs/rules.md#{code}"


def help_uri(code: str) -> str | None:
    """Where rule ``code`` is documented: docs/rules.md for a built-in rule, the Documentation (or
    home page) URL of the distribution providing a plugin's, if it declares one."""
    from modellint.rules import ENTRIES_BY_CODE  # loaded by every check before it reports

    plugin = ENTRIES_BY_CODE[code].plugin
    if plugin is None:
        return HELP_URI.format(code=code.lower())
    return plugin.help_uri


class UncheckedTarget(Record):
    """A target that could not be checked (an internal error while linting it)."""

    __slots__ = ("path", "message")

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message


class ReportContext(Record):
    """What every reporter may need besides the findings."""

    __slots__ = ("base", "version", "targets", "color", "errors", "unsafe_fixes", "nothing_to_check", "aliases",
                 "checked_targets")

    def __init__(self, base: Path, version: str, targets: int, color: bool = False,
                 errors: Sequence[UncheckedTarget] = (), unsafe_fixes: bool = False, nothing_to_check: int = 0,
                 aliases: tuple[tuple[Path, str], ...] = (), checked_targets: tuple[Target, ...] = ()) -> None:
        self.base = base  # findings' paths are shown relative to this directory
        self.version = version
        self.targets = targets
        self.color = color
        # Targets that were not checked: no format may read as clean while there is one.
        self.errors = tuple(errors)
        self.unsafe_fixes = unsafe_fixes  # --unsafe-fixes given: unsafe fixes count as fixable
        # Training projects without a save/log call: looked at, but nothing in them was checked.
        self.nothing_to_check = nothing_to_check
        # Local folders shown as something else: a model fetched by URI is shown as its URI.
        self.aliases = aliases
        # The targets themselves, for a format that describes them rather than the findings (cyclonedx).
        self.checked_targets = checked_targets


def relative(path: Path, base: Path) -> str:
    """The one path display (:func:`modellint.targets.display_path`), as stderr lines use it too."""
    from modellint.targets import display_path  # loaded by every check before it reports

    return display_path(path, base)


def location(path: Path, context: ReportContext) -> str:
    """A path as a report shows it: relative to the base, or below the URI of a model fetched by URI."""
    from modellint.targets import display_path

    return display_path(path, context.base, context.aliases)


class Tally:
    """What the closing lines of a report count, kept as findings go by: a streamed report holds
    these numbers, not the findings (a plain class: it grows as the report is written)."""

    __slots__ = ("by_severity", "by_code", "fixable_codes", "safe_fixes", "unsafe_fixes", "highest")

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self.by_severity: Counter[Severity] = Counter()
        self.by_code: Counter[str] = Counter()
        self.fixable_codes: set[str] = set()
        self.safe_fixes = 0
        self.unsafe_fixes = 0  # fixes that are not safe: fixable only with --unsafe-fixes
        self.highest = -1  # the highest severity counted, what the exit code depends on
        for finding in findings:
            self.add(finding)

    def add(self, finding: Finding) -> None:
        severity = finding.severity
        self.by_severity[severity] += 1
        self.by_code[finding.code] += 1
        if severity > self.highest:
            self.highest = int(severity)
        if finding.fix is not None:
            if finding.fixable:
                self.safe_fixes += 1
                self.fixable_codes.add(finding.code)
            else:
                self.unsafe_fixes += 1

    @property
    def findings(self) -> int:
        return sum(self.by_severity.values())


def summary_line(findings: list[Finding] | Tally, errors: int = 0) -> str:
    """``Found 1 error, 2 warnings.``; "All checks passed!" only when every target was checked."""
    counts = findings if isinstance(findings, Tally) else Tally(findings)
    lines = []
    if counts.findings:
        parts = []
        for severity, word in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.INFO, "info")):
            count = counts.by_severity.get(severity, 0)
            if count:
                parts.append(f"{count} {word}{'s' if count != 1 and word != 'info' else ''}")
        lines.append(f"Found {', '.join(parts)}.")
    elif not errors:
        return "All checks passed!"
    if errors:
        lines.append(unchecked_line(errors))
    return "\n".join(lines)


def unchecked_line(errors: int) -> str:
    return f"{errors} target{'s' if errors != 1 else ''} could not be checked."


def fixable_line(findings: Iterable[Finding] | Tally, *, unsafe_fixes: bool = False) -> str | None:
    """Ruff's fix hint, worded as Ruff 0.17 prints it: ``[*] 2 fixable with `--fix` (1 unsafe fix
    available with `--fix --unsafe-fixes`).``; None when nothing is fixable. With
    ``--unsafe-fixes`` every fix counts as fixable, as in Ruff."""
    counts = findings if isinstance(findings, Tally) else Tally(findings)
    safe, unsafe = counts.safe_fixes, counts.unsafe_fixes
    if unsafe_fixes:
        safe, unsafe = safe + unsafe, 0
    hint = f"{unsafe} unsafe fix{'es' if unsafe != 1 else ''} available with `--fix --unsafe-fixes`"
    if safe and unsafe:
        return f"[*] {safe} fixable with `--fix` ({hint})."
    if safe:
        return f"[*] {safe} fixable with `--fix`."
    if unsafe:
        return f"{hint}."
    return None


def summary(findings: list[Finding] | Tally, context: ReportContext) -> str:
    """The closing lines of the human formats: counts, what was not checked, the fix hint."""
    counts = findings if isinstance(findings, Tally) else Tally(findings)
    if not counts.findings and not context.errors and context.targets and context.nothing_to_check >= context.targets:
        count = context.nothing_to_check
        return (f"Nothing checked: {count} training project{'s' if count != 1 else ''} without an mlflow "
                "save_model/log_model call.")
    lines = [summary_line(counts, len(context.errors))]
    fixable = fixable_line(counts, unsafe_fixes=context.unsafe_fixes)
    if fixable:
        lines.append(fixable)
    return "\n".join(lines)


class Writer:
    """A report written as it is made: :meth:`start`, then :meth:`add` for each finding in the
    report's order, then :meth:`end` once the run is over, with the context then complete (the
    targets counted, those that could not be checked). Each gives the next text of the report; a
    format holds what its text needs later (counts in :attr:`tally`), never the findings."""

    def __init__(self, context: ReportContext) -> None:
        self.context = context
        self.tally = Tally()

    def start(self) -> str:
        return ""

    def add(self, finding: Finding) -> str:
        self.tally.add(finding)
        return self.text(finding)

    def text(self, finding: Finding) -> str:
        raise NotImplementedError

    def end(self, context: ReportContext) -> Iterator[str]:
        raise NotImplementedError


def written(writer: Writer, findings: Iterable[Finding], context: ReportContext) -> str:
    """The whole text ``writer`` makes of ``findings``: what a format's ``render`` returns."""
    parts = [writer.start()]
    parts.extend(map(writer.add, findings))
    parts.extend(writer.end(context))
    return "".join(parts)


# Paths and messages a streamed report renders once while they repeat: a store's findings come
# path by path, and copies of one model repeat its messages. Bounded, so that the report's memory
# does not grow with the store.
RECENT = 1024


def printable(text: str) -> str:
    """``text`` from a model file made safe for a terminal, a CI log or a rendered report:
    credentials redacted, and every character that could move the cursor, recolour, reorder or
    hide text (ESC, CR, newline, backspace, bidi overrides...) shown as its escape (``\\x1b``,
    ``\\u202e``), so the report is one line per line and reads as it is stored."""
    return escape_hidden(redact(text))


def shown_path(path: Path, context: ReportContext) -> str:
    """A finding's path for a human format: as :func:`location` shows it, printable."""
    return printable(location(path, context))


def shown_paths(context: ReportContext) -> Callable[[Path], str]:
    """:func:`shown_path` for one report, each distinct path worked out once: a store's report
    names a file once per finding in it (2,000 model dirs: 13,529 findings, a few thousand files)."""
    return lru_cache(maxsize=RECENT)(lambda path: shown_path(path, context))


def unchecked_lines(context: ReportContext) -> list[str]:
    """``path: error: message`` for each target that could not be checked (the one-line formats)."""
    return [f"{shown_path(error.path, context)}: error: {printable(error.message)}" for error in context.errors]
