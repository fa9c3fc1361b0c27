"""Parsing a large file in pieces, on hostile shapes: bounded, and the whole file's answer.

:mod:`modellint.analyzer.code.piecewise` holds one piece's tree at a time. A file of many tiny
statements makes many pieces, a huge class is cut at its methods, a piece may end inside a
string or hold nesting past CPython's limits: each case either scans in bounded memory and time
with every fact in place, or gives exactly the whole-file scan's answer (the fallback).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from modellint.analyzer.code import piecewise
from modellint.analyzer.code.source_imports import scan_source
from tests.analyzer.test_piecewise import PATH, cut_and_parsed, filler, whole_scan
from tests.conftest import REPO

MEMORY = 200 * 2**20  # the whole-file tree of these files takes gigabytes
SECONDS = 90.0  # on the loaded 2-core VM; about a fifth of that when it is quiet

SCAN_IN_A_CHILD = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from modellint.analyzer.code.source_imports import scan_source

    data = Path(sys.argv[1]).read_bytes()
    start = time.perf_counter()
    scan = scan_source(data, Path("big.py"), package="")
    # This process's own high-water mark: ru_maxrss would keep the forking pytest worker's.
    status = Path("/proc/self/status").read_text()
    peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
    print(json.dumps({
        "seconds": time.perf_counter() - start,
        "peak": peak,
        "error": scan.error,
        "imports": [[fact.module, fact.span.line, fact.span.column, fact.lazy] for fact in scan.imports],
        "methods": sorted({call.method for call in scan.calls}),
    }))
""")


def scan_in_a_child(tmp_path: Path, data: bytes) -> dict:
    if not Path("/proc/self/status").exists():
        pytest.skip("the child's peak memory is read from /proc/self/status")
    source = tmp_path / "big.py"
    source.write_bytes(data)
    completed = subprocess.run([sys.executable, "-c", SCAN_IN_A_CHILD, str(source)], cwd=REPO, capture_output=True,
                               text=True, timeout=SECONDS * 2, check=True)
    return json.loads(completed.stdout)


@pytest.mark.slow
def test_a_hundred_thousand_one_line_defs(tmp_path):
    data = "".join(f"def f{index}(): import m{index}\n" if index % 1000 == 0 else f"def f{index}(): pass\n"
                   for index in range(100_000)).encode()
    result = scan_in_a_child(tmp_path, data)
    assert result["error"] is None
    assert result["imports"] == [[f"m{index}", index + 1, len(f"def f{index}(): import ") + 1, True]
                                 for index in range(0, 100_000, 1000)]
    assert result["peak"] < MEMORY
    assert result["seconds"] < SECONDS


@pytest.mark.slow
def test_a_single_class_of_four_mebibytes(tmp_path):
    body = "".join(f"    def m{index}(self):\n        import k{index}\n        return k{index}.run(self, 'x')\n\n"
                   for index in range(52_000))
    data = ("class Big:\n" + body).encode()
    assert len(data) > 4 * 2**20
    result = scan_in_a_child(tmp_path, data)
    assert result["error"] is None
    assert len(result["imports"]) == 52_000
    assert result["imports"][-1] == ["k51999", 2 + 4 * 51_999 + 1, 16, True]
    assert len(result["methods"]) == 52_000 and "Big.m51999" in result["methods"]
    assert result["peak"] < MEMORY
    assert result["seconds"] < SECONDS


def test_deep_brackets_inside_a_piece_are_the_whole_file_s_error():
    deep = "x = " + "(" * 300 + "1" + ")" * 300 + "\n"
    data = (filler(200) + deep + filler(200)).encode()
    scan = scan_source(data, PATH, package="pkg")
    assert scan == whole_scan(data)
    assert scan.error and "nesting" in scan.error


def test_nesting_too_deep_to_visit_inside_a_piece_is_the_whole_file_s_answer():
    """A chain the parser accepts but the visitor recurses too deep into (RecursionError): the
    pieces fall back, and the whole file's scan says why."""
    chain = "x = f(" + "a." * 30_000 + "b)\n"
    data = (filler(200) + chain + filler(200)).encode()
    scan = scan_source(data, PATH, package="pkg")
    assert scan == whole_scan(data)


def test_a_piece_boundary_inside_a_string():
    text = "\n".join(f"def fake_{index}():\n    import fake_{index}\n" for index in range(2000))
    data = (filler(100) + 's = """\n' + text + '"""\n' + filler(100)).encode()
    assert not cut_and_parsed(data)  # the cut inside the string fails: the whole file answers
    start = time.perf_counter()
    scan = scan_source(data, PATH, package="pkg")
    assert time.perf_counter() - start < 10
    assert scan == whole_scan(data)
    assert not any(fact.module.startswith("fake_") for fact in scan.imports)


def test_a_piece_boundary_inside_an_unterminated_string_is_the_whole_file_s_syntax_error():
    data = (filler(200) + 's = """\n' + "def never_closed():\n    pass\n" * 500).encode()
    scan = scan_source(data, PATH, package="pkg")
    assert scan == whole_scan(data)
    assert scan.error_kind == "syntax"


def test_cuts_are_found_in_linear_time():
    data = ("def f():\n    pass\n\n" * 200_000).encode()
    start = time.perf_counter()
    cuts = piecewise._cuts(data)
    assert time.perf_counter() - start < 5
    assert len(cuts) == len(data) // piecewise.PIECE_BYTES or abs(len(cuts) - len(data) // piecewise.PIECE_BYTES) < 5
