"""Imports done by a by-value code object, read from its ``CodeType(...)`` arguments.

cloudpickle pickles a function defined in ``__main__`` (an MLflow ``PythonModel``
written in a notebook, a lambda) by value: ``types.CodeType`` receives the code
object's fields as a plain tuple. This module reads that tuple without building
or running anything and reports

* ``imports``: the module names its ``IMPORT_NAME`` instructions load (an
  ``import tabulate`` inside ``predict`` runs only when ``predict`` runs, so
  nothing else in the pickle names it);
* ``names``: ``co_names``, every global and attribute name the code uses;
* ``global_names``: the names it loads as globals or builtins (``LOAD_GLOBAL``,
  ``LOAD_NAME``), which tells ``eval(...)`` from ``model.eval()``;
* ``dynamic_imports``: string constants passed straight to ``importlib.import_module``
  or ``__import__`` (``import_module("tabulate")``: the constant is loaded right after
  the callable), and ``opaque_dynamic_import`` when such a call takes anything else;
* ``python_minors``: every CPython minor (3.8-3.14) whose argument layout,
  line-table format and opcode numbering fit the code. A code object only
  loads on the minor that compiled it, so one candidate pins the Python
  version; several mean the code is too short to tell them apart.

Argument layouts (cloudpickle's ``_code_reduce``, same order as ``CodeType``):
16 arguments on 3.8-3.10, 18 from 3.11 (``co_qualname``, ``co_exceptiontable``).
Bytecode is read in 2-byte code units; from 3.11 the inline cache units that
``co_code`` returns zeroed are opcode 0 (``CACHE``) and are checked against each
minor's cache sizes, which is what tells 3.11, 3.12 and 3.13 apart. Opcode tables
for 3.8-3.13 were taken from those interpreters' ``opcode`` modules; 3.14's from
xdis 6.3.0 (no cache sizes, so 3.14 is identified by its opcode set and
``RESUME`` number only).
"""

from __future__ import annotations

from modellint.record import Record


class CodeFacts(Record):
    """What the code object's arguments say; ``problem`` is set when the bytecode is unreadable."""

    __slots__ = ("qualname", "imports", "names", "python_minors", "problem", "dynamic_imports",
                 "opaque_dynamic_import", "global_names")

    def __init__(self, qualname: str | None, imports: tuple[str, ...], names: tuple[str, ...],
                 python_minors: tuple[tuple[int, int], ...], problem: str | None = None,
                 dynamic_imports: tuple[str, ...] = (), opaque_dynamic_import: bool = False,
                 global_names: tuple[str, ...] = ()) -> None:
        self.qualname = qualname
        self.imports = imports
        self.names = names
        self.python_minors = python_minors
        self.problem = problem
        self.dynamic_imports = dynamic_imports
        self.opaque_dynamic_import = opaque_dynamic_import
        self.global_names = global_names


class _Layout(Record):
    """Where the fields ``CodeType(...)`` needs sit in its argument tuple."""

    __slots__ = ("code", "consts", "names", "varnames", "name", "qualname", "linetable", "minors")

    def __init__(self, code: int, consts: int, names: int, varnames: int, name: int, qualname: int | None,
                 linetable: int, minors: tuple[tuple[int, int], ...]) -> None:
        self.code = code
        self.consts = consts
        self.names = names
        self.varnames = varnames
        self.name = name
        self.qualname = qualname
        self.linetable = linetable
        self.minors = minors


_LAYOUTS = {
    16: _Layout(
        code=6, consts=7, names=8, varnames=9, name=11, qualname=None, linetable=13,
        minors=((3, 8), (3, 9), (3, 10)),
    ),
    18: _Layout(
        code=6, consts=7, names=8, varnames=9, name=11, qualname=12, linetable=14,
        minors=((3, 11), (3, 12), (3, 13), (3, 14)),
    ),
}


class _Opcodes(Record):
    __slots__ = ("import_name", "extended_arg", "resume", "defined", "caches", "loads")

    def __init__(self, import_name: int, extended_arg: int, resume: int | None, defined: frozenset[int],
                 caches: dict[int, int] | None, loads: _NameLoads) -> None:
        self.import_name = import_name
        self.extended_arg = extended_arg
        self.resume = resume  # every 3.11+ code object runs RESUME before its body
        self.defined = defined
        self.caches = caches  # inline cache units after each opcode; None: not checked
        self.loads = loads


class _NameLoads(Record):
    """The opcodes that push a named callable, and how their argument indexes the name tables.

    From 3.11 LOAD_GLOBAL's low bit (and from 3.12 LOAD_ATTR's) is a flag, so the
    ``co_names`` index is ``argument >> 1``; LOAD_FAST indexes ``co_varnames``.
    """

    __slots__ = ("load_const", "push_null", "by_name", "load_fast", "global_loads")

    def __init__(self, load_const: int, push_null: int | None, by_name: dict[int, int], load_fast: int,
                 global_loads: frozenset[int]) -> None:
        self.load_const = load_const
        self.push_null = push_null
        self.by_name = by_name  # opcode -> right shift of the argument into co_names
        self.load_fast = load_fast
        self.global_loads = global_loads  # LOAD_GLOBAL and LOAD_NAME (the rest of by_name load attributes)


