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


def onnx_model(*nodes: bytes, initializers: tuple[bytes, ...] = (), opsets: tuple[tuple[str, int], ...] = ()) -> bytes:
    """A ``ModelProto`` (IR 8, opset 17 and ``opsets``) whose graph holds ``nodes`` and ``initializers``."""
    graph = b"".join(encode_field(1, node) for node in nodes) + encode_field(2, "g")
    graph += b"".join(encode_field(5, tensor) for tensor in initializers)
    opset_imports = encode_field(8, encode_field(2, 17)) + b"".join(encode_field(8, encode_field(1, domain) + encode_field(2, version))
                                                      for domain, version in opsets)
    return encode_field(1, 8) + encode_field(2, "example") + encode_field(7, graph) + opset_imports


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
_ONNX_PIP = ("mlflow==3.17.2", "onnx==1.20.1", "onnxruntime==1.23.2")


def onnx_files(model: bytes, **others: bytes) -> dict[str, str | bytes]:
    """The clean model saved by the ``onnx`` flavor: ``model`` as its ``model.onnx``, ``others`` beside it."""
    return {**model_files(MLmodel=ONNX_MLMODEL, model__skops=None, model__onnx=model,
                          requirements__txt=requirements(*_ONNX_PIP), conda__yaml=conda(*_ONNX_PIP)), **others}


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
