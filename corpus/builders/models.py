"""Model-directory corpus: ``corpus/models/<case>/`` and ``corpus/projects/<case>/``.

Run by ``corpus/build.py`` (inside the MLflow 3.x venv). Every *built* case is a small training
project (``corpus/projects/<case>/``) that is copied to ``$MODELLINT_CORPUS_WORK/<case>`` (a fixed
scratch path, so the absolute paths MLflow writes are the same on every rebuild) and run there
with the interpreter of the right venv; the model directory it writes is copied to
``corpus/models/<case>/``. Every *derived* case is a copy of a built model with one minimal,
hand-written edit (recorded in ``CASE.json``). Then each model is loaded and its input example
predicted in a fresh interpreter from a neutral, empty cwd (the verdict), and optionally served
with ``mlflow models predict --env-manager uv``.

Only the standard library is imported here; MLflow runs in subprocesses.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable

# --------------------------------------------------------------------------------------------
# shared snippets of the training projects
# --------------------------------------------------------------------------------------------

DATA = '''\
X = pd.DataFrame(
    {"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]}
)
y = [0, 0, 0, 1, 1, 1]
clf = LogisticRegression(random_state=0).fit(X, y)
'''

SKLEARN_HEAD = '''\
import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression

'''


def sklearn_train(call: str, extra_head: str = "") -> str:
    return SKLEARN_HEAD + extra_head + DATA + "\n" + textwrap.dedent(call).strip() + "\n"


SRC_UTILS = {
    "src/__init__.py": "",
    "src/utils.py": 'def double(values):\n    return [2 * v for v in values]\n',
}

DOUBLER_MAIN = '''\
import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class Doubler(PythonModel):
    def predict(self, context, model_input, params=None):
        from src.utils import double

        return double(model_input["x"].tolist())


mlflow.pyfunc.save_model(
    "model",
    python_model=Doubler(),
    code_paths={code_paths},
    input_example=pd.DataFrame({{"x": [1, 2, 3]}}),
)
'''

def notebook(*cells: tuple[str, str]) -> str:
    """A Jupyter notebook (nbformat 4) of (cell type, source) cells, as Jupyter saves it unrun."""
    return json.dumps({
        "cells": [{"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True),
                   **({"execution_count": None, "outputs": []} if kind == "code" else {})}
                  for kind, source in cells],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }, indent=1) + "\n"


# Runs a notebook's code cells in order in one namespace, as one kernel runs "Run All" (the cells
# hold no IPython magics, so no kernel is needed).
RUN_NOTEBOOK = (
    "import json, sys\n"
    "cells = json.load(open(sys.argv[1]))['cells']\n"
    "namespace = {'__name__': '__main__'}\n"
    "for number, cell in enumerate(cells, 1):\n"
    "    if cell['cell_type'] == 'code':\n"
    "        exec(compile(''.join(cell['source']), f'<cell {number}>', 'exec'), namespace)\n"
)

# --------------------------------------------------------------------------------------------
# case model
# --------------------------------------------------------------------------------------------


@dataclass
class Built:
    name: str
    description: str
    files: dict  # project files: relative path -> text (bytes allowed)
    mlflow: str = "3"  # "3" or "2"
    expect: list = field(default_factory=list)
    serve: bool = False
    model_dir: str = "model"  # where train.py leaves the model, relative to the project
    workdir: str = "."  # the folder holding train.py, run from there (relative to the project)
    command: tuple = ("train.py",)  # the interpreter's arguments that train (a notebook: RUN_NOTEBOOK)
    predict_input: dict | None = None  # used only when the model has no stored input example


@dataclass
class Derived:
    name: str
    base: str
    description: str
    edit: str
    apply: Callable[[pathlib.Path], None]
    expect: list = field(default_factory=list)
    serve: bool = False
    predict_input: dict | None = None


# ---- text edits (keep MLflow's formatting; every edit touches only the lines it names) ------


def _sub(path: pathlib.Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    if old not in text:
        raise RuntimeError(f"{path}: {old!r} not found")
    path.write_text(text.replace(old, new, count))


def req_replace(old: str, new: str | None):
    """Replace (or delete when new is None) one requirement line in requirements.txt AND in the
    conda.yaml pip list, so that the two stay consistent (no ML102 side effect)."""

    def f(d: pathlib.Path) -> None:
        r = d / "requirements.txt"
        lines = r.read_text().split("\n")
        if old not in lines:
            raise RuntimeError(f"{old} not in requirements.txt")
        i = lines.index(old)
        if new is None:
            del lines[i]
        else:
            lines[i:i + 1] = new.split("\n")
        r.write_text("\n".join(lines))
        c = d / "conda.yaml"
        repl = "" if new is None else "".join(f"  - {n}\n" for n in new.split("\n"))
        _sub(c, f"  - {old}\n", repl)

    return f


def remove_file(name: str):
    return lambda d: (d / name).unlink()


def python_everywhere(old: str, new: str):
    def f(d: pathlib.Path) -> None:
        _sub(d / "MLmodel", f"python_version: {old}\n", f"python_version: {new}\n", count=10)
        _sub(d / "python_env.yaml", f"python: {old}\n", f"python: {new}\n")
        _sub(d / "conda.yaml", f"- python={old}\n", f"- python={new}\n")

    return f


def drop_pyfunc_flavor(d: pathlib.Path) -> None:
    lines = (d / "MLmodel").read_text().split("\n")
    out, skipping = [], False
    for line in lines:
        if line == "  python_function:":
            skipping = True
            continue
        if skipping and line.startswith("    "):
            continue
        skipping = False
        out.append(line)
    (d / "MLmodel").write_text("\n".join(out))


def mlmodel_is_training_script(project: pathlib.Path):
    def f(d: pathlib.Path) -> None:
        shutil.copyfile(project / "train.py", d / "MLmodel")

    return f


def absolute_payload(d: pathlib.Path) -> None:
    p = "/home/alice/churn/model/model.skops"
    _sub(d / "MLmodel", "model_path: model.skops\n", f"model_path: {p}\n")
    _sub(d / "MLmodel", "pickled_model: model.skops\n", f"pickled_model: {p}\n")


def many(*fs):
    def f(d):
        for g in fs:
            g(d)

    return f


# --------------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------------


def cases(pyver: str, projects: pathlib.Path) -> list:
    C: list = []

    # ---------------- clean models ----------------
    C.append(Built(
        "sklearn-skops",
        "Clean. sklearn LogisticRegression, mlflow.sklearn.save_model with the 3.x default "
        "serialization (skops: model.skops) and a DataFrame input example.",
        {"train.py": sklearn_train('mlflow.sklearn.save_model(clf, "model", input_example=X.head(2))')},
        serve=True,
    ))
    C.append(Built(
        "sklearn-cloudpickle",
        "Clean. Same sklearn model saved with serialization_format=\"cloudpickle\" (model.pkl).",
        {"train.py": sklearn_train('''
            mlflow.sklearn.save_model(
                clf, "model", serialization_format="cloudpickle", input_example=X.head(2)
            )''')},
    ))
    C.append(Built(
        "mlflow2-sklearn",
        "Clean. Same sklearn model saved with mlflow 2.22.5 (default cloudpickle, model.pkl; no "
        "model_id key).",
        {"train.py": sklearn_train('mlflow.sklearn.save_model(clf, "model", input_example=X.head(2))')},
        mlflow="2",
    ))
    C.append(Built(
        "pyfunc-codepaths-dir",
        "Clean. PythonModel defined in train.py (__main__, pickled by value) whose predict does "
        "`from src.utils import double`; code_paths=[\"src\"] keeps code/src/.",
        {"train.py": DOUBLER_MAIN.format(code_paths='["src"]'), **SRC_UTILS},
        serve=True,
    ))
    C.append(Built(
        "models-from-code",
        "Clean. Models-from-code: python_model=\"model_code.py\" (file calls "
        "mlflow.models.set_model); MLflow copies it to the model root and records its absolute "
        "source path as model_code_path.",
        {
            "model_code.py": textwrap.dedent('''\
                import mlflow
                from mlflow.pyfunc import PythonModel


                class TextLength(PythonModel):
                    def predict(self, context, model_input, params=None):
                        return [len(t) for t in model_input["text"]]


                mlflow.models.set_model(TextLength())
                '''),
            "train.py": textwrap.dedent('''\
                import mlflow
                import pandas as pd

                mlflow.pyfunc.save_model(
                    "model",
                    python_model="model_code.py",
                    input_example=pd.DataFrame({"text": ["a", "bb"]}),
                )
                '''),
        },
    ))
    C.append(Built(
        "pip-requirements-constraints",
        "Clean. sklearn (skops) with explicit pip_requirements ending in `-c constraints.txt`: "
        "MLflow inserts mlflow==X first, writes constraints.txt and appends `-c constraints.txt` "
        "to requirements.txt and the conda pip list. (ML109 info is expected to fire; no "
        "error/warning.)",
        {
            "constraints.txt": "numpy==2.4.6\nscipy==1.17.1\n",
            "train.py": sklearn_train('''
                mlflow.sklearn.save_model(
                    clf,
                    "model",
                    input_example=X.head(2),
                    pip_requirements=[
                        "pandas==3.1.1",
                        "scikit-learn==1.9.1",
                        "skops==0.16.0",
                        "-c constraints.txt",
                    ],
                )'''),
        },
    ))
    C.append(Built(
        "infer-code-paths",
        "Clean. infer_code_paths=True; the PythonModel class lives in my_model.py, which imports "
        "src.utils at module level: MLflow copies code/my_model.py and code/src/ (layout kept).",
        {
            **SRC_UTILS,
            "my_model.py": textwrap.dedent('''\
                from mlflow.pyfunc import PythonModel

                from src.utils import double


                class Doubler(PythonModel):
                    def predict(self, context, model_input, params=None):
                        return double(model_input["x"].tolist())
                '''),
            "train.py": textwrap.dedent('''\
                import mlflow
                import pandas as pd

                from my_model import Doubler

                mlflow.pyfunc.save_model(
                    "model",
                    python_model=Doubler(),
                    infer_code_paths=True,
                    input_example=pd.DataFrame({"x": [1, 2, 3]}),
                )
                '''),
        },
    ))
    C.append(Built(
        "loader-module-codepaths",
        "Clean. pyfunc with loader_module=\"my_loader\", data_path=\"weights.txt\" and "
        "code_paths=[\"inference/my_loader.py\"] (file copied flat to code/my_loader.py, imported "
        "as `my_loader`, so it is correct). Requirement inference fails for loader_module models "
        "(mlflow#14145) and falls back to cloudpickle.",
        {
            "weights.txt": "3\n",
            "inference/my_loader.py": textwrap.dedent('''\
                class _Scaler:
                    def __init__(self, factor):
                        self.factor = factor

                    def predict(self, model_input, params=None):
                        return [v * self.factor for v in model_input["x"]]


                def _load_pyfunc(data_path):
                    with open(data_path) as f:
                        return _Scaler(float(f.read().strip()))
                '''),
            "train.py": textwrap.dedent('''\
                import mlflow
                import pandas as pd

                mlflow.pyfunc.save_model(
                    "model",
                    loader_module="my_loader",
                    data_path="weights.txt",
                    code_paths=["inference/my_loader.py"],
                    input_example=pd.DataFrame({"x": [1.0, 2.0]}),
                )
                '''),
        },
    ))
    C.append(Built(
        "logged-sklearn-3x",
        "Clean. mlflow.sklearn.log_model(name=\"model\") into a local sqlite tracking store "
        "(artifacts in ./mlruns), downloaded back with mlflow.artifacts.download_artifacts("
        "models:/m-...) to ./model. MLmodel has model_id/run_id and an absolute artifact_path "
        "(metadata only: ML004 info); download adds registered_model_meta.",
        {"train.py": sklearn_train('''
            mlflow.set_tracking_uri("sqlite:///mlflow.db")
            mlflow.set_experiment("corpus")
            with mlflow.start_run():
                info = mlflow.sklearn.log_model(clf, name="model", input_example=X.head(2))
            mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri, dst_path="model")''')},
    ))
    C.append(Built(
        "logged-sklearn-2x",
        "Clean. mlflow 2.22.5 mlflow.sklearn.log_model(artifact_path=\"model\") into a local file "
        "store (./mlruns), downloaded back with mlflow.artifacts.download_artifacts(runs:/.../model)"
        " to ./downloaded (the model is ./downloaded/model). artifact_path is the relative name.",
        {"train.py": sklearn_train('''
            mlflow.set_tracking_uri("file:./mlruns")
            with mlflow.start_run():
                info = mlflow.sklearn.log_model(clf, artifact_path="model", input_example=X.head(2))
            mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri, dst_path="downloaded")''')},
        mlflow="2",
        model_dir="downloaded/model",
    ))
    C.append(Built(
        "pyfunc-tomllib",
        "Clean. Models-from-code model whose code imports the 3.11+ stdlib module tomllib to "
        "parse its config (base of ml205-tomllib-py310).",
        {
            "model_code.py": textwrap.dedent('''\
                import tomllib

                import mlflow
                from mlflow.pyfunc import PythonModel

                CONFIG = tomllib.loads("factor = 10")


                class Scale(PythonModel):
                    def predict(self, context, model_input, params=None):
                        return [v * CONFIG["factor"] for v in model_input["x"]]


                mlflow.models.set_model(Scale())
                '''),
            "train.py": textwrap.dedent('''\
                import mlflow
                import pandas as pd

                mlflow.pyfunc.save_model(
                    "model",
                    python_model="model_code.py",
                    input_example=pd.DataFrame({"x": [1, 2]}),
                )
                '''),
        },
    ))

    # ---------------- broken, derived by a minimal edit ----------------
    base = "sklearn-skops"
    proj = projects / base
    C += [
        Derived("ml001-mlmodel-is-script", base,
                "MLmodel replaced by the training script (a common copy mistake).",
                "MLmodel overwritten with the project's train.py",
                mlmodel_is_training_script(proj), ["ML001"]),
        Derived("ml002-no-pyfunc-flavor", base,
                "Only the sklearn flavor is left: pyfunc/serving/Azure NCD cannot load it.",
                "MLmodel: removed the whole flavors.python_function block",
                drop_pyfunc_flavor, ["ML002"]),
        Derived("ml003-model-file-missing", base,
                "The payload named by pickled_model/model_path is absent.",
                "deleted model.skops",
                remove_file("model.skops"), ["ML003"]),
        Derived("ml004-absolute-flavor-path", base,
                "The payload path in MLmodel is an absolute path on the training machine.",
                "MLmodel: model_path and pickled_model `model.skops` -> "
                "`/home/alice/churn/model/model.skops` (model.skops itself kept)",
                absolute_payload, ["ML004"]),
        Derived("ml101-no-requirements-txt", base,
                "python_env.yaml says `-r requirements.txt` but requirements.txt is missing: "
                "virtualenv/uv env build fails (error).",
                "deleted requirements.txt",
                remove_file("requirements.txt"), ["ML101"], serve=True),
        Derived("ml101-no-python-env", base,
                "No python_env.yaml (pre-1.26 layout): MLflow falls back to conda.yaml + "
                "requirements.txt (warning).",
                "deleted python_env.yaml",
                remove_file("python_env.yaml"), ["ML101"]),
        Derived("ml102-requirements-drift", base,
                "requirements.txt and the conda.yaml pip list disagree on scipy.",
                "requirements.txt only: `scipy==1.17.1` -> `scipy==1.16.0`",
                lambda d: _sub(d / "requirements.txt", "scipy==1.17.1", "scipy==1.16.0"),
                ["ML102"]),
        Derived("ml102-python-mismatch", base,
                "python_env.yaml declares another Python than MLmodel and conda.yaml.",
                f"python_env.yaml only: `python: {pyver}` -> `python: 3.10.13`",
                lambda d: _sub(d / "python_env.yaml", f"python: {pyver}\n", "python: 3.10.13\n"),
                ["ML102"]),
        Derived("ml104-sklearn-alias", base,
                "The deprecated `sklearn` PyPI alias (its sdist refuses to install) is required "
                "next to scikit-learn.",
                "requirements.txt and conda.yaml pip list: inserted `sklearn==0.0.post12` after "
                "`scikit-learn==1.9.1`",
                req_replace("scikit-learn==1.9.1", "scikit-learn==1.9.1\nsklearn==0.0.post12"),
                ["ML104"], serve=True),
        Derived("ml104-placeholder-pin", base,
                "A placeholder pin `==0.0` that no release satisfies.",
                "requirements.txt and conda.yaml pip list: `scipy==1.17.1` -> `scipy==0.0`",
                req_replace("scipy==1.17.1", "scipy==0.0"), ["ML104"]),
        Derived("ml104-not-pep508", base,
                "A conda-style `pandas=3.1.1` line (single `=`) that pip cannot parse.",
                "requirements.txt and conda.yaml pip list: `pandas==3.1.1` -> `pandas=3.1.1`",
                req_replace("pandas==3.1.1", "pandas=3.1.1"), ["ML104"]),
        Derived("ml105-mlflow-unpinned", base,
                "mlflow is required without a version: serving installs whatever is newest.",
                "requirements.txt and conda.yaml pip list: `mlflow==3.17.2` -> `mlflow`",
                req_replace("mlflow==3.17.2", "mlflow"), ["ML105"]),
        Derived("ml105-mlflow-pin-mismatch", base,
                "mlflow pinned to a major.minor other than MLmodel mlflow_version (3.17.2).",
                "requirements.txt and conda.yaml pip list: `mlflow==3.17.2` -> `mlflow==3.1.0`",
                req_replace("mlflow==3.17.2", "mlflow==3.1.0"), ["ML105", "ML507"]),
        Derived("ml106-unpinned-requirement", base,
                "A requirement without `==` (info).",
                "requirements.txt and conda.yaml pip list: `scipy==1.17.1` -> `scipy`",
                req_replace("scipy==1.17.1", "scipy"), ["ML106"]),
        Derived("ml107-duplicate-requirement", base,
                "scikit-learn listed twice (scikit_learn normalises to scikit-learn).",
                "requirements.txt and conda.yaml pip list: inserted `scikit_learn==1.9.1` after "
                "`scikit-learn==1.9.1`",
                req_replace("scikit-learn==1.9.1", "scikit-learn==1.9.1\nscikit_learn==1.9.1"),
                ["ML107"]),
        Derived("ml108-eol-python", base,
                "Python 3.7 (end of life) declared consistently in MLmodel, python_env.yaml and "
                "conda.yaml.",
                f"MLmodel python_version, python_env.yaml python and conda.yaml python=: "
                f"{pyver} -> 3.7.16",
                python_everywhere(pyver, "3.7.16"), ["ML108", "ML504", "ML511"]),
        Derived("ml109-extra-index-url", base,
                "An `--extra-index-url` option line (legal for pip; crashes "
                "update-pip-requirements; info).",
                "requirements.txt and conda.yaml pip list: appended "
                "`--extra-index-url https://pypi.example.com/simple` after `skops==0.16.0`",
                req_replace("skops==0.16.0",
                            "skops==0.16.0\n--extra-index-url https://pypi.example.com/simple"),
                ["ML109"]),
        Derived("ml005-loader-module-unresolvable", "loader-module-codepaths",
                "loader_module names the project-layout path `inference.my_loader`, but "
                "code_paths flattened the file to code/my_loader.py.",
                "MLmodel: `loader_module: my_loader` -> `loader_module: inference.my_loader`",
                lambda d: _sub(d / "MLmodel", "loader_module: my_loader\n",
                               "loader_module: inference.my_loader\n"),
                ["ML005"]),
        Derived("ml205-tomllib-py310", "pyfunc-tomllib",
                "The model code imports tomllib (3.11+) but every env file declares Python 3.10.",
                f"MLmodel python_version, python_env.yaml python and conda.yaml python=: "
                f"{pyver} -> 3.10.13",
                python_everywhere(pyver, "3.10.13"), ["ML205"]),
    ]

    # ---------------- broken, written by MLflow itself ----------------
    C.append(Built(
        "ml103-conda-defaults",
        "sklearn saved with a user conda_env that lists Anaconda's `defaults` channel; MLflow "
        "keeps the user's channels/name/bare pip and only inserts mlflow==X into the pip list.",
        {"train.py": sklearn_train('''
            conda_env = {
                "name": "churn-env",
                "channels": ["defaults"],
                "dependencies": [
                    f"python={platform.python_version()}",
                    "pip",
                    {"pip": ["pandas==3.1.1", "scikit-learn==1.9.1", "skops==0.16.0"]},
                ],
            }
            mlflow.sklearn.save_model(clf, "model", conda_env=conda_env, input_example=X.head(2))''',
            extra_head="import platform\n\n")},
        expect=["ML103"],
    ))
    C.append(Built(
        "codepaths-file",
        "code_paths=[\"src/utils.py\"] (a file): MLflow copies it flat to code/utils.py, so "
        "`from src.utils import double` in predict fails with No module named 'src'.",
        {"train.py": DOUBLER_MAIN.format(code_paths='["src/utils.py"]'), **SRC_UTILS},
        expect=["ML203"], serve=True,
    ))
    C.append(Built(
        "codepaths-parent",
        "code_paths=[\"../src\"] from a training script in job/: run from job/, MLflow copies the "
        "sibling src/ to code/src/ and the model serves; the same script run from any other "
        "directory resolves ../src elsewhere. ML204 belongs to the project (the model is fine).",
        {"job/train.py": DOUBLER_MAIN.format(code_paths='["../src"]'), **SRC_UTILS},
        workdir="job", model_dir="job/model",
    ))
    C.append(Built(
        "class-in-module-no-codepaths",
        "PythonModel subclass defined in my_model.py, saved without code_paths: cloudpickle "
        "stores the class by reference (`my_model.Doubler`), so loading elsewhere fails.",
        {
            "my_model.py": textwrap.dedent('''\
                from mlflow.pyfunc import PythonModel


                class Doubler(PythonModel):
                    def predict(self, context, model_input, params=None):
                        return [2 * v for v in model_input["x"]]
                '''),
            "train.py": textwrap.dedent('''\
                import mlflow
                import pandas as pd

                from my_model import Doubler

                mlflow.pyfunc.save_model(
                    "model", python_model=Doubler(), input_example=pd.DataFrame({"x": [1, 2]})
                )
                '''),
        },
        expect=["ML301"],
    ))
    C.append(Built(
        "lazy-import-missing",
        "predict imports tabulate lazily and the model is saved without an input example: "
        "requirement inference only loads the model, so tabulate is not in requirements.txt. "
        "Works in the build venv (tabulate installed), fails when served.",
        {"train.py": textwrap.dedent('''\
            import mlflow
            from mlflow.pyfunc import PythonModel


            class Table(PythonModel):
                def predict(self, context, model_input, params=None):
                    import tabulate

                    return [tabulate.tabulate([[v]]) for v in model_input["x"]]


            mlflow.pyfunc.save_model("model", python_model=Table())
            ''')},
        expect=["ML201"], serve=True,
        predict_input={"columns": ["x"], "data": [[1], [2]]},
    ))
    C.append(Built(
        "importlib-import-missing",
        "predict loads tabulate via importlib.import_module(\"tabulate\"); the author wrote "
        "pip_requirements by hand and forgot it.",
        {"train.py": textwrap.dedent('''\
            import importlib

            import mlflow
            import pandas as pd
            from mlflow.pyfunc import PythonModel


            class Table(PythonModel):
                def predict(self, context, model_input, params=None):
                    tab = importlib.import_module("tabulate")
                    return [tab.tabulate([[v]]) for v in model_input["x"]]


            mlflow.pyfunc.save_model(
                "model",
                python_model=Table(),
                input_example=pd.DataFrame({"x": [1, 2]}),
                pip_requirements=["cloudpickle==3.1.2", "pandas==3.1.1"],
            )
            ''')},
        expect=["ML201"],
    ))
    C.append(Built(
        "read-excel-no-openpyxl",
        "load_context reads an .xlsx artifact with pd.read_excel; pip_requirements (hand-written) "
        "declare pandas but not openpyxl.",
        {"train.py": textwrap.dedent('''\
            import mlflow
            import pandas as pd
            from mlflow.pyfunc import PythonModel

            pd.DataFrame({"code": ["a", "b"], "price": [1.5, 2.5]}).to_excel(
                "prices.xlsx", index=False
            )


            class Prices(PythonModel):
                def load_context(self, context):
                    table = pd.read_excel(context.artifacts["prices"])
                    self.prices = dict(zip(table["code"], table["price"]))

                def predict(self, context, model_input, params=None):
                    return [self.prices.get(c) for c in model_input["code"]]


            mlflow.pyfunc.save_model(
                "model",
                python_model=Prices(),
                artifacts={"prices": "prices.xlsx"},
                input_example=pd.DataFrame({"code": ["a", "b"]}),
                pip_requirements=["cloudpickle==3.1.2", "pandas==3.1.1"],
            )
            ''')},
        expect=["ML202"],
    ))
    C.append(Built(
        "skinny-no-sklearn",
        "A PythonModel (in __main__) holding a fitted sklearn estimator; pip_requirements name "
        "mlflow-skinny (which does not bring scikit-learn) and no scikit-learn.",
        {"train.py": SKLEARN_HEAD + "from mlflow.pyfunc import PythonModel\n\n" + DATA
            + textwrap.dedent('''

            class Wrapped(PythonModel):
                def __init__(self, clf):
                    self.clf = clf

                def predict(self, context, model_input, params=None):
                    return self.clf.predict(model_input).tolist()


            mlflow.pyfunc.save_model(
                "model",
                python_model=Wrapped(clf),
                input_example=X.head(2),
                pip_requirements=["mlflow-skinny==3.17.2", "cloudpickle==3.1.2", "pandas==3.1.1"],
            )
            ''')},
        expect=["ML301"],
    ))
    C.append(Built(
        "notebook-unity-catalog",
        "A training notebook (train.ipynb; its code cells run in order, as Run All does): "
        "mlflow.sklearn.log_model(registered_model_name=\"main.default.churn\", a Unity Catalog "
        "name) with neither signature nor input_example, into a local sqlite tracking store whose "
        "registry takes it (\"Successfully registered model 'main.default.churn'\"), downloaded back "
        "to ./model. The model has no signature, which Unity Catalog requires to register it.",
        {"train.ipynb": notebook(
            ("markdown", "# Churn classifier\nTrains on last month's accounts and registers the model in Unity "
                         "Catalog."),
            ("code", SKLEARN_HEAD.strip()),
            ("code", DATA + "clf.score(X, y)"),
            ("markdown", "Log it and register it as `main.default.churn`."),
            ("code", textwrap.dedent('''\
                mlflow.set_tracking_uri("sqlite:///mlflow.db")
                mlflow.set_experiment("corpus")
                with mlflow.start_run():
                    info = mlflow.sklearn.log_model(clf, name="model", registered_model_name="main.default.churn")''')),
            ("code", 'mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri, dst_path="model")'),
        )},
        command=("-c", RUN_NOTEBOOK, "train.ipynb"),
        expect=["ML403"],
        predict_input={"columns": ["a", "b"], "data": [[0.0, 1.0], [1.0, 0.0]]},
    ))
    return C


# --------------------------------------------------------------------------------------------
# verdict (run in a fresh interpreter of the build venv from a neutral cwd)
# --------------------------------------------------------------------------------------------

VERDICT = r'''
import json, sys, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
model, fallback = sys.argv[1], sys.argv[2]

def fmt(e):
    lines = [l for l in str(e).strip().splitlines() if l.strip()]
    msg = lines[0] if lines else ""
    msg = msg.replace(model, "<model>")
    if len(msg) > 240:
        msg = msg[:237] + "..."
    return f"error: {type(e).__name__}: {msg}"

out = {}
try:
    import mlflow
    m = mlflow.pyfunc.load_model(model)
    out["load"] = "ok"
except BaseException as e:
    out["load"] = fmt(e)
    out["predict"] = "error: not loaded"
else:
    try:
        import pandas as pd
        meta = mlflow.models.Model.load(model)
        params = None
        if meta.saved_input_example_info:
            data = meta.load_input_example(model)
            getp = getattr(meta, "load_input_example_params", None)
            params = getp(model) if getp else None
        elif fallback:
            fb = json.loads(fallback)
            data = pd.DataFrame(fb["data"], columns=fb["columns"])
        else:
            data = None
        if data is None:
            out["predict"] = "skipped: no input example"
        else:
            m.predict(data, params=params) if params else m.predict(data)
            out["predict"] = "ok"
    except BaseException as e:
        out["predict"] = fmt(e)
print("VERDICT " + json.dumps(out))
'''


def _env() -> dict:
    env = dict(os.environ)
    env.update({
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "UV_PYTHON_DOWNLOADS": "never",
    })
    env.pop("PYTHONPATH", None)
    return env


def measure(py: str, model: pathlib.Path, neutral: pathlib.Path, fallback: dict | None) -> dict:
    neutral.mkdir(parents=True, exist_ok=True)
    script = neutral / "verdict_check.py"
    script.write_text(VERDICT)
    r = subprocess.run([py, str(script), str(model), json.dumps(fallback) if fallback else ""],
                       cwd=neutral, env=_env(), capture_output=True, text=True, timeout=600)
    for line in r.stdout.splitlines():
        if line.startswith("VERDICT "):
            return json.loads(line[8:])
    tail = (r.stderr.strip().splitlines() or ["?"])[-1]
    return {"load": f"error: checker crashed: {tail[:200]}", "predict": "error: not loaded"}


def serve(py: str, model: pathlib.Path, neutral: pathlib.Path, fallback: dict | None,
          log_path: pathlib.Path) -> str:
    """mlflow models predict --env-manager uv; returns "ok" or "error: ..."."""
    neutral.mkdir(parents=True, exist_ok=True)
    inp = model / "serving_input_example.json"
    if not inp.exists():
        if not fallback:
            return "skipped: no input example"
        inp = neutral / "serve_input.json"
        inp.write_text(json.dumps({"dataframe_split": fallback}))
    bindir = str(pathlib.Path(py).parent)
    env = _env()
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    cmd = [os.path.join(bindir, "mlflow"), "models", "predict", "-m", str(model), "-i", str(inp),
           "-t", "json", "--env-manager", "uv"]
    try:
        r = subprocess.run(cmd, cwd=neutral, env=env, capture_output=True, text=True, timeout=1200)
    except subprocess.TimeoutExpired:
        return "error: timeout"
    log_path.write_text(f"$ {' '.join(cmd)}\nexit {r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
    if r.returncode == 0:
        return "ok"
    lines = [l.strip() for l in r.stderr.splitlines() if l.strip()]
    pick = None
    for pat in (r"ModuleNotFoundError: .*", r"No module named .*", r"(?:ERROR|error): .*",
                r"\w+(?:Error|Exception): .*"):
        hits = [m.group(0) for l in lines for m in [re.search(pat, l)] if m]
        if hits:
            pick = hits[-1]
            break
    pick = (pick or (lines[-1] if lines else f"exit {r.returncode}")).replace(str(model), "<model>")
    return "error: " + pick[:240]


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------


def _write_tree(root: pathlib.Path, files: dict) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


def _interp_info(py: str) -> tuple[str, str]:
    r = subprocess.run([py, "-c", "import platform, importlib.metadata as m; "
                        "print(m.version('mlflow'), platform.python_version())"],
                       capture_output=True, text=True, check=True, env=_env())
    mv, pv = r.stdout.split()
    return mv, pv


def _write_case(d: pathlib.Path, info: dict) -> None:
    (d / "CASE.json").write_text(json.dumps(info, indent=2) + "\n")


def build(out_dir: pathlib.Path) -> None:
    out_dir = pathlib.Path(out_dir)
    models_dir, projects_dir = out_dir / "models", out_dir / "projects"
    py3 = os.environ.get("MODELLINT_CORPUS_PYTHON3", sys.executable)
    py2 = os.environ.get("MODELLINT_CORPUS_PYTHON2")
    work = pathlib.Path(os.environ.get("MODELLINT_CORPUS_WORK", "/tmp/modellint-corpus-work"))
    only = {c for c in os.environ.get("MODELLINT_CORPUS_ONLY", "").split(",") if c}
    do_serve = os.environ.get("MODELLINT_CORPUS_SERVE", "1") == "1"
    interp = {"3": py3, "2": py2}
    versions = {k: _interp_info(v) for k, v in interp.items() if v}
    pyver = versions["3"][1]
    neutral = work / "_neutral"
    logs = work / "_logs"
    logs.mkdir(parents=True, exist_ok=True)

    all_cases = cases(pyver, projects_dir)
    names = [c.name for c in all_cases]
    assert len(names) == len(set(names)), "duplicate case names"
    if not only:
        # full rebuild: drop stale cases
        for d in (models_dir, projects_dir):
            if d.exists():
                for sub in d.iterdir():
                    if sub.is_dir() and sub.name not in names:
                        shutil.rmtree(sub)
    selected = [c for c in all_cases if not only or c.name in only]
    infos: dict = {}
    failures: list = []

    def produce(case: Built) -> None:
        py = interp[case.mlflow]
        dst = models_dir / case.name
        proj = projects_dir / case.name
        for d in (dst, proj):
            if d.exists():
                shutil.rmtree(d)
        _write_tree(proj, case.files)
        wdir = work / case.name
        if wdir.exists():
            shutil.rmtree(wdir)
        shutil.copytree(proj, wdir)
        r = subprocess.run([py, *case.command], cwd=wdir / case.workdir, env=_env(), capture_output=True,
                           text=True, timeout=900)
        (logs / f"{case.name}.train.log").write_text(r.stdout + "\n--- stderr\n" + r.stderr)
        if r.returncode:
            raise RuntimeError(f"train.py failed:\n{r.stderr[-3000:]}")
        shutil.copytree(wdir / case.model_dir, dst, ignore=shutil.ignore_patterns("__pycache__"))
        mv, pv = versions[case.mlflow]
        infos[case.name] = {"description": case.description,
                            "built_with": {"mlflow": mv, "python": pv},
                            "derived_from": None, "edit": None}

    def derive(case: Derived) -> None:
        dst = models_dir / case.name
        if dst.exists():
            shutil.rmtree(dst)
        base_dir = models_dir / case.base
        if not (base_dir / "MLmodel").exists():
            raise RuntimeError(f"base {case.base} not built")
        shutil.copytree(base_dir, dst, ignore=shutil.ignore_patterns("CASE.json"))
        case.apply(dst)
        if case.base in infos:
            bw = infos[case.base]["built_with"]
        else:
            bw = json.loads((base_dir / "CASE.json").read_text())["built_with"]
        infos[case.name] = {"description": case.description, "built_with": bw,
                            "derived_from": case.base, "edit": case.edit}

    def check(case) -> None:
        info = infos[case.name]
        dst = models_dir / case.name
        py = interp["2"] if info["built_with"]["mlflow"].startswith("2.") else interp["3"]
        info["expect"] = sorted(case.expect)
        info["verdict"] = measure(py, dst, neutral / case.name, case.predict_input)
        if case.serve and do_serve:
            info["verdict"]["serve"] = serve(py, dst, neutral / case.name, case.predict_input,
                                             logs / f"{case.name}.serve.log")
        _write_case(dst, info)
        print(f"[models] {case.name}: expect={info['expect']} verdict={info['verdict']}",
              flush=True)

    def run_all(fn, items, workers):
        with ThreadPoolExecutor(max_workers=workers) as ex:
            futs = {ex.submit(fn, c): c for c in items}
            for f in as_completed(futs):
                c = futs[f]
                try:
                    f.result()
                except Exception as e:  # keep going; report at the end
                    failures.append(c.name)
                    print(f"[models] {c.name}: FAILED {e}", flush=True)

    jobs = int(os.environ.get("MODELLINT_CORPUS_JOBS", "6"))
    run_all(produce, [c for c in selected if isinstance(c, Built)], jobs)
    run_all(derive, [c for c in selected if isinstance(c, Derived) and c.name not in failures], 1)
    ok = [c for c in selected if c.name in infos and c.name not in failures]
    run_all(check, [c for c in ok if not (c.serve and do_serve)], jobs)
    run_all(check, [c for c in ok if c.serve and do_serve], 3)
    if failures:
        raise SystemExit(f"[models] failed cases: {failures}")
