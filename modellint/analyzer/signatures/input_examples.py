"""Input examples stored with a model, and whether they satisfy its signature.

A model dir can carry two example files, named in MLmodel's ``saved_input_example_info``:
``input_example.json`` (read by ``Model.load_input_example``) and ``serving_input_example.json``
(the scoring-server payload ``log_model`` validates and users POST). MLflow reads each one its own
way before ``_enforce_schema`` sees it:

* data frames (``dataframe`` examples, ``dataframe_split`` / ``dataframe_records`` payloads) are
  built by pandas and then *cast* column by column to the signature's types
  (``cast_df_types_according_to_schema``), so ``"1.5"`` fits a double column, ``1.5`` is
  truncated into a long one and only values the cast cannot convert fail;
* tensors and ``inputs`` / ``instances`` payloads are cast with ``np.array(value, dtype)``;
* ``json_object`` examples and unified LLM payloads (``messages``/``prompt``/``input``) reach
  ``_enforce_schema`` uncast, where MLflow is strict (see ``signature.strict_values_problem``).

This module emulates those read paths with the standard library only (no mlflow, pandas or
numpy) and reports each mismatch with the line of the offending value in its file.
"""

from __future__ import annotations

import binascii
import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeGuard

from modellint.analyzer.files import escape, read_text
from modellint.analyzer.signatures.schema import (
    AnyValue,
    Array,
    ColumnSchema,
    ColumnSpec,
    Object,
    ParamSpec,
    Scalar,
    Schema,
    Signature,
    TensorSchema,
    TensorSpec,
    is_naive_iso_datetime,
    is_numpy_datetime_text,
    json_kind,
    param_value_problem,
    strict_values_problem,
    value_problem,
)
from modellint.record import Record

EXAMPLE_TYPES = ("dataframe", "ndarray", "json_object", "sparse_matrix_csr", "sparse_matrix_csc")
SERVING_FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
LLM_KEYS = ("messages", "prompt", "input")
# An example file bigger than this is not checked: MLflow writes a handful of rows, and json.loads
# plus the enforcement walk hold ~40 bytes per byte of a dense example (16 MiB took 1.2 GB and 15 s).
MAX_EXAMPLE_BYTES = 4 * 2**20

JsonPath = tuple  # keys and indices from the document root to a value


class ExampleProblem(Record):
    """An example file MLflow cannot read at all (missing, not JSON, unknown layout)."""

    __slots__ = ("message", "file", "line", "missing", "mlmodel_key", "over_budget")

    def __init__(self, message: str, file: Path, line: int = 1, missing: bool = False,
                 mlmodel_key: tuple[str, ...] = (), over_budget: bool = False) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.missing = missing  # absent (ML003 reports that) or leading outside the model dir (ML004/ML006)
        self.mlmodel_key = mlmodel_key  # for problems in MLmodel itself: the key at fault
        self.over_budget = over_budget  # not read: over MAX_EXAMPLE_BYTES (MLflow itself may read it)


class Mismatch(Record):
    """A value or column of an example that MLflow's enforcement rejects."""

    __slots__ = ("message", "file", "line", "column", "value")

    def __init__(self, message: str, file: Path, line: int, column: str | int | None, value: Any) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.value = value


class Payload(Record):
    """One example file, reduced to what MLflow hands to schema enforcement.

    ``form`` says how MLflow reads ``data``: ``dataframe_split``, ``dataframe_records``,
    ``inputs``, ``instances`` (cast), ``raw`` (uncast), ``llm`` (uncast, params mixed in) or
    ``sparse``.
    """

    __slots__ = ("file", "form", "data", "data_at", "params", "params_at", "positions", "request")

    def __init__(self, file: Path, form: str, data: Any, data_at: JsonPath, params: Any, params_at: JsonPath,
                 positions: JsonPositions, request: bool = False) -> None:
        self.request = request  # written as a scoring-server request (the serving example), not as model input
        self.file = file
        self.form = form
        self.data = data
        self.data_at = data_at
        self.params = params
        self.params_at = params_at
        self.positions = positions


class Example(Record):
    __slots__ = ("payloads", "signature_from_type_hint")

    def __init__(self, payloads: tuple[Payload, ...], signature_from_type_hint: bool = False) -> None:
        self.payloads = payloads
        # Models whose signature came from type hints skip MLflow's data parsing entirely.
        self.signature_from_type_hint = signature_from_type_hint


# ---------------------------------------------------------------------------------------------
# Where values sit in a JSON file


