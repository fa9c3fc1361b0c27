from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
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

    VALID = examples(lambda: (Valid(CLEAN),))
    INVALID = examples(lambda: (Invalid(model_files(MLmodel=_WITHOUT_PYFUNC), (("MLmodel", 1),)),))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        if model.pyfunc is None and model.mlmodel is not None:  # the engine runs it on a usable MLmodel only
            flavors = ", ".join(f"`{name}`" for name in model.flavors)
            yield self.finding(
                model.mlmodel_path,
                f"MLmodel has no `python_function` flavor (only {flavors}): pyfunc loading and serving fail",
                model.mlmodel.key_span("flavors"),
            )
