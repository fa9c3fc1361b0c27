"""`--fix` on training projects: ML203 ships the package directory (safe), ML204 anchors a
climbing `code_paths` entry on the script's own location (unsafe). Only the literal changes
(plus `import os` when ML204 needs it), a second run changes nothing, and `--diff` is a patch
`patch -p1` applies to the same result."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from modellint.cli import main
from tests.conftest import write_files

_PREDICT_SRC = """\
class Doubler(PythonModel):
    def predict(self, context, model_input, params=None):
        from src.utils import double

        return double(model_input)
"""

ML203_TRAIN = f"""\
import mlflow
from mlflow.pyfunc import PythonModel


{_PREDICT_SRC}

code_paths = [
    'src/utils.py',  # the helpers
]
mlflow.pyfunc.save_model("model", python_model=Doubler(), code_paths=code_paths, input_example=[1, 2])
"""

ML204_TRAIN = f'''\
"""Train from inside job/: the helpers live next to it."""
from __future__ import annotations

import mlflow
from mlflow.pyfunc import PythonModel


{_PREDICT_SRC}

mlflow.pyfunc.save_model("model", python_model=Doubler(), code_paths=["../src"], input_example=[1, 2])
'''

SRC = {"src/__init__.py": "", "src/utils.py": "def double(values):\n    return [2 * v for v in values]\n"}


def _project(tmp_path, monkeypatch, files):
    monkeypatch.chdir(tmp_path)
    return write_files(tmp_path / "project", {**SRC, **files})


def _lint(capsys, *arguments):
    code = main(["project", "--format", "concise", *arguments])
    out, err = capsys.readouterr()
    return code, out, err


def test_ml203_fix_ships_the_package_and_touches_only_the_literal(tmp_path, monkeypatch, capsys):
    project = _project(tmp_path, monkeypatch, {"train.py": ML203_TRAIN})
    code, out, _ = _lint(capsys)
    assert code == 1 and "ML203" in out
    code, out, err = _lint(capsys, "--fix")
    assert code == 0 and "ML203" not in out and "Fixed 1 finding in 1 file." in err
    assert (project / "train.py").read_text() == ML203_TRAIN.replace("'src/utils.py',", "'src',")
    fixed = (project / "train.py").read_bytes()
    code, _, err = _lint(capsys, "--fix")
    assert code == 0 and "Fixed" not in err
    assert (project / "train.py").read_bytes() == fixed


def test_ml203_diff_applies_with_patch(tmp_path, monkeypatch, capsys):
    project = _project(tmp_path, monkeypatch, {"train.py": ML203_TRAIN})
    pristine = tmp_path / "pristine"
    shutil.copytree(project, pristine)
    code, diff, _ = _lint(capsys, "--diff")
    assert code == 1 and diff.startswith("--- a/project/train.py\n+++ b/project/train.py\n")
    assert (project / "train.py").read_text() == ML203_TRAIN  # --diff writes nothing
    subprocess.run(["patch", "-p1", "--quiet"], input=diff.encode(), cwd=tmp_path, check=True)
    _lint(capsys, "--fix")
    assert (project / "train.py").read_text() == ML203_TRAIN.replace("'src/utils.py',", "'src',")


def test_ml203_fix_never_ships_one_directory_twice(tmp_path, monkeypatch, capsys):
    """`["src/utils.py", "src/more.py"]` both flatten; two `"src"` entries would make MLflow
    refuse the save (two directories with one basename), so only the first is rewritten."""
    train = ML203_TRAIN.replace("from src.utils import double", "from src.utils import double\n"
                                "        from src.more import triple").replace(
        "'src/utils.py',", "'src/utils.py', 'src/more.py',")
    project = _project(tmp_path, monkeypatch, {"train.py": train, "src/more.py": "def triple(v):\n    return v\n"})
    code, out, _ = _lint(capsys, "--fix")
    assert code == 0, out
    assert (project / "train.py").read_text() == train.replace("'src/utils.py', 'src/more.py',", "'src', 'src/more.py',")


def test_ml203_without_a_package_path_gets_no_fix(tmp_path, monkeypatch, capsys):
    """`lib/utils.py` imported as `src.utils`: no directory makes that import work."""
    project = _project(tmp_path, monkeypatch, {
        "train.py": ML203_TRAIN.replace("'src/utils.py'", "'lib/utils.py'"),
        "lib/utils.py": "def double(v):\n    return v\n"})
    code, out, err = _lint(capsys, "--fix")
    assert code == 1 and "ML203" in out and "Fixed" not in err
    assert (project / "train.py").read_text() == ML203_TRAIN.replace("'src/utils.py'", "'lib/utils.py'")


ANCHORED = 'os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")'


def test_ml204_fix_is_unsafe_and_adds_the_import(tmp_path, monkeypatch, capsys):
    project = _project(tmp_path, monkeypatch, {"job/train.py": ML204_TRAIN})
    code, out, err = _lint(capsys, "--fix")
    assert code == 1 and "ML204" in out and "1 more fix available with `--unsafe-fixes`." in err
    assert (project / "job/train.py").read_text() == ML204_TRAIN
    code, out, err = _lint(capsys, "--fix", "--unsafe-fixes")
    assert code == 0, out
    expected = ML204_TRAIN.replace('["../src"]', f"[{ANCHORED}]").replace(
        "import mlflow\n", "import os\nimport mlflow\n", 1)
    assert (project / "job/train.py").read_text() == expected
    code, _, err = _lint(capsys, "--fix", "--unsafe-fixes")
    assert code == 0 and "Fixed" not in err
    assert (project / "job/train.py").read_text() == expected


def test_ml204_fix_reuses_an_existing_import_and_diff_applies(tmp_path, monkeypatch, capsys):
    train = ML204_TRAIN.replace("import mlflow\n", "import os\n\nimport mlflow\n", 1).replace('"../src"', "'../src'")
    project = _project(tmp_path, monkeypatch, {"job/train.py": train})
    code, diff, _ = _lint(capsys, "--diff", "--unsafe-fixes")
    assert code == 1
    subprocess.run(["patch", "-p1", "--quiet"], input=diff.encode(), cwd=tmp_path, check=True)
    assert (project / "job/train.py").read_text() == train.replace("'../src'", ANCHORED.replace('"', "'"))
    assert _lint(capsys)[0] == 0


@pytest.mark.parametrize("binding", ["from pathlib import Path as os\n", "os = None\n"])
def test_ml204_no_fix_when_os_means_something_else(tmp_path, monkeypatch, capsys, binding):
    train = ML204_TRAIN.replace("import mlflow\n", binding + "import mlflow\n", 1)
    project = _project(tmp_path, monkeypatch, {"job/train.py": train})
    code, out, err = _lint(capsys, "--fix", "--unsafe-fixes")
    assert code == 1 and "ML204" in out and "Fixed" not in err
    assert (project / "job/train.py").read_text() == train


LAZY_TRAIN = """\
import mlflow
from mlflow.pyfunc import PythonModel


