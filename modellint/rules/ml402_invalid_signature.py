from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, SIGNATURE, model_files


def _signature(inputs: str) -> str:
    """MLmodel with the signature's `inputs` JSON replaced (`outputs` kept as MLflow wrote it)."""
    line = f"""signature: {{inputs: '{inputs}', outputs: '[{{"type": "long", "required": true}}]', params: null}}\n"""
    return MLMODEL.replace(SIGNATURE, line)


class InvalidSignature(Rule):
    """## What it does
    Checks that `signature.inputs`, `signature.outputs` and `signature.params` in MLmodel are
    JSON strings of schemas MLflow can read: known column types (`double`, `array`, `object`,
    ...), tensor specs with a numpy dtype and a shape, all columns named or none, no mix of
    columns and tensors, params whose default fits their type and shape.

    ## Why is this bad?
    MLflow parses the signature when it loads the model (`Model.load`), so a signature it cannot
    read stops `mlflow models serve`, `mlflow.pyfunc.load_model` and registry tools before the
    model is even unpickled. Hand-edited MLmodel files are the usual cause.

    ## Example
    ```yaml
    signature:
      inputs: '[{"type": "decimal", "name": "price"}]'
    ```

    ## Fix
    Write the signature with MLflow (`infer_signature`, or `ModelSignature(...).to_dict()`)
    instead of by hand, or restore the MLmodel MLflow saved.
    """

    code = "ML402"
    name = "invalid-signature"
    severity = Severity.ERROR
    fix_title = "Write the signature with `mlflow.models.infer_signature`"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(MLmodel=_signature('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28, 28]}}]')),
              note="an unnamed tensor"),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(MLmodel=_signature('[{"type": "decimal", "name": "a"}]')), (("MLmodel", 17),),
                note="an unknown column type"),
        Invalid(model_files(MLmodel=_signature('[{"type": "double", "name": "a"}, {"type": "double"}]')),
                (("MLmodel", 17),), note="named and unnamed columns mixed"),
        Invalid(model_files(MLmodel=_signature('[{"type": "double", "name": "a"},]')), (("MLmodel", 17),),
                note="not JSON: a trailing comma"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for error in model.signature.errors:
            if error.field == "signature":
                yield self.finding(model.mlmodel_path, error.message, model.mlmodel_span("signature"))
            else:
                yield self.finding(model.mlmodel_path, f"`signature.{error.field}` {error.message}",
                                   model.mlmodel_span("signature", error.field))
