"""Where each import of the model's code would come from in a fresh serving environment.

Imports that never run on the model's Python are skipped first: a branch of
``if sys.version_info ...`` the declared version does not take, a fallback in an
``except ImportError:`` handler whose guarded imports are all available.

Python resolves an import against ``sys.path`` in order: the model's code dir first (MLflow
prepends it), then the standard library, then site-packages. This module answers the same
question statically for one :class:`~modellint.analyzer.code.source_imports.ImportFact`, so that
the ML2xx rules only decide what to report:

* ``BUNDLED``: a module or package of that name is in a code dir;
* ``STDLIB`` / ``STDLIB_MISSING``: standard library of the declared Python / of another 3.x only;
* ``FIRST_PARTY``: the configuration says the deployment provides it (``known-first-party``);
* ``PROVIDED``: a declared requirement installs it, directly or through its dependencies;
* ``FLATTENED``: ``from src.utils import f`` where ``code/utils.py`` exists but ``code/src`` does
  not: the layout ``code_paths`` copied by basename no longer matches the import;
* ``MISSING``: nothing provides it.
"""

from __future__ import annotations

import enum
from functools import lru_cache
from typing import TYPE_CHECKING

from modellint.analyzer.environment.declared import Provision, pinned_release
from modellint.analyzer.environment.requirements import MLFLOW_REQUIREMENT_NAMES
from modellint.analyzer.knowledge.distributions import normalize
from modellint.analyzer.knowledge.stdlib import stdlib_modules
from modellint.record import Record

if TYPE_CHECKING:
    # Types only: the import scanner (ast, tokenize) is loaded when a model has code to scan.
    from modellint.analyzer.code.source_imports import ImportFact
    from modellint.analyzer.model_dir import ModelDir

PYTHONS = tuple((3, minor) for minor in range(6, 15))  # the versions stdlib-list data covers
# MLflow's pruning keeps only the mlflow requirement for what mlflow itself depends on.
MLFLOW_DISTRIBUTIONS = frozenset({"mlflow", "mlflow-skinny"})
# The env builders install python_env.yaml's build_dependencies (pip, setuptools, wheel) before
# the requirements; setuptools ships these modules (distutils through its shim, since 60.0).
_SETUPTOOLS_MODULES = frozenset({"setuptools", "pkg_resources", "_distutils_hack", "distutils"})


class Kind(enum.Enum):
    BUNDLED = "bundled"
    STDLIB = "stdlib"
    STDLIB_MISSING = "stdlib-missing"
    FIRST_PARTY = "first-party"  # `known-first-party`: the deployment provides it itself
    PROVIDED = "provided"
    FLATTENED = "flattened"
    MISSING = "missing"
    NOT_CHECKED = "not-checked"  # mlflow itself with no mlflow requirement: ML105's finding


class Resolution(Record):
    __slots__ = ("module", "kind", "provision", "bundled_as", "suggestion")

    def __init__(self, module: str, kind: Kind, provision: Provision | None = None, bundled_as: str | None = None,
                 suggestion: str | None = None) -> None:
        self.module = module  # the module looked up (a from-import of a namespace checks each name below it)
        self.kind = kind
        self.provision = provision
        self.bundled_as = bundled_as  # FLATTENED: the code-dir entry the import's tail names
        # MISSING: the distribution to add, one the knowledge base records as providing the module
        # (never a squatter, never a name made up from the module's: PyPI names like
        # `train-utils` are anyone's to register, and proposing one is how dependency confusion lands)
        self.suggestion = suggestion


def stdlib_pythons(top_level: str) -> tuple[tuple[int, int], ...]:
    """The 3.6-3.14 versions whose standard library has ``top_level``."""
    return tuple(python for python in PYTHONS if top_level in stdlib_modules(python))


@lru_cache(maxsize=1)
def any_stdlib() -> frozenset[str]:
    names: frozenset[str] = frozenset()
    for python in PYTHONS:
        names |= stdlib_modules(python)
    return names


