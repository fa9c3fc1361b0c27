from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, SIGNATURE, model_files


class MissingSignature(Rule):
    """## What it does
    Reports a model whose MLmodel has no `signature`.

    ## Why is this bad?
    Without a signature nothing checks a request before it reaches the model: a renamed column
    or a string in a numeric feature fails deep inside the model, or worse, predicts nonsense.
    Databricks Unity Catalog refuses to register a model without one, and Azure ML and the
    MLflow UI use it to describe the expected payload.

    `--target databricks` makes it an error: "Models in Unity Catalog require a signature"
    ([Migrate model versions to Unity Catalog, "Model signatures"](https://docs.databricks.com/aws/en/machine-learning/manage-model-lifecycle/migrate-models#model-signatures)).
    `--target azureml-batch` makes it a warning: batch deployments read the input files with the
    signature, and without one "columns typing is not enforced" for CSV files and images become
    `np.uint8` tensors ([Deploy MLflow models in batch deployments, "File's types support"](https://learn.microsoft.com/en-us/azure/machine-learning/how-to-mlflow-batch#files-types-support)).

    ## Example
    An MLmodel with `flavors`, `mlflow_version` and `utc_time_created` but no `signature:`.

    ## Fix
    Pass `signature=infer_signature(X, model.predict(X))` (and an `input_example`) to
    `log_model` / `save_model`, or let MLflow infer it from `input_example`.
    """

    code = "ML403"
    name = "missing-signature"
    severity = Severity.INFO
    fix_title = "Log the model with `signature=infer_signature(X, model.predict(X))`"

    VALID = examples(lambda: (Valid(CLEAN),))
    INVALID = examples(lambda: (
        Invalid(model_files(MLmodel=MLMODEL.replace(SIGNATURE, "")), (("MLmodel", 1),)),
        Invalid(model_files(MLmodel=MLMODEL.replace(SIGNATURE, "signature: null\n")), (("MLmodel", 17),),
                note="MLflow writes nothing, but a null signature means the same"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        if model.signature.declared:
            return
        yield self.finding(model.mlmodel_path, "the model has no signature: requests are not checked before they reach it",
                           model.mlmodel_span("signature"))
