from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.environment.requirements import RequirementLine
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.fixes.edits import delete_list_item, make_fix
from modellint.fixes.requirement_lists import pip_lists
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, conda, model_files, requirements


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
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(requirements__txt=requirements(
            "mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
            'numpy==1.24.4; python_version < "3.9"', 'numpy==2.4.6; python_version >= "3.9"'),
            conda__yaml=conda("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
                              'numpy==1.24.4; python_version < "3.9"', 'numpy==2.4.6; python_version >= "3.9"'))),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
                                                           "scikit_learn==1.9.1"),
                            conda__yaml=conda("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
                                              "scikit_learn==1.9.1")),
                (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed={"requirements.txt": requirements("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0"),
                       "conda.yaml": conda("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0")}),
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn", "skops==0.16.0",
                                                           "scikit-learn==1.9.1")),
                (("requirements.txt", 4),), note="different specifiers: a person must choose, no fix"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for requirements_list in pip_lists(model):
            first_seen: dict[tuple[str, str], RequirementLine] = {}
            for line in requirements_list.requirements:
                marker = line.requirement.marker if line.requirement else None
                key = (line.name or "", str(marker or ""))
                earlier = first_seen.get(key)
                if earlier is None:
                    first_seen[key] = line
                    continue
                fix = None
                if _same_requirement(earlier, line):  # dropping an exact repeat changes nothing
                    fix = make_fix(f"Remove `{line.text}`", delete_list_item(line.path, line.span, expected=_literals(line)))
                yield self.finding(
                    line.path,
                    f"`{line.text}` repeats `{earlier.text}`, listed earlier in {line.path.name}",
                    line.span,
                    fix=fix,
                )


def _same_requirement(first: RequirementLine, second: RequirementLine) -> bool:
    a, b = first.requirement, second.requirement
    if a is None or b is None:
        return False
    return (a.extras, a.specifier, a.url, a.marker) == (b.extras, b.specifier, b.url, b.marker)


def _literals(line: RequirementLine) -> tuple[str, ...]:
    return (line.text, f'"{line.text}"', f"'{line.text}'")
