"""The would-be model's copies of ``code_paths`` source files are stand-ins: empty files of the
copy's size whose bytes the import scan reads in the project. The findings are those of real
copies, and the project's files are only ever read."""

from __future__ import annotations

import os

import pytest

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


def test_stand_ins_give_the_findings_real_copies_give(tmp_path, monkeypatch):
    root = write_files(tmp_path / "p", _FILES)
    before = _state(root)
    with_stand_ins = _findings(root)
    assert _state(root) == before  # read only: no byte, time or link count of the project changed
    monkeypatch.setattr(would_be_model, "_stand_in", lambda source, target: False)
    assert _findings(root) == with_stand_ins
    codes = {(code, path) for code, path, _, _ in with_stand_ins}
    assert {("ML201", "vendored/core.py"), ("ML210", "vendored/broken.py")} <= codes
    assert not any(path.startswith("vendored/tests") for _, path in codes)  # unreachable: not judged


def test_a_stand_in_is_an_empty_file_of_the_copy_size(tmp_path):
    root = write_files(tmp_path / "p", _FILES)
    (plan,) = save_plans(root)
    with would_be_model.would_be_model(plan) as model:
        core = model.root / "code" / "vendored" / "core.py"
        assert model.stand_ins[core] == root / "vendored" / "core.py"
        assert os.stat(core).st_size == len(_FILES["vendored/core.py"])
        assert core.read_bytes() == bytes(len(_FILES["vendored/core.py"]))
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
