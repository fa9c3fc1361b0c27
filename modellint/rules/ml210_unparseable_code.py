from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model


def _loaded_from_code_dir(code: dict[str, str | bytes], python: str = "3.11.7") -> dict[str, str | bytes]:
    """A model whose pyfunc ``loader_module`` is ``loader`` in its code dir: loading imports it."""
    files = code_model(code, python=python)
    files["MLmodel"] = str(files["MLmodel"]).replace("loader_module: mlflow.sklearn", "loader_module: loader", 1)
    return files


_LOADER = "from helpers import scale\n\n\ndef _load_pyfunc(path):\n    return scale\n"


class UnparseableCode(Rule):
    """## What it does
    Reports a Python file of the model's code that cannot be parsed: a syntax error, a null
    byte, bytes that are not valid in the file's encoding (UTF-8, or the codec a PEP 263
    `# coding:` line names; an unknown or non-text codec included), nesting deeper than Python
    compiles, a `x.py` that is a FIFO, a device or a dangling symlink. Also a file modellint
    could not analyse at all: over its budgets (512 KiB per file, 2 MiB of source per model,
    2,000 importable files per code directory), or syntax newer than the interpreter running
    modellint that libcst cannot read either.

    Severity follows what loading the model does with the file:

    * **error**: Python refuses the file and loading the model runs it: the models-from-code
      file, the `loader_module` in the code directory, the module of a `PythonModel` pickled by
      reference, anything the model's pickles reference, and every code-dir module those import
      (lazily too). The same when what loading imports is unknown (a pickle could not be read).
    * **warning**: the file is shipped in the code directory but nothing loading the model
      imports it (an import with a computed name could still load it); or modellint could not
      analyse it (a budget, a newer interpreter needed): its imports are unchecked.

    ## Why is this bad?
    Importing the file raises `SyntaxError` (or `ValueError`, `RecursionError`), so
    `mlflow.pyfunc.load_model` fails before any prediction. And a file that cannot be read has
    imports nobody checked: the other ML2xx rules cannot vouch for it.

    ## Example
    ```python
    def predict(context, model_input:    # code/helpers.py: unclosed parenthesis
        return model_input
    ```

    ## Fix
    Fix the syntax error at the line given, or save the file as UTF-8 without an unusual
    `# coding:` line; delete shipped files the model does not need.
    """

    code = "ML210"
    name = "unparseable-code"
    severity = Severity.ERROR
    fix_title = "Fix the file so that Python can parse it, or stop shipping it"

    VALID = examples(lambda: (
        Valid(_loaded_from_code_dir({"loader.py": _LOADER, "helpers.py": "def scale(x):\n    return x\n"})),
        Valid(code_model({"latin.py": "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n".encode("latin-1")}),
              note="a PEP 263 cookie naming a real text codec"),
    ))
    INVALID = examples(lambda: (
        Invalid(_loaded_from_code_dir({"loader.py": _LOADER, "helpers.py": "def scale(x:\n    return x\n"}),
                (("code/helpers.py", 1),), note="a module the loader imports does not parse: the load fails"),
        Invalid(_loaded_from_code_dir({"loader.py": "import os\n\0\n"}), (("code/loader.py", 2),),
                note="a null byte"),
        Invalid(_loaded_from_code_dir({"loader.py": b"# coding: klingon\nimport os\n"}), (("code/loader.py", 1),),
                note="a coding cookie naming an unknown codec"),
        Invalid(code_model({"broken.py": "import os\ndef f(:\n    pass\n"}), (("code/broken.py", 2),),
                severity=Severity.WARNING,
                note="shipped, but the model loads only its skops file: importing it would fail"),
        Invalid(_loaded_from_code_dir({"loader.py": "import os\nprint 'loading'\n"}, python="2.7.18"),
                (("code/loader.py", 2),), severity=Severity.WARNING,
                note="a Python 2 model: modellint's Python 3 parsers leave its imports unchecked"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        python2 = model.declared_python is not None and model.declared_python[0] == 2
        for scan in model.code_scans:
            if not scan.error:
                continue
            relative = _relative(scan.path, model)
            if python2:  # Python 3 parsers judge Python 2 source: its imports are unchecked, no more
                message = (f"cannot check the imports of `{relative}` (the model declares Python 2, modellint "
                           f"reads Python 3): {scan.error}")
                severity = Severity.WARNING
            elif scan.error_kind == "syntax":
                if scan.loaded:
                    consequence = "loading the model imports it and fails"
                else:
                    consequence = "nothing loading the model imports it, but importing it would fail"
                message = f"`{relative}` cannot be parsed ({scan.error}): {consequence}"
                severity = Severity.ERROR if scan.loaded else Severity.WARNING
            else:
                message = f"cannot check the imports of `{relative}`: {scan.error}"
                severity = Severity.WARNING
            yield self.finding(scan.path, message, scan.error_span, severity=severity)


def _relative(path, model: ModelDir) -> str:
    try:
        return path.relative_to(model.root).as_posix()
    except ValueError:
        return path.name
