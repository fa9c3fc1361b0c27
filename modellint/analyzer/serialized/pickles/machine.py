"""The pickle opcode machine: one ``Unpickler.load()`` replayed on values, never on objects.

Exact stack, metastack and memo per CPython's ``pickle.py``, so every ``STACK_GLOBAL`` operand
is known or reported as computed; payloads are skipped, not materialised. Runs of data-only opcodes
(most of a vocabulary or a list of names) are parsed in place in the read buffer by ``Machine.run_data``,
with the same effect as their handlers (tests/analyzer/test_pickles_data_runs.py compares the two).
"""

from __future__ import annotations

import _compat_pickle
import codecs
import io
import struct
from typing import Callable

from modellint.analyzer.serialized import pickle_policy
from modellint.analyzer.serialized.pickle_policy import Verdict
from modellint.analyzer.serialized.pickles.results import (
    ByValueClass,
    ByValueCode,
    ByValueFunction,
    ByValueLedger,
    CallSite,
    EmbeddedCode,
    Facts,
    GlobalRef,
    Hazard,
    Limits,
    ProbeHit,
    Unscannable,
)
from modellint.analyzer.serialized.pickles.streams import PROBE_BYTES, Section, Source


class _Opaque:
    """A value whose content is not tracked: skipped payloads, arrays, persistent ids, out-of-band buffers."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what


class _Skipped(_Opaque):
    """A bytes payload too large to keep, skipped where it lies in a seekable stream: a nested
    deserializer's argument can still be read there (see ``Machine.load_nested``)."""

    __slots__ = ("start", "length")

    def __init__(self, what: str, start: int, length: int) -> None:
        super().__init__(what)
        self.start = start
        self.length = length


class _Imported:
    """The object ``find_class`` returned."""

    __slots__ = ("ref",)

    def __init__(self, ref: GlobalRef) -> None:
        self.ref = ref


class _JudgedByArguments(_Imported):
    """A callable whose ``REDUCE`` is judged by its arguments: ``builtins.getattr`` (by target and attribute),
    ``types.MethodType`` (by the function it binds), and a library gadget that loads what its arguments hold
    (``fed``: where they go, and the chain; see knowledge/gadgets.py). ``unjudged`` counts its pushes onto
    the stack that no such judged ``REDUCE`` has consumed yet: while one is left (kept in a container, passed
    to ``functools.partial``, called by another opcode), the import itself stays reported."""

    __slots__ = ("unjudged", "fed")

    def __init__(self, ref: GlobalRef, fed: tuple[tuple[str, ...], str] | None = None) -> None:
        super().__init__(ref)
        self.unjudged = 1  # the push of the GLOBAL/STACK_GLOBAL that made it
        self.fed = fed


class _Called:
    """The result of a call; ``origin`` is the global the callable came from, ``instance_of`` its class.
    ``of_class`` says the call was a class's constructor for sure (NEWOBJ, copyreg's), not any callable."""

    __slots__ = ("origin", "instance_of", "args", "state", "of_class", "by_value")

    def __init__(self, origin: GlobalRef | None, instance_of: GlobalRef | None, args: object,
                 of_class: bool = False) -> None:
        self.origin = origin
        self.instance_of = instance_of
        self.args = args
        self.state: object = None
        self.of_class = of_class
        # What this value is of the file's by-value code (see by_value.py): a code object, a function,
        # a class, or (``_Instance``) an instance of a by-value class; None for everything else.
        self.by_value: ByValueCode | ByValueFunction | ByValueClass | _Instance | None = None


class _Instance:
    """Marks a value made by a by-value class: its ``BUILD`` and ``APPENDS``/``SETITEMS`` run that class's methods."""

    __slots__ = ("cls",)

    def __init__(self, cls: ByValueClass) -> None:
        self.cls = cls


class _Dict:
    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[object, object]]) -> None:
        self.pairs = pairs

    def get(self, key: str) -> object:
        for item_key, value in self.pairs:
            if item_key == key and isinstance(item_key, str):
                return value
        return None


class _Set:
    __slots__ = ("items",)

    def __init__(self, items: list[object]) -> None:
        self.items = items


_ABSENT = _Opaque("absent")


_COPYREG_CONSTRUCTORS = {("copyreg", "_reconstructor"), ("copyreg", "__newobj__"), ("copyreg", "__newobj_ex__")}
_CODE_TYPES = {("types", "CodeType"), ("builtins", "code")}
# dill's ``_create_code([co_lnotab,] *CodeType arguments)`` and ``_create_function(code, globals, ...)``
_DILL_MODULES = frozenset({"dill._dill", "dill.dill"})
# Protocols 0-2 have no bytes opcodes: pickle writes ``bytes`` as ``_codecs.encode(text, "latin1")``,
# empty ones as ``bytes()``, and ``bytearray`` as ``bytearray(text, "latin-1")`` up to protocol 4.
_TEXT_ENCODERS = {("_codecs", "encode"), ("codecs", "encode")}
_LATIN1_NAMES = frozenset({"latin1", "latin-1", "latin_1"})
# Deserializers of a bytes argument: judged by what that payload loads when it is a literal of the file.
# torch pickles every storage as ``_load_from_bytes(<legacy torch.save bytes>)``, read as torch.load reads
# them: up to five stacked pickles (magic number, protocol, system info, the object, storage keys).
_NESTED_DESERIALIZERS = {
    ("torch.storage", "_load_from_bytes"): 5,
    ("pickle", "loads"): 1, ("_pickle", "loads"): 1,
    ("cloudpickle", "loads"): 1, ("cloudpickle.cloudpickle", "loads"): 1,
}
# The operators a type annotation pickles with: ``Optional[int]`` is ``getitem(typing.Union, (int, NoneType))``,
# ``int | None`` is ``reduce(or_, (int, NoneType))``. Over type expressions they only build types (a
# cloudpickled function's ``__annotations__``); over anything else they stay calls of the operator.
_TYPE_OPERATORS = {("_operator", "getitem"), ("operator", "getitem"), ("_operator", "or_"), ("operator", "or_")}
_TYPE_FOLDS = {("_functools", "reduce"), ("functools", "reduce")}
# dill's ``_get_attr(obj, name)`` is ``getattr(obj, name)``, judged the same way
_GETATTRS = {("builtins", "getattr"), ("dill._dill", "_get_attr"), ("dill.dill", "_get_attr")}
_JUDGED_BY_ARGUMENTS = {*_GETATTRS, ("types", "MethodType"), *_NESTED_DESERIALIZERS, *_TYPE_OPERATORS, *_TYPE_FOLDS}
# What builds a parametrized type: ``list[str]`` (by name; cloudpickle names it through ``_builtin_type``),
# ``collections.abc.Callable[[int], str]``.
_TYPE_CONSTRUCTORS = {("types", "GenericAlias"), ("collections.abc", "_CallableGenericAlias"),
                      ("_collections_abc", "_CallableGenericAlias")}
_MAX_TYPE_DEPTH = 8  # ``Dict[str, List[Optional[int]]]`` is 4 deep; a deeper argument stays a call
# cloudpickle's by-value functions: ``_make_function(code, ...)``, or ``types.FunctionType(code, ...)``
_FUNCTION_MAKERS = {("types", "FunctionType"), ("builtins", "function")}
_CLASS_CONSTRUCTOR_OPCODES = {"NEWOBJ", "NEWOBJ_EX"}  # cls.__new__(cls, ...): only a class gets this far
# In-memory buffers (``BytesIO`` is rebuilt by NEWOBJ, its content set by BUILD): inert, read by whatever
# they are handed to; their content is scanned when it is a file that could be loaded from them.
_BUFFERS = {("_io", "BytesIO"), ("io", "BytesIO")}


def _loads_keras_archive(ref: GlobalRef) -> bool:
    """Keras's unpickler, ``<Keras class>._unpickle_model`` (``KerasSaveable.__reduce__`` hands it the model
    saved into a ``BytesIO``), by a dotted name or through ``getattr``."""
    return ref.module.partition(".")[0] == "keras" and ref.name.rpartition(".")[2] == "_unpickle_model"
# A pickle holds one archive per Keras model it pickles (a few); reading one costs a zip directory and a
# JSON config, so thousands of tiny ones would cost seconds: past this, the file is not proven.
MAX_BUFFER_ARCHIVES = 64
_JOBLIB_WRAPPER_MODULES = {"joblib.numpy_pickle", "sklearn.externals.joblib.numpy_pickle"}
_IDENTIFIER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
HIGHEST_PROTOCOL = 5


