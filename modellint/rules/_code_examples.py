"""Model dirs with a code directory, for the ML2xx rules' VALID/INVALID examples.

The clean sklearn model of :mod:`modellint.rules._examples` with ``code: code`` added to its
``python_function`` flavor (line 4 of MLmodel), the given files under ``code/``, and the same
requirement list in requirements.txt and conda.yaml so that no other rule has anything to say.
"""

from __future__ import annotations

from collections.abc import Mapping

from modellint.rules._examples import CLEAN_PIP, MLMODEL, PYTHON_ENV, conda, model_files, requirements

MLMODEL_WITH_CODE = MLMODEL.replace("    env:\n", "    code: code\n    env:\n", 1)


def requirement_files(*pip: str, python: str = "3.11.7") -> dict[str, str]:
    """requirements.txt and conda.yaml listing ``pip`` in this order: what a model has, or what a
    fix that adds a requirement must leave (an example's ``fixed``)."""
    return {"requirements.txt": requirements(*pip), "conda.yaml": conda(*pip, python=python)}


def code_model(code: Mapping[str, str | bytes], *extra_requirements: str, python: str = "3.11.7",
               root_files: dict[str, str] | None = None) -> dict[str, str | bytes]:
    """A clean model whose code dir holds ``code`` (paths relative to ``code/``)."""
    files = model_files(
        MLmodel=MLMODEL_WITH_CODE.replace("python_version: 3.11.7", f"python_version: {python}"),
        python_env__yaml=PYTHON_ENV.replace("python: 3.11.7", f"python: {python}"),
    )
    files.update(requirement_files(*CLEAN_PIP, *extra_requirements, python=python))
    files.update({f"code/{name}": text for name, text in code.items()})
    files.update(root_files or {})
    return files


def loaded_code_model(name: str, source: str) -> dict[str, str | bytes]:
    """A model whose pyfunc loader is ``code/custom_loader.py``, which imports ``code/<name>``:
    what loading the model runs."""
    files = code_model({"custom_loader.py": f"import {name.removesuffix('.py')}\n\n\ndef _load_pyfunc(path):\n"
                                            "    return None\n", name: source})
    files["MLmodel"] = str(files["MLmodel"]).replace("loader_module: mlflow.sklearn", "loader_module: custom_loader")
    return files
