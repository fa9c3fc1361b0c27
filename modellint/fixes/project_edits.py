"""Fixes that edit a training project's save/log call: its ``code_paths`` strings (ML203,
ML204), its ``extra_pip_requirements`` (ML209), and the literal a would-be model's line came from
(a fix the rules made for a file MLflow writes, such as ML103's channel, moved onto the project).

A string literal is only rewritten when libcst reads it as a plain one (its prefix and quote are
kept; an f-string, bytes, triple-quoted or implicitly concatenated string is left alone), and a
call is only rewritten inside its own span; every other byte of the file stays as it was. The
edits are built against the file's current text, so a file that changed since it was read gets
no fix rather than a wrong one.
"""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

from modellint.analyzer.files import read_text
from modellint.findings import Applicability, Edit, Fix, Span
from modellint.fixes.edits import replace_span, span_offsets


def _token(text: str, span: Span) -> str | None:
    offsets = span_offsets(text, span)
    return text[offsets[0]:offsets[1]] if offsets else None


def _rewritten_token(token: str, value: str, new_value: str) -> str | None:
    """``token`` (the source of a string literal whose value is ``value``) holding ``new_value``."""
    import libcst

    try:
        node = libcst.parse_expression(token)
    except libcst.ParserSyntaxError:
        return None
    if not isinstance(node, libcst.SimpleString) or any(flag in node.prefix.lower() for flag in "bf"):
        return None
    if node.evaluated_value != value or len(node.quote) != 1:
        return None  # triple quotes or escapes: not the simple literal this edit is for
    if any(char in new_value for char in (node.quote, "\\", "\n", "\r")):
        return None
    return f"{node.prefix}{node.quote}{new_value}{node.quote}"


def retarget_edit(old: str, new: str, path: Path, span: Span) -> Edit | None:
    """The edit making the change ``old`` -> ``new`` to the value written at ``span`` of a project
    file: a Python string literal (the would-be model's requirement or channel came from it) or
    a line of a requirements or conda YAML file the call names. None unless ``old`` occurs
    exactly once in that value, so the change cannot land on other bytes."""
    text, _ = read_text(path)
    token = _token(text, span) if text is not None else None
    if not token or not old or token.count(old) != 1:
        return None
    if path.suffix == ".py":
        value = _string_value(token)
        if value is None or value.count(old) != 1:
            return None
        new_token = _rewritten_token(token, value, value.replace(old, new))
    else:
        new_token = token.replace(old, new)
    return replace_span(path, span, new_token, expected=(token,)) if new_token is not None else None


def _string_value(token: str) -> str | None:
    import libcst

    try:
        node = libcst.parse_expression(token)
    except libcst.ParserSyntaxError:
        return None
    value = node.evaluated_value if isinstance(node, libcst.SimpleString) else None
    return value if isinstance(value, str) else None


def rewrite_entry(path: Path, span: Span, value: str, new_value: str, title: str) -> Fix | None:
    """A safe fix replacing the string literal ``value`` at ``span`` with ``new_value``."""
    text, _ = read_text(path)
    token = _token(text, span) if text is not None else None
    if not token:
        return None
    new_token = _rewritten_token(token, value, new_value)
    if new_token is None:
        return None
    edit = replace_span(path, span, new_token, expected=(token,))
    return Fix(title, (edit,), Applicability.SAFE) if edit is not None else None


def anchor_entry(path: Path, span: Span, value: str, title: str) -> Fix | None:
    """An unsafe fix turning the relative literal ``value`` (``"../src"``) into a path built from
    the file's own location: ``os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")``.

    ``abspath`` keeps it right on Pythons before 3.9, where ``__file__`` of a script run as
    ``python train.py`` is relative. ``import os`` is added above the first import when the
    file does not import it at module level; no fix when the file binds ``os`` to anything else.
    """
    text, _ = read_text(path)
    if text is None:
        return None
    token = _token(text, span)
    if not token:
        return None
    parts = [part for part in PurePosixPath(value.replace("\\", "/")).parts if part != "."]
    if not parts or PurePosixPath(value.replace("\\", "/")).is_absolute():
        return None
    quoted: list[str] = []
    for part in parts:
        rewritten = _rewritten_token(token, value, part)
        if rewritten is None:
            return None
        quoted.append(rewritten)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    binding = _os_binding(tree)
    if binding == "other":
        return None
    expression = f"os.path.join(os.path.dirname(os.path.abspath(__file__)), {', '.join(quoted)})"
    replacement = replace_span(path, span, expression, expected=(token,))
    if replacement is None:
        return None
    edits = [replacement]
    if binding == "missing":
        insertion = _import_insertion(tree, text)
        if insertion is None:
            return None
        newline = "\r\n" if "\r\n" in text else "\n"
        edits.insert(0, Edit(path, insertion, insertion, f"import os{newline}"))
    return Fix(title, tuple(edits), Applicability.UNSAFE)


