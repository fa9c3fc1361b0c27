"""What a static read of a serialized file found: the public result types and the collector."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from modellint.record import Record

if TYPE_CHECKING:
    from modellint.analyzer.serialized.bytecode import CodeFacts
    from modellint.analyzer.serialized.protobuf_wire import WireBudget


class GlobalRef(Record):
    __slots__ = ("module", "name", "offset", "member", "opcode")

    def __init__(self, module: str, name: str, offset: int, member: str | None, opcode: str) -> None:
        self.module = module
        self.name = name
        self.offset = offset
        self.member = member
        self.opcode = opcode

    @property
    def where(self) -> str:
        """Where the file names it, for messages: ``STACK_GLOBAL at byte 21``, or the kind of name a
        format without opcodes gives (a skops type, a class of a Keras config)."""
        return _NAMED_WITHOUT_OPCODES.get(self.opcode) or f"{self.opcode} at byte {self.offset}"


_NAMED_WITHOUT_OPCODES = {"skops": "skops type", "keras-config": "Keras class"}


class CallSite(Record):
    __slots__ = ("callable", "opcode", "offset", "member")

    def __init__(self, callable: GlobalRef, opcode: str, offset: int, member: str | None) -> None:
        self.callable = callable
        self.opcode = opcode
        self.offset = offset
        self.member = member

    @property
    def where(self) -> str:
        """As :attr:`GlobalRef.where`, for the call."""
        return _NAMED_WITHOUT_OPCODES.get(self.opcode) or f"{self.opcode} at byte {self.offset}"


class EmbeddedCode(Record):
    __slots__ = ("qualname", "imports", "names", "python_minor", "offset", "member", "python_minors",
                 "dynamic_imports", "opaque_dynamic_import")

    def __init__(self, qualname: str | None, imports: tuple[str, ...], names: tuple[str, ...],
                 python_minor: tuple[int, int] | None, offset: int, member: str | None,
                 python_minors: tuple[tuple[int, int], ...] = (), dynamic_imports: tuple[str, ...] = (),
                 opaque_dynamic_import: bool = False) -> None:
        self.qualname = qualname
        self.imports = imports
        self.names = names
        self.python_minor = python_minor
        self.offset = offset
        self.member = member
        self.python_minors = python_minors
        self.dynamic_imports = dynamic_imports  # literal names given to import_module/__import__
        self.opaque_dynamic_import = opaque_dynamic_import  # such a call with a name computed at run time


class Problem(Record):
    __slots__ = ("reason", "offset", "member")

    def __init__(self, reason: str, offset: int | None, member: str | None) -> None:
        self.reason = reason
        self.offset = offset
        self.member = member


class Hazard(Record):
    """What loading a non-pickle model format does beyond building values (see ``HAZARD_KINDS``);
    ``detail`` completes "loading `<file>` ..." and names what the file says."""

    __slots__ = ("kind", "detail", "offset", "member")

    def __init__(self, kind: str, detail: str, offset: int | None, member: str | None) -> None:
        self.kind = kind
        self.detail = detail
        self.offset = offset
        self.member = member


# "runs-code": the load runs code the file carries or names (a Keras Lambda's bytecode, a TensorFlow
# PyFunc); "reads-outside": it reads a file outside the model (ONNX external data); "touches-files": its
# graph reads or writes files of the machine (TensorFlow ReadFile, WriteFile); "custom-ops": it needs
# native operators the model does not carry (an ONNX domain onnxruntime does not ship, a TorchScript
# ``torch.ops`` namespace); "template-code": a template a runtime renders on each request reaches Python
# internals (a GGUF chat template walking to ``__globals__``); "predict-code": code a pickle carries by
# value runs commands or code when the model is used (see pickles/by_value.py).
HAZARD_KINDS = ("runs-code", "reads-outside", "touches-files", "custom-ops", "template-code", "predict-code")


class OnnxStamp(Record):
    """The format versions an ONNX model is stamped with, which the runtime that loads it must know:
    ``ir_version`` (None when the file names none) and ``opsets``, the ``(domain, version)`` of each
    operator set it imports (the default domain written ``ai.onnx``), in file order."""

    __slots__ = ("ir_version", "opsets", "member")

    def __init__(self, ir_version: int | None, opsets: tuple[tuple[str, int], ...], member: str | None) -> None:
        self.ir_version = ir_version
        self.opsets = opsets
        self.member = member


class ScanResult(Record):
    __slots__ = ("path", "kind", "globals", "calls", "subimports", "embedded_code", "skops_types", "problems",
                 "skops_untrusted", "hazards", "onnx_stamps")

    def __init__(self, path: Path, kind: str | None, globals: tuple[GlobalRef, ...], calls: tuple[CallSite, ...],
                 subimports: tuple[str, ...], embedded_code: tuple[EmbeddedCode, ...], skops_types: tuple[str, ...],
                 problems: tuple[Problem, ...], skops_untrusted: tuple[str, ...] = (),
                 hazards: tuple[Hazard, ...] = (), onnx_stamps: tuple[OnnxStamp, ...] = ()) -> None:
        self.path = path
        self.kind = kind
        self.globals = globals
        self.calls = calls
        self.subimports = subimports
        self.embedded_code = embedded_code
        self.skops_types = skops_types
        self.problems = problems
        self.skops_untrusted = skops_untrusted
        self.hazards = hazards
        self.onnx_stamps = onnx_stamps

    def imported_modules(self) -> set[str]:
        """Every module a load would import: globals, subimports, skops types, embedded-code imports."""
        modules = {ref.module for ref in self.globals}
        modules.update(self.subimports)
        modules.update(type_name.rpartition(".")[0] for type_name in self.skops_types)
        for code in self.embedded_code:
            modules.update(code.imports)
        modules.discard("")
        return modules


class Limits(Record):
    """Bounds that keep a hostile file from exhausting time or memory. Each is far above what a real
    model needs (a 400k-token CountVectorizer: 1.2 M opcodes, 0.4 M memo entries, 1.2 M values);
    a file that reaches one is reported (ML303), never read on.

    * ``max_decompressed_bytes``: bytes inflated from all the compressed streams and zip members of
      one file (joblib zlib/gzip/bz2/xz files, deflated zip members, nested zips), sniffing included;
      ``max_model_decompressed_bytes`` the same over all the files of a model dir.
    * ``max_spooled_bytes``: a compressed zip inside a zip is inflated to a temporary file (zipfile
      needs to seek); never more than this is written.
    * ``max_opcodes``: opcodes run over all the pickles of one file (payloads are skipped by seek,
      not counted: a 1 GiB array is one opcode); ``max_model_opcodes`` over all the files of a
      model dir.
    * ``max_model_wire_fields``, ``max_model_wire_skipped``: protobuf fields read, and scalars
      stepped over, over all the ONNX files and SavedModels of a model dir (each file has its own
      :class:`~modellint.analyzer.serialized.protobuf_wire.WireBudget` too).
    * ``max_stack_items``, ``max_mark_depth``, ``max_memo_entries``, ``max_values``: what the machine
      holds at once: stack items (all MARK frames included), open MARKs, memo entries, and values
      stored into containers, call arguments and states (counted as stored, never given back).
    * ``max_records``: imports and calls recorded for one file.
    * ``max_nested_depth``, ``max_nested_payloads``: payloads of nested deserializers
      (``torch.storage._load_from_bytes(b)``) scanned one inside the other, and in all, per file;
      a payload past either stays a call of its deserializer (ML302).
    """

    __slots__ = ("max_decompressed_bytes", "max_zip_depth", "max_retained_bytes", "max_kept_value_bytes",
                 "max_line_bytes", "max_model_decompressed_bytes", "max_spooled_bytes", "max_opcodes",
                 "max_stack_items", "max_mark_depth", "max_memo_entries", "max_values", "max_records",
                 "max_nested_depth", "max_nested_payloads", "max_model_opcodes", "max_model_wire_fields",
                 "max_model_wire_skipped")

    def __init__(self, max_decompressed_bytes: int = 4 * 2**30, max_zip_depth: int = 3,
                 max_retained_bytes: int = 128 * 2**20, max_kept_value_bytes: int = 64 * 2**10,
                 max_line_bytes: int = 2**20, max_model_decompressed_bytes: int = 8 * 2**30,
                 max_spooled_bytes: int = 256 * 2**20, max_opcodes: int = 50_000_000,
                 max_stack_items: int = 2_000_000, max_mark_depth: int = 100_000,
                 max_memo_entries: int = 2_000_000, max_values: int = 4_000_000,
                 max_records: int = 1_000_000, max_nested_depth: int = 3,
                 max_nested_payloads: int = 100_000, max_model_opcodes: int = 100_000_000,
                 max_model_wire_fields: int = 2_000_000, max_model_wire_skipped: int = 100_000_000) -> None:
        self.max_decompressed_bytes = max_decompressed_bytes
        self.max_zip_depth = max_zip_depth
        self.max_retained_bytes = max_retained_bytes  # string/bytes values kept for analysis; later ones become opaque
        self.max_kept_value_bytes = max_kept_value_bytes  # longer strings/bytes are skipped with seek, never read
        self.max_line_bytes = max_line_bytes
        self.max_model_decompressed_bytes = max_model_decompressed_bytes
        self.max_spooled_bytes = max_spooled_bytes
        self.max_opcodes = max_opcodes
        self.max_stack_items = max_stack_items
        self.max_mark_depth = max_mark_depth
        self.max_memo_entries = max_memo_entries
        self.max_values = max_values
        self.max_records = max_records
        self.max_nested_depth = max_nested_depth
        self.max_nested_payloads = max_nested_payloads
        self.max_model_opcodes = max_model_opcodes
        self.max_model_wire_fields = max_model_wire_fields
        self.max_model_wire_skipped = max_model_wire_skipped


class ModelBudget:
    """What the files of one model dir have spent together (mutable, shared by their scans): a dir
    of many hostile files, each kept under its own file's budgets, must not cost their sum."""

    __slots__ = ("decompressed_bytes", "opcodes", "wire_fields", "wire_skipped")

    def __init__(self) -> None:
        self.decompressed_bytes = 0
        self.opcodes = 0  # run over the pickles of every file
        self.wire_fields = 0  # protobuf fields read one by one (ONNX, SavedModel), and stepped over in runs
        self.wire_skipped = 0


