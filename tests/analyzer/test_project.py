"""Training-project mode: finding the save/log calls, following the model's code, simulating the
model MLflow would write, and parsing only the files that can matter."""

from __future__ import annotations

import ast

import pytest

from modellint.analyzer.project.simulation import training_calls
from modellint.findings import Severity
from modellint.project_mode import lint_project
from modellint.rules import ALL_RULES
from tests.conftest import write_files

_DOUBLER = """\
from mlflow.pyfunc import PythonModel


class Doubler(PythonModel):
    def predict(self, context, model_input, params=None):
        return [2 * v for v in model_input]
"""


def _lint(root):
    return [(finding.code, finding.path.relative_to(root).as_posix(), finding.span.line, finding.severity)
            for finding in lint_project(root, ALL_RULES)]


def _loud(root):
    return [(code, path, line) for code, path, line, severity in _lint(root) if severity >= Severity.WARNING]


# --------------------------------------------------------------------------- finding the calls


@pytest.mark.parametrize(("source", "flavor", "function"), [
    ("import mlflow as mf\n\nmf.pyfunc.save_model('m', python_model=M())\n", "pyfunc", "save_model"),
    ("from mlflow import pyfunc\n\npyfunc.log_model(name='m', python_model=M())\n", "pyfunc", "log_model"),
    ("from mlflow.sklearn import log_model\n\nlog_model(clf, name='m')\n", "sklearn", "log_model"),
    ("from mlflow.sklearn import save_model as keep\n\nkeep(clf, 'm')\n", "sklearn", "save_model"),
    ("import mlflow.pyfunc as mp\n\nmp.log_model('m', python_model=M())\n", "pyfunc", "log_model"),
    ("import mlflow.pyfunc\n\nmlflow.pyfunc.save_model('m', python_model=M())\n", "pyfunc", "save_model"),
    ("import mlflow\n\nsave = mlflow.lightgbm.save_model\nsave(booster, 'm')\n", "lightgbm", "save_model"),
])
def test_calls_are_found_under_any_alias(tmp_path, source, flavor, function):
    root = write_files(tmp_path / "p", {"train.py": source})
    (call,) = [training.call for training in training_calls(root)]
    assert (call.flavor, call.function) == (flavor, function)
    assert call.span.line == source.count("\n")


def test_a_method_of_the_same_name_is_not_a_call(tmp_path):
    root = write_files(tmp_path / "p", {"train.py": "import mlflow\n\ntracker.log_model('m')\nmlflow.log_model = 1\n"})
    assert training_calls(root) == []


def test_literal_arguments_follow_names_bound_once(tmp_path):
    root = write_files(tmp_path / "p", {"train.py": (
        "import mlflow\n\nREQS = ['pandas==2.2.3']\n"
        "mlflow.pyfunc.save_model('m', python_model=M(), pip_requirements=REQS, code_paths=paths())\n")})
    (training,) = training_calls(root)
    assert training.call.literal("pip_requirements").plain() == ["pandas==2.2.3"]
    assert training.call.literal("pip_requirements").span.line == 3
    assert not training.call.literal("code_paths").known


# --------------------------------------------------------------------------- the model's code


def test_python_model_from_an_imported_module_must_be_shipped(tmp_path):
    train = ("import mlflow\nfrom models.doubler import Doubler\n\n"
             "mlflow.pyfunc.save_model('m', python_model=Doubler(), input_example=[1]{extra})\n")
    files = {"models/__init__.py": "", "models/doubler.py": _DOUBLER}
    root = write_files(tmp_path / "missing", {**files, "train.py": train.replace("{extra}", "")})
    (training,) = training_calls(root)
    assert (training.model_code.kind, training.model_code.module) == ("class", "models.doubler")
    assert _loud(root) == [("ML301", "train.py", 4)]
    shipped = write_files(tmp_path / "shipped", {**files, "train.py": train.replace("{extra}", ", code_paths=['models']")})
    assert _loud(shipped) == []


def test_first_party_imports_of_the_model_module_are_followed(tmp_path):
    """The class's module imports a helper that imports tabulate at module level: loading the
    model imports it, so inference sees it (no finding) when the package is shipped."""
    root = write_files(tmp_path / "p", {
        "pkg/__init__.py": "",
        "pkg/model.py": "from mlflow.pyfunc import PythonModel\n\nfrom pkg.helpers import render\n\n\n"
                        "class Table(PythonModel):\n    def predict(self, context, model_input, params=None):\n"
                        "        return render(model_input)\n",
        "pkg/helpers.py": "import tabulate\n\n\ndef render(rows):\n    return tabulate.tabulate(rows)\n",
        "train.py": "import mlflow\nfrom pkg.model import Table\n\n"
                    "mlflow.pyfunc.save_model('m', python_model=Table(), code_paths=['pkg'])\n",
    })
    assert _loud(root) == []
    handwritten = write_files(tmp_path / "q", {
        **{name: (tmp_path / "p" / name).read_text() for name in ("pkg/__init__.py", "pkg/model.py", "pkg/helpers.py")},
        "train.py": "import mlflow\nfrom pkg.model import Table\n\nmlflow.pyfunc.save_model('m', python_model=Table(), "
                    "code_paths=['pkg'], pip_requirements=['cloudpickle==3.1.2'])\n",
    })
    assert _loud(handwritten) == [("ML201", "pkg/helpers.py", 1)]


