"""``modellint explain-import NAME``: what the knowledge base says about an import name and why.

The facts come from :mod:`modellint.analyzer.knowledge.explain`; this module prints them as text
or as JSON (``--format json``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from modellint.analyzer.knowledge.explain import explain, is_module_name
from modellint.reports import printable

EXIT_CLEAN, EXIT_ERROR = 0, 2


def run(name: str, output_format: str) -> int:
    if not is_module_name(name):
        print(f"modellint: error: `{printable(name[:80])}` is not an import name (dotted identifiers: `google.cloud.storage`)",
              file=sys.stderr)
        return EXIT_ERROR
    explanation = explain(name)
    if output_format == "json":
        sys.stdout.write(json.dumps(explanation, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(render_text(explanation))
    return EXIT_CLEAN


def render_text(explanation: dict[str, Any]) -> str:
    module = explanation["module"]
    lines = [f"`{module}`", ""]
    stdlib = explanation["standard_library"]
    if stdlib["pythons"]:
        lines.append(f"Standard library: in CPython {_ranges(stdlib['pythons'])} (data up to {stdlib['latest_known']}).")
    else:
        lines.append(f"Standard library: no (in no CPython 3 version up to {stdlib['latest_known']}).")
    lines += ["", "Distributions recorded as installing it:"]
    lines += _providers(explanation["providers"])
    if "top_level_providers" in explanation and explanation["top_level_providers"] != explanation["providers"]:
        lines += ["", f"Distributions installing its top level `{module.split('.')[0]}`:"]
        lines += _providers(explanation["top_level_providers"])
    for variant in explanation["variant_patterns"]:
        lines.append(f"  and any distribution named `{variant['pattern']}`: a build of `{variant['base']}` "
                     f"(variants.tsv, {variant['source']})")
    namespace = explanation["namespace"]
    if namespace["member_count"]:
        what = "a namespace package" if namespace["is_namespace"] else "a package that other distributions install into"
        shown = ", ".join(namespace["members"]) + (", ..." if namespace["member_count"] > len(namespace["members"]) else "")
        lines += ["", f"Namespace: {what}; {namespace['member_count']} distributions install something inside it "
                      f"({shown}). Each provides only its own corner."]
    lines.append("")
    if explanation["suggestion"] is not None:
        lines.append(f"Suggested when missing: `{explanation['suggestion']}`.")
    else:
        lines.append(f"Suggested when missing: nothing ({explanation['why_no_suggestion']}).")
    route = explanation["install_route"]
    if route is not None:
        lines.append(f"Install route: `{route['module']}` {route['route']} (see {route['source']}).")
    knowledge = explanation["knowledge_base"]
    lines += ["", f"Knowledge base built {knowledge['build_date']} from {knowledge['source']}."]
    return "\n".join(lines) + "\n"


def _providers(providers: list[dict[str, Any]]) -> list[str]:
    if not providers:
        return ["  none"]
    lines = []
    for provider in providers:
        rank = f", download rank {provider['download_rank']}" if provider["download_rank"] else ""
        at = f" as `{provider['module']}`"
        lines.append(f"  {provider['distribution']} {provider['version'] or '?'}{at}{rank}")
        for fact in provider["learned"]:
            lines.append(f"      - {fact}")
        variant = provider["variant_of"]
        if variant is not None:
            lines.append(f"      - a build or fork of `{variant['base']}` (variants.tsv `{variant['pattern']}`, {variant['source']})")
        if provider["squatter"]:
            lines.append(f"      - squatter (squatters.tsv): {provider['squatter']}")
    return lines


def _ranges(pythons: list[str]) -> str:
    """``["3.2", "3.3", "3.5"]`` -> ``3.2-3.3, 3.5``."""
    minors = [int(python.split(".")[1]) for python in pythons]
    runs: list[list[int]] = []
    for minor in minors:
        if runs and minor == runs[-1][-1] + 1:
            runs[-1].append(minor)
        else:
            runs.append([minor])
    return ", ".join(f"3.{run[0]}" if len(run) == 1 else f"3.{run[0]}-3.{run[-1]}" for run in runs)
