"""Model signatures as MLflow writes them in MLmodel, parsed and validated without mlflow.

``signature:`` in MLmodel maps ``inputs``, ``outputs`` and ``params`` to JSON strings (or null).
This module reads every form MLflow 2.x/3.x writes (column specs with scalar, array, object,
map, any and sparkml_vector types; tensor specs; params) and applies the checks MLflow's own
constructors apply (``mlflow/types/schema.py``), so a signature that would make ``Model.load``
raise is reported instead of parsed.

It also knows which JSON values a type admits under MLflow's *strict* enforcement
(``_enforce_type`` / ``_enforce_mlflow_datatype`` on values pandas infers from plain Python
data): that is the rule for nested values (array items, object properties, map values), for
param values and for examples MLflow passes to the model without any casting. The lenient,
casting read paths (data frames and tensors in example files) live in :mod:`.input_examples`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Union

from modellint.record import Record

SCALAR_TYPES = ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime")
SIGNATURE_FIELDS = ("inputs", "outputs", "params")
INT64_MAX = 2**63 - 1


class Scalar(Record):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name  # one of SCALAR_TYPES


class Array(Record):
    __slots__ = ("items", "spark_vector")

    def __init__(self, items: FieldType, spark_vector: bool = False) -> None:
        self.items = items
        self.spark_vector = spark_vector  # `sparkml_vector` is MLflow's Array(double) under another name


class Property(Record):
    __slots__ = ("name", "type", "required")

    def __init__(self, name: str, type: FieldType, required: bool) -> None:
        self.name = name
        self.type = type
        self.required = required


class Object(Record):
    __slots__ = ("properties",)

    def __init__(self, properties: tuple[Property, ...]) -> None:
        self.properties = properties


class Map(Record):
    __slots__ = ("values",)

    def __init__(self, values: FieldType) -> None:
        self.values = values


class AnyValue(Record):
    __slots__ = ()

    def __init__(self) -> None:
        pass


FieldType = Union[Scalar, Array, Object, Map, AnyValue]


class ColumnSpec(Record):
    __slots__ = ("type", "name", "required")

    def __init__(self, type: FieldType, name: str | int | None, required: bool) -> None:
        self.type = type
        self.name = name
        # MLflow leaves `required` as None when a composite column omits the key, and None counts
        # as optional everywhere it is read; it is stored here already resolved.
        self.required = required


class TensorDType(Record):
    """A numpy dtype known by its canonical name, kind character and size in bytes."""

    __slots__ = ("name", "kind", "itemsize")

    def __init__(self, name: str, kind: str, itemsize: int) -> None:
        self.name = name
        self.kind = kind  # numpy kind: b i u f c U S O M m V
        self.itemsize = itemsize


class TensorSpec(Record):
    __slots__ = ("dtype", "shape", "name")

    required = True

    def __init__(self, dtype: TensorDType, shape: tuple[object, ...], name: str | None) -> None:
        self.dtype = dtype
        self.shape = shape  # sizes, -1 for any; as MLflow loads it, so not necessarily ints
        self.name = name


Spec = Union[ColumnSpec, TensorSpec]


class SchemaBase(Record):
    """A signature's inputs or outputs. Parsing builds a :class:`ColumnSchema` or a
    :class:`TensorSchema` (MLflow rejects a schema that mixes the two kinds of spec), so that a
    check on the kind also tells the type checker which specs it holds."""

    __slots__ = ("specs",)

    def __init__(self, specs: tuple[Spec, ...]) -> None:
        self.specs = specs

    @property
    def is_tensor(self) -> bool:
        return isinstance(self, TensorSchema)

    @property
    def has_names(self) -> bool:
        return self.specs[0].name is not None

    def keys(self) -> list[str | int]:
        """Input names, or positions where MLflow falls back to them (``x.name or i``)."""
        return [spec.name or index for index, spec in enumerate(self.specs)]

    def required_keys(self) -> list[str | int]:
        return [key for key, spec in zip(self.keys(), self.specs) if spec.required]


class ColumnSchema(SchemaBase):
    __slots__ = ()

    specs: tuple[ColumnSpec, ...]

    def __init__(self, specs: tuple[ColumnSpec, ...]) -> None:
        super().__init__(specs)


class TensorSchema(SchemaBase):
    __slots__ = ()

    specs: tuple[TensorSpec, ...]

    def __init__(self, specs: tuple[TensorSpec, ...]) -> None:
        super().__init__(specs)


Schema = Union[ColumnSchema, TensorSchema]


class ParamSpec(Record):
    __slots__ = ("name", "type", "default", "shape")

    def __init__(self, name: str, type: Scalar | Object, default: Any, shape: tuple[int, ...] | None) -> None:
        self.name = name
        self.type = type
        self.default = default
        self.shape = shape


class Signature(Record):
    __slots__ = ("inputs", "outputs", "params")

    def __init__(self, inputs: Schema | None, outputs: Schema | None, params: tuple[ParamSpec, ...] | None) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self.params = params


class SignatureError(Record):
    __slots__ = ("field", "message")

    def __init__(self, field: str, message: str) -> None:
        self.field = field  # "inputs", "outputs", "params", or "signature" for the mapping itself
        self.message = message


class _Invalid(Exception):
    """One reason a signature JSON is unreadable; becomes a SignatureError at the boundary."""


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_signature(raw: Mapping | None) -> tuple[Signature | None, list[SignatureError]]:
    """Parse MLmodel's ``signature`` mapping; ``(None, [])`` when the model has none."""
    if raw is None:
        return None, []
    if not isinstance(raw, Mapping):
        found = type(raw).__name__
        return None, [SignatureError("signature", f"`signature` must be a mapping, not {found}")]
    errors: list[SignatureError] = []
    parsed: dict[str, Any] = {}
    readers = {"inputs": _read_schema, "outputs": _read_schema, "params": _read_params}
    for field, reader in readers.items():
        text = raw.get(field)
        if not text:  # MLflow reads a missing, null or empty entry as "not declared"
            parsed[field] = None
            continue
        try:
            parsed[field] = reader(_decode(text))
        except _Invalid as problem:
            errors.append(SignatureError(field, str(problem)))
    if errors:
        return None, errors
    if all(value is None for value in parsed.values()):
        message = "`signature` declares none of inputs, outputs or params; MLflow cannot load it"
        return None, [SignatureError("signature", message)]
    return Signature(parsed["inputs"], parsed["outputs"], parsed["params"]), []


