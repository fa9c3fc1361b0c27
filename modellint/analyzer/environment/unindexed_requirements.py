"""Requirements naming a distribution that no index the model's pip lists reach has: a plain name
(not a URL, path or VCS reference) that PyPI's project list of the snapshot lacks, in lists that
name no other index.

Only what can be known is returned. A list with ``--index-url``, ``--extra-index-url``,
``--find-links`` or ``--no-index`` anywhere in the model's pip lists, or one that includes a file
other than the model's own requirements.txt (``-r``/``-c``: its index options are unseen), makes
the whole model unjudged: a private index may serve anything. A distribution the per-release data
or the knowledge base records (or one ``module-distributions`` names) is taken as served, and only
the rest is looked up in the name set (:mod:`~modellint.analyzer.knowledge.pypi_names`), which
answers "exists" for about 1 in 1000 names PyPI lacks: a missed finding, never a false one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import TYPE_CHECKING

from modellint.analyzer.environment.pinned_releases import OTHER_INDEX_OPTIONS, applies_on
from modellint.analyzer.environment.requirements import RequirementLine, RequirementsList
from modellint.analyzer.knowledge.releases import release_data
from modellint.analyzer.model_layout import REQUIREMENTS
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.analyzer.environment.serving_platform import ServingPlatform
    from modellint.analyzer.knowledge.distributions import KnowledgeBase
    from modellint.analyzer.knowledge.pypi_names import PypiNames

_INCLUDE_OPTIONS = frozenset({"requirement", "constraint"})


class UnindexedRequirement(Record):
    """``line`` names ``name``, which PyPI's project list of ``snapshot`` (a month) lacks."""

    __slots__ = ("line", "name", "snapshot")

    def __init__(self, line: RequirementLine, name: str, snapshot: str) -> None:
        self.line = line
        self.name = name
        self.snapshot = snapshot


def unindexed_requirements(lists: Iterable[RequirementsList | None], target: ServingPlatform | None,
                           knowledge: KnowledgeBase) -> Iterator[UnindexedRequirement]:
    """Every requirement of ``lists`` (requirements.txt, the conda ``pip:`` list) that names a
    distribution no index they reach serves, in order."""
    present = [requirements for requirements in lists if requirements is not None]
    if any(_reaches_elsewhere(line) for requirements in present for line in requirements.lines):
        return
    lookup = _ServedNames(knowledge)
    for requirements in present:
        for line in requirements.requirements:
            name = line.name
            if (name is None or line.requirement is None or line.requirement.url is not None
                    or not applies_on(line, target)):
                continue
            if not lookup.served(name):
                yield UnindexedRequirement(line, name, lookup.snapshot)


class _ServedNames:
    """Whether an index serves a name: what the per-release data or the knowledge base records,
    else the PyPI name set (read on the first name they do not record), each name asked once
    (requirements.txt and the conda list mostly repeat each other)."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self._knowledge = knowledge
        self._answers: dict[str, bool] = {}
        self._names: PypiNames | None = None

    @property
    def snapshot(self) -> str:
        return self._names.snapshot if self._names is not None else ""

    def served(self, name: str) -> bool:
        if name not in self._answers:
            self._answers[name] = self._recorded(name) or name in self._pypi()
        return self._answers[name]

    def _recorded(self, name: str) -> bool:
        return name in release_data() or self._knowledge.published(name)

    def _pypi(self) -> PypiNames:
        if self._names is None:
            from modellint.analyzer.knowledge.pypi_names import pypi_names

            self._names = pypi_names()
        return self._names


def _reaches_elsewhere(line: RequirementLine) -> bool:
    """Whether the line makes pip look beyond PyPI, or read options modellint does not see."""
    if line.option in OTHER_INDEX_OPTIONS:
        return True
    if line.option in _INCLUDE_OPTIONS:
        included = PurePath((line.option_value or "").strip())
        return included.name != REQUIREMENTS or len(included.parts) > 1
    return False

