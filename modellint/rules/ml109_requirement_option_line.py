from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.fixes.requirement_lists import pip_lines
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, conda, model_files, requirements


class RequirementOptionLine(Rule):
    """## What it does
    Flags pip option lines (`--extra-index-url`, `--find-links`, `-c`, `-r`, ...) and bare
    paths or URLs in `requirements.txt` and the conda `pip:` list.

    ## Why is this bad?
    pip accepts them, but `mlflow models update-pip-requirements` parses every line as a PEP 508
    requirement and crashes with `InvalidRequirement` on the first one, so the model's
    requirements can no longer be edited with MLflow's own tool. Index URLs also make the
    environment depend on a server that may not be reachable from where the model is served.

    ## Example
    ```text
    --extra-index-url https://pypi.example.com/simple
    ```

    ## Fix
    Configure indexes in the serving environment (`PIP_EXTRA_INDEX_URL`, `uv` settings) instead
    of the model's requirements; MLflow writes `-c constraints.txt` itself and that line can stay.
    """

    code = "ML109"
    name = "requirement-option-line"
    severity = Severity.INFO
    fix_title = "Move the option to the serving environment's pip configuration"

    VALID = examples(lambda: (Valid(CLEAN),))
    INVALID = examples(lambda: (
        Invalid(model_files(
            requirements__txt=requirements("--extra-index-url https://pypi.example.com/simple", "mlflow==3.17.2",
                                           "scikit-learn==1.9.1", "skops==0.16.0"),
            conda__yaml=conda("--extra-index-url https://pypi.example.com/simple", "mlflow==3.17.2",
                              "scikit-learn==1.9.1", "skops==0.16.0")),
            (("requirements.txt", 1), ("conda.yaml", 7))),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for line in pip_lines(model):
            if line.kind in ("option", "location"):
                yield self.finding(
                    line.path,
                    f"`{line.text}` is not a PEP 508 requirement: `mlflow models update-pip-requirements` crashes on it",
                    line.span,
                )
