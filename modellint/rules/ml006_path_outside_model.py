from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.files import ABSOLUTE, CLIMBS_OUT
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import FILE_START, Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, model_files


class PathOutsideModel(Rule):
    """## What it does
    Checks that every file the loader or the environment builder opens lies inside the model
    directory: the env files MLmodel names (`env.conda`, `env.virtualenv`), the `code` dir,
    flavor payloads, `artifacts.*.path`, the input example files and the models-from-code file.
    It fires on a path that climbs out with `..`, an env file named by an absolute path, and a
    path or file that is a symlink (or goes through one) resolving outside the model directory.
    Absolute flavor, artifact and example paths are ML004's.

    modellint does not read such a file: its content (a credentials file, `/etc/passwd`) never
    reaches a report.

    ## Why is this bad?
    The model does not carry the file: copied to a registry, a container or another machine,
    it loads or installs something else, or nothing. And a model that reaches outside its
    directory can make the tools that read it disclose files of the machine they run on.

    ## Example
    ```yaml
    flavors:
      python_function:
        env:
          conda: ../../shared/conda.yaml
    ```

    ## Fix
    Copy the file into the model directory (replace a symlink by the file itself) and name it
    by a path relative to the model directory.
    """

    code = "ML006"
    name = "path-outside-model"
    severity = Severity.ERROR
    fix_title = "Copy the file into the model directory and reference it by a relative path"

    VALID = examples(lambda: (Valid(CLEAN),))
    INVALID = examples(lambda: (
        Invalid(model_files(MLmodel=MLMODEL.replace("conda: conda.yaml", "conda: ../../shared/conda.yaml")),
                (("MLmodel", 4),)),
        Invalid(model_files(MLmodel=MLMODEL.replace("virtualenv: python_env.yaml", "virtualenv: /etc/python_env.yaml")),
                (("MLmodel", 5),), note="an absolute env file path"),
        Invalid(model_files(MLmodel=MLMODEL.replace("code: null", "code: ../src")), (("MLmodel", 11),)),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for item in model.outside_paths:
            if item.key is None:
                yield self.finding(
                    item.path,
                    f"{item.description} is a symlink to a location outside the model directory: not read",
                    FILE_START,
                )
                continue
            where = _WHERE.get(item.reason, "a path through a symlink leading outside the model directory")
            yield self.finding(
                model.mlmodel_path,
                f"{item.description} names `{item.written}`, {where}: not read",
                model.mlmodel_span(*item.key),
            )


_WHERE = {
    ABSOLUTE: "an absolute path outside the model directory",
    CLIMBS_OUT: "a path that climbs out of the model directory",
}
