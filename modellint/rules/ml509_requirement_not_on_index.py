from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, ProjectInvalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP
from modellint.rules._release_examples import with_requirements

_TRAIN = ("import mlflow\n\n"
          "mlflow.pyfunc.save_model('model', python_model=Model(),\n"
          "                         pip_requirements=['scikit-learn==1.7.2', 'acme-features==1.4.0'])\n")


class RequirementNotOnIndex(Rule):
    """## What it does
    Flags a requirement naming a distribution that no index the model's pip lists reach serves: a
    plain name PyPI has no project of, in lists that name no other index.

    ## Why is this bad?
    pip stops with `ERROR: No matching distribution found for acme-features==1.4.0` and the
    environment is never built: the model never serves. The name is usually a private package the
    training machine installed from a company index or from source (`pip freeze` and MLflow's
    requirement inference write it like any other), sometimes a system package a `pip freeze` of
    the system Python picked up (`python-apt`), or a name that only looks like a distribution
    (`json`).

    Whether PyPI has the project comes from a list of every PyPI project name on a snapshot date
    (`modellint/analyzer/knowledge/pypi_names.gcs`, built by `scripts/build_pypi_names.py`; a
    project created since is not on it, and about 1 name in 1000 that PyPI lacks is taken as
    present, which only misses a finding). No finding when any of the model's pip lists names
    another index (`--index-url`, `-i`, `--extra-index-url`, `--find-links`, `--no-index`) or
    includes a file other than its requirements.txt, for a requirement given by URL, path or VCS
    reference, for a distribution `module-distributions` names, or when the requirement's
    environment marker keeps it off the serving platform.

    ## Example
    ```text
    scikit-learn==1.7.2
    acme-features==1.4.0
    ```

    ## Fix
    Add the private index that serves it, as an `--extra-index-url` line of requirements.txt
    (credentials from the environment, never written in the file), or ship the package with the
    model: its wheel under the model dir, referenced by path, or its source in `code_paths`.
    """

    code = "ML509"
    name = "requirement-not-on-index"
    severity = Severity.ERROR
    fix_title = "Add the private index with `--extra-index-url`, or ship the package with the model"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(with_requirements("--extra-index-url https://pypi.acme.example/simple", *CLEAN_PIP,
                                "acme-features==1.4.0"), note="the private index that serves it is named"),
        Valid(with_requirements(*CLEAN_PIP, "acme-features @ https://pypi.acme.example/acme_features-1.4.0.tar.gz"),
              note="a requirement by URL: pip fetches it from there"),
        Valid(with_requirements(*CLEAN_PIP, 'acme-features==1.4.0; sys_platform == "win32"'),
              note="the marker keeps it off Linux"),
    ))
    INVALID = examples(lambda: (
        Invalid(with_requirements(*CLEAN_PIP, "acme-features==1.4.0"), (("requirements.txt", 4), ("conda.yaml", 10)),
                note="a private package and no index that serves it"),
        ProjectInvalid({"train.py": _TRAIN}, (("train.py", 4),), note="a training script's pip_requirements"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for requirement in model.unindexed_requirements:
            line = requirement.line
            message = (f"`{line.text}`: PyPI has no project `{requirement.name}` (its project list of "
                       f"{requirement.snapshot}; one created since is not on it) and no `--index-url`, "
                       f"`--extra-index-url` or `--find-links` line names another index: pip finds no matching "
                       f"distribution")
            yield self.finding(line.path, message, line.span)
