"""The rule registry: every rule's code, name and class, in code order.

Like Ruff's code table, the registry names each rule without importing it: a rule's module is
``modellint.rules.<code>_<name>`` and is imported on first use (:func:`rule_class`,
``ALL_RULES``). A model dir needs every rule, but ``modellint check model.pkl`` needs three,
and the modules of the others import every analyzer (YAML, PEP 508, the knowledge base),
which is most of the start-up time. ``tests/rules/test_registry.py`` checks the table against
the rule modules: every module registered, codes and names as the classes say, each fact declared
once and consistent with the others.

Installed plugins add rules with their own code prefix (``ACME001``, see
:mod:`modellint.rules._plugins`). Reading them costs an import of importlib-metadata and of every
plugin, so it happens only when something asks about a rule no built-in one answers: a selector
other than a built-in code, prefix, name or ``ALL`` (``--select ACME``), a lookup of a code or name
that is not built in (``ENTRIES_BY_CODE["ACME001"]``, ``modellint rule ACME001``), or the list of
every rule (``modellint rules``). A run that names only built-in rules, which is every run without
configuration, never reads them. ``ALL``, ``ALL_RULES`` and ``RULES_BY_CODE`` are the built-in
rules: what happens to be installed never changes a run that does not name it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from modellint.rules._base import FixAvailability, Rule

if TYPE_CHECKING:
    from modellint.rules._plugins import PluginOrigin

# Every built-in code starts with it; a plugin's may not (its letters are its own prefix).
BUILTIN_PREFIX = "ML"


class RuleEntry(NamedTuple):
    """Everything the engine, project mode, selection and reporters decide about a rule, in one place.

    The class says what the rule is (severity, documentation, examples, ``check``); its entry says
    where it runs and how its findings are treated, readable without importing its module. No code
    outside ``modellint.rules`` tests a code or a code prefix: it reads these fields.
    """

    code: str
    name: str
    class_name: str
    # Where it applies. Every rule judges a model dir; unless `requires_mlmodel` is False (ML001
    # says why MLmodel is unusable), not one whose MLmodel cannot be read.
    requires_mlmodel: bool = True
    standalone_file: bool = False  # also judged on a lone serialized file (`check model.pkl`)
    # Also judged on the model a training project's save/log call would write: the rules about what
    # such a call controls. The others judge files MLflow writes by itself (MLmodel keys, payload
    # files, signatures, env-file consistency) that a project cannot show.
    training_project: bool = False
    # In a training project, judged even when the call's requirement arguments are not literal
    # (the rule needs no environment); the others then do not run.
    environment_free: bool = False
    # In a training project, a finding on an env-file line MLflow writes by itself (its `mlflow`
    # pin, the Python version) is dropped: the project cannot change that line.
    project_lines_only: bool = False
    # The rule that says, as info, that a project file which may save a model does not parse
    # (its imports, like any code file's, cannot be checked).
    reports_unparseable_project_file: bool = False
    # False for findings a comment in the model's own files must not silence: what loading runs or
    # cannot run, paths leading out of the model, leaked credentials. The file's author is whoever
    # made the model (a protocol-0 pickle can carry `# modellint: ignore` on its first line).
    inline_suppression: bool = True
    # A security rule's CVSS-style score, which GitHub maps to critical/high/medium/low (SARIF
    # `security-severity`); None for a reliability rule.
    security_severity: str | None = None
    # The installed distribution a plugin's rule comes from; None for a built-in rule. A plugin's
    # rule keeps every other default: it judges model dirs whose MLmodel reads, not lone files or
    # training projects, and is a reliability rule a comment may silence.
    plugin: PluginOrigin | None = None

    @property
    def module(self) -> str:
        """A built-in rule's module (a plugin's class is registered as loaded: see :func:`rule_class`)."""
        return f"modellint.rules.{self.code.lower()}_{self.name.replace('-', '_')}"


# Security scores: loading a pickle that calls `os.system` is code execution that needs the victim
# to load the model (CVSS 3.1 AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H = 7.8); a file that cannot be
# proven safe, or needs native code it does not carry (ML310), is a medium risk; code stored by value
# is reviewable only with effort: low.
RULE_TABLE: tuple[RuleEntry, ...] = (
    RuleEntry("ML001", "mlmodel-unreadable", "MlmodelUnreadable", requires_mlmodel=False),
    RuleEntry("ML002", "no-pyfunc-flavor", "NoPyfuncFlavor", training_project=True, environment_free=True),
    RuleEntry("ML003", "missing-model-file", "MissingModelFile"),
    RuleEntry("ML004", "absolute-path-reference", "AbsolutePathReference"),
    RuleEntry("ML005", "loader-module-unresolvable", "LoaderModuleUnresolvable", training_project=True),
    RuleEntry("ML006", "path-outside-model", "PathOutsideModel", inline_suppression=False),
    RuleEntry("ML101", "missing-env-file", "MissingEnvFile"),
    RuleEntry("ML102", "env-files-inconsistent", "EnvFilesInconsistent"),
    RuleEntry("ML103", "defaults-channel", "DefaultsChannel", training_project=True, project_lines_only=True),
    RuleEntry("ML104", "invalid-requirement", "InvalidRequirement", training_project=True, project_lines_only=True),
    RuleEntry("ML105", "mlflow-pin", "MlflowPin", training_project=True, project_lines_only=True),
    RuleEntry("ML106", "unpinned-requirement", "UnpinnedRequirement", training_project=True, project_lines_only=True),
    RuleEntry("ML107", "duplicate-requirement", "DuplicateRequirement", training_project=True, project_lines_only=True),
    RuleEntry("ML108", "eol-python", "EolPython", training_project=True, project_lines_only=True),
    RuleEntry("ML109", "requirement-option-line", "RequirementOptionLine",
              training_project=True, project_lines_only=True),
    RuleEntry("ML110", "unreadable-env-file", "UnreadableEnvFile"),
    RuleEntry("ML111", "credential-in-requirement", "CredentialInRequirement", inline_suppression=False),
    RuleEntry("ML201", "missing-dependency", "MissingDependency",
              training_project=True, reports_unparseable_project_file=True),
    RuleEntry("ML202", "missing-extra", "MissingExtra", training_project=True),
    RuleEntry("ML203", "code-path-import-break", "CodePathImportBreak", training_project=True, environment_free=True),
    RuleEntry("ML204", "code-path-outside-project", "CodePathOutsideProject",
              training_project=True, environment_free=True),
    RuleEntry("ML205", "stdlib-too-new", "StdlibTooNew", training_project=True),
    RuleEntry("ML206", "shadowed-module", "ShadowedModule", training_project=True),
    RuleEntry("ML207", "transitive-dependency", "TransitiveDependency", training_project=True),
    RuleEntry("ML208", "dynamic-import", "DynamicImport", training_project=True, environment_free=True),
    RuleEntry("ML209", "uninferred-lazy-import", "UninferredLazyImport", training_project=True),
    RuleEntry("ML210", "unparseable-code", "UnparseableCode", training_project=True, inline_suppression=False),
    RuleEntry("ML211", "syntax-too-new", "SyntaxTooNew", training_project=True, inline_suppression=False),
    RuleEntry("ML212", "command-at-import", "CommandAtImport"),
    RuleEntry("ML213", "command-in-model-method", "CommandInModelMethod"),
    RuleEntry("ML301", "pickle-missing-module", "PickleMissingModule", training_project=True, inline_suppression=False),
    RuleEntry("ML302", "unsafe-pickle", "UnsafePickle", standalone_file=True, inline_suppression=False,
              security_severity="7.8"),
    RuleEntry("ML303", "unscannable-model-file", "UnscannableModelFile", standalone_file=True,
              inline_suppression=False, security_severity="5.0"),
    RuleEntry("ML304", "embedded-code", "EmbeddedCodeRule", standalone_file=True, inline_suppression=False,
              security_severity="2.0"),
    RuleEntry("ML305", "serializer-version-mismatch", "SerializerVersionMismatch", inline_suppression=False),
    RuleEntry("ML306", "model-payload-mismatch", "ModelPayloadMismatch", inline_suppression=False),
    RuleEntry("ML310", "custom-op-library", "CustomOpLibrary", standalone_file=True, inline_suppression=False,
              security_severity="5.0"),
    RuleEntry("ML311", "onnx-runtime-too-old", "OnnxRuntimeTooOld"),
    RuleEntry("ML401", "example-signature-mismatch", "ExampleSignatureMismatch"),
    RuleEntry("ML402", "invalid-signature", "InvalidSignature"),
    RuleEntry("ML403", "missing-signature", "MissingSignature", training_project=True, environment_free=True),
    RuleEntry("ML501", "stdlib-backport", "StdlibBackportRule", training_project=True, project_lines_only=True),
    RuleEntry("ML502", "platform-only-package", "PlatformOnlyPackage", training_project=True, project_lines_only=True),
    RuleEntry("ML503", "nonexistent-release", "NonexistentRelease", training_project=True, project_lines_only=True),
    RuleEntry("ML504", "requires-python-excluded", "RequiresPythonExcluded"),
    RuleEntry("ML505", "no-compatible-wheel", "NoCompatibleWheel"),
    RuleEntry("ML506", "yanked-release", "YankedRelease", training_project=True, project_lines_only=True),
    RuleEntry("ML507", "contradictory-pins", "ContradictoryPins", training_project=True, project_lines_only=True),
    RuleEntry("ML508", "resolution-failed", "ResolutionFailed"),  # runs only with --resolve
    RuleEntry("ML509", "requirement-not-on-index", "RequirementNotOnIndex", training_project=True,
              project_lines_only=True),
    RuleEntry("ML510", "known-vulnerable-pin", "KnownVulnerablePin", training_project=True, project_lines_only=True),
    RuleEntry("ML511", "conda-python-not-built", "CondaPythonNotBuilt"),
    RuleEntry("ML512", "conda-package-not-served", "CondaPackageNotServed"),
    # Deployment targets' own rules: they run when `--target` enables them (modellint.rules._targets).
    RuleEntry("ML601", "azureml-no-conda-env", "AzuremlNoCondaEnv"),
    RuleEntry("ML602", "azureml-request-format", "AzuremlRequestFormat"),
    RuleEntry("ML603", "request-over-size-limit", "RequestOverSizeLimit"),
    RuleEntry("ML604", "azureml-serving-image-clash", "AzuremlServingImageClash", training_project=True,
              project_lines_only=True),
)


class _Plugins:
    """The installed plugins' entries and classes. (Not a NamedTuple: making one costs every run
    0.6 M instructions at import.)"""

    __slots__ = ("by_code", "by_name", "classes")

    def __init__(self, by_code: dict[str, RuleEntry], by_name: dict[str, RuleEntry],
                 classes: dict[str, type[Rule]]) -> None:
        self.by_code = by_code
        self.by_name = by_name
        self.classes = classes


@cache
def _installed_plugins() -> _Plugins:
    """The installed plugins' rules, read once (a :class:`~modellint.rules._plugins.PluginError` is
    raised again on every call: it ends the run)."""
    from modellint.rules._plugins import installed

    found = installed(BUILTIN_PREFIX, _BUILTIN_BY_NAME.keys())
    entries = [RuleEntry(found_rule.rule.code, found_rule.rule.name, found_rule.rule.__qualname__,
                         plugin=found_rule.origin) for found_rule in found]
    return _Plugins({entry.code: entry for entry in entries}, {entry.name: entry for entry in entries},
                    {found_rule.rule.code: found_rule.rule for found_rule in found})


class _Entries(Mapping[str, RuleEntry]):
    """Built-in entries by key, then the installed plugins': a built-in key never reads the plugins."""

    def __init__(self, builtin: dict[str, RuleEntry], plugins: Callable[[], dict[str, RuleEntry]]) -> None:
        self._builtin = builtin
        self._plugins = plugins

    def __getitem__(self, key: str) -> RuleEntry:
        entry = self._builtin.get(key)
        return self._plugins()[key] if entry is None else entry

    def __contains__(self, key: object) -> bool:
        return key in self._builtin or key in self._plugins()

    def __iter__(self) -> Iterator[str]:
        yield from self._builtin
        yield from self._plugins()

    def __len__(self) -> int:
        return len(self._builtin) + len(self._plugins())

    def builtin(self, key: str) -> RuleEntry | None:
        """The built-in entry under ``key``, if any, without reading the plugins."""
        return self._builtin.get(key)