class JsonPositions:
    """Maps JSON paths to 1-based line numbers, for a document ``json.loads`` accepted.

    Nothing is scanned until a line is asked for (a clean example never needs one); then only the
    containers on the path are indexed, each once, skipping its children at C speed with the
    ``json`` decoder. A Python walk over every value cost seconds on a few MiB of example.
    """

    _BLANK = re.compile(r"[ \t\r\n]*")

    def __init__(self, text: str) -> None:
        self._text = text
        self._children: dict[int, dict[str | int, int] | None] = {}  # container offset -> child offsets

    def line(self, path: JsonPath) -> int:
        """Line of the value at ``path``, or of its nearest enclosing value that exists."""
        offset = self._skip(0)
        for key in path:
            children = self._children_of(offset)
            if children is None or key not in children:
                break
            offset = children[key]
        return self._text.count("\n", 0, offset) + 1

    def _skip(self, position: int) -> int:
        blank = self._BLANK.match(self._text, position)
        return blank.end() if blank else position  # ``*`` matches the empty string: there is always one

    def _children_of(self, offset: int) -> dict[str | int, int] | None:
        """Key (object) or index (array) -> offset of each child of the container at ``offset``; the
        last of duplicate keys wins, as in ``json.loads``. None for a scalar."""
        if offset not in self._children:
            text, opener = self._text, self._text[offset:offset + 1]
            children: dict[str | int, int] | None = None
            if opener in ("{", "["):
                children = {}
                position, index = offset + 1, 0
                while (position := self._skip(position)) < len(text) and text[position] not in "}]":
                    if text[position] == ",":
                        position += 1
                        continue
                    key: str | int = index
                    if opener == "{":
                        key, position = _DECODER.raw_decode(text, position)  # the key: a JSON string
                        position = self._skip(self._skip(position) + 1)  # past the colon
                    index += 1
                    children[key] = position
                    position = _DECODER.raw_decode(text, position)[1]
            self._children[offset] = children
        return self._children[offset]


_DECODER = json.JSONDecoder()


# ---------------------------------------------------------------------------------------------
# Loading


def load_example(model_root: Path, mlmodel: Mapping) -> tuple[Example | None, list[ExampleProblem]]:
    """Read the example files MLmodel names; ``(None, [])`` when the model has none."""
    info = mlmodel.get("saved_input_example_info")
    if info is None:
        return None, []
    mlmodel_path = model_root / "MLmodel"
    if not isinstance(info, Mapping):
        message = "`saved_input_example_info` must be a mapping"
        return None, [ExampleProblem(message, mlmodel_path, mlmodel_key=("saved_input_example_info",))]
    payloads: list[Payload] = []
    problems: list[ExampleProblem] = []
    for reader in (_read_input_example, _read_serving_example):
        payload, problem = reader(model_root, info)
        if payload is not None:
            payloads.append(payload)
        if problem is not None:
            problems.append(problem)
    from_type_hint = mlmodel.get("is_signature_from_type_hint") is True
    return Example(tuple(payloads), from_type_hint), problems


def _read_json(model_root: Path, relative: Any) -> tuple[Path, Any, JsonPositions] | ExampleProblem:
    """The file's path, decoded content and value positions, or why MLflow could not read it."""
    path = model_root / str(relative)
    if escape(model_root, str(relative)):
        # Absolute paths are ML004's, other escapes ML006's: never read outside.
        message = f"`{relative}` named in MLmodel is not inside the model directory"
        return ExampleProblem(message, path, missing=True)
    text, problem = read_text(path, model_root)
    if problem is not None:
        return ExampleProblem(problem.message, path, missing=problem.outside)
    if text is None:
        return ExampleProblem(f"`{relative}` named in MLmodel does not exist", path, missing=True)
    if len(text) > MAX_EXAMPLE_BYTES:  # characters: at least as many bytes
        message = (f"`{path.name}` is over modellint's {MAX_EXAMPLE_BYTES // 2**20} MiB example budget "
                   f"({len(text) // 2**20} MiB): not checked against the signature")
        return ExampleProblem(message, path, over_budget=True)
    try:
        data = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", 1)
        return ExampleProblem(f"`{path.name}` is not valid JSON: {error}", path, line)
    return path, data, JsonPositions(text)


def _read_input_example(model_root: Path, info: Mapping) -> tuple[Payload | None, ExampleProblem | None]:
    example_type = info.get("type")
    relative = info.get("artifact_path", "input_example.json")
    if example_type not in EXAMPLE_TYPES:
        message = f"example type {example_type!r} is unknown; MLflow reads only {list(EXAMPLE_TYPES)}"
        return None, ExampleProblem(message, model_root / "MLmodel", mlmodel_key=("saved_input_example_info", "type"))
    read = _read_json(model_root, relative)
    if isinstance(read, ExampleProblem):
        return None, read
    path, data, positions = read
    data_at: JsonPath = ()
    params, params_at = None, ("params",)
    if info.get("params"):  # the string 'true': the file wraps data and params
        if not isinstance(data, dict) or "inputs" not in data:
            message = "MLmodel says the example has params, but the file is not {inputs, params}"
            return None, ExampleProblem(message, path)
        data, data_at, params = data["inputs"], ("inputs",), data.get("params")
    if example_type == "ndarray" and info.get("format") == "tf-serving":
        # MLflow < 1.10 stored tensors as a TF-serving request and read them as one.
        return _serving_payload(path, data, positions)
    form = {
        "dataframe": "dataframe_split",  # `_read_example` reads every dataframe orient as split
        "ndarray": "inputs",
        "json_object": "raw",
        "sparse_matrix_csr": "sparse",
        "sparse_matrix_csc": "sparse",
    }[example_type]
    return Payload(path, form, data, data_at, params, params_at, positions), None


