from __future__ import annotations

import json
from collections.abc import Iterator

from modellint.analyzer.deployment.azure_formats import AZURE_UNLISTED_FORMS
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity, Span
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import MLMODEL_WITH_EXAMPLE, SIGNATURE, model_files

_FRAME = {"columns": ["a", "b"], "data": [[1.5, 2.0]]}


def _serving(payload: dict) -> dict[str, str | bytes]:
    return model_files(MLmodel=MLMODEL_WITH_EXAMPLE,
                       input_example__json=json.dumps(_FRAME),
                       serving_input_example__json=json.dumps(payload, indent=2))


# What MLflow writes for a chat model's example (`{"messages": [...]}` with a `temperature` param):
# its serving payload is the unified chat form, messages and params side by side.
_CHAT_SIGNATURE = (
    """signature: {inputs: '[{"type": "array", "items": {"type": "object", "properties": {"content": {"type": """
    """"string", "required": true}, "role": {"type": "string", "required": true}}}, "name": "messages", "required": """
    """true}]', outputs: null, params: '[{"name": "temperature", "default": 0.1, "shape": null, "type": "double"}]'}\n"""
)
_CHAT_MLMODEL = MLMODEL_WITH_EXAMPLE.replace("  pandas_orient: split\n", "  params: 'true'\n").replace(
    "  type: dataframe\n", "  type: json_object\n").replace(SIGNATURE, _CHAT_SIGNATURE)
_MESSAGES = [{"role": "user", "content": "hi"}]


def _chat(payload: dict) -> dict[str, str | bytes]:
    return model_files(MLmodel=_CHAT_MLMODEL,
                       input_example__json=json.dumps({"inputs": {"messages": _MESSAGES}, "params": {"temperature": 0.5}}),
                       serving_input_example__json=json.dumps(payload, indent=2))


class AzuremlRequestFormat(Rule):
    """## What it does
    For `--target azureml-online`: reports a stored serving payload (`serving_input_example.json`)
    written as a records-oriented data frame (`dataframe_records`), a TF-serving request
    (`instances`) or MLflow's chat, completions or embeddings payload (`messages`, `prompt` or
    `input` at the top level), none of which Azure ML online endpoints list as an input format.

    ## Why is this bad?
    Azure ML online endpoints take the payload under `input_data`, as a split-oriented data frame
    (`columns`, `index`, `data`) or as tensors (a list, or a dictionary of named lists). The input
    format table of [Guidelines for deploying MLflow models, "Input formats"](https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-mlflow-models#input-formats)
    marks "JSON-serialized pandas DataFrames in the records orientation" as deprecated for the
    MLflow built-in server and leaves it, and "TensorFlow input using the TensorFlow Serving API",
    unsupported on online endpoints; MLflow's unified chat payload is not in the table at all, and
    "Regardless of input type, Azure Machine Learning requires you to provide inputs in a JSON
    payload in the dictionary key `input_data`" ("Input structure", same page). The stored
    example is the request users and clients copy: in these formats it fails on the endpoint
    although `mlflow models serve` accepts it.

    ## Example
    ```json
    {"dataframe_records": [{"a": 1.5, "b": 2.0}]}
    ```

    ## Fix
    Send the same rows as `{"input_data": {"columns": [...], "index": [...], "data": [...]}}`, and a
    chat payload's lists as named tensors, `{"input_data": {"messages": [...]}}`:
    `modellint request --target azureml-online MODEL_DIR` writes that request from the model's
    example. Logging the model again with a data frame `input_example` makes MLflow store a
    `dataframe_split` payload, which converts one to one.
    """

    code = "ML602"
    name = "azureml-request-format"
    severity = Severity.WARNING
    fix_title = "Send `input_data` in split orientation or as tensors (`modellint request --target azureml-online` writes it)"

    VALID = examples(lambda: (
        Valid(_serving({"dataframe_split": _FRAME}), note="split-oriented: Azure's `input_data` form"),
        Valid(_serving({"inputs": {"a": [1.5], "b": [2.0]}}), note="named tensors"),
        Valid(_chat({"inputs": {"messages": _MESSAGES}, "params": {"temperature": 0.5}}),
              note="a chat model's messages as a named tensor"),
    ))
    INVALID = examples(lambda: (
        Invalid(_serving({"dataframe_records": [{"a": 1.5, "b": 2.0}]}), (("serving_input_example.json", 2),),
                note="records orientation"),
        Invalid(_serving({"instances": [{"a": 1.5, "b": 2.0}]}), (("serving_input_example.json", 2),),
                note="a TF-serving request"),
        Invalid(_chat({"messages": _MESSAGES, "temperature": 0.5}),
                (("serving_input_example.json", 1),), note="MLflow's chat payload"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        example = model.serving_example
        if example is None or example.form not in AZURE_UNLISTED_FORMS:
            return
        yield self.finding(
            example.path,
            f"the stored serving payload is {AZURE_UNLISTED_FORMS[example.form]}, which Azure ML online "
            "endpoints refuse: they take `input_data` in split orientation or as tensors",
            Span(example.line),
        )