_BUILTIN_BY_CODE = {entry.code: entry for entry in RULE_TABLE}
_BUILTIN_BY_NAME = {entry.name: entry for entry in RULE_TABLE}
# Every rule's entry, built-in or an installed plugin's.
ENTRIES_BY_CODE = _Entries(_BUILTIN_BY_CODE, lambda: _installed_plugins().by_code)
ENTRIES_BY_NAME = _Entries(_BUILTIN_BY_NAME, lambda: _installed_plugins().by_name)


def plugin_entries() -> tuple[RuleEntry, ...]:
    """The installed plugins' entries, in code order (reads the plugins)."""
    return tuple(_installed_plugins().by_code.values())


def plugin_rules() -> tuple[type[Rule], ...]:
    """The installed plugins' rule classes, in code order (reads the plugins)."""
    return tuple(_installed_plugins().classes.values())


def rule_class(code: str) -> type[Rule]:
    """The rule class registered under ``code``: a built-in rule's module imported on first use,
    or the installed plugin's class."""
    entry = ENTRIES_BY_CODE[code]
    if entry.plugin is not None:
        return _installed_plugins().classes[code]
    return getattr(importlib.import_module(entry.module), entry.class_name)


def __getattr__(name: str):
    # ALL_RULES / RULES_BY_CODE / RULES_BY_NAME import every built-in rule: built on first access only.
    if name == "ALL_RULES":
        value: tuple[type[Rule], ...] | dict[str, type[Rule]] = tuple(rule_class(entry.code) for entry in RULE_TABLE)
    elif name == "RULES_BY_CODE":
        value = {entry.code: rule_class(entry.code) for entry in RULE_TABLE}
    elif name == "RULES_BY_NAME":
        value = {entry.name: rule_class(entry.code) for entry in RULE_TABLE}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = ["ALL_RULES", "BUILTIN_PREFIX", "ENTRIES_BY_CODE", "ENTRIES_BY_NAME", "RULES_BY_CODE", "RULES_BY_NAME",
           "RULE_TABLE", "FixAvailability", "Rule", "RuleEntry", "plugin_entries", "plugin_rules", "rule_class"]
