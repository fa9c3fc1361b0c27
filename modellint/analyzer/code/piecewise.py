"""A large source file's tree built one piece at a time, so that no whole-file tree is ever alive.

``ast.parse`` of a 213 KB module (sympy's ``polytools.py``) holds about 6 MB of C arena and
Python nodes at once, and the process keeps that high-water mark for the rest of the run: the
trees of a vendored package's few big files set a project run's peak memory. Here a file is cut
at lines that look like a statement at column 0 (a keyword, a decorator, a name assigned or
called; not a clause that continues a compound statement, nor the line after a decorator) and, inside a large top-level class, at lines that
start one of its methods or nested classes (``def``, ``async def``, ``class``, a decorator) at
the class body's indentation; each piece is parsed alone, with blank lines in front so that its
positions are the file's, and its statements are handed out before the next piece is parsed.

:func:`piecewise_module` returns an ``ast.Module`` whose ``body`` yields the file's top-level
statements in order while it is iterated: a visitor walking it sees the nodes, positions and
nesting the whole-file tree has, holding one piece at a time. A class cut at its methods is
handed out as its ``ClassDef`` whose ``body`` is iterated the same way.

Why a successful parse of every piece is the whole file's parse. The tokenizer reads left to
right, so at the end of a piece its state is the whole file's state at that point: a piece that
ends inside a string, a bracket, a backslash continuation or a compound statement's header with
no body fails to parse (EOF in those states is an error). A cut line therefore starts a logical
line; at column 0 that is a new top-level statement (a clause continuing the statement before
would not parse alone), and at the indentation of a class body
(checked against the class's first statement) while the class is still open (checked: a piece of
the body shows the class ending by holding top-level statements after it) it is a statement of
that body, since every block nested in the body is indented further. Statements are parsed by
the same grammar whatever surrounds them (a class-body piece is parsed under ``if 1:``, whose
block has the class body's grammar). So any failure, or any piece that does not fit where it was
cut, raises :class:`PiecesFailed` (after a few tries of a failing piece up to a later cut): the
caller parses the whole file as before, which also makes every syntax error and nesting limit
exactly the whole file's.

Files this is not used for (the caller parses them whole): smaller than :data:`PIECEWISE_BYTES`;
with a null byte, a form feed, a carriage return not followed by a line feed (Python counts it
as a line end, the cuts count only ``\\n``); a coding cookie other than UTF-8 (later pieces are
read as UTF-8); ``from __future__ import barry_as_FLUFL``, the one future import that changes
the grammar (``<>``), which the parser turns on only for the piece holding it.

Nothing here imports or runs the analysed code.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import deque
from collections.abc import Iterator

__all__ = ["PIECE_BYTES", "PIECEWISE_BYTES", "PiecesFailed", "drain", "finished", "piecewise_module"]

# Files from this size on are parsed in pieces of at least PIECE_BYTES (where cuts allow): a
# piece's tree takes about 40 bytes per source byte, and each parse call has a fixed cost.
PIECEWISE_BYTES = 24 * 1024
PIECE_BYTES = 8 * 1024

# A line inside a class body that may begin a piece: its indentation, then def, async def, class
# or a decorator.
_STARTS = re.compile(rb"^([ \t]*)(?:(?:async[ \t]+)?def[ \t]|class[ \t]|@)", re.MULTILINE)
# A line of code at column 0 that may start a statement (not blank, a comment or a closing
# bracket): a class body ends before the first one.
_COLUMN_ZERO = re.compile(rb"^[^ \t\r\n#)\]}]", re.MULTILINE)
_CLASS = re.compile(rb"class[ \t]")
# A column-0 line that looks like the start of a statement (a keyword, a decorator, a name
# assigned, called, indexed or annotated), not prose in a string; the clauses that go on the
# compound statement before them (else, elif, except, finally) are not among them.
_STATEMENT = re.compile(rb"(?:async|class|def|for|from|if|import|try|while|with)\b|@"
                        rb"|(?!(?:else|elif|except|finally)\b)[A-Za-z_][\w.]*[ \t]*(?:[=(\[:,]|[-+*/%&|^<>@]+=)")
# A piece that fails to parse is extended over this many more cuts before the file is parsed whole.
_EXTENSIONS = 3
_FIRST_BODY_LINE = re.compile(rb"^([ \t]+)[^ \t\r\n#]", re.MULTILINE)
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)


class PiecesFailed(Exception):
    """A piece did not parse or did not fit where it was cut: parse the whole file instead."""


def piecewise_module(data: bytes) -> ast.Module | None:
    """The tree of ``data`` built piece by piece as its ``body`` is iterated (see the module
    docstring), or None when the file is to be parsed whole. Iterating the body raises
    :class:`PiecesFailed` (or what ``ast.parse`` raises) when a piece does not parse; iterate
    it once, in order, under the caller's warning filters."""
    if len(data) < PIECEWISE_BYTES or not _cuttable(data):
        return None
    cuts = _cuts(data)
    if not cuts:
        return None
    return ast.Module(body=_Body(_module_statements(_Cursor(data, cuts))), type_ignores=[])


