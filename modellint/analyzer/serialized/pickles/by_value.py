"""When the code a pickle carries by value runs, and what it calls then.

cloudpickle rebuilds a function or class defined in ``__main__`` (a notebook's ``PythonModel``,
a lambda, an ``nn.Module``) from a code object the file carries. Carrying code is ML304's
business; *running* it is ML302's. The opcode machine records, as it replays the file, into a
:class:`~modellint.analyzer.serialized.pickles.results.ByValueLedger`:

* the by-value functions (``_make_function(code, ...)``), their globals and cells
  (``_function_setstate``'s ``__globals__`` and ``__closure__``: modules by ``subimport``, globals
  by name, other by-value functions), and the code objects nested in their constants
  (comprehensions, inner functions, lambdas);
* the by-value classes (``_make_skeleton_class``) and their methods (``_class_setstate``);
* every moment the load itself runs one: a by-value function called by ``REDUCE``/``NEWOBJ``/
  ``OBJ``/``INST`` (what a ``__reduce__`` returning ``(f, ())`` pickles), a by-value class
  instantiated (``__new__``, ``__init__``), an instance's ``BUILD`` (``__setstate__``, or
  ``__setattr__`` for slot state), its ``APPENDS``/``SETITEMS``/``ADDITEMS``.

:func:`code_hazards` then decides what runs at load: those functions, the methods Python
calls on any by-value class without being asked (``__init_subclass__``, ``__set_name__``,
``__del__``, ``__hash__``/``__eq__``, attribute hooks), a ``PythonModel``'s ``load_context``
(which MLflow calls right after unpickling), and every by-value function those reach by name (a
global, a cell, or a method of the same class). Code that runs while the file is unpickled is
judged like a pickle's own globals, allowlist first: any standard-library module outside a small
set of pure ones (``os``, ``sys``, ``subprocess``, ``socket``, ``pathlib``, ``importlib`` ...; the
pure ones less their few impure names: ``threading.Lock`` is fine, ``logging.basicConfig`` not),
gadgets of ML libraries, the builtins that run code or open files (``eval``, ``exec``, ``open``,
``__import__`` ...), a module reached by a computed attribute, an import named at run time.
``load_context`` exists to load the model's artifacts (files, ``torch.load``), so it, like code
that runs only when the model is used (``predict``), is reported only for what runs commands or
code: an error in ``load_context``, a warning elsewhere.

The reading is of names, not of data flow: a function that imports ``os`` and names ``system``
anywhere counts as calling ``os.system``. For code that runs during a load, fail closed is the
point; for code that runs at predict, the narrow list of sinks keeps it quiet on real models.
"""

from __future__ import annotations

from collections import deque

from modellint.analyzer.command_sinks import COMMAND_SINKS, runs_command
from modellint.analyzer.serialized.pickle_policy import Verdict, classify, is_stdlib
from modellint.analyzer.serialized.pickles.results import (
    ByValueCode,
    ByValueFunction,
    ByValueLedger,
    GlobalRef,
    Hazard,
)

# Methods Python calls on a class, or its instances, without the pickle asking: when a subclass or
# attribute is created, when an instance is hashed or compared as a dict key, read or collected.
_CALLED_UNASKED = {
    "__init_subclass__": "which Python calls when a subclass is created",
    "__set_name__": "which Python calls when the class is created",
    "__class_getitem__": "which Python calls when the class is subscripted",
    "__mro_entries__": "which Python calls when a class names it as a base",
    "__del__": "which Python calls when an instance is collected",
    "__hash__": "which Python calls when an instance is a dict key or set member",
    "__eq__": "which Python calls when an instance is compared as a dict key",
    "__getattr__": "which Python calls on attribute reads",
    "__getattribute__": "which Python calls on attribute reads",
}
# What MLflow calls right after unpickling a PythonModel. Loading the model's artifacts (files,
# torch.load, joblib.load) is what it is for, so only what runs commands or code is reported.
_MLFLOW_LOAD_HOOKS = {"load_context": "which MLflow calls right after unpickling a PythonModel"}
# Standard-library modules whose functions compute and touch nothing outside the process, each with
# the few names that do (run code, write files, reach the network): ``threading.Lock()``,
# ``logging.getLogger()`` and ``io.BytesIO()`` are what a ``__setstate__`` restores.
_BENIGN: dict[str, frozenset[str]] = {
    **dict.fromkeys(("math", "cmath", "warnings", "collections", "itertools", "functools", "operator", "copy",
                     "numbers", "typing", "dataclasses", "enum", "abc", "string", "textwrap", "datetime", "time",
                     "random", "statistics", "decimal", "fractions", "bisect", "heapq", "array", "struct", "re",
                     "json", "weakref", "contextlib", "queue", "traceback", "pprint", "hashlib", "base64",
                     "binascii", "zlib"), frozenset()),
    "threading": frozenset({"Thread", "Timer", "excepthook", "settrace", "setprofile"}),
    "logging": frozenset({"FileHandler", "basicConfig", "config", "handlers", "fileConfig", "dictConfig",
                          "makeLogRecord", "setLoggerClass", "setLogRecordFactory"}),
    "io": frozenset({"open", "open_code", "FileIO"}),
    "uuid": frozenset({"getnode", "uuid1", "_ifconfig_getnode", "_ip_getnode", "_arp_getnode"}),
}
# Builtins that run code, import by a name, open files or wait for a terminal.
_RISKY_BUILTINS = frozenset({"eval", "exec", "compile", "open", "__import__", "breakpoint", "input"})
# Names that reach an attribute computed at run time.
_COMPUTED_ACCESS = frozenset({"getattr", "vars", "__getattribute__"})
# Gadget names third-party objects also use as methods (``self.net.eval()``): reading names, not
# data flow, ``torch`` imported and ``eval`` named is no call of a torch gadget.
_METHOD_NAMES = frozenset({"eval", "exec", "system", "popen", "spawn"})
_MAX_SHOWN = 3
_MAX_PAIRS = 200_000  # module x name pairs judged for one function (a real one has a few hundred)


