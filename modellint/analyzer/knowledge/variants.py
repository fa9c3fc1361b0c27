"""Build variants and forks: distributions that install another distribution's modules.

``cuml-cu12`` is cuML built for CUDA 12, ``paddlepaddle-gpu`` PaddlePaddle with GPU kernels,
``nmslib-metabrainz`` a maintained fork of nmslib: each installs the module its base does under a
name of its own. The table (``variants.tsv`` beside this file: variant or pattern, base, the page
that documents it) serves two readers:

- ``scripts/build_knowledge.py --learn-variants`` reads every named variant from the index, so
  the knowledge base records what their files contain (flag ``v``), and makes the base the
  suggestion for the modules its variants provide;
- :meth:`KnowledgeBase.variant_base` lets a declared variant whose files were never read (a name
  only a pattern covers, a stub that installs from another index) provide its base's modules.

Read on first use: only a declared requirement nothing else explains pays for it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from modellint.analyzer.knowledge.curated_tables import table_rows
from modellint.record import Record

DATA_FILE = Path(__file__).with_name("variants.tsv")
_NAME = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9*]+|\*)*")


class Variant(Record):
    """Distributions named ``pattern`` install ``base``'s modules, as ``source`` documents."""

    __slots__ = ("pattern", "base", "source")

    def __init__(self, pattern: str, base: str, source: str) -> None:
        self.pattern = pattern
        self.base = base
        self.source = source

    @property
    def is_pattern(self) -> bool:
        return "*" in self.pattern

    def matches(self, distribution: str) -> bool:
        """Whether the PEP 503 name ``distribution`` is this variant (``*``: letters or digits)."""
        return _regex(self.pattern).fullmatch(distribution) is not None


@lru_cache(maxsize=None)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile("[a-z0-9]+".join(re.escape(part) for part in pattern.split("*")))


def parse_variants(text: str) -> tuple[Variant, ...]:
    """``variant<TAB>base<TAB>source`` rows (``#`` starts a comment line), named rows first."""
    variants = []
    for number, (pattern, base, source) in table_rows(text, DATA_FILE.name, ("variant", "base", "source")):
        if _NAME.fullmatch(pattern) is None or _NAME.fullmatch(base) is None or "*" in base:
            raise ValueError(f"{DATA_FILE.name}:{number}: not a PEP 503 name or pattern: {pattern!r} -> {base!r}")
        variants.append(Variant(pattern, base, source))
    return tuple(sorted(variants, key=lambda variant: (variant.is_pattern, variant.pattern)))


@lru_cache(maxsize=1)
def variants() -> tuple[Variant, ...]:
    """Every row of the table, the named ones before the patterns."""
    return parse_variants(DATA_FILE.read_text(encoding="utf-8"))


def variant_of(distribution: str) -> Variant | None:
    """The row ``distribution`` (PEP 503 normalised) matches, a named row before a pattern;
    None for a base or any other distribution."""
    for variant in variants():
        if variant.matches(distribution) and variant.base != distribution:
            return variant
    return None


def bases() -> frozenset[str]:
    return frozenset(variant.base for variant in variants())
