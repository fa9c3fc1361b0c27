"""The rule registry: every rule's code, name and class, in code order.

Like Ruff's code table, the registry names each rule without importing it: a rule's module is
``modellint.rules.<code>_<name>`` and is imported on first use (:func:`rule_class`,
``ALL_RULES``). A model dir needs every rule, but ``modellint check model.pkl`` needs three,
and the modules of the others import every analyzer (YAML, PEP 508, the knowledge base),
which is most of the start-up time. ``tests/rules/test_registry.py`` checks the table against
the rule modules: every module registered, codes, names and flags as the classes say.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

from modellint.rules._base import Rule


class RuleEntry(NamedTuple):
    code: str
    name: str
    class_name: str
    standalone_file: bool = False  # also judged on a lone serialized file (`check model.pkl`)
    # False for findings a comment in the model's own files must not silence: what loading runs or
    # cannot run, paths leading out of the model, leaked credentials. The file's author is whoever
    # made the model (a protocol-0 pickle can carry `# modellint: ignore` on its first line).
    inline_suppression: bool = True

    @property
    def module(self) -> str:
        return f"modellint.rules.{self.code.lower()}_{self.name.replace('-', '_')}"


RULE_TABLE: tuple[RuleEntry, ...] = (
    RuleEntry("ML001", "mlmodel-unreadable", "MlmodelUnreadable"),
    RuleEntry("ML002", "no-pyfunc-flavor", "NoPyfuncFlavor"),
    RuleEntry("ML003", "missing-model-file", "MissingModelFile"),
    RuleEntry("ML004", "absolute-path-reference", "AbsolutePathReference"),
    RuleEntry("ML005", "loader-module-unresolvable", "LoaderModuleUnresolvable"),
    RuleEntry("ML006", "path-outside-model", "PathOutsideModel", inline_suppression=False),
    RuleEntry("ML101", "missing-env-file", "MissingEnvFile"),
    RuleEntry("ML102", "env-files-inconsistent", "EnvFilesInconsistent"),
    RuleEntry("ML103", "defaults-channel", "DefaultsChannel"),
    RuleEntry("ML104", "invalid-requirement", "InvalidRequirement"),
    RuleEntry("ML105", "mlflow-pin", "MlflowPin"),
    RuleEntry("ML106", "unpinned-requirement", "UnpinnedRequirement"),
    RuleEntry("ML107", "duplicate-requirement", "DuplicateRequirement"),
    RuleEntry("ML108", "eol-python", "EolPython"),
    RuleEntry("ML109", "requirement-option-line", "RequirementOptionLine"),
    RuleEntry("ML110", "unreadable-env-file", "UnreadableEnvFile"),
    RuleEntry("ML111", "credential-in-requirement", "CredentialInRequirement", inline_suppression=False),
    RuleEntry("ML201", "missing-dependency", "MissingDependency"),
    RuleEntry("ML202", "missing-extra", "MissingExtra"),
    RuleEntry("ML203", "code-path-import-break", "CodePathImportBreak"),
    RuleEntry("ML204", "code-path-outside-project", "CodePathOutsideProject"),
    RuleEntry("ML205", "stdlib-too-new", "StdlibTooNew"),
    RuleEntry("ML206", "shadowed-module", "ShadowedModule"),
    RuleEntry("ML207", "transitive-dependency", "TransitiveDependency"),
    RuleEntry("ML208", "dynamic-import", "DynamicImport"),
    RuleEntry("ML209", "uninferred-lazy-import", "UninferredLazyImport"),
    RuleEntry("ML210", "unparseable-code", "UnparseableCode", inline_suppression=False),
    RuleEntry("ML211", "syntax-too-new", "SyntaxTooNew", inline_suppression=False),
    RuleEntry("ML301", "pickle-missing-module", "PickleMissingModule", inline_suppression=False),
    RuleEntry("ML302", "unsafe-pickle", "UnsafePickle", standalone_file=True, inline_suppression=False),
    RuleEntry("ML303", "unscannable-model-file", "UnscannableModelFile", standalone_file=True,
              inline_suppression=False),
    RuleEntry("ML304", "embedded-code", "EmbeddedCodeRule", standalone_file=True, inline_suppression=False),
    RuleEntry("ML305", "serializer-version-mismatch", "SerializerVersionMismatch", inline_suppression=False),
    RuleEntry("ML401", "example-signature-mismatch", "ExampleSignatureMismatch"),
    RuleEntry("ML402", "invalid-signature", "InvalidSignature"),
    RuleEntry("ML403", "missing-signature", "MissingSignature"),
)

ENTRIES_BY_CODE: dict[str, RuleEntry] = {entry.code: entry for entry in RULE_TABLE}
ENTRIES_BY_NAME: dict[str, RuleEntry] = {entry.name: entry for entry in RULE_TABLE}


def rule_class(code: str) -> type[Rule]:
    """The rule class registered under ``code``, its module imported on first use."""
    entry = ENTRIES_BY_CODE[code]
    return getattr(importlib.import_module(entry.module), entry.class_name)


def __getattr__(name: str):
    # ALL_RULES / RULES_BY_CODE / RULES_BY_NAME import every rule: built on first access only.
    if name == "ALL_RULES":
        value = tuple(rule_class(entry.code) for entry in RULE_TABLE)
    elif name == "RULES_BY_CODE":
        value = {entry.code: rule_class(entry.code) for entry in RULE_TABLE}
    elif name == "RULES_BY_NAME":
        value = {entry.name: rule_class(entry.code) for entry in RULE_TABLE}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = ["ALL_RULES", "ENTRIES_BY_CODE", "ENTRIES_BY_NAME", "RULES_BY_CODE", "RULES_BY_NAME", "RULE_TABLE",
           "Rule", "RuleEntry", "rule_class"]
