from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.environment.requirements import RequirementLine
from modellint.analyzer.knowledge.distributions import KnowledgeBase
from modellint.analyzer.knowledge.platform_only import PlatformOnly, platform_only
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Applicability, Finding, Fix, Severity
from modellint.fixes.environment_edits import add_marker
from modellint.fixes.requirement_lists import pip_lists
from modellint.rules._base import FixAvailability, Invalid, ProjectInvalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model, requirement_files
from modellint.rules._examples import CLEAN, CLEAN_PIP, model_files

_TRAIN_ON_WINDOWS = ("import mlflow\n\n"
                     "mlflow.sklearn.save_model(clf, 'model', pip_requirements=['scikit-learn==1.9.1', 'skops==0.16.0',\n"
                     "                                                          'pywin32==306'])\n")


def _with(*pip: str) -> dict[str, str | bytes]:
    return model_files(**{name.replace(".", "__"): text for name, text in requirement_files(*pip).items()})


class PlatformOnlyPackage(Rule):
    """## What it does
    Flags a requirement that installs only on Windows or macOS (`pywin32`, `tensorflow-macos`,
    `tensorflow-metal`, `pyobjc-core`), or that depends on one (`wmi` and `pypiwin32` require
    `pywin32`, every `pyobjc-framework-*` requires `pyobjc-core`), without an environment marker
    that keeps it off Linux.

    ## Why is this bad?
    MLflow's serving images, Azure ML and Databricks build the model's environment on Linux.
    `pywin32`, `tensorflow-macos` and `tensorflow-metal` publish no Linux wheel and no source
    distribution, so pip stops with `No matching distribution found`; `pyobjc-core` has only a
    source distribution, whose build stops with `error: PyObjC requires macOS to build`. Either way
    the environment is never built and the model never serves. MLflow writes these lines itself
    when the training run was on Windows or a Mac: its requirement inference pins the installed
    distribution of every module the model loads there.

    A requirement whose marker excludes Linux (`pywin32==306; sys_platform == "win32"`) is
    skipped by pip there and is not flagged. The table (each package checked with `pip download
    --platform manylinux2014_x86_64` and `--no-binary :all:`) is
    `modellint/analyzer/knowledge/platform_only.tsv`; packages that depend on one are found
    through the knowledge base's Requires-Dist.

    ## Example
    ```text
    scikit-learn==1.9.1
    pywin32==306
    ```

    ## Fix
    Add the platform marker (`pywin32==306; sys_platform == "win32"`) to the line in
    requirements.txt and in the conda `pip:` list together, so that the training platform still
    installs it and Linux skips it. `tensorflow-macos` gets no fix: on Linux the same `tensorflow`
    module comes from `tensorflow`, which the model must then declare instead.

    ## Fix safety
    The marker is a safe fix when the model's code imports no module the package provides: then
    it only came from the training machine. When the code does import one (`import win32api`),
    the fix is unsafe: the environment then installs, but loading the model fails at that import
    on Linux, and the code needs porting.
    """

    code = "ML502"
    name = "platform-only-package"
    severity = Severity.ERROR
    fix_title = "Add a platform marker so that Linux skips the package"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(_with(*CLEAN_PIP, 'pywin32==306; sys_platform == "win32"'), note="the marker keeps it off Linux"),
        Valid(_with(*CLEAN_PIP, "pywin32-ctypes==0.2.3"), note="pure Python: installs on Linux"),
    ))
    INVALID = examples(lambda: (
        Invalid(_with(*CLEAN_PIP, "pywin32==306"), (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed=requirement_files(*CLEAN_PIP, 'pywin32==306; sys_platform == "win32"'),
                note="trained on Windows"),
        Invalid(_with(*CLEAN_PIP, "wmi==1.5.1"), (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed=requirement_files(*CLEAN_PIP, 'wmi==1.5.1; sys_platform == "win32"'),
                note="a package that requires pywin32"),
        Invalid(_with(*CLEAN_PIP, "tensorflow-metal==1.2.0"), (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed=requirement_files(*CLEAN_PIP, 'tensorflow-metal==1.2.0; sys_platform == "darwin"'),
                note="trained on a Mac: the Metal plugin"),
        Invalid(_with(*CLEAN_PIP, "tensorflow-macos==2.16.2"), (("requirements.txt", 4), ("conda.yaml", 10)),
                note="trained on a Mac: no fix, Linux needs `tensorflow` instead"),
        Invalid(code_model({"probe.py": "import win32api\n"}, "pywin32==306"),
                (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed=requirement_files(*CLEAN_PIP, 'pywin32==306; sys_platform == "win32"'),
                note="the code imports it: the marker is an unsafe fix"),
        ProjectInvalid({"train.py": _TRAIN_ON_WINDOWS}, (("train.py", 4),),
                       fixed={"train.py": _TRAIN_ON_WINDOWS.replace("'pywin32==306'", """'pywin32==306; sys_platform == "win32"'""")},
                       note="a training script's pip_requirements, written on Windows"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        entries = platform_only()
        environment = model.environment
        # `--platform macos/arm64` asks about a Mac: `tensorflow-metal` belongs there.
        home = model.serving_platform.sys_platform if model.serving_platform is not None else "linux"
        reasons: dict[str, tuple[PlatformOnly, tuple[str, ...]]] = {}
        for distribution, chain in environment.installed.items():
            entry = entries.get(distribution)
            if entry is not None and entry.platform != home and chain[0] not in reasons:
                reasons[chain[0]] = (entry, chain)
        if not reasons:
            return
        imported = _imported_top_levels(model)
        for requirements in pip_lists(model):
            for line in requirements.requirements:
                reason = reasons.get(line.name or "")
                if reason is None or not environment.applies(line):
                    continue
                yield self._finding(model, line, *reason, environment.knowledge, imported)

    def _finding(self, model: ModelDir, line: RequirementLine, entry: PlatformOnly, chain: tuple[str, ...],
                 knowledge: KnowledgeBase, imported: set[str]) -> Finding:
        where = f"`{entry.distribution}` {entry.effect}"
        if len(chain) > 1:
            where = f"it requires {' -> '.join(f'`{name}`' for name in chain[1:])}, and {where}"
        message = f"`{line.text}` installs only on {entry.platform_name}: {where}"
        if entry.linux_alternative:
            message += f"; on Linux the same modules come from `{entry.linux_alternative}`"
        return self.finding(line.path, message, line.span, fix=_marker_fix(model, line, entry, chain, knowledge,
                                                                             imported))


def _marker_fix(model: ModelDir, line: RequirementLine, entry: PlatformOnly, chain: tuple[str, ...],
                knowledge: KnowledgeBase, imported: set[str]) -> Fix | None:
    if entry.linux_alternative or line.name is None:
        return None  # the model needs the alternative on Linux: a marker alone leaves it without
    provided = {module.split(".")[0] for name in chain for module in knowledge.top_level_modules(name)}
    applicability = Applicability.UNSAFE if provided & imported else Applicability.SAFE
    marker = f'sys_platform == "{entry.platform}"'
    return add_marker(model, line.name, marker, f"Add `; {marker}` to `{line.name}`", applicability)


def _imported_top_levels(model: ModelDir) -> set[str]:
    return {fact.module.split(".")[0] for scan in model.code_scans for fact in scan.imports}
