"""No finding proposes a distribution the knowledge base does not record (issue 18, item 3).

PyPI names made up from a module's (`train-utils` for `train_utils`) are anyone's to register:
proposing one is how a dependency-confusion attack lands. The modules checked here are generated
from the data, not picked: every import name the knowledge base's own distributions suggest
(``a-b`` -> ``a_b``, and ``a.b`` inside a known namespace) that it records no provider for, and
the committed list of common first-party names. A model (and a training project) importing them
must get, in every output format, the first-party advice and no fix; every recorded non-PyPI
install route must reach the message.
"""

from __future__ import annotations

import json
import keyword
import re
from functools import lru_cache
from pathlib import Path

import pytest

from modellint.analyzer.code.import_resolution import any_stdlib
from modellint.analyzer.knowledge.distributions import load
from modellint.analyzer.knowledge.install_routes import install_routes
from modellint.cli import main
from modellint.rules._code_examples import code_model
from tests.conftest import write_files

FIRST_PARTY_NAMES = Path(__file__).parents[1] / "data" / "first_party_modules.txt"
ADVICE = ("modellint knows no distribution to propose for it, so it is probably the project's own code: ship its "
          "file or package with the model when saving (`code_paths=[...]` or `infer_code_paths=True`)")
# What the first-party advice and ML209 put between backticks besides the module: anything else
# would be a name.
ALLOWED_TOKENS = {"code_paths=[...]", "infer_code_paths=True", "save_model", "input_example"}
IMPORTS_PER_FILE = 400  # well under the 512 KiB per-file budget


def first_party_names() -> list[str]:
    lines = FIRST_PARTY_NAMES.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def unrecorded_modules() -> tuple[str, ...]:
    """The import names the knowledge base's distributions suggest that it records no provider
    for: the names an attacker registers, and the ones a name guess would have proposed."""
    knowledge, stdlib, routes = load(), any_stdlib(), install_routes()
    found: dict[str, None] = {}
    for distribution in knowledge.distributions():
        flat = distribution.replace("-", "_").replace(".", "_")
        dotted = distribution.replace("-", ".").replace("_", ".")
        candidates = [flat]
        if "." in dotted and knowledge.is_namespace(dotted.rsplit(".", 1)[0]):
            candidates.append(dotted)  # google-cloud-x -> google.cloud.x
        for module in candidates:
            parts = module.split(".")
            if (all(part.isidentifier() and not keyword.iskeyword(part) for part in parts)
                    and parts[0] not in stdlib and parts[0] not in routes and module not in routes
                    and not knowledge.providers(module)):
                found[module] = None
    return tuple(found)


def _import_files(modules: list[str]) -> dict[str, str]:
    chunks = [modules[start:start + IMPORTS_PER_FILE] for start in range(0, len(modules), IMPORTS_PER_FILE)]
    return {f"imports_{index}.py": "".join(f"import {module}\n" for module in chunk) for index, chunk in enumerate(chunks)}


def _outputs(target: Path, capsys) -> dict[str, str]:
    outputs = {}
    for output_format in ("json", "sarif", "full"):
        main([str(target), "--format", output_format, "--isolated"])
        outputs[output_format] = capsys.readouterr().out
    return outputs


def _module_of(message: str) -> str:
    return message.split("`", 2)[1]


def _assert_names_no_distribution(modules: list[str], outputs: dict[str, str], codes: set[str]) -> None:
    findings = json.loads(outputs["json"])["findings"]
    # ML201 reports a file's imports below one top-level name once (`a.b` and `a.c` are one fix)
    reported = {_module_of(finding["message"]).split(".")[0] for finding in findings if finding["code"] == "ML201"}
    assert not {module.split(".")[0] for module in modules} - reported, "missing modules not reported"
    for finding in findings:
        assert finding["code"] in codes, finding
        assert finding["fix"] is None, finding
        tokens = set(re.findall(r"`([^`]*)`", finding["message"])) - {_module_of(finding["message"])}
        assert tokens <= ALLOWED_TOKENS, finding["message"]
        if finding["code"] == "ML201":
            assert finding["message"].endswith(ADVICE), finding["message"]
    results = json.loads(outputs["sarif"])["runs"][0]["results"]
    assert (sorted(result["message"]["text"] for result in results)
            == sorted(f"{f['message']}. Fix: {f['fix_title']}" for f in findings))
    for finding in findings:  # the generic titles the rules declare, never a name
        assert set(re.findall(r"`([^`]*)`", finding["fix_title"])) <= {"code_paths", "input_example=", "extra_pip_requirements"}
    assert not any("fixes" in result for result in results)
    full = outputs["full"]
    assert "add `" not in full and "fix available" not in full and "fixes available" not in full
    for finding in findings:
        assert finding["message"] in full


def test_the_unrecorded_names_are_many_and_include_the_squatted_kind():
    modules = unrecorded_modules()
    assert len(modules) > 1000
    assert len(first_party_names()) >= 200
    assert not {"train_utils", "pipeline_utils", "custom_layers", "modeling", "tokenizer_utils"} - set(first_party_names())


