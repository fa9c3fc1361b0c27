"""Fixes that declare a missing distribution: ML201 (an import), ML202 (an optional dependency),
ML301 (a module a pickle loads), and the ``--python`` interpreter that pins them.

Each fix adds one line to requirements.txt and the conda ``pip:`` list together, keeps the
files' comments, order, newlines, indentation and missing final newline, is unsafe unpinned and
safe pinned, and a second ``--fix`` changes nothing. ``--diff`` is a patch ``patch -p1``
applies to the same bytes ``--fix`` writes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.knowledge import distributions as knowledge
from modellint.cli import main
from modellint.findings import Edit, Finding, Fix, Severity
from modellint.fixes.edits import plan_fixes
from modellint.rules._code_examples import MLMODEL_WITH_CODE, code_model, requirement_files
from modellint.rules._examples import CLEAN_PIP, MLMODEL, conda, model_files, requirements
from modellint.rules._serialized_examples import instance_pickle, skops_file
from tests.conftest import write_files
from tests.interpreters import interpreter_with

TABULATE = "def render(rows):\n    import tabulate\n\n    return tabulate.tabulate(rows)\n"
EXCEL = "import pandas as pd\n\n\ndef load(path):\n    return pd.read_excel(path)\n"
CV2 = "import cv2\n\n\ndef gray(image):\n    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)\n"


@pytest.fixture(autouse=True)
def _shipped_knowledge():
    """`--python` replaces the process-wide knowledge base: give the next test the shipped one."""
    yield
    knowledge.use_overlay(None)


@pytest.fixture(scope="module")
def interpreter(tmp_path_factory) -> Path:
    """A venv with tabulate 0.8.10 (not the knowledge base's 0.10.0, so a pin provably comes from
    it), openpyxl with a local version label, and a local project PyPI does not have."""
    root = tmp_path_factory.mktemp("python") / "venv"
    return interpreter_with(root, {"tabulate": ("0.8.10", ["tabulate"]), "openpyxl": ("3.1.2+corp", ["openpyxl"]),
                                   "acme-features": ("0.1.0", ["acme_features"])})


def _model(tmp_path, monkeypatch, files) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_files(tmp_path / "model", files)


def _run(capsys, *arguments) -> tuple[int, str, str]:
    code = main(["model", "--format", "concise", "--isolated", *arguments])
    out, err = capsys.readouterr()
    return code, out, err


def _snapshot(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def _codes(model: Path) -> set[str]:
    return {finding.code for finding in lint(model).findings if finding.severity >= Severity.WARNING}


def _assert_second_fix_is_a_noop(model: Path, capsys, *arguments) -> None:
    fixed = _snapshot(model)
    _, _, err = _run(capsys, "--fix", *arguments)
    assert "Fixed" not in err
    assert _snapshot(model) == fixed


def _assert_only_changed(before: dict[str, bytes], after: dict[str, bytes], expected: dict[str, str]) -> None:
    """Files differ from the input exactly where the fix says, byte for byte."""
    assert set(after) == set(before) | set(expected)
    for name, data in after.items():
        assert data == (expected[name].encode() if name in expected else before[name]), name


# ---------------------------------------------------------------------------- ML201


def test_ml201_unpinned_fix_is_unsafe_then_applies_to_both_lists(tmp_path, monkeypatch, capsys):
    model = _model(tmp_path, monkeypatch, code_model({"render.py": TABULATE}))
    before = _snapshot(model)
    code, out, err = _run(capsys, "--fix")
    assert code == 1 and "ML201" in out and "1 more fix available with `--unsafe-fixes`." in err
    assert _snapshot(model) == before
    code, out, err = _run(capsys, "--fix", "--unsafe-fixes", "--show-fixes")
    assert code == 0, out
    assert "model/conda.yaml, model/requirements.txt: ML201 Add `tabulate` to requirements.txt and conda.yaml" in err
    _assert_only_changed(before, _snapshot(model), requirement_files(*CLEAN_PIP, "tabulate"))
    assert "ML201" not in _codes(model)
    _assert_second_fix_is_a_noop(model, capsys, "--unsafe-fixes")


def test_ml201_pins_the_version_the_python_interpreter_has_and_is_then_safe(tmp_path, monkeypatch, capsys, interpreter):
    model = _model(tmp_path, monkeypatch, code_model({"render.py": TABULATE}))
    before = _snapshot(model)
    code, out, err = _run(capsys, "--fix", "--python", str(interpreter))
    assert code == 0 and "Fixed 1 finding in 2 files." in err, out + err
    _assert_only_changed(before, _snapshot(model), requirement_files(*CLEAN_PIP, "tabulate==0.8.10"))
    _assert_second_fix_is_a_noop(model, capsys, "--python", str(interpreter))


def test_python_accepts_the_venv_folder_and_drops_a_local_version_label(tmp_path, monkeypatch, capsys, interpreter):
    model = _model(tmp_path, monkeypatch, code_model({"sheets.py": "import openpyxl\n"}))
    code, out, _ = _run(capsys, "--fix", "--python", str(interpreter.parent.parent))
    assert code == 0, out
    # `3.1.2+corp` is a build PyPI does not have: the public release it was made from is pinned.
    assert (model / "requirements.txt").read_text() == requirements("mlflow==3.17.2", "openpyxl==3.1.2", *CLEAN_PIP[1:])


def test_the_python_interpreter_is_consulted_only_when_given(tmp_path, monkeypatch, capsys, interpreter):
    model = _model(tmp_path, monkeypatch, code_model({"render.py": TABULATE}))
    _run(capsys, "--diff", "--python", str(interpreter))
    assert knowledge.load().overlay is not None
    code, out, _ = _run(capsys, "--diff", "--unsafe-fixes")
    assert knowledge.load().overlay is None  # a later run in the same process starts afresh
    assert "+tabulate\n" in out and "==0.8.10" not in out
    assert (model / "requirements.txt").read_text() == requirements(*CLEAN_PIP)


def test_a_local_project_only_the_interpreter_knows_is_never_written(tmp_path, monkeypatch, capsys, interpreter):
    model = _model(tmp_path, monkeypatch, code_model({"feats.py": "import acme_features\n"}))
    before = _snapshot(model)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 1 and "probably the project's own code" in out and "acme-features" not in out
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes", "--python", str(interpreter))
    assert code == 1 and "installed in the `--python` interpreter but is not a PyPI distribution" in out
    assert _snapshot(model) == before


@pytest.mark.parametrize("python", ["/nonexistent/python", "/bin/echo", "/" + "a" * 300])
def test_an_unusable_python_is_a_usage_error(tmp_path, monkeypatch, capsys, python):
    _model(tmp_path, monkeypatch, code_model({"render.py": TABULATE}))
    code, out, err = _run(capsys, "--python", python)
    assert code == 2 and out == "" and err.startswith("modellint: error: --python: ") and "Traceback" not in err


def test_several_modules_of_one_distribution_make_one_line(tmp_path, monkeypatch, capsys):
    model = _model(tmp_path, monkeypatch, code_model({
        "a.py": "import pymongo\n", "b.py": "from bson import ObjectId\n", "c.py": "def f():\n    import gridfs\n"}))
    assert len([f for f in lint(model).findings if f.code == "ML201"]) == 3
    code, out, err = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0 and "Fixed 1 finding in 2 files." in err, out  # three findings, one shared fix
    assert (model / "requirements.txt").read_text() == requirements(*CLEAN_PIP[:1], "pymongo", *CLEAN_PIP[1:])


def test_several_distributions_in_one_pass_keep_a_sorted_list_sorted(tmp_path, monkeypatch, capsys):
    files = code_model({"render.py": TABULATE, "vision.py": CV2, "io_helpers.py": EXCEL}, "pandas==2.2.3")
    files.update(requirement_files(*CLEAN_PIP[:1], "pandas==2.2.3", *CLEAN_PIP[1:]))  # sorted after mlflow
    model = _model(tmp_path, monkeypatch, files)
    code, diff, err = _run(capsys, "--diff", "--unsafe-fixes")
    assert code == 1 and "Would fix 3 findings." in err  # all three in one pass, none deferred
    pristine = tmp_path / "pristine"
    shutil.copytree(model, pristine / "model")
    subprocess.run(["patch", "-p1", "--quiet"], input=diff.encode(), cwd=pristine, check=True)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0, out
    expected = ("mlflow==3.17.2", "opencv-python", "openpyxl", "pandas==2.2.3", "scikit-learn==1.9.1", "skops==0.16.0",
                "tabulate")
    assert _snapshot(model) == {**_snapshot(pristine / "model"), **{k: v.encode() for k, v in requirement_files(*expected).items()}}
    _assert_second_fix_is_a_noop(model, capsys, "--unsafe-fixes")


def test_several_distributions_append_in_a_fixed_order_to_an_unsorted_list(tmp_path, monkeypatch, capsys):
    model = _model(tmp_path, monkeypatch, code_model({"render.py": TABULATE, "vision.py": CV2, "io_helpers.py": EXCEL},
                                                     "pandas==2.2.3"))
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0, out
    assert (model / "requirements.txt").read_text() == requirements(*CLEAN_PIP, "pandas==2.2.3", "opencv-python",
                                                                    "openpyxl", "tabulate")


# ---------------------------------------------------------------------------- file shapes

CRLF_REQUIREMENTS = "# hand-kept\r\nmlflow==3.17.2  # the loader\r\nskops==0.16.0\r\nscikit-learn==1.9.1\r\n# pinned 2026-11"
CRLF_CONDA = ("# env\r\nchannels:\r\n- conda-forge\r\ndependencies:\r\n- python=3.11.7\r\n- pip<=23.2.1\r\n- pip:\r\n"
              "    - mlflow==3.17.2\r\n    # serialization\r\n    - skops==0.16.0\r\n    - scikit-learn==1.9.1  # model\r\n"
              "name: mlflow-env\r\n")


def test_crlf_comments_indentation_and_no_final_newline_are_kept(tmp_path, monkeypatch, capsys):
    files = code_model({"render.py": TABULATE})
    files.update({"requirements.txt": CRLF_REQUIREMENTS, "conda.yaml": CRLF_CONDA})
    model = _model(tmp_path, monkeypatch, files)
    before = _snapshot(model)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0, out
    _assert_only_changed(before, _snapshot(model), {
        "requirements.txt": CRLF_REQUIREMENTS.replace("scikit-learn==1.9.1\r\n", "scikit-learn==1.9.1\r\ntabulate\r\n"),
        "conda.yaml": CRLF_CONDA.replace("  # model\r\n", "  # model\r\n    - tabulate\r\n"),
    })
    _assert_second_fix_is_a_noop(model, capsys, "--unsafe-fixes")


def test_the_line_goes_before_pip_options_and_after_the_last_requirement(tmp_path, monkeypatch, capsys):
    pip = (*CLEAN_PIP, "-c constraints.txt")
    files = code_model({"render.py": TABULATE}, root_files={"constraints.txt": "numpy==2.4.6\n"})
    files.update(requirement_files(*pip))
    model = _model(tmp_path, monkeypatch, files)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes", "--ignore", "ML109")
    assert code == 0, out
    assert (model / "requirements.txt").read_text() == requirements(*CLEAN_PIP, "tabulate", "-c constraints.txt")


def test_a_conda_only_model_gets_the_line_in_its_pip_list(tmp_path, monkeypatch, capsys):
    legacy = MLMODEL_WITH_CODE.replace("    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n",
                                       "    env: conda.yaml\n")
    files = code_model({"render.py": TABULATE})
    files.update(MLmodel=legacy)
    del files["requirements.txt"], files["python_env.yaml"]
    model = _model(tmp_path, monkeypatch, files)
    before = _snapshot(model)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0, out
    _assert_only_changed(before, _snapshot(model), {"conda.yaml": conda(*CLEAN_PIP, "tabulate")})


def test_requirements_txt_rebuilt_after_the_pip_list_gets_the_line(tmp_path, monkeypatch, capsys):
    """ML101 rebuilds requirements.txt from the `pip:` list ML201 edits: it waits one pass, so
    the new file has the new line too (no drift)."""
    files = code_model({"render.py": TABULATE})
    del files["requirements.txt"]
    model = _model(tmp_path, monkeypatch, files)
    code, out, err = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0 and "Fixed 2 findings in 2 files." in err, out
    assert (model / "requirements.txt").read_text() == requirements(*CLEAN_PIP, "tabulate")
    assert (model / "conda.yaml").read_text() == conda(*CLEAN_PIP, "tabulate")


def test_a_requirements_only_model(tmp_path, monkeypatch, capsys):
    files = code_model({"render.py": TABULATE})
    files["MLmodel"] = files["MLmodel"].replace("      conda: conda.yaml\n", "")
    del files["conda.yaml"]
    model = _model(tmp_path, monkeypatch, files)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0, out
    assert (model / "requirements.txt").read_text() == requirements(*CLEAN_PIP, "tabulate")
    assert not (model / "conda.yaml").exists()


@pytest.mark.parametrize(("change", "why"), [
    ({"conda.yaml": conda(*CLEAN_PIP).replace("- pip:\n  - mlflow==3.17.2\n  - scikit-learn==1.9.1\n  - skops==0.16.0\n",
                                              "- pip: [mlflow==3.17.2, scikit-learn==1.9.1, skops==0.16.0]\n")},
     "a flow-style pip list is not edited, and requirements.txt alone would drift from it"),
    (requirement_files(*CLEAN_PIP, 'tabulate==0.9.0; python_version < "3.8"'),
     "already named under a marker: a person reconciles the two lines"),
])
def test_no_fix_where_one_could_not_be_right(tmp_path, monkeypatch, capsys, change, why):
    files = code_model({"render.py": TABULATE})
    files.update(change)
    model = _model(tmp_path, monkeypatch, files)
    before = _snapshot(model)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 1 and "ML201" in out, why
    assert _snapshot(model) == before, why


def test_a_name_guess_is_never_proposed_nor_written(tmp_path, monkeypatch, capsys):
    model = _model(tmp_path, monkeypatch, code_model({"x.py": "import zzq_not_on_pypi\n"}))
    before = _snapshot(model)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 1 and "probably the project's own code" in out and "zzq-not-on-pypi" not in out
    assert _snapshot(model) == before


# ---------------------------------------------------------------------------- ML202


def test_ml202_adds_the_optional_dependency(tmp_path, monkeypatch, capsys):
    markdown = "import pandas as pd\n\n\ndef render(rows):\n    return pd.DataFrame(rows).to_markdown()\n"
    model = _model(tmp_path, monkeypatch, code_model({"render.py": markdown}, "pandas==2.2.3"))
    before = _snapshot(model)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0, out
    _assert_only_changed(before, _snapshot(model), requirement_files(*CLEAN_PIP, "pandas==2.2.3", "tabulate"))
    _assert_second_fix_is_a_noop(model, capsys, "--unsafe-fixes")


def test_ml202_pinned_with_python(tmp_path, monkeypatch, capsys, interpreter):
    model = _model(tmp_path, monkeypatch, code_model({"prices.py": EXCEL}, "pandas==2.2.3"))
    code, out, _ = _run(capsys, "--fix", "--python", str(interpreter))
    assert code == 0, out
    assert (model / "conda.yaml").read_text() == conda(*CLEAN_PIP, "pandas==2.2.3", "openpyxl==3.1.2")


def test_ml201_and_ml202_naming_one_distribution_add_one_line(tmp_path, monkeypatch, capsys):
    both = "import pandas as pd\nimport tabulate\n\n\ndef render(rows):\n    return pd.DataFrame(rows).to_markdown()\n"
    model = _model(tmp_path, monkeypatch, code_model({"render.py": both}, "pandas==2.2.3"))
    code, out, err = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0 and "Fixed 1 finding in 2 files." in err, out
    assert (model / "requirements.txt").read_text() == requirements(*CLEAN_PIP, "pandas==2.2.3", "tabulate")


# ---------------------------------------------------------------------------- ML301


def test_ml301_adds_the_estimators_distribution(tmp_path, monkeypatch, capsys):
    pipeline = skops_file(("sklearn.pipeline", "Pipeline"), ("lightgbm.sklearn", "LGBMClassifier"))
    model = _model(tmp_path, monkeypatch, model_files(model__skops=pipeline))
    before = _snapshot(model)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0, out
    _assert_only_changed(before, _snapshot(model), requirement_files("mlflow==3.17.2", "lightgbm", *CLEAN_PIP[1:]))
    _assert_second_fix_is_a_noop(model, capsys, "--unsafe-fixes")


def test_ml301_and_ml201_naming_one_distribution_add_one_line(tmp_path, monkeypatch, capsys):
    files = code_model({"train_more.py": "import lightgbm\n"})
    files["model.skops"] = skops_file(("sklearn.pipeline", "Pipeline"), ("lightgbm.sklearn", "LGBMClassifier"))
    model = _model(tmp_path, monkeypatch, files)
    code, out, err = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 0 and "Fixed 1 finding in 2 files." in err, out
    assert (model / "requirements.txt").read_text() == requirements("mlflow==3.17.2", "lightgbm", *CLEAN_PIP[1:])


def test_ml301_on_first_party_code_suggests_code_paths_and_writes_nothing(tmp_path, monkeypatch, capsys):
    python_model = MLMODEL.replace("    loader_module: mlflow.sklearn\n    model_path: model.skops\n    predict_fn: predict\n",
                                   "    loader_module: mlflow.pyfunc.model\n    python_model: python_model.pkl\n")
    model = _model(tmp_path, monkeypatch, model_files(
        MLmodel=python_model, python_model__pkl=instance_pickle("transformers", "TextCleaner"),
        **{"artifacts/scaler.pkl": instance_pickle("my_features", "Scaler")}))
    before = _snapshot(model)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes", "--select", "ML301")
    assert code == 1
    assert 'save the model with `code_paths=["transformers.py"]`' in out  # not Hugging Face's package
    assert 'save the model with `code_paths=["my_features.py"]`' in out
    assert _snapshot(model) == before
    findings = [f for f in lint(model, select=["ML301"]).findings]
    assert [f.fix for f in findings] == [None, None]
    assert all("code_paths" in f.fix_title for f in findings)


# ---------------------------------------------------------------------------- the fix engine


def _insertion(path: Path, offset: int, content: str, code: str) -> Finding:
    fix = Fix(f"Add {content.strip()}", (Edit(path, offset, offset, content),))
    return Finding(code, "x", Severity.ERROR, "m", path, fix=fix)


def test_insertions_at_one_point_are_all_taken_in_content_order(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("a\nz\n")
    findings = [_insertion(path, 2, "tabulate\n", "ML201"), _insertion(path, 2, "openpyxl\n", "ML202"),
                _insertion(path, 2, "cv\n", "ML301")]
    for order in (findings, findings[::-1], findings[1:] + findings[:1]):
        plan = plan_fixes(order)
        assert plan.files == {path: ("a\nz\n", "a\ncv\nopenpyxl\ntabulate\nz\n")}
        assert len(plan.fixes) == 3


def test_insertions_at_one_point_without_their_own_line_break_wait_for_the_next_pass(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("")
    plan = plan_fixes([_insertion(path, 0, "tabulate", "ML201"), _insertion(path, 0, "openpyxl", "ML202")])
    assert plan.files == {path: ("", "tabulate")} and len(plan.fixes) == 1
    created = tmp_path / "new.txt"  # two fixes creating one file never merge
    plan = plan_fixes([_insertion(created, 0, "a\n", "ML101"), _insertion(created, 0, "b\n", "ML101")])
    assert plan.files == {created: (None, "a\n")}


def test_a_flow_style_pip_list_is_never_rewritten_as_conda_dependencies(tmp_path, monkeypatch, capsys):
    """`- pip: [a, b]` starts with a `- ` marker too, but it belongs to `pip:`: copying it would
    turn requirements into conda packages (ML102's rewrite and ML201's insertion both refuse)."""
    flow = conda(*CLEAN_PIP).replace("- pip:\n  - mlflow==3.17.2\n  - scikit-learn==1.9.1\n  - skops==0.16.0\n",
                                     "- pip: [mlflow==3.17.2, scikit-learn==1.5.0, skops==0.16.0]\n")
    files = code_model({"render.py": TABULATE})
    files["conda.yaml"] = flow
    model = _model(tmp_path, monkeypatch, files)
    code, out, _ = _run(capsys, "--fix", "--unsafe-fixes")
    assert code == 1 and "ML102" in out and "ML201" in out
    assert (model / "conda.yaml").read_text() == flow
