"""The block YAML that MLflow writes, read without importing PyYAML.

MLflow writes MLmodel, conda.yaml and python_env.yaml with PyYAML's ``safe_dump``: block mappings
and sequences of plain or quoted scalars, where long quoted strings (a signature's JSON) are folded
over more-indented lines. Importing PyYAML cost a one-model run about a sixth of its instructions
(its reader and resolver compile large regexes at import), so :func:`read_block_yaml` reads that
subset itself and declines (returns ``None``) at the first thing outside it: flow collections other
than ``{}``/``[]``, anchors, tags, block scalars, escapes, tabs, ``\\r``, non-ASCII text, duplicate
keys, a scalar that YAML 1.1 might read as anything but a string, decimal int, simple float, bool or
null... :func:`~modellint.analyzer.yamlfile.parse_yaml` hands a declined text to PyYAML.

What it returns is what PyYAML returns: the values SafeLoader constructs and the spans libyaml's
marks give. ``tests/analyzer/test_yaml_block.py`` holds the two side by side on every YAML file of
the real models, the corpus and MLflow's samples, and on mutations of them.
"""

from __future__ import annotations

from typing import Any

from modellint.findings import Span

KeyPath = tuple[Any, ...]
Mark = tuple[int, int]  # 0-based line and column, as PyYAML's marks

# Bounds that keep the reader linear and below the YAML budgets (50,000 nodes, 200 levels) that
# PyYAML's path enforces, so that a document over them gets PyYAML's finding.
_MAX_CHARS = 1 << 20
_MAX_LINES = 10_000
_MAX_NODES = 20_000
_MAX_DEPTH = 64
_MAX_KEY = 1_000  # libyaml refuses a simple key longer than 1,024 characters
# CPython 3.11+ refuses int() of a decimal string longer than sys.get_int_max_str_digits() (4,300
# by default, never set below 640): longer ones are left to PyYAML's path, whatever the setting.
_MAX_INT_DIGITS = 640

# YAML 1.1 as PyYAML's resolver reads a plain scalar (yaml/resolver.py).
_BOOLS = {word: value for value, words in ((True, "yes true on"), (False, "no false off"))
          for lower in words.split() for word in (lower, lower.capitalize(), lower.upper())}
_NULLS = frozenset(("~", "null", "Null", "NULL"))
_NUMBER_START = frozenset("-+.0123456789")
_DIGITS_AND_DOT = frozenset(".0123456789")
_NUMERIC = frozenset("0123456789_.:eE+-")
# Characters that make a plain scalar mean something else at its start (or that we leave to PyYAML).
_INDICATORS = frozenset(",[]{}#&*!|>'\"%@`?:-")


class _Decline(Exception):
    """The text is outside the subset; PyYAML reads it."""


def read_block_yaml(text: str) -> tuple[Any, dict[KeyPath, Span], dict[KeyPath, Span]] | None:
    """``(data, value_spans, key_spans)`` as ``parse_yaml`` builds them, or ``None`` when ``text``
    is outside the subset (including every invalid document: PyYAML reports those)."""
    if len(text) > _MAX_CHARS or not text.isascii():
        return None
    lines = text.split("\n")
    # isprintable() on ASCII refuses tabs, \r, NULs and every other control character.
    if len(lines) > _MAX_LINES or not all(line.isprintable() for line in lines):
        return None
    try:
        return _Reader(lines, text.endswith("\n")).document()
    except _Decline:
        return None


def marks_span(start: Mark, end: Mark) -> Span:
    """The span of a node from its start and end marks."""
    (start_line, start_column), (end_line, end_column) = start, end
    # A block collection's end mark sits at the start of the next token, often on a later line:
    # at column 0 that is clamped to the line before, so a finding does not spill onto the next key.
    if end_column == 0 and end_line > start_line:
        return Span(start_line + 1, start_column + 1, end_line, 10_000)
    return Span(start_line + 1, start_column + 1, end_line + 1, end_column + 1)


