"""Payloads that are not what MLmodel says: Git LFS pointers, empty files and dirs, a model dir far below
``model_size_bytes``; and what must stay silent (real models whose binaries are present, marker files,
files MLflow writes after it takes the size)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.serialized.lfs import describe_pointer, is_lfs_pointer, pointer_size
from modellint.rules._examples import MLMODEL, model_files
from tests.conftest import write_files

POINTER = ("version https://git-lfs.github.com/spec/v1\n"
           "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
TF_MLMODEL = """\
flavors:
  python_function:
    data: data
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.tensorflow
    python_version: 3.11.7
  tensorflow:
    code: null
    data: data
    model_type: keras
mlflow_version: 3.17.2
"""


def problems(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    return [problem.message for problem in ModelDir(write_files(tmp_path, files)).payload_problems]


def test_a_pointer_names_the_size_it_stands_for():
    head = POINTER.encode()
    assert is_lfs_pointer(head) and pointer_size(head) == 12345
    assert describe_pointer(head) == "a Git LFS pointer to a 12,345-byte object, not the weights: run `git lfs pull`"
    assert not is_lfs_pointer(b"\x80\x04K\x01.")


def test_a_pointer_in_place_of_the_named_file_is_reported_once(tmp_path):
    found = problems(tmp_path, model_files(model__skops=POINTER))
    assert len(found) == 1 and "is a Git LFS pointer to a 12,345-byte object" in found[0]


def test_a_pointer_below_a_named_dir_is_reported(tmp_path):
    found = problems(tmp_path, model_files(MLmodel=TF_MLMODEL, model__skops=None,
                                           **{"data/model.keras": POINTER, "data/keras_module.txt": "keras"}))
    assert found == ["`data/model.keras` (in `data`, which `python_function.data` names) is a Git LFS pointer "
                     "to a 12,345-byte object, not the weights: run `git lfs pull`"]


def test_an_empty_named_file_and_an_empty_named_dir_are_reported(tmp_path):
    assert problems(tmp_path / "file", model_files(model__skops=b""))
    (tmp_path / "dir" / "data").mkdir(parents=True)
    found = problems(tmp_path / "dir", model_files(MLmodel=TF_MLMODEL, model__skops=None))
    assert found and "holds no bytes" in found[0]


def test_empty_marker_files_in_a_payload_dir_and_code_dirs_are_silent(tmp_path):
    assert problems(tmp_path / "a", model_files(MLmodel=TF_MLMODEL, model__skops=None,
                                                **{"data/_SUCCESS": b"", "data/part-0": b"x" * 64})) == []
    assert problems(tmp_path / "b", model_files(MLmodel=MLMODEL.replace("code: null", "code: code"),
                                                **{"code/__init__.py": ""})) == []


@pytest.mark.parametrize(("recorded", "reported"), [
    (22, False),  # the 22-byte skops zip: exactly what MLflow recorded
    (44, False),  # half is present: a stray file dropped after the save is not this rule's business
    (45, True),
    (4_718_592, True),
    ("4718592", False),  # not an int: no claim to hold the payload to
    (True, False),
])
def test_the_size_check_compares_with_what_mlflow_counted(tmp_path, recorded, reported):
    found = problems(tmp_path, model_files(MLmodel=MLMODEL + f"model_size_bytes: {json.dumps(recorded)}\n"))
    assert bool(found) is reported, found


def test_files_written_after_the_size_was_taken_do_not_count(tmp_path):
    big_env = "name: env\n" + "# padding\n" * 1000
    found = problems(tmp_path, model_files(MLmodel=MLMODEL + "model_size_bytes: 4718592\n", conda__yaml=big_env,
                                           registered_model_meta="model_name: m\n" * 500))
    assert found and "holds 22 bytes of payload" in found[0]


def test_a_missing_or_outside_payload_turns_the_size_check_off(tmp_path):
    sized = MLMODEL + "model_size_bytes: 4718592\n"
    assert problems(tmp_path / "missing", model_files(MLmodel=sized, model__skops=None)) == []  # ML003's
    outside = sized.replace("pickled_model: model.skops", "pickled_model: /abs/model.skops")
    assert problems(tmp_path / "outside", model_files(MLmodel=outside)) == []


REAL = Path("/work/shared/real-models")


@pytest.mark.skipif(not REAL.is_dir(), reason="the real model dirs are not on this machine")
def test_real_model_copies_raise_nothing_ml003_does_not_already_explain():
    """The copies hold no binaries by design: wherever a payload is missing ML003 says so, and the size
    check stays off; no real dir holds an LFS pointer or an empty payload."""
    for directory in sorted(path for path in REAL.iterdir() if (path / "MLmodel").is_file()):
        assert ModelDir(directory).payload_problems == [], directory.name


def test_a_lone_pointer_checked_by_name_says_what_it_is(tmp_path):
    from modellint.targets import discover_all

    (tmp_path / "model.pkl").write_text(POINTER)
    targets, errors = discover_all([tmp_path / "model.pkl"])
    assert targets == [] and "it is a Git LFS pointer to a 12,345-byte object" in str(errors[0])


def test_what_a_model_s_own_code_reads_may_be_empty(tmp_path):
    artifact = MLMODEL.replace("    predict_fn: predict\n", "    predict_fn: predict\n    artifacts:\n"
                               "      marker:\n        path: artifacts/ready\n        uri: ready\n")
    assert problems(tmp_path / "artifact", model_files(MLmodel=artifact, **{"artifacts/ready": b""})) == []
    custom = MLMODEL.replace("loader_module: mlflow.sklearn", "loader_module: my_loader").replace(
        "    predict_fn: predict\n", "    predict_fn: predict\n    data: settings.cfg\n")
    assert problems(tmp_path / "custom", model_files(MLmodel=custom, settings__cfg=b"")) == []
    assert problems(tmp_path / "pointer", model_files(MLmodel=artifact, **{"artifacts/ready": POINTER}))


def test_a_payload_dir_reached_through_a_symlink_inside_the_model_is_not_empty(tmp_path):
    files = model_files(MLmodel=TF_MLMODEL, model__skops=None, **{"real_data/saved_model.pb": b"\x08\x01"})
    root = write_files(tmp_path / "model", files)
    (root / "data").symlink_to("real_data")
    assert [problem.message for problem in ModelDir(root).payload_problems] == []