@pytest.mark.parametrize(("entry", "expected"), [
    ("src/utils.py", [("ML203", "train.py", 8)]),
    ("src", []),
    ("src/", []),
])
def test_code_paths_file_versus_directory(tmp_path, entry, expected):
    root = write_files(tmp_path / "p", {
        "src/__init__.py": "",
        "src/utils.py": "def double(v):\n    return [2 * x for x in v]\n",
        "train.py": "import mlflow\nfrom mlflow.pyfunc import PythonModel\n\n\nclass Doubler(PythonModel):\n"
                    "    def predict(self, context, model_input, params=None):\n"
                    "        # the import runs in predict, from code/ on the serving side\n"
                    "        from src.utils import double\n\n        return double(model_input)\n\n\n"
                    f"mlflow.pyfunc.save_model('m', python_model=Doubler(), code_paths=[{entry!r}], input_example=[1])\n",
    })
    lines = {line for _, _, line in _loud(root)}
    assert _loud(root) == [(code, path, line) for code, path, line in expected], lines


def test_of_a_vendored_package_only_what_the_model_can_import_is_judged(tmp_path):
    # `code_paths=["vendored"]` ships a whole package: its tests and its scripts too. As in the
    # model dir MLflow writes, only the modules the by-value class's imports reach are judged:
    # the tests' pytest is never imported by loading or predicting, the core module's tabulate is.
    root = write_files(tmp_path / "p", {
        "vendored/__init__.py": "from vendored import core\n",
        "vendored/core.py": "import tabulate\n\n\ndef double(v):\n    return [2 * x for x in v]\n",
        "vendored/tests/__init__.py": "",
        "vendored/tests/conftest.py": "import pytest\nimport hypothesis\n",
        "vendored/scripts/release.py": "import twine\n",
        "train.py": "import mlflow\nfrom mlflow.pyfunc import PythonModel\n\n\nclass Doubler(PythonModel):\n"
                    "    def predict(self, context, model_input, params=None):\n"
                    "        import vendored\n\n        return vendored.core.double(model_input)\n\n\n"
                    "mlflow.pyfunc.save_model('m', python_model=Doubler(), code_paths=['vendored'], input_example=[1],\n"
                    "                         pip_requirements=['cloudpickle==3.1.2'])\n",
    })
    assert _loud(root) == [("ML201", "vendored/core.py", 1)]


def test_code_paths_climbing_out_is_ml204_at_the_literal(tmp_path):
    root = write_files(tmp_path / "p", {
        "src/utils.py": "X = 1\n",
        "job/train.py": "import mlflow\n\nmlflow.pyfunc.save_model('m', python_model=M(),\n"
                        "                         code_paths=['../src'])\n",
    })
    findings = [finding for finding in lint_project(root / "job", ALL_RULES) if finding.code == "ML204"]
    assert [(f.path.name, f.span.line, f.span.column) for f in findings] == [("train.py", 4, 38)]


def test_code_paths_built_from_the_script_location_are_fine(tmp_path):
    root = write_files(tmp_path / "p", {
        "src/__init__.py": "",
        "src/utils.py": "def double(v):\n    return v\n",
        "job/train.py": "import os\n\nimport mlflow\nfrom mlflow.pyfunc import PythonModel\n\n\nclass D(PythonModel):\n"
                        "    def predict(self, context, model_input, params=None):\n"
                        "        from src.utils import double\n\n        return double(model_input)\n\n\n"
                        "HERE = os.path.dirname(os.path.abspath(__file__))\n"
                        "mlflow.pyfunc.save_model('m', python_model=D(), input_example=[1],\n"
                        "                         code_paths=[os.path.join(HERE, '..', 'src')])\n",
    })
    (training,) = training_calls(root / "job")
    (entry,) = training.code_paths
    assert entry.anchored and not entry.outside_project and entry.copied_as == "src"
    assert _loud(root / "job") == []


