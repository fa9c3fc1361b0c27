"""A benign corpus: ordinary models saved by the real libraries through MLflow (issue 16).

Run by ``corpus/build.py`` with the ``benign`` venv (``PINS_BENIGN``: MLflow, scikit-learn,
PyTorch, Keras on its torch backend, xgboost, lightgbm, catboost, statsmodels, ONNX,
transformers). Writes ``CORPUS_DIR/benign/<case>/``: one MLflow model dir per case, each saved by
the flavor's own ``save_model`` with an input example (so the signature exists), and a
``CASE.json`` with what the case is, the save call, the versions of the libraries that wrote it
and MLflow's verdict on it (``mlflow.pyfunc.load_model`` and ``predict`` on the stored input
example).

The cases are saved by this file run as ``__main__`` (``python benign.py save OUT``), as a
training script is: the classes and functions it defines (an ``nn.Module``, a Keras layer, a
``PythonModel``, a ``FunctionTransformer``'s lambda) are pickled by value, as MLflow pickles a
user's. The verdicts come from a second, fresh process (``VERIFIER``) in which none of that is defined,
as in a serving environment.

Every estimator ``sklearn.utils.all_estimators()`` lists is tried on a toy set: fitted with the
parameters scikit-learn's own estimator checks construct it with (or the required arguments they cannot
fill: ``estimator=``, ``dictionary=``), as a predictor, or as the first step of a pipeline ending in one
when it only transforms, or served by its ``score`` (MLflow's ``pyfunc_predict_fn``) when it has neither.
The toy input follows the estimator's own tags: a 40x4 frame, else a text column, rows as dicts, one
feature, a kernel matrix, missing values or a two-column target. One that MLflow cannot serve (nothing to
call on new data, a target transformer, 3-D images) or that fits on none of them is left out and named,
with the reason, in ``benign/SKIPPED.json``.

``MODELLINT_CORPUS_ONLY`` (``corpus/build.py --only``: comma-separated case names or ``fnmatch``
patterns) saves and verifies only the cases it names and keeps the others. To run this builder alone,
without the other corpus venvs: ``python -c "import sys, pathlib; sys.path.insert(0, 'corpus');
from builders import benign; benign.build(pathlib.Path('corpus').resolve())"`` with the ``benign`` venv.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import pickle
import platform
import shutil
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

VENV = "benign"

# Distributions whose versions each CASE.json records (those the case's flavor imports).
FLAVOR_LIBRARIES = {
    "sklearn": ["scikit-learn"],
    "pytorch": ["torch"],
    "keras": ["keras", "torch"],
    "xgboost": ["xgboost"],
    "lightgbm": ["lightgbm"],
    "catboost": ["catboost"],
    "statsmodels": ["statsmodels"],
    "onnx": ["onnx", "onnxruntime", "skl2onnx"],
    "transformers": ["transformers", "safetensors", "torch"],
    "pyfunc": ["cloudpickle", "joblib", "scikit-learn"],
}


def _versions(flavor: str, libraries: tuple[str, ...] = ()) -> dict[str, str]:
    found = {"mlflow": version("mlflow"), "python": platform.python_version(),
             "numpy": version("numpy"), "pandas": version("pandas")}
    for name in [*FLAVOR_LIBRARIES[flavor], *libraries]:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def build(corpus_dir: Path) -> None:
    """Save and verify every case; with ``MODELLINT_CORPUS_ONLY`` (``build.py --only``: comma-separated
    case names or ``fnmatch`` patterns) only the cases it names, keeping the others as they are."""
    out = corpus_dir / "benign"
    if not _only():
        shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, KERAS_BACKEND="torch", CUDA_VISIBLE_DEVICES="", TOKENIZERS_PARALLELISM="false",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    subprocess.run([sys.executable, __file__, "save", str(out)], env=env, check=True)
    # Not as __main__, and not where this file's folder could be imported from (the custom Keras layer's
    # module must come from the model's code/): what the training script defined must not be found by the load.
    subprocess.run([sys.executable, "-c", VERIFIER, __file__, str(out)], env=env, check=True, cwd=out)


def _only() -> list[str]:
    return [pattern for pattern in os.environ.get("MODELLINT_CORPUS_ONLY", "").split(",") if pattern]


VERIFIER = (
    "import pathlib, runpy, sys\n"
    "runpy.run_path(sys.argv[1], run_name='benign_verifier')['verify_all'](pathlib.Path(sys.argv[2]))\n"
)


# --------------------------------------------------------------------------- saving (as __main__)

class Saver:
    """Saves one case at a time and writes its CASE.json (verdict filled in later by ``verify``)."""

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()  # the cases are saved from other working directories too
        self.saved: list[str] = []
        self.only = _only()

    def case(self, name: str, flavor: str, description: str, save_call: str, save: Callable[[str], None],
             libraries: tuple[str, ...] = ()) -> bool:
        """Save the case (False when the library refuses); a case ``MODELLINT_CORPUS_ONLY`` leaves out is
        kept as it is."""
        path = self.out / name
        if self.only and not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.only):
            return True
        shutil.rmtree(path, ignore_errors=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                save(str(path))
            except Exception:  # noqa: BLE001 - a case the library refuses is reported, not fatal
                shutil.rmtree(path, ignore_errors=True)
                print(f"benign: {name}: save failed\n{traceback.format_exc(limit=3)}", flush=True)
                return False
        record = {"description": description, "flavor": flavor, "save_call": save_call,
                  "built_with": _versions(flavor, libraries), "verdict": None}
        (path / "CASE.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        self.saved.append(name)
        print(f"benign: {name}: saved", flush=True)
        return True


def _toy_data() -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.rand(40, 4), columns=["a", "b", "c", "d"])
    y_class = (X["a"] + X["b"] > 1.0).astype("int64")
    y_multi = pd.Series(np.arange(40) % 3, dtype="int64")
    y_reg = X["a"] * 2.0 + X["c"]
    return {"X": X, "y_class": y_class, "y_multi": y_multi, "y_reg": y_reg}


def records(frame: Any) -> Any:
    """A frame's rows as dicts: what an estimator of dict input is given behind MLflow's pandas input."""
    return frame.to_dict("records")


class ToyInput:
    """One input an estimator can be fitted on: the frame MLflow passes at predict (its first rows are the
    input example), the targets to try, and how the estimator is placed in front of a classifier when it only
    transforms."""

    def __init__(self, kind: str, X: Any, targets: list[Any], wrap: Callable[[Any], Any], shown: str = "{}") -> None:
        self.kind, self.X, self.targets, self.wrap = kind, X, targets, wrap
        self.shown = shown  # the steps ``wrap`` makes, for CASE.json


def _toy_inputs(estimator: Any, data: dict[str, Any]) -> list[ToyInput]:
    """The inputs to try, by the input and target kinds the estimator's own tags declare (as scikit-learn's
    estimator checks choose their data): the 40x4 frame first, then text, dicts, one feature, a kernel
    matrix, missing values or a two-column target."""
    import numpy as np
    import pandas as pd
    from sklearn.base import is_regressor
    from sklearn.compose import make_column_transformer
    from sklearn.metrics.pairwise import rbf_kernel
    from sklearn.preprocessing import FunctionTransformer

    tags = estimator.__sklearn_tags__()
    X, y_class = data["X"], data["y_class"]
    targets = [data["y_reg"]] if is_regressor(estimator) else [y_class, data["y_multi"]]
    plain = ToyInput("frame", X, targets, lambda step: (step,))
    found = [plain] if tags.input_tags.two_d_array else []
    if tags.input_tags.string and not tags.input_tags.two_d_array:
        words = np.array(["good", "bad", "model", "data", "fit", "score"])
        text = pd.DataFrame({"text": [" ".join(words[[i % 6, (i * 7) % 6, (i * 5 + 1) % 6]]) for i in range(40)]})
        # a frame's text column goes to the vectorizer as a 1-D sequence of documents
        found.append(ToyInput("text", text, targets, lambda step: (make_column_transformer((step, "text")),),
                               "make_column_transformer(({}, 'text'))"))
    if tags.input_tags.dict:
        found.append(ToyInput("dicts", X, targets, lambda step: (FunctionTransformer(records), step),
                               "FunctionTransformer(records), {}"))
    if tags.input_tags.one_d_array:
        found.append(ToyInput("one feature", X[["a"]], targets, lambda step: (step,)))
    if tags.input_tags.pairwise:
        kernel = pd.DataFrame(rbf_kernel(X, X), columns=[f"k{i}" for i in range(len(X))])
        found.append(ToyInput("kernel", kernel, targets, lambda step: (step,)))
    if tags.input_tags.allow_nan:
        gappy = X.copy()
        gappy.loc[::2, "a"] = np.nan  # the input example's first row has a gap too
        found.append(ToyInput("missing values", gappy, targets, lambda step: (step,)))
    if tags.target_tags.multi_output and tags.input_tags.two_d_array:
        two = (pd.DataFrame({"r1": data["y_reg"], "r2": X["b"] - X["d"]}) if is_regressor(estimator)
               else pd.DataFrame({"c1": y_class, "c2": (X["c"] > 0.5).astype("int64")}))
        found.append(ToyInput("two-column target", X, [two], lambda step: (step,)))
    return found


# Constructor arguments scikit-learn's instance generator cannot fill for the toy frame, by parameter name.
def _required_arguments(estimator_class: type, data: dict[str, Any]) -> dict[str, Any]:
    import inspect

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    known = {"estimator": lambda: LogisticRegression().fit(data["X"], data["y_class"]),
             "dictionary": lambda: np.random.RandomState(0).rand(5, data["X"].shape[1])}
    parameters = inspect.signature(estimator_class.__init__).parameters
    return {name: make() for name, make in known.items() if name in parameters
            and parameters[name].default is inspect.Parameter.empty}


_MAX_HASHED_FEATURES = 2**8


def _sklearn_instances(estimator_class: type, data: dict[str, Any]) -> list[Any]:
    """The estimator as scikit-learn's own checks build it (required meta-estimator arguments filled in),
    then with the required arguments :func:`_required_arguments` knows (or its defaults when the checks
    cannot build it). One that predicts only on the data it was fitted on, and can on new data when asked
    (``novelty``), is asked."""
    found = []
    try:
        from sklearn.utils._test_common.instance_generator import _construct_instances

        found.append(next(iter(_construct_instances(estimator_class))))
    except Exception:  # noqa: BLE001 - a private helper, or an estimator it cannot build
        pass
    required = _required_arguments(estimator_class, data)
    if required or not found:
        try:
            found.append(estimator_class(**required))
        except Exception:  # noqa: BLE001 - reported as the reason it was left out
            pass
    for estimator in found:
        if not hasattr(estimator, "predict") and "novelty" in estimator.get_params():
            estimator.set_params(novelty=True)
        if estimator.get_params().get("n_features", 0) > _MAX_HASHED_FEATURES:
            # a hasher's default 2**20 columns make the classifier behind it an 8 MB model
            estimator.set_params(n_features=_MAX_HASHED_FEATURES)
    return found


class Fitted:
    """A fitted model MLflow can serve: the toy input it was fitted on (its input example is the frame's
    first two rows) and the method MLflow's pyfunc calls (``pyfunc_predict_fn``)."""

    def __init__(self, model: Any, toy: ToyInput, predict_fn: str) -> None:
        self.model, self.toy, self.predict_fn = model, toy, predict_fn