# What pickle calls on an instance it fills (APPENDS calls ``extend`` when the class has one).
_FILLING_METHODS = {"APPEND": ("append",), "APPENDS": ("extend", "append"), "SETITEM": ("__setitem__",),
                    "SETITEMS": ("__setitem__",), "ADDITEMS": ("add",)}
# What wraps a function in a class dict: judged as the function.
_METHOD_WRAPPERS = {("builtins", "staticmethod"), ("builtins", "classmethod"), ("builtins", "property")}


def _flat(values: tuple[object, ...]) -> list[object]:
    """``values`` with the tuples among them opened one level (a code object's constants)."""
    return [item for value in values for item in (value if isinstance(value, tuple) else (value,))]


def _global_value(value: object) -> str | GlobalRef | ByValueFunction | None:
    """What a by-value function's global is, for judging what it calls: a module (cloudpickle's
    ``subimport``), a global the pickle names, a by-value function; None for any other value."""
    if isinstance(value, _Imported):
        return value.ref
    if not isinstance(value, _Called):
        return None
    if isinstance(value.by_value, ByValueFunction):
        return value.by_value
    if _is_cloudpickle(value.origin, "subimport") and isinstance(value.args, tuple) and value.args:
        module = value.args[0]
        return module if isinstance(module, str) else None
    return None


def _function_of(value: object) -> ByValueFunction | None:
    """The by-value function a class dict entry is, or wraps (staticmethod, classmethod, property)."""
    if not isinstance(value, _Called):
        return None
    if isinstance(value.by_value, ByValueFunction):
        return value.by_value
    origin = value.origin
    if origin is not None and (origin.module, origin.name) in _METHOD_WRAPPERS and isinstance(value.args, tuple):
        for argument in value.args:
            if isinstance(argument, _Called) and isinstance(argument.by_value, ByValueFunction):
                return argument.by_value
    return None


def _is_cloudpickle(ref: GlobalRef | None, name: str) -> bool:
    return ref is not None and ref.module.split(".")[0] == "cloudpickle" and ref.name == name


def _is_dill(ref: GlobalRef | None, name: str) -> bool:
    return ref is not None and ref.module in _DILL_MODULES and ref.name == name


