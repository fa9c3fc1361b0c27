"""Whether a save/log call certainly writes a model without a signature, and where it registers it.

MLflow writes a signature when the call passes ``signature=``, infers one from ``input_example=``,
and for some flavors makes one by itself: ``transformers``, ``sentence_transformers`` and
``openai`` from the task, LLM flavors from their interfaces, a ``PythonModel`` from the type hints
of its ``predict`` (MLflow 2.20+) or from the class it extends (``ChatModel``, ``ResponsesAgent``).
A static reading says "no signature" only where none of that can happen: a flavor known to infer
nothing, no ``signature``/``input_example`` argument (a variable counts as one), no ``**kwargs``,
and no ``mlflow.models.set_signature`` in the file (it adds one to the logged model afterwards).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from modellint.analyzer.project.log_calls import MlflowCall
from modellint.analyzer.project.python_model import ModelCode

if TYPE_CHECKING:
    from modellint.analyzer.project.training import TrainingCall

# Flavors whose save/log writes a signature only from `signature=` or `input_example=`
# (mlflow/<flavor>/__init__.py in MLflow 2.x and 3.x: no default signature).
_NO_DEFAULT_SIGNATURE = frozenset({
    "sklearn", "xgboost", "lightgbm", "catboost", "pytorch", "tensorflow", "keras", "onnx", "statsmodels",
    "prophet", "spark", "h2o", "paddle", "pmdarima", "fastai", "spacy",
})
# Adds a signature to a model already logged (`set_signature(model_uri, signature)`).
SIGNATURE_SETTERS = frozenset({"mlflow.models.set_signature", "mlflow.models.model.set_signature"})
# The base a PythonModel must extend directly for its signature to come only from the call.
_PYTHON_MODEL_BASES = frozenset({"mlflow.pyfunc.PythonModel", "mlflow.pyfunc.model.PythonModel"})


def certainly_unsigned(training: TrainingCall) -> bool:
    """Whether the model the call writes certainly has no signature."""
    call, model_code = training.call, training.model_code
    if call.opaque or call.given("signature") or call.given("input_example") or training.sets_signature_later:
        return False
    if call.flavor in _NO_DEFAULT_SIGNATURE:
        return True
    if call.flavor != "pyfunc" or model_code is None:
        return False
    if model_code.kind == "loader_module":
        return True  # MLflow loads the data with the module: it infers nothing
    return model_code.kind == "class" and _plain_python_model(model_code)


def _plain_python_model(code: ModelCode) -> bool:
    """A class extending ``PythonModel`` itself whose own ``predict`` has no type hints."""
    if code.source is None or code.class_name is None:
        return False
    cls = next((node for node in code.source.tree.body
                if isinstance(node, ast.ClassDef) and node.name == code.class_name), None)
    if cls is None or len(cls.bases) != 1 or cls.keywords or cls.decorator_list:
        return False
    if code.source.qualified_name(cls.bases[0]) not in _PYTHON_MODEL_BASES:
        return False
    predict = next((node for node in cls.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and node.name == "predict"), None)
    if predict is None or predict.decorator_list or predict.returns is not None:
        return False
    arguments = predict.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    return all(argument is None or argument.annotation is None for argument in every)


def unity_catalog_name(call: MlflowCall) -> str | None:
    """The ``registered_model_name`` when it is a literal Unity Catalog name (``catalog.schema.model``)."""
    name = call.literal("registered_model_name")
    if name is None or not isinstance(name.value, str):
        return None
    parts = name.value.split(".")
    return name.value if len(parts) == 3 and all(part.strip() for part in parts) else None
