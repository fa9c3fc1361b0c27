from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.knowledge.stdlib import stdlib_modules
from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.serialized.inventory import LoadImport, SerializedFile, load_time_imports
from modellint.findings import Finding, Severity
from modellint.fixes.add_dependency import add_dependency_fix
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._code_examples import requirement_files
from modellint.rules._examples import CLEAN, CLEAN_PIP, MLMODEL, model_files
from modellint.rules._pinned_release_advice import pinned_release_lacks
from modellint.rules._serialized_examples import instance_pickle, pickled_model, skops_file

_WITH_CODE_DIR = MLMODEL.replace("    env:\n", "    code: code\n    env:\n", 1)
_PYTHON_MODEL = MLMODEL.replace(  # a PythonModel saved with mlflow.pyfunc: python_model.pkl is the model
    "    loader_module: mlflow.sklearn\n    model_path: model.skops\n    predict_fn: predict\n",
    "    loader_module: mlflow.pyfunc.model\n    python_model: python_model.pkl\n", 1)


class PickleMissingModule(Rule):
    """## What it does
    Lists every module that loading the model's serialized files imports (classes and functions
    pickled by reference, cloudpickle `subimport` calls, the types a skops file names) and checks
    that each is in the standard library, shipped in the model's code directory, or installed by
    a declared requirement.

    A file that no flavor or artifact in MLmodel names (a `best-model.pkl` left beside the
    `model.pkl` the `sklearn` flavor loads) is reported as information only, without a fix: MLflow
    never loads it, so the model loads without what it would import. When the model runs code of its
    own that may open any file (a `PythonModel`, a custom `loader_module`, a code dir, by-value code
    in a file the flavor loads), every file counts as loaded.

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

    A module the deployment provides itself (a base image, a sidecar package) is never
    reported once named in `known-first-party` (config, or `--known-first-party`); a module
    whose distribution modellint does not know, or names differently, is mapped with
    `[tool.modellint.module-distributions]` (`acme_utils = "acme-utils"`).

    `--fix` adds the distribution the knowledge base names for the module to `requirements.txt`
    and the conda `pip:` list together. It never does so for the model's own code: a module no
    published distribution provides, or the `PythonModel` class that `python_model.pkl` holds
    by reference (a `transformers.py` of your own is not Hugging Face's package). Those need
    `code_paths`, which only saving the model again can add.

    ## Fix safety
    With `--python PATH` the line is pinned to the version that interpreter has installed (the
    one the pickle was most likely written with): safe. Without it the line is unpinned and
    serving installs the newest release, which may not read the pickle: unsafe
    (`--unsafe-fixes`).
    """

    code = "ML301"
    name = "pickle-missing-module"
    severity = Severity.ERROR
    fix_title = "Declare the distribution that provides the module, or ship the module with `code_paths`"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(model__skops=skops_file(("sklearn.linear_model._logistic", "LogisticRegression"),
                                                  ("numpy", "ndarray")))),
        Valid(model_files(MLmodel=_WITH_CODE_DIR, **{"code/my_model.py": "class MyModel:\n    pass\n"},
                          **{"artifacts/extra.pkl": instance_pickle("my_model", "MyModel")}),
              note="the module is shipped in the code dir"),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(model__skops=skops_file(("sklearn.pipeline", "Pipeline"),
                                                    ("lightgbm.sklearn", "LGBMClassifier"))),
                (("model.skops", 1),), note="an estimator from an undeclared library",
                fixed=requirement_files("mlflow==3.17.2", "lightgbm", *CLEAN_PIP[1:])),
        Invalid(pickled_model(instance_pickle("my_model", "MyModel")),
                (("model.pkl", 1),), note="a class pickled by reference to a module not shipped: no fix"),
        Invalid(pickled_model(instance_pickle("sklearn.ensemble.forest", "RandomForestClassifier")),
                (("model.pkl", 1),), note="a module the pinned scikit-learn no longer installs (0.24 removed it): "
                                          "no fix to add scikit-learn again"),
        Invalid(model_files(MLmodel=_PYTHON_MODEL, python_model__pkl=instance_pickle("transformers", "TextCleaner")),
                (("python_model.pkl", 1),),
                note="the PythonModel itself by reference: first-party code, whatever PyPI project shares its "
                     "module name, so no fix"),
        Invalid(pickled_model(instance_pickle("sklearn.linear_model", "LogisticRegression"),
                              **{"best-model.pkl": instance_pickle("lightgbm.sklearn", "LGBMClassifier")}),
                (("best-model.pkl", 1),), severity=Severity.INFO,
                note="a pickle beside the model that no flavor names: MLflow never loads it, so it is information"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        environment = model.environment
        stdlib = stdlib_modules(environment.python)
        for serialized in model.serialized_files:
            if not model.loaded_by_mlflow(serialized.relative):
                yield from self.check_never_loaded(model, serialized, stdlib)
                continue
            for top, ref in load_time_imports(serialized.scan).items():
                if top == "__main__":
                    yield self.finding(
                        serialized.path,
                        f"`{serialized.relative}` references `__main__.{ref.name}` by name: it loads only in the "
                        "script that saved it (save the class in a module shipped with `code_paths`)",
                    )
                    continue
                if top in stdlib or model.code_module_exists(ref.module) or environment.provides(ref.module):
                    continue
                loads = f"loading `{serialized.relative}` imports `{ref.module}` (for `{ref.name}`, {ref.where})"
                suggestion = environment.knowledge.suggest(ref.module)
                shipped = f"{top}.py" if top == ref.module else top
                own_class = _is_python_model_class(model, serialized, ref)
                lacking = pinned_release_lacks(environment, suggestion, ref.module)
                if lacking is not None:
                    # Declared, at a release without the module (removed or renamed since the
                    # pickle was written): adding the distribution again would change nothing.
                    yield self.finding(
                        serialized.path,
                        f"{loads}: {lacking}; pin a release that has it, or save the model again with the "
                        "pinned release",
                    )
                elif suggestion and not own_class:
                    # A module the knowledge base knows a provider of is never the model's own code
                    # to ship (`sklearn` is scikit-learn's, whatever object was pickled).
                    yield self.finding(
                        serialized.path,
                        f"{loads}, which no declared requirement provides: add `{suggestion}` to the requirements",
                        fix_title=f"Add `{suggestion}` to the requirements",
                        fix=add_dependency_fix(model, suggestion),
                    )
                elif suggestion:
                    # The PythonModel class itself, by reference: most often a module of the user's
                    # that shares a PyPI project's name; either way no fix is written.
                    yield self.finding(
                        serialized.path,
                        f"{loads}, which the code dir does not ship and no declared requirement provides: it is "
                        f"the model's `PythonModel` class; if `{top}` is your own code, save the model with "
                        f"`code_paths=[\"{shipped}\"]`, if it comes from `{suggestion}`, add that to the requirements",
                        fix_title=f"Ship `{shipped}` with the model (`code_paths`), or declare `{suggestion}`",
                    )
                else:
                    yield self.finding(
                        serialized.path,
                        f"{loads}, which the code dir does not ship and no declared requirement provides: if it "
                        f"is the model's own code, save the model with `code_paths=[\"{shipped}\"]`",
                        fix_title=f"Ship `{shipped}` with the model: save it again with `code_paths=[\"{shipped}\"]`",
                    )


    def check_never_loaded(self, model: ModelDir, serialized: SerializedFile, stdlib: frozenset[str] | set[str],
                           ) -> Iterator[Finding]:
        """A file MLflow does not load needs nothing installed to load the model: what it would import is
        information (is it the file the model should have named?), with no requirement to add."""
        environment = model.environment
        for top, ref in load_time_imports(serialized.scan).items():
            if top != "__main__" and (top in stdlib or model.code_module_exists(ref.module)
                                      or environment.provides(ref.module)):
                continue
            yield self.finding(
                serialized.path,
                f"`{serialized.relative}` would import `{ref.module}` (for `{ref.name}`, {ref.where}), which "
                f"nothing declared provides; MLflow does not load `{serialized.relative}` (no flavor or artifact "
                "in MLmodel names it), so the model loads without it",
                severity=Severity.INFO,
                fix_title="Remove the file if nothing loads it, or name it in MLmodel if the model should",
            )


def _is_python_model_class(model: ModelDir, serialized: SerializedFile, ref: LoadImport) -> bool:
    """Whether ``ref`` is the root object of the pickle the pyfunc flavor names as
    ``python_model``: the user's ``PythonModel`` subclass, pickled by reference because it was
    imported from a module (cloudpickle pickles only ``__main__`` classes by value). Its module
    is the model's own code even when a PyPI project happens to share the name."""
    training = model.training
    if training is not None:  # a training project's would-be model knows which class it pickles
        code = training.model_code
        return (code is not None and code.kind == "class" and code.module is not None
                and (code.module, code.class_name) == (ref.module, ref.name))
    python_model = (model.pyfunc or {}).get("python_model")
    globals_ = serialized.scan.globals
    return (python_model == serialized.relative and bool(globals_)
            and (globals_[0].module, globals_[0].name) == (ref.module, ref.name))
