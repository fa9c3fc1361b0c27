"""Syntax newer than the Python a model declares: the file loads here and fails there.

CPython's ``ast.parse(source, feature_version=(3, minor))`` rejects most grammar added after
``minor`` (walrus, positional-only parameters, ``match``, ``except*``, parenthesised context
managers, ``type`` statements and type parameters, type parameter defaults...). It is
documented as best effort, and it lets through, measured on 3.11-3.13:

* decorators that are any expression (PEP 614, 3.9): ``@buttons[0].clicked``;
* ``*`` unpacking in a subscript (PEP 646, 3.11): ``Array[*Shape]``;
* unparenthesised starred tuples after ``return`` / ``yield`` (3.8): ``return 1, *rest``;
* an unparenthesised walrus in a subscript (3.10): ``x[y := 0]``;
* PEP 701 f-strings (3.12): the enclosing quote reused inside a replacement field, a
  backslash or a comment there, a replacement field spanning lines of a single-quoted string.
  The 3.12+ tokenizer shows them (``FSTRING_START`` ... ``FSTRING_END``); older interpreters
  reject them when parsing, so they never reach this check.

:func:`too_new` runs both on a tree the running interpreter parsed; :func:`too_new_libcst`
covers a file only libcst could parse (syntax newer than the running interpreter), from the
node types that carry a version. Nothing here imports or runs the analysed code.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings

from modellint.findings import Span
from modellint.record import Record

__all__ = ["TooNew", "too_new", "too_new_libcst"]

RUNNING = sys.version_info[:2]


class TooNew(Record):
    """Syntax at ``span`` that Python ``python`` and later accept, described in ``feature``."""

    __slots__ = ("feature", "python", "span")

    def __init__(self, feature: str, python: tuple[int, int] | None, span: Span) -> None:
        self.feature = feature  # "a `type` statement", or CPython's own message
        self.python = python  # the first Python accepting it, when known
        self.span = span


def too_new(data: bytes, tree: ast.Module, python: tuple[int, int], grammar_error: SyntaxError | None = None,
            *, grammar_checked: bool = False) -> TooNew | None:
    """The first syntax in ``data`` that Python ``python`` cannot parse; None when there is none or
    ``python`` is not older than the running interpreter.

    ``tree`` is the file's tree; ``grammar_error`` what ``ast.parse(data, feature_version=python)``
    raised (None: it accepted the file) when the caller tried, which ``grammar_checked`` says
    (scan_source does, to parse once); else it is tried here.
    """
    if python >= RUNNING or python[0] != 3:
        return None
    if not grammar_checked:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(data, feature_version=max(python, (3, 7)))
        except SyntaxError as error:
            grammar_error = error
        except (ValueError, RecursionError, MemoryError):  # an unsupported feature_version, or depth
            pass
    if grammar_error is not None:
        return TooNew(_describe(grammar_error.msg), None, Span(grammar_error.lineno or 1, grammar_error.offset or 1))
    found = _walk_for_features(tree, data, python) if _may_hold_features(data, python) else None
    if found is None and python < (3, 12) <= RUNNING and b"f" in data:
        found = _pep701_fstring(data)
    return found


def _describe(message: str) -> str:
    # "Pattern matching is only supported in Python 3.10 and greater" and friends say it all.
    return message.rstrip(".")


_STAR_IN_BRACKETS = re.compile(rb"[\[,]\s*\*")
_STARRED_RETURN = re.compile(rb"\b(?:return|yield)\b[^\n]*\*")


def _may_hold_features(data: bytes, python: tuple[int, int]) -> bool:
    """Whether the bytes can hold what :func:`_walk_for_features` looks for: walking a large
    tree costs several times its parse, and most files rule every feature out by a byte search."""
    return ((python < (3, 9) and b"@" in data)
            or (python < (3, 10) and b":=" in data)
            or (python < (3, 11) and _STAR_IN_BRACKETS.search(data) is not None)
            or (python < (3, 8) and _STARRED_RETURN.search(data) is not None))


def _walk_for_features(tree: ast.Module, data: bytes, python: tuple[int, int]) -> TooNew | None:
    lines: list[bytes] | None = None
    for node in ast.walk(tree):
        if python < (3, 9) and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                if not _pre_pep614_decorator(decorator):
                    return TooNew("a decorator that is an arbitrary expression (PEP 614)", (3, 9), _span(decorator))
        elif isinstance(node, ast.Subscript):
            index = node.slice
            elements = index.elts if isinstance(index, ast.Tuple) else [index]
            if python < (3, 11) and any(isinstance(element, ast.Starred) for element in elements):
                return TooNew("`*` unpacking in a subscript (PEP 646)", (3, 11), _span(node))
            if python < (3, 10) and isinstance(index, ast.NamedExpr):
                lines = lines if lines is not None else data.splitlines()
                if not _preceded_by_parenthesis(lines, index):
                    return TooNew("an unparenthesised assignment expression in a subscript", (3, 10), _span(index))
        elif python < (3, 8) and isinstance(node, (ast.Return, ast.Yield)) and isinstance(node.value, ast.Tuple):
            if any(isinstance(element, ast.Starred) for element in node.value.elts):
                lines = lines if lines is not None else data.splitlines()
                if not _preceded_by_parenthesis(lines, node.value):
                    return TooNew("an unparenthesised starred tuple after `return`/`yield`", (3, 8), _span(node))
    return None


def _pre_pep614_decorator(node: ast.expr) -> bool:
    """``name``, ``a.b.c`` or one of those called: the only decorators before Python 3.9."""
    if isinstance(node, ast.Call):
        node = node.func
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _preceded_by_parenthesis(lines: list[bytes], node: ast.expr) -> bool:
    """Whether ``node`` is in its own parentheses: the last non-blank byte before it is ``(``, or,
    for a tuple (whose position includes its parentheses), it starts with ``(`` and ends with ``)``."""
    line, column = node.lineno - 1, node.col_offset
    end_line, end_column = (node.end_lineno or node.lineno) - 1, node.end_col_offset or 0
    if isinstance(node, ast.Tuple) and line < len(lines) and end_line < len(lines):
        if lines[line][column:column + 1] == b"(" and lines[end_line][end_column - 1:end_column] == b")":
            return True
    while line >= 0:
        before = lines[line][:column].rstrip() if line < len(lines) else b""
        if before:
            return before.endswith(b"(")
        line -= 1
        column = len(lines[line]) if line >= 0 else 0
    return False


def _span(node: ast.AST) -> Span:
    return Span(getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)


def _pep701_fstring(data: bytes) -> TooNew | None:
    """The first f-string that only the PEP 701 grammar (3.12) reads, from the 3.12+ tokens.

    Before 3.12 an f-string was first read as a plain string literal: it ended at the first
    unescaped quote of its own kind, could not span lines unless triple-quoted, and its
    replacement fields could hold neither a backslash nor a comment.
    """
    import io
    import tokenize

    if sys.version_info < (3, 12):  # older tokenizers read an f-string as one STRING token
        return None
    fstring_start, fstring_middle, fstring_end = tokenize.FSTRING_START, tokenize.FSTRING_MIDDLE, tokenize.FSTRING_END
    depth = 0
    quote = ""
    try:
        for token in tokenize.tokenize(io.BytesIO(data).readline):
            kind = token.type
            if depth == 0:
                if kind == fstring_start:
                    depth = 1
                    quote = token.string.lstrip("rRfFbBuU")
                continue
            if kind == fstring_start:
                depth += 1
            elif kind == fstring_end:
                depth -= 1
                if depth == 0:
                    continue
            elif kind == fstring_middle and depth == 1:
                continue  # the outer string's own text: may hold anything
            problem = _pre_312_problem(token, quote, tokenize)
            if problem:
                return TooNew(f"an f-string {problem} (PEP 701)", (3, 12), Span(token.start[0], token.start[1] + 1))
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the tree parsed: the tokenizer is only ever this strict on bytes it accepted
    return None


def _pre_312_problem(token, quote: str, tokenize) -> str | None:
    text = token.string
    if token.type == tokenize.COMMENT:
        return "with a comment inside a replacement field"
    if token.type in (tokenize.NL, tokenize.NEWLINE) and len(quote) == 1:
        return "whose replacement field spans lines inside a single-quoted string"
    if quote in text:
        return f"that reuses its own quote `{quote}` inside a replacement field"
    if "\\" in text:
        return "with a backslash inside a replacement field"
    return None


def too_new_libcst(module, python: tuple[int, int]) -> TooNew | None:
    """For a file only libcst parsed (newer than the running interpreter): the first node whose
    syntax ``python`` lacks, among those that carry a version (3.11 and later)."""
    import libcst
    from libcst.metadata import CodeRange, PositionProvider

    found: list[tuple[str, tuple[int, int], libcst.CSTNode]] = []

    class Finder(libcst.CSTVisitor):
        def on_visit(self, node: libcst.CSTNode) -> bool:
            if found:
                return False
            feature = _libcst_feature(node, libcst)
            if feature and python < feature[1]:
                found.append((feature[0], feature[1], node))
                return False
            return True

    wrapper = libcst.MetadataWrapper(module, unsafe_skip_copy=True)
    wrapper.visit(Finder())
    if not found:
        return None
    feature, version, node = found[0]
    position: CodeRange = wrapper.resolve(PositionProvider)[node]
    return TooNew(feature, version, Span(position.start.line, position.start.column + 1))


def _libcst_feature(node, libcst) -> tuple[str, tuple[int, int]] | None:
    if isinstance(node, getattr(libcst, "TypeAlias", ())):
        return "a `type` statement (PEP 695)", (3, 12)
    if isinstance(node, getattr(libcst, "TypeParam", ())) and getattr(node, "default", None) is not None:
        return "a type parameter default (PEP 696)", (3, 13)
    if isinstance(node, (libcst.FunctionDef, libcst.ClassDef)) and getattr(node, "type_parameters", None) is not None:
        return "type parameters (PEP 695)", (3, 12)
    if isinstance(node, getattr(libcst, "TryStar", ())):
        return "`except*` (PEP 654)", (3, 11)
    return None
