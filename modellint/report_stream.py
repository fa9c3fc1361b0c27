"""A report written while its targets are linted: each target's findings, once it is done, go
to the format's :class:`~modellint.reports.Writer` in the report's order
(:class:`InReportOrder`), and its text to the destination
(:class:`~modellint.report_output.ReportOutput`). What is kept for the end is what the closing
lines need: the targets that could not be checked, the training projects with nothing to check,
and the writer's counts. The text is that of the whole report rendered at once, byte for byte.

A report lists findings sorted by :attr:`~modellint.findings.Finding.sort_key`, across every
target: by path string first, so a target's findings are not one block of the report. ``a-b/``
sorts before ``a/`` (``-`` before ``/``), and a finding on the model dir ``a`` itself before
both. Targets finish in the order of their list, which need not be that order. A finding can be
written once no target still being linted can report one that sorts before it: each model dir
and lone file reports only on its own path and the paths below it (the string of the path of
each of its findings starts with the target's), so the lowest key it can report is its own
path's string. A training project may report on files outside it (its ``code_paths``): it may
report anything, and nothing after it in the list is written before it is done.

Only the findings that must wait are held: those of targets that finished before a target whose
findings sort first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from modellint.findings import Finding
from modellint.record import Record

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


# Below every key: what a target that may report on any path can report.
_ANYWHERE: tuple[str] = ("",)


def lowest_key(target: Target) -> tuple[str]:
    """A key no finding of ``target`` sorts before (tuples compare item by item, and a shorter
    tuple that is a prefix of a longer one is the smaller)."""
    if target.kind in ("model", "file"):
        return (target.path.as_posix(),)
    return _ANYWHERE


class InReportOrder:
    """The findings of ``targets``, told one target at a time in the list's order
    (:meth:`done`), given back in the report's order as soon as their turn has come; :meth:`rest`
    gives what is left once every target is done. Findings with equal keys keep the order they
    were told in, as the stable sort of a whole report keeps them."""

    def __init__(self, targets: Sequence[Target]) -> None:
        # still[i]: the lowest key targets i, i+1, ... can still report (None: none is left).
        still: list[tuple[str] | None] = [None] * (len(targets) + 1)
        for index in range(len(targets) - 1, -1, -1):
            key = lowest_key(targets[index])
            later = still[index + 1]
            still[index] = key if later is None or key < later else later
        self.still = still
        self.waiting: list[tuple[tuple[str, int, int, str, str], int, Finding]] = []
        self.told = 0
        self.next_index = 0

    def done(self, index: int, findings: list[Finding]) -> Iterator[Finding]:
        """Target ``index`` (the next in the list) is done with ``findings``: those whose turn has
        come, with any waiting ones, in the report's order."""
        if index != self.next_index:
            raise ValueError(f"target {index} done out of turn (expected {self.next_index})")
        self.next_index += 1
        bound = self.still[index + 1]
        self.still[index] = None  # never asked again: its path string can go
        if not self.waiting:
            ordered = sorted(findings, key=_sort_key)  # stable: equal keys as they were told
            if not ordered or bound is None or ordered[-1].sort_key < bound:
                # Nothing waits and every finding's turn has come: the common case of a store
                # listed in its report's order, and of a run over one target, without a heap.
                self.told += len(ordered)
                yield from ordered
                return
        import heapq  # only when findings must wait

        for finding in findings:
            heapq.heappush(self.waiting, (finding.sort_key, self.told, finding))
            self.told += 1
        waiting = self.waiting
        while waiting and (bound is None or waiting[0][0] < bound):
            yield heapq.heappop(waiting)[2]

    def rest(self) -> Iterator[Finding]:
        """What is still waiting (all of it, once every target is done), in the report's order."""
        if not self.waiting:
            return
        import heapq

        while self.waiting:
            yield heapq.heappop(self.waiting)[2]


def _sort_key(finding: Finding) -> tuple[str, int, int, str, str]:
    return finding.sort_key
