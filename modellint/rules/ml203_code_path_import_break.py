from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from modellint.analyzer.code.import_resolution import Kind, checked_imports, describe
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Fix, Severity
from modellint.rules._base import FixAvailability, Invalid, ProjectInvalid, ProjectValid, Rule, Valid, examples
from modellint.rules._code_examples import code_model
from modellint.rules._project_examples import DOUBLER, training_project

_UTILS = "def double(x):\n    return 2 * x\n"
_USES_SRC = "from src.utils import double\n\n\ndef predict(rows):\n    return [double(r) for r in rows]\n"

# A training script whose model imports `src.utils` (line 7) and ships only the file.
_TRAIN = f"""\
import mlflow
from mlflow.pyfunc import PythonModel


{DOUBLER}

code_paths = [
    'src/utils.py',  # the helpers
]
mlflow.pyfunc.save_model("model", python_model=Doubler(), code_paths=code_paths, input_example=[1, 2])
"""
_IMPORTS_MORE = _TRAIN.replace("from src.utils import double\n",
                               "from src.utils import double\n        from src.more import triple\n")


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
    import the module by the name it has in `code/` (`from utils import double`). In a
    training project `--fix` rewrites the entry (`"src/utils.py"` -> `"src"`) when it is a plain
    string whose path spells the import's package; a model dir has to be saved again.
    """

    code = "ML203"
    name = "code-path-import-break"
    severity = Severity.ERROR
    fix_title = "Pass the package directory in `code_paths` (`[\"src\"]`), not the file"
    fix_availability = FixAvailability.SOMETIMES  # in a training project, for a plain string literal

    VALID = examples(lambda: (
        Valid(code_model({"src/__init__.py": "", "src/utils.py": _UTILS, "model.py": _USES_SRC}),
              note="code_paths=['src'] keeps the package"),
        Valid(code_model({"utils.py": _UTILS, "model.py": "from utils import double\n"})),
        Valid(code_model({"utils.py": _UTILS, "model.py": "import sklearn.utils\n"}),
              note="a declared distribution's submodule that shares a name with a code file"),
        ProjectValid(training_project(_TRAIN.replace("'src/utils.py',", "'src',")), note="the package directory"),
    ))
    INVALID = examples(lambda: (
        Invalid(code_model({"utils.py": _UTILS, "model.py": _USES_SRC}), (("code/model.py", 1),)),
        Invalid(code_model({"utils.py": _UTILS, "model.py": "def predict(rows):\n    from src import utils\n"}),
                (("code/model.py", 2),)),
        ProjectInvalid(training_project(_TRAIN), (("train.py", 7),),
                       fixed={"train.py": _TRAIN.replace("'src/utils.py',", "'src',")},
                       note="the fix ships the package and touches only the literal"),
        ProjectInvalid(training_project(_IMPORTS_MORE.replace("'src/utils.py',", "'src/utils.py', 'src/more.py',"),
                                        extra={"src/more.py": "def triple(v):\n    return v\n"}),
                       (("train.py", 7), ("train.py", 8)),
                       fixed={"train.py": _IMPORTS_MORE.replace("'src/utils.py',", "'src', 'src/more.py',")},
                       note="two `src` entries would make MLflow refuse the save: only the first is rewritten"),
        ProjectInvalid(training_project(_TRAIN.replace("'src/utils.py'", "'lib/utils.py'"),
                                        extra={"lib/utils.py": "def double(v):\n    return v\n"}),
                       (("train.py", 7),), note="no fix: no directory makes `src.utils` of `lib/utils.py`"),
        ProjectInvalid(training_project(_TRAIN.replace("from src.utils import double\n",
                                                       "from src.utils import double\n        import utils\n")),
                       (("train.py", 7),),
                       note="no fix: `import utils` needs the flat copy that shipping `src` would take away"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        planned: dict[str, object] = {}  # directory -> the entry whose fix ships it (one per directory)
        imports = checked_imports(model)
        # Top-level code-dir names other imports load as they are: a fix must not take them away.
        used_flat = {checked.resolution.module.split(".")[0] for checked in imports
                     if checked.resolution.kind is Kind.BUNDLED}
        for checked in imports:
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
                fix=None if resolution.bundled_as in used_flat else _ship_package_fix(model, checked, planned),
            )


def _ship_package_fix(model: ModelDir, checked, planned: dict) -> Fix | None:
    """In a training project: rewrite the ``code_paths`` entry that shipped the flattened module
    (``"src/utils.py"``) to the package directory the import names (``"src"``).

    Only when the entry's own path spells the import's package path, the directory exists, no
    other entry is copied under that name (MLflow refuses two directories with one basename),
    and no other import uses the flat copy (`import utils` would break).
    """
    training = model.training
    if training is None:
        return None
    resolution, fact = checked.resolution, checked.fact
    chain = [*resolution.module.split("."), *(name for name in fact.names if name and name != "*")]
    depth = chain.index(resolution.bundled_as, 1) if resolution.bundled_as in chain[1:] else 0
    if depth == 0:
        return None
    shipped = [entry for entry in training.code_paths
               if entry.exists and Path(entry.copied_as).stem == resolution.bundled_as]
    if not shipped or shipped[-1].anchored:
        return None  # a path built in code is not a string to rewrite
    entry = shipped[-1]  # the last entry with a basename wins the copy, as in MLflow
    parts = PurePosixPath(entry.text.replace("\\", "/").rstrip("/")).parts
    if len(parts) <= depth or [*parts[-depth - 1:-1]] != chain[:depth] \
            or PurePosixPath(parts[-1]).stem != resolution.bundled_as:
        return None
    package = Path(entry.path)
    for _ in range(depth):
        package = package.parent
    new_text = PurePosixPath(*parts[:len(parts) - depth]).as_posix()
    if not package.is_dir() or package.name != chain[0]:
        return None
    others = [other for other in training.code_paths if other is not entry and other.copied_as == chain[0]]
    if others or planned.setdefault(new_text, entry) is not entry:
        return None
    from modellint.fixes.project_edits import rewrite_entry  # here: it imports ast for the training script

    return rewrite_entry(entry.source, entry.span, entry.text, new_text,
                         f"Ship the package: `code_paths` entry `{new_text}`")
