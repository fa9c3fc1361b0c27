from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.knowledge.serving_images import clashes
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, ProjectInvalid, ProjectValid, Rule, Valid, examples
from modellint.rules._code_examples import requirement_files
from modellint.rules._examples import MLMODEL, model_files

_TARGET = "azureml-online"


def _with(*pip: str) -> dict[str, str | bytes]:
    """The clean model with these requirements, logged by the MLflow they pin."""
    mlflow = next(line.split("==")[1] for line in pip if line.startswith("mlflow=="))
    return model_files(MLmodel=MLMODEL.replace("mlflow_version: 3.17.2", f"mlflow_version: {mlflow}"),
                       **{name.replace(".", "__"): text for name, text in requirement_files(*pip).items()})


_TRAIN = """\
import mlflow

mlflow.sklearn.log_model(
    clf,
    name="model",
    input_example=X,
    pip_requirements=["mlflow==3.8.1", "scikit-learn==1.9.1", "skops==0.16.0"],
)
"""


class AzuremlServingImageClash(Rule):
    """## What it does
    For `--target azureml-online`: reports a requirement of the conda file's `pip:` list (what
    no-code deployment installs) pinned to a version known to break the Azure ML no-code serving
    image, naming the version, what breaks and the source.

    ## Why is this bad?
    For no-code deployment Azure ML "Dynamically installs Python packages that you list in a
    conda.yaml file" into "an MLflow base image, or curated environment" whose items include "The
    `azureml-inference-server-http` package" and "The `mlflow-skinny` package"
    ([Deploy MLflow models to online endpoints](https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-mlflow-models-online-endpoints),
    its opening list). A model pin replaces the image's version, and some versions crash the
    container before it serves. MLflow 3.7.0 and later: the scoring container fails its liveness probe with
    HTTP 502, "Pinning to 3.6.0 (last working version)" ([Azure/azureml-examples#3873](https://github.com/Azure/azureml-examples/pull/3873),
    2026-04-14), still so on 2026-06-29 for the newest release then, 3.14.0
    ([#4051](https://github.com/Azure/azureml-examples/pull/4051)); no report covers a later release, so
    none is judged. `azureml-inference-server-http` 1.3.0-1.3.4 stop with
    `No module named 'azureml.contrib'` ([#4009](https://github.com/Azure/azureml-examples/pull/4009),
    2026-06-08). The table, with the date each fact holds as of, is
    `modellint/analyzer/knowledge/serving_images.tsv`.

    In a training project it judges the versions the call's own arguments pin (`pip_requirements`,
    `conda_env`): the `mlflow` pin MLflow adds by itself is the training environment's, which a
    static reading cannot see.

    ## Example
    ```text
    mlflow==3.8.1
    scikit-learn==1.9.1
    ```

    ## Fix
    Log the model with a version outside the range (`mlflow==3.6.0`, `azureml-inference-server-http>=1.4`),
    or deploy with your own environment and scoring script instead of no-code deployment.
    """

    code = "ML604"
    name = "azureml-serving-image-clash"
    severity = Severity.ERROR
    fix_title = "Pin a version the Azure ML serving image works with, or deploy with your own environment"

    VALID = examples(lambda: (
        Valid(_with("mlflow==3.6.0", "scikit-learn==1.9.1", "skops==0.16.0")),
        Valid(_with("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0"),
              note="released after the last report (3.14.0, 2026-06-29): not judged"),
        Valid(_with("mlflow==3.6.0", "azureml-inference-server-http==1.4.1", "scikit-learn==1.9.1", "skops==0.16.0"),
              note="1.4 fixed the start-up import"),
        ProjectValid({"train.py": _TRAIN.replace("mlflow==3.8.1", "mlflow==3.6.0")}),
        ProjectValid({"train.py": _TRAIN.replace('"mlflow==3.8.1", ', "")},
                     note="MLflow adds the installed version: not known statically"),
    ))
    INVALID = examples(lambda: (
        Invalid(_with("mlflow==3.8.1", "scikit-learn==1.9.1", "skops==0.16.0"),
                (("conda.yaml", 7),), note="MLflow 3.7 to 3.14"),
        Invalid(_with("mlflow==3.6.0", "azureml-inference-server-http==1.3.4", "scikit-learn==1.9.1", "skops==0.16.0"),
                (("conda.yaml", 8),), note="the 1.3.x scoring server"),
        ProjectInvalid({"train.py": _TRAIN}, (("train.py", 7),), note="the call pins it"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        known = clashes(_TARGET)
        # No-code deployment installs the conda file's packages (without one, ML601 says so).
        pip = model.conda.pip if model.conda is not None else None
        for line in pip.lines if pip is not None else ():
            version = line.pinned_version
            if version is None:
                continue
            for fact in known:
                if fact.distribution == line.name and fact.clashes_with(version):
                    yield self.finding(
                        line.path,
                        f"`{line.text}` breaks Azure ML no-code deployment: `{fact.distribution}` {fact.specifier} "
                        f"{fact.effect} (as of {fact.as_of}: {fact.source})",
                        line.span,
                    )
