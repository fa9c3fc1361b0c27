"""What a fresh serving environment built from the model's files would contain.

The declared requirements (requirements.txt and the conda `pip:` list) and, through the
knowledge base, everything they install transitively, so a module can be traced to the
requirement that brings it in: ``yaml`` <- ``mlflow -> mlflow-skinny -> pyyaml``.

A requirement pinned exactly (``langchain==0.1.20``) to a release the per-release data records
is judged by that release: its Requires-Dist and its modules, not the newest release's
(``langchain`` 0.1 still required langchain-community; 0.3 does not).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from modellint.analyzer.environment.pep508 import ParsedRequirement
from modellint.analyzer.environment.requirements import RequirementLine, normalize_name
from modellint.analyzer.environment.serving_platform import DEFAULT_PLATFORM, ServingPlatform
from modellint.analyzer.knowledge.distributions import KnowledgeBase, guess_distribution
from modellint.analyzer.knowledge.release_requires import ReleaseFacts, release_requires
from modellint.record import Record

DEFAULT_PYTHON = (3, 11)


class Provision(Record):
    """How the environment provides a module.

    ``chain`` is the path of distributions from a declared requirement to the one that holds
    the module (length 1 when declared directly). ``guessed`` is set when the knowledge base
    does not know the distribution and its name merely matches the module's.
    """

    __slots__ = ("chain", "guessed")

    def __init__(self, chain: tuple[str, ...], guessed: bool = False) -> None:
        self.chain = chain
        self.guessed = guessed

    @property
    def direct(self) -> bool:
        return len(self.chain) == 1

    @property
    def requirement(self) -> str:
        return self.chain[0]


class DeclaredEnvironment:
    def __init__(self, requirements: Iterable[RequirementLine], python: tuple[int, int] | None,
                 knowledge: KnowledgeBase, platform: str = DEFAULT_PLATFORM) -> None:
        self.lines = [line for line in requirements if line.requirement is not None]
        self.python = python or DEFAULT_PYTHON
        self.knowledge = knowledge
        self.platform = platform  # a key of serving_platform.PLATFORMS: where markers are evaluated

    @cached_property
    def installed(self) -> dict[str, tuple[str, ...]]:
        """Every distribution the requirements install -> the chain that brings it in."""
        declared = [
            (normalize_name(requirement.name), frozenset(requirement.extras))
            for line in self.lines
            if (requirement := line.requirement) is not None and self._applies(requirement)
        ]
        pinned = {name: facts.requires for name, facts in self.pinned_releases.items()}
        markers = {condition: bits for facts in self.pinned_releases.values() for condition, bits in facts.markers.items()}
        return self.knowledge.closure(declared, self.python, pinned, markers)

    @cached_property
    def pinned_releases(self) -> dict[str, ReleaseFacts]:
        """Distribution -> the facts of the release an exact pin of it names, where the per-release
        data knows that release (the newest release's facts stand for the others)."""
        found: dict[str, ReleaseFacts] = {}
        judged: set[str] = set()  # the first applying line of a distribution is the one judged
        for line in self.lines:
            if line.name is None or line.requirement is None or line.name in judged or not self._applies(line.requirement):
                continue
            judged.add(line.name)
            facts = pinned_release(line)
            if facts is not None:
                found[facts.distribution] = facts
        return found

    def release_lacks(self, distribution: str, module: str) -> bool:
        """Whether ``distribution`` is pinned to a release known not to install ``module``: its
        layout has no such top-level module, or the module is one that other recorded releases
        install and this one does not (``sklearn.ensemble.forest`` under scikit-learn 0.24 on)."""
        facts = self.pinned_releases.get(normalize_name(distribution))
        if facts is None:
            return False
        if not facts.provides(module):
            return True
        if facts.recorded_as != facts.version or "." not in module:
            return False  # a release between two recorded ones: its own files were not read
        from modellint.analyzer.knowledge.release_modules import release_modules

        return release_modules().lacks(facts.distribution, facts.version, module)

    def releases_installing(self, distribution: str, module: str) -> tuple[str, ...]:
        """The recorded releases of ``distribution`` that install ``module``, when it is one that
        changes between releases (empty otherwise, or when nothing is recorded)."""
        from modellint.analyzer.knowledge.release_modules import release_modules

        block = release_modules().get(normalize_name(distribution))
        return block.installed_by(module) if block is not None else ()

    def applies(self, line: RequirementLine) -> bool:
        """Whether pip installs the requirement ``line`` on the environment's platform and Python:
        its marker holds (or cannot be evaluated). False for a line that is no requirement."""
        return line.requirement is not None and self._applies(line.requirement)

    def _applies(self, requirement: ParsedRequirement) -> bool:
        marker = requirement.marker
        if marker is None:
            return True
        try:
            return bool(marker.evaluate(self._marker_environment))
        except Exception:  # noqa: BLE001 - an unevaluable marker: count the line as declared
            return True

    @cached_property
    def _marker_environment(self) -> dict[str, str]:
        return ServingPlatform(self.python, self.platform).marker_environment()

    @cached_property
    def unknown_requirements(self) -> tuple[str, ...]:
        """Declared distributions the knowledge base knows nothing about (their modules are a guess)."""
        names = {line.name for line in self.lines}
        return tuple(sorted(name for name in names if name is not None and not self.knowledge.is_known(name)))

    def provides(self, module: str) -> bool:
        """Whether serving has ``module`` (dotted) without the model shipping it: a declared
        requirement installs it, or ``known-first-party`` says the deployment brings it its own way."""
        return self.knowledge.is_first_party(module) or self.provision(module) is not None

    @cached_property
    def _through_variants(self) -> dict[str, tuple[str, ...]]:
        """Distribution -> the chain of an installed variant that installs it as its base would
        (``tensorflow`` <- ``tensorflow-gpu``; ``tensorrt-cu13`` <- ``tensorrt-cu14``, whose base
        ``tensorrt`` installs it): only variants whose own files say nothing."""
        through: dict[str, tuple[str, ...]] = {}
        for name, chain in self.installed.items():
            base = self.knowledge.variant_base(name)
            if base is None:
                continue
            for distribution in self.knowledge.closure([(base, frozenset())], self.python):
                if distribution not in through or len(chain) < len(through[distribution]):
                    through[distribution] = chain
        return through

    def _through_variant(self, module: str) -> tuple[str, ...] | None:
        chains = [chain for distribution in self.knowledge.providers(module)
                  if (chain := self._through_variants.get(distribution)) is not None]
        return min(chains, key=len) if chains else None

    def _shortest_chain(self, distributions: Iterable[str], module: str) -> tuple[str, ...] | None:
        best: tuple[str, ...] | None = None
        for distribution in distributions:
            if self.release_lacks(distribution, module):
                continue
            chain = self.installed.get(distribution)
            if chain is not None and (best is None or len(chain) < len(best)):
                best = chain
        return best

    def provision(self, module: str) -> Provision | None:
        """How ``module`` (dotted) gets installed, or None when nothing declared provides it.

        Exactly what the installed files contain: a distribution provides the modules it
        installs and the packages they sit in, never a sibling in the same namespace
        (``google-cloud-storage`` does not provide ``google.cloud.bigquery``).
        """
        best = self._shortest_chain(self.knowledge.providers(module), module)
        if best is None:  # a package another distribution owns, with an installed one filling a corner of it
            best = self._shortest_chain(self.knowledge.members(module), module)
        if best is None and self.knowledge.settings.distribution_of(module) is None:
            # the pinned release installs it, the newest one no longer does (unless the user's
            # `module-distributions` says which distribution alone provides it)
            best = self._shortest_chain(
                [name for name, facts in self.pinned_releases.items() if facts.provides(module)], module)
        if best is None:
            best = self._through_variant(module)
        if best is not None:
            return Provision(best)
        guess = guess_distribution(module)
        top_level_guess = normalize_name(module.split(".")[0])
        for name in self.unknown_requirements:
            if name in (guess, top_level_guess):
                return Provision((name,), guessed=True)
        return None


def pinned_release(line: RequirementLine) -> ReleaseFacts | None:
    """The per-release facts of the release ``line`` pins exactly (``==X``), when the data knows it."""
    version = line.pinned_version
    if version is None or line.name is None:
        return None
    return release_requires().find(line.name, version)