def _unservable(estimator: Any) -> str | None:
    """Why MLflow cannot serve the estimator on any input, or None."""
    inputs, targets = estimator.__sklearn_tags__().input_tags, estimator.__sklearn_tags__().target_tags
    if not (inputs.two_d_array or inputs.string or inputs.dict or inputs.one_d_array):
        if targets.one_d_labels or targets.two_d_labels:
            return "it transforms targets (y), not model inputs: nothing a pyfunc predict is given"
        return "it takes 3-D arrays (images) and only transforms them: no pyfunc predict on a frame"
    if not any(hasattr(estimator, method) for method in ("predict", "transform", "score")):
        return ("it has no predict, transform or score for new data (only fit_predict, fit_transform or "
                "fitted attributes): nothing MLflow's pyfunc can call")
    return None


def _fit_for_predict(estimator_class: type, data: dict[str, Any]) -> Fitted:
    """A fitted model whose pyfunc predict works on its toy frame: the estimator itself (``predict``, else
    ``score``), or a pipeline of it and a logistic regression when it only transforms. Raises when none
    fits."""
    from sklearn.base import is_classifier, is_regressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    instances = _sklearn_instances(estimator_class, data)
    if not instances:
        raise RuntimeError("it cannot be constructed from the arguments its checks or this builder know")
    reason = _unservable(instances[0])
    if reason:
        raise RuntimeError(reason)
    last: Exception | None = None
    for estimator in instances:
        predicts = hasattr(estimator, "predict") or is_classifier(estimator) or is_regressor(estimator)
        for toy in _toy_inputs(estimator, data):
            sample = toy.X.head(2)
            if predicts or not hasattr(estimator, "transform"):
                method = "predict" if hasattr(estimator, "predict") else "score"
                for y in [*toy.targets, None]:
                    try:
                        model = estimator.fit(toy.X) if y is None else estimator.fit(toy.X, y)
                        getattr(model, method)(sample)
                        return Fitted(model, toy, method)
                    except Exception as error:  # noqa: BLE001 - try the next target shape
                        last = error
                continue
            try:
                model = make_pipeline(*toy.wrap(estimator), LogisticRegression())
                model.fit(toy.X, data["y_class"])
                model.predict(sample)
                return Fitted(model, toy, "predict")
            except Exception as error:  # noqa: BLE001 - try the next input
                last = error
    raise RuntimeError(f"no toy input fits: {type(last).__name__}: {last}")


