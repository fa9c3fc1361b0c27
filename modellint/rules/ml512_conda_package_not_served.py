from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, model_files


def _env(*specs: str, channels: tuple[str, ...] = ("conda-forge",)) -> dict[str, str | bytes]:
    """The clean model whose conda env also asks for the conda packages ``specs``."""
    return model_files(conda__yaml="channels:\n" + "".join(f"- {channel}\n" for channel in channels)
                       + "dependencies:\n- python=3.11.7\n" + "".join(f"- {spec}\n" for spec in specs)
                       + "- pip<=23.2.1\n- pip:\n  - mlflow==3.17.2\n  - scikit-learn==1.9.1\n  - skops==0.16.0\n"
                       + "name: mlflow-env\n")


class CondaPackageNotServed(Rule):
    """## What it does
    Flags a conda dependency (outside the `pip:` list) that no channel the environment lists
    publishes, when those channels are `conda-forge` alone.

    ## Why is this bad?
    conda builds the environment from the listed channels only. A package another channel serves
    (`pytorch-cuda` from `pytorch`/`nvidia`, `numpy-base` or `_tflow_select` from Anaconda's
    `defaults`) stops `mlflow models serve --env-manager conda` and an Azure ML deployment with
    `PackagesNotFoundError: The following packages are not available from current channels`. It
    happens when a `conda env export` of a mixed-channel environment is trimmed to `conda-forge`,
    or a hand-written `conda_env` names a package by its PyPI name.

    The names conda-forge publishes come from its output registry
    (`modellint/analyzer/knowledge/conda_forge_names.gcs`, built by `scripts/build_conda_forge.py`
    from `conda-forge/feedstock-outputs`; about 1 name in 1000 that conda-forge lacks is taken as
    present, which only misses a finding). Only an environment whose channels are `conda-forge`
    alone (with `nodefaults` or not) is judged: `defaults`, `anaconda`, `bioconda`, `pytorch` or a
    custom channel may serve anything. Not judged either: a spec naming its own channel
    (`pytorch::pytorch-cuda`), and the MSYS2 packages (`m2w64-*`, `m2-*`, `msys2-*`) conda-forge
    serves from before its registry.

    ## Example
    ```yaml
    channels:
    - conda-forge
    dependencies:
    - python=3.11.7
    - pytorch-cuda=12.1
    ```

    ## Fix
    List the channel that serves the package (`pytorch`, `nvidia`), name it in the spec
    (`pytorch::pytorch-cuda=12.1`), use conda-forge's package of the same software, or install it
    from PyPI in the `pip:` list.
    """

    code = "ML512"
    name = "conda-package-not-served"
    severity = Severity.ERROR
    fix_title = "List the channel that serves it, or use conda-forge's package"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(_env("pytorch-cuda=12.1", channels=("conda-forge", "pytorch", "nvidia")),
              note="the channels that serve it are listed"),
        Valid(_env("pytorch::pytorch-cuda=12.1"), note="the spec names its channel"),
        Valid(_env("numpy=2.4", "libgcc-ng", "nomkl"), note="packages conda-forge publishes"),
    ))
    INVALID = examples(lambda: (
        Invalid(_env("pytorch-cuda=12.1"), (("conda.yaml", 5),), note="a package of the pytorch channel"),
        Invalid(_env("conda-forge::numpy-base=1.26.4", channels=("conda-forge", "nodefaults")), (("conda.yaml", 6),),
                note="an Anaconda package, asked of conda-forge by name"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        if model.conda is None:
            return
        for unserved in model.conda_unserved_packages:
            spec = unserved.spec
            message = (f"`{spec.text}`: conda-forge, the only channel listed, publishes no package `{spec.name}` "
                       f"(its package registry of {unserved.snapshot}): conda stops with PackagesNotFoundError "
                       f"and the environment is never built")
            yield self.finding(model.conda.path, message, spec.span)
