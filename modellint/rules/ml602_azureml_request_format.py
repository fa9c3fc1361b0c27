from __future__ import annotations

import json
from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity, Span
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import MLMODEL_WITH_EXAMPLE, model_files

_FRAME = {"columns": ["a", "b"], "data": [[1.5, 2.0]]}
# The formats Azure ML online endpoints refuse (the first two are what the signature rules call
# `dataframe_records` and `instances`): the payload to send instead is `input_data` (split or tensors).
_REFUSED = {"dataframe_records": "a records-oriented data frame", "instances": "a TF-serving request"}


def _serving(payload: dict) -> dict[str, str | bytes]:
    return model_files(MLmodel=MLMODEL_WITH_EXAMPLE,
                       input_example__json=json.dumps(_FRAME),
                       serving_input_example__json=json.dumps(payload, indent=2))


class AzuremlRequestFormat(Rule):
    """## What it does
    For `--target azureml-online`: reports a stored serving payload (`serving_input_example.json`)
    written as a records-oriented data frame (`dataframe_records`) or a TF-serving request
    (`instances`), which Azure ML online endpoints do not accept.

    ## Why is this bad?
    Azure ML online endpoints take the payload under `input_data`, as a split-oriented data frame
    (`columns`, `index`, `data`) or as tensors (a list, or a dictionary of named lists). The input
    format table of [Guidelines for deploying MLflow models, "Input formats"](https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-mlflow-models#input-formats)
    marks "Pandas DataFrame in records orientation" as deprecated for the MLflow server and leaves
    it, and "TensorFlow input via TensorFlow Serving API", unsupported on online endpoints. The
    stored example is the request users and clients copy: in these formats it fails on the
    endpoint although `mlflow models serve` accepts it.

    ## Example
    ```json
    {"dataframe_records": [{"a": 1.5, "b": 2.0}]}
    ```

    ## Fix
    Send the same rows as `{"input_data": {"columns": [...], "index": [...], "data": [...]}}`:
    `modellint request --target azureml-online MODEL_DIR` writes that request from the model's
    example. Logging the model again with a data frame `input_example` makes MLflow store a
    `dataframe_split` payload, which converts one to one.
    """

    code = "ML602"
    name = "azureml-request-format"
    severity = Severity.WARNING
    fix_title = "Send `input_data` in split orientation (`modellint request --target azureml-online` writes it)"

    VALID = examples(lambda: (
        Valid(_serving({"dataframe_split": _FRAME}), note="split-oriented: Azure's `input_data` form"),
        Valid(_serving({"inputs": {"a": [1.5], "b": [2.0]}}), note="named tensors"),
    ))
    INVALID = examples(lambda: (
        Invalid(_serving({"dataframe_records": [{"a": 1.5, "b": 2.0}]}), (("serving_input_example.json", 2),),
                note="records orientation"),
        Invalid(_serving({"instances": [{"a": 1.5, "b": 2.0}]}), (("serving_input_example.json", 2),),
                note="a TF-serving request"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        example = model.serving_example
        if example is None or example.form not in _REFUSED:
            return
        yield self.finding(
            example.path,
            f"the stored serving payload is {_REFUSED[example.form]} (`{example.form}`), which Azure ML online "
            "endpoints refuse: they take `input_data` in split orientation or as tensors",
            Span(example.line),
        )