def finished(module: ast.Module) -> bool:
    """Whether the body of :func:`piecewise_module`'s tree was iterated to its end."""
    return isinstance(module.body, _Body) and module.body.finished


def drain(module: ast.Module) -> None:
    """Parse every piece without visiting (a file with nothing to collect is still parsed: one
    Python refuses fails the load)."""
    for statement in module.body:
        if isinstance(statement, ast.ClassDef) and isinstance(statement.body, _Body):
            for _ in statement.body:
                pass


def _cuttable(data: bytes) -> bool:
    if b"\0" in data or b"\f" in data or b"barry_as_FLUFL" in data:
        return False
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return False
    head = data[:data.find(b"\n", data.find(b"\n") + 1) + 1] if b"\n" in data else data
    if _COOKIE.search(head):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            return False
        return encoding in ("utf-8", "utf-8-sig")
    return True


class _Cut:
    """A piece starts at byte ``offset``, line ``line``. For a cut inside a class body:
    ``indent`` is the body's indentation, ``class_line`` and ``class_offset`` where the class
    statement's ``class`` line is."""

    __slots__ = ("offset", "line", "indent", "class_line", "class_offset")

    def __init__(self, offset: int, line: int, indent: bytes = b"", class_line: int = 0, class_offset: int = 0) -> None:
        self.offset = offset
        self.line = line
        self.indent = indent
        self.class_line = class_line
        self.class_offset = class_offset


def _cuts(data: bytes) -> list[_Cut]:
    """Where pieces start after the first (at 0), at least :data:`PIECE_BYTES` apart where the
    file allows."""
    columns_zero = [match.start() for match in _COLUMN_ZERO.finditer(data)]
    candidates: list[tuple[int, bytes, int]] = []  # (offset, class body indentation, class offset)
    for index, start in enumerate(columns_zero):
        if not _STATEMENT.match(data, start):
            continue
        if start and not _after_decorator(data, start, b""):
            candidates.append((start, b"", 0))
        end = columns_zero[index + 1] if index + 1 < len(columns_zero) else len(data)
        if _CLASS.match(data, start) and end - start > PIECE_BYTES:
            candidates.extend(_body_candidates(data, start, end))
    cuts: list[_Cut] = []
    last = counted = 0
    line = 1
    class_offset, class_line = -1, 0
    for offset, indent, header in candidates:
        if offset - last < PIECE_BYTES:
            continue
        if indent and header != class_offset:
            line += data.count(b"\n", counted, header)
            counted, class_offset, class_line = header, header, line
        line += data.count(b"\n", counted, offset)
        counted = last = offset
        cuts.append(_Cut(offset, line, indent, class_line if indent else 0, class_offset if indent else 0))
    return cuts


def _body_candidates(data: bytes, header: int, end: int) -> list[tuple[int, bytes, int]]:
    """Lines between the class line at ``header`` and ``end`` that start a def, class or
    decorator at the indentation of the line after the class line (its body's when the header
    is one line; the cursor checks it)."""
    body = data.find(b"\n", header) + 1
    first = _FIRST_BODY_LINE.search(data, body, end)
    if first is None or (b" " in first.group(1) and b"\t" in first.group(1)):
        return []
    indent = first.group(1)
    # Not at the first statement: the piece before it would be a class without a body.
    return [(match.start(), indent, header) for match in _STARTS.finditer(data, first.end(), end)
            if match.group(1) == indent and not _after_decorator(data, match.start(), indent)]


def _after_decorator(data: bytes, start: int, indent: bytes) -> bool:
    """Whether the line before ``start`` is a decorator at ``indent``, or the closing bracket
    of one written over several lines: the statement goes on (a cut there would fail)."""
    previous = data.rfind(b"\n", 0, start - 1) + 1
    return data.startswith(indent, previous) and data[previous + len(indent):previous + len(indent) + 1] in _GOES_ON


_GOES_ON = frozenset((b"@", b")", b"]", b"}"))


