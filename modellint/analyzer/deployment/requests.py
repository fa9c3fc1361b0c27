"""A sample scoring request for a deployment target, built from the model's signature and example.

The request is first built in MLflow's scoring-server form (what `mlflow models serve` and
Databricks Model Serving take: `dataframe_split`, `dataframe_records`, `instances` or `inputs`,
plus `params`), from the stored serving payload, else the input example, else placeholder values
of the signature's types. It is then checked with the same read-and-enforce code as ML401
(:func:`~modellint.analyzer.signatures.input_examples.check_example`): a request that would be
rejected is never written. An example that fails the check (ML401 reports it) gives way to the
placeholder request.

Azure ML online endpoints take the payload under `input_data`: a split-oriented data frame
(`columns`, `index`, `data`) or tensors (a list, or a dictionary of named lists). Their "Input
formats" table (https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-mlflow-models)
leaves out `dataframe_records` and TF-serving `instances`, and lists nothing like MLflow's unified
chat/completions/embeddings payload (`messages`, `prompt` or `input` at the top level, params mixed
in): :mod:`~modellint.analyzer.deployment.azure_formats` names them, for ML602 (a stored payload
in one of them) and for the request written here, which converts each to a listed form when there
is one (records to split columns, a chat payload whose values are lists to named tensors). The
Azure request is converted from the MLflow one, and :func:`unwrap_azure` turns it back into the
MLflow payload it stands for, which is what the check reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modellint.analyzer.deployment.azure_formats import AZURE_UNLISTED_FORMS
from modellint.analyzer.signatures.input_examples import (
    LLM_KEYS,
    Example,
    Payload,
    check_example,
    serving_payload,
    split_llm_payload,
)
from modellint.analyzer.signatures.schema import (
    AnyValue,
    Array,
    ColumnSchema,
    FieldType,
    Map,
    Object,
    Scalar,
    Signature,
    TensorSchema,
    TensorSpec,
    json_kind,
)
from modellint.record import Record

# The targets a request can be written for, and the documents that give their payload shapes.
REQUEST_TARGETS = {
    "mlflow-serve": "https://mlflow.org/docs/latest/ml/deployment/deploy-model-locally/",
    "databricks": "https://docs.databricks.com/aws/en/machine-learning/model-serving/score-custom-model-endpoints",
    "azureml-online": "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-mlflow-models#input-formats",
}
_PLACEHOLDERS: dict[str, Any] = {"boolean": False, "integer": 0, "long": 0, "float": 0.0, "double": 0.0,
                                 "string": "", "binary": "", "datetime": "2026-01-01T00:00:00"}


class SampleRequest(Record):
    """A request body for one target, or why none can be written."""

    __slots__ = ("target", "body", "origin", "problem", "notes")

    def __init__(self, target: str, body: dict[str, Any] | None, origin: str, problem: str | None = None,
                 notes: tuple[str, ...] = ()) -> None:
        self.target = target
        self.body = body
        self.origin = origin  # what it was built from: the serving example, the input example, the signature
        self.problem = problem  # set when body is None
        self.notes = notes  # what the reader should know (an example skipped, params left out)


def sample_request(signature: Signature | None, example: Example | None, target: str) -> SampleRequest:
    """A request for ``target`` that the signature's enforcement accepts."""
    if target not in REQUEST_TARGETS:
        return SampleRequest(target, None, "", f"no request format is known for `{target}` "
                                               f"(one of {', '.join(REQUEST_TARGETS)})")
    if signature is None:
        return SampleRequest(target, None, "", "the model has no readable signature: nothing says what a request holds")
    notes: list[str] = []
    for origin, body in _candidates(signature, example):
        if body is None:
            continue
        if isinstance(body, str):
            notes.append(f"no request is written from the {origin}: {body}")
            continue
        request = _for_target(body, target, signature)
        if isinstance(request, str):
            notes.append(f"the {origin} cannot be sent to {target}: {request}")
            continue
        problems = request_problems(signature, request, target, example)
        if problems:
            notes.append(f"the {origin} does not match the signature ({problems[0]}); not used")
            continue
        if target == "azureml-online" and _has_params(body, signature):
            notes.append("params are left out: Azure ML's documented payload is `input_data` alone")
        return SampleRequest(target, request, origin, notes=tuple(notes))
    return SampleRequest(target, None, "", "; ".join(notes) or "the signature has no inputs to build a request from",
                         notes=tuple(notes))


def request_problems(signature: Signature, request: dict[str, Any], target: str,
                     example: Example | None = None) -> list[str]:
    """Why the signature's enforcement (ML401's) rejects ``request`` sent to ``target``; [] when it passes."""
    body = unwrap_azure(request) if target == "azureml-online" else request
    if body is None:
        return ["an Azure request needs `input_data` and nothing else"]
    text = json.dumps(body)
    payload, problem = serving_payload(Path("request.json"), json.loads(text), text)
    if payload is None:
        return [problem.message if problem else "not a serving payload"]
    from_type_hint = example.signature_from_type_hint if example is not None else False
    return [mismatch.message for mismatch in check_example(signature, Example((payload,), from_type_hint))]


def unwrap_azure(request: dict[str, Any]) -> dict[str, Any] | None:
    """The MLflow scoring-server payload an Azure ML `input_data` request stands for: a split data
    frame for a `columns`/`data` mapping, tensors (`inputs`) otherwise. None when it is no Azure request."""
    if set(request) != {"input_data"}:
        return None
    data = request["input_data"]
    if isinstance(data, dict) and "columns" in data and "data" in data:
        return {"dataframe_split": data}
    return {"inputs": data}


