from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.knowledge import stdlib_modules
from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.serialized import load_time_imports
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid
from modellint.rules._examples import CLEAN, MLMODEL, model_files
from modellint.rules._serialized_examples import instance_pickle, skops_file

_WITH_CODE_DIR = MLMODEL.replace("    env:\n", "    code: code\n    env:\n", 1)


class PickleMissingModule(Rule):
    """## What it does
    Lists every module that loading the model's serialized files imports (classes and functions
    pickled by reference, cloudpickle `subimport` calls, the types a skops file names) and checks
    that each is in the standard library, shipped in the model's code directory, or installed by
    a declared requirement.

    ## Why is this bad?
    Unpickling imports every module it names, so the load fails with `ModuleNotFoundError` in a
    fresh environment that lacks one. The usual causes: a pipeline holding a LightGBM or XGBoost
    estimator saved with requirements that only list scikit-learn; a `PythonModel` subclass
    imported from `my_model.py` without `code_paths` (cloudpickle stores it as a reference to
    `my_model`, not by value); a `FunctionTransformer(features.f)` whose `features.py` was not
    shipped.

    ## Example
    ```text
    model.pkl: sklearn.pipeline.Pipeline -> lightgbm.sklearn.LGBMClassifier
    requirements.txt: mlflow, scikit-learn     # no lightgbm
    ```

    ## Fix
    Add the distribution that provides the module to the requirements, or save the model with
    `code_paths=["my_model.py"]` when the module is your own code.
    """

    code = "ML301"
    name = "pickle-missing-module"
    severity = Severity.ERROR
    fix_title = "Declare the distribution that provides the module, or ship the module with `code_paths`"

    VALID = (
        Valid(CLEAN),
        Valid(model_files(model__skops=skops_file(("sklearn.linear_model._logistic", "LogisticRegression"),
                                                  ("numpy", "ndarray")))),
        Valid(model_files(MLmodel=_WITH_CODE_DIR, **{"code/my_model.py": "class MyModel:\n    pass\n",
                                                     "artifacts/extra.pkl": instance_pickle("my_model", "MyModel")}),
              note="the module is shipped in the code dir"),
    )
    INVALID = (
        Invalid(model_files(model__skops=skops_file(("sklearn.pipeline", "Pipeline"),
                                                    ("lightgbm.sklearn", "LGBMClassifier"))),
                (("model.skops", 1),), note="an estimator from an undeclared library"),
        Invalid(model_files(**{"artifacts/extra.pkl": instance_pickle("my_model", "MyModel")}),
                (("artifacts/extra.pkl", 1),), note="a class pickled by reference to a module not shipped"),
    )

    def check(self, model: ModelDir) -> Iterator[Finding]:
        environment = model.environment
        stdlib = stdlib_modules(environment.python)
        for serialized in model.serialized_files:
            for top, ref in load_time_imports(serialized.scan).items():
                if top == "__main__":
                    yield self.finding(
                        serialized.path,
                        f"`{serialized.relative}` references `__main__.{ref.name}` by name: it loads only in the "
                        "script that saved it (save the class in a module shipped with `code_paths`)",
                    )
                    continue
                if top in stdlib or model.code_module_exists(ref.module) or environment.provision(ref.module):
                    continue
                suggestion = environment.knowledge.suggest(ref.module)
                hint = f" (distribution `{suggestion}`)" if suggestion else ""
                yield self.finding(
                    serialized.path,
                    f"loading `{serialized.relative}` imports `{ref.module}` (for `{ref.name}`, {ref.where}), "
                    f"which no declared requirement provides{hint} and the code dir does not ship",
                )
