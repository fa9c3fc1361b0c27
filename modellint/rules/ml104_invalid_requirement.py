from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath, PureWindowsPath

from modellint.analyzer.environment.pep508 import ParsedRequirement
from modellint.analyzer.environment.requirements import RequirementLine, is_placeholder_version, local_location
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Applicability, Finding, Fix, Severity
from modellint.fixes.requirement_lists import pinned, pip_lines, rewrite_fix
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, conda, model_files, requirements

# `pandas=3.1.1` or `skops 0.16.0`: a conda-style pin pasted into a pip list (not PEP 508).
# Compiled by `re` on first use (an invalid line), not at every run's import.
_CONDA_STYLE_PIN = r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\[[A-Za-z0-9,._ -]*\])?(?:\s*=\s*|\s+)(\d[A-Za-z0-9.+!]*)$"
_FILE_OPTIONS = {"requirement": "-r", "constraint": "-c", "editable": "-e"}


class InvalidRequirement(Rule):
    """## What it does
    Checks every line of `requirements.txt` and of the conda `pip:` list for requirements that
    cannot be installed: lines that are neither PEP 508 nor a pip option, the deprecated
    `sklearn` PyPI alias (its sdist refuses to install), placeholder pins such as `==0.0`, and
    local files (`file://`, absolute or home paths, `-e`, `-r`, `-c`) that are not inside the
    model directory.

    ## Why is this bad?
    The environment build stops at the first line pip cannot satisfy, so nothing is served.
    Paths resolve against the model directory (MLflow installs from a temp dir linked to it),
    so a path on the machine that saved the model does not exist anywhere else.

    ## Example
    ```text
    sklearn
    scikit-learn==0.0
    mypkg @ file:///home/me/mypkg
    ```

    ## Fix
    Replace `sklearn` with `scikit-learn` pinned to the version the model was saved with
    (`sklearn_version` in MLmodel); pin real versions; ship local wheels inside the model
    directory and refer to them with a relative path.

    `--fix` rewrites `sklearn` as `scikit-learn==<sklearn_version>` (safe when MLmodel records
    the version); a conda-style `pandas=3.1.1` or `skops 0.16.0` as `pandas==3.1.1` (unsafe:
    conda's `=` also matches later patch builds); a placeholder pin as the version MLmodel
    records for that library (safe) or, without one, as the bare name (unsafe: any version).
    """

    code = "ML104"
    name = "invalid-requirement"
    severity = Severity.ERROR
    fix_title = "Replace the line with an installable requirement"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
                                                         "-c constraints.txt", "./wheels/mypkg-1.0-py3-none-any.whl"),
                          conda__yaml=conda("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
                                            "-c constraints.txt", "./wheels/mypkg-1.0-py3-none-any.whl"),
                          constraints__txt="numpy<3\n",
                          **{"wheels/mypkg-1.0-py3-none-any.whl": b"PK\x05\x06" + b"\x00" * 18})),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "sklearn", "skops==0.16.0")),
                (("requirements.txt", 2),), fixed={"requirements.txt": CLEAN["requirements.txt"]}),
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn==0.0", "skops==0.16.0")),
                (("requirements.txt", 2),), fixed={"requirements.txt": CLEAN["requirements.txt"]}),
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.0")),
                (("requirements.txt", 3),), note="no version recorded: unpinned",
                fixed={"requirements.txt": requirements("mlflow==3.17.2", "scikit-learn==1.9.1", "skops")}),
        Invalid(model_files(conda__yaml=conda("mlflow==3.17.2", "scikit-learn==1.9.1", "skops 0.16.0")),
                (("conda.yaml", 9),), fixed={"conda.yaml": CLEAN["conda.yaml"]}),
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn=1.9.1", "skops==0.16.0")),
                (("requirements.txt", 2),), fixed={"requirements.txt": CLEAN["requirements.txt"]}),
        Invalid(model_files(requirements__txt=requirements("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0",
                                                           "mypkg @ file:///home/me/mypkg", "-c constraints.txt")),
                (("requirements.txt", 4), ("requirements.txt", 5))),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for line in pip_lines(model):
            problem = self._problem(model, line)
            if problem:
                yield self.finding(line.path, problem, line.span, fix=_fix(model, line))

    def _problem(self, model: ModelDir, line: RequirementLine) -> str | None:
        if line.kind == "invalid":
            return f"`{line.text}` is neither a PEP 508 requirement nor a pip option: {line.error}"
        if line.kind == "option" and line.option in _FILE_OPTIONS and line.option_value:
            return self._local_problem(model, line.option_value, f"`{line.text}`")
        if line.kind == "location" and line.option_value:
            return self._local_problem(model, line.option_value, f"`{line.text}`")
        if line.requirement is None:
            return None
        if line.name == "sklearn":
            version = _sklearn_version(model)
            hint = f" (the model was saved with scikit-learn {version})" if version else ""
            return f"`{line.text}` is the deprecated `sklearn` alias, which refuses to install; use `scikit-learn`{hint}"
        pinned = line.pinned_version
        if pinned is not None and is_placeholder_version(pinned):
            return f"`{line.text}` pins the placeholder version {pinned}, which was never released"
        if line.requirement.url:
            return self._local_problem(model, line.requirement.url, f"`{line.text}`")
        return None

    @staticmethod
    def _local_problem(model: ModelDir, location: str, shown: str) -> str | None:
        path = local_location(location)
        if path is None:
            return None
        if PurePosixPath(path).is_absolute() or PureWindowsPath(path).drive or path.startswith("~"):
            return f"{shown} points outside the model directory, at a path of the machine that saved it"
        if model.outside(path):
            return f"{shown} names `{path}`, which leads outside the model directory"
        if not model.has_file(path):
            return f"{shown} names `{path}`, which is not in the model directory"
        return None


