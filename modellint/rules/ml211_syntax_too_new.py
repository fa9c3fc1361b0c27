from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model
from modellint.rules.ml210_unparseable_code import _loaded_from_code_dir, _relative

_TYPE_ALIAS = "import os\n\ntype Rows = list[dict[str, float]]\n\n\ndef _load_pyfunc(path):\n    return os.fspath(path)\n"


class SyntaxTooNew(Rule):
    """## What it does
    Checks that the model's Python files use only syntax the Python the model declares can
    parse: `type` statements and type parameters (3.12), PEP 701 f-strings that reuse their
    quotes or hold backslashes or comments (3.12), `except*` (3.11), `match` (3.10),
    parenthesised context managers (3.9), assignment expressions (3.8), and the others
    `ast.parse(feature_version=...)` knows, plus those it lets through (decorators that are
    any expression, `*` in subscripts, starred `return` tuples, unparenthesised walrus in a
    subscript).

    The declared Python is the one `python_env.yaml`, `conda.yaml` or MLmodel gives; a training
    project is judged against the Python it pins (`.python-version`, the conda env of the call),
    never against a default. Code pickled by value is bytecode, not source: ML304 checks it.

    When modellint runs on an older Python than the syntax (3.10 reading a 3.12 file), libcst
    reads the file and the syntax that carries a version there (`type`, type parameters and
    their defaults, `except*`) is checked; a file neither can read is ML210's, as unchecked,
    never as a syntax error the declared Python may not have.

    Severity: **error** when loading the model imports the file, **warning** for a shipped
    file nothing loading the model imports.

    ## Why is this bad?
    The serving environment is built with the declared Python: importing the file raises
    `SyntaxError` there, although it ran where the model was trained.

    ## Example
    ```python
    type Rows = list[dict[str, float]]     # the model declares python: 3.11.7
    ```

    ## Fix
    Declare the Python the code was written for, or write the code in the older syntax.
    """

    code = "ML211"
    name = "syntax-too-new"
    severity = Severity.ERROR
    fix_title = "Declare the Python version the code needs, or use syntax the declared one accepts"

    VALID = examples(lambda: (
        Valid(_loaded_from_code_dir({"loader.py": "def _load_pyfunc(path):\n    match path:\n"
                                                  "        case _:\n            return path\n"})),
        Valid(_loaded_from_code_dir({"loader.py": _TYPE_ALIAS}, python="3.12.7"),
              note="a `type` statement on a model declaring Python 3.12"),
    ))
    INVALID = examples(lambda: (
        Invalid(_loaded_from_code_dir({"loader.py": _TYPE_ALIAS}), (("code/loader.py", 3),),
                note="Python 3.12 syntax in a model declaring 3.11"),
        Invalid(code_model({"tools.py": "def first(items):\n    if (n := len(items)):\n        return n\n"},
                           python="3.7.17"), (("code/tools.py", 2),), severity=Severity.WARNING,
                note="a shipped file nothing loading the model imports; a walrus on Python 3.7"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        if not model.code_scans:
            return
        from modellint.analyzer.code.scans import syntax_python  # here: it loads the import scanner (ast)

        python = syntax_python(model.source_python)
        if python is None:
            return
        declared = f"{python[0]}.{python[1]}"
        for scan in model.code_scans:
            found = scan.too_new
            if found is None:
                continue
            needs = f", Python {found.python[0]}.{found.python[1]}+ syntax" if found.python else ""
            consequence = ("importing it there raises SyntaxError when the model loads" if scan.loaded
                           else "nothing loading the model imports it, but importing it would fail")
            yield self.finding(
                scan.path,
                f"`{_relative(scan.path, model)}` uses {found.feature}{needs}, but the model declares Python "
                f"{declared}: {consequence}",
                found.span,
                severity=Severity.ERROR if scan.loaded else Severity.WARNING,
            )
