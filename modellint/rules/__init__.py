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
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}
RULES_BY_NAME: dict[str, type[Rule]] = {rule.name: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE", "RULES_BY_NAME", "Rule"]
