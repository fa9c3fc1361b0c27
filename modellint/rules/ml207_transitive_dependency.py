from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.code.import_resolution import MLFLOW_DISTRIBUTIONS, Kind, checked_imports, describe
from modellint.analyzer.knowledge.distributions import normalize
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model

_USES_NUMPY = "import numpy as np\n\n\ndef mean(rows):\n    return np.mean(rows)\n"


class TransitiveDependency(Rule):
    """## What it does
    Finds imports of modules that no declared requirement provides directly, only one of their
    dependencies (`botocore` with only `boto3` declared). Modules MLflow itself depends on are
    exempt: MLflow's requirement inference deliberately drops every package `mlflow` already
    installs (PyYAML, cloudpickle, requests...), so those chains start at `mlflow` or
    `mlflow-skinny` and are correct. So is a declared meta-package that a project documents as
    the way to install its module (`tensorrt`, which installs the build for the current CUDA).

    ## Why is this bad?
    The import works only as long as the declared package keeps that dependency. A new release
    of it may drop or make it optional, and serving, which installs whatever the requirements
    allow, then fails with `ModuleNotFoundError`. The pin of the transitive package is also left
    to chance.

    ## Example
    ```text
    requirements.txt: mlflow, boto3      # code: from botocore.exceptions import ClientError
    ```

    ## Fix
    Declare the distribution that provides the module, pinned to the version you trained with.
    """

    code = "ML207"
    name = "transitive-dependency"
    severity = Severity.WARNING
    fix_title = "Declare the distribution directly"

    VALID = examples(lambda: (
        Valid(code_model({"stats.py": _USES_NUMPY}, "numpy==2.1.3")),
        Valid(code_model({"settings.py": "import yaml\nimport cloudpickle\n"}),
              note="PyYAML and cloudpickle come through mlflow: MLflow prunes them on purpose"),
        Valid(code_model({"engine.py": "import tensorrt\n"}, "tensorrt==11.4.0.106"),
              note="tensorrt is the documented name: a meta-package that installs the build for the current CUDA"),
    ))
    INVALID = examples(lambda: (
        Invalid(code_model({"s3.py": "import boto3\nfrom botocore.exceptions import ClientError\n"}, "boto3==1.35.60"),
                (("code/s3.py", 2),), note="botocore comes only through boto3"),
        Invalid(code_model({"chain.py": "from langchain_community.llms import FakeListLLM\n"}, "langchain==0.1.20"),
                (("code/chain.py", 1),), note="the pinned release is judged, not the newest: langchain 0.1.20 "
                "required langchain-community (MLflow's own langchain test model), so it is installed, not missing"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for checked in checked_imports(model):
            resolution = checked.resolution
            provision = resolution.provision
            if resolution.kind is not Kind.PROVIDED or provision is None or provision.direct or provision.guessed:
                continue
            if provision.requirement in MLFLOW_DISTRIBUTIONS or _declared_through_extra(model, provision.chain):
                continue
            if model.environment.knowledge.suggest(resolution.module) == provision.requirement:
                continue  # the documented name, a meta-package that installs its build (`tensorrt`)
            yield self.finding(
                checked.fact.path,
                f"{describe(checked.fact, resolution.module)} is installed only as a dependency of the declared "
                f"`{provision.requirement}` ({' -> '.join(provision.chain)}): declare `{provision.chain[-1]}`",
                checked.fact.span,
            )


def _declared_through_extra(model: ModelDir, chain: tuple[str, ...]) -> bool:
    """``socks`` with ``requests[socks]`` declared: the extra names the dependency on purpose."""
    if len(chain) != 2:
        return False
    environment = model.environment
    extras = environment.knowledge.extras(chain[0], environment.python)
    for line in environment.lines:
        requirement = line.requirement  # the environment keeps only lines that parse: this narrows the type
        if line.name == chain[0] and requirement is not None and any(
                chain[1] in extras.get(normalize(extra), ()) for extra in requirement.extras):
            return True
    return False
