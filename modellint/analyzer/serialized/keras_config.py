"""What rebuilding a Keras model from its config runs and imports (the config of a ``.keras`` archive's
``config.json``, a legacy ``.h5`` file's ``model_config``, or one a pickle passes a Keras deserializer):
read by :func:`walk_config`, see keras.py for the judgement."""

from __future__ import annotations

from modellint.analyzer.serialized.pickles.results import CallSite, Facts, GlobalRef, Hazard

# Keras itself, whose objects it resolves (``serialization_lib._retrieve_class_or_fn``), and
# ``builtins``, its name for functions it looks up in its own modules (``"relu"``). keras_hub,
# keras_cv, keras_nlp and tf_keras are distributions of their own: their classes are imports the
# environment must provide, judged like any other.
_KERAS_PACKAGES = frozenset({"keras", "builtins"})
OPCODE = "keras-config"  # the ``opcode`` of the import records, for the messages


def walk_config(config: object, facts: Facts, member: str, unsafe_load: bool = False) -> None:
    """What rebuilding the Keras model ``config`` (read from ``member``) runs and imports. ``unsafe_load``:
    the archive is a pickled Keras model, which Keras's unpickler loads with ``safe_mode=False``."""
    pending: list[tuple[object, str]] = [(config, "")]
    lambdas: list[str] = []
    while pending:
        node, layer = pending.pop()
        if isinstance(node, list):
            pending.extend((item, layer) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        inner = node.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            layer = inner["name"]
        if node.get("class_name") == "__lambda__" or node.get("function_type") == "lambda":
            lambdas.append(layer)
        module, name = node.get("module"), node.get("class_name")
        if isinstance(module, str) and isinstance(name, str) and module.split(".")[0] not in _KERAS_PACKAGES:
            if name == "function" and isinstance(inner, str):
                name = inner  # a function by reference: {"class_name": "function", "config": "my_fn"}
            ref = GlobalRef(module, name, 0, member, OPCODE)
            facts.globals.append(ref)
            facts.calls.append(CallSite(ref, OPCODE, 0, member))  # rebuilding calls it (from_config)
        pending.extend((value, layer) for value in node.values())
    for layer in dict.fromkeys(lambdas):
        shown = f"`Lambda` layer `{layer}`" if layer else "`Lambda` function"
        facts.hazards.append(Hazard(
            "runs-code",
            f"holds a {shown} serialized as marshalled Python bytecode: " + (
                "Keras unpickles a model with `safe_mode=False` (`KerasSaveable._unpickle_model`), so unpickling "
                "this file runs the bytecode" if unsafe_load else
                "Keras 3 refuses it under its default `safe_mode=True` (what `mlflow.keras` loads with), so that "
                "load fails, and whoever loads it with `safe_mode=False` runs the bytecode"), None, member))