# What MLflow's requirement inference writes for a scikit-learn model, given up front: inference
# loads each model in a subprocess (about ten seconds each, over two hundred estimators).
_SKLEARN_REQUIREMENTS = [f"{name}=={version(name)}" for name in ("scikit-learn", "cloudpickle", "numpy", "scipy",
                                                                  "pandas")]


def save_sklearn_estimators(saver: Saver) -> dict[str, str]:
    import mlflow
    from sklearn.utils import all_estimators

    data = _toy_data()
    skipped: dict[str, str] = {}
    for name, estimator_class in all_estimators():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fitted = _fit_for_predict(estimator_class, data)
            except Exception as error:  # noqa: BLE001 - recorded as the reason it was left out
                skipped[name] = f"{type(error).__name__}: {error}"[:200]
                continue
        model, toy = fitted.model, fitted.toy
        wrapped = ("" if model.__class__ is estimator_class
                   else f"make_pipeline({toy.shown.format(name + '(...)')}, LogisticRegression())")
        fitted_call = wrapped or f"{name}(...)"
        on = "a 40x4 toy frame" if toy.kind == "frame" else f"a 40-row toy frame ({toy.kind})"
        how = "" if fitted.predict_fn == "predict" else f", pyfunc_predict_fn={fitted.predict_fn!r}"
        if not saver.case(
                f"sklearn-{name}", "sklearn",
                f"scikit-learn {name} fitted on {on}"
                + (" (it only transforms: first step of a pipeline ending in a classifier)" if wrapped else "")
                + (" (it has no predict: MLflow's pyfunc calls its score)" if how else ""),
                f"mlflow.sklearn.save_model({fitted_call}, path, serialization_format='cloudpickle', "
                f"input_example=X.head(2){how})",
                lambda path: mlflow.sklearn.save_model(model, path, serialization_format="cloudpickle",
                                                        input_example=toy.X.head(2),
                                                        pyfunc_predict_fn=fitted.predict_fn,
                                                        pip_requirements=_SKLEARN_REQUIREMENTS)):
            skipped[name] = "mlflow.sklearn.save_model failed"
    return skipped