class Machine:
    """One ``Unpickler.load()``: stack, metastack (MARK), memo and protocol, per CPython's pickle.py."""

    def __init__(self, source: Source, facts: Facts, member: str | None, *, joblib: bool, probe: bool = False) -> None:
        self.source = source
        self.facts = facts
        self.member = member
        self.joblib = joblib  # joblib's NumpyUnpickler: raw array bytes follow NumpyArrayWrapper BUILDs
        self.probe = probe
        self.stack: list[object] = []
        self.metastack: list[list[object]] = []
        self.memo: dict[int, object] = {}
        self.proto = 0
        self.offset = 0
        self.stacked = 0  # items held in the MARK frames of ``metastack``
        self.kept = 0  # values stored into containers, call arguments and states by this run (see Limits.max_values)
        self.judged_imports: list[_JudgedByArguments] = []  # reported when the run ends unless all uses judged
        # Buffers whose literal content was read as an archive (see scan_buffer), kept alive so no id is reused
        self.read_buffers: dict[int, _Called] = {}
        self.read_archives: set[tuple[object, ...]] = set()  # their payloads' keys in Facts.nested_scanned

    # -- driving

    def run(self) -> None:
        """Read opcodes up to and including STOP; raise ``Unscannable`` where a real load would fail
        or a budget (``Limits``) is exceeded."""
        source, handlers, facts = self.source, HANDLERS, self.facts
        remaining, budget = facts.opcodes_left()
        if remaining <= 0:  # many small stacked pickles (or files): each run is short, their sum is not
            raise Unscannable(f"{budget} exceeded", source.pos)
        count = 0
        try:
            while True:
                # up to the next opcode whose count is a multiple of 0x10000, where the budgets are checked
                count = self.run_data(count, count | 0xFFFF)
                self.offset = source.pos
                code = source.read_byte()
                if code is None:
                    raise Unscannable("truncated stream: no STOP opcode", self.offset)
                handler = handlers.get(code)
                if handler is None:
                    raise Unscannable(f"unknown opcode 0x{code:02x}", self.offset)
                count += 1
                if not count & 0xFFFF:  # the stack grows by one item per opcode at most: checked now and then
                    if count > remaining:
                        raise Unscannable(f"{budget} exceeded", self.offset)
                    self.check_stack()
                    self.check_values()
                if handler(self):
                    self.check_values()
                    return
        finally:
            self.record_judged_imports()
            facts.spend_opcodes(count)
            facts.values += self.kept
            self.kept = 0

    def run_data(self, count: int, stop: int) -> int:
        """Run the data-only opcodes that come next in the source's buffer, while ``count`` (opcodes run so
        far) is below ``stop``; return the new count. They are most of a dense pickle (a vocabulary of 400k
        strings is 1.2 M opcodes of strings, ints and memo puts), and each costs a handler call, a read call
        and a push call on the way through ``run``: here each is a few comparisons and one list operation,
        parsed in place in the buffer.

        Each opcode does exactly what its handler does (same stack, metastack, memo, ``kept`` and retained
        bytes). Whatever a handler would do more (record an import or call, raise an error, reach a budget,
        read past the buffer, skip a payload too long to keep) stops the run before that opcode, which
        ``run`` then gives to its handler; so does any other opcode."""
        buffer, index = self.source.buffered()
        end = len(buffer)
        facts, limits = self.facts, self.facts.limits
        stack, metastack, memo = self.stack, self.metastack, self.memo
        stacked, kept = self.stacked, self.kept
        room = limits.max_retained_bytes - facts.retained_bytes  # text bytes that may still be kept
        max_memo, max_marks, max_kept = limits.max_memo_entries, limits.max_mark_depth, limits.max_kept_value_bytes
        # Budgets below the longest SHORT_BINUNICODE (tests set such) leave those strings to their handler,
        # so that the hot path checks one length, not two.
        short_text = 0x8C if max_kept >= 0xFF else -1
        unpack_i4, unpack_u4, unpack_f8 = _I4.unpack_from, _U4.unpack_from, _F8.unpack_from
        try:
            for count in range(count, stop):  # the count goes on from the argument
                # Reading past the buffer (IndexError, struct.error), an empty stack or MARK frame (IndexError),
                # a memo miss (KeyError) and undecodable text raise before the opcode changes anything.
                code = buffer[index]
                if code == 0x94:  # MEMOIZE
                    size = len(memo)
                    if size >= max_memo:
                        break
                    memo[size] = stack[-1]
                    index += 1
                elif code == short_text:  # SHORT_BINUNICODE
                    length = buffer[index + 1]
                    after = index + 2 + length
                    if after > end or length > room:
                        break
                    # strict UTF-8 is the handler's surrogatepass decoding wherever it succeeds, and faster;
                    # text it refuses (encoded surrogates, bad bytes) is left to the handler
                    stack.append(buffer[index + 2:after].decode())
                    room -= length
                    index = after
                elif code == 0x4A:  # BININT
                    stack.append(unpack_i4(buffer, index + 1)[0])
                    index += 5
                elif code == 0x4B:  # BININT1
                    stack.append(buffer[index + 1])
                    index += 2
                elif code == 0x4D:  # BININT2
                    stack.append(buffer[index + 1] | buffer[index + 2] << 8)
                    index += 3
                elif code == 0x71:  # BINPUT
                    if len(memo) >= max_memo:
                        break
                    memo[buffer[index + 1]] = stack[-1]
                    index += 2
                elif code == 0x68:  # BINGET
                    value = memo[buffer[index + 1]]
                    if type(value) is _JudgedByArguments:
                        value.unjudged += 1
                    stack.append(value)
                    index += 2
                elif code == 0x28:  # MARK
                    if len(metastack) >= max_marks:
                        break
                    stacked += len(stack)
                    metastack.append(stack)
                    stack = []
                    index += 1
                elif code == 0x75:  # SETITEMS into a dict: no method runs
                    target = metastack[-1][-1]
                    if type(target) is not _Dict:
                        break
                    items = stack
                    stack = metastack.pop()
                    stacked -= len(stack)
                    kept += len(items)
                    target.pairs.extend(zip(items[0::2], items[1::2]))
                    index += 1
                elif code == 0x65:  # APPENDS to a list: no method runs
                    target = metastack[-1][-1]
                    if type(target) is not list:
                        break
                    items = stack
                    stack = metastack.pop()
                    stacked -= len(stack)
                    kept += len(items)
                    target.extend(items)
                    index += 1
                elif code == 0x7D:  # EMPTY_DICT
                    stack.append(_Dict([]))
                    index += 1
                elif code == 0x5D:  # EMPTY_LIST
                    stack.append([])
                    index += 1
                elif code == 0x29:  # EMPTY_TUPLE
                    stack.append(())
                    index += 1
                elif code == 0x4E:  # NONE
                    stack.append(None)
                    index += 1
                elif code == 0x88 or code == 0x89:  # NEWTRUE, NEWFALSE
                    stack.append(code == 0x88)
                    index += 1
                elif 0x85 <= code <= 0x87:  # TUPLE1, TUPLE2, TUPLE3
                    size = code - 0x84
                    if len(stack) < size:
                        break
                    items = stack[-size:]
                    del stack[-size:]
                    kept += size
                    stack.append(tuple(items))
                    index += 1
                elif code == 0x74:  # TUPLE
                    if not metastack:
                        break
                    items = stack
                    stack = metastack.pop()
                    stacked -= len(stack)
                    kept += len(items)
                    stack.append(tuple(items))
                    index += 1
                elif code == 0x73:  # SETITEM into a dict
                    target = stack[-3]
                    if type(target) is not _Dict:
                        break
                    value = stack.pop()
                    key = stack.pop()
                    kept += 2
                    target.pairs.append((key, value))
                    index += 1
                elif code == 0x61:  # APPEND to a list
                    target = stack[-2]
                    if type(target) is not list:
                        break
                    kept += 1
                    target.append(stack.pop())
                    index += 1
                elif code == 0x58:  # BINUNICODE
                    length = unpack_u4(buffer, index + 1)[0]
                    after = index + 5 + length
                    if after > end or length > max_kept or length > room:
                        break
                    stack.append(buffer[index + 5:after].decode("utf-8", "surrogatepass"))
                    room -= length
                    index = after
                elif code == 0x72:  # LONG_BINPUT
                    if len(memo) >= max_memo:
                        break
                    memo[unpack_u4(buffer, index + 1)[0]] = stack[-1]
                    index += 5
                elif code == 0x6A:  # LONG_BINGET
                    value = memo[unpack_u4(buffer, index + 1)[0]]
                    if type(value) is _JudgedByArguments:
                        value.unjudged += 1
                    stack.append(value)
                    index += 5
                elif code == 0x47:  # BINFLOAT
                    stack.append(unpack_f8(buffer, index + 1)[0])
                    index += 9
                elif code == 0x95:  # FRAME: frames hold whole opcodes, reading linearly is equivalent
                    if index + 9 > end:
                        break
                    index += 9
                else:
                    break
            else:
                count = stop
        except (LookupError, struct.error, UnicodeDecodeError):
            pass  # left to the opcode's handler, which fails (or reads on) as it would have
        finally:
            self.source.advance_to(index)
            self.stack, self.stacked, self.kept = stack, stacked, kept
            facts.retained_bytes = limits.max_retained_bytes - room
        return count

    def check_stack(self) -> None:
        if len(self.stack) + self.stacked > self.facts.limits.max_stack_items:
            raise Unscannable(f"stack budget ({self.facts.limits.max_stack_items:,} items) exceeded", self.offset)

    def check_values(self) -> None:
        facts = self.facts
        if facts.values + self.kept > facts.limits.max_values:
            raise Unscannable(f"value budget ({facts.limits.max_values:,} values stored per file) exceeded", self.offset)

    def record_judged_imports(self) -> None:
        """Imports of ``getattr`` and ``MethodType`` are recorded when the run ends, once their uses are known:
        one whose every use was judged by its arguments is no import to report (a stopped run reports them all)."""
        for imported in self.judged_imports:
            if imported.unjudged and imported.fed is None:
                self.facts.globals.append(imported.ref)
            elif imported.unjudged and imported.fed is not None:  # a dependency already: this use is the danger
                ref = imported.ref
                self.facts.hazards.append(Hazard(
                    "runs-code", f"uses `{ref.module}.{ref.name}` ({ref.where}) where the arguments it is called with "
                    f"are not seen, and it loads what they hold: {_reaches(imported.fed[1])}", ref.offset, ref.member))
        self.judged_imports = []

    def judged_import(self, ref: GlobalRef, fed: tuple[tuple[str, ...], str] | None = None) -> _JudgedByArguments:
        imported = _JudgedByArguments(ref, fed)
        self.judged_imports.append(imported)
        return imported

    def fork(self) -> Machine:
        """A copy that goes on reading as plain ``pickle.load`` would where joblib's reader would not."""
        for frame in (self.stack, *self.metastack):
            for value in frame:
                if type(value) is _JudgedByArguments:
                    value.unjudged += 1  # one push, consumed by both readers: both uses must be judged
        # copying is charged to the opcode budget: a file of many such arrays would otherwise copy a big memo for each
        self.facts.spend_opcodes(len(self.memo) + len(self.stack) + self.stacked)
        twin = Machine(self.source, self.facts, self.member, joblib=False, probe=self.probe)
        twin.stack = list(self.stack)
        twin.metastack = [list(frame) for frame in self.metastack]
        twin.memo = dict(self.memo)
        twin.proto = self.proto
        twin.stacked = self.stacked
        return twin

    # -- stack helpers

    def push(self, value: object) -> None:
        self.stack.append(value)

    def pop(self) -> object:
        if not self.stack:
            raise Unscannable("stack underflow", self.offset)
        return self.stack.pop()

    def top(self) -> object:
        if not self.stack:
            raise Unscannable("stack underflow", self.offset)
        return self.stack[-1]

    def pop_mark(self) -> list[object]:
        if not self.metastack:
            raise Unscannable("stack underflow: no MARK", self.offset)
        items = self.stack
        self.stack = self.metastack.pop()
        self.stacked -= len(self.stack)
        return items

    def push_mark(self) -> None:
        if len(self.metastack) >= self.facts.limits.max_mark_depth:
            raise Unscannable(f"MARK nesting budget ({self.facts.limits.max_mark_depth:,} open MARKs) exceeded",
                              self.offset)
        self.stacked += len(self.stack)
        self.metastack.append(self.stack)
        self.stack = []

    def problem(self, reason: str) -> None:
        self.facts.problem(reason, self.offset, self.member)

    # -- argument readers

    def read_struct(self, fmt: struct.Struct) -> int:
        return fmt.unpack(self.source.read(fmt.size))[0]

    def line(self) -> bytes:
        return self.source.readline(self.facts.limits.max_line_bytes)

    def payload(self, length: int, decode: Callable[[bytes], object] | None, what: str) -> object:
        """Read a string/bytes payload if small and within budget, else seek over it and push an opaque value."""
        if length <= self.facts.limits.max_kept_value_bytes and self.retain(length):
            data = self.source.read(length)
            if decode is None:
                return data
            try:
                return decode(data)
            except UnicodeDecodeError as error:
                raise Unscannable(f"{what}: undecodable text ({error.reason})", self.offset) from None
        start = self.source.pos
        self.source.skip(length)
        if decode is None and self.source.size is not None:
            return _Skipped(what, start, length)
        return _Opaque(what)

    def memo_get(self, index: int) -> None:
        if index not in self.memo:
            raise Unscannable(f"memo miss: index {index} was never stored", self.offset)
        self.push_again(self.memo[index])

    def push_again(self, value: object) -> None:
        """Push a value already seen (memo, DUP): one more use of a ``getattr``/``MethodType`` to judge."""
        if type(value) is _JudgedByArguments:
            value.unjudged += 1
        self.stack.append(value)

    def memo_put(self, index: int) -> None:
        if index < 0:
            raise Unscannable("negative memo index", self.offset)
        memo = self.memo
        if len(memo) >= self.facts.limits.max_memo_entries and index not in memo:
            raise Unscannable(f"memo budget ({self.facts.limits.max_memo_entries:,} entries) exceeded", self.offset)
        memo[index] = self.top()

    def record(self) -> None:
        """One more import or call recorded: bounded, since a hostile file can make one per few opcodes."""
        facts = self.facts
        if len(facts.globals) + len(facts.calls) + len(self.judged_imports) >= facts.limits.max_records:
            raise Unscannable(f"record budget ({facts.limits.max_records:,} imports and calls per file) exceeded",
                              self.offset)

    # -- imports

    def find_class(self, module: object, name: object, opcode: str) -> object:
        if not isinstance(module, str) or not isinstance(name, str):
            self.problem(f"computed import: {opcode} operands are not constant strings (built at load time)")
            return _Opaque("computed import")
        if self.proto < 3:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        if self.probe:
            if _identifier(module) and _identifier(name):
                raise ProbeHit
            raise Unscannable("not an importable name", self.offset)  # the load would stop with ImportError
        self.record()
        ref = GlobalRef(module, name, self.offset, self.member, opcode)
        if (module, name) in _JUDGED_BY_ARGUMENTS or _loads_keras_archive(ref):
            return self.judged_import(ref)
        self.facts.globals.append(ref)
        fed = None if pickle_policy.is_stdlib(module) else pickle_policy.fed_gadget(module, name)
        if fed is not None:
            return self.judged_import(ref, fed)
        return _Imported(ref)

    # -- calls

    def call(self, func: object, args: object, opcode: str) -> object:
        origin = _origin(func)
        if origin is None:
            self.problem(f"{opcode} calls a value that is not traceable to an imported global")
            return _Called(None, None, args)
        self.record()
        self.kept += 1
        if opcode == "REDUCE" and type(func) is _JudgedByArguments:
            judged = self.judge_by_arguments(func.ref, args) if func.fed is None else self.call_fed(func, args)
            if judged is not None:
                func.unjudged -= 1
                return judged
        self.facts.calls.append(CallSite(origin, opcode, self.offset, self.member))
        if opcode == "REDUCE" and _is_cloudpickle(origin, "_builtin_type") and args == ("MethodType",):
            # cloudpickle names ``types.MethodType`` this way: the same import, judged the same way
            return self.judged_import(GlobalRef("types", "MethodType", self.offset, self.member,
                                                "REDUCE of cloudpickle _builtin_type"))
        instance_of: GlobalRef | None = origin
        of_class = opcode in _CLASS_CONSTRUCTOR_OPCODES and isinstance(func, _Imported)
        cls: object = func
        if opcode == "REDUCE" and (origin.module, origin.name) in _COPYREG_CONSTRUCTORS:
            cls = args[0] if isinstance(args, tuple) and args else None
            instance_of, of_class = _origin(cls), isinstance(cls, _Imported)
            if type(cls) is _JudgedByArguments and cls.fed is not None and origin.name != "__newobj_ex__":
                # _reconstructor runs no constructor of cls; __newobj__ runs cls.__new__(cls, *the rest)
                if origin.name == "__newobj__":
                    self.judge_fed(cls.fed, cls.ref, args, 1, f"REDUCE of copyreg.{origin.name}")
                cls.unjudged -= 1
        elif opcode == "NEWOBJ" and type(func) is _JudgedByArguments and func.fed is not None:
            self.judge_fed(func.fed, func.ref, args, 0, opcode)
            func.unjudged -= 1
        called = _Called(origin, instance_of or origin, args, of_class)
        if opcode == "REDUCE":
            self.inspect_reduce(func, origin, args, called)
            if isinstance(func, _Imported):
                rebuilt = self.rebuild_bytes(origin, args)
                if rebuilt is not None:
                    return rebuilt
        if isinstance(cls, _Called) and cls.by_value is not None:
            self.runs_by_value(cls.by_value, opcode if cls is func else f"{opcode} of {origin.name}", called)
        return called

    def runs_by_value(self, value: object, opcode: str, called: _Called) -> None:
        """The load calls a by-value function or an instance of a by-value class, or makes an instance of
        one (``cls(...)``, ``cls.__new__(cls)``, copyreg's constructors): that code runs now."""
        why = f"{opcode} at byte {self.offset}"
        ledger = self.ledger()
        if isinstance(value, ByValueFunction):
            ledger.ran(value, None, f"called by {why}")
        elif isinstance(value, _Instance):
            ledger.ran(value.cls, "__call__", f"an instance called by {why}")
        elif isinstance(value, ByValueClass):
            ledger.ran(value, "__new__", f"an instance made by {why}")
            if opcode in ("REDUCE", "OBJ", "INST"):  # the class itself called: __init__ runs too
                ledger.ran(value, "__init__", f"an instance made by {why}")
            called.by_value = _Instance(value)

    def runs_methods(self, cls: ByValueClass, methods: tuple[str, ...], opcode: str) -> None:
        ledger = self.ledger()
        for method in methods:
            ledger.ran(cls, method, f"run by {opcode} at byte {self.offset}")

    def ledger(self) -> ByValueLedger:
        if self.facts.by_value is None:
            self.facts.by_value = ByValueLedger()
        return self.facts.by_value

    def judge_by_arguments(self, callable: GlobalRef, args: object) -> _Called | None:
        """The value of a ``getattr``/``MethodType`` call judged by its arguments, or None when the call
        must stay one of the import itself."""
        if (callable.module, callable.name) in _NESTED_DESERIALIZERS:
            return self.load_nested(callable, args)
        if _loads_keras_archive(callable):
            # Keras's unpickler loads the archive it is handed: one whose content was read when its buffer
            # was built is judged by that content; any other argument leaves it a call of the gadget
            if not self.reads_a_read_buffer(args):
                return None
            self.facts.subimports.append(callable.module)  # still a module the load imports
            return _Called(callable, None, args)
        if (callable.module, callable.name) in _TYPE_OPERATORS | _TYPE_FOLDS:
            return _type_expression(callable, args)
        if (callable.module, callable.name) in _GETATTRS:
            attribute = _attribute_of_import(args, self.offset)
            if attribute is None:
                return None
            self.facts.calls.append(CallSite(attribute, "REDUCE of getattr", self.offset, self.member))
            return _Called(attribute, attribute, args)
        function = _bound_function(args)
        if function is None:
            return None
        # binding calls nothing: the bound method is the function, judged wherever it is itself called
        return _Called(function, None, args)

    def call_fed(self, gadget: _JudgedByArguments, args: object) -> _Called:
        """``REDUCE`` of a library gadget that loads what its arguments hold, judged by them."""
        ref = gadget.ref
        assert gadget.fed is not None
        self.judge_fed(gadget.fed, ref, args, 0, "REDUCE")
        self.facts.calls.append(CallSite(ref, "REDUCE", self.offset, self.member))
        return _Called(ref, ref, args)

    def judge_fed(self, fed: tuple[tuple[str, ...], str], ref: GlobalRef, args: object, skip: int, opcode: str) -> None:
        """The arguments of a call of ``ref``, a library gadget that loads what they hold, at the places it is
        fed from (``args`` past the first ``skip``) judged as its loader would read them (see
        fed_arguments.py): a hazard when one could carry code or cannot be read."""
        from modellint.analyzer.serialized.pickles import fed_arguments

        places, reaches = fed
        given = args[skip:] if isinstance(args, tuple) else None
        where = f"{opcode} at byte {self.offset}"
        member = f"{self.member} > argument of {ref.module}.{ref.name}" if self.member else None
        reason = fed_arguments.judge(given, places, reaches, _plain, self.facts,
                                     member or f"argument of {ref.module}.{ref.name} ({where})")
        if reason is not None:
            self.facts.hazards.append(Hazard(
                "runs-code", f"calls `{ref.module}.{ref.name}` ({where}) with {reason}, which it deserializes: "
                f"{_reaches(reaches)}", self.offset, self.member))

    def load_nested(self, deserializer: GlobalRef, args: object) -> _Called | None:
        """Scan the payload a nested deserializer loads, as its own pickles, into this file's facts: the
        call is then judged by what the payload imports and calls. None (the call stays one of the
        deserializer, an error) when the payload is not a literal of the file, is a zip archive (torch
        would read it as one), is nested too deep, or lies in a stream that cannot be read twice."""
        if not isinstance(args, tuple) or len(args) != 1:
            return None
        payload, facts = args[0], self.facts
        if isinstance(payload, (bytes, bytearray)):
            key: tuple[object, ...] = ("kept", id(payload))
            length = len(payload)
        elif isinstance(payload, _Skipped) and self.source.size is not None:
            key, length = ("skipped", payload.start, payload.length), payload.length
        else:
            return None
        limits = facts.limits
        if facts.nested_depth >= limits.max_nested_depth or len(facts.nested_scanned) >= limits.max_nested_payloads:
            return None
        called = _Called(deserializer, None, args)
        if key in facts.nested_scanned:  # a memoized payload loaded again loads the same thing
            return called
        facts.nested_scanned[key] = payload  # holds the kept value, so its id() is not reused
        where = f"payload loaded by {deserializer.module}.{deserializer.name} at byte {self.offset}"
        member = f"{self.member} > {where}" if self.member else where
        stream = io.BytesIO(payload) if not isinstance(payload, _Skipped) else Section(self.source, payload.start,
                                                                                        payload.length)
        facts.nested_depth += 1
        try:
            with stream:
                if stream.read(4) in (b"PK\x03\x04", b"PK\x05\x06"):
                    del facts.nested_scanned[key]
                    return None
                stream.seek(0)
                # the load stops where the payload ends: what ran before is all there is to judge
                scan_pickles(Source(stream, length), facts, member, joblib=False,
                             count=_NESTED_DESERIALIZERS[(deserializer.module, deserializer.name)], until_end=True)
        finally:
            facts.nested_depth -= 1
        return called

    def rebuild_bytes(self, origin: GlobalRef, args: object) -> bytes | bytearray | _Opaque | None:
        """The value of a protocol 0-2 ``bytes``/``bytearray``, so that ``co_code`` and the other bytes of a
        by-value code object read the same at every protocol; None for any other call."""
        key = (origin.module, origin.name)
        if key in _TEXT_ENCODERS:
            text = _latin1_text(args)
            if text is None:
                self.problem(f"`{origin.module}.{origin.name}` with arguments other than a text and a literal "
                             "latin-1 encoding: the value it makes cannot be read")
                return _Opaque("encoded text")
            return self.encoded(text)
        if key == ("builtins", "bytes") and args == ():
            return b""
        if key == ("builtins", "bytearray"):
            if args == ():
                return bytearray()
            if isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], bytes):
                # a new copy each time: one memoized payload could otherwise be copied a million times
                return bytearray(args[0]) if self.retain(len(args[0])) else _Opaque("bytearray")
            text = _latin1_text(args)
            if text is not None:
                encoded = self.encoded(text)
                return bytearray(encoded) if isinstance(encoded, bytes) else encoded
        return None

    def encoded(self, text: str | _Opaque) -> bytes | _Opaque:
        """``text.encode("latin-1")``, charged to the retained-bytes budget like the payload it copies."""
        if isinstance(text, _Opaque):
            return _Opaque("encoded text")
        if not self.retain(len(text)):  # latin-1: one byte per character
            return _Opaque("encoded text")
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            raise Unscannable("text encoded as latin-1 holds a character beyond U+00FF: the load fails",
                              self.offset) from None

    def retain(self, length: int) -> bool:
        """Charge ``length`` bytes about to be kept (a payload read, or a copy made of one) to the
        retained-bytes budget; False, charging nothing, when that would exceed it."""
        facts = self.facts
        if facts.retained_bytes + length > facts.limits.max_retained_bytes:
            return False
        facts.retained_bytes += length
        return True

    def inspect_reduce(self, func: object, origin: GlobalRef, args: object, called: _Called) -> None:
        """cloudpickle's load-time imports and by-value code, functions and classes."""
        if _is_cloudpickle(origin, "subimport"):
            if isinstance(args, tuple) and args and isinstance(args[0], str):
                self.facts.subimports.append(args[0])
            else:
                self.problem("computed import: cloudpickle subimport of a module name built at load time")
        elif _is_code_type(func) and isinstance(args, tuple):
            called.by_value = self.record_code(args)
        elif not isinstance(args, tuple) or not args:
            return
        elif _is_dill(origin, "_create_code"):
            # from Python 3.10 dill puts the code's line table first (bytes, where CodeType starts with an int)
            called.by_value = self.record_code(args if isinstance(args[0], int) else args[1:])
        elif (_is_cloudpickle(origin, "_make_function") or (origin.module, origin.name) in _FUNCTION_MAKERS
              or _is_dill(origin, "_create_function")):
            self.record_function(args, called)
        elif _is_cloudpickle(origin, "_make_skeleton_class") or _is_cloudpickle(origin, "_make_skeleton_enum"):
            self.record_class(args, called)
        elif _is_cloudpickle(origin, "_function_setstate") or _is_cloudpickle(origin, "_class_setstate"):
            self.record_state(args)

    def record_code(self, args: tuple[object, ...]) -> ByValueCode:
        # The opcode tables of seven CPython minors cost a quarter of this package's import
        # time; most pickles hold no code object, so they are loaded on the first one.
        from modellint.analyzer.serialized import bytecode

        facts = bytecode.analyse_code_args(args)
        minor = facts.python_minors[0] if len(facts.python_minors) == 1 else None
        self.facts.embedded.append(
            EmbeddedCode(facts.qualname, facts.imports, facts.names, minor, self.offset, self.member,
                         facts.python_minors, facts.dynamic_imports, facts.opaque_dynamic_import)
        )
        if facts.problem:
            self.problem(facts.problem)
        # Code objects in its constants (inner functions, lambdas, comprehensions before 3.12) run with it.
        nested = [value.by_value for value in _flat(args)
                  if isinstance(value, _Called) and isinstance(value.by_value, ByValueCode)]
        return ByValueCode(facts, tuple(nested))

    def record_function(self, args: tuple[object, ...], called: _Called) -> None:
        """``_make_function(code, globals, ...)`` or ``FunctionType(code, globals, ...)``."""
        code = args[0]
        if isinstance(code, _Called) and isinstance(code.by_value, ByValueCode):
            function = ByValueFunction(code.by_value, self.offset, self.member)
            called.by_value = function
            self.ledger().functions.append(function)
            if len(args) > 1 and isinstance(args[1], _Dict):
                self.record_globals(function, args[1])

    def record_globals(self, function: ByValueFunction, names: _Dict) -> None:
        for name, item in names.pairs:
            known = _global_value(item)
            if isinstance(name, str) and known is not None:
                function.globals[name] = known

    def record_class(self, args: tuple[object, ...], called: _Called) -> None:
        name = args[1] if len(args) > 1 and isinstance(args[1], str) else "<class>"
        cls = ByValueClass(name)
        called.by_value = cls
        self.ledger().classes.append(cls)

    def record_state(self, args: tuple[object, ...]) -> None:
        """``_function_setstate(f, (state, slotstate))``: the globals a by-value function sees;
        ``_class_setstate(cls, (state, slotstate))``: a by-value class's methods."""
        target, state = args[0], args[1] if len(args) > 1 else None
        if not isinstance(target, _Called) or not isinstance(state, tuple) or len(state) != 2:
            return
        value = target.by_value
        if isinstance(value, ByValueFunction) and isinstance(state[1], _Dict):
            names = state[1].get("__globals__")
            if isinstance(names, _Dict):
                self.record_globals(value, names)
            cells = state[1].get("__closure__")
            for cell in cells if isinstance(cells, tuple) else ():
                # cloudpickle writes a cell as ``_make_cell(contents)``
                item = cell.args[0] if (isinstance(cell, _Called) and _is_cloudpickle(cell.origin, "_make_cell")
                                        and isinstance(cell.args, tuple) and cell.args) else None
                known = _global_value(item)
                if known is not None:
                    value.closure.append(known)
        elif isinstance(value, ByValueClass) and isinstance(state[0], _Dict):
            for name, item in state[0].pairs:
                function = _function_of(item)
                if isinstance(name, str) and function is not None:
                    value.methods[name] = function
                    function.owner = value

    def method_call(self, target: object, opcode: str) -> None:
        """APPEND(S)/SETITEM(S)/ADDITEMS on an instance run that instance's class methods."""
        if isinstance(target, _Called) and isinstance(target.by_value, _Instance):
            self.runs_methods(target.by_value.cls, _FILLING_METHODS[opcode], opcode)
        if isinstance(target, _Called) and target.instance_of is not None:
            self.record()
            self.facts.calls.append(CallSite(target.instance_of, opcode, self.offset, self.member))

    def build(self, instance: object, state: object) -> None:
        if isinstance(instance, _Imported):
            self.record()
            setattr_ref = GlobalRef("builtins", "setattr", self.offset, self.member, "BUILD")
            self.facts.calls.append(CallSite(setattr_ref, "BUILD", self.offset, self.member))
            return
        if not isinstance(instance, _Called):
            return
        if isinstance(instance.by_value, _Instance):
            slots = isinstance(state, tuple) and len(state) == 2 and state[1] is not None
            self.runs_methods(instance.by_value.cls, ("__setstate__", "__setattr__") if slots else ("__setstate__",),
                              "BUILD")
        instance.state = state
        self.kept += 1
        if instance.instance_of is None:
            return
        self.record()
        self.facts.calls.append(CallSite(instance.instance_of, "BUILD", self.offset, self.member))
        kind = instance.instance_of
        if self.joblib and kind.module in _JOBLIB_WRAPPER_MODULES and kind.name == "NumpyArrayWrapper":
            self.stack[-1] = self.read_joblib_array(state)
        elif (kind.module, kind.name) in _BUFFERS and isinstance(state, tuple) and state:
            if self.scan_buffer(state[0]):
                self.read_buffers[id(instance)] = instance

    def reads_a_read_buffer(self, args: object) -> bool:
        """Whether ``args`` is one buffer whose content :meth:`scan_buffer` read as an archive."""
        return (isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], _Called)
                and self.read_buffers.get(id(args[0])) is args[0])

    def scan_buffer(self, payload: object) -> bool:
        """Judge what an in-memory buffer's literal content loads when it is a Keras archive: Keras pickles a
        model as ``KerasSaveable._unpickle_model(BytesIO(<.keras bytes>))``, which loads it with
        ``safe_mode=False`` (a PythonModel holding a Keras model, cloudpickled by MLflow). The buffer itself
        runs nothing; Keras's unpickler handed it is judged by what this read (True: the content is an
        archive, read in full by the archive reader, or read before)."""
        if isinstance(payload, (bytes, bytearray)):
            key: tuple[object, ...] = ("kept", id(payload))
        elif isinstance(payload, _Skipped) and self.source.size is not None:
            key = ("skipped", payload.start, payload.length)
        else:
            return False
        facts, limits = self.facts, self.facts.limits
        if facts.nested_depth >= limits.max_nested_depth or len(facts.nested_scanned) >= limits.max_nested_payloads:
            return False
        if key in facts.nested_scanned:
            return key in self.read_archives
        facts.nested_scanned[key] = payload
        stream = io.BytesIO(payload) if not isinstance(payload, _Skipped) else Section(self.source, payload.start,
                                                                                        payload.length)
        where = f"Keras archive in io.BytesIO at byte {self.offset}"
        with stream:
            if stream.read(4) != b"PK\x03\x04" or facts.archive_reader is None:
                return False
            facts.buffer_archives += 1
            if facts.buffer_archives > MAX_BUFFER_ARCHIVES:
                if facts.buffer_archives == MAX_BUFFER_ARCHIVES + 1:  # said once
                    self.problem(f"more than {MAX_BUFFER_ARCHIVES} archives in in-memory buffers: the rest are "
                                 "not read")
                return False
            facts.nested_depth += 1
            try:
                facts.archive_reader(stream, facts, f"{self.member} > {where}" if self.member else where)
            finally:
                facts.nested_depth -= 1
        self.read_archives.add(key)
        return True

    # -- joblib

    def read_joblib_array(self, state: object) -> _Opaque:
        """Pass over the bytes joblib's ``NumpyArrayWrapper.read`` consumes right after the BUILD."""
        layout = _joblib_array_layout(state)
        if layout is None:
            raise Unscannable("joblib array whose shape or dtype is not a constant: its size is unknown", self.offset)
        nbytes, has_object, aligned = layout
        self.facts.joblib_arrays += 1
        start = self.source.pos
        self.check_pickle_reading(start)
        if has_object:
            nested = Machine(self.source, self.facts, self.member, joblib=False)
            nested.run()
            return _Opaque("object array")
        if aligned:
            padding = self.source.read_byte()
            if padding is None:
                raise Unscannable("truncated stream: joblib array padding missing", self.source.pos)
            self.source.skip(padding)
        self.source.skip(nbytes)
        return _Opaque("array")

    def check_pickle_reading(self, start: int) -> None:
        """A file with joblib arrays may still be loaded with ``pickle.load``, which reads the array bytes as
        opcodes. Real joblib files start them with a padding byte below 16 (never an opcode) or a nested
        pickle; anything else gets the plain-pickle reading scanned as well, or reported."""
        first = self.source.peek_byte()
        if first is None or first not in HANDLERS or first == 0x80:
            # 0x80 starts an object array's nested pickle: pickle.load would run the same opcodes (with the
            # outer memo; that memo differential is not modelled)
            return
        if self.source.size is None:
            self.problem("joblib array bytes are also valid pickle opcodes: pickle.load would read them as code")
            return
        twin = self.fork()
        try:
            twin.run()
        except Unscannable:
            pass  # pickle.load would stop with an error at the same place
        finally:
            self.source.rewind(start)


