from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.model_layout import REQUIREMENTS
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, model_files

_VIRTUALENV_ONLY = MLMODEL.replace("      conda: conda.yaml\n", "")


class AzuremlNoCondaEnv(Rule):
    """## What it does
    For the Azure ML targets (`--target azureml-online`, `--target azureml-batch`): reports a
    model whose `python_function` flavor names no conda environment and that ships none, such as
    one with only `python_env.yaml` and `requirements.txt` (a model with no environment file at
    all is ML101's error).

    ## Why is this bad?
    Azure ML no-code deployment builds the serving environment from the model's conda file, not
    from `python_env.yaml`: "Azure Machine Learning reads the conda dependencies that are
    specified in the MLflow model and adds any packages that are required to run the inferencing
    server" ([Guidelines for deploying MLflow models, "Packages and dependencies"](https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-mlflow-models#packages-and-dependencies));
    online endpoints "dynamically install Python packages provided in the `conda.yaml` file"
    ([Deploy MLflow models to online endpoints](https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-mlflow-models-online-endpoints)).
    A model without one gives the deployment nothing to install: the model's own packages are
    missing when the scoring script loads it. `mlflow models serve` does not need the file
    (it builds from `python_env.yaml`), so this is checked only for the Azure targets.

    ## Example
    ```yaml
    flavors:
      python_function:
        env:
          virtualenv: python_env.yaml
    ```
    and no `conda.yaml` in the model directory.

    ## Fix
    Log the model with an MLflow that writes `conda.yaml` (every release does by default), or pass
    `conda_env=` to `log_model`; or add a `conda.yaml` whose `pip:` list is `requirements.txt`,
    and name it under `env: conda:` in MLmodel.
    """

    code = "ML601"
    name = "azureml-no-conda-env"
    severity = Severity.ERROR
    fix_title = "Ship a conda.yaml (its `pip:` list = requirements.txt) and name it in MLmodel `env: conda:`"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(MLmodel=_VIRTUALENV_ONLY), note="not named, but conda.yaml is there: Azure reads it"),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(MLmodel=_VIRTUALENV_ONLY, conda__yaml=None), (("MLmodel", 3),),
                note="only python_env.yaml and requirements.txt"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        mlmodel = model.mlmodel
        if model.pyfunc is None or mlmodel is None:  # no pyfunc flavor: ML002, an error for these targets
            return
        conda_name, _, named = model.env_spec
        if conda_name or model.has_entry(model.conda_file_name):
            return  # named and missing is ML101's error
        if not (model.has_entry(model.python_env_file_name) or model.has_entry(REQUIREMENTS)):
            return  # no environment file at all: ML101's error
        span = mlmodel.key_span("flavors", "python_function", "env") if named else \
            mlmodel.key_span("flavors", "python_function")
        yield self.finding(
            model.mlmodel_path,
            "the model has no conda environment: Azure ML no-code deployment builds the serving environment "
            "from the conda file only",
            span,
        )
