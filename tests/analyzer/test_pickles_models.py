"""ML3xx on model dirs saved by real MLflow 3.17.2 (scripts/build_pickle_models.py) and on lone files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.serialized.inventory import StandaloneFile
from modellint.findings import FILE_START, Severity
from modellint.targets import Target, TargetError, discover
from tests.analyzer.test_pickles import CORPUS, EVIL_P4

MODELS = Path(__file__).resolve().parent.parent / "data" / "pickles" / "models"
REPO = Path(__file__).resolve().parents[2]


def ml3_codes(path: Path) -> dict[str, set[Severity]]:
    codes: dict[str, set[Severity]] = {}
    for finding in lint(path).findings:
        if finding.code.startswith("ML3"):
            codes.setdefault(finding.code, set()).add(finding.severity)
    return codes


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("lgbm-cloudpickle-no-lightgbm", {"ML301": {Severity.ERROR}}),
        ("lgbm-skops-no-lightgbm", {"ML301": {Severity.ERROR}}),
        ("lgbm-cloudpickle", {}),
        ("pyfunc-module-no-codepaths", {"ML301": {Severity.ERROR}}),
        ("pyfunc-module-codepaths", {}),
        ("pyfunc-by-value-tabulate", {"ML304": {Severity.INFO}}),
    ],
)
def test_real_mlflow_models(case: str, expected: dict) -> None:
    assert ml3_codes(MODELS / case) == expected


def test_missing_module_names_the_distribution() -> None:
    (finding,) = [f for f in lint(MODELS / "lgbm-skops-no-lightgbm").findings if f.code == "ML301"]
    assert "`lightgbm.sklearn`" in finding.message and "`lightgbm`" in finding.message
    assert finding.path.name == "model.skops"


def test_the_imports_of_a_notebook_pythonmodel_stored_by_value() -> None:
    """Its bytecode is read from the pickle, and what it imports when it runs is an import fact
    of the pickle among the model's code scans, which the imports rules (ML201) read."""
    model = ModelDir(MODELS / "pyfunc-by-value-tabulate")
    (code,) = [code for serialized in model.serialized_files for code in serialized.scan.embedded_code
               if code.imports]
    assert (code.imports, code.qualname, code.python_minors) == (
        ("tabulate",), "pyfunc_cases.<locals>.Tabulate.predict", ((3, 11),))
    facts = [fact for scan in model.code_scans for fact in scan.imports]
    assert [(fact.module, fact.path.name, fact.origin, fact.lazy, fact.span) for fact in facts] == [
        ("tabulate", "python_model.pkl", "pyfunc_cases.<locals>.Tabulate.predict", True, FILE_START)
    ]


def test_by_reference_models_hold_no_by_value_code() -> None:
    model = ModelDir(MODELS / "pyfunc-module-codepaths")
    assert [code for serialized in model.serialized_files for code in serialized.scan.embedded_code] == []


def test_standalone_file_is_a_target(tmp_path: Path) -> None:
    pickle = tmp_path / "model.bin"
    pickle.write_bytes(EVIL_P4)
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    assert discover([pickle]) == [Target("file", pickle)]
    with pytest.raises(TargetError):
        discover([text])


def test_check_on_a_standalone_file(tmp_path: Path) -> None:
    pickle = tmp_path / "model.bin"
    pickle.write_bytes(EVIL_P4)
    result = subprocess.run([sys.executable, "-m", "modellint", "check", "--output-format", "concise", str(pickle)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 1, result.stderr
    assert "ML302" in result.stdout and "os.system" in result.stdout


def test_standalone_file_runs_only_rules_that_need_no_mlmodel(tmp_path: Path) -> None:
    path = tmp_path / "python_model.pkl"
    path.write_bytes((MODELS / "pyfunc-module-no-codepaths" / "python_model.pkl").read_bytes())
    assert {finding.code for finding in lint(path).findings} == set()  # ML301 needs a declared environment
    assert StandaloneFile(path).serialized_files[0].relative == "python_model.pkl"


def test_a_pickle_cannot_suppress_its_own_finding(tmp_path: Path) -> None:
    """A protocol-0 pickle's first line is attacker-chosen text: `# modellint: ignore` there is not honoured."""
    path = tmp_path / "model.pkl"
    path.write_bytes(b"S'# modellint: ignore'\n0" + CORPUS["inst"][0])
    assert {finding.code for finding in lint(path).findings} == {"ML302"}


def test_requirements_list_is_not_sniffed_as_a_pickle(tmp_path: Path) -> None:
    """`cloudpickle\\nmlflow\\n` is a valid start of a protocol-0 pickle (GLOBAL 'loudpickle' 'mlflow')."""
    model = tmp_path / "model"
    model.mkdir()
    for name in ("MLmodel", "conda.yaml", "python_env.yaml"):
        (model / name).write_bytes((MODELS / "lgbm-cloudpickle" / name).read_bytes())
    (model / "model.pkl").write_bytes((MODELS / "lgbm-cloudpickle" / "model.pkl").read_bytes())
    (model / "requirements.txt").write_text("cloudpickle\nmlflow\nscikit-learn\nlightgbm\n")
    assert [item.relative for item in ModelDir(model).serialized_files] == ["model.pkl"]