def read_serving_payload(model_root: Path, info: Mapping) -> Payload | None:
    """The serving payload ``saved_input_example_info`` names, if it reads as one (else ML401 says why)."""
    return _read_serving_example(model_root, info)[0]


def _read_serving_example(model_root: Path, info: Mapping) -> tuple[Payload | None, ExampleProblem | None]:
    relative = info.get("serving_input_path")
    if relative is None:
        return None, None
    read = _read_json(model_root, relative)
    if isinstance(read, ExampleProblem):
        return None, read
    return _serving_payload(*read)


def serving_payload(path: Path, data: Any, text: str) -> tuple[Payload | None, ExampleProblem | None]:
    """What the scoring server makes of a request body ``data`` (decoded from ``text``)."""
    return _serving_payload(path, data, JsonPositions(text))


def _serving_payload(path: Path, data: Any, positions: JsonPositions) -> tuple[Payload | None, ExampleProblem | None]:
    """What the scoring server's ``_parse_json_data`` makes of a request body."""
    if not isinstance(data, dict):
        return None, ExampleProblem(f"a serving payload must be a JSON object, not {json_kind(data)}", path)
    if any(key in data for key in LLM_KEYS):
        return Payload(path, "llm", data, (), None, (), positions, request=True), None
    formats = [key for key in SERVING_FORMATS if key in data]
    if len(formats) != 1:
        message = (
            f"a serving payload needs exactly one of {list(SERVING_FORMATS)}; "
            f"found keys {sorted(data)}"
        )
        return None, ExampleProblem(message, path)
    form = formats[0]
    return Payload(path, form, data[form], (form,), data.get("params"), ("params",), positions, request=True), None


# ---------------------------------------------------------------------------------------------
# Checking


class _Fault(Record):
    """A mismatch before it knows its file: message, JSON path, column and value."""

    __slots__ = ("message", "at", "column", "value")

    def __init__(self, message: str, at: JsonPath, column: str | int | None = None, value: Any = None) -> None:
        self.message = message
        self.at = at
        self.column = column
        self.value = value


def check_example(signature: Signature, example: Example) -> list[Mismatch]:
    """Every way the example files break the signature under MLflow's read + enforce rules."""
    mismatches: list[Mismatch] = []
    for payload in example.payloads:
        data, params = payload.data, payload.params
        if payload.form == "llm":
            data, params = split_llm_payload(payload.data, signature.params)
        faults: list[_Fault] = []
        if signature.inputs is not None and not example.signature_from_type_hint:
            faults.extend(_data_faults(payload.form, data, payload.data_at, signature.inputs))
        faults.extend(_params_faults(params, payload.params_at, signature.params))
        mismatches.extend(
            Mismatch(fault.message, payload.file, payload.positions.line(fault.at), fault.column, fault.value)
            for fault in faults
        )
    return mismatches


def split_llm_payload(data: dict, params: tuple[ParamSpec, ...] | None) -> tuple[dict, dict]:
    """Top-level keys of a unified LLM payload that name a declared param are params; the rest is
    data (the scoring server's `_split_data_and_params_for_llm_input`)."""
    names = {spec.name for spec in params or ()}
    return (
        {key: value for key, value in data.items() if key not in names},
        {key: value for key, value in data.items() if key in names},
    )


def _params_faults(params: Any, at: JsonPath, specs: tuple[ParamSpec, ...] | None) -> list[_Fault]:
    if specs is None or params is None:
        return []  # without a params schema MLflow ignores params with a warning
    if not isinstance(params, dict):
        return [_Fault(f"params must be a JSON object, got {json_kind(params)}", at, None, params)]
    faults = []
    for spec in specs:
        if spec.name in params:
            problem = param_value_problem(params[spec.name], spec)
            if problem:
                message = f"param '{spec.name}' ({_type_label(spec.type)}): {problem}"
                faults.append(_Fault(message, (*at, spec.name), spec.name, params[spec.name]))
    return faults


def _data_faults(form: str, data: Any, at: JsonPath, schema: Schema) -> list[_Fault]:
    if form in ("dataframe_split", "dataframe_records"):
        frame = _frame(form, data, at)
        if isinstance(frame, _Fault):
            return [frame]
        return _tensor_frame_faults(frame, schema) if isinstance(schema, TensorSchema) else _cast_frame_faults(frame, schema)
    if form in ("inputs", "instances"):
        return _tensor_input_faults(form, data, at, schema)
    if form == "sparse":
        return _sparse_faults(data, at, schema)
    return _raw_faults(data, at, schema)


# --- data frames -------------------------------------------------------------------------------


class _Column(Record):
    __slots__ = ("key", "values", "paths")

    def __init__(self, key: str | int, values: list[Any], paths: list[JsonPath]) -> None:
        self.key = key
        self.values = values
        self.paths = paths


