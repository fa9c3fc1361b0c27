"""Imports and Python minor read from the CodeType arguments of real code objects (3.8-3.13)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from modellint.analyzer.serialized.bytecode import analyse_code_args

CODE_ARGS = Path(__file__).resolve().parent.parent / "data" / "pickles" / "code_args"


def load_args(minor: int) -> tuple[object, ...]:
    return ast.literal_eval((CODE_ARGS / f"py3{minor}.txt").read_text())


@pytest.mark.parametrize("minor", [8, 9, 10, 11, 12, 13])
def test_imports_inside_the_function_body_are_found(minor: int) -> None:
    facts = analyse_code_args(load_args(minor))
    assert facts.problem is None
    assert facts.imports == ("tabulate", "os")
    assert {"tabulate", "os", "path", "range"} <= set(facts.names)
    assert facts.qualname == "predict"


@pytest.mark.parametrize("minor", [9, 10, 11, 12, 13])
def test_python_minor_is_pinned(minor: int) -> None:
    assert analyse_code_args(load_args(minor)).python_minors == ((3, minor),)


def test_python_38_code_is_at_least_narrowed_to_38_or_39() -> None:
    assert analyse_code_args(load_args(8)).python_minors == ((3, 8), (3, 9))


def test_unknown_argument_layout_is_a_problem() -> None:
    facts = analyse_code_args((1, 2, 3))
    assert facts.problem and facts.python_minors == ()


def test_bytecode_that_fits_no_table_is_a_problem() -> None:
    args = list(load_args(11))
    args[6] = b"\xff\xff" * 4
    facts = analyse_code_args(tuple(args))
    assert facts.problem and facts.imports == ()


def test_unreadable_co_code_is_a_problem() -> None:
    args = list(load_args(12))
    args[6] = None
    assert analyse_code_args(tuple(args)).problem


def test_extended_arg_reaches_names_past_255() -> None:
    args = list(load_args(11))
    names = tuple(f"n{i}" for i in range(300)) + ("far_module",)
    resume, import_name, extended_arg = 151, 108, 144
    args[6] = bytes([resume, 0, extended_arg, 1, import_name, len(names) - 1 - 256])
    args[8] = names
    facts = analyse_code_args(tuple(args))
    assert facts.imports == ("far_module",)


def load_dynamic_args(minor: int) -> tuple[object, ...]:
    return ast.literal_eval((CODE_ARGS / f"dynamic_py3{minor}.txt").read_text())


@pytest.mark.parametrize("minor", [8, 9, 10, 11, 12, 13])
def test_literal_names_given_to_import_module_and_dunder_import_are_imports(minor: int) -> None:
    # importlib.import_module("tabulate"), __import__("yaml"), a local `import_module("numpy")`
    facts = analyse_code_args(load_dynamic_args(minor))
    assert facts.problem is None
    assert facts.dynamic_imports == ("tabulate", "yaml", "numpy")


@pytest.mark.parametrize("minor", [8, 11, 12, 13])
def test_import_module_with_a_computed_name_is_opaque(minor: int) -> None:
    assert analyse_code_args(load_dynamic_args(minor)).opaque_dynamic_import


@pytest.mark.parametrize("minor", [8, 11, 13])
def test_code_without_dynamic_imports_has_none(minor: int) -> None:
    facts = analyse_code_args(load_args(minor))
    assert facts.dynamic_imports == () and not facts.opaque_dynamic_import
