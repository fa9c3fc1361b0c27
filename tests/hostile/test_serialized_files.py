"""Fail closed on the files of a model dir: what cannot be read is a finding, a FIFO or device is
never opened (opening a FIFO blocks; /dev/zero never ends), and a file MLmodel declares as a
pickle whose content is not one is an error, whatever its size. Flavors whose files are not
pickles stay silent.

Measured through the CLI on the 2-vCPU VM under load: every case 0.3-0.8 s, under 60 MiB; the
10 GB sparse file and the FIFO included (before: the FIFO declared by MLmodel blocked the run
forever when it was the conda file or a code module, and passed silently as a model file; the
10 GB file, /dev/zero and a symlink loop passed silently).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path

import pytest

from modellint.analyzer import files as files_module
from modellint.analyzer.serialized.inventory import scan_model_files
from modellint.rules._examples import CLEAN, MLMODEL
from tests.conftest import REPO
from tests.hostile.harness import Run, Sandbox, assert_promises, run_cli

SECONDS = 5.0

PICKLE_MLMODEL = MLMODEL.replace("model.skops", "model.pkl").replace("serialization_format: skops",
                                                                     "serialization_format: cloudpickle")
PYFUNC_MLMODEL = """\
flavors:
  python_function:
    cloudpickle_version: 3.1.2
    code: null
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    python_version: 3.11.7
mlflow_version: 3.17.2
"""
PYTORCH_MLMODEL = """\
flavors:
  python_function:
    data: data
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pytorch
    pickle_module_name: mlflow.pytorch.pickle_module
    python_version: 3.11.7
  pytorch:
    code: null
    model_data: data
    pytorch_version: 2.5.1