def _os_binding(tree: ast.Module) -> str:
    """``"module"`` when a module-level ``import os`` binds it, ``"other"`` when the file binds the
    name ``os`` to anything else anywhere, else ``"missing"``."""
    module_level = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname == "os" and alias.name != "os":
                    return "other"
                if alias.asname is None and alias.name.split(".")[0] == "os" and node in tree.body:
                    module_level = True
        elif isinstance(node, ast.ImportFrom):
            if any((alias.asname or alias.name) == "os" for alias in node.names):
                return "other"
        elif isinstance(node, ast.Name) and node.id == "os" and not isinstance(node.ctx, ast.Load):
            return "other"
        elif isinstance(node, ast.arg) and node.arg == "os":
            return "other"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "os":
            return "other"
    return "module" if module_level else "missing"


def _import_insertion(tree: ast.Module, text: str) -> int | None:
    """The offset where a new top-level import goes: the start of the line of the first import
    after ``from __future__`` imports, else of the first statement after the docstring and them."""
    body = list(tree.body)
    index = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        index = 1
    while index < len(body) and isinstance(node := body[index], ast.ImportFrom) and node.module == "__future__":
        index += 1
    imports = [node for node in body[index:] if isinstance(node, (ast.Import, ast.ImportFrom))]
    statement = imports[0] if imports else (body[index] if index < len(body) else None)
    if statement is None or statement.col_offset != 0:
        return None  # shares its line with the statement before it
    line = min([statement.lineno, *(decorator.lineno for decorator in getattr(statement, "decorator_list", ()))])
    offsets = span_offsets(text, Span(line, 1, line, 1))
    return offsets[0] if offsets else None


def add_extra_requirement(path: Path, call_span: Span, requirement: str, title: str) -> Fix | None:
    """An unsafe fix adding ``requirement`` to the call's ``extra_pip_requirements``: appended to
    the list literal written in the call, or a new keyword argument after the last one.

    libcst rewrites only the call expression; the commas and line breaks of the new item copy
    the call's own (one argument per line stays one per line). No fix when the argument is a
    name or any other expression: the list may be shared or built at run time.
    """
    import libcst

    text, _ = read_text(path)
    segment = _token(text, call_span) if text is not None else None
    if not segment:
        return None
    try:
        call = libcst.parse_expression(segment)
    except libcst.ParserSyntaxError:
        return None
    if not isinstance(call, libcst.Call):
        return None
    args = list(call.args)
    existing = [index for index, arg in enumerate(args)
                if arg.keyword is not None and arg.keyword.value == "extra_pip_requirements"]
    # The quote of the list's own strings, else the call's, else double.
    listed = args[existing[0]].value if existing else None
    written = listed.elements if isinstance(listed, libcst.List) else ()
    strings = [element.value for element in written if isinstance(element.value, libcst.SimpleString)]
    quote = strings[-1].quote if strings and len(strings[-1].quote) == 1 else \
        "'" if "'" in segment and '"' not in segment else '"'
    item = libcst.SimpleString(f"{quote}{requirement}{quote}")
    if existing:
        arg = args[existing[0]]
        if not isinstance(arg.value, libcst.List):
            return None
        elements = _appended(list(arg.value.elements), libcst.Element(item), arg.value.lbracket.whitespace_after)
        args[existing[0]] = arg.with_changes(value=arg.value.with_changes(elements=elements))
    else:
        if any(arg.star for arg in args):
            return None
        new = libcst.Arg(value=libcst.List([libcst.Element(item)]), keyword=libcst.Name("extra_pip_requirements"),
                         equal=libcst.AssignEqual(whitespace_before=libcst.SimpleWhitespace(""),
                                                  whitespace_after=libcst.SimpleWhitespace("")))
        args = _appended(args, new, call.whitespace_before_args)
    replacement = libcst.Module([]).code_for_node(call.with_changes(args=args))
    edit = replace_span(path, call_span, replacement, expected=(segment,))
    return Fix(title, (edit,), Applicability.UNSAFE) if edit is not None else None


def _appended(items: list, new, opening):
    """``items`` (call arguments or list elements) with ``new`` last, punctuated like the others.

    The last item's trailing comma and the whitespace before the closing bracket move to the new
    item; the comma between them copies the one between the two items before (a line break and
    indent in a one-per-line call), or, for a single item, the line break after the opening
    bracket (``opening``) when there is one; else ``", "``.
    """
    import libcst

    if not items:
        return [new]
    last = items[-1]
    if len(items) > 1 and isinstance(items[-2].comma, libcst.Comma):
        separator = items[-2].comma
    elif isinstance(opening, libcst.ParenthesizedWhitespace):
        separator = libcst.Comma(whitespace_after=opening)
    else:
        separator = libcst.Comma(whitespace_after=libcst.SimpleWhitespace(" "))
    if isinstance(separator.whitespace_after, libcst.ParenthesizedWhitespace):
        # The line break and indent, without the comment that may end the copied line.
        separator = libcst.Comma(whitespace_after=separator.whitespace_after.with_changes(
            first_line=libcst.TrailingWhitespace(), empty_lines=()))
    trailing = last.comma
    changes: dict[str, object] = {"comma": separator}
    moved: dict[str, object] = {"comma": trailing}
    if isinstance(last, libcst.Arg):
        changes["whitespace_after_arg"] = libcst.SimpleWhitespace("")
        moved["whitespace_after_arg"] = last.whitespace_after_arg
    return [*items[:-1], last.with_changes(**changes), new.with_changes(**moved)]
