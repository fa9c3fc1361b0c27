"""The signature parser on every form MLflow writes, and on the malformed ones MLflow refuses.

Inputs are MLmodel's ``signature`` mapping: JSON strings per field, exactly as in the file.
"""

from __future__ import annotations

import json

import pytest

from modellint.analyzer.signatures.schema import (
    AnyValue,
    Array,
    ColumnSpec,
    Map,
    Object,
    Property,
    Scalar,
    TensorSpec,
    param_value_problem,
    parse_signature,
    value_problem,
)


def _parse(**fields):
    raw = {name: value if isinstance(value, str) or value is None else json.dumps(value) for name, value in fields.items()}
    return parse_signature(raw)


def _ok(**fields):
    signature, errors = _parse(**fields)
    assert errors == [] and signature is not None
    return signature


def _error(**fields) -> str:
    signature, errors = _parse(**fields)
    assert signature is None and len(errors) == 1, errors
    return f"{errors[0].field}: {errors[0].message}"


def test_no_signature_is_not_an_error():
    assert parse_signature(None) == (None, [])


@pytest.mark.parametrize("scalar", ["boolean", "integer", "long", "float", "double", "string", "binary", "datetime"])
def test_every_scalar_column_type(scalar):
    (spec,) = _ok(inputs=[{"type": scalar, "name": "x", "required": True}]).inputs.specs
    assert spec == ColumnSpec(Scalar(scalar), "x", True)


def test_composite_columns_array_object_map_any():
    inputs = [
        {"type": "array", "items": {"type": "string"}, "name": "tags", "required": True},
        {"type": "object", "name": "point", "required": True,
         "properties": {"x": {"type": "double", "required": True}, "label": {"type": "string", "required": False}}},
        {"type": "map", "values": {"type": "long"}, "name": "counts", "required": True},
        {"type": "any", "name": "anything", "required": True},
        {"type": "array", "items": {"type": "array", "items": {"type": "double"}}, "name": "matrix", "required": True},
    ]
    tags, point, counts, anything, matrix = _ok(inputs=inputs).inputs.specs
    assert tags.type == Array(Scalar("string"))
    assert isinstance(point.type, Object)
    assert {(p.name, p.type, p.required) for p in point.type.properties} == {
        ("x", Scalar("double"), True), ("label", Scalar("string"), False)}
    assert counts.type == Map(Scalar("long"))
    assert anything.type == AnyValue()
    assert matrix.type == Array(Array(Scalar("double")))


def test_optional_and_unnamed_columns():
    optional = _ok(inputs=[{"type": "double", "name": "a", "required": True},
                           {"type": "string", "name": "b", "required": False}]).inputs
    assert optional.required_keys() == ["a"]
    unnamed = _ok(inputs=[{"type": "double", "required": True}, {"type": "double", "required": True}]).inputs
    assert not unnamed.has_names and unnamed.keys() == [0, 1]


def test_old_column_specs_without_required_are_required():
    # MLflow 1.x wrote `{"name": "a", "type": "double"}`: required by default
    (spec,) = _ok(inputs=[{"name": "a", "type": "double"}]).inputs.specs
    assert spec.required


def test_tensor_specs_with_dtype_and_shape():
    inputs = [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28, 28]}, "name": "image"},
              {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}, "name": "ids"}]
    image, ids = _ok(inputs=inputs).inputs.specs
    assert isinstance(image, TensorSpec) and image.shape == (-1, 28, 28) and image.name == "image"
    assert (image.dtype.kind, image.dtype.itemsize) == ("f", 4)
    assert (ids.dtype.kind, ids.dtype.itemsize) == ("i", 8)
    assert _ok(inputs=inputs).inputs.is_tensor


def test_unnamed_tensor():
    (spec,) = _ok(inputs=[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]).inputs.specs
    assert spec.name is None and spec.shape == (-1, 4)


