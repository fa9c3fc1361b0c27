from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from modellint.analyzer.serialized.pickles import EmbeddedCode
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, SerializedFileRule, Valid, examples
from modellint.rules._examples import CLEAN, PYTHON_ENV, model_files
from modellint.rules._serialized_examples import by_value_function_pickle

if TYPE_CHECKING:
    from modellint.analyzer.serialized.facts import SerializedFacts

_PY310_ENV = PYTHON_ENV.replace("python: 3.11.7", "python: 3.10.14")


class EmbeddedCodeRule(SerializedFileRule):
    """## What it does
    Reports code stored by value in a pickle: functions and classes that cloudpickle serialised
    with their bytecode (`_make_function`, `CodeType`) because they were defined in `__main__`,
    a notebook, or a lambda. The finding names the modules that code imports when it runs and
    the Python minor its bytecode was compiled for.

    ## Why is this bad?
    It is how every MLflow `PythonModel` written in a notebook is saved, so it is information,
    not an accusation: but the code is not in any source file you can review, its imports are
    invisible to requirement inference (`import tabulate` inside `predict`), and a code object
    only loads on the Python minor that compiled it. That last case is an **error**: when the
    bytecode's Python differs from the Python the model declares, loading fails or crashes.

    ## Example
    ```text
    python_model.pkl: _make_function(CodeType(... co_names=('tabulate',) ...))   # Python 3.11
    python_env.yaml: python: 3.10.14
    ```

    ## Fix
    Move the code into a module shipped with `code_paths` (or use models-from-code), and declare
    the Python version that saved the model.
    """

    code = "ML304"
    name = "embedded-code"
    severity = Severity.INFO
    fix_title = "Move the code into a module shipped with `code_paths`, and declare the Python that saved it"

    VALID = examples(lambda: (Valid(CLEAN),))
    INVALID = examples(lambda: (
        Invalid(model_files(**{"artifacts/fn.pkl": by_value_function_pickle("tabulate")}),
                (("artifacts/fn.pkl", 1),), note="by-value code: information"),
        Invalid(model_files(python_env__yaml=_PY310_ENV, **{"artifacts/fn.pkl": by_value_function_pickle("tabulate")}),
                (("artifacts/fn.pkl", 1),), severity=Severity.ERROR,
                note="bytecode for Python 3.11/3.12, model declares 3.10"),
    ))

    def check(self, model: SerializedFacts) -> Iterator[Finding]:
        python = model.declared_python
        for serialized in model.serialized_files:
            codes = serialized.scan.embedded_code
            if not codes:
                continue
            imports = _joined(dict.fromkeys(module for code in codes for module in code.imports))
            runs = f", importing {imports} when it runs" if imports else ""
            minors = _minors(code for code in codes if code.python_minors)
            foreign = [code for code in codes if python is not None and code.python_minors and python not in code.python_minors]
            if python is not None and foreign:
                yield self.finding(
                    serialized.path,
                    f"`{serialized.relative}` holds {_names(foreign)} as bytecode for Python {_minors(foreign)}; the "
                    f"model declares Python {python[0]}.{python[1]}, where these code objects do not load",
                    severity=Severity.ERROR,
                )
                continue
            compiled = f" (bytecode for Python {minors})" if minors else ""
            yield self.finding(serialized.path, f"`{serialized.relative}` holds {_names(codes)} by value{compiled}{runs}")


_LISTED = 4


def _names(codes: Iterable[EmbeddedCode]) -> str:
    names = list(dict.fromkeys(code.qualname or "<unnamed>" for code in codes))
    more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return "code " + _joined(names[:_LISTED]) + more


def _joined(items: Iterable[str]) -> str:
    return ", ".join(f"`{item}`" for item in items)


def _minors(codes: Iterable[EmbeddedCode]) -> str:
    """The minors every code object fits, or the union when they disagree."""
    sets = [set(code.python_minors) for code in codes]
    if not sets:
        return ""
    common = set.intersection(*sets) or set.union(*sets)
    return " or ".join(f"{major}.{minor}" for major, minor in sorted(common))