def _past_spaces(line: str, column: int) -> int:
    """The first column at or after ``column`` that holds no space (``len(line)`` when none does),
    without copying the rest of the line (a signature's line can be thousands of characters)."""
    end = len(line)
    while column < end and line[column] == " ":
        column += 1
    return column


def _is_entry(line: str, column: int) -> bool:
    """Whether ``line`` holds a sequence entry (``-`` then a space or the line's end) at ``column``."""
    return line.startswith("- ", column) or (len(line) == column + 1 and line[column] == "-")


class _Reader:
    """One document, read line by line; each method takes the line index and column where its node
    starts and returns the node's value and the index of the line after it."""

    def __init__(self, lines: list[str], ends_with_newline: bool) -> None:
        self.lines = lines
        # Each line's indentation, asked of most lines several times.
        self.indents = [len(line) - len(line.lstrip(" ")) for line in lines]
        # libyaml ends the stream at column 0 of the line after the last, adding one if the text
        # does not end with a line break.
        self.stream_end: Mark = (len(lines) - 1 if ends_with_newline else len(lines), 0)
        self.value_spans: dict[KeyPath, Span] = {}
        self.key_spans: dict[KeyPath, Span] = {}

    def document(self) -> tuple[Any, dict[KeyPath, Span], dict[KeyPath, Span]]:
        if any(line.startswith(("---", "...")) for line in self.lines):
            raise _Decline  # document markers
        if self.stream_end[0] == len(self.lines) and self.next_content(len(self.lines) - 1) == len(self.lines):
            # A last line of spaces or a comment without a line break: libyaml closes the collections
            # indented past where that line's scan stops there, not at the stream's end.
            raise _Decline
        first = self.next_content(0)
        if first == len(self.lines):
            raise _Decline  # an empty document
        data, after = self.block(first, self.indents[first], (), 0)
        if self.next_content(after) != len(self.lines) or len(self.value_spans) + len(self.key_spans) > _MAX_NODES:
            raise _Decline
        return data, self.value_spans, self.key_spans

    def next_content(self, index: int) -> int:
        """The first line at or after ``index`` that is neither blank nor a comment."""
        lines, indents = self.lines, self.indents
        while index < len(lines):
            indent = indents[index]
            if indent < len(lines[index]) and lines[index][indent] != "#":
                return index
            index += 1
        return index

    def mark(self, index: int) -> Mark:
        """Where the token starting the content line ``index`` begins (the stream's end past the last)."""
        return (index, self.indents[index]) if index < len(self.lines) else self.stream_end

    def block(self, index: int, column: int, path: KeyPath, depth: int) -> tuple[Any, int]:
        """A block sequence or mapping whose first entry starts at ``column`` of line ``index``."""
        if depth > _MAX_DEPTH:
            raise _Decline
        if _is_entry(self.lines[index], column):
            return self.sequence(index, column, path, depth, indentless=False)
        return self.mapping(index, column, path, depth)

    def sequence(self, index: int, column: int, path: KeyPath, depth: int, *, indentless: bool) -> tuple[Any, int]:
        """A block sequence; ``indentless`` when it is a mapping value whose ``-`` sit at the key's column."""
        start = (index, column)
        items: list[Any] = []
        while True:
            line = self.lines[index]
            content = _past_spaces(line, column + 1)
            if content == len(line):
                raise _Decline  # an entry whose value starts on a later line
            value, index = self.entry_value(index, content, column, (*path, len(items)), depth + 1)
            items.append(value)
            index = self.next_content(index)
            if index == len(self.lines):
                break
            indent = self.indents[index]
            if indent > column or (indent == column and not _is_entry(self.lines[index], column) and not indentless):
                raise _Decline
            if indent < column or not _is_entry(self.lines[index], column):
                break
        self.value_spans[path] = marks_span(start, self.mark(index))
        return items, index

    def mapping(self, index: int, column: int, path: KeyPath, depth: int) -> tuple[Any, int]:
        start = (index, column)
        data: dict[Any, Any] = {}
        while True:
            line = self.lines[index]
            key_text, after_colon = _split_key(line, column)
            key = _resolve(key_text)
            if key in data:
                raise _Decline  # a duplicate key: PyYAML keeps the last value but both values' spans
            # The span map keys a mapping key by its text, except that an int key is the int.
            child = (*path, key if type(key) is int else key_text)
            self.key_spans[child] = marks_span((index, column), (index, column + len(key_text)))
            data[key], index = self.mapping_value(index, after_colon, column, child, depth + 1)
            index = self.next_content(index)
            if index == len(self.lines):
                break
            indent = self.indents[index]
            if indent > column or (indent == column and _is_entry(self.lines[index], column)):
                raise _Decline
            if indent < column:
                break
        self.value_spans[path] = marks_span(start, self.mark(index))
        return data, index

    def mapping_value(self, index: int, after_colon: int, key_column: int, path: KeyPath,
                      depth: int) -> tuple[Any, int]:
        line = self.lines[index]
        content = _past_spaces(line, after_colon)
        if content < len(line):
            if _is_entry(line, content):
                raise _Decline  # `key: - item` is not YAML
            return self.inline(index, content, key_column, path, mapping_allowed=False)
        following = self.next_content(index + 1)
        if following < len(self.lines):
            indent = self.indents[following]
            if indent > key_column:
                return self.block(following, indent, path, depth)
            if indent == key_column and _is_entry(self.lines[following], indent):
                return self.sequence(following, indent, path, depth, indentless=True)
        # Nothing: an empty scalar, null, placed where the `:` ends.
        self.value_spans[path] = marks_span((index, after_colon), (index, after_colon))
        return None, index + 1

    def entry_value(self, index: int, content: int, dash_column: int, path: KeyPath, depth: int) -> tuple[Any, int]:
        """What follows a sequence entry's ``-`` on its line: a nested sequence, a compact mapping or a scalar."""
        if depth > _MAX_DEPTH:
            raise _Decline
        if _is_entry(self.lines[index], content):
            return self.sequence(index, content, path, depth, indentless=False)
        return self.inline(index, content, dash_column, path, mapping_allowed=True, depth=depth)

    def inline(self, index: int, content: int, owner_column: int, path: KeyPath, *, mapping_allowed: bool,
               depth: int = 0) -> tuple[Any, int]:
        """A node starting mid-line at ``content``; a scalar's continuation lines must be indented
        past ``owner_column`` (the column of its key or ``-``)."""
        line = self.lines[index]
        first = line[content]
        if first in "'\"":
            return self.quoted(index, content, owner_column, path)
        rest = line[content:].rstrip(" ")
        if rest in ("{}", "[]"):
            self.value_spans[path] = marks_span((index, content), (index, content + 2))
            return ({} if rest == "{}" else []), index + 1
        if first in _INDICATORS and not (first == "-" and len(rest) > 1):
            raise _Decline
        if " #" in rest:
            raise _Decline  # a comment after a plain scalar
        if ": " in rest or rest.endswith(":"):
            if not mapping_allowed:
                raise _Decline
            return self.mapping(index, content, path, depth)
        return self.plain(index, content, rest, owner_column, path)

    def plain(self, index: int, content: int, text: str, owner_column: int, path: KeyPath) -> tuple[Any, int]:
        """A plain scalar, folded over the more-indented lines that follow it without a blank line."""
        start = (index, content)
        chunks = [text]
        end = (index, content + len(text))
        index += 1
        while index < len(self.lines):
            line = self.lines[index]
            indent = self.indents[index]
            if indent <= owner_column or indent == len(line) or line[indent] == "#":
                break
            more = line[indent:].rstrip(" ")
            if more[0] in _INDICATORS or ": " in more or " #" in more or more.endswith(":"):
                raise _Decline
            chunks.append(more)
            end = (index, indent + len(more))
            index += 1
        self.value_spans[path] = marks_span(start, end)
        return _resolve(" ".join(chunks)), index

    def quoted(self, index: int, content: int, owner_column: int, path: KeyPath) -> tuple[Any, int]:
        """A single- or double-quoted scalar (double only without escapes), folded as YAML folds a
        quoted scalar over lines: one line break is a space, each blank line after it a newline."""
        lines = self.lines
        quote = lines[index][content]
        chunks: list[str] = []
        start = (index, content)
        position = content + 1
        while True:
            line = lines[index]
            close = _closing_quote(line, position, quote)
            piece = line[position:] if close < 0 else line[position:close]
            if quote == '"' and "\\" in piece:
                raise _Decline
            if quote == "'":
                piece = piece.replace("''", "'")
            if close >= 0:
                chunks.append(piece)
                after = line[close + 1:]
                if after.strip(" ") and not after.lstrip(" ").startswith("#") or after.startswith("#"):
                    raise _Decline  # a key (`'a': 1`) or anything else after the closing quote
                self.value_spans[path] = marks_span(start, (index, close + 1))
                return "".join(chunks), index + 1
            chunks.append(piece.rstrip(" "))
            blank_lines = 0
            index += 1
            while index < len(lines) and not lines[index].strip(" "):
                blank_lines += 1
                index += 1
            if index == len(lines) or self.indents[index] <= owner_column:
                raise _Decline  # unterminated, or continued at a column the dumper never writes
            chunks.append("\n" * blank_lines if blank_lines else " ")
            position = self.indents[index]


