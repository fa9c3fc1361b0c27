from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, conda, model_files, requirements

_CUSTOM_LOADER = MLMODEL.replace("loader_module: mlflow.sklearn", "loader_module: my_loader").replace(
    "    env:\n", "    code: code\n    env:\n", 1)
_SKTIME_LOADER = MLMODEL.replace("loader_module: mlflow.sklearn", "loader_module: sktime.utils.mlflow_sktime")
_SKTIME_PIP = ("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0", "sktime==1.2.0")


class LoaderModuleUnresolvable(Rule):
    """## What it does
    Checks that the pyfunc `loader_module` can be imported in the serving environment: it is
    an `mlflow.*` module, or it is shipped in the model's code directory, or a declared
    requirement (or one of their dependencies) provides it.

    ## Why is this bad?
    `mlflow.pyfunc.load_model` starts with `importlib.import_module(loader_module)`; when
    nothing provides it the load fails with `ModuleNotFoundError` before the model is read.

    ## Example
    ```yaml
    python_function:
      loader_module: my_loader     # but there is no code/my_loader.py
    ```

    ## Fix
    Save the model with `code_paths=["my_loader.py"]`, or add the distribution that provides
    the module to the requirements.

    A module the deployment provides itself (a base image, a sidecar package) is never
    reported once named in `known-first-party` (config, or `--known-first-party`); a module
    whose distribution modellint does not know, or names differently, is mapped with
    `[tool.modellint.module-distributions]` (`acme_utils = "acme-utils"`).
    """

    code = "ML005"
    name = "loader-module-unresolvable"
    severity = Severity.ERROR
    fix_title = "Ship the loader module with `code_paths`, or declare the package that provides it"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(MLmodel=_CUSTOM_LOADER, **{"code/my_loader.py": "def _load_pyfunc(path):\n    ...\n"})),
        Valid(model_files(MLmodel=_SKTIME_LOADER, requirements__txt=requirements(*_SKTIME_PIP), conda__yaml=conda(*_SKTIME_PIP))),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(MLmodel=_CUSTOM_LOADER), (("MLmodel", 7),)),
        Invalid(model_files(MLmodel=_SKTIME_LOADER), (("MLmodel", 6),)),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        loader = (model.pyfunc or {}).get("loader_module")
        if not isinstance(loader, str) or not loader.strip():
            if model.pyfunc is not None and model.mlmodel is not None:
                yield self.finding(model.mlmodel_path, "the `python_function` flavor has no `loader_module`",
                                   model.mlmodel.key_span("flavors", "python_function"))
            return
        if loader == "mlflow" or loader.startswith("mlflow.") or model.code_module_exists(loader):
            return
        environment = model.environment
        if environment.provides(loader):
            return
        from modellint.analyzer.code.import_resolution import unknown_declared_requirements  # only on a finding

        unknown = unknown_declared_requirements(model)
        hint = f" (unless one of {', '.join(f'`{name}`' for name in unknown)}, unknown to modellint, provides it)" if unknown else ""
        yield self.finding(
            model.mlmodel_path,
            f"`loader_module: {loader}` is not an mlflow module, not in the code directory, and no declared requirement provides it{hint}",
            model.mlmodel_span("flavors", "python_function", "loader_module"),
        )
