"""TensorFlow SavedModels (``saved_model.pb``), read with the bounded wire reader, never with tensorflow:
the ops of every ``MetaGraphDef``'s graph and function library that touch files or call Python.

A SavedModel cannot carry Python, but its graph runs whatever ops it names, in the serving process:
``ReadFile``/``MatchingFiles`` read and list files of the machine by a path that is a string in the
graph, ``WriteFile`` and the summary writers write them, ``PyFunc``/``EagerPyFunc`` call a Python
function registered in the process that saved it (the graph holds only a token: elsewhere the call
fails, or calls whatever got that token), ``ImmutableConst`` maps a file by path. Every SavedModel
TensorFlow writes also holds a checkpoint saver and restorer (``SaveV2``, ``RestoreV2``,
``MergeV2Checkpoints``, ``ShardedFilename``...): those ops are reported only outside it, that is
outside the functions ``__inference__traced_save_*``/``__inference__traced_restore_*`` of TF2 and
the ``save/`` name scope of TF1's ``Saver`` (measured on SavedModels built by tensorflow-cpu 2.x:
see ``scripts/build_format_fixtures.py``).

Field numbers are tensorflow/core/protobuf/saved_model.proto, meta_graph.proto, graph.proto,
node_def.proto and function.proto.
"""

from __future__ import annotations

from modellint.analyzer.serialized.pickles.results import Facts, Hazard
from modellint.analyzer.serialized.protobuf_wire import (
    LENGTH_DELIMITED,
    VARINT,
    Message,
    Seekable,
    WireError,
    leading_fields,
)

# op -> what it does to the serving machine
FILE_OPS = {
    "ReadFile": "reads a file", "MatchingFiles": "lists files", "WriteFile": "writes a file",
    "ImmutableConst": "memory-maps a file", "WholeFileReader": "reads files", "WholeFileReaderV2": "reads files",
    "TextLineReader": "reads files", "TextLineReaderV2": "reads files", "FixedLengthRecordReader": "reads files",
    "FixedLengthRecordReaderV2": "reads files", "TFRecordReader": "reads files", "TFRecordReaderV2": "reads files",
    "LMDBReader": "reads files", "TextLineDataset": "reads files", "TFRecordDataset": "reads files",
    "TFRecordDatasetV2": "reads files", "FixedLengthRecordDataset": "reads files",
    "FixedLengthRecordDatasetV2": "reads files", "CSVDataset": "reads files", "CSVDatasetV2": "reads files",
    "LoadDataset": "reads files", "SaveDataset": "writes files", "SaveDatasetV2": "writes files",
    "DatasetToTFRecord": "writes files", "SqlDataset": "queries a database",
    "CreateSummaryFileWriter": "writes files", "CreateSummaryDbWriter": "writes files",
    "DebugIdentity": "writes debug dumps to files or URLs", "DebugIdentityV2": "writes debug dumps to files or URLs",
    "DebugIdentityV3": "writes debug dumps to files or URLs", "DebugNanCount": "writes debug dumps to files or URLs",
    "DebugNumericSummary": "writes debug dumps to files or URLs",
    "DebugNumericSummaryV2": "writes debug dumps to files or URLs",
    "Save": "writes a checkpoint file", "SaveSlices": "writes a checkpoint file", "Restore": "reads a checkpoint file",
    "RestoreSlice": "reads a checkpoint file",
    "PyFunc": "calls a Python function the SavedModel does not carry",
    "PyFuncStateless": "calls a Python function the SavedModel does not carry",
    "EagerPyFunc": "calls a Python function the SavedModel does not carry",
}
# The checkpoint ops of the saver every SavedModel holds: normal there, a file access anywhere else.
SAVER_OPS = {
    "SaveV2": "writes a checkpoint file", "RestoreV2": "reads a checkpoint file",
    "MergeV2Checkpoints": "writes checkpoint files", "ShardedFilename": "names checkpoint files",
}
_SAVER_FUNCTIONS = ("__inference__traced_save_", "__inference__traced_restore_")
_MAX_REPORTED = 10
_META_GRAPH_FIELDS = range(1, 8)


