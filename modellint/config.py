"""Settings from `[tool.modellint]` in pyproject.toml or a `modellint.toml`; the CLI wins.

Keys equal the long flag names (`extend-select`, `fail-on`, ...). Unknown keys and values of
the wrong type are errors, so a typo never silently disables a check.

The trust boundary: the model under check is hostile, so its files never configure the checker.
A config file is discovered from the working directory upward only (never from the checked
paths), and a folder that is inside a model dir (it or a folder above it holds `MLmodel`) is
passed over, as is the folder of a lone serialized file named on the command line: a model
that ships a `modellint.toml` cannot silence its own findings even when modellint runs inside
it. Keys with effects beyond the report (`python` runs a program, `fix`/`unsafe-fixes` write
files, `output-file` chooses where to write, `follow-symlinks` widens what is read) are taken
only from the command line or a file named with `--config`; a discovered file that sets them
gets a warning and is otherwise used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modellint.analyzer.files import is_dir, is_file
from modellint.findings import Severity
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.path_patterns import PathPattern

CONFIG_FILE = "modellint.toml"
PYPROJECT = "pyproject.toml"


class ConfigError(Exception):
    """An invalid configuration file or value: a usage error (exit 2)."""


class Settings(Record):
    __slots__ = ("select", "extend_select", "ignore", "per_path_ignores", "fail_on", "exit_zero", "format",
                 "output_file", "statistics", "fix", "unsafe_fixes", "show_fixes", "jobs", "python", "config_path",
                 "exclude", "extend_exclude", "respect_gitignore", "follow_symlinks",
                 "known_first_party", "module_distributions", "target", "python_version", "platform")

    def __init__(self, select: list[str] | None = None, extend_select: list[str] | None = None,
                 ignore: list[str] | None = None, per_path_ignores: dict[str, list[str]] | None = None,
                 fail_on: Severity = Severity.WARNING, exit_zero: bool = False, format: str | None = None,
                 output_file: Path | None = None, statistics: bool = False, fix: bool = False,
                 unsafe_fixes: bool = False, show_fixes: bool = False, jobs: int | None = None,
                 python: Path | None = None, config_path: Path | None = None,
                 exclude: list[PathPattern] | None = None, extend_exclude: list[PathPattern] | None = None,
                 respect_gitignore: bool = True, follow_symlinks: bool = False, known_first_party: list[str] | None = None,
                 module_distributions: dict[str, str] | None = None, target: list[str] | None = None,
                 python_version: tuple[int, ...] | None = None, platform: str | None = None) -> None:
        self.select = select
        self.extend_select = [] if extend_select is None else extend_select
        self.ignore = [] if ignore is None else ignore
        self.per_path_ignores = {} if per_path_ignores is None else per_path_ignores
        self.fail_on = fail_on
        self.exit_zero = exit_zero
        self.format = format
        self.output_file = output_file
        self.statistics = statistics
        self.fix = fix
        self.unsafe_fixes = unsafe_fixes
        self.show_fixes = show_fixes
        self.jobs = jobs
        self.python = python
        self.config_path = config_path  # where these settings came from, if anywhere
        self.exclude = exclude  # None: the default exclusions (targets.DEFAULT_EXCLUDE)
        self.extend_exclude = [] if extend_exclude is None else extend_exclude
        self.respect_gitignore = respect_gitignore
        self.follow_symlinks = follow_symlinks
        # Modules the deployment provides itself / module -> the distribution providing it.
        self.known_first_party = [] if known_first_party is None else known_first_party
        self.module_distributions = {} if module_distributions is None else module_distributions
        # Deployment targets (`--target`, see modellint.rules._targets); empty: the default, `mlflow-serve`.
        self.target = [] if target is None else target
        # The Python and platform the environment is built for; None: the model's declared Python
        # and Linux x86_64.
        self.python_version = python_version
        self.platform = platform

    def environment_settings(self):
        """``known-first-party``, ``module-distributions``, ``python-version`` and ``platform`` as
        the value the engine passes on."""
        from modellint.analyzer.environment.environment_settings import EnvironmentSettings
        from modellint.analyzer.environment.serving_platform import DEFAULT_PLATFORM

        return EnvironmentSettings(tuple(sorted(set(self.known_first_party))), tuple(sorted(self.module_distributions.items())),
                                   self.python_version, self.platform or DEFAULT_PLATFORM)


_LIST_KEYS = {"select", "extend-select", "ignore", "target"}
_KEYS = _LIST_KEYS | {"per-path-ignores", "fail-on", "exit-zero", "format", "output-format",
                      "output-file", "statistics", "fix", "unsafe-fixes", "show-fixes", "jobs", "python",
                      "exclude", "extend-exclude", "respect-gitignore", "follow-symlinks",
                      "known-first-party", "module-distributions", "python-version", "platform"}
# Keys that run a program, write files or widen what is read: never from a discovered file.
EFFECT_KEYS = frozenset({"python", "fix", "unsafe-fixes", "output-file", "follow-symlinks"})


def find_config(start: Path, untrusted: frozenset[Path] = frozenset(),
                passed_over: list[Path] | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest config walking up from ``start`` (the working directory): modellint.toml, else
    pyproject.toml with a ``[tool.modellint]`` table (Ruff's rule: a pyproject.toml without the
    table is skipped). Folders inside a model dir, and those in ``untrusted`` or below them, are
    passed over (a modellint.toml seen there is added to ``passed_over``)."""
    directory = start if is_dir(start) else start.parent
    folders = (directory, *directory.parents)
    # A folder is passed over when it, or a folder above it, is a model's or untrusted: every
    # folder up to the highest such one.
    highest = max((index for index, folder in enumerate(folders) if _model_or_untrusted(folder, untrusted)), default=-1)
    for index, candidate_dir in enumerate(folders):
        if index <= highest:
            if passed_over is not None and is_file(candidate_dir / CONFIG_FILE):
                passed_over.append(candidate_dir / CONFIG_FILE)  # (a pyproject.toml there is not even read)
            continue
        own = candidate_dir / CONFIG_FILE
        if is_file(own):
            return own, _settings_table(own, _parse_toml(own, _read_bytes(own)))
        pyproject = candidate_dir / PYPROJECT
        if is_file(pyproject):
            raw = _read_bytes(pyproject)
            if _may_hold_our_table(raw):
                table = _parse_toml(pyproject, raw).get("tool", {}).get("modellint")
                if table is not None:
                    return pyproject, table
    return None