def _identifier(text: str) -> bool:
    return bool(text) and set(text) <= _IDENTIFIER_CHARS and not text[0].isdigit()


_MAX_PLAIN_VALUES = 100_000  # of one argument read as plain data: a shared list nested 30 deep is a billion


def _plain(value: object) -> object:
    """``value`` as the plain data a loader would get (str, bytes, numbers, lists, dicts), or NotPlain;
    read without recursion, at most :data:`_MAX_PLAIN_VALUES` values (a memoized list shared many times
    over counts each time)."""
    from modellint.analyzer.serialized.pickles.fed_arguments import NotPlain

    root: list[object] = []
    pending: list[tuple[object, list[object] | dict[object, object], object]] = [(value, root, None)]
    seen = 0
    while pending:
        item, into, key = pending.pop()
        seen += 1
        if seen > _MAX_PLAIN_VALUES:
            raise NotPlain(f"over {_MAX_PLAIN_VALUES:,} values")
        made: object
        if item is None or isinstance(item, (str, bytes, bytearray, int, float, complex)):
            made = item
        elif isinstance(item, (tuple, list)):
            made = []
            pending.extend((part, made, None) for part in reversed(item))
        elif isinstance(item, _Dict):
            made = {}
            for pair_key, pair_value in item.pairs:
                if not isinstance(pair_key, (str, int, float)) and pair_key is not None:
                    raise NotPlain("a dict key that is not plain")
                pending.append((pair_value, made, pair_key))
        else:
            raise NotPlain(_describe(item))
        if isinstance(into, dict):
            into[key] = made
        else:
            into.append(made)
    return root[0]


