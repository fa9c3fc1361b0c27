"""``types.MethodType`` judged by the function it binds: cloudpickle pickles ``obj.method`` as
``MethodType(function, obj)``, which calls nothing; binding a function the pickle imports by name (or
reads as ``getattr(<class>, "<name>")``) or a by-value function is no call to report, while binding
anything else (a computed callable, ``getattr`` itself) or a ``MethodType`` used any other way stays one.

Real pickles come from scripts/build_pickle_fixtures.py --only methodtype (never loaded); the rest are
hand-assembled like tests/analyzer/test_pickles_getattr.py's."""

from __future__ import annotations

from pathlib import Path

import pytest

from modellint.analyzer.serialized.pickles import scan_file
from tests.analyzer.test_pickles import (
    BUILD,
    DUP,
    EMPTY_DICT,
    MEMOIZE,
    POP,
    PROTO4,
    REDUCE,
    STOP,
    TUPLE1,
    binget,
    scan_bytes,
    stack_global,
    u,
    unsafe,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "pickles"
METHOD_TYPE = stack_global("types", "MethodType")
BUILTIN_METHOD_TYPE = stack_global("cloudpickle.cloudpickle", "_builtin_type") + u("MethodType") + b"\x85" + REDUCE
MODEL_CLASS = stack_global("my_model", "MyModel")
INSTANCE = MODEL_CLASS + b")" + b"\x81"  # NEWOBJ
TUPLE2 = b"\x86"
TUPLE3 = b"\x87"


def bind(method_type: bytes, function: bytes, instance: bytes = INSTANCE) -> bytes:
    return method_type + function + instance + TUPLE2 + REDUCE


@pytest.mark.parametrize("name", [f"methodtype{kind}_p{protocol}" for kind in ("", "_by_value")
                                  for protocol in (2, 4, 5)])
def test_a_cloudpickled_bound_method_of_an_imported_or_by_value_function_is_clean(name):
    result = scan_file(DATA / f"{name}.pkl")
    assert result.problems == () and unsafe(result) == set()
    assert ("types", "MethodType") not in {(ref.module, ref.name) for ref in result.globals}


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_binding_os_system_stays_unsafe(protocol):
    assert "posix.system" in unsafe(scan_file(DATA / f"methodtype_os_system_p{protocol}.pkl"))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_binding_a_computed_callable_stays_a_call_of_method_type(protocol):
    assert {"types.MethodType", "builtins.eval"} <= unsafe(scan_file(DATA / f"methodtype_computed_p{protocol}.pkl"))


@pytest.mark.parametrize("method_type", [METHOD_TYPE, BUILTIN_METHOD_TYPE], ids=["global", "cloudpickle"])
@pytest.mark.parametrize("function", [
    stack_global("my_model", "MyModel.predict"),
    stack_global("builtins", "getattr") + MODEL_CLASS + u("predict") + TUPLE2 + REDUCE,
    stack_global("types", "FunctionType") + stack_global("my_model", "CODE") + EMPTY_DICT + TUPLE2 + REDUCE,
], ids=["global", "getattr-of-a-class", "by-value"])
def test_binding_an_imported_or_by_value_function_to_any_value_is_clean(tmp_path, method_type, function):
    for instance in (INSTANCE, u("text"), stack_global("my_model", "factory") + b")" + REDUCE):
        result = scan_bytes(tmp_path, PROTO4 + bind(method_type, function, instance) + STOP)
        assert unsafe(result) == set() and result.problems == (), unsafe(result)


HAND_MADE = {
    # each: (pickle, what the policy must judge unsafe)
    "the-result-of-a-call": (bind(METHOD_TYPE, stack_global("my_model", "factory") + b")" + REDUCE),
                             "types.MethodType"),
    "getattr-itself": (bind(METHOD_TYPE, stack_global("builtins", "getattr")), "builtins.getattr"),
    "method-type-itself": (bind(METHOD_TYPE, METHOD_TYPE), "types.MethodType"),
    "a-bound-method": (bind(METHOD_TYPE, bind(METHOD_TYPE, stack_global("my_model", "f"))), "types.MethodType"),
    "one-argument": (METHOD_TYPE + stack_global("my_model", "f") + TUPLE1 + REDUCE, "types.MethodType"),
    "three-arguments": (METHOD_TYPE + stack_global("my_model", "f") + INSTANCE + b"N" + TUPLE3 + REDUCE,
                        "types.MethodType"),
    "a-dangerous-global": (bind(METHOD_TYPE, stack_global("os", "system")), "os.system"),
    "called-after-binding": (bind(METHOD_TYPE, stack_global("os", "system")) + u("id") + TUPLE1 + REDUCE,
                             "os.system"),
    "cloudpickle-s-name-bound-to-a-call": (
        bind(BUILTIN_METHOD_TYPE, stack_global("my_model", "factory") + b")" + REDUCE), "types.MethodType"),
    # judged once, then the same MethodType is kept in a state or bound by functools.partial
    "judged-then-kept-in-a-state": (
        METHOD_TYPE + MEMOIZE + stack_global("my_model", "f") + INSTANCE + TUPLE2 + REDUCE + POP
        + INSTANCE + EMPTY_DICT + u("hook") + binget(0) + b"s" + BUILD, "types.MethodType"),
    "cloudpickle-s-judged-then-reused-through-partial": (
        BUILTIN_METHOD_TYPE + MEMOIZE + stack_global("my_model", "f") + INSTANCE + TUPLE2 + REDUCE + POP
        + stack_global("functools", "partial") + binget(0) + TUPLE1 + REDUCE, "types.MethodType"),
    "duplicated-then-one-copy-judged": (
        METHOD_TYPE + DUP + stack_global("my_model", "f") + INSTANCE + TUPLE2 + REDUCE + POP, "types.MethodType"),
    "made-by-newobj": (METHOD_TYPE + stack_global("my_model", "f") + INSTANCE + TUPLE2 + b"\x81",
                       "types.MethodType"),
}


@pytest.mark.parametrize("case", sorted(HAND_MADE))
def test_every_other_method_type_is_judged_unsafe(tmp_path, case):
    body, expected = HAND_MADE[case]
    result = scan_bytes(tmp_path, PROTO4 + body + STOP)
    assert expected in unsafe(result), (unsafe(result), result.problems)
