"""known-first-party and module-distributions: config keys, CLI flags, and what the rules do with them."""

from __future__ import annotations

import pickle

import pytest

from modellint.analyzer.environment.environment_settings import EnvironmentSettings
from modellint.analyzer.model_dir import ModelDir
from modellint.cli import main
from modellint.config import ConfigError, Settings, apply_config
from modellint.engine import lint_targets
from modellint.project_mode import lint_project
from modellint.rules import ALL_RULES, rule_class
from modellint.rules._code_examples import code_model
from modellint.rules._examples import MLMODEL, model_files
from modellint.rules._serialized_examples import instance_pickle
from modellint.selection import RuleSelection
from modellint.targets import discover
from tests.conftest import write_files

_CODE = {"a.py": "import acme_utils\nimport acme_private.sub\n"}
FIRST_PARTY = EnvironmentSettings(known_first_party=("acme_private", "acme_utils"))
MAPPED = EnvironmentSettings(module_distributions=(("acme_utils", "Acme.Utils"),))


def _codes(model: ModelDir, code: str) -> list[str]:
    return [finding.message for finding in rule_class(code)().check(model)]


def test_known_first_party_is_never_missing_for_ml201(tmp_path):
    root = write_files(tmp_path / "m", code_model(_CODE))
    assert len(_codes(ModelDir(root), "ML201")) == 2
    assert _codes(ModelDir(root, settings=FIRST_PARTY), "ML201") == []
    # A package covers its submodules, not its siblings.
    only = ModelDir(root, settings=EnvironmentSettings(known_first_party=("acme_private.sub",)))
    assert ["acme_utils" in message for message in _codes(only, "ML201")] == [True]


def test_a_mapped_module_needs_its_distribution_declared_and_the_fix_writes_that_name(tmp_path):
    root = write_files(tmp_path / "m", code_model({"a.py": "import acme_utils.io\n"}))
    model = ModelDir(root, settings=MAPPED)
    (finding,) = rule_class("ML201")().check(model)
    assert "add `acme-utils` to the requirements" in finding.message and "guess" not in finding.message
    assert finding.fix is not None and "acme-utils" in finding.fix.title
    declared = write_files(tmp_path / "d", code_model({"a.py": "import acme_utils.io\n"}, "acme-utils==1.2"))
    assert _codes(ModelDir(declared, settings=MAPPED), "ML201") == []


def test_a_mapping_overrides_the_knowledge_base(tmp_path):
    # cv2 is opencv-python's by default; the deployment says its headless build provides it.
    settings = EnvironmentSettings(module_distributions=(("cv2", "opencv-python-headless"),))
    root = write_files(tmp_path / "m", code_model({"a.py": "import cv2\n"}, "opencv-python==4.10.0.84"))
    assert _codes(ModelDir(root), "ML201") == []
    (message,) = _codes(ModelDir(root, settings=settings), "ML201")
    assert "opencv-python-headless" in message


def test_known_first_party_silences_ml301_and_ml005(tmp_path):
    files = model_files(**{"artifacts/extra.pkl": instance_pickle("acme_private.models", "Model")})
    root = write_files(tmp_path / "pkl", files)
    assert len(_codes(ModelDir(root), "ML301")) == 1
    assert _codes(ModelDir(root, settings=FIRST_PARTY), "ML301") == []
    loader = write_files(tmp_path / "loader", model_files(
        MLmodel=MLMODEL.replace("loader_module: mlflow.sklearn", "loader_module: acme_private.loader")))
    assert len(_codes(ModelDir(loader), "ML005")) == 1
    assert _codes(ModelDir(loader, settings=FIRST_PARTY), "ML005") == []



def test_the_environment_provides_what_is_declared_or_first_party(tmp_path):
    environment = ModelDir(write_files(tmp_path / "m", code_model(_CODE, "tabulate==0.9.0")),
                           settings=FIRST_PARTY).environment
    assert environment.provides("tabulate") and environment.provision("tabulate") is not None
    assert environment.provides("acme_private.sub") and environment.provision("acme_private.sub") is None
    assert not environment.provides("acme_other")


