from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.environment.requirements import RequirementLine
from modellint.analyzer.knowledge.distributions import KnowledgeBase
from modellint.analyzer.knowledge.stdlib_backports import StdlibBackport, stdlib_backports
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Applicability, Finding, Severity
from modellint.fixes.environment_edits import remove_requirement
from modellint.fixes.requirement_lists import pip_lists
from modellint.rules._base import FixAvailability, Invalid, ProjectInvalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model, requirement_files
from modellint.rules._examples import CLEAN, CLEAN_PIP, MLMODEL, PYTHON_ENV, model_files

# The conda file of Azure ML's "Guidelines for deploying MLflow models" (Python 3.10.11), cut to
# the lines that matter here: MLflow's inference pinned two backports the training run had.
_AZURE_PIP = ("mlflow==2.7.1", "cloudpickle==1.6.0", "dataclasses==0.6", "scikit-learn==1.1.2", "uuid==1.30")
_AZURE_KEPT = ("mlflow==2.7.1", "cloudpickle==1.6.0", "scikit-learn==1.1.2")


def _on_python(python: str, *pip: str) -> dict[str, str | bytes]:
    """The clean model declaring ``python`` everywhere, with ``pip`` as its requirements."""
    return model_files(MLmodel=MLMODEL.replace("python_version: 3.11.7", f"python_version: {python}"),
                       python_env__yaml=PYTHON_ENV.replace("python: 3.11.7", f"python: {python}"),
                       **{name.replace(".", "__"): text for name, text in requirement_files(*pip, python=python).items()})


_TRAIN = ("import mlflow\n\nenv = {'channels': ['conda-forge'], 'dependencies': ['python=3.11', 'pip', "
          "{'pip': ['scikit-learn==1.9.1', 'enum34==1.1.10']}]}\n"
          "mlflow.sklearn.save_model(clf, 'model', conda_env=env)\n")