@pytest.mark.parametrize("expression", [
    "os.path.join(os.path.dirname(__file__), '..', 'src')",
    "os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src')",
    "str(Path(__file__).resolve().parent.parent / 'src')",
    "Path(__file__).parent.joinpath('..', 'src')",
    "osp.join(HERE, '..', 'src')",
])
def test_path_spellings_anchored_on_the_script(tmp_path, expression):
    root = write_files(tmp_path / "p", {"job/train.py": (
        "import os\nimport os.path as osp\nfrom pathlib import Path\n\nimport mlflow\n\n"
        "HERE = os.path.dirname(__file__)\n"
        f"mlflow.pyfunc.save_model('m', python_model=M(), code_paths=[{expression}])\n")})
    (training,) = training_calls(root / "job")
    literal = training.call.literal("code_paths").value[0]
    assert literal.anchored and literal.value == str(tmp_path / "p" / "src")


def test_a_path_from_the_working_directory_is_not_literal(tmp_path):
    root = write_files(tmp_path / "p", {"train.py": (
        "import os\n\nimport mlflow\n\n"
        "mlflow.pyfunc.save_model('m', python_model=M(), code_paths=[os.path.join(os.getcwd(), 'src')])\n")})
    (training,) = training_calls(root)
    assert not training.call.literal("code_paths").value[0].known
    assert training.code_paths == ()


# --------------------------------------------------------------------------- requirement inference


_LAZY = """\
import mlflow
from mlflow.pyfunc import PythonModel


class Table(PythonModel):
    def predict(self, context, model_input, params=None):
        import tabulate

        return tabulate.tabulate([model_input])


mlflow.pyfunc.save_model("m", python_model=Table(){arguments})
"""


@pytest.mark.parametrize(("arguments", "expected"), [
    ("", [("ML201", "train.py", 7), ("ML209", "train.py", 12)]),
    (", input_example=[1, 2]", []),
    (", extra_pip_requirements=['tabulate==0.9.0']", []),
    (", pip_requirements=['cloudpickle==3.1.2', 'tabulate==0.9.0']", []),
    (", pip_requirements=['cloudpickle==3.1.2'], input_example=[1]", [("ML201", "train.py", 7)]),
])
def test_lazy_imports_need_an_input_example_or_explicit_requirements(tmp_path, arguments, expected):
    root = write_files(tmp_path / "p", {"train.py": _LAZY.replace("{arguments}", arguments)})
    assert _loud(root) == expected


@pytest.mark.parametrize(("arguments", "expected"), [
    (", input_example=[1]", []),
    ("", [("ML201", "src/utils.py", 1), ("ML209", "train.py", 12)]),
])
def test_a_module_imported_in_predict_brings_its_imports_into_predict(tmp_path, arguments, expected):
    """`from src.utils import render` inside predict runs src/utils.py's `import tabulate` then:
    inference sees it only by predicting on the input example."""
    root = write_files(tmp_path / "p", {
        "src/__init__.py": "",
        "src/utils.py": "import tabulate\n\n\ndef render(rows):\n    return tabulate.tabulate(rows)\n",
        "train.py": _LAZY.replace("import tabulate\n\n        return tabulate.tabulate([model_input])",
                                  "from src.utils import render\n\n        return render([model_input])")
                         .replace("{arguments}", ", code_paths=['src']" + arguments),
    })
    assert _loud(root) == expected


def test_mlflow_version_is_never_invented(tmp_path):
    """An exact mlflow-skinny pin is what MLmodel records; ML105 has nothing to disagree with."""
    root = write_files(tmp_path / "p", {"train.py": _LAZY.replace(
        "{arguments}", ", input_example=[1], pip_requirements=['mlflow-skinny==3.1.0', 'cloudpickle==3.1.2', "
                       "'tabulate==0.9.0']")})
    assert _loud(root) == []
    unpinned = write_files(tmp_path / "q", {"train.py": _LAZY.replace(
        "{arguments}", ", input_example=[1], pip_requirements=['mlflow', 'cloudpickle==3.1.2', 'tabulate==0.9.0']")})
    assert [code for code, *_ in _loud(unpinned)] == ["ML105"]  # the written list would hold `mlflow` unpinned


def test_models_from_code(tmp_path):
    model = "import mlflow\nimport tabulate\n\n\nclass T:\n    pass\n\n\nmlflow.models.set_model(T())\n"
    root = write_files(tmp_path / "p", {
        "model.py": model,
        "train.py": "import mlflow\n\nmlflow.pyfunc.save_model('m', python_model='model.py')\n",
    })
    (training,) = training_calls(root)
    assert training.model_code.kind == "code_file" and training.model_code.path.name == "model.py"
    assert _loud(root) == []  # loading runs model.py: inference sees tabulate
    handwritten = write_files(tmp_path / "q", {
        "model.py": model,
        "train.py": "import mlflow\n\nmlflow.pyfunc.save_model('m', python_model='model.py', "
                    "pip_requirements=['cloudpickle==3.1.2'])\n",
    })
    assert _loud(handwritten) == [("ML201", "model.py", 2)]