def code_hazards(ledger: ByValueLedger) -> list[Hazard]:
    """ML302's view of the by-value code: what runs while the file is unpickled and calls anything
    unsafe, or runs in MLflow's load and runs commands or code (``runs-code``), and what runs later
    and runs commands or code (``predict-code``)."""
    judge = _Judge()
    at_load = _run_at_load(ledger, judge)
    hazards = []
    for function, why, unpickling in at_load.values():
        calls = judge.unsafe_calls(function) if unpickling else judge.command_calls(function)
        if calls:
            hazards.append(Hazard("runs-code", f"runs by-value code `{function.qualname}` ({why}), which "
                                  f"{_described(calls)}", function.offset, function.member))
    for function in ledger.functions:
        if id(function) in at_load:
            continue
        calls = judge.command_calls(function)
        if calls:
            hazards.append(Hazard("predict-code", f"holds by-value code `{function.qualname}` that "
                                  f"{_described(calls)} when it runs (when the model predicts, or whatever calls it)",
                                  function.offset, function.member))
    return hazards


class _CodeSummary:
    """The names of one code object and those nested in it, read once however many functions share it."""

    __slots__ = ("names", "global_names", "modules", "opaque", "unsafe_by_module")

    def __init__(self, code: ByValueCode) -> None:
        codes = code.walk()
        self.names = frozenset(name for facts in codes for name in facts.names)
        self.global_names = frozenset(name for facts in codes for name in facts.global_names)
        modules: dict[str, None] = {}
        for facts in codes:
            for module in (*facts.imports, *facts.dynamic_imports):
                modules[module] = None
                modules[module.split(".")[0]] = None
        self.modules = tuple(modules)
        self.opaque = any(facts.opaque_dynamic_import for facts in codes)
        self.unsafe_by_module: dict[str, tuple[str, ...]] = {}  # module -> its unsafe names among ``names``


