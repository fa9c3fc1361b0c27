"""Which files of a model dir MLflow's loader may read: the paths its MLmodel names, for flavors whose
loaders are known to open nothing else.

A pickle beside the model (``best-model.pkl`` next to the ``model.pkl`` the ``sklearn`` flavor names)
is never unpickled by ``mlflow.pyfunc.load_model``: what it would import or run is not what the model
needs or does. The answer fails closed: wherever code of the model's own decides what to open at run
time (a ``loader_module`` or flavor outside the reviewed list, a ``PythonModel``, a ``code`` dir, a
models-from-code file, by-value code in a file the loader reads), every file may be loaded.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

# Flavors whose loaders open only the paths their MLmodel entry names (the flavor's dir or file and what
# lies below it), read in MLflow 1.x-3.x's sources; any other flavor makes every file possibly loaded.
_REVIEWED_FLAVORS = frozenset({"python_function", "sklearn", "xgboost", "lightgbm", "catboost", "statsmodels",
                               "pytorch"})
_REVIEWED_LOADERS = frozenset(f"mlflow.{flavor}" for flavor in _REVIEWED_FLAVORS - {"python_function"})
_CODE_KEYS = ("code", "python_model", "model_code_path")
_DRIVE = re.compile(r"^[A-Za-z]:")


def loaded_paths(flavors: dict[str, dict[str, Any]]) -> frozenset[str] | None:
    """The relative POSIX paths (files or dirs, a dir meaning all below it) that loading the model may
    read, or None when any file may be: see the module docstring. ``flavors`` is MLmodel's mapping."""
    if not flavors or not set(flavors) <= _REVIEWED_FLAVORS:
        return None
    pyfunc = flavors.get("python_function", {})
    if "loader_module" in pyfunc and pyfunc["loader_module"] not in _REVIEWED_LOADERS:
        return None
    if any(conf.get(key) for conf in flavors.values() for key in _CODE_KEYS):
        return None
    paths = set()
    for value in _strings(flavors):
        relative = posixpath.normpath(value.replace("\\", "/"))
        if relative in (".", "", "..") or value.strip() in (".", "./") or relative.startswith(("../", "/", "~")) \
                or _DRIVE.match(relative):
            return None  # the whole model dir, or a path out of it that may lead back in (ML004/ML006 report it)
        paths.add(relative)
    return frozenset(paths)


def is_loaded(relative: str, paths: frozenset[str] | None) -> bool:
    """Whether the file at ``relative`` is, or lies below, one of ``paths`` (None: every file may be loaded)."""
    if paths is None:
        return True
    return any(relative == path or relative.startswith(path + "/") for path in paths)


def _strings(value: object) -> Iterator[str]:
    """Every string in MLmodel's flavors, wherever it is nested: a flavor may name a path under any key
    (``pickled_model``, ``data``, ``model_data``, ``extra_files``' entries, artifacts' ``path``), and one
    that is no path only widens what counts as loaded."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