def probe_is_saved_model(head: bytes) -> bool:
    """Whether a file whose first bytes are ``head`` is a ``SavedModel``: ``saved_model_schema_version: 1``,
    then a ``MetaGraphDef`` whose first fields are MetaGraphDef's own, length-delimited."""
    fields, _ = leading_fields(head, 2)
    if [(f.number, f.wire_type) for f in fields] != [(1, VARINT), (2, LENGTH_DELIMITED)] or fields[0].value != 1:
        return False
    inner, _ = leading_fields(head[fields[1].start:fields[1].start + fields[1].value], 3)
    return bool(inner) and all(f.number in _META_GRAPH_FIELDS and f.wire_type == LENGTH_DELIMITED for f in inner)


def scan_saved_model(stream: Seekable, size: int, facts: Facts, member: str | None) -> None:
    reader = _GraphReader(facts, member)
    budget = facts.wire_budget()
    try:
        top = Message(stream, 0, size, budget)
        for field in top.fields((2,)):
            meta = top.child(field)
            for inner in meta.fields((2,)):
                reader.graph(meta.child(inner))
    except WireError as error:
        facts.problem(f"malformed SavedModel protobuf: {error.reason}", error.offset, member)
    finally:
        facts.spend_wire(budget)
    reader.report()


class _GraphReader:
    def __init__(self, facts: Facts, member: str | None) -> None:
        self.facts = facts
        self.member = member
        self.found: dict[str, list[tuple[str, str]]] = {}  # op -> (node, where)
        self.offsets: dict[str, int] = {}

    def graph(self, message: Message) -> None:
        """A ``GraphDef``: ``node = 1``, ``library = 2`` (``FunctionDefLibrary.function = 1``)."""
        for field in message.fields((1, 2)):
            if field.number == 1:
                self.node(message.child(field), "")
            else:
                library = message.child(field)
                for function in library.fields((1,)):
                    self.function(library.child(function))

    def function(self, message: Message) -> None:
        """A ``FunctionDef``: ``signature = 1`` (``OpDef.name = 1``), ``node_def = 3``."""
        name = ""
        nodes = []
        for field in message.fields((1, 3)):
            if field.number == 1:
                signature = message.child(field)
                for inner in signature.fields((1,)):
                    name = signature.string(inner)
            else:
                nodes.append(field)
        for field in nodes:
            self.node(message.child(field), name)

    def node(self, message: Message, function: str) -> None:
        """A ``NodeDef``: ``name = 1``, ``op = 2``."""
        name = op = ""
        for field in message.fields((1, 2)):
            if field.number == 1:
                name = message.string(field)
            else:
                op = message.string(field)
        if op in FILE_OPS or (op in SAVER_OPS and not _in_saver(name, function)):
            self.found.setdefault(op, []).append((name, function))
            self.offsets.setdefault(op, message.start)

    def report(self) -> None:
        for op, nodes in list(self.found.items())[:_MAX_REPORTED]:
            what = FILE_OPS.get(op) or SAVER_OPS[op]
            name, function = nodes[0]
            where = f"node `{name}`" + (f" of function `{function}`" if function else " of the graph")
            more = f" and {len(nodes) - 1} more" if len(nodes) > 1 else ""
            kind = "runs-code" if op in ("PyFunc", "PyFuncStateless", "EagerPyFunc") else "touches-files"
            self.facts.hazards.append(Hazard(
                kind, f"runs the TensorFlow op `{op}` ({where}{more}), which {what} of the serving machine"
                if kind == "touches-files" else f"runs the TensorFlow op `{op}` ({where}{more}), which {what}",
                self.offsets[op], self.member))


def _in_saver(node: str, function: str) -> bool:
    """Whether a node belongs to the checkpoint saver TensorFlow writes into every SavedModel."""
    if function:
        return function.startswith(_SAVER_FUNCTIONS)
    return node.startswith("save/") or node.startswith("save_") and "/" in node
