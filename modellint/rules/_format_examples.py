"""Tiny ONNX models for the rules' VALID/INVALID examples, encoded field by field (onnx.proto's numbers):
nothing here imports onnx, and the static reader is what reads them."""

from __future__ import annotations

from modellint.rules._examples import MLMODEL, conda, model_files, requirements


def encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def encode_field(number: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return encode_varint(number << 3) + encode_varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return encode_varint(number << 3 | 2) + encode_varint(len(data)) + data


def onnx_node(op_type: str, domain: str = "") -> bytes:
    """A ``NodeProto`` ``x -> y`` of ``domain::op_type``."""
    return encode_field(1, "x") + encode_field(2, "y") + encode_field(4, op_type) + (encode_field(7, domain) if domain else b"")


def external_tensor(name: str, location: str) -> bytes:
    """A float ``TensorProto`` of 4 values stored in the external file ``location``."""
    entries = encode_field(13, encode_field(1, "location") + encode_field(2, location)) + encode_field(13, encode_field(1, "length") + encode_field(2, "16"))
    return encode_field(1, 4) + encode_field(2, 1) + encode_field(8, name) + entries + encode_field(14, 1)


def onnx_model(*nodes: bytes, initializers: tuple[bytes, ...] = (), opsets: tuple[tuple[str, int], ...] = (),
               ir_version: int = 8, opset: int = 17) -> bytes:
    """A ``ModelProto`` (``ir_version``, default-domain ``opset`` and ``opsets``) whose graph holds ``nodes``
    and ``initializers``."""
    graph = b"".join(encode_field(1, node) for node in nodes) + encode_field(2, "g")
    graph += b"".join(encode_field(5, tensor) for tensor in initializers)
    opset_imports = encode_field(8, encode_field(2, opset)) + b"".join(
        encode_field(8, encode_field(1, domain) + encode_field(2, version)) for domain, version in opsets)
    return encode_field(1, ir_version) + encode_field(2, "example") + encode_field(7, graph) + opset_imports


# The flavors ``mlflow.onnx.save_model`` writes, in place of the clean model's sklearn ones.
_ONNX_FLAVORS = """\
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.20.1
    providers:
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.7
"""
ONNX_MLMODEL = _ONNX_FLAVORS + MLMODEL[MLMODEL.index("mlflow_version:"):]
ONNX_PIP = ("mlflow==3.17.2", "onnx==1.20.1", "onnxruntime==1.23.2")


def onnx_files(model: bytes, pip: tuple[str, ...] = ONNX_PIP, **others: bytes) -> dict[str, str | bytes]:
    """The clean model saved by the ``onnx`` flavor: ``model`` as its ``model.onnx``, ``others`` beside it,
    ``pip`` its requirements."""
    return {**model_files(MLmodel=ONNX_MLMODEL, model__skops=None, model__onnx=model,
                          requirements__txt=requirements(*pip), conda__yaml=conda(*pip)), **others}


def torchscript_archive(code: str) -> bytes:
    """A TorchScript archive (as ``torch.jit.save`` lays it out) whose ``code/__torch__.py`` is ``code``."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model/data.pkl", b"\x80\x02)\x85.")  # an empty tuple: no module's state
        archive.writestr("model/code/__torch__.py", code)
        archive.writestr("model/constants.pkl", b"\x80\x02).")
        archive.writestr("model/version", "3\n")
    return buffer.getvalue()


# The flavors ``mlflow.pytorch.save_model`` writes for a scripted module, in place of the sklearn ones.
_PYTORCH_FLAVORS = """\
flavors:
  python_function:
    data: data
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pytorch
    pickle_module_name: mlflow.pytorch.pickle_module
    python_version: 3.11.7
  pytorch:
    code: null
    model_data: data
    pytorch_version: 2.13.0
"""
PYTORCH_MLMODEL = _PYTORCH_FLAVORS + MLMODEL[MLMODEL.index("mlflow_version:"):]
_PYTORCH_PIP = ("mlflow==3.17.2", "torch==2.13.0")


def torchscript_files(archive: bytes) -> dict[str, str | bytes]:
    """The clean model saved by the ``pytorch`` flavor, ``archive`` as its ``data/model.pth``."""
    files = model_files(MLmodel=PYTORCH_MLMODEL, model__skops=None, requirements__txt=requirements(*_PYTORCH_PIP),
                        conda__yaml=conda(*_PYTORCH_PIP))
    return {**files, "data/model.pth": archive, "data/pickle_module_info.txt": "mlflow.pytorch.pickle_module"}


def keras_archive(*layers: dict[str, object]) -> bytes:
    """A ``.keras`` archive (as ``keras.saving.save_model`` lays it out) of a Sequential of ``layers``."""
    import io
    import json
    import zipfile

    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "sequential", "layers": list(layers)}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    return buffer.getvalue()


def keras_layer(class_name: str, module: str = "keras.layers", **config: object) -> dict[str, object]:
    return {"module": module, "class_name": class_name, "config": {"name": class_name.lower(), **config},
            "registered_name": None}


# A ``Lambda(lambda x: x * 2)`` as Keras 3 serializes it: marshalled bytecode (CPython 3.11), base64.
LAMBDA_FUNCTION = {"class_name": "__lambda__", "config": {
    "code": "4wEAAAAAAAAAAAAAAAIAAAADAAAA8wwAAACXAHwAZAF6BQAAUwApAk7pAgAAAKkAKQHaAXhzAQAAACD6CDxzdHJpbmc++gg8bGFtYmRh"
            "PnIGAAAAAwAAAHMKAAAAgACIQYhhiUOAAPMAAAAA",
    "defaults": None, "closure": None}}

# The flavors ``mlflow.keras.save_model`` (Keras 3) writes, in place of the sklearn ones.
_KERAS_FLAVORS = """\
flavors:
  keras:
    code: null
    data: data
    keras_backend: torch
    keras_version: 3.15.1
    save_exported_model: false
  python_function:
    data: data
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.keras
    python_version: 3.11.7
"""
KERAS_MLMODEL = _KERAS_FLAVORS + MLMODEL[MLMODEL.index("mlflow_version:"):]
_KERAS_PIP = ("keras==3.15.1", "mlflow==3.17.2", "torch==2.13.0")


def keras_files(archive: bytes) -> dict[str, str | bytes]:
    """The clean model saved by the ``keras`` flavor, ``archive`` as its ``data/model.keras``."""
    files = model_files(MLmodel=KERAS_MLMODEL, model__skops=None, requirements__txt=requirements(*_KERAS_PIP),
                        conda__yaml=conda(*_KERAS_PIP))
    return {**files, "data/model.keras": archive}


def tf_node(name: str, op: str) -> bytes:
    """A ``NodeDef``."""
    return encode_field(1, name) + encode_field(2, op)


def tf_function(name: str, *nodes: bytes) -> bytes:
    """A ``FunctionDef`` named ``name`` (its ``OpDef`` signature) holding ``nodes``."""
    return encode_field(1, encode_field(1, name)) + b"".join(encode_field(3, node) for node in nodes)


def saved_model(*nodes: bytes, functions: tuple[bytes, ...] = ()) -> bytes:
    """A ``SavedModel`` (schema version 1) of one ``MetaGraphDef`` whose graph holds ``nodes`` and whose
    library holds ``functions``."""
    library = b"".join(encode_field(1, function) for function in functions)
    graph = b"".join(encode_field(1, node) for node in nodes) + (encode_field(2, library) if library else b"")
    meta_graph = encode_field(1, encode_field(4, "serve")) + encode_field(2, graph)
    return encode_field(1, 1) + encode_field(2, meta_graph)


# The flavors ``mlflow.tensorflow.save_model`` writes for a ``tf.Module``, in place of the sklearn ones.
_TENSORFLOW_FLAVORS = """\
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.tensorflow
    python_version: 3.11.7
  tensorflow:
    code: null
    model_type: tf2-module
    saved_model_dir: tf2model
"""
TENSORFLOW_MLMODEL = _TENSORFLOW_FLAVORS + MLMODEL[MLMODEL.index("mlflow_version:"):]
_TENSORFLOW_PIP = ("mlflow==3.17.2", "tensorflow==2.21.0")


def saved_model_files(files: dict[str, bytes]) -> dict[str, str | bytes]:
    """The clean model saved by the ``tensorflow`` flavor, ``files`` (relative to the SavedModel dir) as
    its ``tf2model/``."""
    model = model_files(MLmodel=TENSORFLOW_MLMODEL, model__skops=None, requirements__txt=requirements(*_TENSORFLOW_PIP),
                        conda__yaml=conda(*_TENSORFLOW_PIP))
    return {**model, **{f"tf2model/{name}": data for name, data in files.items()}}