def _describe(value: object) -> str:
    origin = _origin(value)
    if origin is not None:
        return f"`{origin.module}.{origin.name}`" + (" called at load time" if isinstance(value, _Called) else "")
    return f"a {value.what}" if isinstance(value, _Opaque) else "a value built at load time"


def _reaches(chain: str) -> str:
    """``sink: chain`` as the message says it."""
    kind, _, hops = chain.partition(": ")
    return f"it reaches a {kind} sink through {hops}"


def _origin(value: object) -> GlobalRef | None:
    if isinstance(value, _Imported):
        return value.ref
    if isinstance(value, _Called):
        return value.origin
    return None


def _attribute_of_import(args: object, offset: int) -> GlobalRef | None:
    """``getattr(target, "name")`` read as the global ``module.Class.name`` when the target is a global the
    pickle imported by name (or an instance a class constructor made of one) and the name a literal,
    non-dunder identifier; None when it must stay a call of ``getattr`` (a computed name, a dunder walk,
    a default argument, a target that is a module, a by-value object or a call's result)."""
    if not isinstance(args, tuple) or len(args) != 2:
        return None
    target, name = args
    if not isinstance(name, str) or not name.isidentifier() or (name.startswith("__") and name.endswith("__")):
        return None
    if type(target) is _Imported:
        owner = target.ref
    elif isinstance(target, _Called) and target.of_class and target.instance_of is not None:
        owner = target.instance_of
    else:
        return None
    return GlobalRef(owner.module, f"{owner.name}.{name}", offset, owner.member, "getattr")


