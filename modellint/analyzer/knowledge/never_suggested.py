"""Names modellint never proposes for install, whatever PyPI project holds them.

Two curated tables beside this file, each row with its reason:

- ``first_party_names.tsv``: top-level modules that are almost always the model's own code
  (``utils``, ``src``, ``model``...). An import of one that nothing ships is a ``code_paths``
  problem; a distribution that happens to ship such a module is never the fix.
- ``squatters.tsv``: distributions that hold a popular import name without its code
  (``sklearn``, ``bs4``...). ``scripts/build_knowledge.py`` flags them ``q`` in the knowledge
  base, which never suggests a ``q`` distribution.

Read on first use: only a finding about a module nothing declared provides pays for it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modellint.analyzer.knowledge.curated_tables import table_rows

FIRST_PARTY_FILE = Path(__file__).with_name("first_party_names.tsv")
SQUATTERS_FILE = Path(__file__).with_name("squatters.tsv")


def parse_reasons(text: str, file_name: str, key: str) -> dict[str, str]:
    """``name<TAB>reason`` rows (``#`` starts a comment line) -> name -> reason."""
    return {name: reason for _, (name, reason) in table_rows(text, file_name, (key, "reason"))}


@lru_cache(maxsize=1)
def first_party_names() -> dict[str, str]:
    """Top-level module -> why importing it means the project's own code."""
    return parse_reasons(FIRST_PARTY_FILE.read_text(encoding="utf-8"), FIRST_PARTY_FILE.name, "module")


@lru_cache(maxsize=1)
def squatters() -> dict[str, str]:
    """Distribution (PEP 503 name) -> why it is never suggested."""
    return parse_reasons(SQUATTERS_FILE.read_text(encoding="utf-8"), SQUATTERS_FILE.name, "distribution")


def is_first_party_name(module: str) -> bool:
    """Whether ``module``'s top-level name is one of the table's (``utils.io`` -> ``utils``)."""
    return module.split(".")[0] in first_party_names()
