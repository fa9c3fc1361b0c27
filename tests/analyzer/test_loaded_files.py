"""Which serialized files MLflow's loader may read: the paths a reviewed flavor names, and every file as
soon as code of the model's own may open any path (fail closed)."""

from __future__ import annotations

import pytest

from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.serialized.loaded_files import is_loaded, loaded_paths
from modellint.rules._serialized_examples import by_value_function_pickle, instance_pickle, pickled_model
from tests.conftest import write_files

SKLEARN = {"python_function": {"loader_module": "mlflow.sklearn", "model_path": "model.pkl"},
           "sklearn": {"pickled_model": "model.pkl", "serialization_format": "cloudpickle"}}


def test_the_file_a_flavor_names_and_what_lies_below_a_named_dir_are_loaded():
    paths = loaded_paths({**SKLEARN, "pytorch": {"model_data": "data", "extra_files": [{"path": "extra/x.txt"}]}})
    assert is_loaded("model.pkl", paths) and is_loaded("data/model.pth", paths) and is_loaded("extra/x.txt", paths)
    assert not is_loaded("best-model.pkl", paths) and not is_loaded("data2/model.pth", paths)


@pytest.mark.parametrize("change", [
    {"python_function": {"loader_module": "my_loader", "data": "model.pkl"}},
    {"python_function": {"loader_module": "mlflow.pyfunc.model", "python_model": "python_model.pkl"}},
    {"python_function": {"loader_module": "mlflow.sklearn", "model_path": "model.pkl", "code": "code"}},
    {"python_function": {"model_code_path": "model.py"}},
    {"my_flavor": {"data": "model.pkl"}},
    {"sklearn": {"pickled_model": "."}},
    {"sklearn": {"pickled_model": "/home/me/model/model.pkl"}},
    {"sklearn": {"pickled_model": "C:\\model\\model.pkl"}},
    {"sklearn": {"pickled_model": "../model/model.pkl"}},
], ids=["custom-loader", "python-model", "code-dir", "models-from-code", "unreviewed-flavor", "the-whole-dir",
        "absolute", "a-windows-drive", "climbing-out"])
def test_code_of_the_model_s_own_makes_every_file_possibly_loaded(change):
    assert loaded_paths({**SKLEARN, **change}) is None


def test_by_value_code_in_a_loaded_file_makes_every_file_possibly_loaded(tmp_path):
    root = write_files(tmp_path / "m", pickled_model(by_value_function_pickle("os"),
                                               **{"best-model.pkl": instance_pickle("os", "system")}))
    model = ModelDir(root)
    assert model.mlflow_loaded_paths is None and model.loaded_by_mlflow("best-model.pkl")


def test_a_stray_pickle_beside_a_plain_model_is_not_loaded(tmp_path):
    root = write_files(tmp_path / "m", pickled_model(instance_pickle("sklearn.linear_model", "LogisticRegression"),
                                               **{"best-model.pkl": instance_pickle("os", "system")}))
    model = ModelDir(root)
    assert model.loaded_by_mlflow("model.pkl") and not model.loaded_by_mlflow("best-model.pkl")
