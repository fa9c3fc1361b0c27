"""Static facts about serialized model files: what loading them would import and call.

Nothing here unpickles, imports a name a file mentions, or runs code from it. An own
opcode reader (not ``pickletools.genops``, which materialises payloads) drives an
exact stack + memo machine with CPython's ``Unpickler`` semantics, so every
``STACK_GLOBAL`` operand is known or reported as computed.

Public API::

    sniff(path) -> str | None
        "pickle", "joblib", "torch-legacy", "zip" (PyTorch and other zips holding
        pickles), "npz", "skops", "npy", or a compressed joblib kind "zlib", "gzip",
        "bz2", "xz", "lzma", "lz4", "zfile"; None if the content is not a serialized
        model (decided by content, never by extension).
    scan_file(path, limits=Limits()) -> ScanResult   (never raises on bad input)

``ScanResult`` fields:

* ``globals``: every ``find_class`` a load performs (GLOBAL, INST, STACK_GLOBAL, and
  skops types with opcode ``"skops"``), after ``_compat_pickle`` mapping below
  protocol 3. ``name`` may be dotted (``os.system`` reached from ``pathlib``): it is
  resolved by attribute walk, so judge every segment. Any global can end up called
  (``getattr``, ``__reduce__`` chains), so rules should judge globals, not only calls.
* ``calls``: every call a load makes, with the global it originates from: REDUCE,
  NEWOBJ, NEWOBJ_EX, OBJ, INST; BUILD (``__setstate__`` of the instance's class);
  APPEND(S)/SETITEM(S)/ADDITEMS on instances (their methods run). A BUILD on an
  imported object itself mutates module state and is reported as ``builtins.setattr``.
  Calls on values produced by other calls are attributed to the innermost global
  (``getattr(x, 'y')(...)`` -> ``builtins.getattr``).
* ``subimports``: module arguments of cloudpickle ``subimport`` (load-time imports
  of by-value functions' globals); ``dynamic_subimport`` builds a module and is not listed.
* ``embedded_code``: one ``EmbeddedCode`` per ``CodeType(...)`` call (cloudpickle
  by-value functions): the modules its bytecode imports, ``co_names``, and the
  Python minor(s) it was compiled for (``python_minor`` when exactly one fits).
* ``skops_types``: every ``module.Class`` a skops file names; ``skops_untrusted``:
  those skops would refuse without ``trusted=``. The trust test mirrors skops
  0.16's per-node defaults by rule (sklearn estimators, numpy, builtins); skops
  computes its lists from the installed libraries, so this is an approximation.
* ``problems``: why (part of) the file could not be proven: unknown opcode,
  truncated stream, stack underflow, memo miss, computed import or call, EXT code,
  size limit, unreadable container, trailing data, a joblib array whose raw bytes
  pickle would read as opcodes. Fail closed: a file with problems is not clean.

``offset`` is the byte offset of the opcode in the (decompressed) stream it was
read from; ``member`` names the container member, nested members joined by ``/``
(``outer.zip/archive/data.pkl``), None for the file itself.
"""

from __future__ import annotations

import _compat_pickle
import ast
import bz2
import codecs
import gzip
import io
import json
import lzma
import os
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable

from modellint.analyzer import bytecode


@dataclass(frozen=True)
class GlobalRef:
    module: str
    name: str
    offset: int
    member: str | None
    opcode: str


@dataclass(frozen=True)
class CallSite:
    callable: GlobalRef
    opcode: str
    offset: int
    member: str | None


@dataclass(frozen=True)
class EmbeddedCode:
    qualname: str | None
    imports: tuple[str, ...]
    names: tuple[str, ...]
    python_minor: tuple[int, int] | None
    offset: int
    member: str | None
    python_minors: tuple[tuple[int, int], ...] = ()
    dynamic_imports: tuple[str, ...] = ()  # literal names given to import_module/__import__
    opaque_dynamic_import: bool = False  # such a call with a name computed at run time


@dataclass(frozen=True)
class Problem:
    reason: str
    offset: int | None
    member: str | None


