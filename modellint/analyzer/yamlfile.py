"""YAML documents that remember where every value came from.

PyYAML's composer gives nodes with 0-based marks; we build the plain Python value and, beside it,
a map from the key path (``("flavors", "python_function", "loader_module")``) to the 1-based
:class:`~modellint.findings.Span` of that value, so rules can point at the exact line.

The block YAML MLflow writes is read by :mod:`modellint.analyzer.yaml_block` to the same result
without PyYAML, whose import is a sixth of a one-model run; PyYAML is imported for anything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modellint.analyzer.yaml_block import KeyPath, marks_span, read_block_yaml
from modellint.findings import FILE_START, Span
from modellint.record import Record

if TYPE_CHECKING:
    import yaml


# MLflow writes a few dozen nodes, never an alias, and nests a handful of levels. Past these a
# file is hostile: aliases (``&a [*b, *b]``, ``<<: [*b, *b]``) make a 1 KB document expand to
# billions of nodes in whatever walks it, and libyaml's scanner costs time proportional to the
# flow nesting depth for every token (100,000 ``[`` take over a minute; deeper still crashes the
# C composer), so both are counted on the event stream before anything is composed.
MAX_YAML_NODES = 50_000
MAX_YAML_DEPTH = 200
MAX_YAML_FLOW_DEPTH = 32  # flow collections (``[``, ``{``): the ones whose depth libyaml pays per token


class YamlError(Exception):
    """A YAML syntax error with the 1-based position PyYAML reported; ``budget`` when the document is
    refused for its size (node count with aliases expanded, nesting depth) rather than its syntax."""

    def __init__(self, message: str, span: Span, budget: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.budget = budget

    def explain(self, name: str) -> str:
        """The sentence a finding shows for file ``name``."""
        if self.budget:
            return f"`{name}` is over the YAML budget: {self.message}; not read"
        return f"`{name}` is not valid YAML: {self.message}"


class YamlDocument(Record):
    __slots__ = ("data", "value_spans", "key_spans")

    def __init__(self, data: Any, value_spans: dict[KeyPath, Span] | None = None,
                 key_spans: dict[KeyPath, Span] | None = None) -> None:
        self.data = data
        self.value_spans = {} if value_spans is None else value_spans
        self.key_spans = {} if key_spans is None else key_spans

    def span(self, *path: Any) -> Span:
        """The span of the value at ``path``, or of its nearest ancestor that exists."""
        for end in range(len(path), 0, -1):
            prefix = tuple(path[:end])
            if prefix in self.value_spans:
                return self.value_spans[prefix]
        return FILE_START

    def key_span(self, *path: Any) -> Span:
        """The span of the mapping key ``path[-1]`` (falls back like :meth:`span`)."""
        return self.key_spans.get(tuple(path)) or self.span(*path)

    def get(self, *path: Any, default: Any = None) -> Any:
        node = self.data
        for key in path:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
                node = node[key]
            else:
                return default
        return node


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; raise :class:`YamlError` with a position on bad input, or on a
    document over the node or depth budget (see :data:`MAX_YAML_NODES`)."""
    block = read_block_yaml(text)
    if block is not None:
        return YamlDocument(*block)
    import yaml

    _check_budget(text)
    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        span = _mark_span(mark) if mark is not None else FILE_START
        raise YamlError(_describe(error), span) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as error:
        raise YamlError(str(error).splitlines()[0] if str(error) else type(error).__name__, FILE_START) from None
    finally:
        loader.dispose()
    value_spans: dict[KeyPath, Span] = {}
    key_spans: dict[KeyPath, Span] = {}
    _record_spans(node, (), value_spans, key_spans, set())
    return YamlDocument(data, value_spans, key_spans)


# A registry's models repeat a few environment files word for word (one training environment, many
# versions): 1,901 conda.yaml files of a 2,000-model store hold 129 texts. Their documents are values
# (nothing changes a parsed document), so one is shared by every file of the same text. Only short
# texts are held (real env files are under 7 KB, 570 bytes on average), and only so many nodes in
# all (about 300 bytes each): a store of hostile files dense with nodes keeps 5 MB of them at most.
_SHARED_TEXT_CHARS = 1 << 13
_SHARED_NODES = 1 << 14
_shared_documents: dict[str, YamlDocument] = {}
_shared_nodes = 0


