from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, ProjectInvalid, ProjectValid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, SIGNATURE, model_files

if TYPE_CHECKING:
    from modellint.analyzer.project.training import TrainingCall

_TRAIN = """\
import mlflow
from sklearn.linear_model import LogisticRegression

clf = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
with mlflow.start_run():
    mlflow.sklearn.log_model(clf, name="model", registered_model_name="main.default.clf")
"""


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

    In a training project it judges each save/log call: one that passes neither `signature` nor
    `input_example` (a variable or `**kwargs` counts as passing them), of a flavor that makes no
    signature by itself (`transformers`, `openai`, a `PythonModel` with type hints on `predict` or
    extending `ChatModel` do), writes a model without one. With a literal Unity Catalog
    `registered_model_name` (`catalog.schema.model`) the message says that registration is refused.

    ## Example
    An MLmodel with `flavors`, `mlflow_version` and `utc_time_created` but no `signature:`; in a
    training project, `mlflow.sklearn.log_model(clf, name="model")`.

    ## Fix
    Pass `signature=infer_signature(X, model.predict(X))` (and an `input_example`) to
    `log_model` / `save_model`, or let MLflow infer it from `input_example`.
    """

    code = "ML403"
    name = "missing-signature"
    severity = Severity.INFO
    fix_title = "Log the model with `signature=infer_signature(X, model.predict(X))`"

    INVALID = examples(lambda: (
        Invalid(model_files(MLmodel=MLMODEL.replace(SIGNATURE, "")), (("MLmodel", 1),)),
        Invalid(model_files(MLmodel=MLMODEL.replace(SIGNATURE, "signature: null\n")), (("MLmodel", 17),),
                note="MLflow writes nothing, but a null signature means the same"),
        ProjectInvalid({"train.py": _TRAIN}, (("train.py", 6),),
                       note="a Unity Catalog name: `--target databricks` makes it an error"),
        ProjectInvalid({"train.py": _TRAIN.replace(', registered_model_name="main.default.clf"', ", signature=None")},
                       (("train.py", 6),), note="`signature=None` is no signature"),
    ))
    VALID = examples(lambda: (
        Valid(CLEAN),
        ProjectValid({"train.py": _TRAIN.replace('name="model"', 'name="model", input_example=[[0.0]]')},
                     note="MLflow infers the signature from the input example"),
        ProjectValid({"train.py": _TRAIN.replace('name="model"', 'name="model", signature=signature')},
                     note="a variable: a static reading cannot tell it is None"),
        ProjectValid({"train.py": _TRAIN.replace('name="model"', 'name="model", **options')},
                     note="`**options` may pass either"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        if model.training is not None:
            yield from self._check_call(model.training)
            return
        if model.signature.declared:
            return
        yield self.finding(model.mlmodel_path, "the model has no signature: requests are not checked before they reach it",
                           model.mlmodel_span("signature"))

    def _check_call(self, training: TrainingCall) -> Iterator[Finding]:
        from modellint.analyzer.project.call_signature import certainly_unsigned, unity_catalog_name

        call = training.call
        if not certainly_unsigned(training):
            return
        registered = unity_catalog_name(call)
        refusal = f"; Unity Catalog refuses to register `{registered}` without one" if registered else ""
        yield self.finding(call.path, f"the model this `{call.function}` call writes has no signature: it passes "
                                      f"no `signature` and no `input_example`{refusal}", call.span)