def _candidates(signature: Signature, example: Example | None):
    """(origin, MLflow request body) in the order they are tried."""
    payloads = example.payloads if example is not None else ()
    for payload in payloads:
        if payload.request:
            yield "stored serving example", _serving_body(payload)
    for payload in payloads:
        if not payload.request:
            yield "input example", _input_example_body(payload)
    yield "signature", _placeholder_body(signature)


def _serving_body(payload: Payload) -> dict[str, Any]:
    if payload.form == "llm":
        return dict(payload.data)
    body: dict[str, Any] = {payload.form: payload.data}
    if payload.params is not None:
        body["params"] = payload.params
    return body


def _input_example_body(payload: Payload) -> dict[str, Any] | None:
    """What MLflow writes as the serving payload for this input example (`_get_serving_input_example`)."""
    if payload.form == "dataframe_split":
        body: dict[str, Any] = {"dataframe_split": payload.data}
    elif payload.form in ("inputs", "raw"):
        body = {"inputs": payload.data}
    elif payload.form == "llm" and isinstance(payload.data, dict):
        body = dict(payload.data)
    else:
        return None  # sparse matrices have no JSON request form
    if payload.params is not None:
        body["params"] = payload.params
    return body


def _placeholder_body(signature: Signature) -> dict[str, Any] | str | None:
    """One row (or one sample) of placeholder values of the signature's types; why not, when the
    signature's tensor shapes fix more values than a sample request should hold."""
    schema = signature.inputs
    if schema is None or not schema.specs:
        return None
    if isinstance(schema, ColumnSchema):
        row = [_placeholder(spec.type) for spec in schema.specs]
        if schema.has_names:
            return {"dataframe_split": {"columns": [spec.name for spec in schema.specs], "data": [row]}}
        return {"dataframe_split": {"data": [row]}}
    assert isinstance(schema, TensorSchema)
    values = sum(_tensor_values(spec) for spec in schema.specs)
    if values > _MAX_PLACEHOLDER_VALUES:
        return (f"its tensor shapes fix {values:,} values per request, over the {_MAX_PLACEHOLDER_VALUES:,} a "
                "sample request is written with")
    if schema.has_names:
        return {"inputs": {str(spec.name): _tensor(spec) for spec in schema.specs}}
    return {"inputs": _tensor(schema.specs[0])}


def _placeholder(field_type: FieldType) -> Any:
    if isinstance(field_type, Scalar):
        return _PLACEHOLDERS.get(field_type.name, "")
    if isinstance(field_type, Array):
        return [_placeholder(field_type.items)]
    if isinstance(field_type, Object):
        return {prop.name: _placeholder(prop.type) for prop in field_type.properties}
    if isinstance(field_type, Map):
        return {}
    assert isinstance(field_type, AnyValue)
    return ""


_MAX_PLACEHOLDER_VALUES = 100_000


def _tensor_values(spec: TensorSpec) -> int:
    """How many values one placeholder sample of ``spec`` holds (a variable dimension counts 1)."""
    count = 1
    for size in spec.shape:
        count *= size if isinstance(size, int) and size > 0 else 1
    return count


def _tensor(spec: TensorSpec) -> Any:
    kind = spec.dtype.kind
    value: Any = False if kind == "b" else 0.0 if kind in "fc" else "" if kind in "USO" else 0
    for size in reversed(spec.shape):
        value = [value] * (size if isinstance(size, int) and size > 0 else 1)
    return value


def _is_llm(body: dict[str, Any]) -> bool:
    """Whether the scoring server reads ``body`` as its unified LLM payload (`is_unified_llm_input`)."""
    return any(key in body for key in LLM_KEYS)


def _has_params(body: dict[str, Any], signature: Signature) -> bool:
    if _is_llm(body):
        return bool(split_llm_payload(body, signature.params)[1])
    return "params" in body


def _for_target(body: dict[str, Any], target: str, signature: Signature) -> dict[str, Any] | str:
    """``body`` (MLflow's form) as ``target`` takes it, or why it has no such form."""
    if target != "azureml-online":
        return body
    if _is_llm(body):
        # What the scoring server hands the model is the payload less its declared params: a
        # dictionary; Azure lists a dictionary of lists (named tensors) and nothing else of the kind.
        tensors, _ = split_llm_payload(body, signature.params)
        scalar = next((key for key, value in tensors.items() if not isinstance(value, list)), None)
        if scalar is not None:
            return (f"it is {AZURE_UNLISTED_FORMS['llm']}, and Azure's input formats list only split data frames "
                    f"and tensors: its `{scalar}` is {json_kind(tensors[scalar])}, not a list (a named tensor)")
        return {"input_data": tensors}
    if "dataframe_split" in body:
        frame = body["dataframe_split"]
        if not isinstance(frame, dict) or not isinstance(frame.get("data"), list):
            return "the data frame has no `data` rows"
        columns = frame.get("columns")
        if columns is None:
            return "Azure's split orientation needs column names"
        index = frame.get("index", list(range(len(frame["data"]))))
        return {"input_data": {"columns": columns, "index": index, "data": frame["data"]}}
    for key in ("dataframe_records", "instances"):
        rows = body.get(key)
        if isinstance(rows, list) and rows and all(isinstance(row, dict) for row in rows):
            columns = list(dict.fromkeys(name for row in rows for name in row))
            data = [[row.get(name) for name in columns] for row in rows]
            return {"input_data": {"columns": columns, "index": list(range(len(rows))), "data": data}}
    if "instances" in body:
        return {"input_data": body["instances"]}
    if "inputs" in body:
        return {"input_data": body["inputs"]}
    return "Azure's input formats list only split data frames and tensors"
