"""What the user's configuration says about the environment a model is deployed into: where
modules come from (``known-first-party``, ``module-distributions``) and the Python and platform
the environment is built for (``--python-version``, ``--platform``), as one hashable value the
engine hands to every target.

It travels as an argument (engine -> worker batch -> ModelDir / training project), never as a
module global, so worker processes see it whatever their start method.
"""

from __future__ import annotations

import re

from modellint.analyzer.environment.serving_platform import DEFAULT_PLATFORM
from modellint.record import Record

_DISTRIBUTION = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


def is_module_name(text: str) -> bool:
    """A dotted Python module name: ``acme_utils``, ``acme.utils``."""
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def is_distribution_name(text: str) -> bool:
    """A valid PEP 508 distribution name: ``acme-utils``."""
    return bool(_DISTRIBUTION.match(text))


def _owner(module: str, prefixes) -> str | None:
    """The longest of ``prefixes`` that is ``module`` or a package above it."""
    best = None
    for prefix in prefixes:
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


class EnvironmentSettings(Record):
    """``known_first_party``: modules the deployment provides itself (installed by its own image,
    a base environment, a sidecar): never reported missing. ``module_distributions``: module ->
    the distribution that provides it, for modules the knowledge base does not know or maps
    differently. Both match a module and every submodule below it. ``python``: the CPython the
    environment is built with (``(3, 10)`` or ``(3, 10, 11)``), None for the model's declared one;
    ``platform``: where it is built (a key of
    :data:`~modellint.analyzer.environment.serving_platform.PLATFORMS`). ``resolver``: the uv
    executable ``--resolve`` hands the requirements to, None without the option."""

    __slots__ = ("known_first_party", "module_distributions", "python", "platform", "resolver")

    def __init__(self, known_first_party: tuple[str, ...] = (),
                 module_distributions: tuple[tuple[str, str], ...] = (),
                 python: tuple[int, ...] | None = None, platform: str = DEFAULT_PLATFORM,
                 resolver: str | None = None) -> None:
        self.known_first_party = known_first_party
        self.module_distributions = module_distributions
        self.python = python
        self.platform = platform
        self.resolver = resolver

    @property
    def configures_imports(self) -> bool:
        """Whether any module is configured (first-party or mapped): the knowledge base's view changes."""
        return bool(self.known_first_party or self.module_distributions)

    @property
    def import_part(self) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """What the knowledge base's configured view depends on (not the Python or platform)."""
        return self.known_first_party, self.module_distributions

    def is_first_party(self, module: str) -> bool:
        return bool(module) and _owner(module, self.known_first_party) is not None

    def distribution_of(self, module: str) -> tuple[str, str] | None:
        """``(configured module, distribution)`` for the longest configured module above ``module``."""
        mapping = dict(self.module_distributions)
        prefix = _owner(module, mapping)
        return (prefix, mapping[prefix]) if prefix is not None else None

    def distributions(self) -> frozenset[str]:
        """The configured distributions, normalised (PEP 503)."""
        from modellint.analyzer.environment.requirements import normalize_name

        return frozenset(normalize_name(name) for _, name in self.module_distributions)


def parse_python_version(text: str) -> tuple[int, ...]:
    """``3.10`` or ``3.10.11`` -> ``(3, 10)`` / ``(3, 10, 11)``; ValueError for anything else (a
    CPython 3 release is what the installability data describes)."""
    parts = text.strip().split(".")
    if not 2 <= len(parts) <= 3 or not all(part.isdigit() for part in parts) or parts[0] != "3":
        raise ValueError(f"`{text}` is not a Python 3 version (expected X.Y or X.Y.Z, e.g. 3.11 or 3.10.12)")
    return tuple(int(part) for part in parts)


DEFAULT_ENVIRONMENT_SETTINGS = EnvironmentSettings()
