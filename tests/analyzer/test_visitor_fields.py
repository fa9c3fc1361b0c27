"""The ast visitor of :mod:`modellint.analyzer.code.source_imports` skips fields it never needs."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

from modellint.analyzer.code import source_imports


def test_the_fields_the_visitor_skips_never_hold_a_node_it_would_visit():
    """The ast visitor skips fields named in ``_SCALAR_FIELDS`` (names, numbers, flags, operators):
    over the standard library's own sources (every kind of node CPython's grammar has), no such
    field holds a node that is not a leaf."""
    checked = 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            for field in source_imports._SCALAR_FIELDS & set(node._fields):
                value = getattr(node, field, None)
                for item in value if isinstance(value, list) else [value]:
                    assert not isinstance(item, ast.AST) or isinstance(item, source_imports._LEAVES), (path, node, field)
                checked += 1
    assert checked > 100_000
