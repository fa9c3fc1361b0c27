"""Signature / input-example corpus: model dirs saved by real MLflow, with MLflow's own verdict.

Run inside an MLflow 3.x venv, by ``corpus/build.py`` (which calls ``build(corpus_dir)``) or
directly: ``python corpus/builders/signatures.py CORPUS_DIR``. Writes ``CORPUS_DIR/signatures/<case>/``.

Each case is saved with ``mlflow.pyfunc.save_model`` and an identity model. MLflow refuses to
save an example that does not match the signature, so a mismatching case is saved with a valid
example and then gets its example file(s) replaced; malformed signatures are written into the
MLmodel of a valid save. ``verdict.json`` records what MLflow itself says:

* ``signature``: whether ``Model.load`` reads the MLmodel (and its error);
* ``files``: per example file, whether MLflow accepts it: ``serving_input_example.json`` through
  ``_validate_serving_input`` (parse the payload as the scoring server does, then predict), and
  ``input_example.json`` through ``Model.load_input_example`` + ``load_input_example_params`` and
  a pyfunc ``predict`` (which runs ``_enforce_schema`` / ``_enforce_params_schema``);
* ``column``: the column / input / param the broken case is about (the case author's intent).
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import mlflow
import numpy as np
import pandas as pd
import yaml
from mlflow.models import Model, ModelSignature
from mlflow.types.schema import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
)
from scipy import sparse

SERVING = "serving_input_example.json"
INPUT = "input_example.json"


class Identity(mlflow.pyfunc.PythonModel):
    """Returns its input: the verdict is about schema enforcement, never about the model."""

    def predict(self, context, model_input, params=None):
        return model_input


@dataclass
class Case:
    name: str
    description: str
    signature: ModelSignature
    example: Any
    replace: dict[str, Any] = field(default_factory=dict)  # file name -> JSON value written
    column: str | int | None = None
    edit_signature: Callable[[dict], None] | None = None  # mutates MLmodel's `signature` mapping


def _cols(*specs: ColSpec) -> Schema:
    return Schema(list(specs))


def _frame_sig(**types: str) -> ModelSignature:
    return ModelSignature(_cols(*(ColSpec(t, n) for n, t in types.items())))


def _split(columns: list, data: list) -> dict:
    return {"dataframe_split": {"columns": columns, "data": data}}


def _column_cases() -> list[Case]:
    ab = _frame_sig(a="double", b="long")
    ab_frame = pd.DataFrame({"a": [1.5, 2.5], "b": [1, 2]})
    all_scalars = pd.DataFrame({
        "flag": [True, False],
        "i32": np.array([1, 2], dtype=np.int32),
        "i64": [10, 20],
        "f32": np.array([0.5, 1.5], dtype=np.float32),
        "f64": [0.25, 2.0],
        "text": ["x", "y"],
        "blob": [b"\x00\x01", b"hi"],
        "when": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    })
    optional = ModelSignature(_cols(ColSpec("double", "a"), ColSpec("string", "c", required=False)))
    return [
        Case("valid_all_scalar_types", "every scalar column type, inferred by MLflow",
             mlflow.models.infer_signature(all_scalars), all_scalars),
        Case("renamed_column", "column b renamed to bb in both example files", ab, ab_frame,
             {INPUT: {"columns": ["a", "bb"], "data": [[1.5, 1]]}, SERVING: _split(["a", "bb"], [[1.5, 1]])},
             column="b"),
        Case("string_in_double", "a non-numeric string in a double column", ab, ab_frame,
             {INPUT: {"columns": ["a", "b"], "data": [[1.5, 1], ["high", 2]]},
              SERVING: _split(["a", "b"], [[1.5, 1], ["high", 2]])}, column="a"),
        Case("numeric_string_in_double", "'2.5' in a double column: MLflow's cast parses it", ab, ab_frame,
             {INPUT: {"columns": ["a", "b"], "data": [["2.5", 1]]}, SERVING: _split(["a", "b"], [["2.5", 1]])}),
        Case("float_in_long", "1.5 in a long column: MLflow's astype truncates it silently", ab, ab_frame,
             {INPUT: {"columns": ["a", "b"], "data": [[1.5, 1.5]]}, SERVING: _split(["a", "b"], [[1.5, 1.5]])}),
        Case("null_in_long", "a missing value in a required long column", ab, ab_frame,
             {INPUT: {"columns": ["a", "b"], "data": [[1.5, 1], [2.5, None]]},
              SERVING: _split(["a", "b"], [[1.5, 1], [2.5, None]])}, column="b"),
        Case("int_in_double", "integers in a double column (save_model itself rejects int64 there)", ab,
             ab_frame, {INPUT: {"columns": ["a", "b"], "data": [[1, 1], [7, 2]]},
                        SERVING: _split(["a", "b"], [[1, 1], [7, 2]])}),
        Case("extra_column", "a column the signature does not declare", ab,
             pd.DataFrame({"a": [1.5], "b": [1], "zz": ["extra"]})),
        Case("missing_optional_column", "an optional column left out", optional, pd.DataFrame({"a": [1.0]})),
        Case("ints_in_boolean", "0/1 integers in a boolean column", _frame_sig(flag="boolean"),
             pd.DataFrame({"flag": [True]}),
             {INPUT: {"columns": ["flag"], "data": [[0], [1]]}, SERVING: _split(["flag"], [[0], [1]])}),
        Case("bad_base64_binary", "a binary column whose value is not base64", _frame_sig(blob="binary"),
             pd.DataFrame({"blob": [b"hi"]}),
             {INPUT: {"columns": ["blob"], "data": [["aGk"]]}, SERVING: _split(["blob"], [["aGk"]])},
             column="blob"),
        Case("bad_datetime", "a datetime column holding text", _frame_sig(when="datetime"),
             pd.DataFrame({"when": pd.to_datetime(["2024-01-01"])}),
             {INPUT: {"columns": ["when"], "data": [["next tuesday"]]},
              SERVING: _split(["when"], [["next tuesday"]])}, column="when"),
        Case("records_wrong_type", "dataframe_records payload with a string in a long column", ab, ab_frame,
             {SERVING: {"dataframe_records": [{"a": 1.0, "b": "seven"}]}}, column="b"),
        Case("unnamed_values_orient", "a frame without column names (pandas_orient values)",
             mlflow.models.infer_signature(pd.DataFrame([[1.0, 2.0]])), pd.DataFrame([[1.0, 2.0]])),
        Case("unnamed_string_list", "a list of strings for one unnamed string column",
             ModelSignature(_cols(ColSpec("string"))), ["a", "b"]),
    ]


def _composite_cases() -> list[Case]:
    message = Object([Property("role", "string"), Property("content", "string")])
    chat = ModelSignature(
        _cols(ColSpec(Array(message), "messages")),
        params=ParamSchema([ParamSpec("temperature", "double", 0.1)]),
    )
    chat_example = ({"messages": [{"role": "user", "content": "hi"}]}, {"temperature": 0.5})
    nested = ModelSignature(_cols(
        ColSpec(Array(DataType.long), "ids"),
        ColSpec(Map(DataType.double), "weights"),
        ColSpec(AnyType(), "anything", required=False),
        ColSpec(Object([Property("x", "double"), Property("y", "string", required=False)]), "point"),
    ))
    nested_example = {"ids": [1, 2], "weights": {"a": 0.5}, "point": {"x": 1.0}}
    return [
        Case("valid_chat_messages_params", "array<object> column with a params example (LLM payload)",
             chat, chat_example),
        Case("valid_array_map_any_object", "array, map, any and object columns from a dict example",
             nested, nested_example),
        Case("object_missing_property", "an object value without a required property", nested,
             nested_example,
             {INPUT: {"ids": [1], "weights": {"a": 0.5}, "point": {"y": "no x"}},
              SERVING: {"inputs": {"ids": [1], "weights": {"a": 0.5}, "point": {"y": "no x"}}}},
             column="point"),
        Case("array_wrong_item_type", "strings in an array<long> column", nested, nested_example,
             {INPUT: {"ids": ["one"], "weights": {"a": 0.5}, "point": {"x": 1.0}},
              SERVING: {"inputs": {"ids": ["one"], "weights": {"a": 0.5}, "point": {"x": 1.0}}}},
             column="ids"),
    ]


def _tensor_cases() -> list[Case]:
    matrix = np.array([[1.0, 2.0], [3.0, 4.0]])
    matrix_sig = mlflow.models.infer_signature(matrix)
    named = {"a": np.array([1, 2]), "b": np.array([3.0, 4.0])}
    csr = sparse.csr_matrix(np.array([[0.0, 1.5], [2.0, 0.0]]))
    return [
        Case("valid_tensor", "an ndarray example for a [-1, 2] float64 tensor", matrix_sig, matrix),
        Case("tensor_wrong_trailing_dim", "rows of 3 values for a [-1, 2] tensor", matrix_sig, matrix,
             {INPUT: [[1.0, 2.0, 3.0]], SERVING: {"inputs": [[1.0, 2.0, 3.0]]}}),
        Case("tensor_string_value", "text inside a float64 tensor", matrix_sig, matrix,
             {INPUT: [[1.0, "two"]], SERVING: {"inputs": [[1.0, "two"]]}}),
        Case("valid_named_tensors", "a dict of ndarrays for named tensors",
             mlflow.models.infer_signature(named), named),
        Case("named_tensor_missing", "a named tensor left out", mlflow.models.infer_signature(named), named,
             {INPUT: {"a": [1, 2]}, SERVING: {"inputs": {"a": [1, 2]}}}, column="b"),
        Case("valid_sparse_csr", "a scipy CSR example", mlflow.models.infer_signature(csr), csr),
        Case("valid_sparse_csc", "a scipy CSC example", mlflow.models.infer_signature(csr.tocsc()), csr.tocsc()),
        Case("valid_dataframe_for_tensor", "a data frame example for an unnamed [-1, 2] tensor",
             ModelSignature(Schema([TensorSpec(np.dtype("float64"), (-1, 2))])),
             pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})),
    ]


def _params_cases() -> list[Case]:
    params = ParamSchema([
        ParamSpec("temperature", "double", 0.5),
        ParamSpec("top_k", "long", 3),
        ParamSpec("stop", "string", ["a", "b"], (-1,)),
        ParamSpec("flag", "boolean", False),
    ])
    sig = ModelSignature(_cols(ColSpec("string", "q")), params=params)
    frame = pd.DataFrame({"q": ["hello"]})
    good = {"temperature": 0.7, "top_k": 5, "stop": ["x"], "flag": True}
    return [
        Case("valid_params", "params with defaults, all supplied", sig, (frame, good)),
        Case("params_type_mismatch", "a string for a double param", sig, (frame, good),
             {INPUT: {"inputs": {"columns": ["q"], "data": [["hello"]]}, "params": {**good, "temperature": "hot"}},
              SERVING: {**_split(["q"], [["hello"]]), "params": {**good, "temperature": "hot"}}},
             column="temperature"),
        Case("params_shape_mismatch", "a scalar for a [-1] param", sig, (frame, good),
             {INPUT: {"inputs": {"columns": ["q"], "data": [["hello"]]}, "params": {**good, "stop": "x"}},
              SERVING: {**_split(["q"], [["hello"]]), "params": {**good, "stop": "x"}}},
             column="stop"),
        Case("params_float_for_long", "a float for a long param", sig, (frame, good),
             {SERVING: {**_split(["q"], [["hello"]]), "params": {**good, "top_k": 2.5}}}, column="top_k"),
    ]


def _set(field_name: str, value: Any) -> Callable[[dict], None]:
    def edit(signature: dict) -> None:
        signature[field_name] = value if isinstance(value, str) or value is None else json.dumps(value)

    return edit


def _malformed_cases() -> list[Case]:
    sig = _frame_sig(a="double")
    frame = pd.DataFrame({"a": [1.0]})
    tensor = {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}
    bad = {
        "mixed_named_unnamed": _set("inputs", [{"type": "double", "name": "a"}, {"type": "long"}]),
        "unknown_column_type": _set("inputs", [{"type": "decimal", "name": "a"}]),
        "sized_string_tensor": _set("inputs", [{"type": "tensor", "tensor-spec": {"dtype": "<U5", "shape": [-1]}}]),
        "mixed_column_and_tensor": _set("inputs", [{"type": "double", "name": "a"}, {**tensor, "name": "t"}]),
        "two_unnamed_tensors": _set("inputs", [tensor, tensor]),
        "unnamed_optional_input": _set("inputs", [{"type": "double", "required": False}]),
        "empty_inputs": _set("inputs", "[]"),
        "inputs_not_json": _set("inputs", "[{'type': 'double'}]"),
        "binary_param": _set("params", [{"name": "p", "default": None, "shape": None, "type": "binary"}]),
        "param_default_wrong_type": _set("params", [{"name": "k", "default": "x", "shape": None, "type": "long"}]),
        "duplicate_params": _set("params", [{"name": "k", "default": 1, "shape": None, "type": "long"}] * 2),
        "array_without_items": _set("inputs", [{"type": "array", "name": "a", "required": True}]),
    }
    cases = [
        Case(f"malformed_{name}", f"signature edited: {name.replace('_', ' ')}", sig, frame, edit_signature=edit)
        for name, edit in bad.items()
    ]
    cases.append(Case("valid_old_dtype_param_key", "params written with the pre-2.10 `dtype` key", sig, frame,
                      edit_signature=_set("params", [{"name": "k", "default": 1, "shape": None, "dtype": "long"}])))
    return cases


def all_cases() -> list[Case]:
    return [*_column_cases(), *_composite_cases(), *_tensor_cases(), *_params_cases(), *_malformed_cases()]


# ---------------------------------------------------------------------------------------------


def _save(case: Case, path: Path) -> None:
    mlflow.pyfunc.save_model(str(path), python_model=Identity(), signature=case.signature,
                             input_example=case.example)
    for name, value in case.replace.items():
        (path / name).write_text(json.dumps(value, indent=2 if name == SERVING else None))
    if case.edit_signature:
        mlmodel_path = path / "MLmodel"
        mlmodel = yaml.safe_load(mlmodel_path.read_text())
        case.edit_signature(mlmodel["signature"])
        mlmodel_path.write_text(yaml.safe_dump(mlmodel, default_flow_style=False))


def _outcome(run: Callable[[], Any]) -> dict[str, Any]:
    try:
        run()
    except Exception as error:  # MLflow's verdict is whatever it raises
        return {"valid": False, "error": f"{type(error).__name__}: {error}"[:2000]}
    return {"valid": True, "error": None}


def _verdict(case: Case, path: Path) -> dict[str, Any]:
    from mlflow.models.utils import _validate_serving_input

    verdict: dict[str, Any] = {"case": case.name, "description": case.description,
                               "mlflow_version": mlflow.__version__, "column": case.column}
    verdict["signature"] = _outcome(lambda: Model.load(str(path)))
    verdict["files"] = {}
    if not verdict["signature"]["valid"]:
        return verdict

    def predict_input_example() -> None:
        model = Model.load(str(path))
        example = model.load_input_example(str(path))
        params = model.load_input_example_params(str(path))
        mlflow.pyfunc.load_model(str(path)).predict(example, params=params)

    verdict["files"][INPUT] = _outcome(predict_input_example)
    if (path / SERVING).exists():
        serving = (path / SERVING).read_text()
        verdict["files"][SERVING] = _outcome(lambda: _validate_serving_input(str(path), serving))
    return verdict


def build(out_dir: Path) -> None:
    """Write ``out_dir/signatures/<case>/`` for every case (replacing what was there)."""
    import cloudpickle

    if __name__ != "__main__":  # imported by corpus/build.py: pickle Identity by value
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    root = Path(out_dir) / "signatures"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for case in all_cases():
        path = root / case.name
        _save(case, path)
        verdict = _verdict(case, path)
        (path / "verdict.json").write_text(json.dumps(verdict, indent=2, sort_keys=True) + "\n")
        files = {name: result["valid"] for name, result in verdict["files"].items()}
        print(f"{case.name}: signature={verdict['signature']['valid']} {files}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python corpus/builders/signatures.py CORPUS_DIR")
    build(Path(sys.argv[1]))
