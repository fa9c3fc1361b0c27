from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, model_files


class MlmodelUnreadable(Rule):
    """## What it does
    Checks that the file named `MLmodel` is MLflow model metadata: YAML, a mapping, with a
    non-empty `flavors` mapping.

    ## Why is this bad?
    `mlflow.pyfunc.load_model` starts with `Model.load`, which fails on anything else. Training
    scripts and MLproject files saved as `MLmodel` are common in public repositories, and a
    failed `save_model` can leave a directory whose `MLmodel` is missing or truncated.

    ## Example
    ```python
    # MLmodel
    import mlflow
    mlflow.sklearn.log_model(model, "model")
    ```

    ## Fix
    Save the model again with `mlflow.<flavor>.save_model` / `log_model`; keep scripts under
    another name.
    """

    code = "ML001"
    name = "mlmodel-unreadable"
    severity = Severity.ERROR
    fix_title = "Re-save the model with MLflow so that `MLmodel` is written again"

    VALID = examples(lambda: (Valid(CLEAN),))
    INVALID = examples(lambda: (
        Invalid(model_files(MLmodel="import mlflow\nmlflow.sklearn.log_model(model, 'model'):\n"), (("MLmodel", 2),)),
        Invalid(model_files(MLmodel="name: my-project\nentry_points:\n  main:\n    command: python train.py\n"),
                (("MLmodel", 1),), note="an MLproject file saved as MLmodel"),
        Invalid(model_files(MLmodel="- a\n- b\n"), (("MLmodel", 1),)),
        Invalid(model_files(MLmodel=b"\x89PNG\r\n\x1a\n\x00\x00"), (("MLmodel", 1),)),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        error = model.mlmodel_error
        if error is not None:
            yield self.finding(error.path, error.message, error.span)
