from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.import_resolution import Kind, checked_imports, describe
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid
from modellint.rules._code_examples import code_model

_UTILS = "def double(x):\n    return 2 * x\n"
_USES_SRC = "from src.utils import double\n\n\ndef predict(rows):\n    return [double(r) for r in rows]\n"


class CodePathImportBreak(Rule):
    """## What it does
    Finds imports that only worked in the training project's layout: the code imports `a.b`
    (or `from a import b`) where the code directory holds `b` but no `a`.

    ## Why is this bad?
    MLflow copies each `code_paths` entry by its **basename** into `code/` and puts only `code/`
    on `sys.path`. With `code_paths=["src/utils.py"]` the file lands at `code/utils.py`, so
    `from src.utils import double` fails with `ModuleNotFoundError: No module named 'src'` when
    the model predicts. Saving does not notice: requirement inference runs with the project's
    `sys.path`, where `src` is importable.

    ## Example
    ```python
    mlflow.pyfunc.save_model("model", python_model=Model(), code_paths=["src/utils.py"])
    # predict: from src.utils import double  ->  code/utils.py, no code/src/
    ```

    ## Fix
    Pass the package directory (`code_paths=["src"]`, which keeps `code/src/utils.py`), or
    import the module by the name it has in `code/` (`from utils import double`).
    """

    code = "ML203"
    name = "code-path-import-break"
    severity = Severity.ERROR
    fix_title = "Pass the package directory in `code_paths` (`[\"src\"]`), not the file"

    VALID = (
        Valid(code_model({"src/__init__.py": "", "src/utils.py": _UTILS, "model.py": _USES_SRC}),
              note="code_paths=['src'] keeps the package"),
        Valid(code_model({"utils.py": _UTILS, "model.py": "from utils import double\n"})),
        Valid(code_model({"utils.py": _UTILS, "model.py": "import sklearn.utils\n"}),
              note="a declared distribution's submodule that shares a name with a code file"),
    )
    INVALID = (
        Invalid(code_model({"utils.py": _UTILS, "model.py": _USES_SRC}), (("code/model.py", 1),)),
        Invalid(code_model({"utils.py": _UTILS, "model.py": "def predict(rows):\n    from src import utils\n"}),
                (("code/model.py", 2),)),
    )

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for checked in checked_imports(model):
            resolution = checked.resolution
            if resolution.kind is not Kind.FLATTENED:
                continue
            top = resolution.module.split(".")[0]
            code_dir = model.code_dirs[0][1] if model.code_dirs else "code"
            yield self.finding(
                checked.fact.path,
                f"{describe(checked.fact, resolution.module)} fails with \"No module named '{top}'\": "
                f"`{code_dir}/` holds `{resolution.bundled_as}` but no `{top}`, because `code_paths` entries "
                f"are copied by basename",
                checked.fact.span,
            )
