from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.code.import_resolution import any_stdlib, declared_python3
from modellint.analyzer.knowledge.never_suggested import is_first_party_name
from modellint.analyzer.knowledge.stdlib import stdlib_modules
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model


class ShadowedModule(Rule):
    """## What it does
    Checks the top-level modules and packages of the model's code directory against the
    standard library of the declared Python and the modules of the declared requirements (and
    their dependencies): `code/pandas.py`, `code/code.py`, `code/yaml/__init__.py`.

    ## Why is this bad?
    MLflow puts the code directory **first** on `sys.path`, so `import pandas` anywhere in the
    serving process, including inside pandas' dependents and MLflow itself, loads the model's
    file instead of the library. MLflow issues #8708 (a user `pandas.py`) and #5966 (the `code`
    module) are this bug.

    ## Example
    ```text
    code/
      pandas.py      # helpers named after the library they wrap
    ```

    ## Fix
    Rename the module (`pandas_helpers.py`) and its imports, or move it into a package of
    your own (`code/my_project/pandas.py`).
    """

    code = "ML206"
    name = "shadowed-module"
    severity = Severity.WARNING
    fix_title = "Rename the module so it does not hide the library"

    VALID = examples(lambda: (
        Valid(code_model({"pandas_helpers.py": "import pandas\n"}, "pandas==2.2.3")),
        Valid(code_model({"google/cloud/helpers.py": "x = 1\n"}, "google-cloud-storage==2.18.2"),
              note="a namespace portion without __init__.py shadows nothing"),
    ))
    INVALID = examples(lambda: (
        Invalid(code_model({"pandas.py": "def clean(df):\n    return df\n"}, "pandas==2.2.3"), (("code/pandas.py", 1),)),
        Invalid(code_model({"code.py": "x = 1\n"}), (("code/code.py", 1),), note="the stdlib `code` module"),
        Invalid(code_model({"yaml/__init__.py": "x = 1\n"}), (("code/yaml/__init__.py", 1),),
                note="PyYAML comes with mlflow"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        if not model.code_dirs:
            return
        from modellint.analyzer.code.scans import top_level_entries  # here: a model without code needs no scanner

        python = declared_python3(model)
        stdlib = stdlib_modules(python) if python else any_stdlib()
        providers = self._distribution_modules(model)
        for directory in model.code_directories:
            relative = directory.relative_to(model.root).as_posix()
            for name, path in top_level_entries(model.root, directory, model.code_copies):
                if name.startswith("__"):
                    continue
                if name in stdlib:
                    what = f"the standard-library module `{name}`"
                elif name in providers and not is_first_party_name(name):
                    chain = providers[name]
                    what = (f"`{name}`, the module of the declared requirement `{chain[0]}`" if len(chain) == 1 else
                            f"`{name}`, the module of `{chain[-1]}` (installed through {' -> '.join(chain)})")
                else:
                    continue
                yield self.finding(
                    path,
                    f"`{path.relative_to(model.root).as_posix()}` shadows {what}: `{relative}/` is first on "
                    f"`sys.path`, so every `import {name}` in the serving process loads this file",
                )

    @staticmethod
    def _distribution_modules(model: ModelDir) -> dict[str, tuple[str, ...]]:
        environment = model.environment
        found: dict[str, tuple[str, ...]] = {}
        for distribution, chain in environment.installed.items():
            for module in environment.knowledge.top_level_modules(distribution):
                top = module.split(".")[0]
                if top not in found or len(chain) < len(found[top]):
                    found[top] = chain
        return found
