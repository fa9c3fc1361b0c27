"""Namespace-exact provision (issue 18, item 2), generated over the knowledge base's namespaces.

A declared requirement provides exactly what its files contain: the modules it installs and the
packages they sit in, never a sibling corner of the same namespace, including the corners MLflow's
own dependencies fill (``google.protobuf`` through protobuf does not make ``google.cloud.storage``
available).
"""

from __future__ import annotations

import itertools
import json
from functools import lru_cache
from pathlib import Path

from modellint.analyzer.environment.declared import DeclaredEnvironment
from modellint.analyzer.environment.requirements import parse_requirements_text
from modellint.analyzer.knowledge.distributions import load
from modellint.cli import main
from modellint.rules._code_examples import code_model
from tests.conftest import write_files

CORNERS_PER_NAMESPACE = 5  # sibling pairs per namespace: 20 at most


def declared(*requirements: str) -> DeclaredEnvironment:
    lines = parse_requirements_text("".join(f"{name}\n" for name in requirements), Path("requirements.txt")).lines
    return DeclaredEnvironment(lines, None, load())


@lru_cache(maxsize=1)
def namespaces() -> dict[str, tuple[str, ...]]:
    """Every package at least two distributions install something inside -> its recorded corners
    (the modules below it that a distribution installs), from the data file's module index."""
    knowledge = load()
    corners: dict[str, dict[str, None]] = {}
    for module in knowledge.modules():
        parts = module.split(".")
        for depth in range(1, len(parts)):
            corners.setdefault(".".join(parts[:depth]), {})[module] = None
    return {namespace: tuple(found) for namespace, found in sorted(corners.items())
            if len(knowledge.members(namespace)) >= 2}


@lru_cache(maxsize=1)
def sibling_cases() -> tuple[tuple[str, str, str, str], ...]:
    """(namespace, declared distribution, the corner it installs, a sibling corner it does not
    install, not even through its dependencies, nor anything inside it)."""
    knowledge, found = load(), []
    for namespace, corners in namespaces().items():
        for corner, sibling in itertools.permutations(corners[:CORNERS_PER_NAMESPACE], 2):
            if sibling.startswith(corner + ".") or corner.startswith(sibling + "."):
                continue
            distribution = knowledge.providers(corner)[0]
            installed = knowledge.closure([(distribution, frozenset())])
            parts = sibling.split(".")
            holders = {d for depth in range(1, len(parts) + 1) for d in knowledge.providers(".".join(parts[:depth]))
                       if ".".join(parts[:depth]) in knowledge.modules()}
            if not (holders | set(knowledge.members(sibling))) & installed.keys():
                found.append((namespace, distribution, corner, sibling))
    return tuple(found)


def test_the_namespaces_are_the_known_ones_and_many():
    found = namespaces()
    assert {"google", "google.cloud", "azure", "azure.storage", "opentelemetry"} <= found.keys()
    assert len(found) > 100 and len(sibling_cases()) > 500


def test_a_declared_corner_provides_itself_and_its_namespace_never_a_sibling():
    environments: dict[str, DeclaredEnvironment] = {}
    for namespace, distribution, corner, sibling in sibling_cases():
        environment = environments.setdefault(distribution, declared(distribution))
        assert environment.provision(corner) is not None, (distribution, corner)
        assert environment.provision(namespace) is not None, (distribution, namespace)
        assert environment.provision(sibling) is None, (distribution, sibling)


def test_mlflow_fills_the_google_corners_its_dependencies_install_and_no_other():
    knowledge, environment = load(), declared("mlflow")
    assert environment.provision("google.protobuf").chain[-1] == "protobuf"
    assert environment.provision("google") is not None  # protobuf puts google/ on the path
    corners = [module for module in knowledge.modules() if module.startswith("google.")]
    assert len(corners) > 100
    for corner in corners:
        installs = any(d in environment.installed for d in knowledge.providers(corner))
        assert (environment.provision(corner) is not None) == installs, corner
    for unrecorded in ("google.cloud.bigquery.table", "google.genai", "google.surely_not_recorded"):
        assert environment.provision(unrecorded) is None, unrecorded


def test_from_imports_need_the_corner_whoever_owns_the_package(tmp_path, monkeypatch, capsys):
    """``azure.storage`` belongs to the old azure-storage-nspkg, ``phoenix`` to arize-phoenix: a
    model importing ``blob`` and ``otel`` from them needs the distributions that install those."""
    code = {"a.py": "from azure.storage import blob\nimport azure.storage\n",
            "b.py": "from phoenix import otel\n",
            "c.py": "from google.cloud import storage, bigquery\n"}
    monkeypatch.chdir(tmp_path)
    model = write_files(tmp_path / "model", code_model(code, "azure-storage-blob", "arize-phoenix-otel", "google-cloud-storage"))
    main([str(model), "--format", "json", "--isolated"])
    findings = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] != "ML106"]
    assert [(f["code"], f["path"], f["message"].split("`")[1]) for f in findings] == [("ML201", "model/code/c.py", "google.cloud.bigquery")]
    assert "add `google-cloud-bigquery`" in findings[0]["message"]