_LOADS_38 = _NameLoads(100, None, {116: 0, 106: 0, 160: 0, 101: 0}, 124, frozenset({116, 101}))  # also 3.9, 3.10
_LOADS_311 = _NameLoads(100, 2, {116: 1, 106: 0, 160: 0, 101: 0}, 124, frozenset({116, 101}))
_LOADS_312 = _NameLoads(100, 2, {116: 1, 106: 1, 101: 0}, 124, frozenset({116, 101}))
_LOADS_313 = _NameLoads(83, 34, {91: 1, 82: 1, 92: 0}, 85, frozenset({91, 92}))
_LOADS_314 = _NameLoads(82, 33, {92: 1, 80: 1, 93: 0}, 84, frozenset({92, 93}))
_DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__"})


def _numbers(spec: str) -> frozenset[int]:
    """``"1-3 7"`` -> ``{1, 2, 3, 7}``: keeps the opcode tables readable."""
    numbers: set[int] = set()
    for part in spec.split():
        low, _, high = part.partition("-")
        numbers.update(range(int(low), int(high or low) + 1))
    return frozenset(numbers)


_OPCODES = {
    (3, 8): _Opcodes(108, 144, None, _numbers(
        "1-6 9-12 15-17 19-20 22-29 50-57 59-73 75-79 81-98 100-116 122 124-126 130-133 135-138 141-158 160-163"
    ), None, _LOADS_38),
    (3, 9): _Opcodes(108, 144, None, _numbers(
        "1-6 9-12 15-17 19-20 22-29 48-52 54-57 59-79 82-87 89-98 100-118 121-122 124-126 130-133 135-138 "
        "141-148 154-157 160-165"
    ), None, _LOADS_38),
    (3, 10): _Opcodes(108, 144, None, _numbers(
        "1-6 9-12 15-17 19-20 22-34 49-52 54-57 59-79 82-87 89-119 121-122 124-126 129-133 135-138 141-148 152 "
        "154-157 160-165"
    ), None, _LOADS_38),
    (3, 11): _Opcodes(108, 144, 151, _numbers(
        "0-2 9-12 15 25 30-33 35-37 49-54 60-61 68-71 74-75 82-112 114-120 122-126 128-140 142 144-149 151-152 "
        "155-157 160 162-166 171-176"
    ), {25: 4, 60: 1, 92: 1, 95: 4, 106: 4, 107: 2, 116: 5, 122: 1, 160: 10, 166: 1, 171: 4}, _LOADS_311),
    (3, 12): _Opcodes(108, 144, 151, _numbers(
        "0-2 4-5 9 11-12 15 25-27 30-33 35-37 49-55 60-61 68-69 71 74-75 83 85 87 89-110 114-147 149-152 155-157 "
        "162-165 171-176"
    ), {25: 1, 60: 1, 92: 1, 93: 1, 95: 4, 106: 9, 107: 1, 116: 4, 122: 1, 123: 1, 141: 1, 171: 3}, _LOADS_312),
    (3, 13): _Opcodes(75, 71, 149, _numbers("0-2 4-16 18-21 23-69 71-118 149"), {
        5: 1, 39: 1, 40: 3, 45: 1, 53: 3, 58: 1, 59: 1, 72: 1, 77: 1, 82: 9, 91: 4, 93: 1, 97: 1, 98: 1, 99: 1,
        100: 1, 104: 1, 108: 4, 117: 1,
    }, _LOADS_313),
    (3, 14): _Opcodes(73, 69, 128, _numbers("0-120 128"), None, _LOADS_314),
}

_RESUME_WINDOW = 8  # RESUME follows at most a few prologue instructions (MAKE_CELL, COPY_FREE_VARS, ...)


def analyse_code_args(args: tuple[object, ...]) -> CodeFacts:
    """Read the ``CodeType(*args)`` arguments a pickle passes; never builds the code object."""
    layout = _LAYOUTS.get(len(args))
    if layout is None:
        return CodeFacts(None, (), (), (), f"CodeType called with {len(args)} arguments: no known Python 3.8-3.14 layout")
    code, names = args[layout.code], args[layout.names]
    qualname = _text(args[layout.qualname] if layout.qualname is not None else args[layout.name])
    if not isinstance(names, tuple) or not all(isinstance(name, str) for name in names):
        return CodeFacts(qualname, (), (), (), "co_names of a by-value code object is not a tuple of strings")
    if not isinstance(code, bytes):
        return CodeFacts(qualname, (), names, (), "co_code of a by-value code object is not readable bytes")
    imports: dict[str, None] = {}
    dynamic: dict[str, None] = {}
    global_names: dict[str, None] = {}
    opaque = False
    minors = []
    tables = _NameTables(names, _tuple(args[layout.varnames]), _tuple(args[layout.consts]))
    for minor in _candidate_minors(layout, code, args[layout.linetable]):
        instructions = _instructions(code, _OPCODES[minor])
        if instructions is None:
            continue
        found = _imported_names(instructions, _OPCODES[minor].import_name, names)
        if found is None:
            continue
        minors.append(minor)
        imports.update(dict.fromkeys(found))
        global_names.update(dict.fromkeys(_global_names(instructions, _OPCODES[minor].loads, names)))
        literals, unpaired = _dynamic_imports(instructions, _OPCODES[minor].loads, tables)
        dynamic.update(dict.fromkeys(literals))
        opaque = opaque or unpaired
    problem = None if minors else "bytecode of a by-value code object fits no Python 3.8-3.14 opcode table"
    return CodeFacts(qualname, tuple(imports), names, tuple(minors), problem, tuple(dynamic), opaque,
                     tuple(global_names))


