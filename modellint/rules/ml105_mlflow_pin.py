from __future__ import annotations

from collections.abc import Iterator

from packaging.version import InvalidVersion, Version

from modellint.analyzer.environment.pep508 import ParsedRequirement
from modellint.analyzer.environment.requirements import MLFLOW_REQUIREMENT_NAMES, RequirementLine
from modellint.analyzer.model_dir import ModelDir, parse_version_tuple
from modellint.findings import Applicability, Edit, Finding, Fix, Severity
from modellint.fixes.requirement_lists import pinned, pip_lists, rewrite_fix
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, conda, model_files, requirements


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
    Pin `mlflow==<mlflow_version>`, as MLflow itself writes it. Pinning an unpinned or missing
    MLflow is safe; changing a pin that disagrees is unsafe (`--unsafe-fixes`), since other
    pins may have been chosen to match it.
    """

    code = "ML105"
    name = "mlflow-pin"
    severity = Severity.WARNING
    fix_title = "Pin `mlflow` to the `mlflow_version` in MLmodel"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(requirements__txt=requirements("mlflow<4,>=3.17", "scikit-learn==1.9.1", "skops==0.16.0"),
                          conda__yaml=conda("mlflow<4,>=3.17", "scikit-learn==1.9.1", "skops==0.16.0")),
              note="a range that admits no new major, like the `mlflow<3,>=2.1` MLflow 2.0-2.3 wrote"),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(requirements__txt=requirements("mlflow", "scikit-learn==1.9.1", "skops==0.16.0")),
                (("requirements.txt", 1),), fixed={"requirements.txt": CLEAN["requirements.txt"]}),
        Invalid(model_files(conda__yaml=conda("mlflow==2.16.0", "scikit-learn==1.9.1", "skops==0.16.0")),
                (("conda.yaml", 7),), fixed={"conda.yaml": CLEAN["conda.yaml"]}),
        Invalid(model_files(requirements__txt=requirements("scikit-learn==1.9.1", "skops==0.16.0"),
                            conda__yaml=conda("scikit-learn==1.9.1", "skops==0.16.0")),
                (("requirements.txt", 1),), note="no mlflow at all",
                fixed={"requirements.txt": requirements("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0")}),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        lists = list(pip_lists(model))
        if not lists:
            return
        saved_with = parse_version_tuple(model.mlflow_version)
        found_any = False
        for requirements_list in lists:
            for line in requirements_list.requirements:
                requirement = line.requirement
                if requirement is None or line.name not in MLFLOW_REQUIREMENT_NAMES:
                    continue
                found_any = True
                problem = _pin_problem(requirement, model.mlflow_version, saved_with)
                if problem:
                    unpinned = problem.startswith("is not pinned")
                    fix = _pin_fix(line, requirement, model.mlflow_version, unpinned=unpinned)
                    yield self.finding(line.path, f"`{line.text}` {problem}", line.span, fix=fix)
        if not found_any:
            first = lists[0]
            fix = None
            if model.requirements is first and _plain_version(model.mlflow_version):
                title = f"Add `mlflow=={model.mlflow_version}`"
                fix = Fix(title, (Edit(first.path, 0, 0, f"mlflow=={model.mlflow_version}\n"),))
            yield self.finding(
                first.path,
                "the environment does not install MLflow (`mlflow`, `mlflow-skinny` or `mlflow-tracing`): the model cannot be loaded",
                first.lines[0].span if first.lines else model.mlmodel_span(),
                fix=fix,
            )


def _plain_version(version: str | None) -> bool:
    try:
        return version is not None and str(Version(version)) == version
    except InvalidVersion:
        return False


def _pin_fix(line: RequirementLine, requirement: ParsedRequirement, mlflow_version: str | None, *,
             unpinned: bool) -> Fix | None:
    if not _plain_version(mlflow_version) or requirement.url:
        return None
    replacement = pinned(line, requirement.name, mlflow_version)
    return rewrite_fix(line, replacement, f"Pin `{replacement}`", Applicability.SAFE if unpinned else Applicability.UNSAFE)


def _pin_problem(requirement: ParsedRequirement, mlflow_version: str | None,
                 saved_with: tuple[int, ...] | None) -> str | None:
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