def declared_python3(model: ModelDir) -> tuple[int, int] | None:
    """The declared Python when it is a 3.x the standard-library data covers (2.7 counts as unknown)."""
    python = model.declared_python
    return python if python is not None and python[0] == 3 else None


def has_declared_environment(model: ModelDir) -> bool:
    """Whether any requirement list exists to check imports against (else ML101 reports it)."""
    return model.requirements is not None or (model.conda is not None and model.conda.pip is not None)


def unknown_declared_requirements(model: ModelDir) -> tuple[str, ...]:
    """Declared requirements the knowledge base does not know, which a finding may name as what
    might provide a module it cannot place. In a training project a line MLflow's inference would
    write under a stand-in name (a module nothing known provides) is left out: that name is
    modellint's guess, not the user's, and no finding proposes a guessed name."""
    unknown = model.environment.unknown_requirements
    training = model.training
    if training is None:
        return unknown
    return tuple(name for name in unknown if name not in training.stand_in_requirements)


def declares_mlflow(model: ModelDir) -> bool:
    return any(line.name in MLFLOW_REQUIREMENT_NAMES for line in model.environment.lines)


def candidate_modules(fact: ImportFact, model: ModelDir) -> tuple[str, ...]:
    """The modules an import needs: ``from google.cloud import storage`` needs google.cloud.storage,
    and so does ``from azure.storage import blob`` (``azure.storage.blob`` is a distribution of
    its own, whoever owns ``azure.storage``); a name that is no recorded module needs the package."""
    knowledge = model.environment.knowledge
    names = [name for name in fact.names if name]
    if not names or "*" in names:
        return (fact.module,)
    if knowledge.is_namespace(fact.module):
        return tuple(f"{fact.module}.{name}" for name in names)
    recorded = tuple(f"{fact.module}.{name}" for name in names if knowledge.records(f"{fact.module}.{name}"))
    if not recorded:
        return (fact.module,)
    return recorded + ((fact.module,) if len(recorded) < len(names) else ())


def resolve(fact: ImportFact, model: ModelDir) -> tuple[Resolution, ...]:
    """How each module ``fact`` needs resolves; () for an import that is not checked.

    Unchecked: typing-only or guarded imports, and relative imports (inside a bundled package
    they load sibling files; an unresolvable one fails on any environment alike).
    """
    if not fact.runs or fact.level or not fact.resolved:
        return ()
    if model.declared_python is not None and model.declared_python[0] != 3:
        return ()  # a Python 2 model: there is no standard-library data to judge its imports by
    python = declared_python3(model)
    if python is not None and not fact.runs_on(python):
        return ()  # `if sys.version_info < (3, 11): import tomli` on a 3.11 model never runs
    if fact.fallback_for and all(_available(module, model) for module in fact.fallback_for):
        return ()  # `except ImportError: import tomli` runs only when the guarded import fails
    return tuple(_resolve_module(module, fact, model) for module in candidate_modules(fact, model))


def _available(module: str, model: ModelDir) -> bool:
    python = declared_python3(model)
    return (model.code_module_exists(module)
            or module.split(".")[0] in (stdlib_modules(python) if python else frozenset())
            or model.environment.provides(module))


def _resolve_module(module: str, fact: ImportFact, model: ModelDir) -> Resolution:
    top = module.split(".")[0]
    if model.code_module_exists(module):
        return Resolution(module, Kind.BUNDLED)
    environment = model.environment
    python = declared_python3(model)
    if top in (stdlib_modules(python) if python else any_stdlib()):
        return Resolution(module, Kind.STDLIB)
    if environment.knowledge.is_first_party(module):
        return Resolution(module, Kind.FIRST_PARTY)
    provision = environment.provision(module)
    if provision is not None:
        return Resolution(module, Kind.PROVIDED, provision)
    if top in _SETUPTOOLS_MODULES and _builds_with_setuptools(model, module):
        return Resolution(module, Kind.PROVIDED, Provision(("setuptools",)))
    if top in any_stdlib():
        return Resolution(module, Kind.STDLIB_MISSING)
    if top == "mlflow" and not declares_mlflow(model):
        return Resolution(module, Kind.NOT_CHECKED)
    flattened = _flattened_entry(module, fact, model)
    if flattened:
        return Resolution(module, Kind.FLATTENED, bundled_as=flattened)
    suggestion = "setuptools" if top in _SETUPTOOLS_MODULES else environment.knowledge.suggest(module)
    return Resolution(module, Kind.MISSING, suggestion=suggestion)


