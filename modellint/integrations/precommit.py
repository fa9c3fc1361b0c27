"""The pre-commit hook's view of a change: which model dirs and training projects to lint.

pre-commit hands a hook the changed files, but modellint lints whole directories. Like the
helm and terraform hooks, each file is mapped to the unit it belongs to and each unit is linted
once, however many of its files changed:

* a file inside a model dir (the nearest ancestor holding ``MLmodel``, not looking above the
  repository) stands for that model dir;
* a ``.py`` file or notebook (``.ipynb``) that calls ``mlflow.<flavor>.save_model/log_model``
  stands for its training project, as ``modellint check train.py`` does: the script's folder;
* anything else (a README, a helper module) maps to nothing and is ignored.

A project folder below another one is dropped when linting the outer one already reads it,
so a script is never linted (and reported) twice. A file below a folder the user excludes
(`exclude`/`extend-exclude`) is dropped, as Ruff's `force-exclude` does for its hook; the
configuration is the repository's (from the working directory up, never inside a model dir).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def hook_paths(files: Iterable[Path], root: Path) -> list[Path]:
    """The paths to hand to ``modellint check`` for ``files`` changed in the repository at ``root``.

    Model dirs come back as directories; a training project as one of its changed scripts
    (``check`` turns a script into its folder's project, whereas the folder itself would be
    searched for model dirs first).
    """
    root = Path(os.path.abspath(root))
    models: set[Path] = set()
    scripts: dict[Path, Path] = {}  # project folder -> a changed training script in it
    for file in files:
        path = Path(os.path.abspath(root / file))
        try:
            model = model_dir_of(path, root)
            is_script = model is None and _logs_models(path)
        except OSError:  # a name the file system refuses (too long): there is nothing to lint
            continue
        if model is not None:
            models.add(model)
        elif is_script:
            scripts.setdefault(path.parent, path)
    projects = _outermost(sorted(scripts))
    return sorted(models) + [scripts[project] for project in projects]


def model_dir_of(path: Path, root: Path) -> Path | None:
    """The model dir ``path`` belongs to; never above ``root`` when ``path`` is inside it."""
    from modellint.targets import nearest_model_root

    start = path if path.is_dir() else path.parent
    return nearest_model_root(start, stop=root if start == root or root in start.parents else None)


def _logs_models(path: Path) -> bool:
    if path.suffix not in (".py", ".ipynb") or not path.is_file():
        return False
    from modellint.analyzer.project.sources import has_training_calls

    return has_training_calls(path)


def _outermost(folders: list[Path]) -> list[Path]:
    """``folders`` (sorted) without those that linting an enclosing one already covers."""
    from modellint.analyzer.project.sources import searched_below

    kept: list[Path] = []
    for folder in folders:
        if not any(outer in folder.parents and searched_below(outer, folder) for outer in kept):
            kept.append(folder)
    return kept

