"""Tiny serialized files for the ML3xx rules' VALID/INVALID examples, assembled byte by byte.

Nothing here is ever unpickled: the examples exist to be read by the static scanner. The
unsafe payload runs ``echo`` at most, and only if someone loads it by hand.
"""

from __future__ import annotations

from modellint.rules._examples import MLMODEL, model_files

_PROTO4 = b"\x80\x04"
_STACK_GLOBAL = b"\x93"


def _text(value: str) -> bytes:
    data = value.encode()
    return b"\x8c" + bytes([len(data)]) + data


def instance_pickle(module: str, name: str) -> bytes:
    """A protocol-4 pickle of ``module.name()`` made with NEWOBJ, as pickling an instance does."""
    return _PROTO4 + _text(module) + _text(name) + _STACK_GLOBAL + b")\x81."


def call_pickle(module: str, name: str, argument: str) -> bytes:
    """A protocol-4 pickle that calls ``module.name(argument)`` when loaded."""
    return _PROTO4 + _text(module) + _text(name) + _STACK_GLOBAL + _text(argument) + b"\x85R."


def getattr_pickle(module: str, name: str, attribute: str, *, instance: bool) -> bytes:
    """``getattr(module.name, attribute)`` (``instance``: of ``module.name()`` made by NEWOBJ), as pickle
    writes a bound method (``obj.method``) or, below protocol 4, a function named by a dotted qualname."""
    owner = _text(module) + _text(name) + _STACK_GLOBAL + (b")\x81" if instance else b"")
    return _PROTO4 + _text("builtins") + _text("getattr") + _STACK_GLOBAL + owner + _text(attribute) + b"\x86R."


def skops_file(*types: tuple[str, str]) -> bytes:
    """A skops archive whose schema names ``(module, class)`` objects (a root object holding the others)."""
    import io
    import json
    import zipfile

    nodes = [{"__class__": name, "__module__": module, "__loader__": "ObjectNode", "content": {}} for module, name in types]
    root = dict(nodes[0], content={"steps": nodes[1:]}, protocol=2, _skops_version="0.16.0")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("schema.json", json.dumps(root))
    return buffer.getvalue()


def _code_args(imported: str) -> tuple[object, ...]:
    """``CodeType`` arguments of ``def predict(self, x): import <imported>`` as CPython 3.11.7 compiles it
    (``co_code``: RESUME, LOAD_CONST, LOAD_CONST, IMPORT_NAME 0, STORE_FAST, LOAD_CONST None, RETURN_VALUE)."""
    code = bytes([151, 0, 100, 1, 100, 0, 108, 0, 125, 2, 100, 0, 83, 0])
    return (2, 0, 0, 3, 2, 3, code, (None, 0), (imported,), ("self", "x", imported), "<m>", "predict",
            "Model.predict", 1, b"", b"", (), ())


def by_value_function_pickle(imported: str) -> bytes:
    """The shape cloudpickle gives a function defined in ``__main__``:
    ``_make_function(_builtin_type('CodeType')(*args), {}, None, None, None)``, bytecode for Python 3.11."""
    cloudpickle = _text("cloudpickle.cloudpickle")
    code_type = cloudpickle + _text("_builtin_type") + _STACK_GLOBAL + _text("CodeType") + b"\x85R"
    code = code_type + _literal(_code_args(imported)) + b"R"
    return _PROTO4 + cloudpickle + _text("_make_function") + _STACK_GLOBAL + b"(" + code + b"}NNNtR."


def _literal(value: object) -> bytes:
    if value is None:
        return b"N"
    if isinstance(value, bool):
        return b"\x88" if value else b"\x89"
    if isinstance(value, int):
        return b"K" + bytes([value])
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bytes):
        return b"C" + bytes([len(value)]) + value
    if isinstance(value, tuple):
        return b"(" + b"".join(_literal(item) for item in value) + b"t"
    raise TypeError(type(value))


def pickled_model(model_pkl: bytes, **others: bytes) -> dict[str, str | bytes]:
    """The clean model saved as a cloudpickled ``model.pkl`` (the file MLflow loads) instead of skops, with
    ``others`` beside it by relative path (files no flavor names, which MLflow never loads)."""
    mlmodel = MLMODEL.replace("model.skops", "model.pkl").replace("serialization_format: skops",
                                                                  "serialization_format: cloudpickle")
    return {**model_files(MLmodel=mlmodel, model__skops=None, model__pkl=model_pkl), **others}


def gguf_file(strings: dict[str, str]) -> bytes:
    """A GGUF v3 file with no tensors and these string key-values (a chat template under
    ``tokenizer.chat_template``)."""
    import struct

    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(strings))
    for key, value in strings.items():
        name, text = key.encode(), value.encode()
        out += struct.pack("<Q", len(name)) + name + struct.pack("<IQ", 8, len(text)) + text
    return out


def gguf_artifact_model(gguf: bytes) -> dict[str, str | bytes]:
    """The clean model whose pyfunc flavor names ``artifacts/model.gguf`` (as a llama.cpp PythonModel logs it)."""
    artifact = "    artifacts:\n      llm:\n        path: artifacts/model.gguf\n        uri: model.gguf\n"
    return model_files(MLmodel=MLMODEL.replace("    predict_fn: predict\n", "    predict_fn: predict\n" + artifact),
                       **{"artifacts/model.gguf": gguf})
