"""What each deployment target's serving image brings, and model pins known to break it.

The table is data (``serving_images.tsv`` beside this file): one row per fact, with the date it
holds as of and its source. Only sourced facts are there; the file's header says what could not be.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modellint.analyzer.knowledge.curated_tables import table_rows
from modellint.record import Record

DATA_FILE = Path(__file__).with_name("serving_images.tsv")
KINDS = ("brings", "clash")


class ImageFact(Record):
    """``distribution`` in ``target``'s serving image: installed by it (``brings``), or, when a model
    pins a version inside ``specifier``, breaking it (``clash``)."""

    __slots__ = ("target", "kind", "distribution", "specifier", "effect", "as_of", "source")

    def __init__(self, target: str, kind: str, distribution: str, specifier: str | None, effect: str, as_of: str,
                 source: str) -> None:
        self.target = target
        self.kind = kind
        self.distribution = distribution  # PEP 503 normalised
        self.specifier = specifier  # a PEP 440 specifier set; None when no version is sourced
        self.effect = effect  # finishes "`distribution` specifier ..."
        self.as_of = as_of
        self.source = source

    def clashes_with(self, version: str) -> bool:
        """Whether a model pin ``==version`` falls inside this clash's specifier."""
        if self.kind != "clash" or self.specifier is None:
            return False
        from packaging.specifiers import SpecifierSet
        from packaging.version import InvalidVersion, Version

        try:
            return Version(version) in SpecifierSet(self.specifier)
        except InvalidVersion:
            return False


def parse_serving_images(text: str) -> list[ImageFact]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    facts = []
    columns = ("target", "kind", "distribution", "specifier", "effect", "as of", "source")
    for number, (target, kind, distribution, specifier, effect, as_of, source) in table_rows(text, DATA_FILE.name,
                                                                                             columns):
        if kind not in KINDS:
            raise ValueError(f"{DATA_FILE.name}:{number}: expected a kind in {list(KINDS)}")
        if specifier != "-":
            try:
                SpecifierSet(specifier)
            except InvalidSpecifier:
                raise ValueError(f"{DATA_FILE.name}:{number}: `{specifier}` is not a version specifier") from None
        elif kind == "clash":
            raise ValueError(f"{DATA_FILE.name}:{number}: a clash needs the versions it concerns")
        facts.append(ImageFact(target, kind, distribution, None if specifier == "-" else specifier, effect, as_of,
                               source))
    return facts


@lru_cache(maxsize=1)
def serving_images() -> tuple[ImageFact, ...]:
    return tuple(parse_serving_images(DATA_FILE.read_text(encoding="utf-8")))


def clashes(target: str) -> list[ImageFact]:
    """The pins known to break ``target``'s serving image."""
    return [fact for fact in serving_images() if fact.target == target and fact.kind == "clash"]
