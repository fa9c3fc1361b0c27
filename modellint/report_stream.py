"""A report written while its targets are linted: each target's findings, once it is done, go
to the format's :class:`~modellint.reports.Writer` in the report's order
(:class:`~modellint.report_order.InReportOrder`), and its text to the destination
(:class:`~modellint.report_output.ReportOutput`). What is kept for the end is what the closing
lines need: the targets that could not be checked, the training projects with nothing to check,
and the writer's counts. The text is that of the whole report rendered at once, byte for byte."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from modellint.findings import Finding
from modellint.record import Record
from modellint.report_order import InReportOrder

if TYPE_CHECKING:
    from modellint.engine import TargetFailure
    from modellint.report_output import ReportOutput
    from modellint.reports import ReportContext, Writer
    from modellint.targets import Target


class Written(Record):
    """What a streamed report leaves for the end of the run: why targets were not checked (the
    paths that could not be linted first), the training projects without a save/log call, and
    the highest severity among the findings written (-1 for none)."""

    __slots__ = ("failures", "projects_without_checks", "highest")

    def __init__(self, failures: tuple[TargetFailure, ...], projects_without_checks: tuple[Target, ...],
                 highest: int) -> None:
        self.failures = failures
        self.projects_without_checks = projects_without_checks
        self.highest = highest


def write_report(targets: list[Target], results: Iterable[tuple[list[Finding], TargetFailure | None, bool]],
                 writer: Writer, output: ReportOutput, path_failures: Iterable[TargetFailure] = ()) -> Written:
    """Write the report of ``targets`` from their ``results`` (:func:`modellint.engine.lint_results`)
    with ``writer``, whose context is completed at the end (targets, errors, projects)."""
    from modellint.reports import UncheckedTarget

    failures = list(path_failures)
    without_checks = []
    order = InReportOrder(targets)
    output.write(writer.start())
    for index, (target, (findings, failure, saves_no_model)) in enumerate(zip(targets, results)):
        if failure:
            failures.append(failure)
        elif saves_no_model and not findings:
            without_checks.append(target)
        for finding in order.done(index, findings):
            output.write(writer.add(finding))
    for finding in order.rest():
        output.write(writer.add(finding))
    context: ReportContext = writer.context.replace(
        targets=len(targets), errors=tuple(UncheckedTarget(failure.path, failure.message) for failure in failures),
        nothing_to_check=len(without_checks), checked_targets=tuple(targets))
    for text in writer.end(context):
        output.write(text)
    return Written(tuple(failures), tuple(without_checks), writer.tally.highest)
