"""Everything the knowledge says about one import name, and how each fact was learned.

What ``modellint explain-import NAME`` shows, so a user can see why a finding named (or did not
name) a distribution: the distributions recorded as installing the module (at its full dotted
name and at its top level) with the flags that say where their layout came from, the variant
table, the squatter and first-party tables, the non-PyPI install routes, the standard library
per Python version, and the knowledge base's build date. Plain data (JSON-ready); the command
renders it.
"""

from __future__ import annotations

import re
from typing import Any

from modellint.analyzer.knowledge import distributions
from modellint.analyzer.knowledge.install_routes import install_route
from modellint.analyzer.knowledge.never_suggested import first_party_names, squatters
from modellint.analyzer.knowledge.stdlib import stdlib_modules
from modellint.analyzer.knowledge.stdlib_data import MINORS
from modellint.analyzer.knowledge.variants import variant_of, variants

_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
MEMBERS_SHOWN = 20
# Where a layout came from, told first; then what the distribution is. `v` is told as the
# variant row itself.
_LAYOUT_FLAGS = "wstcgo"


def is_module_name(text: str) -> bool:
    return len(text) <= 512 and _DOTTED_NAME.fullmatch(text) is not None


def explain(module: str) -> dict[str, Any]:
    """The facts about ``module`` (a dotted import name; check it with :func:`is_module_name`)."""
    knowledge = distributions.load()
    top = module.split(".")[0]
    legend = distributions.flag_legend()
    route = install_route(module)
    explanation: dict[str, Any] = {
        "module": module,
        "knowledge_base": {"build_date": knowledge.build_date, "source": distributions.data_source()},
        "standard_library": _stdlib(top),
        "providers": [_provider(p.distribution, p.module, legend) for p in knowledge.provider_entries(module)],
        "namespace": _namespace(module),
        "suggestion": knowledge.suggest(module),
        "first_party_name": first_party_names().get(top),
        "install_route": None if route is None else {"module": route.module, "route": route.route, "source": route.source},
    }
    bases = {provider["distribution"] for provider in explanation["providers"]}
    explanation["variant_patterns"] = [{"pattern": variant.pattern, "base": variant.base, "source": variant.source}
                                       for variant in variants() if variant.is_pattern and variant.base in bases]
    if "." in module:
        explanation["top_level_providers"] = [_provider(p.distribution, p.module, legend) for p in knowledge.provider_entries(top)]
    explanation["why_no_suggestion"] = _why_no_suggestion(explanation)
    return explanation


def _stdlib(top: str) -> dict[str, Any]:
    pythons = [f"3.{minor}" for minor in MINORS if top in stdlib_modules((3, minor))]
    return {"pythons": pythons, "first": pythons[0] if pythons else None, "last": pythons[-1] if pythons else None,
            "latest_known": f"3.{MINORS[-1]}"}


def _provider(distribution: str, module: str, legend: dict[str, str]) -> dict[str, Any]:
    knowledge = distributions.load()
    flags = knowledge.flags(distribution)
    variant = variant_of(distribution) if "v" in flags else None
    ordered = [flag for flag in _LAYOUT_FLAGS if flag in flags] + [flag for flag in flags if flag not in _LAYOUT_FLAGS + "v"]
    return {
        "distribution": distribution,
        "module": module,
        "version": knowledge.version(distribution),
        "download_rank": knowledge.download_rank(distribution),
        "flags": flags,
        "learned": [legend.get(flag, flag) for flag in ordered],
        "variant_of": None if variant is None else {"base": variant.base, "pattern": variant.pattern, "source": variant.source},
        "squatter": squatters().get(distribution),
    }


def _namespace(module: str) -> dict[str, Any]:
    knowledge = distributions.load()
    members = knowledge.members(module)
    return {
        "is_namespace": knowledge.is_namespace(module),
        "owned": module in knowledge.modules(),
        "member_count": len(members),
        "members": list(members[:MEMBERS_SHOWN]),
    }


def _why_no_suggestion(explanation: dict[str, Any]) -> str | None:
    if explanation["suggestion"] is not None:
        return None
    if explanation["standard_library"]["pythons"]:
        return "a standard-library module: nothing to install on the Pythons that ship it"
    if explanation["first_party_name"] is not None:
        return "a first-party name (first_party_names.tsv): " + explanation["first_party_name"]
    if explanation["install_route"] is not None:
        return "no PyPI distribution provides it: it has an install route of its own (install_routes.tsv)"
    if explanation["namespace"]["is_namespace"]:
        return "a namespace many distributions fill: the import names which corner it needs"
    if explanation["providers"]:
        return ("every distribution recorded for it is a squatter, a guessed layout or a meta-package "
                "that ships no module")
    return "no distribution is recorded as installing it: probably the project's own code"
