"""ML2xx against the MLflow-built corpus, and the traps peers fall into.

Cases whose CASE.json expects an ML2xx code must get that finding, naming the right module;
clean cases (expect []) must get no ML2xx error or warning. The traps are model dirs whose
imports only look wrong (import names that differ from distribution names, guarded and
typing-only imports, modules MLflow prunes on purpose): they must stay silent, whatever is
installed next to modellint.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Severity
from modellint.rules import ALL_RULES
from modellint.rules._code_examples import code_model
from tests.conftest import write_files

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "models"
CASES = sorted(path.parent for path in CORPUS.glob("*/CASE.json"))
ML2_RULES = [rule for rule in ALL_RULES if rule.code.startswith("ML2")]

# case -> (code, file the finding points at, a word the message must contain)
EXPECTED = {
    "lazy-import-missing": ("ML201", "python_model.pkl", "tabulate"),
    "importlib-import-missing": ("ML201", "python_model.pkl", "tabulate"),
    "codepaths-file": ("ML203", "python_model.pkl", "'src'"),
    "ml205-tomllib-py310": ("ML205", "model_code.py", "tomllib"),
    "read-excel-no-openpyxl": ("ML202", "python_model.pkl", "openpyxl"),
}


def _expect(model: Path) -> list[str]:
    return json.loads((model / "CASE.json").read_text())["expect"]


def _ml2(model: Path) -> list:
    return [f for f in lint(model).findings if f.code.startswith("ML2")]


def test_every_ml2_case_is_covered():
    cases = {model.name for model in CASES if any(code.startswith("ML2") for code in _expect(model))}
    assert cases <= set(EXPECTED), sorted(cases - set(EXPECTED))


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_ml2_cases_agree_with_mlflow(case):
    model = CORPUS / case
    code, relative, word = EXPECTED[case]
    assert code in _expect(model)
    findings = [f for f in _ml2(model) if f.code == code]
    assert findings, [f.message for f in _ml2(model)]
    assert any(f.path == model / relative and word in f.message for f in findings), [f.message for f in findings]
    assert all(f.severity is Severity.ERROR for f in findings)
    other_loud = [f for f in _ml2(model) if f.code != code and f.severity >= Severity.WARNING]
    assert other_loud == []


@pytest.mark.parametrize("model", [m for m in CASES if not _expect(m)], ids=lambda path: path.name)
def test_clean_cases_get_no_ml2_error_or_warning(model):
    assert [(f.code, f.message) for f in _ml2(model) if f.severity >= Severity.WARNING] == []


def _loud_ml2(root: Path) -> list[tuple[str, str]]:
    model = ModelDir(root)
    return [(rule.code, finding.message) for rule in ML2_RULES for finding in rule().check(model)
            if finding.severity >= Severity.WARNING]


TRAPS = {
    "import-names-differ": (
        {"features.py": "import yaml\nimport cv2\nfrom PIL import Image\nfrom dateutil import parser\n"
                        "from sklearn.pipeline import Pipeline\nfrom google.cloud import storage\n"
                        "from google.protobuf import json_format\n"},
        ("opencv-python-headless==4.10.0.84", "pillow==11.0.0", "python-dateutil==2.9.0",
         "google-cloud-storage==2.18.2", "protobuf==5.28.3"),
    ),
    "socks-with-requests-extra": (
        {"proxy.py": "import socks\nimport requests\nPROXY = 'socks5://localhost:1080'\n"},
        ("requests[socks]==2.32.3",),
    ),
    "guarded-and-typing-only": (
        {"compat.py": "from typing import TYPE_CHECKING\ntry:\n    import ujson as json\nexcept ImportError:\n"
                      "    import json\nif TYPE_CHECKING:\n    import torch\n"},
        (),
    ),
    "pruned-by-mlflow": (
        {"io_utils.py": "import yaml\nimport cloudpickle\nimport requests\nimport numpy\n"},
        (),
    ),
    "relative-imports-in-bundled-package": (
        {"mypkg/__init__.py": "from .model import Model\n", "mypkg/model.py": "from . import helpers\n"
                                                                             "from .helpers import scale\n",
         "mypkg/helpers.py": "def scale(x):\n    return x\n", "entry.py": "from mypkg import Model\n"},
        (),
    ),
}


@pytest.mark.parametrize("trap", sorted(TRAPS))
def test_traps_stay_silent(trap, tmp_path):
    code, requirements = TRAPS[trap]
    root = write_files(tmp_path / "model", code_model(code, *requirements))
    assert _loud_ml2(root) == []


@pytest.mark.parametrize(("module", "suggestion"), [
    ("sklearn", "scikit-learn"), ("cv2", "opencv-python"), ("PIL", "pillow"), ("yaml", None),
    ("socks", "pysocks"), ("google.cloud.storage", "google-cloud-storage"), ("dateutil", "python-dateutil"),
])
def test_missing_modules_suggest_the_real_distribution(module, suggestion, tmp_path):
    files = code_model({"uses.py": f"import {module}\n"})
    files["requirements.txt"] = files["requirements.txt"].replace("mlflow==3.17.2", "mlflow-skinny==3.17.2")
    files["conda.yaml"] = files["conda.yaml"].replace("mlflow==3.17.2", "mlflow-skinny==3.17.2")
    for line in ("scikit-learn==1.9.1", "skops==0.16.0"):  # skops requires scikit-learn
        files["requirements.txt"] = files["requirements.txt"].replace(f"\n{line}", "")
        files["conda.yaml"] = files["conda.yaml"].replace(f"  - {line}\n", "")
    files["MLmodel"] = files["MLmodel"].replace("loader_module: mlflow.sklearn", "loader_module: mlflow.pyfunc.model")
    root = write_files(tmp_path / "model", files)
    messages = [message for code, message in _loud_ml2(root) if code == "ML201"]
    if suggestion is None:  # PyYAML comes with mlflow-skinny
        assert messages == []
        return
    assert len(messages) == 1 and f"add `{suggestion}`" in messages[0], messages


@pytest.mark.parametrize("module", ["src.utils", "utils", "sklearn_squat_check"])
def test_never_suggests_src_or_a_squatter(module, tmp_path):
    root = write_files(tmp_path / "model", code_model({"uses.py": f"import {module}\n"}))
    messages = [message for code, message in _loud_ml2(root) if code == "ML201"]
    assert len(messages) == 1
    assert "add `src`" not in messages[0] and "add `utils`" not in messages[0]
    if module != "sklearn_squat_check":
        assert "code_paths" in messages[0]
