"""The rule registry: every rule, in code order. A test asserts every module is registered."""

from __future__ import annotations

from modellint.rules._base import Rule
from modellint.rules.ml001_mlmodel_unreadable import MlmodelUnreadable
from modellint.rules.ml002_no_pyfunc_flavor import NoPyfuncFlavor
from modellint.rules.ml003_missing_model_file import MissingModelFile
from modellint.rules.ml004_absolute_path_reference import AbsolutePathReference
from modellint.rules.ml005_loader_module_unresolvable import LoaderModuleUnresolvable
from modellint.rules.ml101_missing_env_file import MissingEnvFile
from modellint.rules.ml102_env_files_inconsistent import EnvFilesInconsistent
from modellint.rules.ml103_defaults_channel import DefaultsChannel
from modellint.rules.ml104_invalid_requirement import InvalidRequirement
from modellint.rules.ml105_mlflow_pin import MlflowPin
from modellint.rules.ml106_unpinned_requirement import UnpinnedRequirement
from modellint.rules.ml107_duplicate_requirement import DuplicateRequirement
from modellint.rules.ml108_eol_python import EolPython
from modellint.rules.ml109_requirement_option_line import RequirementOptionLine
from modellint.rules.ml110_unreadable_env_file import UnreadableEnvFile
from modellint.rules.ml201_missing_dependency import MissingDependency
from modellint.rules.ml202_missing_extra import MissingExtra
from modellint.rules.ml203_code_path_import_break import CodePathImportBreak
from modellint.rules.ml204_code_path_outside_project import CodePathOutsideProject
from modellint.rules.ml205_stdlib_too_new import StdlibTooNew
from modellint.rules.ml206_shadowed_module import ShadowedModule
from modellint.rules.ml207_transitive_dependency import TransitiveDependency
from modellint.rules.ml208_dynamic_import import DynamicImport
from modellint.rules.ml209_uninferred_lazy_import import UninferredLazyImport
from modellint.rules.ml301_pickle_missing_module import PickleMissingModule
from modellint.rules.ml302_unsafe_pickle import UnsafePickle
from modellint.rules.ml303_unscannable_model_file import UnscannableModelFile
from modellint.rules.ml304_embedded_code import EmbeddedCodeRule
from modellint.rules.ml305_serializer_version_mismatch import SerializerVersionMismatch
from modellint.rules.ml401_example_signature_mismatch import ExampleSignatureMismatch
from modellint.rules.ml402_invalid_signature import InvalidSignature
from modellint.rules.ml403_missing_signature import MissingSignature

ALL_RULES: tuple[type[Rule], ...] = (
    MlmodelUnreadable,
    NoPyfuncFlavor,
    MissingModelFile,
    AbsolutePathReference,
    LoaderModuleUnresolvable,
    MissingEnvFile,
    EnvFilesInconsistent,
    DefaultsChannel,
    InvalidRequirement,
    MlflowPin,
    UnpinnedRequirement,
    DuplicateRequirement,
    EolPython,
    RequirementOptionLine,
    UnreadableEnvFile,
    MissingDependency,
    MissingExtra,
    CodePathImportBreak,
    CodePathOutsideProject,
    StdlibTooNew,
    ShadowedModule,
    TransitiveDependency,
    DynamicImport,
    UninferredLazyImport,
    PickleMissingModule,
    UnsafePickle,
    UnscannableModelFile,
    EmbeddedCodeRule,
    SerializerVersionMismatch,
    ExampleSignatureMismatch,
    InvalidSignature,
    MissingSignature,
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}
RULES_BY_NAME: dict[str, type[Rule]] = {rule.name: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE", "RULES_BY_NAME", "Rule"]