def _model_or_untrusted(folder: Path, untrusted: frozenset[Path]) -> bool:
    """Whether ``folder`` holds MLmodel (anything of that name) or is in ``untrusted``."""
    return folder in untrusted or os.path.lexists(folder / "MLmodel")


def _may_hold_our_table(raw: bytes) -> bool:
    """False when a pyproject.toml cannot hold a ``tool.modellint`` table, so the TOML parser
    (4 ms of start-up) is not imported for the pyproject.toml of every repository, nor for one that
    only names modellint as a dependency. The table is ``tool.modellint`` once the spaces and quotes
    a key may hold are dropped (``[ tool."modellint" ]``, ``tool.modellint.select = ...``), a
    ``[tool]`` table or a ``tool = {...}`` inline table, unless a quoted key spells it with ``\\u``
    escapes."""
    if b"\\u" in raw or b"\\U" in raw:
        return True
    if b"modellint" not in raw:
        return False
    squeezed = raw.translate(None, b" \t\"'")
    return b"tool.modellint" in squeezed or b"[tool]" in squeezed or b"tool=" in squeezed


def load_config_file(path: Path) -> dict[str, Any]:
    return _settings_table(path, _parse_toml(path, _read_bytes(path)))


def _settings_table(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The modellint settings in a parsed config file: ``[tool.modellint]`` of a pyproject.toml;
    in a modellint.toml that table if it has one, else the whole file."""
    if path.name == PYPROJECT:
        return data.get("tool", {}).get("modellint", {})
    return data.get("tool", {}).get("modellint", data) if "tool" in data else data


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: {error}") from None


def _parse_toml(path: Path, raw: bytes) -> dict[str, Any]:
    # Imported here: most runs find no config file and need no TOML parser.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None


def apply_config(settings: Settings, table: dict[str, Any], source: Path, *,
                 discovered: bool = False) -> tuple[Settings, list[str]]:
    """``settings`` with a config table (validated) applied, before CLI flags are, and warnings.

    A ``discovered`` file (not named with ``--config``) cannot set :data:`EFFECT_KEYS`: those
    keys are left out, and the warnings saying so are returned.
    """
    warnings = []
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{source}: unknown key `{key}` in modellint settings (known keys: {known})")
        if discovered and key in EFFECT_KEYS:
            warnings.append(f"{source}: `{key}` is ignored: a discovered config file cannot set it "
                            f"(use --{key} on the command line, or name the file with --config)")
            continue
        if key in _LIST_KEYS:
            changes[key.replace("-", "_")] = _string_list(value, key, source)
        elif key == "per-path-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: `per-path-ignores` must be a table of glob = [codes]")
            changes["per_path_ignores"] = {str(glob): _string_list(codes, key, source) for glob, codes in value.items()}
        elif key == "fail-on":
            try:
                changes["fail_on"] = Severity.parse(_string(value, key, source))
            except ValueError as error:
                raise ConfigError(f"{source}: {error}") from None
        elif key in ("exit-zero", "statistics", "fix", "unsafe-fixes", "show-fixes", "respect-gitignore",
                     "follow-symlinks"):
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: `{key}` must be true or false")
            changes[key.replace("-", "_")] = value
        elif key in ("format", "output-format"):
            changes["format"] = _string(value, key, source)
        elif key == "output-file":
            changes["output_file"] = source.parent / _string(value, key, source)
        elif key == "jobs":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{source}: `jobs` must be a positive integer")
            changes["jobs"] = value
        elif key == "python":
            changes["python"] = source.parent / _string(value, key, source)
        elif key in ("exclude", "extend-exclude"):
            # Relative to the config file's folder, as Ruff's.
            from modellint.path_patterns import parse_all

            changes[key.replace("-", "_")] = parse_all(_string_list(value, key, source), source.absolute().parent)
        elif key == "known-first-party":
            changes["known_first_party"] = known_first_party(_string_list(value, key, source), source)
        elif key == "module-distributions":
            changes["module_distributions"] = module_distributions(value, source)
        elif key == "python-version":
            changes["python_version"] = python_version(_string(value, key, source), f"{source}: `{key}`")
        elif key == "platform":
            changes["platform"] = build_platform(_string(value, key, source), f"{source}: `{key}`")
    return settings.replace(**changes, config_path=source), warnings


def _string(value: Any, key: str, source: Path) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{source}: `{key}` must be a string")
    return value


def _string_list(value: Any, key: str, source: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{source}: `{key}` must be a list of strings")
    return list(value)


def known_first_party(modules: list[str], source: Path | str) -> list[str]:
    """``known-first-party``: dotted module names (each also covers its submodules)."""
    from modellint.analyzer.environment.environment_settings import is_module_name

    for module in modules:
        if not is_module_name(module):
            raise ConfigError(f"{source}: `known-first-party`: `{module}` is not a module name (e.g. `acme_utils`)")
    return list(modules)


def module_distributions(value: Any, source: Path | str) -> dict[str, str]:
    """``module-distributions``: a table of ``module = "distribution"``."""
    from modellint.analyzer.environment.environment_settings import is_distribution_name, is_module_name

    if not isinstance(value, dict):
        raise ConfigError(f"{source}: `module-distributions` must be a table of module = \"distribution\"")
    for module, distribution in value.items():
        if not is_module_name(str(module)):
            raise ConfigError(f"{source}: `module-distributions`: `{module}` is not a module name (e.g. `acme_utils`)")
        if not isinstance(distribution, str) or not is_distribution_name(distribution):
            raise ConfigError(f"{source}: `module-distributions`: `{module}` must name a distribution "
                              f"(e.g. \"acme-utils\"), not {distribution!r}")
    return {str(module): distribution for module, distribution in value.items()}


def python_version(text: str, source: Path | str) -> tuple[int, ...]:
    """``python-version``: the CPython 3 the environment is built with (``3.11``, ``3.10.12``)."""
    from modellint.analyzer.environment.environment_settings import parse_python_version

    try:
        return parse_python_version(text)
    except ValueError as error:
        raise ConfigError(f"{source}: {error}") from None


def build_platform(name: str, source: Path | str) -> str:
    """``platform``: where the environment is built (``linux/x86_64``, ``linux/aarch64``, ...)."""
    from modellint.analyzer.environment.serving_platform import PLATFORMS

    if name not in PLATFORMS:
        raise ConfigError(f"{source}: `{name}` is not one of {', '.join(PLATFORMS)}")
    return name