class _Frame(Record):
    __slots__ = ("columns", "columns_at")

    def __init__(self, columns: list[_Column], columns_at: JsonPath) -> None:
        self.columns = columns
        self.columns_at = columns_at  # where the column names are written

    def get(self, key: str | int | None) -> _Column | None:
        return next((column for column in self.columns if column.key == key), None)


def _frame(form: str, data: Any, at: JsonPath) -> _Frame | _Fault:
    """The columns pandas builds from a split or records payload."""
    if form == "dataframe_records":
        if not isinstance(data, list):
            return _Fault(f"dataframe_records must be a list of records, not {json_kind(data)}", at)
        return _rows_frame(data, None, at, at)
    if not isinstance(data, dict) or "data" not in data or set(data) - {"columns", "data", "index"}:
        found = sorted(data) if isinstance(data, dict) else json_kind(data)
        return _Fault(f"split format needs `data` and optionally `columns`/`index`; found {found}", at)
    if not isinstance(data["data"], list):
        return _Fault(f"split `data` must be a list of rows, not {json_kind(data['data'])}", (*at, "data"))
    names = data.get("columns")
    columns_at = (*at, "columns") if names is not None else (*at, "data")
    return _rows_frame(data["data"], names, (*at, "data"), columns_at)


def _rows_frame(rows: list, names: list | None, at: JsonPath, columns_at: JsonPath) -> _Frame | _Fault:
    if rows and all(isinstance(row, dict) for row in rows):
        keys = list(dict.fromkeys(key for row in rows for key in row)) if names is None else names
        columns = [
            _Column(key, [row.get(key) for row in rows], [(*at, index, key) for index in range(len(rows))])
            for key in keys
        ]
        return _Frame(columns, columns_at)
    table = [row if isinstance(row, list) else [row] for row in rows]
    width = len(names) if names is not None else max((len(row) for row in table), default=0)
    for index, row in enumerate(table):
        if len(row) != width:
            message = f"row {index} has {len(row)} values but the frame has {width} columns"
            return _Fault(message, (*at, index), None, rows[index])
    keys = names if names is not None else list(range(width))
    columns = []
    for position, key in enumerate(keys):
        paths = [(*at, index, position) if isinstance(rows[index], list) else (*at, index) for index in range(len(rows))]
        columns.append(_Column(key, [row[position] for row in table], paths))
    return _Frame(columns, columns_at)


def _cast_frame_faults(frame: _Frame, schema: ColumnSchema) -> list[_Fault]:
    """``cast_df_types_according_to_schema`` then ``_enforce_schema`` for column signatures."""
    pairs = _schema_columns(frame, schema)
    if isinstance(pairs, _Fault):
        return [pairs]
    faults = []
    for spec, column in pairs:
        fault = _cast_column_fault(spec, column)
        if fault:
            faults.append(fault)
    return faults


def _schema_columns(frame: _Frame, schema: ColumnSchema) -> list[tuple[ColumnSpec, _Column]] | _Fault:
    """Pair signature columns with frame columns the way ``_enforce_schema`` does."""
    if not schema.has_names:
        if len(frame.columns) < len(schema.specs):
            message = (
                f"the signature declares {len(schema.specs)} unnamed inputs but the example has "
                f"{len(frame.columns)} column(s)"
            )
            return _Fault(message, frame.columns_at)
        return list(zip(schema.specs, frame.columns))
    present = {column.key for column in frame.columns}
    missing = [key for key in schema.required_keys() if key not in present]
    if missing:
        extra = [column.key for column in frame.columns if column.key not in schema.keys()]
        message = f"required input column(s) {missing} missing from the example"
        if extra:
            message += f" (it has extra column(s) {extra})"
        return _Fault(message, frame.columns_at, missing[0], None)
    keyed = zip(schema.keys(), schema.specs)
    return [(spec, column) for key, spec in keyed if (column := frame.get(key)) is not None]


def _cast_column_fault(spec: ColumnSpec, column: _Column) -> _Fault | None:
    for value, path in zip(column.values, column.paths):
        if isinstance(spec.type, Scalar):
            problem = _frame_cast_problem(value, spec.type.name)
        else:
            problem = value_problem(value, spec.type, spec.required)
        if problem:
            message = f"column '{column.key}' ({_type_label(spec.type)}): {problem}"
            return _Fault(message, path, column.key, value)
    return None


_FRAME_TARGET_OF_KIND = {"i": "long", "u": "long", "f": "double", "M": "datetime"}


def _frame_cast_problem(value: Any, target: str) -> str | None:
    """Whether pandas' ``astype`` (as MLflow calls it) converts one cell to ``target``."""
    if target in ("string", "boolean"):
        return None  # astype(object) and astype(bool) accept anything
    if target in ("long", "integer"):
        ok = _int_like(value)
    elif target in ("double", "float"):
        ok = value is None or _float_like(value)
    elif target == "binary":
        ok = isinstance(value, str) and _is_base64(value)
    else:  # datetime
        ok = value is None or _datetime_like_for_pandas(value)
    return None if ok else f"{_show(value)} cannot be converted to {target}"


