"""The ast visitor's dispatch table and plain-ASCII columns give the facts the textbook visitor gives.

:class:`modellint.analyzer.code.source_imports._AstVisitor` looks its handlers up by exact node
class in a table, skips leaves and scalar fields, and takes a column of a plain-ASCII file as
its byte offset. The reference here is :class:`ast.NodeVisitor`'s own dispatch (a method looked
up by name for every node, every field descended into) with every column decoded from its
line: over the standard library's sources (every node kind CPython's grammar has, non-ASCII
and coding-cookie files among them) both must collect the same facts, spans included.
"""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

from modellint.analyzer.code import source_imports


class TextbookVisitor(source_imports._AstVisitor):
    def __init__(self, collector, data: bytes) -> None:
        super().__init__(collector, data)
        self._ascii = False  # every column through _column, decoded from its line

    visit = ast.NodeVisitor.visit
    generic_visit = ast.NodeVisitor.generic_visit


def facts(visitor_class: type, path: Path, data: bytes, tree: ast.AST) -> source_imports.ModuleScan:
    collector = source_imports._Collector(path, "package.module")
    visitor_class(collector, data).visit(tree)
    return collector.result()


def test_the_table_visitor_collects_what_the_textbook_visitor_collects():
    compared = non_ascii = calls = 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        data = path.read_bytes()
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError):
            continue
        fast = facts(source_imports._AstVisitor, path, data, tree)
        assert fast == facts(TextbookVisitor, path, data, tree), path
        compared += 1
        non_ascii += not data.isascii()
        calls += len(fast.calls)
    assert compared > 150 and non_ascii > 5 and calls > 20_000


def test_columns_count_characters_where_the_bytes_are_not_plain_ascii():
    data = "x = 'é'; import os\n".encode()
    scan = source_imports.scan_source(data, Path("m.py"))
    assert scan.imports[0].span.column == 17  # `os` at character 17; its byte offset + 1 is 18
    cookie = b"# -*- coding: latin-1 -*-\nimport os\n"
    assert not source_imports._plain_ascii(cookie) and source_imports._plain_ascii(b"import os\n")
