"""Findings given back in the report's order while targets are still being linted.

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

import heapq
from collections.abc import Iterable, Iterator, Sequence

from modellint.findings import Finding
from modellint.targets import Target

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

    def done(self, index: int, findings: Iterable[Finding]) -> Iterator[Finding]:
        """Target ``index`` (the next in the list) is done with ``findings``: those whose turn has
        come, with any waiting ones, in the report's order."""
        if index != self.next_index:
            raise ValueError(f"target {index} done out of turn (expected {self.next_index})")
        self.next_index += 1
        for finding in findings:
            heapq.heappush(self.waiting, (finding.sort_key, self.told, finding))
            self.told += 1
        bound = self.still[index + 1]
        self.still[index] = None  # never asked again: its path string can go
        waiting = self.waiting
        while waiting and (bound is None or waiting[0][0] < bound):
            yield heapq.heappop(waiting)[2]

    def rest(self) -> Iterator[Finding]:
        """What is still waiting (all of it, once every target is done), in the report's order."""
        while self.waiting:
            yield heapq.heappop(self.waiting)[2]