mlflow_version: 3.17.2
"""
# (MLmodel, the declared file) per flavor whose loader unpickles
DECLARED = {
    "sklearn-cloudpickle": (PICKLE_MLMODEL, "model.pkl"),
    "sklearn-pickle": (PICKLE_MLMODEL.replace("cloudpickle", "pickle"), "model.pkl"),
    "pyfunc-python-model": (PYFUNC_MLMODEL, "python_model.pkl"),
    "pytorch-model-pth": (PYTORCH_MLMODEL, "data/model.pth"),
}


def sandbox_with(tmp_path: Path, mlmodel: str, files: Mapping[str, str | bytes] | None = None) -> Sandbox:
    sandbox = Sandbox(tmp_path / "sandbox")
    base = {name: content for name, content in CLEAN.items() if name != "model.skops"}
    sandbox.write({**base, "MLmodel": mlmodel, **(files or {})})
    return sandbox


def check(sandbox: Sandbox, *expected: str, clean_allowed: bool = False) -> Run:
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS, clean_allowed=clean_allowed)
    for text in expected:
        assert text in run.stdout, f"{text!r} not reported\n{run!r}"
    return run


# --- declared files that are not regular -------------------------------------------------------------

def make_fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def make_dev_zero_link(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to("/dev/zero")


def make_socket(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


# How each special file is refused: a FIFO or socket in the model is ML303's; a symlink to /dev/zero
# leads out of the model and is ML006's (never followed, so never opened either).
SPECIAL = {"fifo": (make_fifo, "ML303", "is a FIFO, not a regular file"),
           "dev-zero-symlink": (make_dev_zero_link, "ML006", "outside the model directory: not read"),
           "socket": (make_socket, "ML303", "is a socket, not a regular file")}


@pytest.mark.parametrize("special", sorted(SPECIAL))
@pytest.mark.parametrize("flavor", sorted(DECLARED))
def test_a_declared_model_file_that_is_not_regular_is_an_error_and_never_opened(tmp_path, flavor, special):
    mlmodel, declared = DECLARED[flavor]
    sandbox = sandbox_with(tmp_path, mlmodel)
    make, code, refusal = SPECIAL[special]
    make(sandbox.target / declared)
    run = check(sandbox, code, f"`{declared}`")
    assert refusal in run.stdout, run


@pytest.mark.parametrize("name", ["artifacts/lookup.pkl", "extra/notes.bin", "code/helper.py"])
def test_an_undeclared_fifo_anywhere_in_the_model_is_reported_too(tmp_path, name):
    # mlflow copies the whole model dir (download, build-docker): a FIFO blocks the copy, /dev/zero fills the disk
    sandbox = sandbox_with(tmp_path, PICKLE_MLMODEL, {"model.pkl": b"\x80\x04N."})
    make_fifo(sandbox.target / name)
    check(sandbox, "ML303", f"`{name}` is a FIFO")


@pytest.mark.parametrize("name,code", [("MLmodel", "ML001"), ("conda.yaml", "ML110"), ("python_env.yaml", "ML110"),
                                       ("requirements.txt", "ML110"), ("input_example.json", None)])
def test_a_fifo_in_place_of_a_text_file_is_refused_without_blocking(tmp_path, name, code):
    mlmodel = PICKLE_MLMODEL + ("saved_input_example_info:\n  artifact_path: input_example.json\n  type: dataframe\n"
                                "  pandas_orient: split\n")
    sandbox = sandbox_with(tmp_path, mlmodel, {"model.pkl": b"\x80\x04N."})
    (sandbox.target / name).unlink(missing_ok=True)
    make_fifo(sandbox.target / name)
    run = check(sandbox, *([code] if code else []))
    assert "FIFO" in run.stdout, run


def test_a_fifo_code_module_the_loader_imports_does_not_block(tmp_path):
    mlmodel = PYFUNC_MLMODEL.replace("code: null", "code: code").replace("mlflow.pyfunc.model", "loader")
    sandbox = sandbox_with(tmp_path, mlmodel, {"python_model.pkl": b"\x80\x04N."})
    make_fifo(sandbox.target / "code" / "loader.py")
    check(sandbox, "FIFO")


# --- declared files that are not what MLmodel says ---------------------------------------------------

NOT_PICKLES = {
    "text": b"this is not a pickle\n",
    "zeros": b"\x00" * 4096,
    "empty": b"",
    "json": b'{"learner": {"gradient_booster": {}}}',
    "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
}


@pytest.mark.parametrize("content", sorted(NOT_PICKLES))
@pytest.mark.parametrize("flavor", sorted(DECLARED))
def test_a_declared_pickle_whose_content_is_not_one_is_an_error(tmp_path, flavor, content):
    mlmodel, declared = DECLARED[flavor]
    sandbox = sandbox_with(tmp_path, mlmodel, {declared: NOT_PICKLES[content]})
    check(sandbox, "ML303", f"`{declared}` is declared as a pickle")


def test_ten_gigabytes_of_zeros_declared_as_a_pickle_is_an_error_in_well_under_a_second(tmp_path):
    # Before: passed silently (sniffed as nothing). After: one 64 KiB read, 0.4 s whole run, 40 MiB.
    sandbox = sandbox_with(tmp_path, PICKLE_MLMODEL)
    with (sandbox.target / "model.pkl").open("wb") as handle:
        handle.truncate(10 * 2**30)  # sparse: costs no disk
    run = check(sandbox, "ML303", "`model.pkl` is declared as a pickle")
    assert run.seconds < 3, run


def test_a_sparse_huge_undeclared_file_costs_nothing(tmp_path):
    sandbox = sandbox_with(tmp_path, PICKLE_MLMODEL, {"model.pkl": b"\x80\x04N."})
    with (sandbox.target / "artifacts-blob.bin").open("wb") as handle:
        handle.truncate(10 * 2**30)
    run = check(sandbox, clean_allowed=True)
    assert run.seconds < 3, run


@pytest.mark.parametrize("mlmodel,name,content", [
    ("xgboost", "model.xgb", b'{"learner": {}}'),
    ("keras", "data/model.h5", (REPO / "tests" / "data" / "formats" / "keras" / "benign.h5").read_bytes()),
    ("onnx", "model.onnx", b"\x08\x07\x12\x07pytorch" + b"\x00" * 32),
    ("skops", "model.skops", CLEAN["model.skops"]),
    ("models-from-code", "model.py", b"import mlflow\n"),
])
def test_flavors_whose_files_are_not_pickles_stay_silent(tmp_path, mlmodel, name, content):
    documents = {
        "xgboost": "flavors:\n  python_function:\n    data: model.xgb\n    loader_module: mlflow.xgboost\n"
                   "    python_version: 3.11.7\n  xgboost:\n    data: model.xgb\n    model_format: xgb\n",
        "keras": "flavors:\n  python_function:\n    data: data\n    loader_module: mlflow.keras\n"
                 "    python_version: 3.11.7\n  keras:\n    data: data\n    save_format: h5\n",
        "onnx": "flavors:\n  onnx:\n    data: model.onnx\n  python_function:\n    data: model.onnx\n"
                "    loader_module: mlflow.onnx\n    python_version: 3.11.7\n",
        "skops": MLMODEL,
        "models-from-code": "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.loaders.code_model\n"
                            "    model_code_path: model.py\n    python_version: 3.11.7\n",
    }
    sandbox = sandbox_with(tmp_path, documents[mlmodel] + "mlflow_version: 3.17.2\n", {name: content})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS, clean_allowed=True)
    assert "ML303" not in run.stdout, run


def test_an_hdf5_signature_before_nothing_readable_is_not_reported_clean(tmp_path):
    # The HDF5 reader (legacy Keras .h5) finds no superblock it can follow: not checked, never clean.
    mlmodel = ("flavors:\n  python_function:\n    data: data\n    loader_module: mlflow.keras\n"
               "    python_version: 3.11.7\n  keras:\n    data: data\n    save_format: h5\nmlflow_version: 3.17.2\n")
    sandbox = sandbox_with(tmp_path, mlmodel, {"data/model.h5": b"\x89HDF\r\n\x1a\n" + b"\x00" * 64})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS)
    assert "ML303" in run.stdout and "HDF5 file not read" in run.stdout, run


# --- files that cannot be read -----------------------------------------------------------------------

def test_a_symlink_loop_in_place_of_a_model_file_is_reported(tmp_path):
    sandbox = sandbox_with(tmp_path, PICKLE_MLMODEL, {"model.pkl": b"\x80\x04N."})
    (sandbox.target / "artifacts").mkdir()
    (sandbox.target / "artifacts" / "a.pkl").symlink_to("b.pkl")
    (sandbox.target / "artifacts" / "b.pkl").symlink_to("a.pkl")
    check(sandbox, "ML303", "`artifacts/a.pkl` cannot be read", "`artifacts/b.pkl` cannot be read")


def test_an_unreadable_pickle_is_reported_naming_the_os_error(tmp_path, monkeypatch):
    # chmod 000 does not stop root (these tests run as root), so the refusal is simulated where the
    # file is opened; as a normal user `chmod 000 model.pkl` gives the same finding through the CLI.
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.pkl").write_bytes(b"\x80\x04N.")
    real_open = files_module.open_inside

    def refuse(root, path):
        if Path(path).name == "model.pkl":
            raise PermissionError(13, "Permission denied")
        return real_open(root, path)

    monkeypatch.setattr(files_module, "open_inside", refuse)
    [unreadable] = scan_model_files(model, set())
    assert unreadable.scan.kind is None
    assert [problem.reason for problem in unreadable.scan.problems] == ["cannot be read: Permission denied"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_a_chmod_000_pickle_is_reported_through_the_cli(tmp_path):
    sandbox = sandbox_with(tmp_path, PICKLE_MLMODEL, {"model.pkl": b"\x80\x04N."})
    (sandbox.target / "model.pkl").chmod(0)
    check(sandbox, "ML303", "cannot be read")