class Table(PythonModel):
    def predict(self, context, model_input, params=None):
        import tabulate

        return tabulate.tabulate([model_input])


mlflow.pyfunc.save_model(
    "model",
    python_model=Table(),{extra}
)
"""


@pytest.mark.parametrize(("before", "after"), [
    ("", '\n    extra_pip_requirements=["tabulate==0.10.0"],'),
    ("\n    extra_pip_requirements=['pandas==2.2.3'],",
     "\n    extra_pip_requirements=['pandas==2.2.3', 'tabulate==0.10.0'],"),
])
def test_ml209_fix_declares_the_lazy_import(tmp_path, monkeypatch, capsys, before, after):
    monkeypatch.chdir(tmp_path)
    project = write_files(tmp_path / "project", {"train.py": LAZY_TRAIN.replace("{extra}", before)})
    code, out, err = _lint(capsys, "--fix")
    assert code == 1 and "ML209" in out and "more fix" in err  # unsafe: the pinned version is a guess
    code, out, _ = _lint(capsys, "--fix", "--unsafe-fixes")
    assert code == 0, out
    expected = LAZY_TRAIN.replace("{extra}", after)
    assert (project / "train.py").read_text() == expected
    code, _, err = _lint(capsys, "--fix", "--unsafe-fixes")
    assert code == 0 and "Fixed" not in err
    assert (project / "train.py").read_text() == expected


def test_ml209_no_fix_when_the_list_is_not_written_in_the_call(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    train = "EXTRA = ['pandas==2.2.3']\n" + LAZY_TRAIN.replace("{extra}", "\n    extra_pip_requirements=EXTRA,")
    project = write_files(tmp_path / "project", {"train.py": train})
    code, out, err = _lint(capsys, "--fix", "--unsafe-fixes")
    assert code == 1 and "ML209" in out and "Fixed" not in err
    assert (project / "train.py").read_text() == train


@pytest.mark.parametrize(("files", "changed"), [
    ({"train.py": "import mlflow\n\nenv = {'channels': ['defaults'], 'dependencies': ['python=3.11', 'pip', "
                  "{'pip': ['scikit-learn==1.9.1', 'skops==0.16.0']}]}\n"
                  "mlflow.sklearn.save_model(clf, 'model', conda_env=env)\n"}, "train.py"),
    ({"train.py": "import mlflow\n\nmlflow.sklearn.save_model(clf, 'model', conda_env='env.yaml')\n",
      "env.yaml": "channels:\n  - defaults  # from the template\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
                  "    - scikit-learn==1.9.1\n    - skops==0.16.0\n"}, "env.yaml"),
])
def test_a_fix_of_a_written_file_lands_on_the_project_literal(tmp_path, monkeypatch, capsys, files, changed):
    """ML103's fix edits the would-be conda.yaml; in a project it edits the literal that line
    came from, a Python string or a line of the conda file the call names."""
    monkeypatch.chdir(tmp_path)
    project = write_files(tmp_path / "project", files)
    code, out, _ = _lint(capsys, "--fix", "--unsafe-fixes")
    assert code == 0, out
    assert (project / changed).read_text() == files[changed].replace("defaults", "conda-forge")
    for name in set(files) - {changed}:
        assert (project / name).read_text() == files[name]


def test_ml203_no_fix_when_another_import_uses_the_flat_copy(tmp_path, monkeypatch, capsys):
    """`import utils` elsewhere works only because `code/utils.py` exists: shipping `src`
    instead would break it, so the fix is withheld (the finding stays)."""
    train = ML203_TRAIN.replace("        from src.utils import double\n",
                                "        from src.utils import double\n        import utils\n")
    project = _project(tmp_path, monkeypatch, {"train.py": train})
    code, out, err = _lint(capsys, "--fix")
    assert code == 1 and "ML203" in out and "Fixed" not in err
    assert (project / "train.py").read_text() == train
