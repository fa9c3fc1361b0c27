"""A small training project, for the rules' ``ProjectValid``/``ProjectInvalid`` examples.

The project keeps its helpers in a package, ``src/``, and its script saves a ``PythonModel``
whose ``predict`` imports them (``from src.utils import double``): what ``code_paths`` must ship
for the saved model to load. Examples vary the script's save call, so each shows the one
argument that makes the rule fire.
"""

from __future__ import annotations

HELPERS = {"src/__init__.py": "", "src/utils.py": "def double(values):\n    return [2 * v for v in values]\n"}

DOUBLER = """\
class Doubler(PythonModel):
    def predict(self, context, model_input, params=None):
        from src.utils import double

        return double(model_input)
"""


def training_project(script: str, at: str = "train.py", extra: dict[str, str] | None = None) -> dict[str, str]:
    """The helper package, the training ``script`` at ``at`` and any ``extra`` files (paths
    relative to the project root)."""
    return {**HELPERS, at: script, **(extra or {})}
