"""A model dir's requirements through uv: which list, for which Python and platform, and where
uv's answer belongs in the model's files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.record import Record
from modellint.resolve import inputs, runner

if TYPE_CHECKING:
    from modellint.analyzer.environment.requirements import RequirementLine, RequirementsList
    from modellint.analyzer.model_dir import ModelDir

# Outcomes that say the requirements cannot be installed as declared there.
FAILED = frozenset({"unsatisfiable", "invalid_requirements"})


class Resolution(Record):
    """``status``: ``resolved``, a failure (:data:`FAILED`), ``needs_build`` (only an sdist or a
    local project answers, which ``--resolve`` never builds) or anything else: not checked.
    ``path`` and ``line`` say where it belongs (``line`` None: the list as a whole); ``target`` is
    ``Python 3.10.11 on linux/x86_64``."""

    __slots__ = ("status", "explanation", "path", "line", "target")

    def __init__(self, status: str, explanation: tuple[str, ...], path: Path, line: RequirementLine | None,
                 target: str) -> None:
        self.status = status
        self.explanation = explanation
        self.path = path
        self.line = line
        self.target = target


def resolve_model(model: ModelDir, uv: str) -> Resolution | None:
    """uv's answer for the list a fresh environment installs: requirements.txt (MLflow's
    virtualenv and uv environment managers), else the conda file's ``pip:`` list. None when the
    model declares no requirement at all (ML101 says so)."""
    chosen = _installed_list(model)
    if chosen is None:
        return None
    requirements, read_from_disk = chosen
    target = model.serving_platform
    if target is None:
        return Resolution("no_python", ("the model declares no Python 3: name one with --python-version",),
                          requirements.path, None, "an undeclared Python")
    with tempfile.TemporaryDirectory(prefix="modellint-resolve-") as scratch:
        try:
            prepared = inputs.prepare(requirements, model.root, Path(scratch), read_from_disk=read_from_disk)
        except inputs.Unresolvable as refused:
            return Resolution("refused", (str(refused),), requirements.path, refused.line, target.description)
        names = [line.name for line in prepared.lines if line.name]
        outcome = runner.resolve(uv, prepared.file, target.python_text, target.resolver_platform, names)
    line = next((line for line in prepared.lines if line.name == outcome.blamed), None) if outcome.blamed else None
    return Resolution(outcome.status, outcome.explanation, line.path if line else requirements.path, line,
                      target.description)


def _installed_list(model: ModelDir) -> tuple[RequirementsList, bool] | None:
    if model.requirements is not None:
        return (model.requirements, True) if model.requirements.lines else None
    if os.path.lexists(model.path("requirements.txt")):
        return None  # there but unreadable (ML110): the conda list is not what gets installed
    if model.conda is not None and model.conda.pip is not None and model.conda.pip.lines:
        return model.conda.pip, False
    return None