def _builds_with_setuptools(model: ModelDir, module: str) -> bool:
    """Whether setuptools is installed and ships ``module``: the release a requirement or a build
    dependency pins exactly is judged by its own files (``pkg_resources`` left setuptools)."""
    python_env = model.python_env
    lines = list(python_env.build_dependencies.lines) if python_env else []
    if not (any(line.name == "setuptools" for line in lines) or "setuptools" in model.environment.installed):
        return False
    if module.split(".")[0] == "distutils":
        return True  # a shim (_distutils_hack) provides it, not a file of the release
    if "setuptools" in model.environment.pinned_releases:
        return not model.environment.release_lacks("setuptools", module)
    built = next((facts for line in lines if line.name == "setuptools" and (facts := pinned_release(line))), None)
    return built is None or built.provides(module)


def _flattened_entry(module: str, fact: ImportFact, model: ModelDir) -> str | None:
    """The code-dir entry a deeper part of the import names: ``src.utils`` -> ``utils``."""
    parts = module.split(".")[1:] + [name for name in fact.names if name and name != "*"]
    for part in parts:
        if part.isidentifier() and model.code_module_exists(part):
            return part
    return None


def distribution_label(resolution: Resolution) -> str:
    """``tabulate``, ``google-cloud-bigtable``; "" when the knowledge names no distribution to propose."""
    return normalize(resolution.suggestion) if resolution.suggestion else ""


class CheckedImport(Record):
    __slots__ = ("fact", "resolution", "repeats")

    def __init__(self, fact: ImportFact, resolution: Resolution, repeats: int = 0) -> None:
        self.fact = fact
        self.resolution = resolution
        self.repeats = repeats  # further imports of the same module in the same file, not reported again


# ML201, ML203, ML205 and ML207 each read every checked import of a model, one model after
# another: the last model's are kept (a vendored package's code has thousands of imports). Held by
# the model itself, not its id, which a later model could reuse.
_last_checked: tuple[ModelDir, tuple[CheckedImport, ...]] | None = None


def checked_imports(model: ModelDir) -> tuple[CheckedImport, ...]:
    """Every checked import of the model's code, the first per file and module, in file order."""
    global _last_checked
    if _last_checked is None or _last_checked[0] is not model:
        _last_checked = (model, _check_imports(model))
    return _last_checked[1]


def _check_imports(model: ModelDir) -> tuple[CheckedImport, ...]:
    found: dict[tuple[object, str], CheckedImport] = {}
    for scan in model.code_scans:
        for fact in scan.imports:
            for resolution in resolve(fact, model):
                key = (scan.path, resolution.module)
                if key in found:
                    first = found[key]
                    found[key] = CheckedImport(first.fact, first.resolution, first.repeats + 1)
                else:
                    found[key] = CheckedImport(fact, resolution)
    return tuple(found.values())


def describe(fact: ImportFact, module: str | None = None, repeats: int = 0) -> str:
    """How a finding names an import: "`tabulate` (imported lazily)", "`x` (imported; 2 more imports
    in this file)", "`x` (imported lazily by `T.predict`, code pickled by value in `python_model.pkl`)"."""
    module = module or fact.module
    how = "imported with importlib" if fact.dynamic else "imported lazily" if fact.lazy else "imported"
    if fact.origin:
        how += f" by `{fact.origin}`, code pickled by value in `{fact.path.name}`"
    if repeats:
        how += f"; {repeats} more import{'s' if repeats > 1 else ''} in this file"
    return f"`{module}` ({how})"
