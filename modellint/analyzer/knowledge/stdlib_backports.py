"""PyPI distributions that backport a standard-library module, and what installing one does.

A model environment written by a training run carries them when the run's environment did
(MLflow's inference pins every installed distribution it sees imported): `dataclasses==0.6` and
`uuid==1.30` are in the conda file of Azure ML's own MLflow deployment guide. The table is data
(``stdlib_backports.tsv`` beside this file, one line per distribution with the module it
backports, the first Python that ships that module, what installing it anyway does, and a
source), read on the first lookup.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modellint.analyzer.knowledge.curated_tables import table_rows
from modellint.record import Record

DATA_FILE = Path(__file__).with_name("stdlib_backports.tsv")


class StdlibBackport(Record):
    """``distribution`` backports ``module``, which the standard library ships from ``since``."""

    __slots__ = ("distribution", "module", "since", "effect", "source")

    def __init__(self, distribution: str, module: str, since: tuple[int, int], effect: str, source: str) -> None:
        self.distribution = distribution
        self.module = module
        self.since = since
        self.effect = effect  # finishes "On a Python that ships the module, `distribution` ..."
        self.source = source


def parse_backports(text: str) -> dict[str, StdlibBackport]:
    """``distribution<TAB>module<TAB>since<TAB>effect<TAB>source`` lines (``#`` starts a
    comment line) -> normalised distribution name -> backport."""
    backports: dict[str, StdlibBackport] = {}
    columns = ("distribution", "module", "since", "effect", "source")
    for number, (distribution, module, since, effect, source) in table_rows(text, DATA_FILE.name, columns):
        major, _, minor = since.partition(".")
        if not (major.isdigit() and minor.isdigit()):
            raise ValueError(f"{DATA_FILE.name}:{number}: expected the Python that ships the module as `X.Y`")
        backports[distribution] = StdlibBackport(distribution, module, (int(major), int(minor)), effect, source)
    return backports


@lru_cache(maxsize=1)
def stdlib_backports() -> dict[str, StdlibBackport]:
    """Every recorded backport, by normalised distribution name."""
    return parse_backports(DATA_FILE.read_text(encoding="utf-8"))
