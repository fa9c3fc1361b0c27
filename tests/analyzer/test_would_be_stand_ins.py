"""The would-be model's copies of ``code_paths`` files are not written: its code dir maps each
copy to the project file, whose bytes the import scan reads in the project (the models-from-code
file at the root is a stand-in: an empty file of its size). The findings are those of real
copies, and the project's files are only ever read."""

from __future__ import annotations

import os
import shutil

import pytest

from modellint.analyzer.code.scans import scan_model_code, top_level_entries
from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.project import would_be_model
from modellint.analyzer.project.simulation import save_plans
from modellint.project_mode import lint_project
from modellint.rules import ALL_RULES
from tests.conftest import write_files

_TRAIN = ("import mlflow\nfrom mlflow.pyfunc import PythonModel\n\n\nclass Doubler(PythonModel):\n"
          "    def predict(self, context, model_input, params=None):\n"
          "        import vendored\n\n        return vendored.core.double(model_input)\n\n\n"
          "mlflow.pyfunc.save_model('m', python_model=Doubler(), code_paths=['vendored', 'helper.py'],\n"
          "                         input_example=[1], pip_requirements=['cloudpickle==3.1.2'])\n")
_FILES = {
    "vendored/__init__.py": "from vendored import core, broken, helper_user\n",
    "vendored/core.py": "import tabulate\n\n\ndef double(v):\n    return [2 * x for x in v]\n",
    "vendored/broken.py": "import os\ndef (:\n",
    "vendored/helper_user.py": "from helper import HELP\nimport requests_not_declared\n",
    "vendored/tests/test_core.py": "import pytest\n",
    "helper.py": "import yaml\nHELP = 1\n",
    "train.py": _TRAIN,
}


def _findings(root):
    return [(finding.code, finding.path.relative_to(root).as_posix(), finding.span, finding.message)
            for finding in lint_project(root, ALL_RULES)]


def _state(root):
    return {path: (path.read_bytes(), os.stat(path).st_mtime_ns, os.stat(path).st_ctime_ns, os.stat(path).st_nlink)
            for path in root.rglob("*.py")}


def test_mapped_copies_give_the_findings_real_copies_give(tmp_path):
    root = write_files(tmp_path / "p", _FILES)
    before = _state(root)
    mapped = _findings(root)
    assert _state(root) == before  # read only: no byte, time or link count of the project changed
    real_model_dir = tmp_path / "model"
    (plan,) = save_plans(root)
    with would_be_model.would_be_model(plan) as model:
        shutil.copytree(model.root, real_model_dir)
    for relative, source in plan.copies.items():  # a real model dir: every copy on disk
        (real_model_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, real_model_dir / relative)
    real = ModelDir(real_model_dir)
    with would_be_model.would_be_model(plan) as model:
        assert _scans(model.root, plan, model.code_copies) == _scans(real_model_dir, plan, None)
        assert model.code_directories == [model.root / "code"] and not (model.root / "code").exists()
        assert model.tree == ([model.root / path.relative_to(real_model_dir) for path in real.tree[0]], [])
        assert top_level_entries(model.root, model.root / "code", model.code_copies) == [
            (name, model.root / path.relative_to(real_model_dir))
            for name, path in top_level_entries(real_model_dir, real_model_dir / "code")]
        assert all(model.code_module_exists(name) == real.code_module_exists(name)
                   for name in ("vendored", "helper", "vendored.core", "absent"))
    codes = {(code, path) for code, path, _, _ in mapped}
    assert {("ML201", "vendored/core.py"), ("ML210", "vendored/broken.py")} <= codes
    assert not any(path.startswith("vendored/tests") for _, path in codes)  # unreachable: not judged


def _scans(root, plan, copies):
    """The code dir's scans, reached from the by-value class as in the would-be model."""
    scans = scan_model_code(root, [root / "code"], code_file=None, serialized_files=(), loader_module=None,
                            python=None, by_value_scans=plan.by_value_scans, copies=copies)
    return [(scan.path.relative_to(root).as_posix(), scan.imports and [fact.module for fact in scan.imports],
             scan.error, scan.loaded) for scan in scans if scan.path.is_relative_to(root)]


def test_a_copy_is_read_in_the_project(tmp_path):
    root = write_files(tmp_path / "p", _FILES)
    (plan,) = save_plans(root)
    with would_be_model.would_be_model(plan) as model:
        core = model.root / "code" / "vendored" / "core.py"
        assert model.code_copies.files[core] == root / "vendored" / "core.py"
        assert not core.exists()
        scanned = {scan.path: scan for scan in model.code_scans}
        assert [fact.module for fact in scanned[core].imports] == ["tabulate"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_no_stand_in(tmp_path):
    # copyfile then refuses it, and the would-be model holds an empty file, as it always did.
    fifo = tmp_path / "x.py"
    os.mkfifo(fifo)
    assert not would_be_model._stand_in(fifo, tmp_path / "y.py")
    assert not (tmp_path / "y.py").exists()


def test_an_extension_module_is_copied(tmp_path):
    library = tmp_path / "fast.so"
    library.write_bytes(b"\x7fELF")
    assert not would_be_model._stand_in(library, tmp_path / "copy.so")


def test_the_would_be_model_directory_is_private_and_removed_with_what_is_in_it(tmp_path, monkeypatch):
    """Made where TMPDIR says, as tempfile.mkdtemp makes it (mode 0700), without importing
    tempfile; removed with its files and folders, and never through a symlink it holds."""
    monkeypatch.setenv("TMPDIR", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    kept = write_files(tmp_path / "kept", {"keep.txt": "x"})
    first = would_be_model._private_directory("modellint-would-be-")
    second = would_be_model._private_directory("modellint-would-be-")
    assert first != second and first.parent == second.parent == tmp_path / "scratch"
    assert first.name.startswith("modellint-would-be-") and first.stat().st_mode & 0o777 == 0o700
    write_files(first, {"MLmodel": "flavors: {}\n", "code/sub/a.py": "", "code/b.py": ""})
    (first / "link").symlink_to(kept, target_is_directory=True)
    would_be_model._remove_tree(first)
    assert not first.exists() and (kept / "keep.txt").read_text() == "x"


def test_the_would_be_model_directory_falls_back_to_tempfile_where_tmpdir_refuses_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    directory = would_be_model._private_directory("modellint-would-be-")
    try:
        assert directory.is_dir() and directory.name.startswith("modellint-would-be-")
    finally:
        would_be_model._remove_tree(directory)
    assert not directory.exists()


def test_the_would_be_model_directory_is_absolute_under_a_relative_tmpdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scratch").mkdir()
    monkeypatch.setenv("TMPDIR", "scratch")
    directory = would_be_model._private_directory("modellint-would-be-")
    assert directory.is_absolute() and directory.parent == tmp_path / "scratch"
    would_be_model._remove_tree(directory)
