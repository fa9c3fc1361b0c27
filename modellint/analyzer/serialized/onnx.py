"""ONNX models (``ModelProto``), read with the bounded wire reader, never with onnx or onnxruntime.

What loading an ONNX model does beyond reading the file:

* a tensor stored outside it (``data_location: EXTERNAL``) is read from its ``external_data``
  ``location``, a path relative to the model file's directory: onnxruntime opens it as written,
  so an absolute path, one that climbs out of the model dir, or a symlink that leads out reads a
  file of the machine that serves the model; a location that does not exist fails the load;
* a node whose operator domain onnxruntime does not ship needs a custom-op library registered
  in the session before the model loads (``SessionOptions.register_custom_ops_library``), which
  MLflow's ``onnx`` flavor never does: native code the model does not carry;
* the model's ``ir_version`` and the version of each operator set it imports must be ones the
  installed onnxruntime knows, or the session refuses the model: recorded as an
  :class:`~modellint.analyzer.serialized.pickles.results.OnnxStamp` for the rule that compares them
  with the declared onnxruntime (ML311).

The walk covers the main graph, the subgraphs of ``If``/``Loop``/``Scan`` (and any other graph or
tensor attribute), training graphs and model-local functions; a node that calls a function the
model defines (same domain and name) is not a custom op. Field numbers are onnx.proto's (IR 10).
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from modellint.analyzer.serialized.pickles.results import Facts, Hazard, OnnxStamp
from modellint.analyzer.serialized.protobuf_wire import (
    LENGTH_DELIMITED,
    VARINT,
    Message,
    Seekable,
    WireError,
    leading_fields,
)

# Distinct external-data files one model may name (real ones: one, or one per tensor, a few hundred).
_MAX_EXTERNAL_LOCATIONS = 1_000

# Operator domains onnxruntime's default CPU build registers kernels for (core/graph/constants.h:
# kOnnxDomain/kOnnxDomainAlias, kMLDomain, kMSDomain, kMSExperimentalDomain, kMSNchwcDomain,
# kMSInternalNHWCDomain; the training domains of ONNX itself).
ONNXRUNTIME_DOMAINS = frozenset({
    "", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training", "com.microsoft",
    "com.microsoft.experimental", "com.microsoft.nchwc", "com.ms.internal.nhwc",
})

# ModelProto fields and their wire types, as a sniff expects them in a real model's first fields.
_MODEL_FIELDS = {1: VARINT, 2: LENGTH_DELIMITED, 3: LENGTH_DELIMITED, 4: LENGTH_DELIMITED, 5: VARINT,
                 6: LENGTH_DELIMITED, 7: LENGTH_DELIMITED, 8: LENGTH_DELIMITED, 14: LENGTH_DELIMITED,
                 20: LENGTH_DELIMITED, 25: LENGTH_DELIMITED, 26: LENGTH_DELIMITED}
_MAX_IR_VERSION = 64  # IR 11 is current; far above, a varint that happens to start a file
_SNIFF_FIELDS = 16
_EXTERNAL = 1  # TensorProto.DataLocation.EXTERNAL
# Operator sets one model may import (real ones: the default domain, ai.onnx.ml, a vendor domain or two).
_MAX_OPSET_IMPORTS = 64


def probe_is_onnx(head: bytes) -> bool:
    """Whether a file whose first bytes are ``head`` is a ``ModelProto``: ``ir_version`` first (as every
    writer puts it), then only ModelProto fields with their wire types, up to the graph (or up to where
    the head, or a truncated file, ends)."""
    fields, cut = leading_fields(head, _SNIFF_FIELDS)
    if not fields or fields[0].number != 1 or not 3 <= fields[0].value <= _MAX_IR_VERSION:
        return False
    for field in fields:
        if _MODEL_FIELDS.get(field.number) != field.wire_type:
            return False
        if field.number == 7:
            return True
    return cut and len(fields) >= 2 and fields[-1].wire_type == LENGTH_DELIMITED and \
        fields[-1].start + fields[-1].value > len(head)  # the head ends inside a long field (a doc string)


class ExternalBase:
    """Where a file's external data is looked up: the model dir ``root`` and the file's directory
    below it (``relative_dir``, POSIX, ``""`` for the root itself)."""

    __slots__ = ("root", "relative_dir")

    def __init__(self, root: Path, relative_dir: str) -> None:
        self.root = root
        self.relative_dir = relative_dir


def scan_onnx(stream: Seekable, size: int, facts: Facts, member: str | None, base: ExternalBase | None) -> None:
    """Record the hazards and problems of the ONNX model in ``stream`` into ``facts``."""
    reader = _OnnxReader(facts, member, base)
    budget = facts.wire_budget()
    try:
        reader.model(Message(stream, 0, size, budget))
    except WireError as error:
        facts.problem(f"malformed ONNX protobuf: {error.reason}", error.offset, member)
    else:  # a file that could not be read whole is ML303's; its stamp is not judged against a runtime
        facts.onnx_stamps.append(OnnxStamp(reader.ir_version, tuple(reader.opsets.items()), member))
    finally:
        facts.spend_wire(budget)
    reader.report_custom_ops()


class _OnnxReader:
    def __init__(self, facts: Facts, member: str | None, base: ExternalBase | None) -> None:
        self.facts = facts
        self.member = member
        self.base = base
        self.custom_nodes: dict[tuple[str, str], int] = {}  # (domain, op_type) -> first offset
        self.local_functions: set[tuple[str, str]] = set()
        self.external_seen: set[str] = set()
        self.ir_version: int | None = None
        self.opsets: dict[str, int] = {}  # domain -> version; the default domain as "ai.onnx"
        self.opsets_cut = False

    def model(self, message: Message) -> None:
        for field in message.fields((1, 7, 8, 20, 25)):
            if field.number == 1 and field.wire_type == VARINT:
                self.ir_version = field.value
            elif field.number == 8 and field.wire_type == LENGTH_DELIMITED:
                self.opset_import(message.child(field))
            elif field.number == 7:
                self.graph(message.child(field))
            elif field.number == 25:
                self.function(message.child(field))
            elif field.number == 20:  # TrainingInfoProto: initialization = 1, algorithm = 2
                training = message.child(field)
                for inner in training.fields((1, 2)):
                    if inner.number in (1, 2) and inner.wire_type == LENGTH_DELIMITED:
                        self.graph(training.child(inner))

    def opset_import(self, message: Message) -> None:
        """An ``OperatorSetIdProto``: ``domain = 1``, ``version = 2``. A domain imported twice keeps its
        newest version: onnxruntime checks every entry (1.17.3 refuses opset 13, 17 and 21 of the default
        domain in either order)."""
        domain, version = "", None
        for field in message.fields((1, 2)):
            if field.number == 1 and field.wire_type == LENGTH_DELIMITED:
                domain = message.string(field)
            elif field.number == 2 and field.wire_type == VARINT:
                version = field.value
        if version is None:
            return
        domain = domain or "ai.onnx"
        if domain in self.opsets or len(self.opsets) < _MAX_OPSET_IMPORTS:
            self.opsets[domain] = max(version, self.opsets.get(domain, version))
        elif not self.opsets_cut:
            self.opsets_cut = True
            self.facts.problem(f"more than {_MAX_OPSET_IMPORTS} operator set imports: the rest are not checked",
                               message.start, self.member)

    def graph(self, message: Message) -> None:
        for field in message.fields((1, 5, 15)):
            if field.wire_type != LENGTH_DELIMITED:
                continue
            if field.number == 1:
                self.node(message.child(field))
            elif field.number == 5:
                self.tensor(message.child(field))
            elif field.number == 15:
                self.sparse_tensor(message.child(field))

    def function(self, message: Message) -> None:
        name = domain = ""
        for field in message.fields((1, 7, 10)):
            if field.wire_type != LENGTH_DELIMITED:
                continue
            if field.number == 1:
                name = message.string(field)
            elif field.number == 10:
                domain = message.string(field)
            elif field.number == 7:
                self.node(message.child(field))
        self.local_functions.add((domain, name))

    def node(self, message: Message) -> None:
        op_type = domain = ""
        for field in message.fields((4, 5, 7)):
            if field.wire_type != LENGTH_DELIMITED:
                continue
            if field.number == 4:
                op_type = message.string(field)
            elif field.number == 7:
                domain = message.string(field)
            elif field.number == 5:
                self.attribute(message.child(field))
        if domain not in ONNXRUNTIME_DOMAINS:
            self.custom_nodes.setdefault((domain, op_type), message.start)

    def attribute(self, message: Message) -> None:
        for field in message.fields((5, 6, 10, 11, 22, 23)):
            if field.wire_type != LENGTH_DELIMITED:
                continue
            if field.number in (5, 10):  # t, tensors
                self.tensor(message.child(field))
            elif field.number in (6, 11):  # g, graphs: If/Loop/Scan bodies
                self.graph(message.child(field))
            elif field.number in (22, 23):  # sparse_tensor, sparse_tensors
                self.sparse_tensor(message.child(field))

    def sparse_tensor(self, message: Message) -> None:
        for field in message.fields((1, 2)):
            if field.number in (1, 2) and field.wire_type == LENGTH_DELIMITED:  # values, indices
                self.tensor(message.child(field))

    def tensor(self, message: Message) -> None:
        name = ""
        external = False
        location: str | None = None
        for field in message.fields((8, 13, 14)):
            if field.number == 8 and field.wire_type == LENGTH_DELIMITED:
                name = message.string(field)
            elif field.number == 14 and field.wire_type == VARINT:
                external = field.value == _EXTERNAL
            elif field.number == 13 and field.wire_type == LENGTH_DELIMITED:
                key, value = _entry(message.child(field))
                if key == "location":
                    location = value
        if external:
            self.external(name, location, message.start)

    def external(self, tensor: str, location: str | None, offset: int) -> None:
        if location is None:
            self.facts.problem(f"tensor `{tensor}` is stored externally but names no location: a load fails",
                               offset, self.member)
            return
        if location in self.external_seen:
            return
        if len(self.external_seen) == _MAX_EXTERNAL_LOCATIONS:  # each one is resolved on disk: bounded
            self.facts.problem(f"more than {_MAX_EXTERNAL_LOCATIONS:,} external data locations: the rest are not "
                               "checked", offset, self.member)
        self.external_seen.add(location)
        if len(self.external_seen) > _MAX_EXTERNAL_LOCATIONS:
            return
        if self.base is None:  # inside an archive: onnxruntime would look beside the archive, not in it
            self.facts.problem(f"tensor `{tensor}` reads external data `{location}`, which cannot be located "
                               "for a model inside an archive", offset, self.member)
            return
        from modellint.analyzer.files import escape, lexists

        written = posixpath.join(self.base.relative_dir, location) if self.base.relative_dir else location
        reason = escape(self.base.root, written)
        if reason is not None:
            self.facts.hazards.append(Hazard(
                "reads-outside",
                f"reads the external data of tensor `{tensor}` from `{location}`, which {reason}: "
                "a file of the serving machine, outside the model", offset, self.member))
        elif not lexists(self.base.root / written):
            self.facts.problem(f"tensor `{tensor}` reads external data from `{location}`, which does not exist "
                               "in the model dir: a load fails", offset, self.member)

    def report_custom_ops(self) -> None:
        by_domain: dict[str, list[str]] = {}
        offsets: dict[str, int] = {}
        for (domain, op_type), offset in self.custom_nodes.items():
            if (domain, op_type) in self.local_functions:
                continue  # a function the model defines: onnxruntime inlines it
            by_domain.setdefault(domain, []).append(op_type)
            offsets.setdefault(domain, offset)
        for domain, ops in by_domain.items():
            shown = ", ".join(f"`{op}`" for op in sorted(ops)[:5]) + (", ..." if len(ops) > 5 else "")
            self.facts.hazards.append(Hazard(
                "custom-ops",
                f"uses operators of domain `{domain}` ({shown}), which onnxruntime does not ship: the session "
                "loads the model only after a custom-op library for that domain is registered, native code "
                "the model does not carry", offsets[domain], self.member))


def _entry(message: Message) -> tuple[str, str]:
    """A ``StringStringEntryProto``: ``key = 1``, ``value = 2``."""
    key = value = ""
    for field in message.fields((1, 2)):
        if field.wire_type != LENGTH_DELIMITED:
            continue
        if field.number == 1:
            key = message.string(field)
        elif field.number == 2:
            value = message.string(field)
    return key, value


def external_base(path: Path, root: Path | None) -> ExternalBase:
    """Where ``path``'s external data lies: below ``root`` (the model dir; a lone file's own directory
    when None), relative to ``path``'s directory."""
    if root is None:
        return ExternalBase(path.parent, "")
    try:
        relative_dir = path.parent.relative_to(root).as_posix()
    except ValueError:
        return ExternalBase(path.parent, "")
    return ExternalBase(root, "" if relative_dir == "." else relative_dir)
