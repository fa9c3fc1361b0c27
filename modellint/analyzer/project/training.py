"""What a training project's save/log call shows that no model dir does.

Rules reach these facts as ``model.training`` on the model the call would write
(:class:`~modellint.analyzer.project.would_be_model.WouldBeModel`); on a model dir that exists
it is None. :class:`~modellint.analyzer.model_dir.ModelDir` declares that attribute with the
type below, so this module imports nothing that imports the model dir.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.project.sources import absolute_path
from modellint.findings import Span
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.analyzer.code.source_imports import ImportFact
    from modellint.analyzer.project.log_calls import MlflowCall
    from modellint.analyzer.project.python_model import ModelCode


class CodePathArgument(Record):
    """One ``code_paths`` entry as written, and what it names on disk."""

    __slots__ = ("text", "path", "span", "source", "outside_project", "exists", "anchored")

    def __init__(self, text: str, path: Path, span: Span, source: Path, outside_project: bool, exists: bool,
                 anchored: bool = False) -> None:
        self.text = text
        self.path = path
        self.span = span
        self.source = source
        self.outside_project = outside_project
        self.exists = exists
        self.anchored = anchored  # built from ``__file__``: ``text`` is the absolute path it names

    @property
    def copied_as(self) -> str:
        """MLflow keeps only the basename of the absolute path: ``src/utils.py`` -> ``code/utils.py``,
        ``../src`` -> ``code/src``."""
        return Path(absolute_path(self.path)).name


class TrainingCall(Record):
    """The facts about one save/log call that only the training project shows.

    ``predict_time_imports`` are imports in the code the model runs that execute only when
    it predicts (inside ``predict`` or helpers), which MLflow's requirement inference sees
    only when the call gives an ``input_example``. ``stand_in_requirements`` are the inferred
    lines named after a module the knowledge base does not know: MLflow would write the name of
    whatever provides it in the training environment, which a static reading cannot see, so the
    module's own name stands in; it is modellint's, never a name to show the user.
    """

    __slots__ = ("call", "project_root", "code_paths", "model_code", "infers_requirements", "has_input_example",
                 "requirements_known", "predict_time_imports", "stand_in_requirements", "sets_signature_later")

    def __init__(self, call: MlflowCall, project_root: Path, code_paths: tuple[CodePathArgument, ...],
                 model_code: ModelCode | None, infers_requirements: bool, has_input_example: bool,
                 requirements_known: bool, predict_time_imports: tuple[ImportFact, ...] = (),
                 stand_in_requirements: frozenset[str] = frozenset(), sets_signature_later: bool = False) -> None:
        self.call = call
        self.project_root = project_root
        self.code_paths = code_paths
        self.model_code = model_code
        self.infers_requirements = infers_requirements
        self.has_input_example = has_input_example
        self.requirements_known = requirements_known
        self.predict_time_imports = predict_time_imports
        self.stand_in_requirements = stand_in_requirements
        # The call's file also calls `mlflow.models.set_signature`, which adds one to a logged model.
        self.sets_signature_later = sets_signature_later