def _bound_function(args: object) -> GlobalRef | None:
    """What ``types.MethodType(function, instance)`` binds, when it is a function the pickle imported by name
    (a global, or ``getattr(<class>, "<name>")`` judged as one) or a by-value function cloudpickle made; None
    for anything else (a computed callable, a call's result, ``getattr`` itself), which stays a call of
    ``MethodType``. The instance may be any value: binding runs nothing of it."""
    if not isinstance(args, tuple) or len(args) != 2:
        return None
    function = args[0]
    if type(function) is _Imported:
        return function.ref
    if isinstance(function, _Called) and function.origin is not None:
        origin = function.origin
        if (origin.opcode == "getattr" or _is_cloudpickle(origin, "_make_function")
                or (origin.module, origin.name) in _FUNCTION_MAKERS or _is_dill(origin, "_create_function")):
            return origin
    return None


def _type_expression(operator: GlobalRef, args: object) -> _Called | None:
    """The type ``getitem``/``or_`` (or ``reduce`` of ``or_``) builds from type expressions, as a value
    whose origin is the operator (so calling it is still a call of the operator); None when an argument
    is anything else, or a fold's function is not a type operator."""
    if not isinstance(args, tuple) or len(args) != 2:
        return None
    if (operator.module, operator.name) in _TYPE_FOLDS:
        function, operands = args
        if not (type(function) is _JudgedByArguments and (function.ref.module, function.ref.name) in _TYPE_OPERATORS
                and isinstance(operands, tuple) and all(_is_type_expression(value, 0) for value in operands)):
            return None
        function.unjudged -= 1  # folded over types: this use of the operator is judged too
    elif not all(_is_type_expression(value, 0) for value in args):
        return None
    return _Called(operator, None, args)