def _decode(text: Any) -> Any:
    if not isinstance(text, str):
        raise _Invalid(f"must be a JSON string, not a YAML {type(text).__name__}")
    try:
        return json.loads(text)
    except ValueError as error:
        raise _Invalid(f"is not valid JSON: {error}") from None
    except RecursionError:  # `[[[[...` 100,000 deep: json's C decoder gives up, and so does MLflow's
        raise _Invalid("is JSON nested too deeply to read") from None


def _read_schema(data: Any) -> Schema:
    if not isinstance(data, list):
        raise _Invalid(f"must be a JSON list of column or tensor specs, not {json_kind(data)}")
    if not data:
        raise _Invalid("is an empty list; MLflow rejects a schema without inputs")
    specs = tuple(_read_spec(entry, index) for index, entry in enumerate(data))
    _check_schema_rules(specs, [entry.get("required") for entry in data])
    tensors = tuple(spec for spec in specs if isinstance(spec, TensorSpec))
    if tensors:  # then all of them are: _check_schema_rules rejects a mix
        return TensorSchema(tensors)
    return ColumnSchema(tuple(spec for spec in specs if isinstance(spec, ColumnSpec)))


def _check_schema_rules(specs: tuple[Spec, ...], required_as_written: list[Any]) -> None:
    """The rules ``mlflow.types.Schema.__init__`` enforces."""
    named = [spec.name is not None for spec in specs]
    if any(named) and not all(named):
        names = [spec.name for spec in specs]
        raise _Invalid(f"mixes named and unnamed inputs ({names}); name all or none")
    tensors = [isinstance(spec, TensorSpec) for spec in specs]
    if any(tensors) and not all(tensors):
        raise _Invalid("mixes column specs and tensor specs; MLflow accepts only one kind")
    if all(tensors) and len(specs) > 1 and not any(named):
        raise _Invalid("has several unnamed tensor specs; each needs a name")
    # MLflow rejects only an explicit `false`: a composite column without `required` is
    # optional when data is enforced, yet allowed unnamed.
    if not any(named) and any(required is False for required in required_as_written):
        raise _Invalid("has unnamed optional inputs; name them or make them required")


