from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Applicability, Finding, Severity
from modellint.fixes.edits import make_fix, replace_span
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP, MLMODEL, PYTHON_ENV, conda, model_files


def _declaring(python: str, conda_text: str) -> dict[str, str | bytes]:
    """The clean model saved under ``python``, with ``conda_text`` as its conda env."""
    return model_files(MLmodel=MLMODEL.replace("python_version: 3.11.7", f"python_version: {python}"),
                       python_env__yaml=PYTHON_ENV.replace("python: 3.11.7", f"python: {python}"),
                       conda__yaml=conda_text)


class CondaPythonNotBuilt(Rule):
    """## What it does
    Flags the conda environment's `python` spec when conda-forge, the only channel the environment
    lists, never built a Python version that matches it.

    ## Why is this bad?
    MLflow writes `python=<the training interpreter's version>` into conda.yaml, and lists
    `conda-forge` as its channel. When the model was trained under a Python that conda-forge
    skipped (3.8.7, 3.9.3, 3.9.8 and 3.13.4 were replaced upstream within days; 3.7 stops at
    3.7.12), conda cannot build the environment: `mlflow models serve --env-manager conda` and an
    Azure ML deployment stop with `PackagesNotFoundError: The following packages are not available
    from current channels: - python=3.9.3`.

    The versions conda-forge built come from its own recipe history
    (`modellint/analyzer/knowledge/conda_forge_python.tsv`, built by
    `scripts/build_conda_forge.py` from `conda-forge/python-feedstock`: the final versions its
    `recipe/meta.yaml` sets on any branch). Only an environment whose channels are `conda-forge`
    alone (with `nodefaults` or not) is judged: other channels serve other builds.

    ## Example
    ```yaml
    channels:
    - conda-forge
    dependencies:
    - python=3.13.4
    ```

    ## Fix
    Ask for the minor version alone (`python=3.13`): conda installs the newest conda-forge build
    of it, which the other environment files still agree with. The message names the nearest
    versions conda-forge built.

    ## Fix safety
    This fix is unsafe (`--unsafe-fixes`): the environment gets another patch release of Python
    than the one the model was trained under.
    """

    code = "ML511"
    name = "conda-python-not-built"
    severity = Severity.ERROR
    fix_title = "Ask for a Python version conda-forge built"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(_declaring("3.13.4", conda(*CLEAN_PIP, python="3.13")), note="the minor version alone: 3.13.14 is built"),
        Valid(_declaring("3.13.4", conda(*CLEAN_PIP, python="3.13.4", channels=("conda-forge", "bioconda"))),
              note="another channel is listed, whose builds are not known"),
    ))
    INVALID = examples(lambda: (
        Invalid(_declaring("3.13.4", conda(*CLEAN_PIP, python="3.13.4")), (("conda.yaml", 4),),
                fixed={"conda.yaml": conda(*CLEAN_PIP, python="3.13")},
                note="a version conda-forge skipped"),
        Invalid(_declaring("3.7.16", conda(*CLEAN_PIP, python="3.7.16", channels=("conda-forge", "nodefaults"))),
                (("conda.yaml", 5),), fixed={"conda.yaml": conda(*CLEAN_PIP, python="3.7",
                                                                 channels=("conda-forge", "nodefaults"))},
                note="after conda-forge's last build of the minor"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        unbuilt = model.conda_unbuilt_python
        if unbuilt is None or model.conda is None:
            return
        spec = unbuilt.spec
        nearest = " and ".join(version for version in (unbuilt.below, unbuilt.above) if version)
        hint = f"; the nearest it built: {nearest}" if nearest else ""
        message = (f"`{spec.text}`: conda-forge, the only channel listed, never built a Python that matches "
                   f"(its python-feedstock recipes of {unbuilt.snapshot}{hint}): conda stops with "
                   f"PackagesNotFoundError and the environment is never built")
        fix = None
        if unbuilt.minor is not None:
            relaxed = spec.text.replace(spec.text.strip(), f"python={unbuilt.minor}")
            fix = make_fix(f"Ask for `python={unbuilt.minor}`",
                           replace_span(model.conda.path, spec.span, relaxed,
                                        expected=(spec.text, f'"{spec.text}"', f"'{spec.text}'")),
                           Applicability.UNSAFE)
        yield self.finding(model.conda.path, message, spec.span, fix=fix)
