from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir, is_absolute_path
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, model_files


class AbsolutePathReference(Rule):
    """## What it does
    Checks MLmodel for absolute or machine-local paths (`/home/...`, `C:\\...`, `file:///...`).

    It is an **error** when a loader opens that path (a flavor's `saved_model_dir`, `data`, an
    artifact's `path`): the model then only loads on the machine that saved it. It is **info**
    when only metadata records the path (`artifact_path`, `artifacts.*.uri`,
    `model_code_path`): nothing breaks, but the file leaks user names and directory layout.
    modellint never reads a file at such a path. Absolute env file paths (`env.conda`,
    `env.virtualenv`), paths climbing out with `..` and symlinks leading out are ML006's.

    ## Why is this bad?
    A model directory is meant to be moved: to a registry, a container, another machine.

    ## Example
    ```yaml
    flavors:
      tensorflow:
        saved_model_dir: /home/krishna/projects/mlflow_test/tf/../models
    ```

    ## Fix
    Save the model again with paths relative to the model directory (MLflow does this when the
    payload is saved inside the model directory).
    """

    code = "ML004"
    name = "absolute-path-reference"
    severity = Severity.ERROR
    fix_title = "Save the model again so that the path is relative to the model directory"

    VALID = examples(lambda: (Valid(CLEAN),))
    INVALID = examples(lambda: (
        Invalid(model_files(MLmodel=MLMODEL.replace("pickled_model: model.skops", "pickled_model: /home/me/model.skops")),
                (("MLmodel", 12),)),
        Invalid(model_files(MLmodel=MLMODEL + "artifact_path: file:///C:/Users/me/mlruns/0/abc/artifacts/model\n"),
                (("MLmodel", 19),), severity=Severity.INFO),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for ref in model.path_references:
            if not is_absolute_path(ref.value):
                continue
            span = model.mlmodel_span(*ref.key)
            if ref.loader_opens:
                yield self.finding(
                    model.mlmodel_path,
                    f"{ref.description} is the absolute path `{ref.value}`: the model only loads on the machine that saved it",
                    span,
                )
            else:
                yield self.finding(
                    model.mlmodel_path,
                    f"{ref.description} records the machine-local path `{ref.value}`",
                    span,
                    severity=Severity.INFO,
                    fix_title="Nothing breaks; re-save or edit the metadata if the path must not leak",
                )
