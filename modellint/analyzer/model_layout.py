"""How MLflow lays out a model dir: the names of its files, what is walked below it, and how
MLmodel and the env files write versions.

The facts modules that read one kind of file (:mod:`~modellint.analyzer.serialized.inventory`,
the training-project simulation) need these conventions but not the
:class:`~modellint.analyzer.model_dir.ModelDir` facade, which is built on top of them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from modellint.analyzer.files import walk_inside

REQUIREMENTS = "requirements.txt"
DEFAULT_CONDA = "conda.yaml"
DEFAULT_PYTHON_ENV = "python_env.yaml"
PYFUNC = "python_function"

_SKIPPED_DIRS = frozenset({"__pycache__", ".git"})
_VERSION = re.compile(r"^\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def parse_version_tuple(text: Any) -> tuple[int, ...] | None:
    """``"3.8.10"`` -> ``(3, 8, 10)``; ``"3.8"`` -> ``(3, 8)``; anything else -> None."""
    if text is None:
        return None
    match = _VERSION.match(str(text))
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def model_tree(root: Path) -> tuple[list[Path], list[Path]]:
    """:attr:`ModelDir.tree <modellint.analyzer.model_dir.ModelDir.tree>` of the model dir ``root``."""
    files: list[Path] = []
    links_out: list[Path] = []
    for path, inside in walk_inside(root, root, walked_dir, special_files=True):
        (files if inside else links_out).append(path)
    return files, links_out


def walked_dir(name: str) -> bool:
    """Whether :func:`model_tree` descends into a folder of this name."""
    return name not in _SKIPPED_DIRS


def model_code_basename(code_path: str) -> str:
    """The file a models-from-code model runs: MLmodel records the saving machine's path
    (POSIX or Windows); the loader uses its basename, copied to the model root."""
    return code_path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