def test_training_projects_honour_the_settings(tmp_path):
    train = ("import mlflow\nfrom mlflow.pyfunc import PythonModel\n\n\nclass M(PythonModel):\n"
             "    def predict(self, context, model_input, params=None):\n        import acme_utils\n"
             "        return acme_utils.run(model_input)\n\n\n"
             "mlflow.pyfunc.save_model('m', python_model=M(), pip_requirements=['mlflow==3.17.2'])\n")
    root = write_files(tmp_path / "p", {"train.py": train})
    assert [f.code for f in lint_project(root, ALL_RULES) if f.code == "ML201"] == ["ML201"]
    assert [f.code for f in lint_project(root, ALL_RULES, FIRST_PARTY) if f.code == "ML201"] == []
    (mapped,) = [f for f in lint_project(root, ALL_RULES, MAPPED) if f.code == "ML201"]
    assert "`acme-utils`" in mapped.message


def test_worker_processes_get_the_settings(tmp_path):
    # 48 targets start the process pool; the settings travel with each batch, pickled.
    assert pickle.loads(pickle.dumps(FIRST_PARTY)) == FIRST_PARTY
    for index in range(48):
        write_files(tmp_path / f"m{index:02d}", code_model(_CODE))
    targets = discover([tmp_path])
    selection = RuleSelection(select=["ML201"])
    report = lint_targets(targets, selection.enabled_rules(), selection, base=tmp_path, jobs=2, settings=FIRST_PARTY)
    assert len(targets) == 48 and report.findings == [] and report.failures == []
    report = lint_targets(targets, selection.enabled_rules(), selection, base=tmp_path, jobs=2)
    assert len(report.findings) == 96


@pytest.mark.parametrize(("table", "message"), [
    ({"known-first-party": ["acme-utils"]}, "not a module name"),
    ({"known-first-party": [3]}, "must be a list of strings"),
    ({"known-first-party": {"a": "b"}}, "must be a list of strings"),
    ({"module-distributions": ["acme_utils"]}, "must be a table"),
    ({"module-distributions": {"acme_utils": 3}}, "must name a distribution"),
    ({"module-distributions": {"acme_utils": "acme utils"}}, "must name a distribution"),
    ({"module-distributions": {"acme utils": "acme-utils"}}, "not a module name"),
])
def test_invalid_values_are_config_errors_naming_the_file(tmp_path, table, message):
    source = tmp_path / "modellint.toml"
    with pytest.raises(ConfigError, match=message) as raised:
        apply_config(Settings(), table, source)
    assert str(raised.value).startswith(str(source))


def test_valid_values_become_one_hashable_setting(tmp_path):
    settings, warnings = apply_config(Settings(), {"known-first-party": ["b", "a.x", "b"],
                                                   "module-distributions": {"acme_utils": "acme-utils"}},
                                      tmp_path / "modellint.toml")
    assert warnings == []
    assert settings.environment_settings() == EnvironmentSettings(("a.x", "b"), (("acme_utils", "acme-utils"),))
    assert hash(settings.environment_settings())


def test_the_command_line_sets_and_overrides(tmp_path, monkeypatch, capsys):
    root = write_files(tmp_path / "m", code_model(_CODE))
    (tmp_path / "cfg.toml").write_text('known-first-party = ["acme_private"]\n')
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(root), "--isolated", "--format", "concise"]) == 1
    assert main(["check", str(root), "--isolated", "--known-first-party", "acme_utils,acme_private"]) == 0
    assert main(["check", str(root), "--config", "cfg.toml", "--format", "concise"]) == 1  # acme_utils left
    assert main(["check", str(root), "--config", "cfg.toml", "--known-first-party", "acme_utils,acme_private"]) == 0
    capsys.readouterr()
    assert main(["check", str(root), "--isolated", "--known-first-party", "acme_private",
                 "--module-distribution", "acme_utils=acme-utils", "--format", "concise"]) == 1
    assert "add `acme-utils` to the requirements" in capsys.readouterr().out
    assert main(["check", str(root), "--isolated", "--known-first-party", "acme-utils"]) == 2
    assert main(["check", str(root), "--isolated", "--module-distribution", "acme_utils"]) == 2
    assert "modellint: error: --module-distribution" in capsys.readouterr().err
