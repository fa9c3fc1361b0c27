from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, ProjectInvalid, ProjectValid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, model_files

_WITHOUT_PYFUNC = MLMODEL.replace(
    """  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: predict
    python_version: 3.11.7
""", "")


_MLEAP_TRAIN = """\
import mlflow

pipeline, df = train()
with mlflow.start_run():
    mlflow.mleap.log_model(pipeline, df, "model", signature=signature)
"""


class NoPyfuncFlavor(Rule):
    """## What it does
    Checks that the model has a `python_function` flavor.

    ## Why is this bad?
    `mlflow models serve`, `mlflow models predict`, `mlflow.pyfunc.load_model`, Azure ML no-code
    deployment and Databricks serving all load a model through its `python_function` flavor.
    Without it the model can only be loaded by its native flavor's API in your own code.

    It is a warning because a deployment with its own scoring script can still load the model;
    `--target azureml-online` and `--target azureml-batch` make it an error: Azure ML generates
    the scoring script and environment "only for `pyfunc` model's flavor"
    ([Deploy MLflow models to online endpoints](https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-mlflow-models-online-endpoints)),
    and "Batch deployments only support deploying MLflow models with a `pyfunc` flavor"
    ([Deploy MLflow models in batch deployments, "Flavor support"](https://learn.microsoft.com/en-us/azure/machine-learning/how-to-mlflow-batch#flavor-support)).

    In a training project it judges what the call's flavor writes: `mlflow.mleap` (MLflow 2.x)
    is the one built-in flavor that never adds `python_function`.

    ## Example
    ```yaml
    flavors:
      sklearn:
        pickled_model: model.pkl
    ```

    ## Fix
    Save the model with an MLflow flavor that adds `python_function` (every built-in flavor
    does unless told otherwise), or wrap it in a `mlflow.pyfunc.PythonModel`.
    """

    code = "ML002"
    name = "no-pyfunc-flavor"
    severity = Severity.WARNING
    fix_title = "Save the model with a flavor that adds `python_function`"

    VALID = examples(lambda: (
        Valid(CLEAN),
        ProjectValid({"train.py": _MLEAP_TRAIN.replace("mlflow.mleap.log_model(pipeline, df,", "mlflow.spark.log_model(pipeline,")},
                     note="`mlflow.spark` adds `python_function`"),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(MLmodel=_WITHOUT_PYFUNC), (("MLmodel", 1),)),
        ProjectInvalid({"train.py": _MLEAP_TRAIN}, (("train.py", 5),),
                       note="MLflow 2.x's `mlflow.mleap` writes only the `mleap` flavor"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        if model.pyfunc is None and model.mlmodel is not None:  # the engine runs it on a usable MLmodel only
            flavors = ", ".join(f"`{name}`" for name in model.flavors)
            if model.training is not None:
                call = model.training.call
                yield self.finding(call.path, f"`mlflow.{call.flavor}.{call.function}` writes no `python_function` "
                                              f"flavor (only {flavors}): pyfunc loading and serving fail", call.span)
                return
            yield self.finding(
                model.mlmodel_path,
                f"MLmodel has no `python_function` flavor (only {flavors}): pyfunc loading and serving fail",
                model.mlmodel.key_span("flavors"),
            )
