"""Code a pickle carries by value, judged by when it runs: while the file is unpickled (a function a
``REDUCE`` calls, ``__setstate__`` on ``BUILD``, the methods those reach, Python's unasked hooks), in
MLflow's ``load_context``, or when the model predicts.

The real pickles come from scripts/build_pickle_fixtures.py --only by_value, which checks each label
by loading the file with pickle and calling ``load_context`` and ``predict`` with the commands
replaced by a recorder (never here: nothing is unpickled in this suite)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from modellint.analyzer.serialized import bytecode
from modellint.analyzer.serialized.pickles import scan_file
from modellint.analyzer.serialized.pickles.by_value import code_hazards
from modellint.analyzer.serialized.pickles.results import (
    ByValueClass,
    ByValueCode,
    ByValueFunction,
    ByValueLedger,
    GlobalRef,
)
from modellint.cli import main

DATA = Path(__file__).resolve().parent.parent / "data" / "pickles"
CODE_ARGS = DATA / "code_args"

# file -> (hazard kind, what the message names); the label in each name is what the fixture script checked
REAL = {
    "by_value_load_setstate_command": ("runs-code", "`os.system`"),
    "by_value_load_reduce_function": ("runs-code", "`os.system`"),
    "by_value_load_helper_method": ("runs-code", "`os.system`"),
    "by_value_load_eval": ("runs-code", "`builtins.eval`"),
    "by_value_load_closure_cell": ("runs-code", "`os.system`"),
    "by_value_mlflow_load_context": ("runs-code", "`subprocess.run`"),
    "by_value_predict_command": ("predict-code", "`subprocess.check_output`"),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_by_value_code_that_runs_a_command_is_a_hazard_of_its_moment(name):
    kind, call = REAL[name]
    hazards = scan_file(DATA / f"{name}.pkl").hazards
    assert [hazard.kind for hazard in hazards] == [kind], hazards
    assert call in hazards[0].detail


@pytest.mark.parametrize("name", ["by_value_benign_setstate", "by_value_benign_python_model",
                                  "by_value_p2", "by_value_p5", "pyfunc_by_value"])
def test_benign_by_value_code_is_no_hazard(name):
    # __setstate__ with math and __dict__.update; load_context opening its artifact with os.path and
    # open; predict calling self.model.eval(): none runs a command
    result = scan_file(DATA / f"{name}.pkl")
    assert result.hazards == () and result.embedded_code


def test_the_message_says_what_runs_and_when():
    detail = scan_file(DATA / "by_value_load_helper_method.pkl").hazards[0].detail
    assert detail.startswith("runs by-value code `HelperCommand._restore` (called by `HelperCommand.__setstate__`, "
                             "run by BUILD at byte ")
    detail = scan_file(DATA / "by_value_mlflow_load_context.pkl").hazards[0].detail
    assert "which MLflow calls right after unpickling a PythonModel" in detail


def test_ml302_reports_load_as_error_and_predict_as_warning(tmp_path, capsys):
    paths = []
    for name in ("by_value_load_reduce_function", "by_value_predict_command"):
        paths.append(tmp_path / f"{name}.pkl")
        paths[-1].write_bytes((DATA / f"{name}.pkl").read_bytes())
    assert main(["check", "--select", "ML302", "--output-format", "concise", *map(str, paths)]) == 1
    lines = sorted(line for line in capsys.readouterr().out.splitlines() if "ML302" in line)
    assert len(lines) == 2
    assert "by_value_load_reduce_function.pkl:1:1: ML302 [error] loading `by_value_load_reduce_function.pkl` runs" \
        in lines[0]
    assert "by_value_predict_command.pkl:1:1: ML302 [warning]" in lines[1]


# --- the judgement, on hand-made ledgers ---------------------------------------------------------


def code(qualname: str, *, imports=(), names=(), global_names=(), nested=(), opaque=False) -> ByValueCode:
    facts = bytecode.CodeFacts(qualname, tuple(imports), tuple(names), ((3, 11),), None, (), opaque,
                               tuple(global_names))
    return ByValueCode(facts, tuple(nested))


def function(ledger: ByValueLedger, qualname: str, **kwargs) -> ByValueFunction:
    made = ByValueFunction(code(qualname, **kwargs), 10, None)
    ledger.functions.append(made)
    return made


def test_a_call_inside_a_nested_code_object_counts_for_its_function():
    ledger = ByValueLedger()
    inner = code("f.<locals>.<listcomp>", names=("system",))
    outer = function(ledger, "f", imports=("os",), nested=(inner,))
    ledger.ran(outer, None, "called by REDUCE at byte 3")
    assert "`os.system`" in code_hazards(ledger)[0].detail


def test_a_module_among_the_globals_and_a_global_by_name_are_reached():
    ledger = ByValueLedger()
    run = function(ledger, "run", names=("shell", "call"), global_names=("shell",))
    run.globals["shell"] = "subprocess"
    ledger.ran(run, None, "called by REDUCE at byte 3")
    system = function(ledger, "other", names=("launch",), global_names=("launch",))
    system.globals["launch"] = GlobalRef("os", "system", 0, None, "STACK_GLOBAL")
    ledger.ran(system, None, "called by REDUCE at byte 9")
    details = [hazard.detail for hazard in code_hazards(ledger)]
    assert "`subprocess.call`" in details[0] and "`os.system`" in details[1]


def test_what_runs_while_unpickling_is_judged_allowlist_first():
    ledger = ByValueLedger()
    cls = ByValueClass("Model")
    ledger.classes.append(cls)
    cls.methods["__setstate__"] = function(ledger, "Model.__setstate__", imports=("shutil",), names=("rmtree",))
    ledger.ran(cls, "__setstate__", "run by BUILD at byte 40")
    assert "`shutil.rmtree`" in code_hazards(ledger)[0].detail


def test_pure_modules_and_method_names_of_libraries_are_not_calls():
    ledger = ByValueLedger()
    cls = ByValueClass("Net")
    ledger.classes.append(cls)
    cls.methods["__setstate__"] = function(ledger, "Net.__setstate__", imports=("math", "torch", "warnings"),
                                           names=("sqrt", "eval", "warn", "__dict__", "update"))
    ledger.ran(cls, "__setstate__", "run by BUILD at byte 40")
    assert code_hazards(ledger) == []


def test_eval_as_a_method_is_not_the_builtin():
    method = ByValueLedger()
    function(method, "M.predict", names=("model", "eval"))  # self.model.eval()
    assert code_hazards(method) == []
    builtin = ByValueLedger()
    function(builtin, "M.predict", names=("eval",), global_names=("eval",))  # eval(...) itself
    assert [hazard.kind for hazard in code_hazards(builtin)] == ["predict-code"]


def test_unasked_hooks_run_at_load_and_reach_the_methods_they_name():
    ledger = ByValueLedger()
    cls = ByValueClass("Key")
    ledger.classes.append(cls)
    hook = function(ledger, "Key.__hash__", names=("_digest",))
    helper = function(ledger, "Key._digest", imports=("socket",), names=("create_connection",))
    cls.methods.update({"__hash__": hook, "_digest": helper})
    hook.owner = helper.owner = cls
    detail = code_hazards(ledger)[0].detail
    assert "`Key._digest` (called by `Key.__hash__`, which Python calls when an instance is a dict key" in detail


def test_an_import_named_at_run_time_while_unpickling_fails_closed():
    ledger = ByValueLedger()
    run = function(ledger, "run", imports=("importlib",), names=("import_module",), opaque=True)
    ledger.ran(run, None, "called by REDUCE at byte 3")
    assert "an import of a module named at run time" in code_hazards(ledger)[0].detail


def test_a_function_built_to_be_costly_to_judge_fails_closed():
    ledger = ByValueLedger()
    run = function(ledger, "run", imports=tuple(f"os{i}" for i in range(1000)),
                   names=tuple(f"n{i}" for i in range(1000)))
    ledger.ran(run, None, "called by REDUCE at byte 3")
    assert "too many names to judge" in code_hazards(ledger)[0].detail


# --- what the bytecode reader adds: the names loaded as globals, on every minor -------------------


@pytest.mark.parametrize("path", sorted(CODE_ARGS.glob("py3*.txt")), ids=lambda path: path.stem)
def test_global_names_are_the_names_loaded_as_globals(path):
    facts = bytecode.analyse_code_args(ast.literal_eval(path.read_text()))
    # predict() imports tabulate and os.path into locals and calls range() (a builtin; its str() is in
    # a comprehension, a code object of its own before 3.12)
    assert "range" in facts.global_names
    assert not {"tabulate", "path", "join"} & set(facts.global_names)



# --- types.FunctionType(types.CodeType(...)) assembled by hand, outside cloudpickle ----------------


def _runs_a_command():
    import os

    os.system("echo pwned")


def _code_args(function) -> tuple[object, ...]:
    """The ``CodeType`` arguments of ``function`` in cloudpickle's order (this interpreter's layout)."""
    code = function.__code__
    fields = ["co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize", "co_flags",
              "co_code", "co_consts", "co_names", "co_varnames", "co_filename", "co_name"]
    fields += ["co_qualname", "co_firstlineno", "co_linetable", "co_exceptiontable"] if hasattr(code, "co_qualname") \
        else ["co_firstlineno", "co_linetable" if hasattr(code, "co_linetable") else "co_lnotab"]
    return tuple(getattr(code, name) for name in [*fields, "co_freevars", "co_cellvars"])


def _function_type(tmp_path: Path, *, called: bool) -> Path:
    import pickle

    args = pickle.dumps(_code_args(_runs_a_command), protocol=2)[2:-1]  # the tuple's opcodes alone
    function = b"ctypes\nFunctionType\nctypes\nCodeType\n" + args + b"R}\x86R"  # FunctionType(CodeType(*a), {})
    path = tmp_path / "built.pkl"
    path.write_bytes(b"\x80\x02" + function + (b")R." if called else b"."))
    return path


def test_a_function_built_from_a_code_object_and_called_runs_at_load(tmp_path):
    hazards = scan_file(_function_type(tmp_path, called=True)).hazards
    assert [hazard.kind for hazard in hazards] == ["runs-code"]
    assert "`_runs_a_command` (called by REDUCE at byte" in hazards[0].detail and "`os.system`" in hazards[0].detail


def test_the_same_function_only_stored_runs_when_called(tmp_path):
    assert [hazard.kind for hazard in scan_file(_function_type(tmp_path, called=False)).hazards] == ["predict-code"]


def test_a_method_run_for_many_instances_is_recorded_once():
    ledger = ByValueLedger()
    cls = ByValueClass("Row")
    for offset in range(1000):  # a list of a thousand notebook-class instances, each BUILT
        ledger.ran(cls, "__setstate__", f"run by BUILD at byte {offset}")
    assert [(run.method, run.why) for run in ledger.runs] == [("__setstate__", "run by BUILD at byte 0")]


def test_a_setstate_restoring_a_lock_and_a_logger_is_clean():
    ledger = ByValueLedger()
    cls = ByValueClass("Model")
    ledger.classes.append(cls)
    cls.methods["__setstate__"] = function(ledger, "Model.__setstate__", imports=("threading", "logging", "io"),
                                           names=("threading", "Lock", "logging", "getLogger", "io", "BytesIO",
                                                  "__dict__", "update", "_lock", "log"))
    ledger.ran(cls, "__setstate__", "run by BUILD at byte 40")
    assert code_hazards(ledger) == []
    cls.methods["__setstate__"] = function(ledger, "Model.__setstate__", imports=("logging",),
                                           names=("logging", "basicConfig"))
    assert "`logging.basicConfig`" in code_hazards(ledger)[0].detail  # it writes the log file it is given
