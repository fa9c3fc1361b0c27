from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.command_sinks import command_call
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._code_examples import loaded_code_model
from modellint.rules._examples import MODELS_FROM_CODE_MLMODEL, model_files

# The methods of a model class MLflow calls itself: when, and how bad a command there is.
_AT_LOAD = {"load_context": "MLflow calls it on every load of the model, before any request",
            "__setstate__": "unpickling the model calls it, on every load"}
_AT_PREDICT = {"predict": "it runs on every prediction", "predict_stream": "it runs on every streamed prediction"}


def _model_code(method: str, body: str) -> dict[str, str | bytes]:
    source = ("import subprocess\n\nimport mlflow\n\n\nclass Scorer(mlflow.pyfunc.PythonModel):\n"
              f"    def {method}(self, context, model_input=None):\n{body}\n\n\nmlflow.models.set_model(Scorer())\n")
    return model_files(MLmodel=MODELS_FROM_CODE_MLMODEL, model__skops=None, model_code__py=source)


_FETCH = "        subprocess.run(['aws', 's3', 'sync', 's3://bucket/weights', '/tmp/weights'], check=True)"
_HELPER = ("        def warm_up():\n            subprocess.run(['nvidia-smi'])\n\n"
           "        self.warm_up = warm_up")
_PLAIN = "        self.weights = context.artifacts['weights']"


class CommandInModelMethod(Rule):
    """## What it does
    Reports a command or code evaluation (`os.system`, `subprocess.*`, the `os.exec*`/`os.spawn*`
    family, `pty.spawn`, `runpy.run_*`, the `eval`/`exec`/`compile` builtins) called in the body of
    a model class's method that MLflow calls itself, in a code-dir module that loading the model
    imports or in a models-from-code file:

    - `load_context` (MLflow calls it on every load) and `__setstate__` (unpickling calls it): an
      error, like a command at import (ML212);
    - `predict` and `predict_stream`: a warning, since it runs on every request.

    Calls in functions nested inside those methods, and in other methods, are not reported: they
    run when called, which a static reader cannot tie to the load. By-value pickled code is ML302's.

    ## Why is this bad?
    It runs in the serving process with the endpoint's credentials, on every load or request: a
    shell command in a model nobody reviewed at that level. The common benign forms, fetching
    weights with a CLI or installing a package in `load_context`, fail on images without network
    access or the tool, and hide what belongs in the model's artifacts or requirements.

    ## Example
    ```python
    class Scorer(mlflow.pyfunc.PythonModel):
        def load_context(self, context):
            subprocess.run(["aws", "s3", "sync", "s3://bucket/weights", "/tmp/weights"], check=True)
    ```

    ## Fix
    Log what the model needs as artifacts (`artifacts={"weights": ...}`) and declare packages in its
    requirements; call external tools, if at all, from code a reviewer expects to run them.
    """

    code = "ML213"
    name = "command-in-model-method"
    severity = Severity.ERROR
    fix_title = "Log the files as artifacts or declare the dependency instead of running a command"

    VALID = examples(lambda: (
        Valid(_model_code("load_context", _PLAIN), note="loading an artifact is load_context's job"),
        Valid(_model_code("load_context", _HELPER), note="a nested function: runs only if called"),
        Valid(_model_code("describe", _FETCH), note="a method MLflow never calls by itself"),
    ))
    INVALID = examples(lambda: (
        Invalid(_model_code("load_context", _FETCH), (("model_code.py", 8),), note="a command on every load"),
        Invalid(_model_code("predict", _FETCH), (("model_code.py", 8),), severity=Severity.WARNING,
                note="a command on every prediction"),
        Invalid(loaded_code_model("scorer.py", "import os\n\n\nclass Scorer:\n    def __setstate__(self, state):\n"
                                               "        os.system('pip install lightgbm')\n"),
                (("code/scorer.py", 6),), note="a code-dir module the loader imports"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for scan in model.code_scans:
            if scan.path.suffix != ".py" or not scan.loaded:
                continue  # by-value pickled code is ML302's: it knows when that code runs
            for call in scan.calls:
                method = call.method.rpartition(".")[2]
                when = _AT_LOAD.get(method) or _AT_PREDICT.get(method)
                if when is None or call.type_checking:
                    continue
                shown = command_call(call.function, call.resolved)
                if shown is not None:
                    yield self.finding(scan.path, f"`{call.method}` calls `{shown}`: {when}", call.span,
                                       severity=self.severity if method in _AT_LOAD else Severity.WARNING)
