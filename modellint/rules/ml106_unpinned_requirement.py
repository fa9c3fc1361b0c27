from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.environment.requirements import MLFLOW_REQUIREMENT_NAMES
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.fixes.requirement_lists import pip_lines
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, conda, model_files, requirements


class UnpinnedRequirement(Rule):
    """## What it does
    Flags requirements without an exact `==` pin (MLflow itself is left to ML105).

    ## Why is this bad?
    MLflow pins every requirement it infers to the version installed when the model was saved.
    An unpinned or range requirement makes every new serving environment install whatever is
    newest that day, so the same model can behave differently, or stop loading, from one
    deployment to the next.

    ## Example
    ```text
    cloudpickle
    pandas>=1.5
    ```

    ## Fix
    Pin the version the model was trained and tested with: `cloudpickle==3.1.2`.
    """

    code = "ML106"
    name = "unpinned-requirement"
    severity = Severity.INFO
    fix_title = "Pin the requirement with `==` to the version the model was saved with"

    VALID = examples(lambda: (Valid(CLEAN),))
    INVALID = examples(lambda: (
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn==1.9.1", "skops"),
                            conda__yaml=conda("mlflow==3.17.2", "scikit-learn==1.9.1", "skops")),
                (("requirements.txt", 3), ("conda.yaml", 9))),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for line in pip_lines(model):
            requirement = line.requirement
            if requirement is None or requirement.url or line.name in MLFLOW_REQUIREMENT_NAMES:
                continue
            if line.pinned_version is None:
                yield self.finding(line.path, f"`{line.text}` is not pinned with `==`", line.span)
