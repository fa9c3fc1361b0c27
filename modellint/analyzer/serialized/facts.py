"""What a model dir and a lone serialized file both offer: the facts a rule that judges only
serialized files reads.

``modellint check model.pkl`` has no MLmodel and no environment, only the file. The rules that
judge it (``standalone_file=True`` in their RULE_TABLE entry) take a :class:`SerializedFacts`,
which :class:`~modellint.analyzer.model_dir.ModelDir` (and the would-be model of a training
project, a ModelDir too) and :class:`~modellint.analyzer.serialized.inventory.StandaloneFile`
both satisfy; every other rule takes a ModelDir.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from modellint.analyzer.serialized.inventory import SerializedFile


class SerializedFacts(Protocol):
    """The serialized files to judge, where they lie and the Python they must load under."""

    @property
    def root(self) -> Path:
        """The model dir, or the directory holding the lone file."""

    @property
    def serialized_files(self) -> Sequence[SerializedFile]:
        """Every serialized file, scanned statically (never loaded)."""

    @property
    def declared_python(self) -> tuple[int, int] | None:
        """The Python the files are loaded under, when the model declares one (a lone file: never)."""

    def loaded_by_mlflow(self, relative: str) -> bool:
        """Whether loading the model may read the serialized file at ``relative`` (a lone file: always)."""
