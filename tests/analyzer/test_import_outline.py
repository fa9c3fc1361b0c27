"""The scan-ahead helper's guess at a file's imports (:mod:`modellint.analyzer.code.import_outline`):
the statements the visitor records, in its order, read from the lines alone."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from modellint.analyzer.code.import_outline import outline
from modellint.analyzer.code.source_imports import scan_source

SOURCE = b'''\
"""Docs."""
from __future__ import annotations
import os, sys as system
import xml.etree.ElementTree as ET  # a comment
from . import sibling
from ..up import a, b as c
from .deep.er import (
    first,
    second as other,  # why
)
from pkg.star import *


def lazy():
    import json
    try:
        from yaml import safe_load
    except ImportError:
        pass
'''


def test_each_import_statement_in_source_order():
    assert outline(SOURCE, "pkg.sub") == [
        ("os", ()), ("sys", ()), ("xml.etree.ElementTree", ()),
        ("pkg.sub", ("sibling",)), ("pkg.up", ("a", "b")), ("pkg.sub.deep.er", ("first", "second")),
        ("pkg.star", ("*",)), ("json", ()), ("yaml", ("safe_load",)),
    ]


def test_relative_imports_that_cannot_resolve_are_left_out():
    assert outline(b"from . import a\nfrom ... import b\nimport c\n", "pkg") == [("pkg", ("a",)), ("c", ())]
    assert outline(b"from . import a\n", None) == []


def test_what_is_no_import_statement_is_not_read_as_one():
    assert outline(b"important = 1\nx = 'import os'\n>>> import doctested\nfrom_ = 2\n", "") == []


STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.mark.parametrize("name", ["json/__init__.py", "asyncio/base_events.py", "logging/handlers.py",
                                  "email/message.py", "argparse.py", "unittest/case.py"])
def test_the_guess_is_the_visitor_s_imports_on_real_code(name):
    """On ordinary code the guess is the scan's own list (what the walk follows), in order."""
    path = STDLIB / name
    package = ".".join(Path(name).parts[:-1])
    scan = scan_source(path.read_bytes(), path, package=package)
    followed = [(fact.module, fact.names) for fact in scan.imports
                if fact.resolved and not fact.type_checking and not fact.dynamic]
    assert outline(path.read_bytes(), package) == followed
