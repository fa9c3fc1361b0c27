from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import FixAvailability, Invalid, ProjectInvalid, ProjectValid, Rule, Valid, examples
from modellint.rules._code_examples import code_model
from modellint.rules._project_examples import DOUBLER, training_project

_SYS_PATH_CALLS = frozenset({"sys.path.append", "sys.path.insert", "sys.path.extend", "site.addsitedir"})

# A training script in `job/` that reaches the project's `src/` by climbing out of the working directory.
_JOB_TRAIN = f'''\
"""Train from inside job/: the helpers live next to it."""
from __future__ import annotations

import mlflow
from mlflow.pyfunc import PythonModel


{DOUBLER}

mlflow.pyfunc.save_model("model", python_model=Doubler(), code_paths=["../src"], input_example=[1, 2])
'''
_ANCHORED = 'os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")'


class CodePathOutsideProject(Rule):
    """## What it does
    Flags code paths that climb out of their base directory: a `code_paths=["../src"]` entry of
    a training project's save/log call, and, in a model directory, code that puts such a
    relative path on `sys.path` (`sys.path.append("../src")`).

    ## Why is this bad?
    A relative `code_paths` entry resolves against the current working directory, not the
    script, so the save breaks (or copies something else) when the script is run from another
    directory; and MLflow drops the parent part when it copies (`../src` becomes `code/src/`),
    so imports written against the original layout may not match. A relative `sys.path` entry
    in the model's code resolves against the serving process's working directory, which has no
    such directory.

    ## Example
    ```python
    mlflow.pyfunc.log_model(name="model", python_model=Model(), code_paths=["../src"])
    ```

    ## Fix
    Keep the code inside the project and pass it by a path below the script
    (`code_paths=["src"]`), or build the path from the script's own location, which MLflow
    accepts as an absolute path and copies by its basename all the same. `--fix --unsafe-fixes`
    rewrites `"../src"` to `os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")`
    (adding `import os` if needed); unsafe, because it keeps the meaning only for runs started
    from the script's directory. In the model's code, import shipped modules from `code/`
    instead of extending `sys.path`.
    """

    code = "ML204"
    name = "code-path-outside-project"
    severity = Severity.WARNING
    fix_title = "Pass code paths that stay inside the project"
    fix_availability = FixAvailability.SOMETIMES  # in a training project, for a plain string literal

    VALID = examples(lambda: (
        Valid(code_model({"model.py": "import os\nimport sys\n\nsys.path.append(os.path.dirname(__file__))\n"})),
        Valid(code_model({"model.py": "import sys\nfrom pathlib import Path\n\n"
                                      "sys.path.insert(0, str(Path(__file__).parent / 'vendor'))\n"}),
              note="a path built from the module's own location"),
        ProjectValid(training_project(_JOB_TRAIN.replace('["../src"]', '["src"]'), at="train.py"),
                     note="a script beside the code it ships"),
    ))
    INVALID = examples(lambda: (
        Invalid(code_model({"model.py": "import sys\n\nsys.path.append('../src')\n"}), (("code/model.py", 3),)),
        Invalid(code_model({"model.py": "import sys\n\n\ndef load():\n    sys.path.insert(0, '..')\n"}),
                (("code/model.py", 5),)),
        ProjectInvalid(training_project(_JOB_TRAIN, at="job/train.py"), (("job/train.py", 15),),
                       fixed={"job/train.py": _JOB_TRAIN.replace('["../src"]', f"[{_ANCHORED}]")
                              .replace("import mlflow\n", "import os\nimport mlflow\n", 1)},
                       note="the fix builds the path from the script's location, adding `import os`"),
        ProjectInvalid(training_project(_JOB_TRAIN.replace("import mlflow\n", "import os\n\nimport mlflow\n", 1)
                                        .replace('"../src"', "'../src'"), at="job/train.py"),
                       (("job/train.py", 17),),
                       fixed={"job/train.py": _JOB_TRAIN.replace("import mlflow\n", "import os\n\nimport mlflow\n", 1)
                              .replace('"../src"', _ANCHORED.replace('"', "'"))},
                       note="an existing `import os` is used, and the literal's quotes kept"),
        ProjectInvalid(training_project(_JOB_TRAIN.replace("import mlflow\n", "from pathlib import Path as os\n"
                                                                           "import mlflow\n", 1), at="job/train.py"),
                       (("job/train.py", 16),), note="no fix: `os` names something else"),
        ProjectInvalid(training_project(_JOB_TRAIN.replace("import mlflow\n", "os = None\nimport mlflow\n", 1),
                                        at="job/train.py"),
                       (("job/train.py", 16),), note="no fix: `os` is a variable"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        training = model.training
        if (training is None or not training.code_paths) and not model.code_scans:
            return
        # Imported here: they load ast, which a model without code or training script never needs.
        from modellint.analyzer.project.sources import climbs_out
        from modellint.fixes.project_edits import anchor_entry

        for entry in (training.code_paths if training is not None else ()):
            if entry.outside_project:
                if climbs_out(entry.text):
                    message = (f"`code_paths` entry `{entry.text}` climbs out with `..`: it resolves against the "
                               "directory the script is run from, and MLflow copies it without its parent part")
                    fix = anchor_entry(entry.source, entry.span, entry.text,
                                       f"Build `{entry.text}` from the script's own directory (`__file__`)")
                else:
                    message = (f"`code_paths` entry `{entry.text}` is an absolute path outside the project: "
                               "it exists only on this machine")
                    fix = None
                yield self.finding(entry.source, message, entry.span, fix=fix)
        for scan in model.code_scans:
            for call in scan.calls:
                if call.function not in _SYS_PATH_CALLS:
                    continue
                for text in call.strings:
                    if climbs_out(text):
                        yield self.finding(
                            scan.path,
                            f"`{call.function}` adds `{text}`, which climbs out of the code directory and resolves "
                            "against the serving process's working directory",
                            call.span,
                        )
