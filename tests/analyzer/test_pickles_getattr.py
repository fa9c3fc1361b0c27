"""``getattr`` judged by its target and attribute: ``obj.method`` pickles as ``getattr(obj, "method")``,
which is exactly as safe as the global ``module.Class.method``; a dunder walk, a computed name, a
module or by-value target, or a ``getattr`` used any other way stays a call of ``builtins.getattr``.

Real pickles come from scripts/build_pickle_fixtures.py --only getattr (never loaded); the rest are
hand-assembled like tests/analyzer/test_pickles.py's."""

from __future__ import annotations

from pathlib import Path

import pytest

from modellint.analyzer.serialized.pickle_policy import Verdict, classify
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
    binget,
    called,
    scan_bytes,
    stack_global,
    u,
    unsafe,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "pickles"
GETATTR = stack_global("builtins", "getattr")
MODEL_CLASS = stack_global("my_model", "MyModel")
TUPLE2 = b"\x86"
TUPLE3 = b"\x87"
NEWOBJ = b"\x81"


def getattr_of(target: bytes, name: bytes) -> bytes:
    return GETATTR + target + name + TUPLE2 + REDUCE


@pytest.mark.parametrize("name", ["bound_method_p0", "bound_method_p2", "bound_method_p4", "class_function_p2"])
def test_a_bound_method_of_a_class_imported_by_name_is_that_class_attribute(name):
    result = scan_file(DATA / f"{name}.pkl")
    assert result.problems == () and unsafe(result) == set()
    assert "my_model.MyModel.predict" in called(result)
    assert ("builtins", "getattr") not in {(ref.module, ref.name) for ref in result.globals}
    assert "my_model" in result.imported_modules()


@pytest.mark.parametrize("name", ["getattr_os_system", "getattr_dunder_walk", "getattr_computed_name"])
def test_getattr_of_a_module_a_dunder_or_a_computed_name_stays_unsafe(name):
    result = scan_file(DATA / f"{name}.pkl")
    assert "builtins.getattr" in unsafe(result)


HAND_MADE = {
    # each: (pickle, what the policy must judge unsafe)
    "dunder-on-a-class": (getattr_of(MODEL_CLASS, u("__init__")), "builtins.getattr"),
    "dunder-init-subclass": (getattr_of(MODEL_CLASS, u("__subclasses__")), "builtins.getattr"),
    "a-default-argument": (GETATTR + MODEL_CLASS + u("predict") + b"N" + TUPLE3 + REDUCE, "builtins.getattr"),
    "not-an-identifier": (getattr_of(MODEL_CLASS, u("a.b")), "builtins.getattr"),
    "the-result-of-a-function-call": (
        getattr_of(stack_global("my_model", "factory") + b")" + REDUCE, u("system")), "builtins.getattr"),
    "an-attribute-of-an-attribute": (
        getattr_of(getattr_of(MODEL_CLASS, u("predict")), u("x")), "builtins.getattr"),
    "a-stdlib-class-method-not-on-the-allowlist": (
        getattr_of(stack_global("pathlib", "Path"), u("unlink")), "pathlib.Path.unlink"),
    "a-stdlib-module-reached-through-a-class": (
        getattr_of(stack_global("pathlib", "os"), u("system")), "pathlib.os"),
    "a-gadget-s-attribute": (getattr_of(stack_global("torch", "load"), u("x")), "torch.load.x"),
    "a-gadget-named-by-its-method": (
        getattr_of(stack_global("transformers", "AutoModel"), u("from_pretrained")), "transformers.AutoModel.from_pretrained"),
    # judged once, then the same getattr is bound by functools.partial and called through it
    "judged-then-reused-through-partial": (
        GETATTR + MEMOIZE + MODEL_CLASS + u("predict") + TUPLE2 + REDUCE + POP
        + stack_global("functools", "partial") + binget(0) + stack_global("pathlib", "Path") + u("x") + TUPLE3
        + REDUCE + b")" + REDUCE, "builtins.getattr"),
    "judged-then-kept-in-a-state": (
        GETATTR + MEMOIZE + MODEL_CLASS + u("predict") + TUPLE2 + REDUCE + POP
        + MODEL_CLASS + b")" + NEWOBJ + EMPTY_DICT + u("hook") + binget(0) + b"s" + BUILD, "builtins.getattr"),
    "duplicated-then-one-copy-judged": (
        GETATTR + DUP + MODEL_CLASS + u("predict") + TUPLE2 + REDUCE + POP, "builtins.getattr"),
}


@pytest.mark.parametrize("case", sorted(HAND_MADE))
def test_every_other_getattr_is_judged_unsafe(tmp_path, case):
    body, expected = HAND_MADE[case]
    result = scan_bytes(tmp_path, PROTO4 + body + STOP)
    assert expected in unsafe(result), (unsafe(result), result.problems)


def test_a_judged_getattr_on_an_instance_made_by_newobj_is_clean(tmp_path):
    result = scan_bytes(tmp_path, PROTO4 + getattr_of(MODEL_CLASS + b")" + NEWOBJ, u("predict")) + STOP)
    assert unsafe(result) == set() and result.problems == ()
    assert "my_model.MyModel.predict" in called(result)


def test_the_owner_of_a_dotted_name_keeps_its_verdict():
    assert classify("torch", "load.x") is Verdict.UNSAFE
    assert classify("pandas", "read_pickle.x") is Verdict.UNSAFE
    assert classify("sklearn.linear_model", "LogisticRegression.predict_proba") is Verdict.DEPENDENCY
    assert classify("collections", "OrderedDict.keys") is Verdict.UNSAFE  # allowlist first: only listed names
