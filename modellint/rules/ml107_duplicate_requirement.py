from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid
from modellint.rules._examples import CLEAN, conda, model_files, requirements
from modellint.rules._requirement_lists import pip_lists


class DuplicateRequirement(Rule):
    """## What it does
    Flags a distribution listed twice in one requirements list (names compared after PEP 503
    normalisation, so `scikit_learn` and `scikit-learn` are the same). Entries with different
    environment markers (`; python_version < "3.9"`) are not duplicates.

    ## Why is this bad?
    pip resolves both lines together: two different pins fail the install with
    `ResolutionImpossible`, and even identical ones show that the file was assembled by hand
    and no longer says what was tested. `mlflow models update-pip-requirements` does not
    normalise names and keeps both.

    ## Example
    ```text
    scikit-learn
    scikit-learn==1.5.0
    ```

    ## Fix
    Keep one line (the exact duplicate is dropped safely).
    """

    code = "ML107"
    name = "duplicate-requirement"
    severity = Severity.WARNING
    fix_title = "Remove the duplicate line"

    VALID = (
        Valid(CLEAN),
        Valid(model_files(requirements__txt=requirements(
            "mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
            'numpy==1.24.4; python_version < "3.9"', 'numpy==2.4.6; python_version >= "3.9"'),
            conda__yaml=conda("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
                              'numpy==1.24.4; python_version < "3.9"', 'numpy==2.4.6; python_version >= "3.9"'))),
    )
    INVALID = (
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
                                                           "scikit_learn==1.9.1"),
                            conda__yaml=conda("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
                                              "scikit_learn==1.9.1")),
                (("requirements.txt", 4), ("conda.yaml", 10))),
    )

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for requirements_list in pip_lists(model):
            first_seen: dict[tuple[str, str], str] = {}
            for line in requirements_list.requirements:
                key = (line.name or "", str(line.requirement.marker or ""))
                if key in first_seen:
                    yield self.finding(
                        line.path,
                        f"`{line.text}` repeats `{first_seen[key]}`, listed earlier in {line.path.name}",
                        line.span,
                    )
                else:
                    first_seen[key] = line.text