class Scaler:
    """A transformer whose method a FunctionTransformer is given bound (``obj.method`` pickles as
    ``getattr(obj, "method")``)."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def scale(self, frame: Any) -> Any:
        return frame * self.factor


def double_columns(frame: Any) -> Any:
    return frame * 2.0


def save_sklearn_pipelines(saver: Saver) -> None:
    import mlflow
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    data = _toy_data()
    X, y = data["X"], data["y_class"]
    fitted_scaler = StandardScaler().fit(X)
    # (name, description, pipeline, serialization formats): plain pickle only where the functions are
    # importable by reference (a training script's own are not, in the process that loads the model).
    pipelines = [
        ("sklearn-pipeline-lambda-transformer",
         "a pipeline whose first step is FunctionTransformer(lambda frame: frame.clip(0.05, 0.95))",
         make_pipeline(FunctionTransformer(lambda frame: frame.clip(0.05, 0.95)), LogisticRegression()),
         ("cloudpickle",)),
        ("sklearn-pipeline-script-bound-method",
         "a pipeline whose first step is FunctionTransformer(Scaler(3.0).scale), a bound method of a class "
         "defined in the training script",
         make_pipeline(FunctionTransformer(Scaler(3.0).scale), StandardScaler(), LogisticRegression()),
         ("cloudpickle",)),
        ("sklearn-pipeline-library-bound-method",
         "a pipeline whose first step is FunctionTransformer(StandardScaler().fit(X).transform), a bound "
         "method of a library object (pickled as getattr(scaler, 'transform'))",
         make_pipeline(FunctionTransformer(fitted_scaler.transform), LogisticRegression()),
         ("cloudpickle", "pickle")),
        ("sklearn-pipeline-script-function",
         "a pipeline whose first step is FunctionTransformer(double_columns), a function defined in the "
         "training script",
         make_pipeline(FunctionTransformer(double_columns), LogisticRegression()),
         ("cloudpickle",)),
    ]
    for name, description, pipeline, serializations in pipelines:
        pipeline.fit(X, y)
        for serialization in serializations:
            saver.case(f"{name}-{serialization}", "sklearn", f"{description}, serialization_format={serialization!r}",
                       f"mlflow.sklearn.save_model(pipeline, path, serialization_format={serialization!r}, "
                       "input_example=X.head(2))",
                       lambda path, p=pipeline, s=serialization: mlflow.sklearn.save_model(
                           p, path, serialization_format=s, input_example=X.head(2)))
    # The skops format (MLflow's third serialization_format), on a plain estimator.
    plain = LogisticRegression().fit(X, y)
    saver.case("sklearn-skops-logistic-regression", "sklearn", "LogisticRegression saved as skops",
               "mlflow.sklearn.save_model(LogisticRegression(), path, serialization_format='skops', "
               "input_example=X.head(2))",
               lambda path: mlflow.sklearn.save_model(plain, path, serialization_format="skops",
                                                      input_example=X.head(2), skops_trusted_types=[]))


def save_serialized_artifacts(saver: Saver) -> None:
    """A PythonModel that loads a scikit-learn model from an artifact file: joblib compressed and
    not, and plain pickle at every protocol 0-5."""
    import joblib
    import mlflow
    from sklearn.linear_model import LogisticRegression

    data = _toy_data()
    X, y = data["X"], data["y_class"]
    fitted = LogisticRegression().fit(X, y)

    class JoblibModel(mlflow.pyfunc.PythonModel):
        def load_context(self, context: Any) -> None:
            import joblib

            self.model = joblib.load(context.artifacts["model"])

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return self.model.predict(model_input)

    class PickleModel(mlflow.pyfunc.PythonModel):
        def load_context(self, context: Any) -> None:
            with open(context.artifacts["model"], "rb") as file:
                self.model = pickle.load(file)

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return self.model.predict(model_input)

    # Written outside the corpus and named relative to it, as a user passes `artifacts={"model": "model.pkl"}`
    # from the training folder: MLflow records each artifact's source `uri` as given.
    scratch = Path(tempfile.mkdtemp(prefix="benign-artifacts-"))
    with contextlib.chdir(scratch):
        for compress in (0, 3):
            artifact = f"model-compress{compress}.joblib"
            joblib.dump(fitted, artifact, compress=compress)
            saver.case(f"pyfunc-joblib-compress{compress}", "pyfunc",
                       f"a PythonModel (defined in the training script) loading a LogisticRegression written by "
                       f"joblib.dump(compress={compress})",
                       f"mlflow.pyfunc.save_model(path, python_model=JoblibModel(), artifacts={{'model': "
                       f"'{artifact}'}}, input_example=X.head(2))",
                       lambda path, a=artifact: mlflow.pyfunc.save_model(
                           path, python_model=JoblibModel(), artifacts={"model": a}, input_example=X.head(2),
                           pip_requirements=["scikit-learn", "joblib", "cloudpickle"]))
        for protocol in range(6):
            artifact = f"model-protocol{protocol}.pkl"
            with open(artifact, "wb") as file:
                pickle.dump(fitted, file, protocol=protocol)
            saver.case(f"pyfunc-pickle-protocol{protocol}", "pyfunc",
                       f"a PythonModel (defined in the training script) loading a LogisticRegression written by "
                       f"pickle.dump(protocol={protocol})",
                       f"mlflow.pyfunc.save_model(path, python_model=PickleModel(), artifacts={{'model': "
                       f"'{artifact}'}}, input_example=X.head(2))",
                       lambda path, a=artifact: mlflow.pyfunc.save_model(
                           path, python_model=PickleModel(), artifacts={"model": a}, input_example=X.head(2),
                           pip_requirements=["scikit-learn", "cloudpickle"]))
    shutil.rmtree(scratch)
    save_dill_artifact(saver)


def save_dill_artifact(saver: Saver) -> None:
    """A PythonModel loading, with dill, a pipeline whose FunctionTransformer is a training-script lambda: what
    users reach for dill for (MLflow's own flavors offer no dill format)."""
    import dill
    import mlflow
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    data = _toy_data()
    X, y = data["X"], data["y_class"]
    pipeline = make_pipeline(FunctionTransformer(lambda frame: frame.clip(0.05, 0.95)), LogisticRegression()).fit(X, y)

    class DillModel(mlflow.pyfunc.PythonModel):
        def load_context(self, context: Any) -> None:
            import dill

            with open(context.artifacts["model"], "rb") as file:
                self.model = dill.load(file)

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return self.model.predict(model_input)

    scratch = Path(tempfile.mkdtemp(prefix="benign-artifacts-"))
    with contextlib.chdir(scratch):
        with open("model.dill", "wb") as file:
            dill.dump(pipeline, file, recurse=True)
        saver.case("pyfunc-dill-artifact", "pyfunc",
                   "a PythonModel (defined in the training script) loading with dill.load a pipeline whose first step "
                   "is FunctionTransformer(lambda frame: frame.clip(0.05, 0.95)), written by "
                   "dill.dump(recurse=True)",
                   "mlflow.pyfunc.save_model(path, python_model=DillModel(), artifacts={'model': 'model.dill'}, "
                   "input_example=X.head(2))",
                   lambda path: mlflow.pyfunc.save_model(
                       path, python_model=DillModel(), artifacts={"model": "model.dill"}, input_example=X.head(2),
                       pip_requirements=[f"{name}=={version(name)}" for name in ("scikit-learn", "dill",
                                                                                 "cloudpickle")]),
                   libraries=("dill",))
    shutil.rmtree(scratch)


def save_torch(saver: Saver) -> None:
    import mlflow
    import numpy as np
    import torch
    from torch import nn

    torch.manual_seed(0)

    class Block(nn.Module):
        def __init__(self, width: int) -> None:
            super().__init__()
            self.linear = nn.Linear(width, width)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.linear(x)) + x

    class TinyNet(nn.Module):
        """Defined in the training script: mlflow.pytorch pickles it by value with cloudpickle."""

        def __init__(self) -> None:
            super().__init__()
            self.block = Block(4)
            self.head = nn.Linear(4, 2)
            self.register_buffer("scale", torch.tensor([1.0, 0.5, 2.0, 1.0]))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.block(x * self.scale))

    example = np.random.RandomState(0).rand(2, 4).astype("float32")
    net = TinyNet().eval()
    sequential = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).eval()
    # MLflow 3 saves with torch.export ("pt2") by default; "pickle" is torch.save with cloudpickle, which
    # pickles a class defined in the training script by value.
    for name, model, what in (("class-in-script", net, "an nn.Module (with a submodule and a buffer) defined in "
                                                       "the training script, saved whole"),
                              ("sequential", sequential, "an nn.Sequential of torch's own layers, saved whole")):
        for serialization in ("pt2", "pickle"):
            saver.case(f"pytorch-{name}-{serialization}", "pytorch", f"{what}, serialization_format={serialization!r}",
                       f"mlflow.pytorch.save_model(model, path, serialization_format={serialization!r}, "
                       "input_example=example)",
                       lambda path, m=model, s=serialization: mlflow.pytorch.save_model(
                           m, path, serialization_format=s, input_example=example))
    scripted = torch.jit.script(sequential)
    saver.case("pytorch-torchscript", "pytorch", "an nn.Sequential compiled with torch.jit.script (a TorchScript archive)",
               "mlflow.pytorch.save_model(torch.jit.script(nn.Sequential(...)), path, serialization_format='pickle', "
               "input_example=example)",
               lambda path: mlflow.pytorch.save_model(scripted, path, serialization_format="pickle",
                                                      input_example=example))