def _is_type_expression(value: object, depth: int) -> bool:
    """A literal, a tuple or list of type expressions, a class or type form the pickle imported by name
    (judged on its own: the standard library's allowlist, or a dependency), or a type built from them
    (``GenericAlias``, ``type(None)``, a type operator's result)."""
    if depth > _MAX_TYPE_DEPTH:
        return False
    if value is None or isinstance(value, (str, int, float)):
        return True
    if isinstance(value, (tuple, list)):
        return all(_is_type_expression(item, depth + 1) for item in value)
    if type(value) is _Imported:
        return pickle_policy.classify(value.ref.module, value.ref.name) in (Verdict.SAFE, Verdict.DEPENDENCY)
    if isinstance(value, _Called) and value.origin is not None and value.by_value is None:
        origin = (value.origin.module, value.origin.name)
        if origin in _TYPE_OPERATORS or origin in _TYPE_FOLDS or origin == ("builtins", "type"):
            return True
        # ``_builtin_type("GenericAlias")`` and the alias it then builds: made of type expressions only
        return ((_is_cloudpickle(value.origin, "_builtin_type") or origin in _TYPE_CONSTRUCTORS)
                and _is_type_expression(value.args, depth + 1))
    return False


def _latin1_text(args: object) -> str | _Opaque | None:
    """The text of ``(text, "latin1")`` call arguments (opaque when too long to keep), else None."""
    if (isinstance(args, tuple) and len(args) == 2 and isinstance(args[0], (str, _Opaque))
            and isinstance(args[1], str) and args[1] in _LATIN1_NAMES):
        return args[0]
    return None


def _is_code_type(func: object) -> bool:
    if isinstance(func, _Imported):
        return (func.ref.module, func.ref.name) in _CODE_TYPES
    return (
        isinstance(func, _Called)
        and _is_cloudpickle(func.origin, "_builtin_type")
        and isinstance(func.args, tuple)
        and func.args[:1] == ("CodeType",)
    )


def _joblib_array_layout(state: object) -> tuple[int, bool, bool] | None:
    """``(byte count, holds objects, has alignment padding)`` from a NumpyArrayWrapper's state dict."""
    if not isinstance(state, _Dict):
        return None
    shape, dtype = state.get("shape"), _dtype_layout(state.get("dtype"))
    if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape) or dtype is None:
        return None
    count = 1
    for extent in shape:
        count *= extent
    itemsize, has_object = dtype
    aligned = state.get("numpy_array_alignment_bytes") is not None
    return count * itemsize, has_object, aligned


def _dtype_layout(dtype: object, depth: int = 0) -> tuple[int, bool] | None:
    """``(itemsize, holds objects)`` of a pickled ``numpy.dtype(typestr, ...)`` + BUILD state."""
    if depth > 16 or not isinstance(dtype, _Called) or not isinstance(dtype.args, tuple) or not dtype.args:
        return None
    typestr = dtype.args[0]
    if not isinstance(typestr, str) or not typestr:
        return None
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    has_object = typestr[0] == "O" or _fields_hold_objects(state[4] if len(state) > 4 else None, depth)
    elsize = state[5] if len(state) > 5 else -1
    if isinstance(elsize, int) and elsize > 0:
        return elsize, has_object
    digits = typestr[1:]
    return (int(digits), has_object) if digits.isdigit() else None


def _fields_hold_objects(fields: object, depth: int) -> bool:
    if not isinstance(fields, _Dict):
        return False
    for _, field_info in fields.pairs:
        if isinstance(field_info, tuple) and field_info:
            layout = _dtype_layout(field_info[0], depth + 1)
            if layout is None or layout[1]:
                return True  # unknown field types count as objects: fail closed
    return False


# -- opcode handlers: each returns True only for STOP


def _parse_int(machine: Machine, text: bytes, opcode: str) -> int:
    """CPython parses INT/LONG with base 0 (``I0x1``); pickletools with base 10. Accept both, flag the former."""
    try:
        value = int(text, 10)
    except ValueError:
        try:
            value = int(text, 0)
        except ValueError:
            raise Unscannable(f"invalid {opcode} literal {text[:40]!r}", machine.offset) from None
        machine.problem(f"non-decimal {opcode} literal {text[:40]!r}: scanners built on pickletools misread it")
    return value


def _op_int(m: Machine) -> None:
    text = m.line()
    if text == b"00":
        m.push(False)
    elif text == b"01":
        m.push(True)
    else:
        m.push(_parse_int(m, text, "INT"))


def _op_long(m: Machine) -> None:
    text = m.line()
    m.push(_parse_int(m, text[:-1] if text.endswith(b"L") else text, "LONG"))


def _op_float(m: Machine) -> None:
    text = m.line()
    try:
        m.push(float(text))
    except ValueError:
        raise Unscannable(f"invalid FLOAT literal {text[:40]!r}", m.offset) from None


def _op_long_n(fmt: struct.Struct) -> Callable[[Machine], None]:
    def handler(m: Machine) -> None:
        length = m.read_struct(fmt)
        if length < 0:
            raise Unscannable("negative LONG length", m.offset)
        data = m.payload(length, None, "long integer")
        m.push(int.from_bytes(data, "little", signed=True) if isinstance(data, bytes) else data)

    return handler


def _op_string(m: Machine) -> None:
    text = m.line()
    if len(text) < 2 or text[0] != text[-1] or text[:1] not in (b"'", b'"'):
        raise Unscannable("STRING argument is not quoted", m.offset)
    # Unpickler(encoding=...) decides; latin-1 maps every byte, so names stay visible whatever the loader uses.
    m.push(codecs.escape_decode(text[1:-1])[0].decode("latin-1"))


def _counted(fmt: struct.Struct | None, decode: Callable[[bytes], object] | None, what: str) -> Callable[[Machine], None]:
    def handler(m: Machine) -> None:
        length = m.read_struct(fmt) if fmt is not None else m.source.read(1)[0]
        if length < 0:
            raise Unscannable(f"negative {what} length", m.offset)
        m.push(m.payload(length, decode, what))

    return handler


