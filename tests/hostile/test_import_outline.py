"""The scan-ahead helper's guess at a file's imports (:mod:`modellint.analyzer.code.import_outline`)
reads a model's code before anything has parsed it: every shape of a 512 KiB file is read in
time linear in its size (no pattern backtracking over long runs, no search to the end of the
file for each bracket left open)."""

from __future__ import annotations

import time

import pytest

from modellint.analyzer.code.import_outline import outline
from modellint.analyzer.code.source_imports import MAX_SOURCE_BYTES

SHAPES = {
    "brackets never closed": b"from a import (\n" * (MAX_SOURCE_BYTES // 16),
    "blanks after from": b"from " + b" " * MAX_SOURCE_BYTES + b"x",
    "tabs between the keywords": b"from a" + b"\t" * MAX_SOURCE_BYTES + b"imp",
    "dots after from": b"from " + b"." * MAX_SOURCE_BYTES + b" x",
    "one import of many modules": b"import " + b"a," * (MAX_SOURCE_BYTES // 2),
    "an open bracket of many names": b"from a import (" + b"b," * (MAX_SOURCE_BYTES // 2),
    "import lines inside one bracket": b"from a import (\n" + b"import b\n" * (MAX_SOURCE_BYTES // 9) + b")\n",
    "indentation only": b" " * MAX_SOURCE_BYTES,
}


@pytest.mark.parametrize("shape", SHAPES)
def test_hostile_shapes_are_read_in_linear_time(shape):
    data = SHAPES[shape]
    started = time.process_time()
    outline(data, "pkg")
    assert time.process_time() - started < 2.0  # a linear pass is ~10 ms; quadratic ones took minutes


def test_names_of_a_bracket_spanning_lines_are_read_once():
    data = b"from a import (\n    import_b,\n    c,\n)\nimport d\n"
    assert outline(data, "") == [("a", ("import_b", "c")), ("d", ())]
