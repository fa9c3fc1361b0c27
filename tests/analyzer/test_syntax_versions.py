"""Syntax newer than the declared Python, and files the running interpreter cannot judge."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from modellint.analyzer.code import source_imports as imports
from modellint.analyzer.code.source_imports import scan_source

PATH = Path("code/mod.py")
RUNNING = sys.version_info[:2]


@pytest.mark.parametrize(("source", "python", "line"), [
    ("if (n := 1):\n    pass\n", (3, 7), 1),
    ("def f(a, /):\n    return a\n", (3, 7), 1),
    ("with (open('a') as f, open('b') as g):\n    pass\n", (3, 8), 1),
    ("@buttons[0].clicked\ndef f():\n    pass\n", (3, 8), 1),  # PEP 614: feature_version misses it
    ("def f():\n    return 1, *rest\n", (3, 7), 2),  # feature_version misses it
    ("x = y[z := 0]\n", (3, 9), 1),  # feature_version misses it
    ("match x:\n    case 1:\n        pass\n", (3, 9), 1),
    ("x = Array[*Shape]\n", (3, 10), 1),  # PEP 646: feature_version misses it
    ("try:\n    pass\nexcept* ValueError:\n    pass\n", (3, 10), 3),
])
def test_syntax_the_declared_python_lacks(source, python, line):
    scan = scan_source(source, PATH, python=python)
    assert scan.error is None and scan.too_new is not None, scan
    assert scan.too_new.span.line >= line
    assert scan_source(source, PATH, python=RUNNING).too_new is None  # fine where it is supported


@pytest.mark.parametrize(("source", "python"), [
    ("x = y[(z := 0)]\n", (3, 8)),
    ("def f():\n    return (1, *rest)\n", (3, 7)),
    ("@a.b.c(1)\ndef f():\n    pass\n", (3, 6)),
    ("x = f'{a!r:>{w}}' + f\"{'q'}\" + f'''{\"x\"}'''\n", (3, 7)),
])
def test_older_spellings_of_the_same_thing_are_fine(source, python):
    assert scan_source(source, PATH, python=python).too_new is None


@pytest.mark.parametrize("source", [
    "type X = int\n",
    "def f[T](x: T) -> T:\n    return x\n",
    "class Box[T]:\n    pass\n",
])
def test_pep_695_on_311_whatever_python_runs_modellint(source):
    scan = scan_source("import os\n" + source, PATH, python=(3, 11))
    assert scan.error is None and scan.too_new is not None and scan.too_new.span.line >= 2, scan
    assert [fact.module for fact in scan.imports] == ["os"]


@pytest.mark.skipif(RUNNING < (3, 12), reason="only a 3.12+ interpreter parses PEP 701 f-strings at all")
@pytest.mark.parametrize("source", [
    'x = f"{d["k"]}"\n',
    "x = f'{\"\\n\".join(a)}'\n",
    "x = f'{f'{y}'}'\n",
    "x = f'''{y # comment\n}'''\n",
    "x = f'{y\n}'\n",
])
def test_pep_701_fstrings_on_311(source):
    scan = scan_source(source, PATH, python=(3, 11))
    assert scan.too_new is not None and "PEP 701" in scan.too_new.feature, scan
    assert scan_source(source, PATH, python=(3, 12)).too_new is None


@pytest.mark.skipif(RUNNING >= (3, 12), reason="needs an interpreter older than the `type` statement")
def test_a_file_newer_than_the_running_python_is_read_with_libcst_not_misreported():
    # 3.12 syntax under a 3.10/3.11 modellint: the model declaring 3.12 is fine, its imports checked.
    scan = scan_source("import numpy\ntype X = int\n", PATH, python=(3, 12))
    assert scan.error is None and scan.too_new is None and [f.module for f in scan.imports] == ["numpy"]
    # What neither this interpreter nor libcst reads may still parse on the declared newer Python:
    # unchecked (a warning), never "a syntax error".
    broken = scan_source("import numpy\ntype X = int\ndef f(:\n    pass\n", PATH, python=(3, 12))
    assert broken.error_kind == "interpreter" and "run modellint under Python 3.12" in broken.error


def test_a_declared_python_no_newer_than_the_running_one_gets_cpythons_verdict(monkeypatch):
    scan = scan_source("import os\ndef f(:\n    pass\n", PATH, python=RUNNING)
    assert (scan.error_kind, scan.error_span.line) == ("syntax", 2)
    # Pretend modellint runs on an older Python than the model's: the same file is only unchecked.
    monkeypatch.setattr(imports, "_RUNNING", (3, 6))
    scan = scan_source("import os\ndef f(:\n    pass\n", PATH, python=(3, 11))
    assert scan.error_kind == "interpreter" and "cannot parse it" in scan.error


@pytest.mark.parametrize(("source", "kind"), [
    (b"import os\n\0\n", "syntax"),
    (b"import os\nx = '\xe9'\n", "syntax"),
    (b"# coding: klingon\nimport os\n", "syntax"),
    (b"# coding: rot13\nimport os\n", "syntax"),
    (b"\xef\xbb\xbf# coding: latin-1\nimport os\n", "syntax"),
    (b"x = " + b"(" * 5000 + b")" * 5000 + b"\n", "syntax"),
    (b"def f(:\n    pass\n", "syntax"),  # no `import` anywhere: still parsed
])
def test_every_refusal_is_an_error_of_a_kind_never_an_empty_scan(source, kind):
    scan = scan_source(source, PATH, python=(3, 11))
    assert scan.error and scan.error_kind == kind and scan.imports == ()
