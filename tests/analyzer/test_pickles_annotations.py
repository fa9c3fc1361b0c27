"""Type annotations in a pickle: a cloudpickled function keeps its ``__annotations__``, so a
``PythonModel`` whose ``predict`` is annotated (as MLflow 3's type-hint models are) pickles
``typing.Any``, ``Optional[int]`` (``getitem(typing.Union, ...)``), ``list[str]`` (``GenericAlias``)
and ``int | None`` (``reduce(or_, ...)``). Built of type forms, those only build types: clean. The
same operators over anything else stay calls of the operator, judged unsafe.

The clean pickles are written here by the standard library's own ``pickle.dumps`` (never loaded); the
hostile ones are hand-assembled like tests/analyzer/test_pickles.py's."""

from __future__ import annotations

import pickle
import typing

import pytest

from tests.analyzer.test_pickles import PROTO4, REDUCE, STOP, scan_bytes, stack_global, u, unsafe

TUPLE1 = b"\x85"
TUPLE2 = b"\x86"
NEWOBJ = b"\x81"
ANNOTATIONS: dict[str, object] = {
    "any": typing.Any,
    "optional": typing.Optional[int],
    "union": typing.Union[int, str, None],
    "nested-aliases": typing.Dict[str, typing.List[typing.Tuple[int, ...]]],
    "literal-and-annotated": (typing.Literal["a", "b"], typing.Annotated[float, "unit"]),
    "builtin-generic": list[str],
    "pep604-union": dict[str, int] | None,
    "callable": typing.Callable[[int], str],
}


@pytest.mark.parametrize("protocol", [2, 4, 5])
@pytest.mark.parametrize("name", sorted(ANNOTATIONS))
def test_a_type_annotation_is_clean(tmp_path, name, protocol):
    result = scan_bytes(tmp_path, pickle.dumps({"model_input": ANNOTATIONS[name]}, protocol=protocol))
    assert result.problems == () and unsafe(result) == set()


def test_a_dependency_class_in_an_annotation_is_a_dependency_not_a_hazard(tmp_path):
    getitem = stack_global("_operator", "getitem") + stack_global("typing", "Optional")
    body = getitem + stack_global("pandas", "DataFrame") + TUPLE2 + REDUCE
    result = scan_bytes(tmp_path, PROTO4 + body + STOP)
    assert unsafe(result) == set() and "pandas" in result.imported_modules()


HOSTILE = {
    # each: (pickle body, what the policy must judge unsafe)
    "getitem-of-a-gadget": (
        stack_global("_operator", "getitem") + stack_global("os", "environ") + u("HOME") + TUPLE2 + REDUCE,
        "os.environ"),
    "getitem-result-called": (
        stack_global("_operator", "getitem") + stack_global("typing", "List") + stack_global("builtins", "int")
        + TUPLE2 + REDUCE + u("echo pwned") + TUPLE1 + REDUCE, "_operator.getitem"),
    "getitem-of-a-call-result": (
        stack_global("_operator", "getitem") + stack_global("my_model", "factory") + b")" + REDUCE + u("x")
        + TUPLE2 + REDUCE, "_operator.getitem"),
    "reduce-of-another-function": (
        stack_global("_functools", "reduce") + stack_global("my_model", "combine")
        + stack_global("builtins", "int") + stack_global("builtins", "str") + TUPLE2 + TUPLE2 + REDUCE,
        "_functools.reduce"),
    "reduce-of-a-gadget": (
        stack_global("_functools", "reduce") + stack_global("os", "system") + u("echo pwned") + TUPLE1 + TUPLE2
        + REDUCE, "os.system"),
    "or-kept-for-later": (
        stack_global("_operator", "or_") + stack_global("builtins", "int") + stack_global("builtins", "str")
        + TUPLE2 + REDUCE + b"0" + stack_global("_operator", "or_"), "_operator.or_"),
    "an-evaluating-typing-name": (
        stack_global("typing", "get_type_hints") + stack_global("my_model", "MyModel") + TUPLE1 + REDUCE,
        "typing.get_type_hints"),
    "a-forward-reference": (
        stack_global("typing", "ForwardRef") + u("__import__('os').system('x')") + TUPLE1 + REDUCE,
        "typing.ForwardRef"),
    "an-instance-of-a-dependency": (
        stack_global("_operator", "getitem") + stack_global("my_model", "Registry") + b")" + NEWOBJ + u("x")
        + TUPLE2 + REDUCE, "_operator.getitem"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_type_operator_over_anything_else_stays_unsafe(tmp_path, case):
    body, expected = HOSTILE[case]
    result = scan_bytes(tmp_path, PROTO4 + body + STOP)
    assert expected in unsafe(result), (unsafe(result), result.problems)