@dataclass(frozen=True)
class ScanResult:
    path: Path
    kind: str | None
    globals: tuple[GlobalRef, ...]
    calls: tuple[CallSite, ...]
    subimports: tuple[str, ...]
    embedded_code: tuple[EmbeddedCode, ...]
    skops_types: tuple[str, ...]
    problems: tuple[Problem, ...]
    skops_untrusted: tuple[str, ...] = ()

    def imported_modules(self) -> set[str]:
        """Every module a load would import: globals, subimports, skops types, embedded-code imports."""
        modules = {ref.module for ref in self.globals}
        modules.update(self.subimports)
        modules.update(type_name.rpartition(".")[0] for type_name in self.skops_types)
        for code in self.embedded_code:
            modules.update(code.imports)
        modules.discard("")
        return modules


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile file from exhausting time or memory."""

    max_decompressed_bytes: int = 4 * 2**30
    max_zip_depth: int = 3
    max_retained_bytes: int = 128 * 2**20  # string/bytes values kept for analysis; later ones become opaque
    max_kept_value_bytes: int = 64 * 2**10  # longer strings/bytes are skipped with seek, never read
    max_line_bytes: int = 2**20


# ---------------------------------------------------------------------------
# byte sources


class _Unscannable(Exception):
    """Stops reading one stream; the message becomes a Problem."""

    def __init__(self, reason: str, offset: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


class _Source:
    """A buffered binary stream with a position counter; seeks over payloads when it can."""

    def __init__(self, stream: BinaryIO, size: int | None, limit: int | None = None) -> None:
        self.stream = stream
        self.size = size  # None: a decompressing stream, skipped by reading
        self.limit = limit
        self.pos = 0

    def read(self, count: int) -> bytes:
        data = self.stream.read(count)
        if len(data) < count:
            raise _Unscannable("truncated stream: ends inside an opcode", self.pos + len(data))
        self._advance(count)
        return data

    def read_byte(self) -> int | None:
        data = self.stream.read(1)
        if not data:
            return None
        self._advance(1)
        return data[0]

    def peek_byte(self) -> int | None:
        data = self.stream.peek(1)[:1]
        return data[0] if data else None

    def readline(self, max_bytes: int) -> bytes:
        line = self.stream.readline(max_bytes + 1)
        if not line.endswith(b"\n"):
            if len(line) > max_bytes:
                raise _Unscannable(f"text argument longer than {max_bytes} bytes", self.pos)
            raise _Unscannable("truncated stream: text argument has no newline", self.pos + len(line))
        self._advance(len(line))
        return line[:-1]

    def skip(self, count: int) -> None:
        if self.size is not None:
            if self.pos + count > self.size:
                raise _Unscannable("truncated stream: payload runs past the end", self.size)
            self.stream.seek(count, io.SEEK_CUR)
            self._advance(count)
            return
        remaining = count
        while remaining:
            chunk = self.stream.read(min(remaining, 2**20))
            if not chunk:
                raise _Unscannable("truncated stream: payload runs past the end", self.pos)
            remaining -= len(chunk)
            self._advance(len(chunk))

    def _advance(self, count: int) -> None:
        self.pos += count
        if self.limit is not None and self.pos > self.limit:
            raise _Unscannable(f"decompressed size limit ({self.limit} bytes) exceeded", self.pos)


class _Window(io.RawIOBase):
    """A read-only, seekable view of ``[start, start + length)`` of an open file (a stored zip member)."""

    def __init__(self, handle: BinaryIO, start: int, length: int) -> None:
        self._handle, self._start, self._length, self._pos = handle, start, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        count = max(0, min(len(buffer), self._length - self._pos))
        self._handle.seek(self._start + self._pos)
        data = self._handle.read(count)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


class _Inflate(io.RawIOBase):
    """Streaming zlib/deflate decompression (joblib's zlib files, deflated zip members)."""

    def __init__(self, raw: BinaryIO, wbits: int) -> None:
        self._raw = raw
        self._decompressor = zlib.decompressobj(wbits)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._decompressor.eof:
            data = self._decompressor.unconsumed_tail or self._raw.read(2**16)
            if not data:
                raise EOFError("compressed stream ended before its end marker")
            out = self._decompressor.decompress(data, len(buffer))
            if out:
                buffer[: len(out)] = out
                return len(out)
        return 0


# ---------------------------------------------------------------------------
# values the machine tracks


class _Opaque:
    """A value whose content is not tracked: skipped payloads, arrays, persistent ids, out-of-band buffers."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what


class _Imported:
    """The object ``find_class`` returned."""

    __slots__ = ("ref",)

    def __init__(self, ref: GlobalRef) -> None:
        self.ref = ref


class _Called:
    """The result of a call; ``origin`` is the global the callable came from, ``instance_of`` its class."""

    __slots__ = ("origin", "instance_of", "args", "state")

    def __init__(self, origin: GlobalRef | None, instance_of: GlobalRef | None, args: object) -> None:
        self.origin = origin
        self.instance_of = instance_of
        self.args = args
        self.state: object = None


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


# ---------------------------------------------------------------------------
# collected facts


@dataclass
class _Facts:
    limits: Limits
    globals: list[GlobalRef] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    subimports: list[str] = field(default_factory=list)
    embedded: list[EmbeddedCode] = field(default_factory=list)
    skops_types: list[str] = field(default_factory=list)
    skops_untrusted: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    retained_bytes: int = 0
    joblib_arrays: int = 0

    def problem(self, reason: str, offset: int | None, member: str | None) -> None:
        self.problems.append(Problem(reason, offset, member))


class _ProbeHit(Exception):
    """Raised in probe mode: the stream imports something before any load error, so it is a pickle."""


# ---------------------------------------------------------------------------
# the opcode machine

_COPYREG_CONSTRUCTORS = {("copyreg", "_reconstructor"), ("copyreg", "__newobj__"), ("copyreg", "__newobj_ex__")}
_CODE_TYPES = {("types", "CodeType"), ("builtins", "code")}
_JOBLIB_WRAPPER_MODULES = {"joblib.numpy_pickle", "sklearn.externals.joblib.numpy_pickle"}
_IDENTIFIER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_HIGHEST_PROTOCOL = 5


def _is_cloudpickle(ref: GlobalRef | None, name: str) -> bool:
    return ref is not None and ref.module.split(".")[0] == "cloudpickle" and ref.name == name


class _Machine:
    """One ``Unpickler.load()``: stack, metastack (MARK), memo and protocol, per CPython's pickle.py."""

    def __init__(self, source: _Source, facts: _Facts, member: str | None, *, joblib: bool, probe: bool = False) -> None:
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

    # -- driving

    def run(self) -> None:
        """Read opcodes up to and including STOP; raise ``_Unscannable`` where a real load would fail."""
        source, handlers = self.source, _HANDLERS
        while True:
            self.offset = source.pos
            code = source.read_byte()
            if code is None:
                raise _Unscannable("truncated stream: no STOP opcode", self.offset)
            handler = handlers.get(code)
            if handler is None:
                raise _Unscannable(f"unknown opcode 0x{code:02x}", self.offset)
            if handler(self):
                return

    def fork(self) -> _Machine:
        """A copy that goes on reading as plain ``pickle.load`` would where joblib's reader would not."""
        twin = _Machine(self.source, self.facts, self.member, joblib=False, probe=self.probe)
        twin.stack = list(self.stack)
        twin.metastack = [list(frame) for frame in self.metastack]
        twin.memo = dict(self.memo)
        twin.proto = self.proto
        return twin

    # -- stack helpers

    def push(self, value: object) -> None:
        self.stack.append(value)

    def pop(self) -> object:
        if not self.stack:
            raise _Unscannable("stack underflow", self.offset)
        return self.stack.pop()

    def top(self) -> object:
        if not self.stack:
            raise _Unscannable("stack underflow", self.offset)
        return self.stack[-1]

    def pop_mark(self) -> list[object]:
        if not self.metastack:
            raise _Unscannable("stack underflow: no MARK", self.offset)
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def problem(self, reason: str) -> None:
        self.facts.problem(reason, self.offset, self.member)

    # -- argument readers

    def read_struct(self, fmt: struct.Struct) -> int:
        return fmt.unpack(self.source.read(fmt.size))[0]

    def line(self) -> bytes:
        return self.source.readline(self.facts.limits.max_line_bytes)

    def payload(self, length: int, decode: Callable[[bytes], object] | None, what: str) -> object:
        """Read a string/bytes payload if small and within budget, else seek over it and push an opaque value."""
        limits = self.facts.limits
        if length <= limits.max_kept_value_bytes and self.facts.retained_bytes + length <= limits.max_retained_bytes:
            data = self.source.read(length)
            self.facts.retained_bytes += length
            if decode is None:
                return data
            try:
                return decode(data)
            except UnicodeDecodeError as error:
                raise _Unscannable(f"{what}: undecodable text ({error.reason})", self.offset) from None
        self.source.skip(length)
        return _Opaque(what)

    def memo_get(self, index: int) -> None:
        if index not in self.memo:
            raise _Unscannable(f"memo miss: index {index} was never stored", self.offset)
        self.push(self.memo[index])

    def memo_put(self, index: int) -> None:
        if index < 0:
            raise _Unscannable("negative memo index", self.offset)
        self.memo[index] = self.top()

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
                raise _ProbeHit
            raise _Unscannable("not an importable name", self.offset)  # the load would stop with ImportError
        ref = GlobalRef(module, name, self.offset, self.member, opcode)
        self.facts.globals.append(ref)
        return _Imported(ref)

    # -- calls

    def call(self, func: object, args: object, opcode: str) -> _Called:
        origin = _origin(func)
        if origin is None:
            self.problem(f"{opcode} calls a value that is not traceable to an imported global")
            return _Called(None, None, args)
        self.facts.calls.append(CallSite(origin, opcode, self.offset, self.member))
        instance_of = origin
        if opcode == "REDUCE" and (origin.module, origin.name) in _COPYREG_CONSTRUCTORS:
            instance_of = _origin(args[0]) if isinstance(args, tuple) and args else None
        if opcode == "REDUCE":
            self.inspect_reduce(func, origin, args)
        return _Called(origin, instance_of or origin, args)

    def inspect_reduce(self, func: object, origin: GlobalRef, args: object) -> None:
        """cloudpickle's load-time imports and by-value code objects."""
        if _is_cloudpickle(origin, "subimport"):
            if isinstance(args, tuple) and args and isinstance(args[0], str):
                self.facts.subimports.append(args[0])
            else:
                self.problem("computed import: cloudpickle subimport of a module name built at load time")
        elif _is_code_type(func) and isinstance(args, tuple):
            self.record_code(args)

    def record_code(self, args: tuple[object, ...]) -> None:
        facts = bytecode.analyse_code_args(args)
        minor = facts.python_minors[0] if len(facts.python_minors) == 1 else None
        self.facts.embedded.append(
            EmbeddedCode(facts.qualname, facts.imports, facts.names, minor, self.offset, self.member,
                         facts.python_minors, facts.dynamic_imports, facts.opaque_dynamic_import)
        )
        if facts.problem:
            self.problem(facts.problem)

    def method_call(self, target: object, opcode: str) -> None:
        """APPEND(S)/SETITEM(S)/ADDITEMS on an instance run that instance's class methods."""
        if isinstance(target, _Called) and target.instance_of is not None:
            self.facts.calls.append(CallSite(target.instance_of, opcode, self.offset, self.member))

    def build(self, instance: object, state: object) -> None:
        if isinstance(instance, _Imported):
            setattr_ref = GlobalRef("builtins", "setattr", self.offset, self.member, "BUILD")
            self.facts.calls.append(CallSite(setattr_ref, "BUILD", self.offset, self.member))
            return
        if not isinstance(instance, _Called):
            return
        instance.state = state
        if instance.instance_of is None:
            return
        self.facts.calls.append(CallSite(instance.instance_of, "BUILD", self.offset, self.member))
        kind = instance.instance_of
        if self.joblib and kind.module in _JOBLIB_WRAPPER_MODULES and kind.name == "NumpyArrayWrapper":
            self.stack[-1] = self.read_joblib_array(state)

    # -- joblib

    def read_joblib_array(self, state: object) -> _Opaque:
        """Pass over the bytes joblib's ``NumpyArrayWrapper.read`` consumes right after the BUILD."""
        layout = _joblib_array_layout(state)
        if layout is None:
            raise _Unscannable("joblib array whose shape or dtype is not a constant: its size is unknown", self.offset)
        nbytes, has_object, aligned = layout
        self.facts.joblib_arrays += 1
        start = self.source.pos
        self.check_pickle_reading(start)
        if has_object:
            nested = _Machine(self.source, self.facts, self.member, joblib=False)
            nested.run()
            return _Opaque("object array")
        if aligned:
            padding = self.source.read_byte()
            if padding is None:
                raise _Unscannable("truncated stream: joblib array padding missing", self.source.pos)
            self.source.skip(padding)
        self.source.skip(nbytes)
        return _Opaque("array")

    def check_pickle_reading(self, start: int) -> None:
        """A file with joblib arrays may still be loaded with ``pickle.load``, which reads the array bytes as
        opcodes. Real joblib files start them with a padding byte below 16 (never an opcode) or a nested
        pickle; anything else gets the plain-pickle reading scanned as well, or reported."""
        first = self.source.peek_byte()
        if first is None or first not in _HANDLERS or first == 0x80:
            # 0x80 starts an object array's nested pickle: pickle.load would run the same opcodes (with the
            # outer memo; that memo differential is not modelled)
            return
        if self.source.size is None:
            self.problem("joblib array bytes are also valid pickle opcodes: pickle.load would read them as code")
            return
        twin = self.fork()
        try:
            twin.run()
        except _Unscannable:
            pass  # pickle.load would stop with an error at the same place
        finally:
            self.source.stream.seek(start - self.source.pos, io.SEEK_CUR)
            self.source.pos = start


def _identifier(text: str) -> bool:
    return bool(text) and set(text) <= _IDENTIFIER_CHARS and not text[0].isdigit()


def _origin(value: object) -> GlobalRef | None:
    if isinstance(value, _Imported):
        return value.ref
    if isinstance(value, _Called):
        return value.origin
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


def _parse_int(machine: _Machine, text: bytes, opcode: str) -> int:
    """CPython parses INT/LONG with base 0 (``I0x1``); pickletools with base 10. Accept both, flag the former."""
    try:
        value = int(text, 10)
    except ValueError:
        try:
            value = int(text, 0)
        except ValueError:
            raise _Unscannable(f"invalid {opcode} literal {text[:40]!r}", machine.offset) from None
        machine.problem(f"non-decimal {opcode} literal {text[:40]!r}: scanners built on pickletools misread it")
    return value


def _op_int(m: _Machine) -> None:
    text = m.line()
    if text == b"00":
        m.push(False)
    elif text == b"01":
        m.push(True)
    else:
        m.push(_parse_int(m, text, "INT"))


def _op_long(m: _Machine) -> None:
    text = m.line()
    m.push(_parse_int(m, text[:-1] if text.endswith(b"L") else text, "LONG"))


def _op_float(m: _Machine) -> None:
    text = m.line()
    try:
        m.push(float(text))
    except ValueError:
        raise _Unscannable(f"invalid FLOAT literal {text[:40]!r}", m.offset) from None


def _op_long_n(fmt: struct.Struct) -> Callable[[_Machine], None]:
    def handler(m: _Machine) -> None:
        length = m.read_struct(fmt)
        if length < 0:
            raise _Unscannable("negative LONG length", m.offset)
        data = m.payload(length, None, "long integer")
        m.push(int.from_bytes(data, "little", signed=True) if isinstance(data, bytes) else data)

    return handler


def _op_string(m: _Machine) -> None:
    text = m.line()
    if len(text) < 2 or text[0] != text[-1] or text[:1] not in (b"'", b'"'):
        raise _Unscannable("STRING argument is not quoted", m.offset)
    # Unpickler(encoding=...) decides; latin-1 maps every byte, so names stay visible whatever the loader uses.
    m.push(codecs.escape_decode(text[1:-1])[0].decode("latin-1"))


def _counted(fmt: struct.Struct | None, decode: Callable[[bytes], object] | None, what: str) -> Callable[[_Machine], None]:
    def handler(m: _Machine) -> None:
        length = m.read_struct(fmt) if fmt is not None else m.source.read(1)[0]
        if length < 0:
            raise _Unscannable(f"negative {what} length", m.offset)
        m.push(m.payload(length, decode, what))

    return handler


def _utf8(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


def _latin1(data: bytes) -> str:
    return data.decode("latin-1")


def _op_unicode(m: _Machine) -> None:
    try:
        m.push(m.line().decode("raw-unicode-escape"))
    except UnicodeDecodeError:
        raise _Unscannable("UNICODE argument is not raw-unicode-escape text", m.offset) from None


def _op_global(m: _Machine) -> None:
    module, name = _utf8_line(m), _utf8_line(m)
    m.push(m.find_class(module, name, "GLOBAL"))


def _op_inst(m: _Machine) -> None:
    module, name = _utf8_line(m), _utf8_line(m)
    cls = m.find_class(module, name, "INST")
    m.push(m.call(cls, tuple(m.pop_mark()), "INST"))


def _utf8_line(m: _Machine) -> str:
    try:
        return m.line().decode("utf-8")
    except UnicodeDecodeError:
        raise _Unscannable("GLOBAL/INST name is not UTF-8", m.offset) from None


def _op_stack_global(m: _Machine) -> None:
    name = m.pop()
    module = m.pop()
    m.push(m.find_class(module, name, "STACK_GLOBAL"))


def _op_ext(fmt: struct.Struct | None) -> Callable[[_Machine], None]:
    def handler(m: _Machine) -> None:
        code = m.read_struct(fmt) if fmt is not None else m.source.read(1)[0]
        if m.probe:
            raise _ProbeHit
        m.problem(f"extension code {code}: resolved through copyreg's process-wide registry, unknowable statically")
        m.push(_Opaque("extension"))

    return handler


def _op_reduce(m: _Machine) -> None:
    args = m.pop()
    func = m.top()
    m.stack[-1] = m.call(func, args, "REDUCE")


def _op_newobj(m: _Machine) -> None:
    args = m.pop()
    cls = m.pop()
    m.push(m.call(cls, args, "NEWOBJ"))


def _op_newobj_ex(m: _Machine) -> None:
    m.pop()  # keyword arguments
    args = m.pop()
    cls = m.pop()
    m.push(m.call(cls, args, "NEWOBJ_EX"))


def _op_obj(m: _Machine) -> None:
    items = m.pop_mark()
    if not items:
        raise _Unscannable("stack underflow: OBJ without a class", m.offset)
    m.push(m.call(items[0], tuple(items[1:]), "OBJ"))


def _op_build(m: _Machine) -> None:
    state = m.pop()
    m.build(m.top(), state)


def _op_append(m: _Machine) -> None:
    value = m.pop()
    target = m.top()
    if isinstance(target, list):
        target.append(value)
    m.method_call(target, "APPEND")


def _op_appends(m: _Machine) -> None:
    items = m.pop_mark()
    target = m.top()
    if isinstance(target, list):
        target.extend(items)
    m.method_call(target, "APPENDS")


def _op_setitem(m: _Machine) -> None:
    value = m.pop()
    key = m.pop()
    target = m.top()
    if isinstance(target, _Dict):
        target.pairs.append((key, value))
    m.method_call(target, "SETITEM")


def _op_setitems(m: _Machine) -> None:
    items = m.pop_mark()
    target = m.top()
    if isinstance(target, _Dict):
        target.pairs.extend(zip(items[0::2], items[1::2]))
    m.method_call(target, "SETITEMS")


def _op_additems(m: _Machine) -> None:
    items = m.pop_mark()
    target = m.top()
    if isinstance(target, _Set):
        target.items.extend(items)
    m.method_call(target, "ADDITEMS")


def _op_pop(m: _Machine) -> None:
    if m.stack:
        m.stack.pop()
    else:
        m.pop_mark()


def _op_mark(m: _Machine) -> None:
    m.metastack.append(m.stack)
    m.stack = []


def _op_proto(m: _Machine) -> None:
    proto = m.source.read(1)[0]
    if proto > _HIGHEST_PROTOCOL:
        raise _Unscannable(f"unsupported pickle protocol {proto}", m.offset)
    m.proto = proto


def _op_persid(m: _Machine) -> None:
    m.line()
    m.push(_Opaque("persistent id"))  # resolved by the loader's persistent_load (torch storages)


def _op_binpersid(m: _Machine) -> None:
    m.pop()
    m.push(_Opaque("persistent id"))


def _op_readonly_buffer(m: _Machine) -> None:
    m.top()


def _text_index(m: _Machine) -> int:
    text = m.line()
    try:
        return int(text)
    except ValueError:
        raise _Unscannable(f"invalid memo index {text[:40]!r}", m.offset) from None


def _push(value: object) -> Callable[[_Machine], None]:
    def handler(m: _Machine) -> None:
        m.push(value)

    return handler


def _push_struct(fmt: struct.Struct) -> Callable[[_Machine], None]:
    def handler(m: _Machine) -> None:
        m.push(m.read_struct(fmt))

    return handler


def _tuple_of(count: int) -> Callable[[_Machine], None]:
    def handler(m: _Machine) -> None:
        items = [m.pop() for _ in range(count)]
        m.push(tuple(reversed(items)))

    return handler


_U1, _U2, _I4, _U4, _U8 = (struct.Struct(f) for f in ("<B", "<H", "<i", "<I", "<Q"))
_F8 = struct.Struct(">d")

_HANDLERS: dict[int, Callable[[_Machine], object]] = {
    ord("("): _op_mark,
    ord("."): lambda m: True,
    ord("0"): _op_pop,
    ord("1"): lambda m: m.pop_mark(),
    ord("2"): lambda m: m.push(m.top()),
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
    ord("d"): lambda m: m.push(_Dict(list(zip(*[iter(m.pop_mark())] * 2)))),
    ord("}"): lambda m: m.push(_Dict([])),
    ord("e"): _op_appends,
    ord("g"): lambda m: m.memo_get(_text_index(m)),
    ord("h"): lambda m: m.memo_get(m.read_struct(_U1)),
    ord("i"): _op_inst,
    ord("j"): lambda m: m.memo_get(m.read_struct(_U4)),
    ord("l"): lambda m: m.push(list(m.pop_mark())),
    ord("]"): lambda m: m.push([]),
    ord("o"): _op_obj,
    ord("p"): lambda m: m.memo_put(_text_index(m)),
    ord("q"): lambda m: m.memo_put(m.read_struct(_U1)),
    ord("r"): lambda m: m.memo_put(m.read_struct(_U4)),
    ord("s"): _op_setitem,
    ord("t"): lambda m: m.push(tuple(m.pop_mark())),
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
    0x91: lambda m: m.push(_Set(list(m.pop_mark()))),
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


def _scan_pickles(source: _Source, facts: _Facts, member: str | None, *, joblib: bool, count: int | None = None) -> None:
    """Scan consecutive pickles (stacked files, legacy torch) until EOF, ``count`` pickles, or an error."""
    scanned = 0
    while count is None or scanned < count:
        first = source.peek_byte()
        if first is None:
            if scanned == 0 or count is not None:
                facts.problem("truncated stream: expected a pickle", source.pos, member)
            return
        if scanned and first not in _HANDLERS:
            facts.problem(f"trailing data after the last pickle ({_remaining(source)})", source.pos, member)
            return
        try:
            _Machine(source, facts, member, joblib=joblib).run()
        except _Unscannable as error:
            facts.problem(error.reason, error.offset, member)
            return
        scanned += 1


def _remaining(source: _Source) -> str:
    return f"{source.size - source.pos} bytes" if source.size is not None else "more bytes"


def _probe_is_pickle(head: bytes) -> bool:
    """Does ``head`` start a pickle? Protocol 2+ streams say so in their PROTO header. Protocol 0/1 streams
    have no magic: they count when a load would import something (or finish) before any error, since a
    stream that fails before its first import cannot call anything, so missing it is harmless."""
    if not head or head[0] not in _HANDLERS:
        return False
    if head[0] == 0x80:
        # a PROTO header is an unambiguous pickle magic: whatever follows, it is scanned (or reported)
        return len(head) > 1 and head[1] <= _HIGHEST_PROTOCOL
    source = _Source(io.BufferedReader(io.BytesIO(head)), len(head))  # type: ignore[arg-type]
    machine = _Machine(source, _Facts(Limits()), None, joblib=False, probe=True)
    try:
        machine.run()
    except _ProbeHit:
        return True
    except _Unscannable as error:
        return len(head) >= _PROBE_BYTES and error.reason.startswith("truncated")  # a long pickle cut by the probe
    except (ValueError, OverflowError, MemoryError):
        return False
    return True


# ---------------------------------------------------------------------------
# sniffing

_PROBE_BYTES = 64 * 1024
_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_ZFILE_HEADER = 2 + 19  # joblib < 0.10: b"ZF" + hex length padded to 19 bytes, then zlib data
_LZ4_MAGIC = b"\x04\x22\x4d\x18"


def _compression(head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00\x00"):
        return "lzma"
    if head.startswith(_LZ4_MAGIC):
        return "lz4"
    if head.startswith(b"ZF") and len(head) > _ZFILE_HEADER and head[_ZFILE_HEADER] == 0x78:
        return "zfile"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    return None


def _decompressing(kind: str, raw: BinaryIO) -> BinaryIO:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.BZ2File(raw, "rb")  # type: ignore[return-value]
    if kind in ("xz", "lzma"):
        return lzma.LZMAFile(raw, "rb", format=lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE)  # type: ignore[return-value]
    if kind == "zfile":
        raw.read(_ZFILE_HEADER)
    return io.BufferedReader(_Inflate(raw, zlib.MAX_WBITS))  # type: ignore[return-value]


def _decompressed_head(kind: str, raw: BinaryIO) -> bytes:
    try:
        return _decompressing(kind, raw).read(_PROBE_BYTES)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError):
        return b""


def _sniff_stream(head: bytes, reopen: Callable[[], BinaryIO]) -> str | None:
    """The kind of one stream, from its first bytes (``reopen`` gives a fresh stream for zip/compressed checks)."""
    if head.startswith(_ZIP_MAGICS):
        with reopen() as handle:
            return _sniff_zip(handle)
    if head.startswith(_NPY_MAGIC):
        return "npy"
    compression = _compression(head)
    if compression == "lz4":
        return "lz4"
    if compression is not None:
        with reopen() as handle:
            return compression if _probe_is_pickle(_decompressed_head(compression, handle)) else None
    if head.startswith(_TORCH_LEGACY_MAGIC):
        return "torch-legacy"
    if _probe_is_pickle(head):
        return "joblib" if b"NumpyArrayWrapper" in head else "pickle"
    return None


def sniff(path: Path) -> str | None:
    """The serialized-model kind of ``path`` by content, or None (also for unreadable files)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_PROBE_BYTES)
        return _sniff_stream(head, lambda: path.open("rb"))
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return None


# ---------------------------------------------------------------------------
# zip archives (PyTorch, npz, skops, zip-in-zip)

_SKOPS_SCHEMA = "schema.json"


def _sniff_zip(handle: BinaryIO) -> str | None:
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError):
        return "zip"  # a zip magic that zipfile cannot open: scan_file reports it, fail closed
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    if _SKOPS_SCHEMA in names:
        return "skops"
    if names and all(name.endswith(".npy") for name in names):
        return "npz"
    for info in archive.infolist():
        try:
            with _member_stream(handle, info) as stream:
                head = stream.read(_PROBE_BYTES)
        except (OSError, EOFError, zlib.error, _Unscannable):
            return "zip"
        if head.startswith(_ZIP_MAGICS) or _probe_is_pickle(head) or _compression(head) or head.startswith(_NPY_MAGIC):
            return "zip"
    return None


def _member_stream(handle: BinaryIO, info: zipfile.ZipInfo) -> BinaryIO:
    """The member's bytes as torch reads them: data located from the local header's name/extra lengths,
    CRC, flag bits and local-vs-central name mismatches ignored."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or not header.startswith(b"PK\x03\x04"):
        raise _Unscannable("zip member has no local header", info.header_offset)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_length + extra_length
    window = _Window(handle, start, info.compress_size)
    if info.compress_type == zipfile.ZIP_STORED:
        return io.BufferedReader(window)  # type: ignore[return-value]
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return io.BufferedReader(_Inflate(io.BufferedReader(window), -zlib.MAX_WBITS))  # type: ignore[arg-type,return-value]
    if info.compress_type == zipfile.ZIP_BZIP2:
        return bz2.BZ2File(io.BufferedReader(window), "rb")  # type: ignore[return-value]
    raise _Unscannable(f"zip member compressed with unsupported method {info.compress_type}", info.header_offset)


def _scan_zip(handle: BinaryIO, facts: _Facts, prefix: str | None, depth: int) -> None:
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        facts.problem(f"unreadable zip archive: {error}", None, prefix)
        return
    for info in archive.infolist():
        if info.is_dir():
            continue
        member = f"{prefix}/{info.filename}" if prefix else info.filename
        try:
            _scan_zip_member(handle, info, facts, member, depth)
        except _Unscannable as error:
            facts.problem(error.reason, error.offset, member)
        except (OSError, EOFError, zlib.error) as error:
            facts.problem(f"unreadable zip member: {error}", None, member)


def _scan_zip_member(handle: BinaryIO, info: zipfile.ZipInfo, facts: _Facts, member: str, depth: int) -> None:
    with _member_stream(handle, info) as stream:
        head = stream.read(_PROBE_BYTES)
    if head.startswith(_ZIP_MAGICS):
        if depth >= facts.limits.max_zip_depth:
            facts.problem(f"zip nested deeper than {facts.limits.max_zip_depth} levels", None, member)
            return
        with _seekable_member(handle, info, facts.limits) as nested:
            _scan_zip(nested, facts, member, depth + 1)
        return
    kind = _sniff_member(head)
    if kind is None:
        return
    size = info.file_size if info.compress_type == zipfile.ZIP_STORED else None
    with _member_stream(handle, info) as stream:
        _scan_stream(kind, stream, size, facts, member)


def _sniff_member(head: bytes) -> str | None:
    if head.startswith(_NPY_MAGIC):
        return "npy"
    compression = _compression(head)
    if compression is not None and compression != "zlib":
        return compression
    if _probe_is_pickle(head):
        return "pickle"
    return None


def _seekable_member(handle: BinaryIO, info: zipfile.ZipInfo, limits: Limits) -> BinaryIO:
    """zipfile needs to seek: a stored member is a window; a compressed one is inflated to a size-limited temp file."""
    stream = _member_stream(handle, info)
    if info.compress_type == zipfile.ZIP_STORED:
        return stream
    spool = tempfile.TemporaryFile()
    with stream:
        copied = 0
        while chunk := stream.read(2**20):
            copied += len(chunk)
            if copied > limits.max_decompressed_bytes:
                spool.close()
                raise _Unscannable(f"decompressed size limit ({limits.max_decompressed_bytes} bytes) exceeded", None)
            spool.write(chunk)
    spool.seek(0)
    return spool  # type: ignore[return-value]


# ---------------------------------------------------------------------------
# numpy .npy


def _scan_npy(source: _Source, facts: _Facts, member: str | None) -> None:
    """Object-dtype ``.npy`` files hold a pickle right after their header."""
    magic = source.read(8)
    major = magic[6]
    length_format = _U2 if major == 1 else _U4
    header_length = length_format.unpack(source.read(length_format.size))[0]
    if header_length > facts.limits.max_line_bytes:
        raise _Unscannable("npy header too large", source.pos)
    try:
        header = ast.literal_eval(source.read(header_length).decode("latin-1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise _Unscannable("npy header is not a Python literal", 8) from None
    if not isinstance(header, dict) or "descr" not in header:
        raise _Unscannable("npy header has no descr", 8)
    if _descr_has_object(header["descr"]):
        _scan_pickles(source, facts, member, joblib=False, count=1)


def _descr_has_object(descr: object) -> bool:
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list):
        return any(isinstance(item, tuple) and len(item) > 1 and _descr_has_object(item[1]) for item in descr)
    return True  # an unrecognised descr: assume objects, fail closed


# ---------------------------------------------------------------------------
# skops

_SKOPS_DEFAULT_TRUST: dict[str, Callable[[str], bool]] = {
    "ObjectNode": lambda t: t.startswith("sklearn.") and ".TreePredictor" not in t,
    "FunctionNode": lambda t: t.rpartition(".")[0] in ("numpy", "scipy.special"),
    "TypeNode": lambda t: t in _SKOPS_BUILTIN_TYPES or t.startswith("numpy."),
    "DictNode": lambda t: t in ("builtins.dict", "collections.OrderedDict"),
    "DefaultDictNode": lambda t: t == "collections.defaultdict",
    "ListNode": lambda t: t == "builtins.list",
    "SetNode": lambda t: t == "builtins.set",
    "TupleNode": lambda t: t == "builtins.tuple",
    "SliceNode": lambda t: t == "builtins.slice",
    "JsonNode": lambda t: t in ("builtins.int", "builtins.float", "builtins.str", "builtins.bool"),
    "BytesNode": lambda t: t == "builtins.bytes",
    "BytearrayNode": lambda t: t == "builtins.bytearray",
    "NdArrayNode": lambda t: t.startswith("numpy."),
    "DTypeNode": lambda t: t.startswith("numpy."),
    "MaskedArrayNode": lambda t: t.startswith("numpy.ma."),
    "RandomStateNode": lambda t: t == "numpy.random.RandomState",
    "RandomGeneratorNode": lambda t: t.startswith("numpy.random."),
    "SparseMatrixNode": lambda t: t.startswith("scipy.sparse."),
}
_SKOPS_BUILTIN_TYPES = {f"builtins.{n}" for n in ("int", "float", "str", "bool", "list", "set", "map", "tuple")}
_SKOPS_CONSTRUCTING_LOADERS = {"ObjectNode", "ConstructorFromReduceNode", "ReduceNode", "DefaultDictNode", "PartialNode"}


def _scan_skops(handle: BinaryIO, facts: _Facts, member: str | None) -> None:
    archive = zipfile.ZipFile(handle)
    try:
        info = archive.getinfo(_SKOPS_SCHEMA)
    except KeyError:
        facts.problem("skops file without schema.json", None, member)
        return
    if info.file_size > facts.limits.max_line_bytes * 64:
        facts.problem("skops schema.json too large", None, member)
        return
    with _member_stream(handle, info) as stream:
        try:
            schema = json.loads(stream.read(info.file_size))
        except (ValueError, RecursionError):
            facts.problem("skops schema.json is not JSON", None, member)
            return
    _walk_skops(schema, facts, member or _SKOPS_SCHEMA)  # its .npy members load with allow_pickle=False


def _walk_skops(schema: object, facts: _Facts, member: str) -> None:
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        pending.extend(node.values())
        module, name, loader = node.get("__module__"), node.get("__class__"), node.get("__loader__")
        if not isinstance(module, str) or not isinstance(name, str):
            continue
        type_name = f"{module}.{name}"
        facts.skops_types.append(type_name)
        ref = GlobalRef(module, name, 0, member, "skops")
        facts.globals.append(ref)
        if loader in _SKOPS_CONSTRUCTING_LOADERS:
            facts.calls.append(CallSite(ref, "skops", 0, member))
        trusted = _SKOPS_DEFAULT_TRUST.get(loader if isinstance(loader, str) else "", lambda t: False)
        if not trusted(type_name):
            facts.skops_untrusted.append(type_name)


# ---------------------------------------------------------------------------
# scanning by kind


def _scan_stream(kind: str, stream: BinaryIO, size: int | None, facts: _Facts, member: str | None) -> None:
    """Scan an open stream already known to be ``kind``; errors become problems."""
    try:
        if kind in ("pickle", "joblib"):
            _scan_pickles(_Source(stream, size), facts, member, joblib=member is None)
        elif kind == "torch-legacy":
            _scan_pickles(_Source(stream, size), facts, member, joblib=False, count=5)  # raw storages follow
        elif kind == "npy":
            _scan_npy(_Source(stream, size), facts, member)
        elif kind == "lz4":
            facts.problem("lz4-compressed stream: the standard library cannot decompress it", 0, member)
        else:
            decompressed = _decompressing(kind, stream)
            source = _Source(decompressed, None, facts.limits.max_decompressed_bytes)
            _scan_pickles(source, facts, member, joblib=member is None)
    except _Unscannable as error:
        facts.problem(error.reason, error.offset, member)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as error:
        facts.problem(f"unreadable {kind} stream: {error}", None, member)


def scan_file(path: Path, limits: Limits = Limits()) -> ScanResult:
    """Every fact a static read of ``path`` yields; problems (never exceptions) for what could not be read."""
    facts = _Facts(limits)
    kind = sniff(path)
    if kind is not None:
        try:
            with path.open("rb", buffering=0) as raw:
                size = os.fstat(raw.fileno()).st_size
                stream = io.BufferedReader(raw, buffer_size=2**16)
                if kind == "skops":
                    _scan_skops(stream, facts, None)  # type: ignore[arg-type]
                elif kind in ("zip", "npz"):
                    _scan_zip(stream, facts, None, depth=1)  # type: ignore[arg-type]
                else:
                    _scan_stream(kind, stream, size, facts, None)  # type: ignore[arg-type]
        except (OSError, zipfile.BadZipFile) as error:
            facts.problem(f"cannot read file: {error}", None, None)
        except RecursionError:
            facts.problem("nesting too deep to analyse", None, None)
    if kind == "pickle" and facts.joblib_arrays:
        kind = "joblib"
    return ScanResult(
        path=path,
        kind=kind,
        globals=tuple(dict.fromkeys(facts.globals)),
        calls=tuple(dict.fromkeys(facts.calls)),
        subimports=tuple(dict.fromkeys(facts.subimports)),
        embedded_code=tuple(dict.fromkeys(facts.embedded)),
        skops_types=tuple(dict.fromkeys(facts.skops_types)),
        problems=tuple(dict.fromkeys(facts.problems)),
        skops_untrusted=tuple(dict.fromkeys(facts.skops_untrusted)),
    )

