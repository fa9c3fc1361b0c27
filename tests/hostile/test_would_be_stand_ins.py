"""A would-be model's stand-ins read the project's files, confined to the project: a source file
swapped for a symlink out of the project after the would-be model is written is never read."""

from __future__ import annotations

from modellint.analyzer.project import would_be_model
from modellint.analyzer.project.simulation import save_plans
from tests.conftest import write_files

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
        assert (model.root / "code" / "linked.py").read_bytes() == b""
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
        assert not (model.root / "code" / "vendored" / "leak.py").exists()
        scans = list(model.code_scans)
    assert all(fact.module != "secret_only_outside" for scan in scans for fact in scan.imports)
