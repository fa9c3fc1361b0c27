"""Library gadgets that load what their own arguments hold (knowledge/gadgets.py: Keras constructors and
deserializers, whose configs may carry a Lambda's marshalled bytecode) are judged by what a pickle passes
them: each hostile call against its harmless twin, and arguments built to cost time or memory."""

from __future__ import annotations

import base64
import marshal
import pickle
import time
from pathlib import Path

import pytest

from modellint.analyzer.serialized.pickles import scan_file
from modellint.cli import main

_CODE = base64.b64encode(marshal.dumps(compile("import os; os.system('id')", "<lambda>", "exec"))).decode()
# What Keras 3 writes for a lambda (serialization_lib.serialize_keras_object of a Python lambda).
LAMBDA_CONFIG = {"module": "builtins", "class_name": "__lambda__", "config": {"value": (_CODE, None, None)},
                 "registered_name": "function"}
DENSE_CONFIG = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                "config": {"name": "dense", "units": 4, "activation": "relu", "dtype": "float32"}}
DESERIALIZE = ("keras.src.saving.serialization_lib", "deserialize_keras_object")
DENSE = ("keras.layers", "Dense")


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def call_pickle(callable_: tuple[str, str], *args: object) -> bytes:
    """A protocol-2 pickle calling ``module.name(*args)`` by REDUCE, as a ``__reduce__`` would."""
    return b"\x80\x02" + _global(*callable_) + pickle.dumps(args, 2)[2:-1] + b"R."


def _ml302(tmp_path: Path, data: bytes, capsys) -> list[str]:
    path = tmp_path / "model.pkl"
    path.write_bytes(data)
    main(["check", "--no-cache", "--output-format", "concise", "--select", "ML302", str(path)])
    return [line for line in capsys.readouterr().out.splitlines() if "ML302" in line]


@pytest.mark.parametrize(("hostile", "benign"), [
    pytest.param(call_pickle(DESERIALIZE, LAMBDA_CONFIG), call_pickle(DESERIALIZE, DENSE_CONFIG), id="deserializer"),
    pytest.param(call_pickle(DENSE, 4, LAMBDA_CONFIG), call_pickle(DENSE, 4, "relu"), id="layer-activation"),
    pytest.param(call_pickle(DENSE, 4, {"class_name": "Sequential", "config": {"layers": [LAMBDA_CONFIG]}}),
                 call_pickle(DENSE, 4, {"class_name": "Sequential", "config": {"layers": [DENSE_CONFIG]}}),
                 id="lambda-nested-in-a-config"),
])
def test_a_keras_config_with_a_lambda_is_code_a_standard_one_is_not(tmp_path, capsys, hostile, benign):
    found = _ml302(tmp_path, hostile, capsys)
    assert len(found) == 1 and "Keras config holding a `Lambda`" in found[0] and "marshal.loads" in found[0]
    assert _ml302(tmp_path, benign, capsys) == []


def test_a_keras_class_rebuilt_without_its_constructor_is_not_judged_by_arguments(tmp_path, capsys):
    # copyreg._reconstructor(Dense, object, None): object.__new__(Dense), no __init__, nothing deserialized
    reconstructed = b"\x80\x02" + _global("copyreg", "_reconstructor") + _global(*DENSE) + \
        _global("builtins", "object") + b"N\x87R."
    assert _ml302(tmp_path, reconstructed, capsys) == []


@pytest.mark.parametrize("opcodes", [
    pytest.param(b"\x80\x02" + _global("copyreg", "__newobj__") + _global(*DENSE) + b"K\x04" +
                 pickle.dumps(LAMBDA_CONFIG, 2)[2:-1] + b"\x87R.", id="copyreg-newobj"),
    pytest.param(b"\x80\x02" + _global(*DENSE) + b"K\x04" + pickle.dumps(LAMBDA_CONFIG, 2)[2:-1] + b"\x86\x81.",
                 id="NEWOBJ"),
])
def test_a_keras_class_made_by_new_is_judged_by_what_new_gets(tmp_path, capsys, opcodes):
    assert any("Keras config holding a `Lambda`" in line for line in _ml302(tmp_path, opcodes, capsys))


@pytest.mark.parametrize("argument", [
    pytest.param(_global("os", "getcwd") + b")R", id="a-call-result"),
    pytest.param(_global("keras.layers", "Layer"), id="an-import"),
])
def test_an_argument_built_at_load_time_cannot_be_judged(tmp_path, capsys, argument):
    data = b"\x80\x02" + _global(*DENSE) + b"K\x04" + argument + b"\x86R."
    assert any("not plain data" in line for line in _ml302(tmp_path, data, capsys))


def test_a_gadget_passed_on_where_its_arguments_are_not_seen_is_reported(tmp_path, capsys):
    # functools.partial(Dense, 4, <lambda config>)(): the call that deserializes is not a REDUCE of Dense
    data = (b"\x80\x02" + _global("functools", "partial") + _global(*DENSE) + b"K\x04" +
            pickle.dumps(LAMBDA_CONFIG, 2)[2:-1] + b"\x87R)R.")
    assert any("where the arguments it is called with are not seen" in line for line in _ml302(tmp_path, data, capsys))


def test_a_method_of_a_fed_gadget_reached_through_getattr_is_a_gadget(tmp_path, capsys):
    # getattr(Lambda, "from_config")(config): the attribute's call is no REDUCE of the class
    data = (b"\x80\x02" + _global("builtins", "getattr") + _global("keras.src.layers.core.lambda_layer", "Lambda") +
            pickle.dumps("from_config", 2)[2:-1] + b"\x86R" + pickle.dumps((LAMBDA_CONFIG,), 2)[2:-1] + b"R.")
    found = _ml302(tmp_path, data, capsys)
    assert any("Lambda.from_config" in line and "marshal.loads" in line for line in found), found


def test_an_argument_shared_many_times_over_is_read_within_a_bound(tmp_path):
    # [x, x] nested 40 deep, x memoized: 2**40 values if read naively
    nested = b"]q\x000"  # an empty list, memo 0, popped
    for depth in range(1, 41):  # (x, x) of the one before, memo depth, popped
        nested += b"h" + bytes([depth - 1]) + b"h" + bytes([depth - 1]) + b"\x86q" + bytes([depth]) + b"0"
    data = b"\x80\x02" + nested + _global(*DENSE) + b"K\x04h\x28\x86R."
    path = tmp_path / "model.pkl"
    path.write_bytes(data)
    started = time.perf_counter()
    result = scan_file(path)
    assert time.perf_counter() - started < 10.0
    assert any("over 100,000 values" in hazard.detail for hazard in result.hazards)


def test_transformers_callables_reaching_a_command_are_gadgets(tmp_path, capsys):
    found = _ml302(tmp_path, call_pickle(TRANSFORMERS_COMMAND, "id"), capsys)
    assert len(found) == 1 and "reaches a command sink" in found[0]


TRANSFORMERS_COMMAND = ("transformers.pipelines.audio_utils", "ffmpeg_read")  # runs ffmpeg
