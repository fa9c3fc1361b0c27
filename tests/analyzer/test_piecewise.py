"""A large file scanned piece by piece gives exactly the facts of its whole-file scan.

:mod:`modellint.analyzer.code.piecewise` cuts a file at column-0 statements and at the methods
of a large class; :func:`~modellint.analyzer.code.source_imports.scan_source` visits the pieces
in order and falls back to the whole-file parse when any piece fails. Every case here compares
the two scans field by field (imports, calls, URLs, dynamic imports, errors and their spans).
"""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import pytest

from modellint.analyzer.code import piecewise, source_imports
from modellint.analyzer.code.source_imports import scan_source
from tests.conftest import REPO

PATH = Path("pkg/module.py")


def whole_scan(data: bytes, python: tuple[int, int] | None = None):
    """The scan with the whole-file tree, as before pieces existed."""
    saved = source_imports._scan_in_pieces
    source_imports._scan_in_pieces = lambda *args: None
    try:
        return scan_source(data, PATH, package="pkg", python=python)
    finally:
        source_imports._scan_in_pieces = saved


def cut_and_parsed(data: bytes) -> bool:
    """Whether ``data`` is cut into pieces that all parse (the piecewise path answers)."""
    module = piecewise.piecewise_module(data)
    if module is None:
        return False
    try:
        piecewise.drain(module)
    except piecewise.PiecesFailed:
        return False
    return piecewise.finished(module)


def filler(count: int, indent: str = "") -> str:
    """Methods or functions with an import, a call and a URL each, enough to pass the size a file
    is cut from."""
    return "".join(
        f"{indent}def helper_{index}(self, value):\n"
        f"{indent}    import json\n"
        f"{indent}    return json.dumps(value, indent={index}) + 'https://example.com/{index}'\n\n"
        for index in range(count))


BIG = 2 * piecewise.PIECEWISE_BYTES // 100  # filler functions in a file past the size

CLASS_BODY = filler(BIG, "    ")