def _closing_quote(line: str, position: int, quote: str) -> int:
    """The column of the quote that ends a quoted scalar on ``line``, or -1 (``''`` is a quote inside one)."""
    close = line.find(quote, position)
    while quote == "'" and close >= 0 and line.startswith("''", close):
        close = line.find(quote, close + 2)
    return close


def _split_key(line: str, column: int) -> tuple[str, int]:
    """A plain key at ``column`` and the column after its ``:``."""
    colon = line.find(": ", column)
    if colon < 0:
        if not line.endswith(":"):
            raise _Decline
        colon = len(line) - 1
    key = line[column:colon]
    if not key or key[0] in _INDICATORS or key != key.rstrip(" ") or " #" in key or len(key) > _MAX_KEY:
        raise _Decline
    return key, colon + 1


def _resolve(text: str) -> Any:
    """The value PyYAML's SafeLoader constructs from the plain scalar ``text``."""
    if text in _NULLS or not text:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if text in ("<<", "="):
        raise _Decline  # a merge key, or the `value` tag SafeLoader cannot construct
    if text[0] not in _NUMBER_START:
        return text
    sign, body = (-1 if text[0] == "-" else 1, text[1:]) if text[0] in "+-" else (1, text)
    if body[:1] not in _DIGITS_AND_DOT:
        return text  # a sign not followed by a digit or `.`: no number starts so
    whole, dot, fraction = body.partition(".")
    if whole.isdigit() and not dot and (whole == "0" or whole[0] != "0"):
        if len(whole) > _MAX_INT_DIGITS:
            raise _Decline  # int() refuses it (ValueError): PyYAML's path turns that into the finding
        return sign * int(whole)
    if whole.isdigit() and dot and (not fraction or fraction.isdigit()):
        return sign * float(body)
    # A string when no YAML 1.1 int, float or timestamp could match: each holds at most one `.`,
    # and past the hex and binary prefixes, `.inf`/`.nan` and a timestamp's `YYYY-`, only the
    # characters of _NUMERIC (a run id such as `070430bf...` is a string).
    if body.count(".") >= 2 or (body[:2] not in ("0x", "0b") and body[0] != "." and body[4:5] != "-"
                                and not _NUMERIC.issuperset(body)):
        return text
    raise _Decline  # octal, `_`, sexagesimal, exponents, `.inf`, timestamps...: PyYAML decides