def _int_like(value: Any) -> bool:
    if isinstance(value, (bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            int(value)
        except ValueError:
            return False
        return True
    return False


def _float_like(value: Any) -> bool:
    if isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def _is_base64(text: str) -> bool:
    try:  # what base64.decodebytes runs, without importing base64
        binascii.a2b_base64(text.encode("utf-8"))
    except binascii.Error:
        return False
    return True


def _datetime_like_for_pandas(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return is_naive_iso_datetime(value)


def _tensor_frame_faults(frame: _Frame, schema: TensorSchema) -> list[_Fault]:
    """A data frame fed to a tensor signature: cast, then reshape column by column."""
    if schema.has_names:
        pairs = [(spec, column) for spec in schema.specs if (column := frame.get(spec.name)) is not None]
        if len(pairs) < len(schema.specs):
            missing = [spec.name for spec in schema.specs if frame.get(spec.name) is None]
            message = f"required input(s) {missing} missing from the example"
            return [_Fault(message, frame.columns_at, missing[0], None)]
    else:
        spec = schema.specs[0]
        if not frame.columns or not frame.columns[0].values:
            return [_Fault("the example data frame is empty", frame.columns_at)]
        if len(frame.columns) > 1:
            wanted = (-1, len(frame.columns))
            if spec.shape != wanted:
                message = (
                    f"the unnamed tensor has shape {list(spec.shape)} but a data frame of "
                    f"{len(frame.columns)} columns needs [-1, {len(frame.columns)}]"
                )
                return [_Fault(message, frame.columns_at, None, None)]
            return [fault for column in frame.columns if (fault := _tensor_cell_fault(spec, column))]
        pairs = [(spec, frame.columns[0])]
    faults = []
    for spec, column in pairs:
        fault = _tensor_cell_fault(spec, column) or _tensor_column_shape_fault(spec, column)
        if fault:
            faults.append(fault)
    return faults


def _tensor_cell_fault(spec: TensorSpec, column: _Column) -> _Fault | None:
    if column.values and isinstance(column.values[0], list):
        return None  # MLflow skips the cast for list cells and reshapes them later
    target = _FRAME_TARGET_OF_KIND.get(spec.dtype.kind)
    if target is None:
        return None
    for value, path in zip(column.values, column.paths):
        problem = _frame_cast_problem(value, target)
        if problem:
            message = f"column '{column.key}' (tensor {spec.dtype.name}): {problem}"
            return _Fault(message, path, column.key, value)
    return None


def _tensor_column_shape_fault(spec: TensorSpec, column: _Column) -> _Fault | None:
    """``_reshape_and_cast_pandas_column_values``."""
    label = column.key if spec.name else "the unnamed input"
    shape, path = list(spec.shape), column.paths[0] if column.paths else ()
    if spec.shape[0] != -1 or -1 in spec.shape[1:] or not _all_sizes(spec.shape):
        message = f"tensor {label!r} has shape {shape}; a data frame input needs -1 first and fixed sizes after"
        return _Fault(message, path, column.key, None)
    first = column.values[0] if column.values else None
    if not isinstance(first, list):
        if spec.shape in ((-1,), (-1, 1)):
            return _tensor_leaf_fault(spec, column.values, column.paths, column.key)
        message = f"column {label!r} holds scalars, which need tensor shape [-1] or [-1, 1], not {shape}"
        return _Fault(message, path, column.key, first)
    per_row = math.prod(spec.shape[1:])
    for value, value_path in zip(column.values, column.paths):
        size = _leaf_count(value)
        if size is None or size != per_row:
            message = f"column {label!r}: a row of {_show(value)} cannot be reshaped to {shape}"
            return _Fault(message, value_path, column.key, value)
    return _tensor_leaf_fault(spec, column.values, column.paths, column.key)


def _all_sizes(shape: tuple[object, ...]) -> TypeGuard[tuple[int, ...]]:
    """Is every entry a size (an int, not a bool)? A signature's shape holds whatever its JSON did."""
    return all(isinstance(size, int) and not isinstance(size, bool) for size in shape)


def _leaf_count(value: Any) -> int | None:
    shape = _json_shape(value)
    return None if shape is None else math.prod(shape)


# --- tensors and `inputs` / `instances` payloads ---------------------------------------------


def _tensor_input_faults(form: str, data: Any, at: JsonPath, schema: Schema) -> list[_Fault]:
    """``parse_tf_serving_input`` (cast to the signature) followed by ``_enforce_schema``."""
    if form == "instances" and isinstance(data, list) and data and isinstance(data[0], dict):
        return _instances_faults(data, at, schema)
    specs = {spec.name: spec for spec in schema.specs} if schema.has_names else {}
    if len(specs) == 1 and isinstance(data, list) and not any(isinstance(x, dict) for x in data):
        data = {next(iter(specs)): data}
        at_of = {next(iter(specs)): at}
    elif not schema.has_names and not (isinstance(data, list) or _numpy_scalar(data)):
        message = f"an unnamed signature needs a single array or value here, not {json_kind(data)}"
        return [_Fault(message, at, None, None)]
    else:
        at_of = {key: (*at, key) for key in data} if isinstance(data, dict) else {}
    if isinstance(data, dict):
        converted = [_convert_fault(value, specs.get(key), at_of[key], key) for key, value in data.items()]
        faults = [fault for fault in converted if fault]
        return faults or _enforce_converted_dict(data, at, schema)
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        return _record_faults(data, at, schema, specs)
    fault = _convert_fault(data, schema.specs[0], at, schema.keys()[0])
    if fault:
        return [fault]
    return _enforce_converted_array(data, at, schema)


def _numpy_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _record_faults(records: list, at: JsonPath, schema: Schema, specs: dict) -> list[_Fault]:
    faults = []
    for index, record in enumerate(records):
        for key, value in record.items():
            fault = _convert_fault(value, specs.get(key), (*at, index, key), key)
            if fault:
                faults.append(fault)
    if faults:
        return faults
    if isinstance(schema, TensorSchema):  # MLflow finds no arrays in a list of records
        return [_Fault("a tensor signature cannot take a list of records", at)]
    present = {key for record in records for key in record}
    return _missing_inputs_faults(schema, present, at)


def _instances_faults(records: list, at: JsonPath, schema: Schema) -> list[_Fault]:
    """Row-format ``instances``: records become one array per key."""
    specs = {spec.name: spec for spec in schema.specs} if schema.has_names else {}
    columns: dict[Any, list] = {}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            return [_Fault("instances mixes records and other values", (*at, index), None, record)]
        for key, value in record.items():
            fault = _convert_fault(value, specs.get(key), (*at, index, key), key)
            if fault:
                return [fault]
            columns.setdefault(key, []).append(value)
    return _enforce_converted_dict(columns, at, schema, column_paths=False)


def _convert_fault(value: Any, spec: Any, at: JsonPath, key: Any) -> _Fault | None:
    """``convert_data_type``: ``np.array(value, dtype)`` or strict enforcement of composites."""
    if spec is None:
        if _json_shape(value) is None:
            return _Fault(f"input {key!r} is a ragged list, which numpy cannot hold", at, key, value)
        return None
    if isinstance(spec, TensorSpec):
        return _tensor_leaf_fault(spec, value, None, key, at)
    if isinstance(spec.type, Scalar):
        return _numpy_fault(value, _COLUMN_DTYPES[spec.type.name], f"column '{key}' ({spec.type.name})", at, key)
    problem = value_problem(value, spec.type, spec.required)
    if problem:
        return _Fault(f"column '{key}' ({_type_label(spec.type)}): {problem}", at, key, value)
    return None


_COLUMN_DTYPES = {
    "boolean": ("b", 1), "integer": ("i", 4), "long": ("i", 8), "float": ("f", 4),
    "double": ("f", 8), "string": ("U", 0), "binary": ("S", 0), "datetime": ("M", 8),
}  # fmt: skip


def _tensor_leaf_fault(spec: TensorSpec, value: Any, paths: list | None, key: Any, at: JsonPath = ()) -> _Fault | None:
    """``np.array(value, dtype=spec.dtype)``; ``paths`` gives per-row paths for frame columns."""
    dtype = (spec.dtype.kind, spec.dtype.itemsize)
    label = f"input '{key}' (tensor {spec.dtype.name})" if key is not None else f"tensor {spec.dtype.name}"
    if paths is None:
        return _numpy_fault(value, dtype, label, at, key)
    for row, path in zip(value, paths):
        fault = _numpy_fault(row, dtype, label, path, key)
        if fault:
            return fault
    return None


def _numpy_fault(value: Any, dtype: tuple[str, int], label: str, at: JsonPath, key: Any) -> _Fault | None:
    kind, _ = dtype
    if kind != "O" and _json_shape(value) is None:
        return _Fault(f"{label}: ragged nested lists cannot form a {_KIND_LABEL.get(kind, kind)} array", at, key, value)
    for leaf, leaf_path in _leaves(value, at):
        problem = _numpy_leaf_problem(leaf, dtype)
        if problem:
            return _Fault(f"{label}: {problem}", leaf_path, key, leaf)
    return None


_KIND_LABEL = {"b": "bool", "i": "integer", "u": "unsigned", "f": "float", "c": "complex", "U": "string", "S": "bytes", "M": "datetime"}


def _leaves(value: Any, at: JsonPath) -> Iterator[tuple[Any, JsonPath]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*at, index))
    else:
        yield value, at


def _numpy_leaf_problem(leaf: Any, dtype: tuple[str, int]) -> str | None:
    kind, size = dtype
    if kind in "OUb":
        return None
    if isinstance(leaf, dict):
        return f"an object cannot be converted to {_KIND_LABEL.get(kind, kind)}"
    if kind in "iu":
        return _integer_leaf_problem(leaf, kind, size)
    if kind in "fc":
        ok = leaf is None or _float_like(leaf) or (kind == "c" and _complex_text(leaf))
    elif kind == "S":
        ok = not isinstance(leaf, str) or leaf.isascii()
    elif kind == "M":
        ok = leaf is None or isinstance(leaf, (bool, int)) or is_numpy_datetime_text(leaf)
    else:  # timedelta, void
        ok = leaf is None or isinstance(leaf, (bool, int))
    return None if ok else f"{_show(leaf)} cannot be converted to {_KIND_LABEL.get(kind, kind)}"


def _complex_text(leaf: Any) -> bool:
    try:
        complex(leaf)
    except (TypeError, ValueError):
        return False
    return True


def _integer_leaf_problem(leaf: Any, kind: str, size: int) -> str | None:
    label = f"{'u' if kind == 'u' else ''}int{size * 8}"
    if not _int_like(leaf):
        return f"{_show(leaf)} cannot be converted to {label}"
    number = int(leaf)  # numpy truncates floats toward zero, as int() does
    low, high = (0, 2 ** (size * 8)) if kind == "u" else (-(2 ** (size * 8 - 1)), 2 ** (size * 8 - 1))
    if not low <= number < high:
        return f"{_show(leaf)} is out of range for {label}"
    return None


def _json_shape(value: Any) -> tuple[int, ...] | None:
    """numpy's shape for nested lists; None when ragged."""
    if not isinstance(value, list):
        return ()
    if not value:
        return (0,)
    shapes = {_json_shape(item) for item in value}
    shape = shapes.pop() if len(shapes) == 1 else None
    if shape is None:
        return None
    return (len(value), *shape)


def _enforce_converted_dict(data: dict, at: JsonPath, schema: Schema, column_paths: bool = True) -> list[_Fault]:
    """``_enforce_schema`` on a dict whose values were already cast."""
    missing = _missing_inputs_faults(schema, set(data), at)
    if missing:
        return missing
    if not isinstance(schema, TensorSchema):
        return _dict_frame_shape_faults(data, at, schema)
    if not schema.has_names:
        message = "an unnamed tensor signature needs a single array, but this example is an object of inputs"
        return [_Fault(message, at)]
    faults = []
    for spec in schema.specs:
        value_at = (*at, spec.name) if column_paths else at
        fault = _shape_fault(spec, data[spec.name], value_at, spec.name)
        if fault:
            faults.append(fault)
    return faults


def _dict_frame_shape_faults(data: dict, at: JsonPath, schema: ColumnSchema) -> list[_Fault]:
    """A dict of arrays becomes a data frame only when the arrays have one length."""
    composite = any(isinstance(spec.type, (Array, Object)) for spec in schema.specs)
    lengths = {len(value) for value in data.values() if isinstance(value, list)}
    if composite or len(lengths) <= 1:
        return []
    return [_Fault(f"the input arrays have different lengths {sorted(lengths)}", at)]


def _enforce_converted_array(data: Any, at: JsonPath, schema: Schema) -> list[_Fault]:
    if schema.has_names:
        return _missing_inputs_faults(schema, set(), at)
    if not isinstance(schema, TensorSchema):
        width = len(data[0]) if isinstance(data, list) and data and isinstance(data[0], list) else 1
        if width < len(schema.specs):
            message = f"the signature declares {len(schema.specs)} unnamed inputs but the example has {width}"
            return [_Fault(message, at)]
        return []
    fault = _shape_fault(schema.specs[0], data, at, None)
    return [fault] if fault else []


def _missing_inputs_faults(schema: Schema, present: set, at: JsonPath) -> list[_Fault]:
    if not schema.has_names:
        return []
    missing = [key for key in schema.required_keys() if key not in present]
    if not missing:
        return []
    message = f"required input(s) {missing} missing from the example"
    extra = sorted((str(key) for key in present - set(schema.keys())))
    if extra:
        message += f" (it has extra input(s) {extra})"
    return [_Fault(message, at, missing[0], None)]


def _shape_fault(spec: TensorSpec, value: Any, at: JsonPath, key: Any) -> _Fault | None:
    """``_enforce_tensor_spec``'s shape rules for an array cast from JSON."""
    expected = spec.shape
    if spec.dtype.kind == "O" and expected == (-1,):
        return None  # MLflow lets any input through a 1-D object tensor
    actual = _json_shape(value)
    if actual is None:  # ragged: numpy only builds it as a 1-D object array
        if spec.dtype.kind == "O" and len(expected) > 1 and -1 in expected[1:]:
            return None
        actual = (len(value),)
    fits = len(actual) == len(expected) and all(e in (-1, a) for e, a in zip(expected, actual))
    if fits:
        return None
    label = f"input '{key}'" if key is not None else "the input"
    message = f"{label} has shape {list(actual)} but the signature expects {list(expected)} (-1 = any)"
    return _Fault(message, at, key, None)


# --- sparse matrices ---------------------------------------------------------------------------


def _sparse_faults(data: Any, at: JsonPath, schema: Schema) -> list[_Fault]:
    if not isinstance(data, dict) or not {"data", "indices", "indptr", "shape"} <= set(data):
        return [_Fault("a sparse example needs `data`, `indices`, `indptr` and `shape`", at)]
    if not isinstance(schema, TensorSchema):
        return [_Fault("a sparse matrix cannot feed a column-based signature", at)]
    if schema.has_names:
        return [_Fault("a sparse matrix cannot feed a signature with named tensors", at)]
    spec = schema.specs[0]
    shape = tuple(data["shape"]) if isinstance(data["shape"], list) else ()
    if len(shape) != len(spec.shape) or not all(e in (-1, a) for e, a in zip(spec.shape, shape)):
        message = f"the sparse matrix has shape {list(shape)} but the signature expects {list(spec.shape)}"
        return [_Fault(message, (*at, "shape"), None, data["shape"])]
    values = data["data"] if isinstance(data["data"], list) else []
    dtype = _scipy_dtype(values)
    if dtype != spec.dtype.name:  # scipy keeps numpy's dtype; MLflow does not cast sparse data
        message = f"the sparse values are {dtype} but the signature expects {spec.dtype.name}"
        return [_Fault(message, (*at, "data"), None, None)]
    return []


def _scipy_dtype(values: list) -> str:
    if values and all(isinstance(v, bool) for v in values):
        return "bool"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int64"
    return "float64"


# --- uncast data (json_object examples, LLM payloads) ------------------------------------------


def _raw_faults(data: Any, at: JsonPath, schema: Schema) -> list[_Fault]:
    """``_enforce_schema`` on plain decoded JSON, which MLflow does not cast first."""
    if isinstance(schema, TensorSchema):
        message = f"a tensor signature needs numpy arrays, but this example reaches the model as {json_kind(data)}"
        return [_Fault(message, at, None, None)]
    frame = _raw_frame(data, at, schema)
    if isinstance(frame, _Fault):
        return [frame]
    pairs = _schema_columns(frame, schema)
    if isinstance(pairs, _Fault):
        return [pairs]
    faults = []
    for spec, column in pairs:
        fault = _strict_column_fault(spec, column)
        if fault:
            faults.append(fault)
    return faults


def _raw_frame(data: Any, at: JsonPath, schema: ColumnSchema) -> _Frame | _Fault:
    """The data frame ``_enforce_schema`` builds from a scalar, dict or list."""
    if _numpy_scalar(data):
        return _Frame([_Column(0, [data], [at])], at)
    if isinstance(data, dict):
        composite = any(isinstance(spec.type, (Array, Object)) for spec in schema.specs)
        scalar_like = all(
            value is None or _numpy_scalar(value) or (isinstance(value, list) and all(isinstance(x, str) for x in value))
            for value in data.values()
        )
        if composite or scalar_like:
            return _Frame([_Column(key, [value], [(*at, key)]) for key, value in data.items()], at)
        return _dict_of_columns_frame(data, at)
    if isinstance(data, list):
        return _rows_frame(data, None, at, at)
    return _Fault(f"a column-based signature needs a data frame, not {json_kind(data)}", at)


def _dict_of_columns_frame(data: dict, at: JsonPath) -> _Frame | _Fault:
    lengths = {len(value) for value in data.values() if isinstance(value, list)}
    if len(lengths) > 1:
        return _Fault(f"the input lists have different lengths {sorted(lengths)}", at)
    rows = lengths.pop() if lengths else 1  # no list at all: read the values as one row
    columns = []
    for key, value in data.items():
        if isinstance(value, list):
            columns.append(_Column(key, value, [(*at, key, index) for index in range(rows)]))
        else:  # pandas repeats a scalar down the column
            columns.append(_Column(key, [value] * rows, [(*at, key)] * rows))
    return _Frame(columns, at)


def _strict_column_fault(spec: ColumnSpec, column: _Column) -> _Fault | None:
    if isinstance(spec.type, Scalar):
        problem = strict_values_problem(column.values, spec.type)
        if problem:
            offender, path = _first_offender(column, spec.type)
            message = f"column '{column.key}' ({spec.type.name}): {problem}"
            return _Fault(message, path, column.key, offender)
        return None
    for value, path in zip(column.values, column.paths):
        problem = value_problem(value, spec.type, spec.required)
        if problem:
            return _Fault(f"column '{column.key}' ({_type_label(spec.type)}): {problem}", path, column.key, value)
    return None


def _first_offender(column: _Column, scalar: Scalar) -> tuple[Any, JsonPath]:
    """The first cell that, alone, would fail the column; else the first cell."""
    for value, path in zip(column.values, column.paths):
        if strict_values_problem([value], scalar):
            return value, path
    return (column.values[0], column.paths[0]) if column.values else (None, ())


# --- messages ----------------------------------------------------------------------------------


def _type_label(field_type: Any) -> str:
    if isinstance(field_type, Scalar):
        return field_type.name
    if isinstance(field_type, Array):
        return "sparkml_vector" if field_type.spark_vector else f"array<{_type_label(field_type.items)}>"
    if isinstance(field_type, Object):
        return "object"
    if isinstance(field_type, AnyValue):
        return "any"
    return f"map<{_type_label(field_type.values)}>"


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
