from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import REQUIREMENTS, ModelDir
from modellint.findings import Finding, Severity, Span
from modellint.fixes.environment_edits import python_env_from_conda, requirements_from_pip_list
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, model_files

_LEGACY_ENV = MLMODEL.replace(
    "    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n", "    env: conda.yaml\n"
)


class MissingEnvFile(Rule):
    """## What it does
    Checks that the environment files a fresh serving environment is built from exist.

    It is an **error** when the env builder has no fallback: `python_env.yaml` says
    `-r requirements.txt` and there is no `requirements.txt` (`uv pip install -r` fails), the
    conda file MLmodel names is missing, or the model has no environment file at all. It is a
    **warning** when MLflow falls back: `python_env.yaml` is named in MLmodel but absent, so
    MLflow rebuilds it from the conda file and `requirements.txt`.

    ## Why is this bad?
    `mlflow models serve/predict --env-manager virtualenv|uv|conda` and Azure ML build the
    environment from these files before anything is loaded.

    ## Example
    ```yaml
    # python_env.yaml
    dependencies:
    - -r requirements.txt     # but requirements.txt is not in the model directory
    ```

    ## Fix
    Ship the file. `requirements.txt` can be rebuilt from the conda file's `pip:` list and
    `python_env.yaml` from the conda file, the way MLflow does it.
    """

    code = "ML101"
    name = "missing-env-file"
    severity = Severity.ERROR
    fix_title = "Ship the missing environment file with the model"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(MLmodel=_LEGACY_ENV, python_env__yaml=None),
              note="MLflow < 1.26 wrote no python_env.yaml and named none"),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(requirements__txt=None), (("python_env.yaml", 7),),
                fixed={"requirements.txt": CLEAN["requirements.txt"]}),
        Invalid(model_files(conda__yaml=None), (("MLmodel", 4),)),
        Invalid(model_files(python_env__yaml=None), (("MLmodel", 5),), severity=Severity.WARNING,
                fixed={"python_env.yaml": "python: 3.11.7\nbuild_dependencies:\n- pip<=23.2.1\n"
                                          "dependencies:\n- -r requirements.txt\n"}),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        mlmodel = model.mlmodel
        if model.pyfunc is None or mlmodel is None:  # (a pyfunc flavor comes from a usable MLmodel)
            return
        conda_name, virtualenv_name, named = model.env_spec
        # A file leading outside the model dir counts as present (ML006 reports it), and so does a
        # symlink loop or a broken symlink (ML110): one error for one file.
        conda_present = model.has_entry(model.conda_file_name)
        python_env_present = model.has_entry(model.python_env_file_name)
        requirements_present = model.has_entry(REQUIREMENTS)
        if conda_name and not conda_present:
            yield self.finding(
                model.mlmodel_path,
                f"MLmodel names the conda environment `{conda_name}`, which is not in the model directory",
                self._env_span(model, "conda"),
            )
        if virtualenv_name and not python_env_present:
            fallback = "the conda file" if conda_present else "nothing: the conda file is missing too"
            yield self.finding(
                model.mlmodel_path,
                f"MLmodel names `{virtualenv_name}`, which is not in the model directory; MLflow falls back to {fallback}",
                self._env_span(model, "virtualenv"),
                severity=Severity.WARNING if conda_present else Severity.ERROR,
                fix=python_env_from_conda(model, model.python_env_file_name),
            )
        if python_env_present and model.python_env and not requirements_present:
            for line in model.python_env.dependencies.lines:
                if line.option == "requirement" and line.option_value == REQUIREMENTS:
                    yield self.finding(
                        line.path,
                        f"`{line.text}` but there is no `{REQUIREMENTS}`: installing the environment fails",
                        line.span,
                        fix_title="Ship requirements.txt (it can be rebuilt from the conda file's `pip:` list)",
                        fix=requirements_from_pip_list(model),
                    )
        if not named and not (conda_present or python_env_present or requirements_present):
            yield self.finding(
                model.mlmodel_path,
                "the model has no environment file (conda.yaml, python_env.yaml or requirements.txt)",
                mlmodel.key_span("flavors", "python_function"),
            )

    @staticmethod
    def _env_span(model: ModelDir, key: str) -> Span:
        env = (model.pyfunc or {}).get("env")
        if isinstance(env, dict):
            return model.mlmodel_span("flavors", "python_function", "env", key)
        return model.mlmodel_span("flavors", "python_function", "env")