def _read_spec(entry: Any, index: int) -> Spec:
    where = f"entry {index}"
    if not isinstance(entry, dict):
        raise _Invalid(f"{where} must be a JSON object, not {json_kind(entry)}")
    if "type" not in entry:
        raise _Invalid(f"{where} has no `type`")
    if entry["type"] == "tensor":
        return _read_tensor_spec(entry, where)
    return _read_column_spec(entry, where)


def _read_column_spec(entry: dict, where: str) -> ColumnSpec:
    name = entry.get("name")
    if isinstance(name, (list, dict)):
        raise _Invalid(f"{where}: column name must be a string, not {json_kind(name)}")
    label = f"{where} ({name!r})" if name is not None else where
    type_name = entry["type"]
    if type_name in SCALAR_TYPES:
        # MLflow builds scalar ColSpecs with ColSpec(**entry): any other key is a TypeError.
        unknown = sorted(set(entry) - {"type", "name", "required"})
        if unknown:
            raise _Invalid(f"{label}: unexpected key(s) {unknown} for a `{type_name}` column")
        return ColumnSpec(Scalar(type_name), name, bool(entry.get("required", True)))
    body = {key: value for key, value in entry.items() if key not in ("name", "required")}
    column_type = _read_type(body, label)
    # MLflow stores `required` as written and tests it for truth, so any JSON value loads.
    return ColumnSpec(column_type, name, bool(entry.get("required")))


def _read_type(body: Any, label: str) -> FieldType:
    """A type object: ``{"type": "array", "items": {...}}`` and friends."""
    if not isinstance(body, dict) or "type" not in body:
        raise _Invalid(f"{label}: expected a JSON object with a `type`, got {body!r}")
    kind = body["type"]
    if kind in SCALAR_TYPES:
        return Scalar(kind)
    if kind == "any":
        return AnyValue()
    if kind == "sparkml_vector":
        return Array(Scalar("double"), spark_vector=True)
    if kind == "array":
        return Array(_read_type(_member(body, "items", label), f"{label} items"))
    if kind == "map":
        values = _member(body, "values", label)
        if isinstance(values, dict) and values.get("type") == "sparkml_vector":
            # Map.from_json_dict returns the vector itself here, dropping the map around it.
            return Array(Scalar("double"), spark_vector=True)
        return Map(_read_type(values, f"{label} values"))
    if kind == "object":
        return _read_object(body, label)
    raise _Invalid(f"{label}: unknown type {kind!r}; expected one of {_known_types()}")


def _member(body: dict, key: str, label: str) -> Any:
    if key not in body:
        raise _Invalid(f"{label}: `{body['type']}` type has no `{key}`")
    return body[key]


def _read_object(body: dict, label: str) -> Object:
    properties = _member(body, "properties", label)
    if not isinstance(properties, dict) or not all(isinstance(p, dict) for p in properties.values()):
        raise _Invalid(f"{label}: `properties` must map names to type objects")
    if not properties:
        raise _Invalid(f"{label}: an object type needs at least one property")
    read = []
    for name, prop in properties.items():
        if prop.get("type") == "sparkml_vector":
            raise _Invalid(f"{label}: property {name!r} is a sparkml_vector, which MLflow cannot read")
        prop_label = f"{label} property {name!r}"
        prop_type = _read_type({k: v for k, v in prop.items() if k != "required"}, prop_label)
        read.append(Property(name, prop_type, bool(prop.get("required", True))))
    return Object(tuple(sorted(read, key=lambda prop: prop.name)))


def _known_types() -> list[str]:
    return [*SCALAR_TYPES, "array", "object", "map", "any", "sparkml_vector", "tensor"]


# --- tensors -----------------------------------------------------------------------------------