def save_keras(saver: Saver) -> None:
    import keras
    import mlflow
    import numpy as np

    keras.utils.set_random_seed(0)
    example = np.random.RandomState(0).rand(2, 4).astype("float32")

    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    saver.case("keras-sequential", "keras", "a Keras 3 Sequential of built-in layers (torch backend)",
               "mlflow.keras.save_model(keras.Sequential([...]), path, input_example=example)",
               lambda path: (os.makedirs(path), mlflow.keras.save_model(plain, path, input_example=example)))
    save_keras_custom_layer(saver, example)
    save_keras_model_attribute(saver, plain, example)


def save_keras_custom_layer(saver: Saver, example: Any) -> None:
    """A Keras model with a custom layer, as MLflow 3 ships one: ``mlflow.keras.save_model`` takes neither
    ``custom_objects`` nor ``code_paths``, and Keras 3 imports no module a ``.keras`` file names outside
    keras. So the ``.keras`` file is an artifact of a ``PythonModel`` whose ``load_context`` imports the
    layer's module, shipped with ``code_paths``. The signature is given: inferring it from the input example
    would run ``load_context`` at save and pickle the loaded Keras model into ``python_model.pkl``, which a
    fresh process cannot unpickle before the layer is registered."""
    import keras
    import keras_custom_layers
    import mlflow
    import numpy as np

    class KerasCustomLayerModel(mlflow.pyfunc.PythonModel):
        def load_context(self, context: Any) -> None:
            import keras
            import keras_custom_layers  # noqa: F401 - registers ScaleShift, which the .keras file names

            self.model = keras.saving.load_model(context.artifacts["keras_model"])

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return keras.ops.convert_to_numpy(self.model(np.asarray(model_input, dtype="float32")))

    model = keras.Sequential([keras.Input((4,)), keras_custom_layers.ScaleShift(0.25), keras.layers.Dense(1)])
    signature = mlflow.models.infer_signature(example, keras.ops.convert_to_numpy(model(example)))
    scratch = Path(tempfile.mkdtemp(prefix="benign-keras-"))
    with contextlib.chdir(scratch):
        model.save("model.keras")
        saver.case("pyfunc-keras-custom-layer", "pyfunc",
                   "a Keras 3 Sequential with a custom layer (ScaleShift, registered with "
                   "@keras.saving.register_keras_serializable in keras_custom_layers.py), saved as a .keras "
                   "artifact of a PythonModel whose load_context imports keras_custom_layers, shipped with "
                   "code_paths",
                   "mlflow.pyfunc.save_model(path, python_model=KerasCustomLayerModel(), artifacts={'keras_model': "
                   "'model.keras'}, code_paths=['keras_custom_layers.py'], signature=signature, "
                   "input_example=example)",
                   lambda path: mlflow.pyfunc.save_model(
                       path, python_model=KerasCustomLayerModel(), artifacts={"keras_model": "model.keras"},
                       code_paths=[keras_custom_layers.__file__], signature=signature, input_example=example,
                       pip_requirements=[f"{name}=={version(name)}" for name in ("keras", "torch", "cloudpickle")]),
                   libraries=("keras", "torch"))
    shutil.rmtree(scratch)


