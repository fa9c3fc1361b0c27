from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.code.import_resolution import (
    CheckedImport,
    Kind,
    Resolution,
    checked_imports,
    describe,
    distribution_label,
    has_declared_environment,
    unknown_declared_requirements,
)
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.fixes.add_dependency import add_dependency_fix
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model, requirement_files
from modellint.rules._examples import CLEAN_PIP
from modellint.rules._pinned_release_advice import pinned_release_lacks

_PREDICT_TABULATE = """\
def render(rows):
    import tabulate

    return tabulate.tabulate(rows)
"""

_TRAPS = """\
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import yaml
from dateutil import parser
from sklearn.linear_model import LogisticRegression

from .helpers import scale

try:
    import ujson as json
except ImportError:
    import json

if TYPE_CHECKING:
    import pandas


def load():
    return importlib.import_module("cloudpickle")
"""


class MissingDependency(Rule):
    """## What it does
    Checks every import in the code the model runs (the code directory, a models-from-code
    file, code pickled by value in `python_model.pkl`) against the declared environment: the
    module must be in the standard library of the declared Python, shipped in the code
    directory, or installed by a declared requirement or one of its dependencies. Imports inside
    functions and `importlib.import_module("x")` / `__import__("x")` with a literal name count;
    imports guarded by `try: ... except ImportError:` with a fallback, imports under
    `if TYPE_CHECKING:` and relative imports inside a bundled package do not. A file that
    cannot be parsed has imports nobody can check: ML210 reports it.

    ## Why is this bad?
    MLflow infers requirements by loading the model once, and calls `predict` only on an input
    example; an import inside `predict` or a hand-written `pip_requirements` list is easily
    missed. The model then works where it was trained and fails with `ModuleNotFoundError`
    in the fresh environment `mlflow models serve` builds from `requirements.txt`.

    ## Example
    ```python
    class Table(PythonModel):
        def predict(self, context, model_input, params=None):
            import tabulate     # requirements.txt has no tabulate
    ```

    ## Fix
    Add the distribution named in the message to `requirements.txt` and the `pip:` list of
    `conda.yaml` (or pass it in `extra_pip_requirements` when saving). When the module is your
    own code, ship it with `code_paths` (or save with `infer_code_paths=True`).

    Only a distribution the knowledge base records as providing the module is ever named. For
    any other module the message says it is probably the project's own code: a PyPI name made
    up from the module's (`train-utils` for `train_utils`) may belong to anyone, and installing
    it is how dependency-confusion attacks land. A module PyPI does not serve but that has a
    well-known home (a hosted notebook runtime: `google.colab`, `kaggle_secrets`; a repository
    or wheels index: `detectron2`, `pyg_lib`) gets that route instead.

    A module the deployment provides itself (a base image, a sidecar package) is never
    reported once named in `known-first-party` (config, or `--known-first-party`); a module
    whose distribution modellint does not know, or names differently, is mapped with
    `[tool.modellint.module-distributions]` (`acme_utils = "acme-utils"`).

    `--fix` adds the line to both lists at once (after the last requirement, or in order when
    the list is sorted), for a distribution the knowledge base knows and PyPI publishes.

    ## Fix safety
    With `--python PATH` the line is pinned to the version that interpreter has installed, the
    one the code ran with: safe. Without it the line is unpinned, so serving installs the newest
    release, which the model was not tested with: unsafe (`--unsafe-fixes`).
    """

    code = "ML201"
    name = "missing-dependency"
    severity = Severity.ERROR
    fix_title = "Declare the distribution that provides the module, or ship the module with `code_paths`"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(code_model({"render.py": _PREDICT_TABULATE}, "tabulate==0.9.0")),
        Valid(code_model({"traps.py": _TRAPS, "helpers.py": "def scale(x):\n    return x\n"},
                         "python-dateutil==2.9.0"),
              note="yaml, sklearn, cloudpickle come with mlflow / scikit-learn; guarded, typing-only and "
                   "bundled imports are not counted"),
        Valid(code_model({"config.py": "try:\n    import tomllib\nexcept ModuleNotFoundError:\n"
                                       "    import tomli as tomllib\n"}),
              note="the fallback runs only where tomllib is missing, which Python 3.11 never is"),
        Valid(code_model({"pkg/__init__.py": "from .core import run\n", "pkg/core.py": "from . import util\n",
                          "pkg/util.py": "import os\n", "main.py": "from pkg import run\nimport PIL.Image\n"},
                         "pillow==11.0.0"),
              note="relative imports inside a bundled package; PIL is Pillow's module"),
    ))
    INVALID = examples(lambda: (
        Invalid(code_model({"render.py": _PREDICT_TABULATE}), (("code/render.py", 2),),
                note="a lazy import nothing declares; the fix keeps the sorted list sorted",
                fixed=requirement_files(*CLEAN_PIP, "tabulate")),
        Invalid(code_model({"io_helpers.py": "import importlib\n\nxl = importlib.import_module('openpyxl')\n"}),
                (("code/io_helpers.py", 3),), note="importlib.import_module with a literal name",
                fixed=requirement_files("mlflow==3.17.2", "openpyxl", "scikit-learn==1.9.1", "skops==0.16.0")),
        Invalid(code_model({"versions.py": "import pkg_resources\n"}, "setuptools==82.0.0"), (("code/versions.py", 1),),
                note="declared, but the pinned release no longer installs the module: no fix to add it again"),
        Invalid(code_model({"persist.py": "from sklearn.externals import joblib\nimport sklearn.externals.joblib\n"}),
                (("code/persist.py", 2),), note="a submodule the pinned release removed, though its package stays"),
        Invalid(code_model({"gcs.py": "from google.cloud import storage\n"}, "google-cloud-bigquery==3.27.0"),
                (("code/gcs.py", 1),), note="a sibling in the google.cloud namespace does not provide storage; "
                "an unsorted list gets the line at its end",
                fixed=requirement_files(*CLEAN_PIP, "google-cloud-bigquery==3.27.0", "google-cloud-storage")),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        if not has_declared_environment(model):
            return
        unknown = unknown_declared_requirements(model)
        # One finding per file and missing distribution (`nltk` and `nltk.tokenize` are one fix).
        missing: dict[tuple[object, str], list[CheckedImport]] = {}
        for checked in checked_imports(model):
            resolution = checked.resolution
            if resolution.kind is Kind.MISSING:
                key = (checked.fact.path, resolution.suggestion or resolution.module.split(".")[0])
                missing.setdefault(key, []).append(checked)
        for group in missing.values():
            checked, repeats = group[0], sum(1 + other.repeats for other in group) - 1
            resolution = checked.resolution
            label = distribution_label(resolution)
            knowledge = model.environment.knowledge
            fix = add_dependency_fix(model, resolution.suggestion)
            lacking = pinned_release_lacks(model.environment, label, resolution.module)
            if lacking is not None:
                # Declared, at a release whose files lack the module (it moved or was removed):
                # adding the distribution again would change nothing.
                action = f"{lacking}: pin a release of `{label}` that has it, or import it from where it lives now"
                fix = None
            elif label and not knowledge.published(label):
                action = (f"`{label}` is installed in the `--python` interpreter but is not a PyPI distribution "
                          "modellint knows: declare it if it is published, else ship the module with `code_paths`")
            elif label:
                action = f"add `{label}` to the requirements"
            else:
                action = _unknown_provider_advice(resolution)
            hint = (f" (unless {', '.join(f'`{name}`' for name in unknown)}, unknown to modellint, provides it)"
                    if unknown else "")
            yield self.finding(
                checked.fact.path,
                f"{describe(checked.fact, resolution.module, repeats)} is not provided by any declared "
                f"requirement nor the code directory{hint}: {action}",
                checked.fact.span,
                fix=fix,
            )



def _unknown_provider_advice(resolution: Resolution) -> str:
    """What to do about a module the knowledge base names no distribution for: its recorded
    install route, else ship it as the project's own code. Never a name made up from the module."""
    from modellint.analyzer.knowledge.install_routes import install_route  # only a finding pays for it

    route = install_route(resolution.module)
    if route is not None:
        return f"`{route.module}` {route.route} (see {route.source})"
    return ("modellint knows no distribution to propose for it, so it is probably the project's own code: ship its "
            "file or package with the model when saving (`code_paths=[...]` or `infer_code_paths=True`)")
