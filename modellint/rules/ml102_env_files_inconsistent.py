from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from modellint.analyzer.environment.pep508 import ParsedRequirement
from modellint.analyzer.environment.requirements import (
    RequirementLine,
    RequirementsList,
    normalize_name,
    per_requirement,
)
from modellint.analyzer.model_dir import ModelDir, parse_version_tuple
from modellint.findings import Finding, Severity, Span
from modellint.fixes.environment_edits import pip_list_from_requirements
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP, PYTHON_ENV, conda, model_files, requirements


def comparable(line: RequirementLine) -> str:
    """What must agree between the two lists: name (PEP 503), extras, specifier, marker."""
    if line.requirement is None:
        return " ".join(line.text.split())
    return _comparable(line.requirement)


def _comparable_requirement(req: ParsedRequirement) -> str:
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    spec = ",".join(sorted(str(s) for s in req.specifier))
    url = f" @ {req.url}" if req.url else ""
    marker = f"; {req.marker}" if req.marker else ""
    return f"{normalize_name(req.name)}{extras}{spec}{url}{marker}"


_comparable = per_requirement(_comparable_requirement)


def _key(line: RequirementLine) -> str:
    name = line.name  # None exactly when the line holds no PEP 508 requirement
    return name if name is not None else comparable(line)


class EnvFilesInconsistent(Rule):
    """## What it does
    Checks that `requirements.txt` and the conda file's `pip:` list declare the same packages
    with the same specifiers (after PEP 503 name normalisation), and that the Python version
    agrees between MLmodel `python_version`, `python_env.yaml` and the conda `python=` spec
    (compared on the components both give, so `3.8` and `3.8.10` agree).

    ## Why is this bad?
    MLflow writes the two lists identical, but `--env-manager virtualenv|uv` installs
    `requirements.txt` while `--env-manager conda` and Azure ML install the conda file: once
    they drift, the model is served with different packages depending on who serves it.
    `mlflow models update-pip-requirements` edits the two separately and keeps any drift.

    ## Example
    ```text
    # requirements.txt          # conda.yaml pip list
    scikit-learn==1.5.0         - scikit-learn==1.2.0
    ```

    ## Fix
    Make the conda `pip:` list equal to `requirements.txt` (unsafe: which side is right is your
    call).
    """

    code = "ML102"
    name = "env-files-inconsistent"
    severity = Severity.WARNING
    fix_title = "Make the conda `pip:` list equal to requirements.txt"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(requirements__txt=requirements("MLflow==3.17.2", "scikit_learn==1.9.1", "skops==0.16.0")),
              note="names compared after PEP 503 normalisation"),
        Valid(model_files(conda__yaml=conda(*CLEAN_PIP, python="3.11")), note="3.11 agrees with 3.11.7"),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn==1.5.0", "skops==0.16.0")),
                (("requirements.txt", 2),),
                fixed={"conda.yaml": conda("mlflow==3.17.2", "scikit-learn==1.5.0", "skops==0.16.0")}),
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn==1.9.1")),
                (("conda.yaml", 9),), note="only in the conda pip list",
                fixed={"conda.yaml": conda("mlflow==3.17.2", "scikit-learn==1.9.1")}),
        Invalid(model_files(python_env__yaml=PYTHON_ENV.replace("python: 3.11.7", "python: 3.10.4")),
                (("python_env.yaml", 1),)),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        yield from self._check_lists(model)
        yield from self._check_python(model)

    def _check_lists(self, model: ModelDir) -> Iterator[Finding]:
        reqs, conda = model.requirements, model.conda
        if reqs is None or conda is None or conda.pip is None:
            return
        left, right = _group(reqs), _group(conda.pip)
        fix = None
        for key in sorted(set(left) | set(right)):
            in_reqs = {comparable(line) for line in left.get(key, [])}
            in_conda = {comparable(line) for line in right.get(key, [])}
            if in_reqs == in_conda:
                continue
            fix = fix or pip_list_from_requirements(model)
            if key in left and key in right:
                line = left[key][0]
                yield self.finding(
                    line.path,
                    f"`{_show(in_reqs)}` in requirements.txt but `{_show(in_conda)}` in {conda.path.name}",
                    line.span,
                    fix=fix,
                )
            elif key in left:
                line = left[key][0]
                yield self.finding(line.path, f"`{line.text}` is in requirements.txt but not in the `pip:` list of {conda.path.name}", line.span, fix=fix)
            else:
                line = right[key][0]
                yield self.finding(line.path, f"`{line.text}` is in the `pip:` list of {conda.path.name} but not in requirements.txt", line.span, fix=fix)

    def _check_python(self, model: ModelDir) -> Iterator[Finding]:
        declared: list[tuple[str, str, Span, Path]] = []
        if model.mlmodel_python:
            declared.append(("MLmodel", model.mlmodel_python,
                             model.mlmodel_span("flavors", "python_function", "python_version"), model.mlmodel_path))
        if model.python_env and model.python_env.python and model.python_env.python_span is not None:
            declared.append((model.python_env.path.name, model.python_env.python, model.python_env.python_span,
                             model.python_env.path))
        if model.conda and model.conda.python and (conda_python := model.conda.python.exact_version):
            declared.append((model.conda.path.name, conda_python, model.conda.python.span, model.conda.path))
        if not declared:
            return
        # MLmodel records the interpreter that saved the model: each env file is held to it.
        reference_source, reference_version, _, _ = declared[0]
        for source, version, span, path in declared[1:]:
            if not _versions_agree(version, reference_version):
                yield self.finding(
                    path,
                    f"{source} declares Python {version} but {reference_source} declares {reference_version}",
                    span,
                    fix_title="Declare the same Python version in every environment file",
                )


def _group(requirements_list: RequirementsList) -> dict[str, list[RequirementLine]]:
    grouped: dict[str, list[RequirementLine]] = {}
    for line in requirements_list.lines:
        grouped.setdefault(_key(line), []).append(line)
    return grouped


def _show(items: set[str]) -> str:
    return ", ".join(sorted(items))


def _versions_agree(left: str, right: str) -> bool:
    a, b = parse_version_tuple(left), parse_version_tuple(right)
    if not a or not b:
        return True
    common = min(len(a), len(b))
    return a[:common] == b[:common]
