from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath, PureWindowsPath

from modellint.analyzer.model_dir import ModelDir, is_absolute_path, is_uri
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, MODELS_FROM_CODE_MLMODEL, model_files


class MissingModelFile(Rule):
    """## What it does
    Checks that every path MLmodel tells a loader to open exists in the model directory:
    flavor payloads (`data`, `model_path`, `pickled_model`, `python_model`, `model_data`,
    `saved_model_dir`, ...), `artifacts.*.path`, the `code` directory, the models-from-code
    file (the basename of `model_code_path`, copied to the model root) and the input example
    files named in `saved_input_example_info`. A path leading outside the model directory is
    not looked for: ML004 (absolute) or ML006 (`..`, symlinks) reports it.

    ## Why is this bad?
    The load fails with `FileNotFoundError` in production. The usual cause is a `.gitignore`
    that keeps `*.pkl` or `data/` out of the repository the model is deployed from.

    ## Example
    ```yaml
    flavors:
      sklearn:
        pickled_model: model.pkl   # but model.pkl is not in the directory
    ```

    ## Fix
    Ship the file with the model (check `.gitignore` and `.dockerignore`), or save the model
    again.
    """

    code = "ML003"
    name = "missing-model-file"
    severity = Severity.ERROR
    fix_title = "Ship the missing file with the model, or save the model again"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(MLmodel=MODELS_FROM_CODE_MLMODEL, model__skops=None, model_code__py="import mlflow\n")),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(model__skops=None), (("MLmodel", 7), ("MLmodel", 12))),
        Invalid(model_files(MLmodel=MODELS_FROM_CODE_MLMODEL, model__skops=None), (("MLmodel", 7),),
                note="models-from-code file not copied to the model root"),
        Invalid(model_files(MLmodel=MLMODEL.replace("code: null", "code: code")), (("MLmodel", 11),)),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for ref in model.path_references:
            if not ref.loader_opens or is_absolute_path(ref.value) or is_uri(ref.value) or model.outside(ref.value):
                continue  # absolute paths are ML004's, other escapes ML006's; URIs are resolved by MLflow, not opened
            if not model.has_file(ref.value):
                yield self.finding(
                    model.mlmodel_path,
                    f"{ref.description} names `{ref.value}`, which is not in the model directory",
                    model.mlmodel_span(*ref.key),
                )
        for flavor, conf in model.flavors.items():
            code_path = conf.get("model_code_path")
            if isinstance(code_path, str) and code_path:
                basename = _basename(code_path)
                if not model.outside(basename) and not model.has_file(basename):
                    yield self.finding(
                        model.mlmodel_path,
                        f"models-from-code file `{basename}` (from `{flavor}.model_code_path`) is not at the model root",
                        model.mlmodel_span("flavors", flavor, "model_code_path"),
                    )


def _basename(path: str) -> str:
    windows = PureWindowsPath(path)
    return windows.name if windows.drive or "\\" in path else PurePosixPath(path).name
