"""Build variants and forks provide their base's modules (issue 18, item 1), generated from the data.

For every row of ``variants.tsv`` (a pattern stands for a name of its own, unknown to the knowledge
base, and for every recorded distribution only it matches), a model declaring the variant and
importing, and unpickling from, every module the variant installs gets no ML201, ML207 or ML301.
What a variant installs is what its files contain where the knowledge base read them, else its
base's modules. A model declaring nothing gets ML201 naming the base, never a variant, unless no
base provides the module.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from modellint.analyzer.knowledge.distributions import load
from modellint.analyzer.knowledge.variants import parse_variants, variant_of, variants
from modellint.cli import main
from modellint.rules._code_examples import code_model
from modellint.rules._serialized_examples import instance_pickle
from tests.conftest import write_files

# The false ML201s issue 18 reported: each must be one of the generated cases.
REPORTED = {("cuml-cu12", "cuml"), ("cudf-cu12", "cudf"), ("tensorrt-cu12", "tensorrt"),
            ("paddlepaddle-gpu", "paddle"), ("mxnet-cu112", "mxnet"), ("nmslib-metabrainz", "nmslib")}
UNKNOWN_PART = "zz9"  # what a pattern's `*` becomes: a name no index records


def _importable(module: str) -> bool:
    return not module.startswith("_") and all(part.isidentifier() for part in module.split("."))


def installs(distribution: str) -> tuple[str, ...]:
    """The modules ``distribution`` installs: its files' where recorded, else its base's; for a
    meta-package (``tensorrt``), those of its dependencies it is the documented name of."""
    knowledge = load()
    base = knowledge.variant_base(distribution)
    installer = base if base is not None else distribution
    modules = knowledge.top_level_modules(installer)
    if not modules:
        modules = tuple(module for name in knowledge.closure([(installer, frozenset())])
                        for module in knowledge.top_level_modules(name) if knowledge.suggest(module) == installer)
    return tuple(sorted({module for module in modules if _importable(module)}))


@lru_cache(maxsize=1)
def cases() -> tuple[tuple[str, str], ...]:
    """(declared variant, its base) for every row, every recorded distribution a pattern covers,
    and every base (itself)."""
    knowledge = load()
    found = {variant.base: variant.base for variant in variants()}
    for variant in variants():
        if variant.is_pattern:
            found[variant.pattern.replace("*", UNKNOWN_PART)] = variant.base
        else:
            found.setdefault(variant.pattern, variant.base)
    for distribution in knowledge.distributions():
        variant = variant_of(distribution)
        if variant is not None:
            found.setdefault(distribution, variant.base)
    return tuple(sorted(found.items()))


def _findings(model: Path, capsys) -> list[dict]:
    main([str(model), "--format", "json", "--isolated"])
    return json.loads(capsys.readouterr().out)["findings"]


def test_the_cases_cover_the_reported_ones_and_every_row():
    covered = {(variant, module) for variant, _ in cases() for module in installs(variant)}
    assert REPORTED <= covered
    assert {base for _, base in cases()} == {variant.base for variant in variants()}
    assert all(installs(variant) for variant, _ in cases()), "a variant that installs nothing is no variant"


@pytest.mark.parametrize(("variant", "base"), cases())
def test_a_declared_variant_provides_its_modules(variant, base, tmp_path, monkeypatch, capsys):
    modules = installs(variant)
    code = "".join(f"import {module}\n" for module in modules)
    pickles = {f"artifacts/{index}.pkl": instance_pickle(module, "Thing") for index, module in enumerate(modules)}
    monkeypatch.chdir(tmp_path)
    model = write_files(tmp_path / "model", code_model({"uses.py": code}, variant, root_files=pickles))
    findings = _findings(model, capsys)
    assert not [f for f in findings if f["code"] in {"ML201", "ML207", "ML301"}], (variant, base, findings)


@pytest.mark.parametrize("base", sorted({variant.base for variant in variants()}))
def test_a_missing_module_names_the_base_not_a_variant(base, tmp_path, monkeypatch, capsys):
    knowledge = load()
    installed = knowledge.closure([(base, frozenset())])
    modules = sorted({module for variant, of in cases() if of == base for module in installs(variant)})
    monkeypatch.chdir(tmp_path)
    # one file per module: ML201 reports the imports of one file that one distribution fixes once
    code = {f"uses_{index}.py": f"import {module}\n" for index, module in enumerate(modules)}
    model = write_files(tmp_path / "model", code_model(code))
    messages = {f["message"].split("`", 2)[1]: f["message"] for f in _findings(model, capsys) if f["code"] == "ML201"}
    for module in modules:
        brought = any(module in knowledge.top_level_modules(name) for name in installed)
        named = messages[module].rsplit("add `", 1)[1].split("`", 1)[0]
        if brought:
            assert named == base, messages[module]
        else:  # only variants provide it: one of them, the best, is the suggestion
            assert named == knowledge.suggest(module) and named in knowledge.providers(module), messages[module]


def test_a_variant_whose_files_were_read_provides_exactly_them():
    """``tensorrt-cu12-bindings`` installs ``tensorrt_bindings``: its files, not the table, decide."""
    knowledge = load()
    assert knowledge.variant_base("tensorrt-cu12-bindings") is None
    assert knowledge.variant_base("tensorflow-gpu") == "tensorflow"  # its newest release ships no module
    assert knowledge.variant_base("cuml-cu99") == "cuml-cu12"  # a name only a pattern covers
    assert knowledge.variant_base("cudf-polars-cu12") is None  # `*` is one name part, not any text


def test_the_variant_table_is_read_only_when_a_declared_requirement_needs_it(tmp_path, monkeypatch, capsys):
    variants.cache_clear()
    monkeypatch.chdir(tmp_path)
    clean = write_files(tmp_path / "clean", code_model({"uses.py": "import sklearn\nimport cuml\n"}, "cuml-cu12"))
    assert not [f for f in _findings(clean, capsys) if f["code"] == "ML201"]
    assert variants.cache_info().currsize == 0
    stub = write_files(tmp_path / "stub", code_model({"uses.py": "import tensorflow\n"}, "tensorflow-gpu"))
    assert not [f for f in _findings(stub, capsys) if f["code"] == "ML201"]
    assert variants.cache_info().currsize == 1


@pytest.mark.parametrize("text", ["cuml-cu*\tcuml-cu*\tsource\n", "Cuml_CU12\tcuml\tsource\n", "cuml\tcuml\n"])
def test_a_broken_row_is_refused(text):
    with pytest.raises(ValueError, match="variants.tsv:1"):
        parse_variants(text)
