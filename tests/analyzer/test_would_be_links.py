"""The would-be model's copies of ``code_paths`` files: hard links where possible, copies otherwise,
the same findings either way, and the project's files never changed."""

from __future__ import annotations

import os

import pytest

from modellint.analyzer.project import would_be_model
from modellint.project_mode import lint_project
from modellint.rules import ALL_RULES
from tests.conftest import write_files

_TRAIN = ("import mlflow\nfrom mlflow.pyfunc import PythonModel\n\n\nclass Doubler(PythonModel):\n"
          "    def predict(self, context, model_input, params=None):\n"
          "        import vendored\n\n        return vendored.core.double(model_input)\n\n\n"
          "mlflow.pyfunc.save_model('m', python_model=Doubler(), code_paths=['vendored'], input_example=[1],\n"
          "                         pip_requirements=['cloudpickle==3.1.2'])\n")
_FILES = {
    "vendored/__init__.py": "from vendored import core\n",
    "vendored/core.py": "import tabulate\n\n\ndef double(v):\n    return [2 * x for x in v]\n",
    "vendored/broken.py": "import vendored.core\ndef (:\n",
    "train.py": _TRAIN,
}


def _findings(root):
    return [(finding.code, finding.path.relative_to(root).as_posix(), finding.span.line, finding.message)
            for finding in lint_project(root, ALL_RULES)]


def _no_link(*args, **kwargs):
    raise OSError(18, "Invalid cross-device link")


def test_linked_and_copied_code_give_the_same_findings(tmp_path, monkeypatch):
    root = write_files(tmp_path / "p", _FILES)
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in root.rglob("*.py")}
    linked = _findings(root)
    monkeypatch.setattr(would_be_model.os, "link", _no_link)
    copied = _findings(root)
    assert linked == copied
    assert ("ML201", "vendored/core.py", 1) in [finding[:3] for finding in linked]
    # The links are gone with the would-be model; the project's files are as they were.
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in root.rglob("*.py")} == before
    assert all(path.stat().st_nlink == 1 for path in root.rglob("*.py"))


def test_a_regular_readable_file_is_linked(tmp_path):
    source = tmp_path / "a.py"
    source.write_text("import json\n")
    target = tmp_path / "b.py"
    would_be_model._link_or_copy(source, target)
    assert os.path.samefile(source, target)


def test_a_symlinked_file_is_linked_to_what_it_names(tmp_path):
    real = tmp_path / "real.py"
    real.write_text("import json\n")
    (tmp_path / "alias.py").symlink_to(real)
    target = tmp_path / "copy.py"
    would_be_model._link_or_copy(tmp_path / "alias.py", target)
    assert not target.is_symlink() and target.read_text() == "import json\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_never_linked(tmp_path):
    # copyfile refuses a FIFO (the caller then writes an empty stand-in, as before links); a link
    # would put a FIFO named x.py in the would-be model.
    fifo = tmp_path / "x.py"
    os.mkfifo(fifo)
    with pytest.raises(OSError):
        would_be_model._link_or_copy(fifo, tmp_path / "y.py")
    assert not (tmp_path / "y.py").exists()
