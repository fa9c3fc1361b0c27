from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.code.import_resolution import Kind, checked_imports, declared_python3, describe, stdlib_pythons
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model

_TOMLLIB = "import tomllib\n\n\ndef settings(path):\n    with open(path, 'rb') as f:\n        return tomllib.load(f)\n"
_TOMLLIB_GUARDED = "try:\n    import tomllib\nexcept ModuleNotFoundError:\n    import tomli as tomllib\n"


def _on_python_310(code: dict[str, str]) -> dict[str, str | bytes]:
    """A clean model with ``code`` on Python 3.10.13, trained with a scikit-learn that installs
    there (1.9.1, the clean model's, needs 3.11)."""
    files = code_model(code, "tomli==2.0.1", python="3.10.13")
    return {name: text.replace("scikit-learn==1.9.1", "scikit-learn==1.7.2").replace("sklearn_version: 1.9.1",
                                                                                      "sklearn_version: 1.7.2")
            if isinstance(text, str) else text for name, text in files.items()}


def _version_range(pythons: tuple[tuple[int, int], ...]) -> str:
    first, last = pythons[0], pythons[-1]
    if last == (3, 14):
        return f"Python {first[0]}.{first[1]}+"
    return f"Python {first[0]}.{first[1]} to {last[0]}.{last[1]}"


class StdlibTooNew(Rule):
    """## What it does
    Checks that every standard-library module the model's code imports exists in the Python
    version the model declares (`python_env.yaml`, else `conda.yaml`, else MLmodel): modules
    added later (`tomllib` is 3.11+) and modules removed (`distutils`, `imp`, `asynchat` are
    gone from 3.12; `cgi`, `imghdr`, `telnetlib` from 3.13).

    ## Why is this bad?
    The serving environment is built with the declared Python, whatever the training machine
    ran; the import fails there with `ModuleNotFoundError`.

    ## Example
    ```python
    import tomllib          # the model declares python: 3.10.13
    ```

    ## Fix
    Declare the Python the code was written for, or guard the import with a fallback
    (`except ModuleNotFoundError: import tomli as tomllib`) and declare the backport.
    """

    code = "ML205"
    name = "stdlib-too-new"
    severity = Severity.ERROR
    fix_title = "Declare a Python version whose standard library has the module, or use a backport"

    VALID = examples(lambda: (
        Valid(code_model({"config.py": _TOMLLIB})),
        Valid(_on_python_310({"config.py": _TOMLLIB_GUARDED})),
        Valid(_on_python_310({"config.py": "import sys\n\nif sys.version_info >= (3, 11):\n    import tomllib\n"
                                           "else:\n    import tomli as tomllib\n"}),
              note="the branch the declared Python never takes"),
        Valid(code_model({"legacy.py": "from distutils.version import LooseVersion\n"}, python="3.12.7"),
              note="setuptools (a build dependency in python_env.yaml) provides distutils from 3.12"),
    ))
    INVALID = examples(lambda: (
        Invalid(code_model({"config.py": _TOMLLIB}, python="3.10.13"), (("code/config.py", 1),)),
        Invalid(code_model({"legacy.py": "def load(path):\n    import imp\n    return imp.load_source('m', path)\n"},
                           python="3.12.7"),
                (("code/legacy.py", 2),)),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        python = declared_python3(model)
        if python is None:
            return
        for checked in checked_imports(model):
            resolution = checked.resolution
            if resolution.kind is not Kind.STDLIB_MISSING:
                continue
            top = resolution.module.split(".")[0]
            pythons = stdlib_pythons(top)
            if not pythons:
                continue
            if python < pythons[0]:
                change, boundary = "added in", pythons[0]
            else:
                change, boundary = "removed in", (3, pythons[-1][1] + 1)
            yield self.finding(
                checked.fact.path,
                f"{describe(checked.fact, resolution.module)} is standard library only in {_version_range(pythons)} "
                f"({change} {boundary[0]}.{boundary[1]}), but the model declares Python {python[0]}.{python[1]}",
                checked.fact.span,
            )