class _NameTables(Record):
    __slots__ = ("names", "varnames", "consts")

    def __init__(self, names: tuple[str, ...], varnames: tuple[object, ...], consts: tuple[object, ...]) -> None:
        self.names = names
        self.varnames = varnames
        self.consts = consts


def _tuple(value: object) -> tuple[object, ...]:
    return value if isinstance(value, tuple) else ()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _candidate_minors(layout: _Layout, code: bytes, linetable: object) -> tuple[tuple[int, int], ...]:
    """Narrow 3.8-3.10 by the line table: 3.10's ``co_linetable`` byte ranges cover all of ``co_code``,
    while a 3.8/3.9 ``co_lnotab`` stops at the start of the last line's first instruction."""
    if layout.qualname is not None or not isinstance(linetable, bytes):
        return layout.minors
    covered = sum(linetable[0::2])
    if covered == len(code):
        return ((3, 10),)
    return ((3, 8), (3, 9))


def _instructions(code: bytes, opcodes: _Opcodes) -> list[tuple[int, int]] | None:
    """``(opcode, argument)`` pairs with EXTENDED_ARG folded in, or None when ``code`` is not valid for this table."""
    if len(code) % 2:
        return None
    instructions: list[tuple[int, int]] = []
    pending_caches = 0
    extended = 0
    for index in range(0, len(code), 2):
        opcode, argument = code[index], code[index + 1]
        if pending_caches:
            if opcode or argument:
                return None
            pending_caches -= 1
            continue
        if opcode not in opcodes.defined:
            return None
        if opcodes.caches is not None:
            pending_caches = opcodes.caches.get(opcode, 0)
        if opcode == 0:  # a CACHE unit of an opcode whose cache sizes this table does not know
            continue
        if opcode == opcodes.extended_arg:
            extended = (extended | argument) << 8
            continue
        instructions.append((opcode, extended | argument))
        extended = 0
    if opcodes.resume is not None and opcodes.resume not in {op for op, _ in instructions[:_RESUME_WINDOW]}:
        return None
    return instructions


def _imported_names(instructions: list[tuple[int, int]], import_name: int, names: tuple[str, ...]) -> list[str] | None:
    """Module names of every IMPORT_NAME; None if one points outside ``co_names`` (wrong opcode table)."""
    found = []
    for opcode, argument in instructions:
        if opcode != import_name:
            continue
        if argument >= len(names):
            return None
        if names[argument]:  # ``from . import x`` imports the package itself: ''
            found.append(names[argument])
    return found


def _global_names(instructions: list[tuple[int, int]], loads: _NameLoads, names: tuple[str, ...]) -> list[str]:
    """The names loaded as globals or builtins (``eval`` in ``eval(x)``, not in ``model.eval()``)."""
    found = []
    for opcode, argument in instructions:
        if opcode in loads.global_loads:
            index = argument >> loads.by_name[opcode]
            if index < len(names):
                found.append(names[index])
    return found


def _dynamic_imports(
    instructions: list[tuple[int, int]], loads: _NameLoads, tables: _NameTables
) -> tuple[list[str], bool]:
    """Literal module names passed to ``import_module``/``__import__``, and whether a call had no literal.

    The first argument of a call is pushed right after the callable (a PUSH_NULL may sit
    in between), so ``import_module("x")`` is always a load of the name followed by a
    LOAD_CONST of the string, on every minor from 3.8 to 3.14.
    """
    literals: list[str] = []
    unpaired = False
    for index, (opcode, argument) in enumerate(instructions):
        if _loaded_name(opcode, argument, loads, tables) not in _DYNAMIC_IMPORTERS:
            continue
        following = [instruction for instruction in instructions[index + 1:index + 3]
                     if instruction[0] != loads.push_null]
        if following and following[0][0] == loads.load_const and following[0][1] < len(tables.consts):
            constant = tables.consts[following[0][1]]
            if isinstance(constant, str) and constant:
                literals.append(constant)
                continue
        unpaired = True
    return literals, unpaired


def _loaded_name(opcode: int, argument: int, loads: _NameLoads, tables: _NameTables) -> object:
    if opcode == loads.load_fast:
        return tables.varnames[argument] if argument < len(tables.varnames) else None
    shift = loads.by_name.get(opcode)
    if shift is None:
        return None
    index = argument >> shift
    return tables.names[index] if index < len(tables.names) else None