class _Cursor:
    """The pieces of one file, parsed in order."""

    def __init__(self, data: bytes, cuts: list[_Cut]) -> None:
        self.data = data
        self.cuts = cuts
        self.index = 0  # pieces parsed so far

    @property
    def done(self) -> bool:
        return self.index > len(self.cuts)

    def next_in_class(self) -> _Cut | None:
        """The cut the next piece starts at, when that is inside a class body."""
        if 0 < self.index <= len(self.cuts) and self.cuts[self.index - 1].indent:
            return self.cuts[self.index - 1]
        return None

    def parse(self) -> deque[ast.stmt]:
        """The statements of the next piece; a piece inside a class body is parsed under ``if 1:``
        and comes back as that ``If`` followed by the top-level statements after the class. A
        piece that does not parse (cut inside a string, most often) is tried again up to the
        following cut, a few times."""
        start = self.cuts[self.index - 1] if self.index else None
        if start is None:
            head = b""
        elif start.indent:
            head = b"\n" * (start.line - 2) + b"if 1:\n"
        else:
            head = b"\n" * (start.line - 1)
        for extension in range(_EXTENSIONS + 1):
            end = self.cuts[self.index].offset if self.index < len(self.cuts) else len(self.data)
            self.index += 1
            try:
                module = ast.parse(head + self.data[start.offset if start else 0:end])
            except SyntaxError as error:
                if self.index > len(self.cuts) or extension == _EXTENSIONS:
                    raise PiecesFailed(str(error)) from None
                continue
            except (ValueError, RecursionError, MemoryError) as error:
                raise PiecesFailed(str(error)) from None
            return deque(module.body)
        raise AssertionError("unreachable: the last extension returns or raises")

    def fits_class(self, statement: ast.stmt) -> bool:
        """Whether ``statement``, the last of a piece, is the class the next piece's cut is in,
        with the cut's indentation as its body's."""
        cut = self.next_in_class()
        if cut is None or not isinstance(statement, ast.ClassDef) or statement.lineno != cut.class_line:
            return False
        first = statement.body[0]
        line_start = cut.class_offset
        for _ in range(first.lineno - cut.class_line):
            line_start = self.data.find(b"\n", line_start) + 1
        return self.data.startswith(cut.indent, line_start) and first.col_offset == len(cut.indent)


class _Body(list[ast.stmt]):
    """A statement list that exists only while iterated, once and in order: the visitor's
    ``for statement in node.body`` pulls the pieces in. Anything else would see an empty list,
    so it fails loudly instead."""

    def __init__(self, statements: Iterator[ast.stmt]) -> None:
        super().__init__()
        self._statements: Iterator[ast.stmt] | None = statements
        self.finished = False

    def __iter__(self) -> Iterator[ast.stmt]:
        statements, self._statements = self._statements, None
        if statements is None:
            raise PiecesFailed("a piecewise body is iterated once")
        yield from statements
        self.finished = True

    def _refuse(self, *args: object) -> None:
        raise PiecesFailed("a piecewise body is only iterated")

    __len__ = __getitem__ = __reversed__ = __contains__ = __bool__ = _refuse  # type: ignore[assignment]


def _module_statements(cursor: _Cursor) -> Iterator[ast.stmt]:
    pending: deque[ast.stmt] = deque()
    while True:
        if not pending:
            if cursor.done:
                return
            if cursor.next_in_class() is not None:
                raise PiecesFailed("a class-body piece after the class ended")
            pending = cursor.parse()
            if not pending:
                continue
        statement = pending.popleft()
        if not pending and cursor.next_in_class() is not None:
            if not cursor.fits_class(statement):
                raise PiecesFailed("the piece after this one is not in its last class")
            assert isinstance(statement, ast.ClassDef)
            state = _ClassState()
            statement.body = _Body(_class_statements(cursor, deque(statement.body), statement.lineno, state))
            yield statement
            del statement
            if not state.finished:
                raise PiecesFailed("a class cut in pieces was not visited to its end")
            pending = state.after
        else:
            yield statement
            del statement


class _ClassState:
    __slots__ = ("finished", "after")

    def __init__(self) -> None:
        self.finished = False
        self.after: deque[ast.stmt] = deque()  # top-level statements after the class, in its last piece


def _class_statements(cursor: _Cursor, first: deque[ast.stmt], class_line: int,
                      state: _ClassState) -> Iterator[ast.stmt]:
    statements = first
    while True:
        while statements:
            yield statements.popleft()
        cut = cursor.next_in_class()
        if cut is None:  # the class ended with the piece
            break
        if cut.class_line != class_line:
            raise PiecesFailed("a class-body piece of another class")
        piece = cursor.parse()
        wrapper = piece.popleft()
        if not isinstance(wrapper, ast.If):
            raise PiecesFailed("a class-body piece is not its wrapper")
        statements = deque(wrapper.body)
        del wrapper
        if piece:  # the class ended in this piece: the rest is top level
            while statements:
                yield statements.popleft()
            state.after = piece  # the next piece, if in a class body, must continue its last class
            break
    state.finished = True
