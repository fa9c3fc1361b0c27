"""Example models for the installability rules (ML503-ML506): the clean model with other pins or
another declared Python."""

from __future__ import annotations

from modellint.rules._code_examples import requirement_files
from modellint.rules._examples import MLMODEL, PYTHON_ENV, model_files


def with_requirements(*pip: str, python: str = "3.11.7") -> dict[str, str | bytes]:
    """The clean model declaring ``python`` everywhere, with ``pip`` as its requirements."""
    return model_files(MLmodel=MLMODEL.replace("python_version: 3.11.7", f"python_version: {python}"),
                       python_env__yaml=PYTHON_ENV.replace("python: 3.11.7", f"python: {python}"),
                       **{name.replace(".", "__"): text for name, text in requirement_files(*pip, python=python).items()})
