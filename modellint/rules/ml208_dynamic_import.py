from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model

_PLUGIN = "import importlib\n\n\ndef load(name):\n    return importlib.import_module(f'plugins.{name}')\n"


class DynamicImport(Rule):
    """## What it does
    Reports `importlib.import_module(expr)` and `__import__(expr)` calls whose module name is
    computed at run time, in the code the model runs (including code pickled by value, whose
    call arguments are constants modellint cannot pair with the call).

    ## Why is this bad?
    modellint cannot know which module such a call loads, so it cannot check that the serving
    environment provides it (ML201). Nothing is wrong by itself: this is a note that the check
    has a blind spot.

    ## Example
    ```python
    backend = importlib.import_module(f"plugins.{name}")
    ```

    ## Fix
    Import the candidates explicitly (a dict of modules), or make sure every module the name can
    take is shipped or declared, then suppress the finding.
    """

    code = "ML208"
    name = "dynamic-import"
    severity = Severity.INFO
    fix_title = None

    VALID = examples(lambda: (
        Valid(code_model({"loader.py": "import importlib\n\nyaml = importlib.import_module('yaml')\n"})),
    ))
    INVALID = examples(lambda: (
        Invalid(code_model({"plugins_loader.py": _PLUGIN}), (("code/plugins_loader.py", 5),)),
        Invalid(code_model({"loader.py": "def load(name):\n    return __import__(name)\n"}), (("code/loader.py", 2),)),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for scan in model.code_scans:
            for span in scan.dynamic_unknown:
                yield self.finding(
                    scan.path,
                    "`importlib.import_module` / `__import__` is called with a module name computed at run time: "
                    "which module it loads cannot be checked",
                    span,
                )
