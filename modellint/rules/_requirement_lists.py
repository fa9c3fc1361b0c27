"""The pip requirement lists of a model: requirements.txt and the conda file's `pip:` list."""

from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.requirements import RequirementLine, RequirementsList

MLFLOW_DISTRIBUTIONS = frozenset({"mlflow", "mlflow-skinny", "mlflow-tracing"})


def pip_lists(model: ModelDir) -> Iterator[RequirementsList]:
    if model.requirements is not None:
        yield model.requirements
    if model.conda is not None and model.conda.pip is not None:
        yield model.conda.pip


def pip_lines(model: ModelDir) -> Iterator[RequirementLine]:
    for requirements_list in pip_lists(model):
        yield from requirements_list.lines