def parse_shared_yaml(text: str) -> YamlDocument:
    """:func:`parse_yaml`, the document shared with every earlier text equal to ``text`` (errors are
    raised each time)."""
    global _shared_nodes
    document = _shared_documents.get(text)
    if document is not None:
        return document
    document = parse_yaml(text)
    if len(text) <= _SHARED_TEXT_CHARS:
        nodes = _node_count(document)
        if _shared_nodes + nodes > _SHARED_NODES:
            _shared_documents.clear()
            _shared_nodes = 0
        _shared_documents[text] = document
        _shared_nodes += nodes
    return document


def _node_count(document: YamlDocument) -> int:
    return len(document.value_spans) + len(document.key_spans)


def _loader_class() -> type:
    import yaml

    try:  # libyaml is several times faster on the 2,000-model benchmark; PyPI wheels ship it
        return yaml.CSafeLoader
    except AttributeError:  # pragma: no cover - pure-Python PyYAML build
        return yaml.SafeLoader


def _check_budget(text: str) -> None:
    """Count the nodes of ``text`` as a walk of the constructed value would meet them (an alias counts
    the nodes of what it names, a merge key what it merges) and the nesting depth, from the event
    stream; stop at the first budget exceeded. Syntax errors are left to the composer to report."""
    import yaml

    loader = _loader_class()(text)
    sizes: dict[str, int] = {}  # anchor -> node count of its closed node
    frames: list[list[Any]] = []  # [anchor, node count so far, flow style] per open collection
    total = aliases = flow_depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                frames.append([event.anchor, 1, bool(event.flow_style)])
                total += 1
                flow_depth += bool(event.flow_style)
                if len(frames) > MAX_YAML_DEPTH or flow_depth > MAX_YAML_FLOW_DEPTH:
                    what = f"{MAX_YAML_DEPTH} levels" if len(frames) > MAX_YAML_DEPTH else \
                        f"{MAX_YAML_FLOW_DEPTH} levels of `[`/`{{`"
                    raise YamlError(f"nested deeper than {what}", _mark_span(event.start_mark), budget=True)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                anchor, size, flow = frames.pop()
                flow_depth -= flow
                if anchor is not None:
                    sizes[anchor] = size
                if frames:
                    frames[-1][1] += size
                continue
            elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
                size = 1
                if isinstance(event, yaml.AliasEvent):
                    aliases += 1
                    if event.anchor not in sizes:
                        if any(frame[0] == event.anchor for frame in frames):
                            raise YamlError(f"alias `*{event.anchor}` refers to a node that contains it (a recursive "
                                            "structure, which no walk of it ends)", _mark_span(event.start_mark),
                                            budget=True)
                        return  # an undefined alias: the composer reports it
                    size = sizes[event.anchor]
                elif event.anchor is not None:
                    sizes[event.anchor] = 1
                total += size
                if frames:
                    frames[-1][1] += size
            else:
                continue
            if total > MAX_YAML_NODES:
                expanded = " once its aliases are expanded (an alias bomb)" if aliases else ""
                raise YamlError(f"more than {MAX_YAML_NODES:,} nodes{expanded}", _mark_span(event.start_mark),
                                budget=True)
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


def _describe(error: yaml.MarkedYAMLError) -> str:
    parts = [part for part in (error.context, error.problem) if part]
    return ", ".join(parts) if parts else "invalid YAML"


def _mark_span(mark: Any) -> Span:
    return Span(mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 1)


def _node_span(node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return marks_span((start.line, start.column), (end.line, end.column))


def _record_spans(node: yaml.Node, path: KeyPath, value_spans: dict[KeyPath, Span], key_spans: dict[KeyPath, Span],
                  visited: set[int]) -> None:
    import yaml

    value_spans[path] = _node_span(node)
    # Aliases make the node graph a DAG or even a cycle (`a: &a [*a]`): visit each node once.
    # Pathological nesting stops at a fixed depth; deeper positions fall back to the ancestor.
    if id(node) in visited or len(path) > 100:
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = _scalar_key(key_node)
            child = (*path, key)
            key_spans[child] = _node_span(key_node)
            _record_spans(value_node, child, value_spans, key_spans, visited)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_spans(item, (*path, index), value_spans, key_spans, visited)


def _scalar_key(node: yaml.ScalarNode) -> Any:
    if node.tag.endswith(":int"):
        try:
            return int(node.value)
        except ValueError:
            return node.value
    return node.value
