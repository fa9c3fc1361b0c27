"""The squatter model (issue 18, item 3), over the whole knowledge base.

A suggestion names a distribution whose recorded files install the module (or, for a variant's
base, whose dependencies do): never a squatter (``squatters.tsv``), a guessed layout, a
meta-package that brings no provider, nor anything for a first-party name
(``first_party_names.tsv``), whoever ships one.
"""

from __future__ import annotations

import pytest

from modellint.analyzer.knowledge.distributions import load
from modellint.analyzer.knowledge.never_suggested import first_party_names, parse_reasons, squatters


def _installs(distribution: str, module: str) -> bool:
    """Whether installing ``distribution`` installs ``module`` (or the package it is in), by the
    recorded files of it and its dependencies."""
    knowledge = load()
    parts = module.split(".")
    prefixes = {".".join(parts[:depth]) for depth in range(1, len(parts) + 1)}
    return any(prefixes & set(knowledge.top_level_modules(name)) for name in knowledge.closure([(distribution, frozenset())]))


def test_every_suggestion_is_a_distribution_whose_files_install_the_module():
    knowledge, suggested = load(), 0
    for module in knowledge.modules():
        distribution = knowledge.suggest(module)
        if distribution is None:
            continue
        suggested += 1
        assert not knowledge.is_squatter(distribution) and not knowledge.layout_is_guess(distribution), (module, distribution)
        assert module.split(".")[0] not in first_party_names(), (module, distribution)
        assert _installs(distribution, module), (module, distribution)
    assert suggested > 8000


@pytest.mark.parametrize("distribution", sorted(squatters()))
def test_a_squatter_is_flagged_and_never_suggested(distribution):
    knowledge = load()
    assert knowledge.is_squatter(distribution)
    for module in knowledge.top_level_modules(distribution):
        assert knowledge.suggest(module) != distribution


def test_no_first_party_name_gets_a_suggestion_whoever_ships_it():
    knowledge = load()
    shipped = [name for name in first_party_names() if knowledge.providers(name)]
    assert {"base", "exceptions", "model_utils", "run", "services"} <= set(shipped)
    for name in first_party_names():
        assert knowledge.suggest(name) is None and knowledge.suggest(f"{name}.inner") is None, name


def test_every_row_has_a_reason():
    assert all(reason.strip() for reason in [*first_party_names().values(), *squatters().values()])
    with pytest.raises(ValueError, match="squatters.tsv:2"):
        parse_reasons("# comment\nsklearn\n", "squatters.tsv", "distribution")