class Unscannable(Exception):
    """Stops reading one stream; the message becomes a Problem."""

    def __init__(self, reason: str, offset: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


# -- the file's by-value code, as the machine meets it (judged by pickles/by_value.py)


class ByValueCode:
    """A code object the file carries, with the code objects in its constants."""

    __slots__ = ("facts", "nested")

    def __init__(self, facts: CodeFacts, nested: tuple[ByValueCode, ...]) -> None:
        self.facts = facts
        self.nested = nested

    def walk(self) -> list[CodeFacts]:
        found, pending, seen = [], [self], set()
        while pending:
            code = pending.pop()
            if id(code) in seen:
                continue
            seen.add(id(code))
            found.append(code.facts)
            pending.extend(code.nested)
        return found


class ByValueClass:
    __slots__ = ("name", "methods")

    def __init__(self, name: str) -> None:
        self.name = name
        self.methods: dict[str, ByValueFunction] = {}


class ByValueFunction:
    """A function rebuilt from ``code``; ``globals`` maps a name to a module (``str``), a global the
    pickle names (:class:`GlobalRef`) or another by-value function."""

    __slots__ = ("code", "offset", "member", "globals", "closure", "owner")

    def __init__(self, code: ByValueCode, offset: int, member: str | None) -> None:
        self.code = code
        self.offset = offset
        self.member = member
        self.globals: dict[str, str | GlobalRef | ByValueFunction] = {}
        self.closure: list[str | GlobalRef | ByValueFunction] = []  # its cells' values, names unknown
        self.owner: ByValueClass | None = None

    @property
    def qualname(self) -> str:
        return self.code.facts.qualname or "<function>"


class CodeRun:
    """The load runs ``target`` (a function, or ``method`` of a class when it defines one): ``why``."""

    __slots__ = ("target", "method", "why")

    def __init__(self, target: ByValueFunction | ByValueClass, method: str | None, why: str) -> None:
        self.target = target
        self.method = method
        self.why = why


class ByValueLedger:
    """What one file's scan learned of its by-value code (judged by pickles/by_value.py)."""

    __slots__ = ("functions", "classes", "runs", "_run_keys")

    def __init__(self) -> None:
        self.functions: list[ByValueFunction] = []
        self.classes: list[ByValueClass] = []
        self.runs: list[CodeRun] = []
        self._run_keys: set[tuple[int, str | None]] = set()

    def ran(self, target: ByValueFunction | ByValueClass, method: str | None, why: str) -> None:
        """The load runs ``target`` (``method`` of it, for a class). Kept once per function or method,
        with the first reason: a list of a million instances of one class is one run of its ``__setstate__``."""
        key = (id(target), method)
        if key not in self._run_keys:
            self._run_keys.add(key)
            self.runs.append(CodeRun(target, method, why))


class Facts:
    """The collector one scan fills in as it reads: a builder, not a value (no equality or hash,
    unlike the records here); :func:`~modellint.analyzer.serialized.pickles.containers.scan_file` turns it
    into a :class:`ScanResult`."""

    __slots__ = ("limits", "globals", "calls", "subimports", "embedded", "skops_types", "skops_untrusted", "problems",
                 "hazards", "retained_bytes", "joblib_arrays", "model_budget", "decompressed_bytes", "opcodes", "values",
                 "nested_depth", "nested_scanned", "by_value", "onnx_stamps", "archive_reader", "buffer_archives")

    def __init__(self, limits: Limits, model_budget: ModelBudget | None = None,
                 archive_reader: Callable[[Any, Facts, str], None] | None = None) -> None:
        self.limits = limits
        # What reads an archive found in a pickle's buffer (a Keras model pickled by Keras): given by the
        # caller, since the readers of other formats sit above the pickle machine
        self.archive_reader = archive_reader
        self.buffer_archives = 0  # archives found in this file's buffers and read so far
        self.globals: list[GlobalRef] = []
        self.calls: list[CallSite] = []
        self.subimports: list[str] = []
        self.embedded: list[EmbeddedCode] = []
        self.skops_types: list[str] = []
        self.skops_untrusted: list[str] = []
        self.problems: list[Problem] = []
        self.hazards: list[Hazard] = []
        self.retained_bytes = 0
        self.joblib_arrays = 0
        self.model_budget = ModelBudget() if model_budget is None else model_budget
        self.decompressed_bytes = 0  # inflated from this file's streams so far
        self.opcodes = 0  # run over this file's pickles so far
        self.values = 0  # stored by this file's pickles so far (see Limits.max_values)
        self.nested_depth = 0  # nested deserializer payloads being scanned, one inside the other
        self.nested_scanned: dict[tuple[object, ...], object] = {}  # each payload is scanned once
        self.by_value: ByValueLedger | None = None  # the by-value code, functions and classes, once there is one
        self.onnx_stamps: list[OnnxStamp] = []

    def problem(self, reason: str, offset: int | None, member: str | None) -> None:
        self.problems.append(Problem(reason, offset, member))

    def decompression_left(self) -> tuple[int, str]:
        """How many more bytes this file may inflate, and the budget that says so (for the message)."""
        limits = self.limits
        file_left = limits.max_decompressed_bytes - self.decompressed_bytes
        model_left = limits.max_model_decompressed_bytes - self.model_budget.decompressed_bytes
        if model_left < file_left:
            return max(0, model_left), f"model decompression budget ({limits.max_model_decompressed_bytes:,} bytes)"
        return max(0, file_left), f"decompressed size limit ({limits.max_decompressed_bytes:,} bytes per file)"

    def spend_decompressed(self, count: int) -> None:
        self.decompressed_bytes += count
        self.model_budget.decompressed_bytes += count

    def opcodes_left(self) -> tuple[int, str]:
        """How many more opcodes this file's pickles may run, and the budget that says so."""
        limits = self.limits
        file_left = limits.max_opcodes - self.opcodes
        model_left = limits.max_model_opcodes - self.model_budget.opcodes
        if model_left < file_left:
            return model_left, f"model opcode budget ({limits.max_model_opcodes:,} opcodes over all its files)"
        return file_left, f"opcode budget ({limits.max_opcodes:,} opcodes per file)"

    def spend_opcodes(self, count: int) -> None:
        self.opcodes += count
        self.model_budget.opcodes += count

    def wire_budget(self) -> WireBudget:
        """A protobuf read's budget: the file's own, or what the model dir has left if that is less."""
        from modellint.analyzer.serialized.protobuf_wire import WireBudget

        limits, spent = self.limits, self.model_budget
        file_budget = WireBudget()
        fields_left = limits.max_model_wire_fields - spent.wire_fields
        skipped_left = limits.max_model_wire_skipped - spent.wire_skipped
        if fields_left >= file_budget.max_fields and skipped_left >= file_budget.max_skipped:
            return file_budget
        return WireBudget(max_fields=max(0, min(fields_left, file_budget.max_fields)),
                          max_skipped=max(0, min(skipped_left, file_budget.max_skipped)),
                          scope="left of the model's budget over all its files")

    def spend_wire(self, budget: WireBudget) -> None:
        self.model_budget.wire_fields += budget.fields
        self.model_budget.wire_skipped += budget.skipped


class ProbeHit(Exception):
    """Raised in probe mode: the stream imports something before any load error, so it is a pickle."""