_KIND_NAMES = {
    "b": "bool", "i": "int", "u": "uint", "f": "float", "c": "complex",
    "U": "str", "S": "bytes", "O": "object", "M": "datetime64", "m": "timedelta64", "V": "void",
}  # fmt: skip
_DTYPE_ALIASES = {
    "bool": ("b", 1), "bool_": ("b", 1), "bool8": ("b", 1),
    "int": ("i", 8), "int_": ("i", 8), "intp": ("i", 8), "long": ("i", 8), "longlong": ("i", 8),
    "short": ("i", 2), "intc": ("i", 4), "byte": ("i", 1),
    "uint": ("u", 8), "uintp": ("u", 8), "ulonglong": ("u", 8), "ubyte": ("u", 1),
    "ushort": ("u", 2), "uintc": ("u", 4),
    "float": ("f", 8), "double": ("f", 8), "single": ("f", 4), "half": ("f", 2),
    "longdouble": ("f", 16), "complex": ("c", 16), "cfloat": ("c", 16), "cdouble": ("c", 16),
    "csingle": ("c", 8), "str": ("U", 0), "str_": ("U", 0), "unicode": ("U", 0),
    "bytes": ("S", 0), "bytes_": ("S", 0), "object": ("O", 8), "object_": ("O", 8),
    "void": ("V", 0),
}  # fmt: skip
# Patterns, compiled by `re` (and cached) on first use: most models have no tensor signature, and
# compiling them at import cost every run.
_SIZED_NAME = r"^(bool|int|uint|float|complex|str|bytes|void)(\d+)$"
_TYPESTR = r"^[<>|=]?([biufcUSOMmV?])(\d*)$"
_TIME_DTYPE = r"^(datetime64|timedelta64|[<>|=]?[Mm]8)(\[(\d*)(Y|M|W|D|h|m|s|ms|us|ns|ps|fs|as)\])?$"


def parse_tensor_dtype(text: Any) -> TensorDType:
    """What ``np.dtype(text)`` would give, for the names MLflow writes and numpy's aliases."""
    if not isinstance(text, str):
        raise _Invalid(f"tensor dtype must be a string, not {json_kind(text)}")
    time_match = re.match(_TIME_DTYPE, text)
    if time_match:
        base = "datetime64" if text.lstrip("<>|=").startswith(("datetime", "M")) else "timedelta64"
        unit = f"[{time_match.group(3) or ''}{time_match.group(4)}]" if time_match.group(2) else ""
        return TensorDType(base + unit, "M" if base == "datetime64" else "m", 8)
    kind, size = _kind_and_size(text)
    if kind in "US" and size:
        raise _Invalid(
            f"tensor dtype {text!r} carries a size; MLflow rejects sized string dtypes "
            f"(use {_KIND_NAMES[kind]!r})"
        )
    return TensorDType(_canonical_dtype_name(kind, size), kind, size)


def _kind_and_size(text: str) -> tuple[str, int]:
    if text in _DTYPE_ALIASES:
        return _DTYPE_ALIASES[text]
    sized = re.match(_SIZED_NAME, text)
    if sized and sized.group(1) in ("str", "bytes", "void"):
        return {"str": "U", "bytes": "S", "void": "V"}[sized.group(1)], int(sized.group(2)) // 8
    if sized and int(sized.group(2)) in (8, 16, 32, 64, 128, 256):
        kind = {"bool": "b", "int": "i", "uint": "u", "float": "f", "complex": "c"}[sized.group(1)]
        return kind, int(sized.group(2)) // 8
    typestr = re.match(_TYPESTR, text)
    if typestr:
        kind = "b" if typestr.group(1) == "?" else typestr.group(1)
        size = int(typestr.group(2) or 0)
        if kind in "US":
            return kind, size
        if kind == "O":
            return "O", 8
        default = {"b": 1, "i": 8, "u": 8, "f": 8, "c": 16, "V": 0}[kind]
        return kind, size or default
    raise _Invalid(f"unknown tensor dtype {text!r}; numpy does not understand it")


def _canonical_dtype_name(kind: str, size: int) -> str:
    if kind in "biufc" and kind != "b":
        return f"{_KIND_NAMES[kind]}{size * 8}"
    return _KIND_NAMES[kind]


def _read_tensor_spec(entry: dict, where: str) -> TensorSpec:
    name = entry.get("name")
    label = f"{where} ({name!r})" if name is not None else where
    info = entry.get("tensor-spec")
    if not isinstance(info, dict) or not {"dtype", "shape"} <= set(info):
        raise _Invalid(f"{label}: a tensor needs `tensor-spec` with `dtype` and `shape`")
    try:
        dtype = parse_tensor_dtype(info["dtype"])
    except _Invalid as problem:
        raise _Invalid(f"{label}: {problem}") from None
    shape = info["shape"]
    if not isinstance(shape, (list, str)):
        raise _Invalid(f"{label}: tensor shape must be a list of sizes (-1 for any), got {shape!r}")
    # MLflow loads whatever ``tuple(shape)`` accepts; a size that is not a number simply never
    # matches an input, which ML401 reports when an example exists.
    return TensorSpec(dtype, tuple(shape), name)


