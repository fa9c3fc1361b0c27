"""The shape every rule module follows (Fixit-style self-testing, Ruff-style docs).

A rule is a class with ``code``, ``name``, ``severity``, a docstring in Ruff's sections
(What it does / Why is this bad? / Example / Fix) and ``VALID`` / ``INVALID`` examples given as
tiny in-memory model dirs (``Valid``, ``Invalid``) or training projects (``ProjectValid``,
``ProjectInvalid``: the rule judges the model their save/log call would write). ``check(model)``
yields findings; it never reads files itself.

``tests/rules/`` runs every example: a valid one must be silent, an invalid one must fire where
``expect`` says, and its ``fixed`` files are what ``--fix --unsafe-fixes`` makes of it. The
findings' messages, positions and fixes are pinned in ``tests/rules/snapshots/<code>.snap``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from modellint.findings import FILE_START, Applicability, Finding, Fix, Severity, Span
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.analyzer.environment.environment_settings import EnvironmentSettings
    from modellint.analyzer.model_dir import ModelDir
    from modellint.analyzer.serialized.facts import SerializedFacts


class FixAvailability(Enum):
    """Whether findings of a rule carry an automatic fix (Ruff's wording), as opposed to
    ``fix_title``, the advice every finding shows."""

    NONE = "No automatic fix is available."
    SOMETIMES = "An automatic fix is sometimes available."
    ALWAYS = "An automatic fix is always available."


class Valid(Record):
    """A model dir on which the rule must stay silent."""

    __slots__ = ("files", "note")

    def __init__(self, files: Mapping[str, str | bytes], note: str = "") -> None:
        self.files = files
        self.note = note


class Invalid(Record):
    """A model dir on which the rule must fire exactly at ``expect`` ((relative path, line) pairs).

    ``fixed`` is what the rule's fixes (safe and unsafe, one pass) leave: the files they change,
    with their new text; every other file stays as it was. None: no finding carries a fix.
    """

    __slots__ = ("files", "expect", "note", "severity", "fixed")

    def __init__(self, files: Mapping[str, str | bytes], expect: tuple[tuple[str, int], ...], note: str = "",
                 severity: Severity | None = None, fixed: Mapping[str, str | bytes] | None = None) -> None:
        self.files = files
        self.expect = expect
        self.note = note
        self.severity = severity  # when the rule's severity depends on the case
        self.fixed = fixed


class ProjectValid(Valid):
    """A training project (its files, relative to its root) on whose save/log calls the rule
    stays silent: what project mode (``modellint project``) says about the model they would write."""

    __slots__ = ()


class ProjectInvalid(Invalid):
    """A training project on which the rule fires exactly at ``expect``: lines of the project's
    own files (the call, its arguments, a conda file it names), where project mode reports, and
    ``fixed`` holds the project files its fixes rewrite."""

    __slots__ = ()


class examples:  # noqa: N801 - lower case: it reads as part of the declaration it wraps
    """A rule's ``VALID`` or ``INVALID`` cases, built on first access.

    Only the tests and the generated docs read them. Built at import time, the cases (model
    dirs, pickles, a skops archive and the zipfile module to write it) cost every lint run 5 ms.
    """

    def __init__(self, build: Callable[[], tuple]) -> None:
        self._build = build
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: object, owner: type) -> tuple:
        cases = self._build()
        setattr(owner, self._name, cases)  # built once: the tuple replaces this descriptor
        return cases


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    fix_title: ClassVar[str | None] = None
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NONE
    # Model dirs and training projects; each example's class says which. Where the rule runs is
    # its RULE_TABLE entry's to say: project examples only for a rule marked `training_project`.
    VALID: ClassVar[tuple[Valid, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()

    def check(self, model: ModelDir) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(
        self,
        path: Path,
        message: str,
        span: Span = FILE_START,
        *,
        severity: Severity | None = None,
        fix_title: str | None = None,
        fix: Fix | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            name=self.name,
            severity=self.severity if severity is None else severity,
            message=message,
            path=path,
            span=span,
            fix_title=fix_title if fix_title is not None else self.fix_title,
            fix=fix,
        )

    @classmethod
    def example_settings(cls) -> EnvironmentSettings | None:
        """The settings the rule's examples are checked with: those of an option it needs to run
        (ML508 needs ``--resolve``); None for the defaults."""
        return None

    @classmethod
    def documentation(cls) -> str:
        """The rule's Markdown doc, as `modellint rule CODE` prints it."""
        import inspect  # docs only: inspect and textwrap are 5 ms of start-up
        import textwrap

        body = textwrap.dedent(inspect.getdoc(cls) or "").strip()
        return f"# {cls.name} ({cls.code})\n\nDefault severity: **{cls.severity}**. {cls.fix_availability.value}\n\n{body}\n"

    @classmethod
    def summary(cls) -> str:
        """The first sentence of "What it does", for tables and SARIF shortDescription."""
        import inspect

        doc = inspect.getdoc(cls) or ""
        lines = doc.split("## What it does", 1)[-1].strip().split("\n\n", 1)[0]
        return " ".join(lines.split())


class SerializedFileRule(Rule):
    """A rule that judges only serialized files, and so a lone one too (``modellint check
    model.pkl``): its RULE_TABLE entry says ``standalone_file=True``, and its ``check`` takes the
    facts a model dir and a lone file share instead of a model dir."""

    def check(self, model: SerializedFacts) -> Iterator[Finding]:
        raise NotImplementedError

    def loaded_finding(self, path: Path, message: str, loaded: bool, consequence: str = "") -> Finding:
        """The finding for a file MLflow loads, at the rule's severity; for one no flavor or artifact
        names, a warning that says so, since a hostile file stays visible to whoever opens it by
        hand (``consequence`` says what that costs them)."""
        if loaded:
            return self.finding(path, message)
        return self.finding(path, f"{message}; MLflow does not load it (no flavor or artifact in MLmodel names "
                                  f"it){consequence}", severity=Severity.WARNING)


def in_member(member: str | None) -> str:
    """`` (`member`)`` for a finding inside an archive member, for messages; empty for the file itself."""
    return f" (`{member}`)" if member else ""


class RuleContractError(Exception):
    """A rule broke what every rule promises the engine (a plugin's slip, in practice)."""


def own_findings(rule: type[Rule], findings: Iterable[Finding]) -> Iterator[Finding]:
    """``findings`` as ``rule`` yields them, refusing one under another code: the engine, the
    selection and the reporters judge a finding by its code's registry entry, so a finding under
    a code nobody registered (or another rule's) would be misjudged or crash far from its cause."""
    for finding in findings:
        if finding.code != rule.code:
            raise RuleContractError(f"rule {rule.code} reported a finding under the code {finding.code!r}, "
                                    "not its own")
        yield finding


__all__ = ["Applicability", "Fix", "FixAvailability", "Invalid", "ProjectInvalid", "ProjectValid", "Rule",
           "RuleContractError", "SerializedFileRule", "Valid", "examples", "in_member", "own_findings"]