def save_keras_model_attribute(saver: Saver, model: Any, example: Any) -> None:
    """A PythonModel whose ``load_context`` loads a Keras model from an artifact, saved with an input example
    and no signature: MLflow 3 runs ``load_context`` at save to infer the signature, then cloudpickles the
    instance, so ``python_model.pkl`` holds the Keras model (``KerasSaveable._unpickle_model(BytesIO(...))``)."""
    import keras
    import mlflow
    import numpy as np

    class KerasModel(mlflow.pyfunc.PythonModel):
        def load_context(self, context: Any) -> None:
            import keras

            self.model = keras.saving.load_model(context.artifacts["keras_model"])

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return keras.ops.convert_to_numpy(self.model(np.asarray(model_input, dtype="float32")))

    scratch = Path(tempfile.mkdtemp(prefix="benign-keras-"))
    with contextlib.chdir(scratch):
        model.save("model.keras")
        saver.case("pyfunc-keras-model-attribute", "pyfunc",
                   "a PythonModel whose load_context loads a Keras 3 Sequential (built-in layers) from a .keras "
                   "artifact, saved with an input example: MLflow runs load_context at save and pickles the loaded "
                   "Keras model into python_model.pkl",
                   "mlflow.pyfunc.save_model(path, python_model=KerasModel(), artifacts={'keras_model': "
                   "'model.keras'}, input_example=example)",
                   lambda path: mlflow.pyfunc.save_model(
                       path, python_model=KerasModel(), artifacts={"keras_model": "model.keras"},
                       input_example=example,
                       pip_requirements=[f"{name}=={version(name)}" for name in ("keras", "torch", "cloudpickle")]),
                   libraries=("keras", "torch"))
    shutil.rmtree(scratch)