TRICKY = {
    "plain-functions": "import os\n\n" + filler(BIG) + "os.getenv('X')\n",
    "a-big-class": "import numpy as np\n\n\nclass Model:\n    '''doc'''\n\n" + CLASS_BODY
                   + "    def predict(self, context, data):\n        import pandas as pd\n"
                   + "        return pd.read_excel(data, engine='openpyxl')\n",
    "a-docstring-holding-def-at-column-0": "'''Module doc.\n\n" + "def not_code():\n    pass\n\n" * 300
                                           + "'''\n\n" + filler(BIG) + "import late\n",
    "a-function-docstring-holding-class-at-column-0": filler(BIG // 2) + "def f():\n    '''\nclass X:\n    pass\n"
                                                      + "@decorator\n" * 200 + "'''\n    import inner\n\n"
                                                      + filler(BIG // 2),
    "decorators": "".join(f"@decorator_{index}\n@functools.wraps(other)\ndef f{index}():\n    import a{index}\n\n"
                          for index in range(BIG)),
    "decorators-over-lines": "".join(f"@pytest.mark.parametrize(\n    'x',\n    [1, 2],\n)\ndef test_{index}(x):\n"
                                     f"    import b{index}\n\n" for index in range(BIG)),
    "decorated-methods": "class Model:\n" + "".join(
        f"    @property\n    @functools.cache\n    def p{index}(self):\n        import c{index}\n        return c{index}.x()\n\n"
        for index in range(BIG)),
    "nested-classes": "class Outer:\n" + "".join(
        f"    class Inner{index}:\n        import d{index}\n\n        def m(self):\n            import e{index}\n"
        f"            return e{index}.run()\n\n" for index in range(BIG)),
    "type-checking-around-defs": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import typed\n\n"
                                 + filler(BIG // 2) + "if TYPE_CHECKING:\n" + filler(BIG // 2, "    ") + "import after\n",
    "try-import-error-spanning-defs": "try:\n    import fast\n" + filler(BIG, "    ")
                                      + "except ImportError:\n    import slow\n" + filler(BIG),
    "a-class-body-with-imports-between-methods": "class Model:\n" + "".join(
        f"    import f{index}\n\n    def m{index}(self):\n        return f{index}.go()\n\n" for index in range(BIG)),
    "two-big-classes-and-statements-between": "class A(Base, metaclass=make('https://a.example')):\n" + CLASS_BODY
                                              + "x = setup()\nimport between\n\n\n@register('b')\nclass B:\n"
                                              + CLASS_BODY + "main()\n",
    "class-ends-in-the-middle-of-a-piece": "class A:\n" + CLASS_BODY + "import after_a\n" + filler(3)
                                           + "class B:\n" + CLASS_BODY,
    "a-class-decorator-with-calls": "@dataclass(frozen=call_me())\nclass A:\n" + CLASS_BODY,
    "main-guard-at-the-end": filler(BIG) + "if __name__ == '__main__':\n    import runner\n    runner.main()\n",
    "version-conditions": "import sys\nif sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli\n"
                          + filler(BIG),
    "a-string-continued-over-a-cut": filler(BIG // 2) + "x = '''\nclass Fake:\n    import fake\n'''\n" + filler(BIG // 2),
    "a-backslash-continued-into-a-decorator-line": filler(BIG // 2) + "x = a \\\n@ b\n" + filler(BIG // 2),
    "a-bracket-open-over-a-decorator-line": filler(BIG // 2) + "x = (a\n@ b)\n" + filler(BIG // 2),
    "a-header-without-body-before-def": filler(BIG // 2) + "if x:\n" + filler(BIG // 2),
    "a-syntax-error-late": filler(BIG) + "def broken(:\n    pass\n",
    "an-indentation-error-in-a-class": "class A:\n" + CLASS_BODY + "      def odd(self):\n        pass\n" + CLASS_BODY,
    "a-class-whose-body-starts-deeper": "class A:\n    if flag:\n        def f(self):\n            import g\n\n"
                                        + filler(BIG, "        ") + "y = 1\n",
    "a-class-with-a-one-line-body": "class A: import one\n" + filler(BIG),
    "a-class-with-a-header-over-lines": "class A(\n    Base,\n    other=1,\n):\n" + CLASS_BODY,
    "tab-indented-class": "class A:\n" + "".join(f"\tdef m{index}(self):\n\t\timport t{index}\n\n" for index in range(BIG * 3)),
    "non-ascii": "import os\n\n" + "".join(f"def f{index}():\n    return os.path.join('é€😀', 'https://ü.example/{index}')\n\n"
                                           for index in range(BIG)),
    "crlf": ("import os\r\n\r\n" + filler(BIG).replace("\n", "\r\n")),
    "a-lone-carriage-return": "import os\r" + filler(BIG),
    "a-form-feed": "import os\n\x0c\n" + filler(BIG),
    "barry-as-flufl": "from __future__ import barry_as_FLUFL\n\n" + filler(BIG // 2) + "x = 1 <> 2\n" + filler(BIG // 2),
    "barry-as-flufl-with-not-equal": "from __future__ import barry_as_FLUFL\n\n" + filler(BIG // 2) + "x = 1 != 2\n"
                                     + filler(BIG // 2),
    "future-annotations": "from __future__ import annotations\n\n" + filler(BIG),
    "dynamic-imports": "import importlib\n\n" + "".join(
        f"def f{index}(name):\n    importlib.import_module('mod{index}')\n    return importlib.import_module(name)\n\n"
        for index in range(BIG)),
    "async-defs": "".join(f"async def f{index}():\n    import h{index}\n    await h{index}.go()\n\n" for index in range(BIG)),
    "imports-only": "".join(f"from package.module_{index} import (\n    name_a, name_b,\n)\nimport other_{index}\n"
                            for index in range(1200)),
    "statements-at-column-0-inside-a-docstring": filler(BIG // 2) + "def f():\n    '''Example:\n\n"
                                                 + "x = call(1)\nimport not_an_import\n" * 400 + "'''\n\n"
                                                 + filler(BIG // 2),
    "else-and-except-at-column-0": "".join(f"if flag_{index}:\n    import a_{index}\nelse:\n    import b_{index}\n"
                                           f"try:\n    import c_{index}\nexcept ImportError:\n    c_{index} = None\n"
                                           f"finally:\n    done()\n" for index in range(300)),
    "a-method-ends-at-end-of-file-without-newline": "class A:\n" + CLASS_BODY + "    def last(self):\n        import z",
}

ENCODED = {
    "a-utf-8-cookie": b"# -*- coding: utf-8 -*-\nimport os\n\n" + filler(BIG).encode() + "x = 'é'\n".encode(),
    "a-latin-1-cookie": b"# -*- coding: latin-1 -*-\nimport os\n\n" + filler(BIG).encode() + "x = 'é'\n".encode("latin-1"),
    "a-cookie-on-a-piece's-second-line": filler(BIG // 2).encode() + b"def f():\n# coding: latin-1\n    import q\n"
                                         + filler(BIG // 2).encode(),
    "invalid-utf-8-late": filler(BIG).encode() + b"x = '\xff'\n",
    "a-null-byte-late": filler(BIG).encode() + b"x = 1\0\n",
    "a-bom": b"\xef\xbb\xbf" + filler(BIG).encode(),
}

# Cases the pieces must answer themselves (no fallback to the whole-file parse).
PIECED = {"plain-functions", "a-big-class", "decorators", "decorators-over-lines", "decorated-methods", "nested-classes",
          "type-checking-around-defs", "a-class-body-with-imports-between-methods",
          "two-big-classes-and-statements-between", "class-ends-in-the-middle-of-a-piece", "a-class-decorator-with-calls",
          "main-guard-at-the-end", "version-conditions", "tab-indented-class", "non-ascii", "crlf",
          "future-annotations", "dynamic-imports", "async-defs", "a-method-ends-at-end-of-file-without-newline",
          "imports-only", "statements-at-column-0-inside-a-docstring", "else-and-except-at-column-0",
          "a-class-with-a-header-over-lines"}


def all_cases() -> dict[str, bytes]:
    return {**{name: text.encode() for name, text in TRICKY.items()}, **ENCODED}


@pytest.mark.parametrize("name", sorted(all_cases()))
def test_a_tricky_file_scans_as_its_whole_file_scan(name):
    data = all_cases()[name]
    assert len(data) >= piecewise.PIECEWISE_BYTES, "too small to be cut: the case would test nothing"
    pieces = scan_source(data, PATH, package="pkg")
    assert pieces == whole_scan(data)
    if name in PIECED:
        assert cut_and_parsed(data), "the pieces should have answered this file"
        # The visitor walks the pieces as they come (it iterates each body once, in order):
        # anything else would make every large file fall back to the whole-file parse.
        assert source_imports._scan_in_pieces(data, PATH, "pkg") == pieces
        assert pieces.imports or pieces.calls


def test_a_big_class_keeps_each_call_s_method_and_order():
    data = TRICKY["two-big-classes-and-statements-between"].encode()
    scan = scan_source(data, PATH, package="pkg")
    assert cut_and_parsed(data)
    methods = {call.method for call in scan.calls if call.method}
    assert {"A.helper_0", f"A.helper_{BIG - 1}", "B.helper_0", f"B.helper_{BIG - 1}"} <= methods
    lines = [fact.span.line for fact in scan.imports]
    assert lines == sorted(lines)
    assert [fact.module for fact in scan.imports if fact.module == "between"] == ["between"]


def test_a_declared_older_python_parses_whole():
    """The older grammar is tried on the whole file first (one parse, its errors and too-new
    syntax found there): pieces are for the running grammar only."""
    data = ("def f():\n    if (n := 1):\n        import a\n\n" + filler(BIG)).encode()
    scan = scan_source(data, PATH, package="pkg", python=(3, 7))
    assert scan == whole_scan(data, python=(3, 7))
    assert scan.too_new is not None


def test_the_body_of_a_piecewise_tree_is_only_iterated():
    module = piecewise.piecewise_module(TRICKY["plain-functions"].encode())
    assert module is not None
    with pytest.raises(piecewise.PiecesFailed):
        len(module.body)
    with pytest.raises(piecewise.PiecesFailed):
        list(reversed(module.body))
    first = next(iter(module.body))
    assert isinstance(first, ast.Import)
    with pytest.raises(piecewise.PiecesFailed):
        iter(module.body).__next__()


def differing_files(paths: list[Path]) -> tuple[list[str], int, int]:
    differing, cut, fell_back = [], 0, 0
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if len(data) > source_imports.MAX_SOURCE_BYTES or piecewise.piecewise_module(data) is None:
            continue
        cut += 1
        fell_back += source_imports._scan_in_pieces(data, PATH, "pkg") is None
        if scan_source(data, PATH, package="pkg") != whole_scan(data):
            differing.append(str(path))
    return differing, cut, fell_back


def test_every_large_corpus_file_scans_as_its_whole_file_scan():
    paths = sorted((REPO / "corpus").rglob("*.py")) + sorted((REPO / "modellint").rglob("*.py"))
    differing, cut, _ = differing_files(paths)
    assert not differing
    assert cut >= 8


@pytest.mark.slow
def test_every_large_stdlib_file_scans_as_its_whole_file_scan():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = [path for path in sorted(stdlib.rglob("*.py"))
             if not {"test", "tests", "site-packages", "idle_test"} & set(path.relative_to(stdlib).parts)]
    differing, cut, fell_back = differing_files(paths)
    assert not differing
    assert cut >= 100
    assert fell_back <= cut // 20  # the cuts are chosen to parse: a fallback costs a second parse
