from __future__ import annotations

from collections.abc import Iterator

from packaging.version import InvalidVersion, Version

from modellint.analyzer.model_dir import ModelDir, parse_version_tuple
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid
from modellint.rules._examples import CLEAN, conda, model_files, requirements
from modellint.rules._requirement_lists import MLFLOW_DISTRIBUTIONS, pip_lists


class MlflowPin(Rule):
    """## What it does
    Checks that the environment pins MLflow (`mlflow`, `mlflow-skinny` or `mlflow-tracing`) to
    the version that saved the model: present, bounded, and with the same major.minor as
    MLmodel's `mlflow_version`.

    ## Why is this bad?
    The serving environment must contain MLflow to load the model. An unpinned `mlflow`
    installs whatever is newest: a 1.x model served with MLflow 2.0 broke (mlflow#7369), and
    Azure ML containers crash on models whose environment pulls MLflow 3. A pin that disagrees
    with `mlflow_version` loads the model with a reader it was not written for (MLflow 2.x
    cannot read 3.x skops models).

    ## Example
    ```text
    mlflow          # MLmodel: mlflow_version: 2.16.0
    ```

    ## Fix
    Pin `mlflow==<mlflow_version>`.
    """

    code = "ML105"
    name = "mlflow-pin"
    severity = Severity.WARNING
    fix_title = "Pin `mlflow` to the `mlflow_version` in MLmodel"

    VALID = (
        Valid(CLEAN),
        Valid(model_files(requirements__txt=requirements("mlflow<4,>=3.17", "scikit-learn==1.9.1", "skops==0.16.0"),
                          conda__yaml=conda("mlflow<4,>=3.17", "scikit-learn==1.9.1", "skops==0.16.0")),
              note="a range that admits no new major, like the `mlflow<3,>=2.1` MLflow 2.0-2.3 wrote"),
    )
    INVALID = (
        Invalid(model_files(requirements__txt=requirements("mlflow", "scikit-learn==1.9.1", "skops==0.16.0")),
                (("requirements.txt", 1),)),
        Invalid(model_files(conda__yaml=conda("mlflow==2.16.0", "scikit-learn==1.9.1", "skops==0.16.0")),
                (("conda.yaml", 7),)),
        Invalid(model_files(requirements__txt=requirements("scikit-learn==1.9.1", "skops==0.16.0"),
                            conda__yaml=conda("scikit-learn==1.9.1", "skops==0.16.0")),
                (("requirements.txt", 1),), note="no mlflow at all"),
    )

    def check(self, model: ModelDir) -> Iterator[Finding]:
        lists = list(pip_lists(model))
        if not lists:
            return
        saved_with = parse_version_tuple(model.mlflow_version)
        found_any = False
        for requirements_list in lists:
            for line in requirements_list.requirements:
                if line.name not in MLFLOW_DISTRIBUTIONS:
                    continue
                found_any = True
                problem = _pin_problem(line.requirement, model.mlflow_version, saved_with)
                if problem:
                    yield self.finding(line.path, f"`{line.text}` {problem}", line.span)
        if not found_any:
            first = lists[0]
            yield self.finding(
                first.path,
                "the environment does not install MLflow (`mlflow`, `mlflow-skinny` or `mlflow-tracing`): the model cannot be loaded",
                first.lines[0].span if first.lines else model.mlmodel_span(),
            )


def _pin_problem(requirement, mlflow_version: str | None, saved_with: tuple[int, ...] | None) -> str | None:
    if requirement.url:
        return None
    specifier = requirement.specifier
    if not _bounds_major(specifier):
        return "is not pinned: serving installs the newest MLflow, possibly a new major version"
    if not mlflow_version or not saved_with or len(saved_with) < 2:
        return None
    pins = [spec.version for spec in specifier if spec.operator in ("==", "===")]
    if pins:
        pinned = parse_version_tuple(pins[0])
        if pinned and pinned[:2] != saved_with[:2]:
            return f"disagrees with `mlflow_version: {mlflow_version}` in MLmodel"
        return None
    try:
        if not specifier.contains(Version(mlflow_version), prereleases=True):
            return f"excludes `mlflow_version: {mlflow_version}` in MLmodel"
    except InvalidVersion:
        return None
    return None


def _bounds_major(specifier) -> bool:
    return any(spec.operator in ("==", "===", "<", "<=", "~=") for spec in specifier)