def save_boosters(saver: Saver) -> None:
    import catboost
    import lightgbm
    import mlflow
    import xgboost

    data = _toy_data()
    X, y = data["X"], data["y_class"]
    xgb_sklearn = xgboost.XGBClassifier(n_estimators=3, max_depth=2).fit(X, y)
    saver.case("xgboost-sklearn-api", "xgboost", "xgboost.XGBClassifier (3 trees)",
               "mlflow.xgboost.save_model(XGBClassifier(...), path, input_example=X.head(2))",
               lambda path: mlflow.xgboost.save_model(xgb_sklearn, path, input_example=X.head(2)))
    saver.case("xgboost-sklearn-api-json", "xgboost", "xgboost.XGBClassifier (3 trees), in xgboost's JSON format",
               "mlflow.xgboost.save_model(XGBClassifier(...), path, model_format='json', input_example=X.head(2))",
               lambda path: mlflow.xgboost.save_model(xgb_sklearn, path, model_format="json",
                                                      input_example=X.head(2)))
    booster = xgboost.train({"max_depth": 2}, xgboost.DMatrix(X, label=y), num_boost_round=3)
    saver.case("xgboost-booster", "xgboost", "a native xgboost.Booster (3 rounds)",
               "mlflow.xgboost.save_model(xgboost.train(...), path, input_example=X.head(2))",
               lambda path: mlflow.xgboost.save_model(booster, path, input_example=X.head(2)))
    lgb_sklearn = lightgbm.LGBMClassifier(n_estimators=3, min_child_samples=2, verbose=-1).fit(X, y)
    saver.case("lightgbm-sklearn-api", "lightgbm", "lightgbm.LGBMClassifier (3 trees), pickled by the flavor",
               "mlflow.lightgbm.save_model(LGBMClassifier(...), path, input_example=X.head(2))",
               lambda path: mlflow.lightgbm.save_model(lgb_sklearn, path, input_example=X.head(2)))
    saver.case("lightgbm-sklearn-api-cloudpickle", "lightgbm",
               "lightgbm.LGBMClassifier (3 trees), cloudpickled (the flavor's format before skops)",
               "mlflow.lightgbm.save_model(LGBMClassifier(...), path, serialization_format='cloudpickle', "
               "input_example=X.head(2))",
               lambda path: mlflow.lightgbm.save_model(lgb_sklearn, path, serialization_format="cloudpickle",
                                                       input_example=X.head(2)))
    lgb_booster = lightgbm.train({"verbose": -1, "min_data_in_leaf": 2}, lightgbm.Dataset(X, label=y), 3)
    saver.case("lightgbm-booster", "lightgbm", "a native lightgbm.Booster (3 rounds), saved as text",
               "mlflow.lightgbm.save_model(lightgbm.train(...), path, input_example=X.head(2))",
               lambda path: mlflow.lightgbm.save_model(lgb_booster, path, input_example=X.head(2)))
    cat = catboost.CatBoostClassifier(iterations=3, depth=2, verbose=False, allow_writing_files=False).fit(X, y)
    saver.case("catboost-classifier", "catboost", "catboost.CatBoostClassifier (3 iterations), saved as .cb",
               "mlflow.catboost.save_model(CatBoostClassifier(...), path, input_example=X.head(2))",
               lambda path: mlflow.catboost.save_model(cat, path, input_example=X.head(2)))