def _fix(model: ModelDir, line: RequirementLine) -> Fix | None:
    if line.kind == "invalid":
        return _conda_style_fix(line)
    requirement = line.requirement
    if requirement is None:
        return None
    if line.name == "sklearn":
        return _scikit_learn_fix(model, line)
    pinned = line.pinned_version
    if pinned is not None and is_placeholder_version(pinned):
        return _placeholder_fix(model, line, requirement)
    return None


def _conda_style_fix(line: RequirementLine) -> Fix | None:
    """`pandas=3.1.1` -> `pandas==3.1.1`: what the line meant, in PEP 508. Unsafe, because conda's
    `=3.1.1` is a prefix match (3.1.1.post1 too) where `==` is exact."""
    match = re.match(_CONDA_STYLE_PIN, line.text.strip())
    if match is None:
        return None
    name, extras, version = match.groups()
    replacement = f"{name}{(extras or '').replace(' ', '')}=={version}"
    return rewrite_fix(line, replacement, f"Replace with `{replacement}`", Applicability.UNSAFE)


def _placeholder_fix(model: ModelDir, line: RequirementLine, requirement: ParsedRequirement) -> Fix | None:
    """`x==0.0` -> `x==<the version MLmodel records for x>` (safe), else the bare `x` (unsafe)."""
    version = _recorded_version(model, line.name or "")
    replacement = pinned(line, requirement.name, version)
    return rewrite_fix(line, replacement, f"Replace with `{replacement}`",
                       Applicability.SAFE if version else Applicability.UNSAFE)


def _recorded_version(model: ModelDir, distribution: str) -> str | None:
    """The version of ``distribution`` the model was saved with, where MLmodel records one."""
    if distribution == "scikit-learn":
        return _sklearn_version(model)
    if distribution == "mlflow":
        return model.mlflow_version
    return None


def _scikit_learn_fix(model: ModelDir, line: RequirementLine) -> Fix | None:
    """`sklearn` -> `scikit-learn==<sklearn_version>`: safe when MLmodel records the version the
    model was pickled with; otherwise an unpinned `scikit-learn` (unsafe: any version)."""
    version = _sklearn_version(model)
    replacement = pinned(line, "scikit-learn", version)
    return rewrite_fix(line, replacement, f"Replace with `{replacement}`",
                       Applicability.SAFE if version else Applicability.UNSAFE)


def _sklearn_version(model: ModelDir) -> str | None:
    version = (model.flavors.get("sklearn") or {}).get("sklearn_version")
    return str(version) if version else None