class _Judge:
    """One file's judgement, with what several functions share (a code object, a module) computed once."""

    def __init__(self) -> None:
        self._summaries: dict[int, _CodeSummary] = {}

    def summary(self, function: ByValueFunction) -> _CodeSummary:
        key = id(function.code)
        found = self._summaries.get(key)
        if found is None:
            found = self._summaries[key] = _CodeSummary(function.code)
        return found

    def callees(self, function: ByValueFunction) -> list[ByValueFunction]:
        """The by-value functions ``function`` names: its globals and cells, and its class's methods
        (``self.helper``)."""
        names = self.summary(function).names
        callees = [value for name, value in function.globals.items()
                   if name in names and isinstance(value, ByValueFunction)]
        callees += [value for value in function.closure if isinstance(value, ByValueFunction)]
        if function.owner is not None:
            methods = function.owner.methods
            callees += [methods[name] for name in names if name in methods]
        return callees

    def unsafe_calls(self, function: ByValueFunction) -> list[str]:
        """What ``function`` may reach that the allowlist-first policy calls unsafe."""
        summary = self.summary(function)
        found: dict[str, None] = {}
        modules = _modules(function, summary)
        if len(modules) * len(summary.names) > _MAX_PAIRS:  # built to be costly to read: fail closed
            found[f"any of {len(modules):,} modules (too many names to judge)"] = None
            modules = []
        for module in modules:
            found.update(dict.fromkeys(f"{module}.{name}" for name in self._unsafe_names(summary, module)))
            if summary.global_names & _COMPUTED_ACCESS and module not in _BENIGN:
                found[f"{module}.<computed attribute>"] = None
        for value in _named_globals(function, summary.names):
            if classify(value.module, value.name) is Verdict.UNSAFE and not _benign(value.module, value.name):
                found[f"{value.module}.{value.name}"] = None
        for name in sorted(summary.global_names & _RISKY_BUILTINS):
            if name not in function.globals:
                found[f"builtins.{name}"] = None
        if summary.opaque:
            found["an import of a module named at run time"] = None
        return sorted(found, key=_sink_first)

    def _unsafe_names(self, summary: _CodeSummary, module: str) -> tuple[str, ...]:
        cached = summary.unsafe_by_module.get(module)
        if cached is None:
            top = module.split(".")[0]
            cached = summary.unsafe_by_module[module] = tuple(
                name for name in sorted(summary.names)
                if not name.startswith("__") and name not in (top, module.rsplit(".", 1)[-1])
                and classify(module, name) is Verdict.UNSAFE and not _benign(module, name)
                and not (name in _METHOD_NAMES and not is_stdlib(module)))
        return cached

    def command_calls(self, function: ByValueFunction) -> list[str]:
        """What ``function`` may reach that runs a command or code."""
        summary = self.summary(function)
        found = [f"{module}.{name}" for module in _modules(function, summary)
                 for name in sorted(summary.names & COMMAND_SINKS.get(module, frozenset()))]
        for value in _named_globals(function, summary.names):
            if runs_command(value.module, value.name):
                found.append(f"{value.module}.{value.name}")
        found += [f"builtins.{name}" for name in sorted(summary.global_names & COMMAND_SINKS["builtins"])
                  if name not in function.globals]
        return list(dict.fromkeys(found))


def _run_at_load(ledger: ByValueLedger, judge: _Judge) -> dict[int, tuple[ByValueFunction, str, bool]]:
    """Every by-value function a load runs, by id, with why (the first reason found) and whether it
    runs while the file is unpickled (else in MLflow's load, after it)."""
    unpickling: list[tuple[ByValueFunction, str]] = []
    for run in ledger.runs:
        if isinstance(run.target, ByValueFunction):
            unpickling.append((run.target, run.why))
        elif run.method is not None and run.method in run.target.methods:
            unpickling.append((run.target.methods[run.method], run.why))
    mlflow_load: list[tuple[ByValueFunction, str]] = []
    for cls in ledger.classes:
        for hooks, roots in ((_CALLED_UNASKED, unpickling), (_MLFLOW_LOAD_HOOKS, mlflow_load)):
            roots.extend((cls.methods[method], why) for method, why in hooks.items() if method in cls.methods)
    found: dict[int, tuple[ByValueFunction, str, bool]] = {}
    for roots, during_unpickling in ((unpickling, True), (mlflow_load, False)):  # unpickling first: it wins
        pending = deque(roots)
        while pending:
            function, why = pending.popleft()
            if id(function) in found:
                continue
            found[id(function)] = (function, why, during_unpickling)
            pending.extend((callee, f"called by `{function.qualname}`, {why}") for callee in judge.callees(function))
    return found


def _named_globals(function: ByValueFunction, names: frozenset[str]) -> list[GlobalRef]:
    """The globals the pickle names that ``function`` can use: those of its globals its code names,
    and every one in its cells (whose names the scan does not keep)."""
    found = [value for name, value in function.globals.items() if name in names and isinstance(value, GlobalRef)]
    return found + [value for value in function.closure if isinstance(value, GlobalRef)]


def _modules(function: ByValueFunction, summary: _CodeSummary) -> list[str]:
    """The modules ``function`` can reach by name: what its code imports (and at run time by a
    literal), and the modules among its globals and cells."""
    modules = dict.fromkeys(summary.modules)
    for value in (*function.globals.values(), *function.closure):
        if isinstance(value, str):
            modules[value] = None
    return list(modules)


def _benign(module: str, name: str) -> bool:
    """Whether ``module.name`` is a pure standard-library call (see _BENIGN: the module itself, not its
    submodules, ``logging.handlers`` writes files)."""
    impure = _BENIGN.get(module)
    return impure is not None and name.split(".")[0] not in impure



def _sink_first(call: str) -> tuple[bool, str]:
    module, _, name = call.rpartition(".")
    return not runs_command(module, name), call


def _described(calls: list[str]) -> str:
    """The calls to name: those that run commands or code when there are any (the rest of a
    name-level reading is less telling), else all; sorted sinks first already."""
    sinks = [call for call in calls if not _sink_first(call)[0]]
    calls = sinks or calls
    shown = ", ".join(f"`{call}`" if " " not in call else call for call in calls[:_MAX_SHOWN])
    more = f" and {len(calls) - _MAX_SHOWN} more" if len(calls) > _MAX_SHOWN else ""
    return f"can call {shown}{more}"
