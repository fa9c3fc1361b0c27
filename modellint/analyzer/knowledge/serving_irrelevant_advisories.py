"""Advisories that cannot affect a model's serving environment (``serving_irrelevant_advisories.tsv``
beside this file): each names a component a scoring process never runs, such as MLflow's tracking
server and its auth app, with the reason read from the advisory. ML510 leaves them out."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modellint.record import Record

DATA_FILE = Path(__file__).with_name("serving_irrelevant_advisories.tsv")


class ServingIrrelevantAdvisory(Record):
    """One line of the table: ``advisory`` of ``distribution`` concerns ``component``, because ``reason``."""

    __slots__ = ("distribution", "advisory", "component", "reason")

    def __init__(self, distribution: str, advisory: str, component: str, reason: str) -> None:
        self.distribution = distribution
        self.advisory = advisory
        self.component = component
        self.reason = reason


@lru_cache(maxsize=1)
def serving_irrelevant_table() -> tuple[ServingIrrelevantAdvisory, ...]:
    rows = []
    for line in DATA_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        distribution, advisory, component, reason = line.split("\t")
        rows.append(ServingIrrelevantAdvisory(distribution, advisory, component, reason))
    return tuple(rows)


@lru_cache(maxsize=256)
def serving_irrelevant(distribution: str) -> frozenset[str]:
    """The ids of the advisories of ``distribution`` (normalised) that a serving environment is not exposed to."""
    return frozenset(row.advisory for row in serving_irrelevant_table() if row.distribution == distribution)