def save_statsmodels(saver: Saver) -> None:
    import mlflow
    import statsmodels.api as sm

    data = _toy_data()
    X = sm.add_constant(data["X"])
    ols = sm.OLS(data["y_reg"], X).fit()
    saver.case("statsmodels-ols", "statsmodels", "statsmodels OLS results (statsmodels pickles them)",
               "mlflow.statsmodels.save_model(sm.OLS(y, X).fit(), path, input_example=X.head(2))",
               lambda path: mlflow.statsmodels.save_model(ols, path, input_example=X.head(2)))
    logit = sm.Logit(data["y_class"], X).fit(disp=0)
    saver.case("statsmodels-logit", "statsmodels", "statsmodels Logit results, remove_data=True",
               "mlflow.statsmodels.save_model(sm.Logit(y, X).fit(), path, remove_data=True, input_example=X.head(2))",
               lambda path: mlflow.statsmodels.save_model(logit, path, remove_data=True, input_example=X.head(2)))


def save_onnx(saver: Saver) -> None:
    import mlflow
    from skl2onnx import to_onnx
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    data = _toy_data()
    X = data["X"].to_numpy(dtype="float32")
    for name, estimator in (("logistic-regression", LogisticRegression()),
                            ("random-forest", RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0))):
        estimator.fit(X, data["y_class"])
        proto = to_onnx(estimator, X[:1], options={"zipmap": False}, target_opset=17)
        saver.case(f"onnx-{name}", "onnx", f"scikit-learn {type(estimator).__name__} converted by skl2onnx",
                   "mlflow.onnx.save_model(skl2onnx.to_onnx(...), path, input_example=X[:2])",
                   lambda path, p=proto: mlflow.onnx.save_model(p, path, input_example=X[:2]))


def save_transformers(saver: Saver) -> None:
    """Transformers models built from a tiny config, no hub download: the tokenizer is a word-level
    tokenizer trained here."""
    import mlflow
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast, pipeline

    torch.manual_seed(0)
    words = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    words.train_from_iterator(["a good model", "a bad model", "nothing here"],
                              trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"]))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="[UNK]", pad_token="[PAD]",
                                        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16, num_labels=2)
    model = BertForSequenceClassification(config).eval()
    classifier = pipeline("text-classification", model=model, tokenizer=tokenizer, framework="pt")
    saver.case("transformers-text-classification", "transformers",
               "a one-layer BERT (hidden size 8) from a tiny config with a word-level tokenizer, in a "
               "text-classification pipeline; weights as safetensors",
               "mlflow.transformers.save_model(pipeline('text-classification', ...), path, "
               "input_example=['a good model'])",
               # MLflow's default requirements for a torch pipeline name torchvision, which a text model does
               # not need (and this venv does not have)
               lambda path: mlflow.transformers.save_model(
                   classifier, path, input_example=["a good model"],
                   pip_requirements=[f"{name}=={version(name)}" for name in ("transformers", "torch", "tokenizers",
                                                                             "safetensors")]))


def save_all(out: Path) -> None:
    saver = Saver(out)
    skipped = save_sklearn_estimators(saver)
    save_sklearn_pipelines(saver)
    save_serialized_artifacts(saver)
    for save in (save_torch, save_keras, save_boosters, save_statsmodels, save_onnx, save_transformers):
        try:
            save(saver)
        except Exception:  # noqa: BLE001 - one library failing to import leaves the others
            print(f"benign: {save.__name__} failed\n{traceback.format_exc(limit=5)}", flush=True)
    (out / "SKIPPED.json").write_text(json.dumps(skipped, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"benign: saved {len(saver.saved)} cases, skipped {len(skipped)} estimators", flush=True)


# --------------------------------------------------------------------------- verifying (fresh process)

def verify_all(out: Path) -> None:
    import mlflow

    for case_json in sorted(out.glob("*/CASE.json")):
        model = case_json.parent
        if json.loads(case_json.read_text(encoding="utf-8"))["verdict"] is not None:
            continue  # kept from an earlier run (``MODELLINT_CORPUS_ONLY``)
        verdict: dict[str, str] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                loaded = mlflow.pyfunc.load_model(str(model))
                verdict["load"] = "ok"
            except Exception as error:  # noqa: BLE001 - MLflow's verdict, whatever it raises
                verdict["load"] = f"{type(error).__name__}: {error}"[:300]
            if verdict["load"] == "ok":
                try:
                    example = mlflow.models.Model.load(str(model)).load_input_example(str(model))
                    loaded.predict(example)
                    verdict["predict"] = "ok"
                except Exception as error:  # noqa: BLE001
                    verdict["predict"] = f"{type(error).__name__}: {error}"[:300]
        record = json.loads(case_json.read_text(encoding="utf-8"))
        record["verdict"] = verdict
        case_json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"benign: {model.name}: {verdict}", flush=True)


if __name__ == "__main__":
    save_all(Path(sys.argv[2]))