def _utf8(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


def _latin1(data: bytes) -> str:
    return data.decode("latin-1")


def _op_unicode(m: Machine) -> None:
    try:
        m.push(m.line().decode("raw-unicode-escape"))
    except UnicodeDecodeError:
        raise Unscannable("UNICODE argument is not raw-unicode-escape text", m.offset) from None


def _op_global(m: Machine) -> None:
    module, name = _utf8_line(m), _utf8_line(m)
    m.push(m.find_class(module, name, "GLOBAL"))


def _op_inst(m: Machine) -> None:
    module, name = _utf8_line(m), _utf8_line(m)
    cls = m.find_class(module, name, "INST")
    m.push(m.call(cls, _marked_tuple(m), "INST"))


def _utf8_line(m: Machine) -> str:
    try:
        return m.line().decode("utf-8")
    except UnicodeDecodeError:
        raise Unscannable("GLOBAL/INST name is not UTF-8", m.offset) from None


def _op_stack_global(m: Machine) -> None:
    name = m.pop()
    module = m.pop()
    m.push(m.find_class(module, name, "STACK_GLOBAL"))


def _op_ext(fmt: struct.Struct | None) -> Callable[[Machine], None]:
    def handler(m: Machine) -> None:
        code = m.read_struct(fmt) if fmt is not None else m.source.read(1)[0]
        if m.probe:
            raise ProbeHit
        m.problem(f"extension code {code}: resolved through copyreg's process-wide registry, unknowable statically")
        m.push(_Opaque("extension"))

    return handler


def _op_reduce(m: Machine) -> None:
    args = m.pop()
    func = m.top()
    m.stack[-1] = m.call(func, args, "REDUCE")


def _op_newobj(m: Machine) -> None:
    args = m.pop()
    cls = m.pop()
    m.push(m.call(cls, args, "NEWOBJ"))


def _op_newobj_ex(m: Machine) -> None:
    m.pop()  # keyword arguments
    args = m.pop()
    cls = m.pop()
    m.push(m.call(cls, args, "NEWOBJ_EX"))


def _op_obj(m: Machine) -> None:
    items = m.pop_mark()
    if not items:
        raise Unscannable("stack underflow: OBJ without a class", m.offset)
    m.kept += len(items)
    m.push(m.call(items[0], tuple(items[1:]), "OBJ"))


def _op_build(m: Machine) -> None:
    state = m.pop()
    m.build(m.top(), state)


def _op_append(m: Machine) -> None:
    value = m.pop()
    target = m.top()
    if isinstance(target, list):
        m.kept += 1
        target.append(value)
    m.method_call(target, "APPEND")


def _op_appends(m: Machine) -> None:
    items = m.pop_mark()
    target = m.top()
    if isinstance(target, list):
        m.kept += len(items)
        target.extend(items)
    m.method_call(target, "APPENDS")


def _op_setitem(m: Machine) -> None:
    value = m.pop()
    key = m.pop()
    target = m.top()
    if isinstance(target, _Dict):
        m.kept += 2
        target.pairs.append((key, value))
    m.method_call(target, "SETITEM")


def _op_setitems(m: Machine) -> None:
    items = m.pop_mark()
    target = m.top()
    if isinstance(target, _Dict):
        m.kept += len(items)
        target.pairs.extend(zip(items[0::2], items[1::2]))
    m.method_call(target, "SETITEMS")


def _op_additems(m: Machine) -> None:
    items = m.pop_mark()
    target = m.top()
    if isinstance(target, _Set):
        m.kept += len(items)
        target.items.extend(items)
    m.method_call(target, "ADDITEMS")


def _op_pop(m: Machine) -> None:
    if m.stack:
        m.stack.pop()
    else:
        m.pop_mark()


def _op_mark(m: Machine) -> None:
    m.push_mark()


def _marked_tuple(m: Machine) -> tuple[object, ...]:
    items = m.pop_mark()
    m.kept += len(items)
    return tuple(items)


def _marked_list(m: Machine) -> list[object]:
    items = m.pop_mark()
    m.kept += len(items)
    return items


def _op_proto(m: Machine) -> None:
    proto = m.source.read(1)[0]
    if proto > HIGHEST_PROTOCOL:
        raise Unscannable(f"unsupported pickle protocol {proto}", m.offset)
    m.proto = proto


def _op_persid(m: Machine) -> None:
    m.line()
    m.push(_Opaque("persistent id"))  # resolved by the loader's persistent_load (torch storages)


def _op_binpersid(m: Machine) -> None:
    m.pop()
    m.push(_Opaque("persistent id"))


def _op_readonly_buffer(m: Machine) -> None:
    m.top()


def _text_index(m: Machine) -> int:
    text = m.line()
    try:
        return int(text)
    except ValueError:
        raise Unscannable(f"invalid memo index {text[:40]!r}", m.offset) from None


def _push(value: object) -> Callable[[Machine], None]:
    def handler(m: Machine) -> None:
        m.push(value)

    return handler


def _push_struct(fmt: struct.Struct) -> Callable[[Machine], None]:
    def handler(m: Machine) -> None:
        m.push(m.read_struct(fmt))

    return handler


def _tuple_of(count: int) -> Callable[[Machine], None]:
    def handler(m: Machine) -> None:
        items = [m.pop() for _ in range(count)]
        m.kept += count
        m.push(tuple(reversed(items)))

    return handler


_U1, _U2, _I4, _U4, _U8 = (struct.Struct(f) for f in ("<B", "<H", "<i", "<I", "<Q"))
_F8 = struct.Struct(">d")

HANDLERS: dict[int, Callable[[Machine], object]] = {
    ord("("): _op_mark,
    ord("."): lambda m: True,
    ord("0"): _op_pop,
    ord("1"): lambda m: m.pop_mark(),
    ord("2"): lambda m: m.push_again(m.top()),
    ord("F"): _op_float,
    ord("I"): _op_int,
    ord("J"): _push_struct(_I4),
    ord("K"): _push_struct(_U1),
    ord("L"): _op_long,
    ord("M"): _push_struct(_U2),
    ord("N"): _push(None),
    ord("P"): _op_persid,
    ord("Q"): _op_binpersid,
    ord("R"): _op_reduce,
    ord("S"): _op_string,
    ord("T"): _counted(_I4, _latin1, "BINSTRING"),
    ord("U"): _counted(None, _latin1, "SHORT_BINSTRING"),
    ord("V"): _op_unicode,
    ord("X"): _counted(_U4, _utf8, "BINUNICODE"),
    ord("a"): _op_append,
    ord("b"): _op_build,
    ord("c"): _op_global,
    ord("d"): lambda m: m.push(_Dict(list(zip(*[iter(_marked_list(m))] * 2)))),
    ord("}"): lambda m: m.push(_Dict([])),
    ord("e"): _op_appends,
    ord("g"): lambda m: m.memo_get(_text_index(m)),
    ord("h"): lambda m: m.memo_get(m.read_struct(_U1)),
    ord("i"): _op_inst,
    ord("j"): lambda m: m.memo_get(m.read_struct(_U4)),
    ord("l"): lambda m: m.push(_marked_list(m)),
    ord("]"): lambda m: m.push([]),
    ord("o"): _op_obj,
    ord("p"): lambda m: m.memo_put(_text_index(m)),
    ord("q"): lambda m: m.memo_put(m.read_struct(_U1)),
    ord("r"): lambda m: m.memo_put(m.read_struct(_U4)),
    ord("s"): _op_setitem,
    ord("t"): lambda m: m.push(_marked_tuple(m)),
    ord(")"): _push(()),
    ord("u"): _op_setitems,
    ord("G"): _push_struct(_F8),
    0x80: _op_proto,
    0x81: _op_newobj,
    0x82: _op_ext(None),
    0x83: _op_ext(_U2),
    0x84: _op_ext(_I4),
    0x85: _tuple_of(1),
    0x86: _tuple_of(2),
    0x87: _tuple_of(3),
    0x88: _push(True),
    0x89: _push(False),
    0x8A: _op_long_n(_U1),
    0x8B: _op_long_n(_I4),
    ord("B"): _counted(_U4, None, "BINBYTES"),
    ord("C"): _counted(None, None, "SHORT_BINBYTES"),
    0x8C: _counted(None, _utf8, "SHORT_BINUNICODE"),
    0x8D: _counted(_U8, _utf8, "BINUNICODE8"),
    0x8E: _counted(_U8, None, "BINBYTES8"),
    0x8F: lambda m: m.push(_Set([])),
    0x90: _op_additems,
    0x91: lambda m: m.push(_Set(_marked_list(m))),
    0x92: _op_newobj_ex,
    0x93: _op_stack_global,
    0x94: lambda m: m.memo_put(len(m.memo)),
    0x95: lambda m: m.read_struct(_U8) and None,  # FRAME: frames hold whole opcodes, reading linearly is equivalent
    0x96: _counted(_U8, None, "BYTEARRAY8"),
    0x97: _push(_Opaque("out-of-band buffer")),
    0x98: _op_readonly_buffer,
}


# ---------------------------------------------------------------------------
# streams of stacked pickles


def scan_pickles(source: Source, facts: Facts, member: str | None, *, joblib: bool, count: int | None = None,
                 until_end: bool = False) -> None:
    """Scan consecutive pickles (stacked files, legacy torch) until EOF, ``count`` pickles, or an error.
    Fewer than ``count`` is a truncated stream, unless ``until_end``: then the end of the stream stops
    the reader after any pickle (a nested payload, whose loader fails there having run the rest)."""
    scanned = 0
    while count is None or scanned < count:
        first = source.peek_byte()
        if first is None:
            if scanned == 0 or (count is not None and not until_end):
                facts.problem("truncated stream: expected a pickle", source.pos, member)
            return
        if scanned and first not in HANDLERS:
            facts.problem(f"trailing data after the last pickle ({_remaining(source)})", source.pos, member)
            return
        try:
            Machine(source, facts, member, joblib=joblib).run()
        except Unscannable as error:
            facts.problem(error.reason, error.offset, member)
            return
        scanned += 1


def _remaining(source: Source) -> str:
    return f"{source.size - source.pos} bytes" if source.size is not None else "more bytes"


def probe_is_pickle(head: bytes) -> bool:
    """Does ``head`` start a pickle? Protocol 2+ streams say so in their PROTO header. Protocol 0/1 streams
    have no magic: they count when a load would import something (or finish) before any error, since a
    stream that fails before its first import cannot call anything, so missing it is harmless."""
    if not head or head[0] not in HANDLERS:
        return False
    if head[0] == 0x80:
        # a PROTO header is an unambiguous pickle magic: whatever follows, it is scanned (or reported)
        return len(head) > 1 and head[1] <= HIGHEST_PROTOCOL
    source = Source(io.BytesIO(head), len(head))
    machine = Machine(source, Facts(Limits()), None, joblib=False, probe=True)
    try:
        machine.run()
    except ProbeHit:
        return True
    except Unscannable as error:
        return len(head) >= PROBE_BYTES and error.reason.startswith("truncated")  # a long pickle cut by the probe
    except (ValueError, OverflowError, MemoryError):
        return False
    return True
