"""Build the real-library ONNX, TorchScript, Keras, SavedModel and dill files under tests/data/formats/
(committed; tests never load them, modellint never imports these libraries).

Run in a throwaway venv, never in the test venv:

    python3 -m venv /tmp/format-fixtures-venv
    /tmp/format-fixtures-venv/bin/pip install torch==2.13.0 onnx keras h5py numpy dill
    /tmp/format-fixtures-venv/bin/python scripts/build_format_fixtures.py

and the SavedModels with TensorFlow, in a venv of their own:

    python3 -m venv /tmp/tf-fixtures-venv && /tmp/tf-fixtures-venv/bin/pip install tensorflow-cpu
    /tmp/tf-fixtures-venv/bin/python scripts/build_format_fixtures.py saved_model

and the ONNX models stamped with newer format versions (``onnx_stamps``) on request, by name.

Each benign file is written by the library's own save function and loaded back by it (a load
that fails stops the build); each hostile twin is the benign one with the one edit that makes
it dangerous, written by the same library so that only that edit differs. Keras runs on its
torch backend (KERAS_BACKEND=torch), so no TensorFlow is needed.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "formats"


def onnx_models() -> None:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    out = OUT / "onnx"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    def graph(body_domain: str = "", body_op: str = "Relu", weight_name: str = "w") -> onnx.GraphProto:
        # y = If(cond, then: Relu(x @ w) / custom op, else: x @ w): a subgraph the walk must enter
        then_branch = helper.make_graph(
            [helper.make_node(body_op, ["xw"], ["then_out"], domain=body_domain)], "then",
            [], [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, [1, 2])])
        else_branch = helper.make_graph(
            [helper.make_node("Identity", ["xw"], ["else_out"])], "else",
            [], [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, [1, 2])])
        weight = numpy_helper.from_array(np.arange(4096, dtype=np.float32).reshape(2, 2048)[:, :2].copy(),
                                         weight_name)
        big = numpy_helper.from_array(np.ones((32, 32), dtype=np.float32), "big")  # over 1 KiB: goes external
        nodes = [
            helper.make_node("MatMul", ["x", weight_name], ["xw"]),
            helper.make_node("ReduceSum", ["big"], ["big_sum"], keepdims=0),
            helper.make_node("If", ["cond"], ["y"], then_branch=then_branch, else_branch=else_branch),
        ]
        return helper.make_graph(
            nodes, "tiny",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2]),
             helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
            initializer=[weight, big])

    def model(g: onnx.GraphProto, extra_opsets: tuple[tuple[str, int], ...] = (),
              functions: list[onnx.FunctionProto] | None = None) -> onnx.ModelProto:
        opsets = [helper.make_opsetid("", 17)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
        m = helper.make_model(g, opset_imports=opsets, producer_name="modellint-fixtures", functions=functions)
        m.ir_version = 8
        return m

    benign = model(graph())
    onnx.checker.check_model(benign)
    onnx.save(benign, out / "benign.onnx")

    # a model-local function in a custom domain: onnxruntime inlines it, no library needed
    local = helper.make_function("local.fns", "MyRelu", ["a"], ["b"], [helper.make_node("Relu", ["a"], ["b"])],
                                 [helper.make_opsetid("", 17)])
    with_function = model(graph("local.fns", "MyRelu"), (("local.fns", 1),), functions=[local])
    onnx.checker.check_model(with_function)
    onnx.save(with_function, out / "local_function.onnx")

    custom = model(graph("ai.onnx.contrib", "StringRegexReplace"), (("ai.onnx.contrib", 1),))
    onnx.save(custom, out / "custom_domain.onnx")

    ms = model(graph("com.microsoft", "Gelu"), (("com.microsoft", 1),))
    onnx.save(ms, out / "com_microsoft.onnx")

    external_dir = out / "external"
    external_dir.mkdir()
    external = model(graph())
    onnx.save(external, external_dir / "model.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=1024)
    onnx.checker.check_model(str(external_dir / "model.onnx"))
    loaded = onnx.load(str(external_dir / "model.onnx"))  # the library reads the external data back
    assert numpy_helper.to_array(loaded.graph.initializer[1]).sum() == 32 * 32

    for name, location in (("escape_parent", "../../../../etc/passwd"), ("escape_absolute", "/etc/passwd"),
                           ("missing", "no_such_weights.bin")):
        twin = onnx.load(str(external_dir / "model.onnx"), load_external_data=False)
        for tensor in twin.graph.initializer:
            for entry in tensor.external_data:
                if entry.key == "location":
                    entry.value = location
        directory = out / name
        directory.mkdir()
        onnx.save(twin, directory / "model.onnx")


def torchscript_models() -> None:
    import torch

    out = OUT / "torchscript"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.linear(x)) + torch.ops.aten.sin(x)

    scripted = torch.jit.script(Tiny())
    torch.jit.save(scripted, out / "benign.pt")
    torch.jit.load(out / "benign.pt")(torch.ones(1, 2))

    library = torch.library.Library("evil_ops", "DEF")
    library.define("steal(Tensor x) -> Tensor")
    library.impl("steal", lambda x: x, "CompositeExplicitAutograd")

    class Custom(Tiny):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.ops.evil_ops.steal(self.linear(x))

    torch.jit.save(torch.jit.script(Custom()), out / "custom_ops.pt")
    torch.jit.load(out / "custom_ops.pt")(torch.ones(1, 2))


def keras_models() -> None:
    os.environ["KERAS_BACKEND"] = "torch"
    import keras
    import numpy as np

    out = OUT / "keras"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    benign = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="relu"), keras.layers.Dense(1)])
    benign.save(out / "benign.keras")
    keras.saving.load_model(out / "benign.keras")(np.ones((1, 2)))

    lambda_model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2),
                                     keras.layers.Dense(1)])
    lambda_model.save(out / "lambda.keras")
    try:
        keras.saving.load_model(out / "lambda.keras")
    except ValueError as error:  # Keras 3 refuses a lambda in safe mode, the default
        print("lambda.keras refused by safe_mode=True:", str(error).splitlines()[0])
    keras.saving.load_model(out / "lambda.keras", safe_mode=False)(np.ones((1, 2)))

    @keras.saving.register_keras_serializable(package="fixture_layers")
    class Doubling(keras.layers.Layer):
        def call(self, inputs):  # type: ignore[no-untyped-def]
            return inputs * 2

    Doubling.__module__ = "fixture_layers.layers"  # as if defined in an installable package
    custom = keras.Sequential([keras.Input((2,)), Doubling(), keras.layers.Dense(1)])
    custom.save(out / "custom_layer.keras")
    keras.saving.load_model(out / "custom_layer.keras")(np.ones((1, 2)))
    legacy_h5_models(out, benign, lambda_model, custom)


def legacy_h5_models(out: Path, benign, lambda_model, custom) -> None:  # type: ignore[no-untyped-def]
    """Legacy HDF5 files: Keras 3's own ``.h5`` save (its config a variable-length string), then
    the same config as tf.keras 2 writes it (``json.dumps(...).encode()``: a fixed-length string),
    with h5py's newest file format (superblock 3, version 2 object headers with creation order),
    and with more root attributes than fit compactly (dense storage, which modellint does not read)."""
    import json

    import h5py
    import keras
    import numpy as np

    benign.save(out / "benign.h5")
    keras.saving.load_model(out / "benign.h5")(np.ones((1, 2)))
    lambda_model.save(out / "lambda.h5")
    keras.saving.load_model(out / "lambda.h5", safe_mode=False)(np.ones((1, 2)))
    custom.save(out / "custom_layer.h5")
    benign.save_weights(out / "benign.weights.h5")
    with h5py.File(out / "lambda.h5") as source:
        config = source.attrs["model_config"]
    for name, options in (("lambda-fixed-string.h5", {}), ("lambda-latest-format.h5", {"libver": "latest",
                                                                                          "track_order": True})):
        with h5py.File(out / name, "w", **options) as target:
            target.attrs["keras_version"] = b"2.15.0"
            target.attrs["backend"] = b"tensorflow"
            target.attrs["model_config"] = np.bytes_(config.encode())
    with h5py.File(out / "lambda-latest-format.h5") as check:
        assert json.loads(check.attrs["model_config"])["class_name"] == "Sequential"
    with h5py.File(out / "dense-attributes.h5", "w", libver="latest") as target:
        for index in range(12):
            target.attrs[f"note{index}"] = index
        target.attrs["model_config"] = config


def saved_models() -> None:
    """SavedModels by tensorflow-cpu (its own venv: ``pip install tensorflow-cpu``): a TF2 module with
    variables (the saver functions every SavedModel holds), a TF1 graph saved by ``simple_save`` (the
    ``save/`` scope), and twins whose serving function reads, lists or writes files or calls Python."""
    import tensorflow as tf

    out = OUT / "saved_model"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    class Scaler(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = tf.Variable([[2.0, 3.0]])

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def serve(self, x: tf.Tensor) -> tf.Tensor:
            return x * self.scale

    def save(module: tf.Module, name: str) -> None:
        tf.saved_model.save(module, str(out / name), signatures={"serving_default": module.serve})
        loaded = tf.saved_model.load(str(out / name))
        print(name, loaded.signatures["serving_default"](x=tf.ones((1, 2))))

    save(Scaler(), "benign")

    class Reads(Scaler):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def serve(self, x: tf.Tensor) -> tf.Tensor:
            secret = tf.io.read_file("/etc/hostname")
            return x * self.scale + tf.cast(tf.strings.length(secret), tf.float32)

    class Writes(Scaler):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def serve(self, x: tf.Tensor) -> tf.Tensor:
            with tf.control_dependencies([tf.io.write_file("/tmp/modellint-fixture-written", "x")]):
                return x * self.scale

    class Lists(Scaler):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def serve(self, x: tf.Tensor) -> tf.Tensor:
            found = tf.io.matching_files("/etc/*")
            return x * self.scale + tf.cast(tf.size(found), tf.float32)

    class CallsPython(Scaler):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def serve(self, x: tf.Tensor) -> tf.Tensor:
            return tf.py_function(lambda t: t * 2, [x * self.scale], tf.float32)

    for module, name in ((Reads(), "read_file"), (Writes(), "write_file"), (Lists(), "matching_files"),
                         (CallsPython(), "py_function")):
        save(module, name)

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        weight = tf.compat.v1.get_variable("w", initializer=tf.constant([[2.0, 3.0]]))
        y = tf.multiply(x, weight, name="y")
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.saved_model.simple_save(session, str(out / "tf1_graph"), {"x": x}, {"y": y})


def onnx_stamps() -> None:
    """Models that differ only in the format versions they are stamped with, each checked by onnx's own
    checker: the IR version and opsets a release of onnxruntime must know to load them (ML311)."""
    import onnx
    from onnx import TensorProto, helper

    out = OUT / "onnx_stamps"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name, ir_version, opsets in (("ir8_opset17", 8, (("", 17),)), ("ir10_opset21", 10, (("", 21),)),
                                     ("ir8_ml5", 8, (("", 17), ("ai.onnx.ml", 5)))):
        g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
                              producer_name="modellint-fixtures")
        m.ir_version = ir_version
        onnx.checker.check_model(m)
        onnx.save(m, out / f"{name}.onnx")


def scale(values: list[float]) -> list[float]:
    """A function of this script (``__main__``): dill pickles it by value."""
    return [value * 2.0 for value in values]


def fetch_payload() -> int:
    import os

    return os.system("true")  # the hostile twin's function: dill's load calls it


class RunsOnLoad:
    def __reduce__(self) -> tuple[object, tuple[()]]:
        return fetch_payload, ()


def dill_pickles() -> None:
    """``dill.dump`` of script functions with ``recurse=True`` (globals by value: no ``__main__`` reference,
    so plain ``pickle.load`` reads them too, with dill installed). The hostile twin is an object whose
    reduce calls a by-value function running a command; it is never loaded here."""
    import dill

    out = OUT / "dill"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    benign = {"scale": scale, "offset": lambda values: [value + 1.0 for value in values]}
    (out / "functions.pkl").write_bytes(dill.dumps(benign, recurse=True))
    loaded = dill.loads((out / "functions.pkl").read_bytes())
    assert loaded["scale"]([1.0]) == [2.0] and loaded["offset"]([1.0]) == [2.0]
    (out / "runs-command.pkl").write_bytes(dill.dumps(RunsOnLoad(), recurse=True))


if __name__ == "__main__":
    wanted = set(sys.argv[1:]) or {"onnx", "torchscript", "keras", "dill"}
    for name, build in (("onnx", onnx_models), ("torchscript", torchscript_models), ("keras", keras_models),
                        ("saved_model", saved_models), ("onnx_stamps", onnx_stamps), ("dill", dill_pickles)):
        if name in wanted:
            build()
            print("built", name)