def test_conda_env_channels_are_checked_at_the_literal(tmp_path):
    root = write_files(tmp_path / "p", {"train.py": (
        "import mlflow\n\nenv = {'channels': ['defaults'], 'dependencies': ['python=3.11', 'pip', "
        "{'pip': ['scikit-learn==1.9.1', 'skops==0.16.0']}]}\n"
        "mlflow.sklearn.save_model(clf, 'm', conda_env=env)\n")})
    assert _loud(root) == [("ML103", "train.py", 3)]


def test_non_literal_requirements_silence_environment_rules(tmp_path):
    root = write_files(tmp_path / "p", {"train.py": _LAZY.replace("{arguments}", ", pip_requirements=read_reqs()")})
    assert _loud(root) == []


# --------------------------------------------------------------------------- what gets parsed


def test_byte_search_keeps_unrelated_files_unparsed(tmp_path, monkeypatch):
    files = {f"lib/pkg{index}/mod{index}.py": f"# UNRELATED {index}\nimport os\n\n\ndef f():\n    return os.sep\n"
             for index in range(200)}
    files["lib/pkg7/broken.py"] = "# UNRELATED broken\ndef f(:\n"
    files["models/__init__.py"] = ""
    files["models/doubler.py"] = _DOUBLER
    files["train.py"] = ("import mlflow\nfrom models.doubler import Doubler\n\n"
                         "mlflow.pyfunc.save_model('m', python_model=Doubler(), code_paths=['models'])\n")
    root = write_files(tmp_path / "monorepo", files)
    parsed: list[str] = []
    real_parse = ast.parse

    def counting_parse(source, *args, **kwargs):
        parsed.append(source.decode() if isinstance(source, bytes) else source)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting_parse)
    assert _loud(root) == []
    assert not [text for text in parsed if "UNRELATED" in text]
    assert 0 < len(parsed) <= 10


def test_a_syntax_error_in_a_candidate_is_an_info_finding(tmp_path):
    root = write_files(tmp_path / "p", {
        "train.py": "import mlflow\n\nmlflow.pyfunc.save_model('m', python_model=M(\n",
        "other.py": "def f(:\n",  # not a candidate: never parsed, never reported
    })
    findings = lint_project(root, ALL_RULES)
    assert [(f.code, f.path.name, f.span.line, f.severity) for f in findings] == [
        ("ML201", "train.py", 3, Severity.INFO)]
    assert "not valid Python" in findings[0].message


def test_the_project_is_never_imported_or_executed(tmp_path):
    marker = tmp_path / "ran"
    root = write_files(tmp_path / "p", {
        "models/__init__.py": f"open({str(marker)!r}, 'w').close()\n",
        "models/doubler.py": f"open({str(marker)!r}, 'w').close()\n" + _DOUBLER,
        "train.py": f"open({str(marker)!r}, 'w').close()\nimport mlflow\nfrom models.doubler import Doubler\n\n"
                    "mlflow.pyfunc.save_model('m', python_model=Doubler(), code_paths=['models'])\n",
    })
    lint_project(root, ALL_RULES)
    assert not marker.exists()
    assert not (root / "m").exists()


_SKLEARN_WRAPPER = """\
import mlflow
from mlflow.pyfunc import PythonModel
from sklearn.linear_model import LogisticRegression


class Wrapper(PythonModel):
    def __init__(self, clf):
        self.clf = clf

    def predict(self, context, model_input, params=None):
        return self.clf.predict(model_input)


clf = LogisticRegression().fit([[0], [1]], [0, 1])
mlflow.pyfunc.save_model("m", python_model=Wrapper(clf), pip_requirements=["mlflow-skinny==3.17.2"])
"""


def test_a_pickled_third_party_object_is_never_advised_as_code_paths(tmp_path):
    # The by-value PythonModel holds a scikit-learn estimator, scikit-learn is not declared:
    # the advice is the distribution, never `code_paths=["sklearn"]`.
    root = write_files(tmp_path / "p", {"train.py": _SKLEARN_WRAPPER})
    (finding,) = [f for f in lint_project(root, ALL_RULES) if f.code == "ML301"]
    assert "add `scikit-learn` to the requirements" in finding.message
    assert "code_paths" not in finding.message and "code_paths" not in finding.fix_title


def test_the_python_model_class_of_a_first_party_module_is_still_advised_as_code_paths(tmp_path):
    train = ("import mlflow\nfrom models.doubler import Doubler\n\n"
             "mlflow.pyfunc.save_model('m', python_model=Doubler(), pip_requirements=['mlflow-skinny==3.17.2'])\n")
    root = write_files(tmp_path / "p", {"models/__init__.py": "", "models/doubler.py": _DOUBLER, "train.py": train})
    (finding,) = [f for f in lint_project(root, ALL_RULES) if f.code == "ML301"]
    assert 'code_paths=["models"]' in finding.message
