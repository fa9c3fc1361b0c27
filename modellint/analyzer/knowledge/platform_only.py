"""Distributions that install only on Windows or macOS, and what pip does with them on Linux.

A training run on a laptop writes them into the model's requirements (MLflow pins what it sees
installed and imported), and the Linux image MLflow, Azure ML and Databricks serve from cannot
install them. The table is data (``platform_only.tsv`` beside this file, one line per
distribution with its platform, the distribution that provides the same modules on Linux when
there is one, what pip does, and a source), read on the first lookup.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modellint.analyzer.knowledge.curated_tables import table_rows
from modellint.record import Record

DATA_FILE = Path(__file__).with_name("platform_only.tsv")
PLATFORMS = {"win32": "Windows", "darwin": "macOS"}


class PlatformOnly(Record):
    """``distribution`` installs only where ``sys_platform == platform``."""

    __slots__ = ("distribution", "platform", "linux_alternative", "effect", "source")

    def __init__(self, distribution: str, platform: str, linux_alternative: str | None, effect: str,
                 source: str) -> None:
        self.distribution = distribution
        self.platform = platform  # a sys_platform value, a key of PLATFORMS
        self.linux_alternative = linux_alternative  # the distribution with the same modules on Linux
        self.effect = effect  # finishes "`distribution` ..."
        self.source = source

    @property
    def platform_name(self) -> str:
        return PLATFORMS[self.platform]


def parse_platform_only(text: str) -> dict[str, PlatformOnly]:
    """``distribution<TAB>platform<TAB>alternative or -<TAB>effect<TAB>source`` lines (``#`` starts a
    comment line) -> normalised distribution name -> entry."""
    entries: dict[str, PlatformOnly] = {}
    columns = ("distribution", "platform", "alternative", "effect", "source")
    for number, (distribution, platform, alternative, effect, source) in table_rows(text, DATA_FILE.name, columns):
        if platform not in PLATFORMS:
            raise ValueError(f"{DATA_FILE.name}:{number}: expected a platform in {sorted(PLATFORMS)}")
        entries[distribution] = PlatformOnly(distribution, platform, None if alternative == "-" else alternative,
                                             effect, source)
    return entries


@lru_cache(maxsize=1)
def platform_only() -> dict[str, PlatformOnly]:
    """Every recorded platform-only distribution, by normalised name."""
    return parse_platform_only(DATA_FILE.read_text(encoding="utf-8"))
