from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, model_files


class UnreadableEnvFile(Rule):
    """## What it does
    Checks that `conda.yaml`, `python_env.yaml` and `requirements.txt` can be read and parsed:
    UTF-8 text, valid YAML, the mapping and list shapes MLflow writes.

    ## Why is this bad?
    The environment builder reads these files before anything else; a YAML error or a binary
    file stops `mlflow models serve` and Azure ML deployment at the first step.

    ## Example
    ```yaml
    dependencies:
    - python=3.11
      - pip:
    ```

    ## Fix
    Restore the file from the saved model, or rewrite it in the shape MLflow writes.
    """

    code = "ML110"
    name = "unreadable-env-file"
    severity = Severity.ERROR
    fix_title = "Rewrite the file in the shape MLflow writes"

    VALID = examples(lambda: (Valid(CLEAN),))
    INVALID = examples(lambda: (
        Invalid(model_files(conda__yaml="channels:\n- conda-forge\ndependencies: [python=3.11\n"), (("conda.yaml", 4),)),
        Invalid(model_files(python_env__yaml="- python\n"), (("python_env.yaml", 1),)),
        Invalid(model_files(requirements__txt=b"\xff\xfe\x00m\x00l"), (("requirements.txt", 1),)),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for problem in model.env_file_problems:
            yield self.finding(problem.path, problem.message, problem.span)
