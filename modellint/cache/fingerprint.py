"""The run's part of the cache key: the installed modellint, its rules, the settings, the day."""

from __future__ import annotations

import datetime
import hashlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modellint.analyzer.environment.environment_settings import EnvironmentSettings
    from modellint.rules import RuleEntry

_PACKAGE = Path(__file__).resolve().parent.parent


def run_fingerprint(rules: Iterable[RuleEntry], settings: EnvironmentSettings | None,
                    today: datetime.date | None = None) -> str:
    """What every target of one run shares: the installed modellint, its rules (by their entries:
    a run the cache answers whole imports no rule's module), the settings."""
    from modellint import __version__

    digest = hashlib.sha256()
    for part in (f"modellint {__version__}", f"python {sys.version}", f"date {(today or datetime.date.today())}",
                 f"settings {settings!r}", _package_state()):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for entry in rules:
        module, name = _rule_origin(entry)
        digest.update(f"rule {entry.code} {module}.{name} {_module_state(module)}\0".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _rule_origin(entry: RuleEntry) -> tuple[str, str]:
    """The module and class of a rule: a built-in's from its entry, a plugin's from its class
    (loaded with the plugins already)."""
    if entry.plugin is None:
        return entry.module, entry.class_name
    from modellint.rules import rule_class

    rule = rule_class(entry.code)
    return rule.__module__, rule.__qualname__


def _package_state() -> str:
    """Size and modification time of every file of the installed modellint package."""
    entries = []
    for folder, folders, files in os.walk(_PACKAGE):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(files):
            path = os.path.join(folder, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            entries.append(f"{os.path.relpath(path, _PACKAGE)} {info.st_size} {info.st_mtime_ns}")
    return "\n".join(entries)


def _module_state(module: str) -> str:
    """A plugin rule's module file, by size and time; modellint's own are in the package state."""
    if module == "modellint" or module.startswith("modellint."):
        return ""
    path = getattr(sys.modules.get(module), "__file__", None)
    try:
        info = os.stat(path) if path else None
    except OSError:
        info = None
    return f"{path} {info.st_size} {info.st_mtime_ns}" if info else "unknown"
