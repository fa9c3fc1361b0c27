"""YAML documents that remember where every value came from.

PyYAML's composer gives nodes with 0-based marks; we build the plain Python value and, beside it,
a map from the key path (``("flavors", "python_function", "loader_module")``) to the 1-based
:class:`~modellint.findings.Span` of that value, so rules can point at the exact line.
"""

from __future__ import annotations

from typing import Any

import yaml

from modellint.findings import FILE_START, Span
from modellint.record import Record

try:  # libyaml is several times faster on the 2,000-model benchmark; PyPI wheels ship it
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-Python PyYAML build
    _Loader = yaml.SafeLoader

KeyPath = tuple[Any, ...]


class YamlError(Exception):
    """A YAML syntax error with the 1-based position PyYAML reported."""

    def __init__(self, message: str, span: Span) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


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
    """Parse one YAML document; raise :class:`YamlError` with a position on bad input."""
    loader = _Loader(text)
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
    document = YamlDocument(data)
    _record_spans(node, (), document, set())
    return document


def _describe(error: yaml.MarkedYAMLError) -> str:
    parts = [part for part in (error.context, error.problem) if part]
    return ", ".join(parts) if parts else "invalid YAML"


def _mark_span(mark: Any) -> Span:
    return Span(mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 1)


def _node_span(node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    # A block collection's end mark sits at the start of the next line; clamp to the start line
    # when the end is at column 0 of a later line so a finding does not spill onto the next key.
    end_line, end_column = end.line + 1, end.column + 1
    if end.column == 0 and end.line > start.line:
        end_line, end_column = end.line, 10_000
    return Span(start.line + 1, start.column + 1, end_line, end_column)


def _record_spans(node: yaml.Node, path: KeyPath, document: YamlDocument, visited: set[int]) -> None:
    document.value_spans[path] = _node_span(node)
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
            document.key_spans[child] = _node_span(key_node)
            _record_spans(value_node, child, document, visited)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_spans(item, (*path, index), document, visited)


def _scalar_key(node: yaml.ScalarNode) -> Any:
    if node.tag.endswith(":int"):
        try:
            return int(node.value)
        except ValueError:
            return node.value
    return node.value