def test_no_finding_names_a_distribution_for_an_unrecorded_module(tmp_path, monkeypatch, capsys):
    modules = list(unrecorded_modules())
    monkeypatch.chdir(tmp_path)
    model = write_files(tmp_path / "model", code_model(_import_files(modules)))
    _assert_names_no_distribution(modules, _outputs(model, capsys), {"ML201"})


def test_no_finding_names_a_distribution_for_a_first_party_name(tmp_path, monkeypatch, capsys):
    stdlib = any_stdlib()
    names = first_party_names()
    assert not [name for name in names if name in stdlib]
    monkeypatch.chdir(tmp_path)
    model = write_files(tmp_path / "model", code_model(_import_files(names)))
    _assert_names_no_distribution(names, _outputs(model, capsys), {"ML201"})


def test_a_training_project_names_no_distribution_for_a_first_party_name(tmp_path, monkeypatch, capsys):
    """A module imported at load that nothing known provides is written into the simulated
    requirements under a stand-in name (MLflow would write whatever provides it where the model
    trains): that name never reaches the output, not even as the "unless `x`, unknown to
    modellint, provides it" hint. Imported only in `predict` without an input example, the
    first-party names are reported by ML201 and ML209, naming no distribution either."""
    names = first_party_names()
    lazy = "".join(f"        import {name}\n" for name in names)
    script = ("import mlflow\nfrom mlflow.pyfunc import PythonModel\n\nimport loaded_zz_helpers\n\n\n"
              "class Wrapped(PythonModel):\n    def predict(self, context, model_input, params=None):\n"
              f"{lazy}        return loaded_zz_helpers.run(model_input)\n\n\n"
              "mlflow.pyfunc.save_model('model', python_model=Wrapped(), signature=signature)\n")
    monkeypatch.chdir(tmp_path)
    project = write_files(tmp_path / "project", {"save_wrapped.py": script})
    outputs = _outputs(project, capsys)
    for output in outputs.values():
        assert "loaded-zz-helpers" not in output and "unknown to modellint" not in output
    _assert_names_no_distribution(names, outputs, {"ML201", "ML209"})
    findings = json.loads(outputs["json"])["findings"]
    assert {_module_of(f["message"]) for f in findings if f["code"] == "ML209"} == set(names)


@pytest.mark.parametrize("module", sorted(install_routes()))
def test_every_install_route_reaches_the_message(module, tmp_path, monkeypatch, capsys):
    route = install_routes()[module]
    assert not load().providers(module), "a module a distribution provides has no non-PyPI route"
    monkeypatch.chdir(tmp_path)
    model = write_files(tmp_path / "model", code_model({"uses.py": f"import {module}.inner_zz\n"}))
    main([str(model), "--format", "json", "--isolated"])
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["code"] == "ML201" and finding["fix"] is None
    assert finding["message"].endswith(f": `{module}` {route.route} (see {route.source})")


def test_the_route_table_is_read_only_when_a_finding_needs_it(tmp_path, monkeypatch, capsys):
    install_routes.cache_clear()
    monkeypatch.chdir(tmp_path)
    clean = write_files(tmp_path / "clean", code_model({"uses.py": "import sklearn\n"}))
    known = write_files(tmp_path / "known", code_model({"uses.py": "import tabulate\n"}))
    assert main([str(clean), str(known), "--isolated"]) == 1
    assert install_routes.cache_info().currsize == 0
    unknown = write_files(tmp_path / "unknown", code_model({"uses.py": "import kaggle_secrets\n"}))
    main([str(unknown), "--isolated"])
    capsys.readouterr()
    assert install_routes.cache_info().currsize == 1


def _ml202_suggestions() -> list[tuple[str, tuple[tuple[str, ...], ...]]]:
    """Every (distribution, module options) ML202 can propose, from optional_deps' own tables."""
    from modellint.analyzer.code import optional_deps as deps

    found = [(need.suggestion, need.options) for need in [*deps._PANDAS_FIXED.values(), *deps._SOCKS_CLIENTS.values()]]
    found += [(distribution, ((module,),)) for module, distribution in deps._DISTRIBUTION_OF.items()]
    found += [(distribution, ((module,),)) for module, distribution in deps._FILESYSTEMS.values()]
    found += [(distribution, options) for options, distribution in deps._SQL_DRIVERS.values()]
    found += [("lxml", (("lxml",),)), ("sqlalchemy", (("sqlalchemy",),)), ("openpyxl", (("openpyxl",),))]
    return found


@pytest.mark.parametrize(("distribution", "options"), _ml202_suggestions())
def test_ml202_proposes_only_distributions_the_knowledge_base_records(distribution, options):
    knowledge = load()
    assert any(distribution in knowledge.providers(module) for group in options for module in group), (
        f"ML202 proposes `{distribution}`, which the knowledge base does not record as providing {options}")