def test_params_with_defaults_and_shapes():
    params = [
        {"name": "temperature", "type": "double", "default": 0.7, "shape": None},
        {"name": "stop", "type": "string", "default": ["\n"], "shape": [-1]},
        {"name": "top_k", "type": "long", "default": 5, "shape": None},
        {"name": "when", "type": "datetime", "default": "2024-01-01T00:00:00", "shape": None},
    ]
    temperature, stop, top_k, when = _ok(params=params).params
    assert (temperature.type, temperature.default, temperature.shape) == (Scalar("double"), 0.7, None)
    assert (stop.type, stop.shape) == (Scalar("string"), (-1,))
    assert top_k.default == 5 and when.type == Scalar("datetime")


def test_params_in_the_pre_2_10_dtype_spelling():
    (spec,) = _ok(params=[{"name": "k", "dtype": "long", "default": 3, "shape": None}]).params
    assert spec.type == Scalar("long")


def test_outputs_only_and_null_fields():
    signature = _ok(inputs=None, outputs=[{"type": "double", "required": True}])
    assert signature.inputs is None and signature.outputs is not None and signature.params is None


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"inputs": "{not json"}, "inputs"),
        ({"inputs": [{"type": "decimal", "name": "x"}]}, "decimal"),
        ({"inputs": [{"type": "array", "name": "x"}]}, "items"),
        ({"inputs": [{"type": "double", "name": "a"}, {"type": "double"}]}, "inputs"),
        ({"inputs": [{"type": "double", "name": "a"},
                     {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}, "name": "t"}]}, "inputs"),
        ({"params": [{"name": "k", "type": "long", "default": "three", "shape": None}]}, "three"),
        ({"params": [{"name": "k", "type": "long", "default": 1, "shape": None},
                     {"name": "k", "type": "long", "default": 2, "shape": None}]}, "more than once"),
        ({"params": [{"name": "blob", "type": "binary", "default": "", "shape": None}]}, "binary"),
    ],
    ids=["not-json", "unknown-type", "array-without-items", "named-and-unnamed", "column-and-tensor",
         "param-default-wrong-type", "duplicate-param", "binary-param"],
)
def test_malformed_signatures_are_errors_naming_the_problem(fields, words):
    assert words in _error(**fields)


def test_a_signature_with_no_field_declared_is_an_error():
    assert "none of inputs, outputs or params" in _error(inputs=None, outputs=None)


def test_a_yaml_mapping_instead_of_a_json_string_is_an_error():
    signature, errors = parse_signature({"inputs": [{"type": "double"}]})
    assert signature is None and "JSON string" in errors[0].message


def test_a_signature_that_is_not_a_mapping_is_an_error():
    signature, errors = parse_signature(["inputs"])
    assert signature is None and errors[0].field == "signature"


# Each verdict checked against MLflow 3.17.2's _enforce_array/_enforce_map/_enforce_object.
@pytest.mark.parametrize(
    ("value", "field_type", "accepted"),
    [
        (1, Scalar("double"), True),  # int -> double widens
        ("a", Scalar("double"), False),
        (1.5, Scalar("long"), False),
        (True, Scalar("boolean"), True),
        (["a", "b"], Array(Scalar("string")), True),
        (["a", 1], Array(Scalar("string")), True),  # numpy makes it ['a', '1'], as MLflow 3.17 accepts
        ([1, "a"], Array(Scalar("long")), False),
        ({"x": 1.0}, Object((Property("x", Scalar("double"), True),)), True),
        ({}, Object((Property("x", Scalar("double"), True),)), False),
        ({"a": 1, "b": 2}, Map(Scalar("long")), True),
        ({"a": "1"}, Map(Scalar("long")), False),
        ({"any": ["thing"]}, AnyValue(), True),
    ],
)
def test_strict_value_rules(value, field_type, accepted):
    assert (value_problem(value, field_type, required=True) is None) == accepted


def test_param_values_follow_mlflows_exact_type_rules():
    (double, stop) = _ok(params=[{"name": "t", "type": "double", "default": 0.5, "shape": None},
                                 {"name": "stop", "type": "string", "default": ["x"], "shape": [-1]}]).params
    assert param_value_problem(1, double) is None  # int widens to double
    assert param_value_problem("0.5", double)
    assert param_value_problem(["a", "b"], stop) is None
    assert param_value_problem("a", stop)