class StdlibBackportRule(Rule):
    """## What it does
    Flags a requirement on a PyPI backport of a standard-library module (`enum34`, `typing`,
    `dataclasses`, `futures`, `argparse`, `uuid`, ...) in a model whose declared Python already
    ships that module.

    ## Why is this bad?
    A pin that cannot install is an **error**: `dataclasses==0.8` declares Requires-Python
    `>=3.6, <3.7` and `futures==3.4.0` declares `>=2.6, <3`, so on a Python 3.7+ pip stops with
    "No matching distribution found" and the environment is never built. (The knowledge base
    records the Requires-Python of each distribution's latest release; other releases need the
    per-release data of issue 17.)

    Any other backport is an **info**: dead weight, and a trap. `site-packages` comes after the
    standard library on `sys.path`, so in the virtualenv or conda env MLflow builds,
    `import dataclasses` on Python 3.10 loads the standard module and never the
    `dataclasses==0.6` pip installed; Azure ML's own "Guidelines for deploying MLflow models"
    shows a conda file with `dataclasses==0.6` and `uuid==1.30` on Python 3.10.11, and it deploys.
    The trap is where the backport does win the import (a `PYTHONPATH` listing site-packages
    first, a folder of vendored packages such as AWS Lambda's `/var/task`): `enum34`'s `enum` lacks
    `IntFlag`, so `import re` fails with `AttributeError: module 'enum' has no attribute 'IntFlag'`
    (mozilla/addons-server#12231), and the PyPI `typing` fails with `AttributeError: type object
    'Callable' has no attribute '_abc_registry'` (python/cpython#84812). No MLflow serving path
    does that, so these too are infos, not warnings: a model that installs and loads gets no
    warning.

    A requirement whose environment marker excludes the declared Python
    (`enum34; python_version < "3.4"`) is never installed and is not flagged. Neither is a backport
    the model's code imports under the other name it installs (`backports.configparser` from the
    `configparser` distribution): that requirement is used.

    The table of backports, each with the first Python that ships the module and a source, is
    `modellint/analyzer/knowledge/stdlib_backports.tsv`.

    ## Example
    ```text
    # requirements.txt of a model that declares python: 3.10.11
    dataclasses==0.6
    uuid==1.30
    ```

    ## Fix
    Remove the requirement from requirements.txt and the conda `pip:` list together (both or
    neither, so they do not drift apart). The fix is safe: nothing the model's code imports comes
    from the backport, and a dependency that really needs it on an older Python still pulls it in
    through its own marker.
    """

    code = "ML501"
    name = "stdlib-backport"
    severity = Severity.INFO
    fix_title = "Remove the backport: the declared Python ships the module"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(_on_python("3.11.7", *CLEAN_PIP, 'enum34==1.1.10; python_version < "3.4"'),
              note="the marker excludes the declared Python: pip never installs it"),
        Valid(code_model({"settings.py": "from backports import configparser\n"}, "configparser==7.3.0"),
              note="the code imports the backport under its other name"),
    ))
    INVALID = examples(lambda: (
        Invalid(_on_python("3.10.11", *_AZURE_PIP),
                (("requirements.txt", 3), ("requirements.txt", 5), ("conda.yaml", 9), ("conda.yaml", 11)),
                fixed=requirement_files(*_AZURE_KEPT, python="3.10.11"),
                note="the conda file of Azure ML's MLflow deployment guide"),
        Invalid(_on_python("3.11.7", *CLEAN_PIP, "enum34==1.1.10"), (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed=requirement_files(*CLEAN_PIP), note="a backport whose module breaks `re` where it wins the import"),
        Invalid(_on_python("3.11.7", *CLEAN_PIP, "dataclasses==0.8"), (("requirements.txt", 4), ("conda.yaml", 10)),
                severity=Severity.ERROR, fixed=requirement_files(*CLEAN_PIP),
                note="a pin whose Requires-Python excludes the declared Python"),
        ProjectInvalid({"train.py": _TRAIN}, (("train.py", 3),),
                       note="a training run's conda_env: project mode reports the call's line"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        target = model.serving_platform
        if target is None:
            return
        python = target.minor
        backports = stdlib_backports()
        environment = model.environment
        imported = _imported_modules(model)
        for requirements in pip_lists(model):
            for line in requirements.requirements:
                backport = backports.get(line.name or "")
                if backport is None or python < backport.since or not environment.applies(line):
                    continue
                if _used_under_another_name(backport, environment.knowledge, imported):
                    continue
                yield self._finding(line, backport, python, environment.knowledge, model)

    def _finding(self, line: RequirementLine, backport: StdlibBackport, python: tuple[int, int],
                 knowledge: KnowledgeBase, model: ModelDir) -> Finding:
        version = f"{python[0]}.{python[1]}"
        since = f"{backport.since[0]}.{backport.since[1]}"
        fix = remove_requirement(model, backport.distribution, f"Remove `{backport.distribution}`",
                                 Applicability.SAFE)
        excluded = _excluded_pin(line, knowledge, python)
        if excluded is not None:
            message = (f"`{line.text}` cannot install on Python {version}: {backport.distribution} "
                       f"{line.pinned_version} declares Requires-Python `{excluded}`, and Python {version} "
                       f"ships `{backport.module}` (since {since}) anyway")
            return self.finding(line.path, message, line.span, severity=Severity.ERROR, fix=fix)
        message = (f"`{line.text}` backports `{backport.module}`, which Python {version} ships (since {since}): "
                   f"`{backport.distribution}` {backport.effect}")
        return self.finding(line.path, message, line.span, fix=fix)


def _excluded_pin(line: RequirementLine, knowledge: KnowledgeBase, python: tuple[int, int]) -> str | None:
    """The Requires-Python of the pinned release when the knowledge base records it (it records
    each distribution's latest) and it excludes ``python``; else None."""
    pinned = line.pinned_version
    if pinned is None or line.name is None or knowledge.version(line.name) != pinned:
        return None
    requires = knowledge.requires_python(line.name)
    if not requires:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # heavy: only for a pinned backport

    try:
        allowed = SpecifierSet(requires)
    except InvalidSpecifier:
        return None
    return None if allowed.contains(f"{python[0]}.{python[1]}.0", prereleases=True) else requires


def _imported_modules(model: ModelDir) -> set[str]:
    """Every module the model's code imports, with ``from package import name`` counted as
    ``package.name`` too (the name may be a submodule: ``from backports import configparser``)."""
    modules: set[str] = set()
    for scan in model.code_scans:
        for fact in scan.imports:
            modules.add(fact.module)
            modules.update(f"{fact.module}.{name}" for name in fact.names)
    return modules


def _used_under_another_name(backport: StdlibBackport, knowledge: KnowledgeBase, imported: set[str]) -> bool:
    """Whether the code imports a module the backport installs under a name other than the
    standard library's (``backports.configparser``): then the requirement is what provides it."""
    stdlib_top = backport.module.split(".")[0]
    for module in knowledge.top_level_modules(backport.distribution):
        if module.split(".")[0] == stdlib_top:
            continue
        if any(name == module or name.startswith(module + ".") for name in imported):
            return True
    return False