# --- params ------------------------------------------------------------------------------------


def _read_params(data: Any) -> tuple[ParamSpec, ...]:
    if data == {}:  # ParamSchema.from_json iterates the decoded value: an empty object is no params
        return ()
    if not isinstance(data, list):
        raise _Invalid(f"must be a JSON list of param specs, not {json_kind(data)}")
    specs = tuple(_read_param(entry, index) for index, entry in enumerate(data))
    seen: set[str] = set()
    duplicates = []
    for spec in specs:
        if spec.name in seen:
            duplicates.append(spec.name)
        seen.add(spec.name)
    if duplicates:
        raise _Invalid(f"declares param(s) {duplicates} more than once")
    return specs


def _read_param(entry: Any, index: int) -> ParamSpec:
    where = f"param {index}"
    if not isinstance(entry, dict):
        raise _Invalid(f"{where} must be a JSON object, not {json_kind(entry)}")
    type_key = "type" if "type" in entry else "dtype"  # `dtype` is the pre-2.10 spelling
    if not {"name", "default", type_key} <= set(entry):
        raise _Invalid(f"{where} needs `name`, `type` (or `dtype`) and `default`")
    name = str(entry["name"])
    label = f"param {name!r}"
    type_name = entry.get("type") or entry.get("dtype")
    if type_name == "object":
        if entry.get("type") != "object":
            raise _Invalid(f"{label}: an object param must say `\"type\": \"object\"`")
        param_type: Scalar | Object = _read_object(entry, label)
    elif type_name == "binary":
        raise _Invalid(f"{label}: binary is not supported for params")
    elif type_name in SCALAR_TYPES:
        param_type = Scalar(type_name)
    else:
        raise _Invalid(f"{label}: unknown type {type_name!r}")
    shape = entry.get("shape")
    if shape is not None and not isinstance(shape, list):
        raise _Invalid(f"{label}: shape must be null or [-1], got {shape!r}")
    spec = ParamSpec(name, param_type, entry["default"], None if shape is None else tuple(shape))
    problem = param_value_problem(spec.default, spec)
    if problem:
        raise _Invalid(f"{label}: default {spec.default!r} does not fit: {problem}")
    return spec


# ---------------------------------------------------------------------------------------------
# Which values a type admits (MLflow's strict enforcement, no casting)


def param_value_problem(value: Any, spec: ParamSpec) -> str | None:
    """Why ``value`` is not accepted for the param (``ParamSpec.validate_type_and_shape``)."""
    if spec.shape == (-1,):
        if not isinstance(value, list) or any(isinstance(item, (list, dict)) for item in value):
            return f"expected a 1-D list for shape [-1], got {json_kind(value)}"
        problems = (_param_scalar_problem(item, spec.type) for item in value)
        return next((problem for problem in problems if problem), None)
    if spec.shape is not None:
        return f"shape must be null or [-1], got {list(spec.shape)}"
    if isinstance(spec.type, Object):
        return value_problem(value, spec.type, required=True)
    return _param_scalar_problem(value, spec.type)


def _param_scalar_problem(value: Any, param_type: Scalar | Object) -> str | None:
    """``_enforce_param_datatype``: exact Python types, widening int -> float/double only."""
    if value is None:
        return None
    if isinstance(param_type, Object):
        return f"an object param with shape [-1] cannot hold {json_kind(value)}"
    if param_type.name == "datetime":
        return None if is_numpy_datetime_text(value) else f"{value!r} is not an ISO date/time"
    if isinstance(value, (list, dict)):
        return f"expected a single {param_type.name}, got {json_kind(value)}"
    accepted = {
        "boolean": (bool,), "integer": (int,), "long": (int,), "float": (int, float),
        "double": (int, float), "string": (str,),
    }[param_type.name]  # fmt: skip
    if type(value) in accepted:
        return None
    return f"cannot safely convert {json_kind(value)} {value!r} to {param_type.name}"


_NUMPY_DATETIME = r"^-?\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$"  # compiled on first use, as the dtype patterns


def is_numpy_datetime_text(value: Any) -> bool:
    """Whether ``np.datetime64(value)`` parses a string (NaT spellings included)."""
    return isinstance(value, str) and (value in ("", "NaT", "nat") or bool(re.match(_NUMPY_DATETIME, value)))


