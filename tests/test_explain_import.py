"""`modellint explain-import NAME`: the knowledge about one import name, as text and as JSON."""

from __future__ import annotations

import json

import pytest

from modellint.analyzer.knowledge.distributions import build_date, load
from modellint.analyzer.knowledge.install_routes import install_routes
from modellint.analyzer.knowledge.never_suggested import first_party_names, squatters
from modellint.analyzer.knowledge.variants import variants
from modellint.cli import main


def _json(name: str, capsys) -> dict:
    assert main(["explain-import", name, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_variant_family_shows_each_provider_how_it_was_learned_and_the_base(capsys):
    explanation = _json("cuml", capsys)
    providers = {p["distribution"]: p for p in explanation["providers"]}
    assert {"cuml-cu12", "cuml-cu13"} <= providers.keys()
    assert providers["cuml-cu12"]["learned"] == ["layout from a wheel"] and providers["cuml-cu12"]["variant_of"] is None
    assert providers["cuml-cu13"]["variant_of"]["base"] == "cuml-cu12"
    assert explanation["suggestion"] == "cuml-cu12" and explanation["why_no_suggestion"] is None
    assert {"pattern": "cuml-cu*", "base": "cuml-cu12", "source": "https://docs.rapids.ai/install/#pip"} in explanation["variant_patterns"]
    assert explanation["knowledge_base"]["build_date"] == build_date()
    assert explanation["standard_library"]["pythons"] == []
    assert main(["explain-import", "cuml"]) == 0
    text = capsys.readouterr().out
    assert "cuml-cu13 " in text and "layout from a wheel" in text and "a build or fork of `cuml-cu12`" in text
    assert "Suggested when missing: `cuml-cu12`." in text and f"Knowledge base built {build_date()}" in text


def test_a_namespace_corner_and_its_namespace(capsys):
    corner = _json("google.cloud.storage", capsys)
    assert [p["distribution"] for p in corner["providers"]] == ["google-cloud-storage"]
    assert corner["top_level_providers"] == [] and corner["suggestion"] == "google-cloud-storage"
    namespace = _json("google.cloud", capsys)
    assert namespace["namespace"]["is_namespace"] and not namespace["namespace"]["owned"]
    assert namespace["namespace"]["member_count"] > 50 and namespace["suggestion"] is None
    assert "namespace" in namespace["why_no_suggestion"]
    owned = _json("azure.storage", capsys)["namespace"]
    assert owned["owned"] and not owned["is_namespace"] and "azure-storage-blob" in owned["members"]


def test_standard_library_ranges(capsys):
    assert _json("asyncore", capsys)["standard_library"]["last"] == "3.11"
    assert _json("tomllib", capsys)["standard_library"]["first"] == "3.11"
    main(["explain-import", "asyncore"])
    assert "in CPython 3.2-3.11" in capsys.readouterr().out


def test_every_curated_name_tells_its_table(capsys):
    """Generated from the tables: each first-party name, squatter and install route shows why."""
    from modellint.analyzer.knowledge.explain import explain

    for name, reason in first_party_names().items():
        explanation = explain(name)
        assert explanation["suggestion"] is None and explanation["first_party_name"] == reason
    for module, route in install_routes().items():
        explanation = explain(module)
        assert explanation["install_route"]["route"] == route.route and explanation["suggestion"] is None
    knowledge = load()
    for distribution, reason in squatters().items():
        for module in knowledge.top_level_modules(distribution):
            flagged = [p for p in explain(module)["providers"] if p["distribution"] == distribution]
            assert flagged and flagged[0]["squatter"] == reason and "q" in flagged[0]["flags"]
    for variant in variants():
        if not variant.is_pattern:
            for module in knowledge.top_level_modules(variant.pattern):
                providers = {p["distribution"]: p for p in explain(module)["providers"]}
                assert providers[variant.pattern]["variant_of"]["base"] == variant.base


@pytest.mark.parametrize("name", ["", "not a module", "a..b", "1abc", "x" * 600, "a\x1b[2Jb"])
def test_a_name_that_is_no_import_name_is_a_usage_error(name, capsys):
    assert main(["explain-import", name]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "is not an import name" in captured.err and "\x1b" not in captured.err
