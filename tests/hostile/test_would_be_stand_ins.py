"""A would-be model's stand-ins read the project's files, confined to the project: a source file
swapped for a symlink out of the project after the would-be model is written is never read."""

from __future__ import annotations

import os

import pytest

from modellint.analyzer.project import would_be_model
from modellint.analyzer.project.simulation import save_plans
from tests.conftest import write_files
from tests.hostile.harness import Sandbox, assert_promises, run_cli

_TRAIN = ("import mlflow\nfrom mlflow.pyfunc import PythonModel\n\n\nclass Doubler(PythonModel):\n"
          "    def predict(self, context, model_input, params=None):\n"
          "        import vendored\n\n        return vendored.core.double(model_input)\n\n\n"
          "mlflow.pyfunc.save_model('m', python_model=Doubler(), code_paths=['vendored'], input_example=[1],\n"
          "                         pip_requirements=['cloudpickle==3.1.2'])\n")


def test_a_source_swapped_for_a_link_out_of_the_project_is_not_read(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("import secret_only_outside\n")
    root = write_files(tmp_path / "p", {
        "vendored/__init__.py": "from vendored import core\n",
        "vendored/core.py": "import tabulate\n",
        "train.py": _TRAIN,
    })
    (plan,) = save_plans(root)
    with would_be_model.would_be_model(plan) as model:
        (root / "vendored" / "core.py").unlink()
        (root / "vendored" / "core.py").symlink_to(secret)
        scans = {scan.path.name: scan for scan in model.code_scans}
    core = scans["core.py"]
    assert core.imports == () and core.error_kind == "outside"
    assert all(fact.module != "secret_only_outside" for scan in scans.values() for fact in scan.imports)


def _train(code_paths: str) -> str:
    return _TRAIN.replace("code_paths=['vendored']", f"code_paths={code_paths}")


def test_a_code_path_linked_out_of_the_project_is_copied_by_name_only(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("import secret_only_outside\n")
    root = write_files(tmp_path / "p", {"vendored/__init__.py": "", "train.py": _train("['vendored', 'linked.py']")})
    (root / "linked.py").symlink_to(secret)
    (plan,) = save_plans(root)
    assert plan.copied_from_outside == frozenset({"code/linked.py"})
    with would_be_model.would_be_model(plan) as model:
        linked = model.root / "code" / "linked.py"
        assert model.code_copies.files[linked] is None and not linked.exists()  # an empty file, by name
        scans = list(model.code_scans)
    assert all(fact.module != "secret_only_outside" for scan in scans for fact in scan.imports)


def test_a_file_linked_out_of_a_vendored_folder_is_not_copied(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("import secret_only_outside\n")
    root = write_files(tmp_path / "p", {"vendored/__init__.py": "from vendored import leak\n", "train.py": _TRAIN})
    (root / "vendored" / "leak.py").symlink_to(secret)
    (plan,) = save_plans(root)
    assert "code/vendored/leak.py" not in plan.copies and not plan.copied_from_outside
    with would_be_model.would_be_model(plan) as model:
        assert not model.code_copies.exists(model.root / "code" / "vendored" / "leak.py")
        scans = list(model.code_scans)
    assert all(fact.module != "secret_only_outside" for scan in scans for fact in scan.imports)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_copies_that_are_fifos_devices_or_huge_are_never_read_whole(tmp_path):
    """The would-be model's copies are read where they are, in the project: a FIFO named in
    ``code_paths`` is an empty copy (MLflow's copy of it fails), never opened; a link to
    ``/dev/zero`` leads out of the project and is kept by name; a 1 GiB sparse module is refused
    unread past the size limit. The run stays bounded and says what it could not check."""
    sandbox = Sandbox(tmp_path)
    sandbox.write({
        "vendored/__init__.py": "from vendored import huge\nimport tabulate\n",
        "train.py": _train("['vendored', 'pipe.py', 'zero.py']"),
    })
    os.mkfifo(sandbox.target / "pipe.py")
    (sandbox.target / "zero.py").symlink_to("/dev/zero")
    with open(sandbox.target / "vendored" / "huge.py", "wb") as handle:
        handle.truncate(2**30)
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise", "--no-cache"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=30)
    assert "vendored/huge.py" in run.stdout and "not analysed" in run.stdout, run
    assert "tabulate" in run.stdout, run  # the rest of the package is still judged