def value_problem(value: Any, field_type: FieldType, required: bool) -> str | None:
    """Why MLflow's ``_enforce_type`` rejects one decoded JSON value, or None."""
    if isinstance(field_type, AnyValue):
        return None
    if isinstance(field_type, Scalar):
        return _scalar_value_problem(value, field_type, required)
    if isinstance(field_type, Array):
        return _array_problem(value, field_type, required)
    if isinstance(field_type, Object):
        return _object_problem(value, field_type, required)
    return _map_problem(value, field_type, required)


def _scalar_value_problem(value: Any, scalar: Scalar, required: bool) -> str | None:
    if not required and is_missing(value):
        return None
    if value is None or isinstance(value, (list, dict)):
        return f"expected a {scalar.name} value, got {json_kind(value)}"
    return strict_values_problem([value], scalar)


def _array_problem(value: Any, array: Array, required: bool) -> str | None:
    lenient = not required or isinstance(array.items, AnyValue)
    if lenient and (value is None or value == []):
        return None
    if not isinstance(value, list):
        return f"expected a list, got {json_kind(value)}"
    if isinstance(array.items, Scalar):
        return strict_values_problem(value, array.items) if value else None
    problems = (value_problem(item, array.items, required) for item in value)
    return next((f"item: {problem}" for problem in problems if problem), None)


def _object_problem(value: Any, obj: Object, required: bool) -> str | None:
    if not required and (value is None or value == {}):
        return None
    if not isinstance(value, dict):
        return f"expected an object, got {json_kind(value)}"
    properties = {prop.name: prop for prop in obj.properties}
    missing = sorted(name for name, prop in properties.items() if prop.required and name not in value)
    if missing:
        return f"missing required properties {missing}"
    unknown = sorted(set(value) - set(properties))
    if unknown:
        return f"properties {unknown} are not in the signature"
    for key, item in value.items():
        problem = value_problem(item, properties[key].type, properties[key].required)
        if problem:
            return f"property {key!r}: {problem}"
    return None


def _map_problem(value: Any, map_type: Map, required: bool) -> str | None:
    lenient = not required or isinstance(map_type.values, AnyValue)
    if lenient and (value is None or value == {}):
        return None
    if not isinstance(value, dict):
        return f"expected an object (map), got {json_kind(value)}"
    for key, item in value.items():
        problem = value_problem(item, map_type.values, required)
        if problem:
            return f"key {key!r}: {problem}"
    return None


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pandas_dtype(values: list[Any]) -> str:
    """The dtype pandas (3.x) infers for ``pd.Series(values)`` of decoded JSON values."""
    present = [value for value in values if value is not None]
    if not present:
        return "object"
    if all(isinstance(value, bool) for value in present):
        return "bool" if len(present) == len(values) else "object"
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
        if len(present) < len(values) or any(isinstance(value, float) for value in present):
            return "float64"
        if all(-INT64_MAX - 1 <= value <= INT64_MAX for value in present):
            return "int64"
        return "uint64" if all(0 <= value < 2**64 for value in present) else "object"
    if all(isinstance(value, str) for value in present):
        return "str"
    return "object"


def strict_values_problem(values: list[Any], scalar: Scalar) -> str | None:
    """``_enforce_mlflow_datatype`` on the pandas column the values become, without casting."""
    dtype = pandas_dtype(values)
    target = scalar.name
    if target == "string" and dtype in ("object", "str"):
        return None
    if target == "binary" and dtype in ("object", "str"):
        return None
    if target == "boolean" and dtype in ("bool", "object"):
        return None
    if target == "long" and dtype == "int64":
        return None
    if target == "double" and dtype == "float64":
        return None
    if target in ("double", "float") and dtype == "int64" and all(v in (0, 1) for v in values):
        return None  # MLflow lets an all-0/1 int64 column through as floats
    if target == "datetime" and dtype == "object":
        bad = [v for v in values if not (v is None or is_naive_iso_datetime(v))]
        return None if not bad else f"{bad[0]!r} is not a date/time"
    return f"cannot safely convert {dtype} to {target}"


def is_naive_iso_datetime(value: Any) -> bool:
    """Whether a string reads as a timezone-naive ISO date/time (what pandas converts safely)."""
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is None
    except ValueError:
        return False


def json_kind(value: Any) -> str:
    """"a string", "an integer", ... as messages name a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
