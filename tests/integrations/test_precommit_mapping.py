"""`modellint hook`: changed files -> the model dirs and training projects to lint, each once."""

from __future__ import annotations

import json
from pathlib import Path

from modellint.cli import main
from modellint.integrations.precommit import hook_paths, model_dir_of
from modellint.rules._examples import CLEAN, CLEAN_PIP, conda, model_files
from tests.conftest import write_files

BROKEN = model_files(conda__yaml=conda(*CLEAN_PIP, channels=("defaults",)))
TRAINING = """\
import mlflow

conda_env = {"channels": ["defaults"], "dependencies": ["python=3.11.7", "pip", {"pip": ["mlflow==3.17.2", "scikit-learn==1.9.1"]}]}
mlflow.sklearn.save_model(object(), "model", conda_env=conda_env)
"""
HELPER = "def add(a, b):\n    return a + b\n"


def test_files_of_one_model_dir_map_to_it_once(tmp_path):
    write_files(tmp_path / "models" / "a", BROKEN)
    write_files(tmp_path / "models" / "b", CLEAN)
    files = [Path("models/a/MLmodel"), Path("models/a/conda.yaml"), Path("models/a/requirements.txt"),
             Path("models/b/python_env.yaml")]
    assert hook_paths(files, tmp_path) == [tmp_path / "models" / "a", tmp_path / "models" / "b"]


def test_nearest_mlmodel_wins_and_deleted_files_still_map(tmp_path):
    write_files(tmp_path / "outer", CLEAN)
    write_files(tmp_path / "outer" / "artifacts" / "inner", CLEAN)
    assert model_dir_of(tmp_path / "outer/artifacts/inner/code/x.py", tmp_path) == tmp_path / "outer/artifacts/inner"
    assert model_dir_of(tmp_path / "outer/artifacts/weights.bin", tmp_path) == tmp_path / "outer"
    assert hook_paths([Path("outer/removed.pkl")], tmp_path) == [tmp_path / "outer"]


def test_never_looks_above_the_repository(tmp_path):
    write_files(tmp_path, CLEAN)  # the repository itself sits inside a model dir
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "README.md").write_text("# hi\n")
    assert hook_paths([Path("docs/README.md")], repo) == []


def test_training_scripts_map_to_their_project_and_other_files_to_nothing(tmp_path):
    write_files(tmp_path, {"train.py": TRAINING, "utils.py": HELPER, "README.md": "# x\n", "notebook.ipynb": "{}"})
    assert hook_paths([Path("utils.py"), Path("README.md"), Path("notebook.ipynb")], tmp_path) == []
    assert hook_paths([Path("train.py"), Path("utils.py")], tmp_path) == [tmp_path / "train.py"]


def test_a_training_notebook_maps_to_its_project(tmp_path):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": TRAINING}
    write_files(tmp_path, {"jobs/train.ipynb": json.dumps({"nbformat": 4, "metadata": {}, "cells": [cell]}),
                           "jobs/explore.ipynb": json.dumps({"nbformat": 4, "metadata": {}, "cells": []})})
    assert hook_paths([Path("jobs/explore.ipynb")], tmp_path) == []
    assert hook_paths([Path("jobs/train.ipynb"), Path("jobs/explore.ipynb")], tmp_path) == [tmp_path / "jobs/train.ipynb"]


def test_a_project_inside_another_is_linted_by_the_outer_one_only(tmp_path):
    write_files(tmp_path, {"train.py": TRAINING, "jobs/nightly/train.py": TRAINING, "build/train.py": TRAINING,
                           "env/pyvenv.cfg": "home = /usr/bin\n", "env/tools/train.py": TRAINING})
    changed = [Path("jobs/nightly/train.py"), Path("train.py"), Path("build/train.py"), Path("env/tools/train.py")]
    # build/ and virtualenvs are never searched from the outer project: their scripts keep their own
    assert hook_paths(changed, tmp_path) == [tmp_path / "train.py", tmp_path / "build" / "train.py",
                                              tmp_path / "env" / "tools" / "train.py"]


def test_hook_reports_a_model_dir_once_however_many_of_its_files_changed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "broken", BROKEN)
    write_files(tmp_path / "clean", CLEAN)
    files = [f"broken/{name}" for name in BROKEN] + [f"clean/{name}" for name in CLEAN] + ["README.md"]
    code = main(["hook", *files])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("ML103") == 1 and "broken/conda.yaml:2:3" in out and "clean/" not in out
    assert main(["hook", *(f"clean/{name}" for name in CLEAN)]) == 0


def test_hook_lints_the_training_project_of_a_changed_script(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "project", {"train.py": TRAINING, "utils.py": HELPER})
    code = main(["hook", "project/train.py", "project/utils.py"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("ML103") == 1 and "project/train.py:3:" in out


def test_hook_with_nothing_to_lint_passes_quietly(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# x\n")
    assert main(["hook", "README.md"]) == 0
    assert main(["hook"]) == 0
    assert main(["hook", "gone.txt"]) == 0  # a path that no longer exists maps to nothing
    assert capsys.readouterr() == ("", "")


def test_hook_takes_the_check_options(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "broken", BROKEN)
    assert main(["hook", "--ignore", "ML103", "broken/conda.yaml"]) == 0
    assert main(["hook", "--format", "json", "broken/conda.yaml"]) == 1
    assert '"code": "ML103"' in capsys.readouterr().out


def test_names_the_file_system_refuses_map_to_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    too_long = "a" * 300
    assert hook_paths([Path(f"{too_long}.py"), Path(too_long) / "MLmodel"], tmp_path) == []
    assert main(["hook", f"{too_long}.py"]) == 0
    assert capsys.readouterr() == ("", "")
