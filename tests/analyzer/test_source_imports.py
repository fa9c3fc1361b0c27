"""Import extraction: every context an import can run in, positions, and inputs that must not crash."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from modellint.analyzer.code import source_imports as imports
from modellint.analyzer.code.source_imports import ImportFact, ModuleScan, resolve_relative, scan_file, scan_source
from modellint.findings import Span

PATH = Path("code/pkg/mod.py")


@pytest.fixture(autouse=True, params=["ast", "libcst"])
def front_end(request, monkeypatch):
    """Every test runs on both front ends: libcst is the one used for syntax newer than the
    running Python, so the same facts must come out of it (the nesting guard still applies)."""
    if request.param == "libcst":
        original = imports._parse_with_ast

        def without_tree(data, *feature_version):
            tree, problem, syntax_error = original(data, *feature_version)
            return (None, problem, syntax_error) if problem else (None, None, syntax_error)

        monkeypatch.setattr(imports, "_parse_with_ast", without_tree)
    return request.param


def scan(source: str, package: str | None = "pkg") -> ModuleScan:
    result = scan_source(textwrap.dedent(source), PATH, package=package)
    assert result.error is None, result.error
    return result


def fact(result: ModuleScan, module: str) -> ImportFact:
    found = [f for f in result.imports if f.module == module]
    assert len(found) == 1, (module, [f.module for f in result.imports])
    return found[0]


def test_module_level_imports_with_positions():
    result = scan("""\
        import os, numpy as np
        import google.cloud.storage
        from azure.storage.blob import BlobClient, ContainerClient
    """)
    numpy = fact(result, "numpy")
    assert numpy.span == Span(1, 12, 1, 23)
    assert not (numpy.lazy or numpy.optional or numpy.type_checking or numpy.dynamic)
    assert fact(result, "os").span.column == 8
    assert fact(result, "google.cloud.storage").span.line == 2
    blob = fact(result, "azure.storage.blob")
    assert blob.names == ("BlobClient", "ContainerClient") and blob.span.line == 3 and blob.span.column == 1


def test_lazy_imports_in_functions_methods_and_lambdas():
    result = scan("""\
        def predict(rows):
            import tabulate
            return tabulate.tabulate(rows)

        class Model:
            def load(self):
                from sklearn.linear_model import LogisticRegression

        late = lambda: __import__("lazy_module")
    """)
    assert fact(result, "tabulate").lazy
    assert fact(result, "sklearn.linear_model").lazy
    lam = fact(result, "lazy_module")
    assert lam.lazy and lam.dynamic


def test_guarded_imports_are_optional_only_with_a_fallback():
    result = scan("""\
        try:
            import ujson as json
        except ImportError:
            import json
        try:
            import orjson
        except (ValueError, ModuleNotFoundError):
            orjson = None
        try:
            import needed
        except ImportError as error:
            raise RuntimeError("install needed") from error
        try:
            import also_needed
        except ValueError:
            pass
        try:
            import bare_guard
        except:
            bare_guard = None
        with contextlib.suppress(ImportError):
            import suppressed
        try:
            import in_body
        finally:
            pass
    """)
    assert fact(result, "ujson").optional
    assert not fact(result, "json").optional  # the fallback itself must work
    assert fact(result, "orjson").optional
    assert fact(result, "bare_guard").optional
    assert fact(result, "suppressed").optional
    assert not fact(result, "needed").optional
    assert not fact(result, "also_needed").optional
    assert not fact(result, "in_body").optional


def test_a_guard_around_a_def_does_not_guard_its_body():
    result = scan("""\
        try:
            def later():
                import not_guarded
        except ImportError:
            pass
    """)
    assert not fact(result, "not_guarded").optional


@pytest.mark.parametrize("header", [
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:",
    "import typing\nif typing.TYPE_CHECKING:",
    "import typing as t\nif t.TYPE_CHECKING:",
    "from typing_extensions import TYPE_CHECKING as TC\nif TC:",
    "import typing_extensions as te\nif te.TYPE_CHECKING:",
    "TYPE_CHECKING = False\nif TYPE_CHECKING:",
])
def test_type_checking_blocks_under_any_alias(header):
    result = scan(f"{header}\n    import pandas\nelse:\n    import runtime_only\n")
    assert fact(result, "pandas").type_checking
    assert not fact(result, "runtime_only").type_checking


def test_dynamic_imports_with_literals_in_any_position():
    result = scan("""\
        import importlib
        from importlib import import_module as load
        importlib.import_module("statement_position")
        mod = importlib.import_module("assignment")
        print([load("argument.sub")])
        __import__("dunder", fromlist=["x"])
        importlib.import_module(name="keyword")
        importlib.import_module("a" "b")
        importlib.import_module(".sibling", package=__package__)
        importlib.import_module(".literal_package", "pkg.sub")
    """)
    for module in ("statement_position", "assignment", "argument.sub", "dunder", "keyword", "ab",
                   "pkg.sibling", "pkg.sub.literal_package"):
        assert fact(result, module).dynamic, module
    assert result.dynamic_unknown == ()


def test_non_literal_dynamic_imports_are_unknown():
    result = scan("""\
        import importlib
        def load(name):
            importlib.import_module(name)
            importlib.import_module(f"plugins.{name}")
            __import__(name)
    """)
    assert [span.line for span in result.dynamic_unknown] == [3, 4, 5]
    assert [f.module for f in result.imports] == ["importlib"]


def test_a_rebound_import_module_is_not_importlib():
    result = scan("""\
        def import_module(name):
            return name
        import_module("not_a_module")
    """)
    assert result.imports == ()


@pytest.mark.parametrize(("level", "module", "package", "expected"), [
    (1, "", "pkg", "pkg"),
    (1, "util", "pkg.sub", "pkg.sub.util"),
    (2, "core", "pkg.sub", "pkg.core"),
    (2, "core", "pkg", None),  # beyond the top-level package
    (1, "x", "", None),  # a top-level module has no parent package
    (1, "x", None, None),  # unknown package
    (0, "os", None, "os"),
])
def test_resolve_relative(level, module, package, expected):
    assert resolve_relative(level, module, package) == expected


def test_relative_imports_are_resolved_inside_the_package():
    result = scan("""\
        from . import sibling
        from .sub import a as b, c
        from ..outside import thing
    """, package="pkg")
    assert fact(result, "pkg").names == ("sibling",) and fact(result, "pkg").level == 1
    assert fact(result, "pkg.sub").names == ("a", "c")
    unresolved = fact(result, "..outside")
    assert unresolved.level == 2 and not unresolved.resolved


def test_future_imports_are_not_facts():
    assert scan("from __future__ import annotations\nimport os\n").imports[0].module == "os"


def test_calls_resolve_import_aliases():
    result = scan("""\
        import pandas as pd
        from pandas import read_parquet as rp
        import matplotlib
        def f(df):
            pd.read_excel("prices.xls", engine="xlrd")
            rp("s3://bucket/x.parquet")
            df.to_markdown()
            matplotlib.use("QtAgg")
    """)
    calls = {call.function: call for call in result.calls}
    excel = calls["pandas.read_excel"]
    assert excel.resolved and excel.lazy and excel.strings == ("prices.xls",) and excel.keywords == (("engine", "xlrd"),)
    assert excel.span.line == 5
    assert calls["pandas.read_parquet"].strings == ("s3://bucket/x.parquet",)
    assert not calls["df.to_markdown"].resolved and calls["df.to_markdown"].attribute == "to_markdown"
    assert calls["matplotlib.use"].strings == ("QtAgg",)


def test_a_repeated_keyword_is_read_as_its_last_value():
    """`f(a="x", a=y)` parses (compiling refuses it): a call's keywords name each argument once,
    with its last value, whether that is a string or not; an import function reads the last too."""
    result = scan_source(b'import x, importlib\nx.f(a="1", a="2", b="k")\nx.g(a="1", a=y)\n'
                         b'importlib.import_module(name="first", name="last")\n', PATH)
    calls = {call.function: call for call in result.calls}
    assert calls["x.f"].keywords == (("a", "2"), ("b", "k"))
    assert calls["x.g"].keywords == ()
    assert calls["importlib.import_module"].keywords == (("name", "last"),)
    assert "last" in {fact.module for fact in result.imports} and "first" not in {fact.module for fact in result.imports}


def test_url_literals_are_kept():
    result = scan("import requests\nPROXIES = {'https': 'socks5h://proxy:1080', 'x': 'no url'}\n")
    assert [(url.value, url.span.line) for url in result.urls] == [("socks5h://proxy:1080", 2)]
    assert result.imports_module("requests")


def test_a_file_without_imports_is_still_parsed_and_never_reaches_libcst_when_too_deep():
    # A file that does not parse fails the load whatever it imports; libcst never sees the brackets.
    result = scan_source(b"x = (" * 5000, PATH)
    assert result.imports == () and result.error_kind in ("syntax", "limit") and result.error
    assert scan_source(b"x = 1\n", PATH) == ModuleScan(PATH, (), (), None)


@pytest.mark.parametrize(("source", "message"), [
    (b"import os\ndef f(:\n    pass\n", "syntax error at line 2"),
    (b"import os\nx = '\xff\xfe'\n", "cannot decode"),
    (b"import os\x00\n", "syntax error"),
    (b"import os\nx = " + b"(" * 3000 + b"1" + b")" * 3000 + b"\n", "nesting too deep"),
    (b"import os\nx = " + b"not " * 20000 + b"x\n", "nesting too deep"),
    (b"import os\nx = " + b"-" * 20000 + b"x\n", "nesting too deep"),
    (b"import os\nx = " + b"1 + " * 5000 + b"1\n", "nesting too deep"),
])
def test_bad_sources_are_reported_not_raised(source, message):
    result = scan_source(source, PATH)
    assert result.error and message in result.error
    assert result.imports == ()


def test_newer_syntax_than_the_running_python_is_still_read():
    result = scan_source(b"import os\ntype Vector = list[float]\nclass A[T]:\n    import inner\n", PATH)
    assert result.error is None
    assert [f.module for f in result.imports] == ["os", "inner"]


def test_coding_cookie_and_bom():
    latin = scan_source(b"# -*- coding: latin-1 -*-\nimport os\nname = '\xe9'\n", PATH)
    assert latin.error is None and latin.imports[0].module == "os"
    bom = scan_source(b"\xef\xbb\xbfimport os\n", PATH)
    assert bom.error is None and bom.imports[0].span == Span(1, 8, 1, 10)


def test_invalid_escapes_print_no_warning(tmp_path):
    source = tmp_path / "escapes.py"
    source.write_text("import re\nPATTERN = '\\d+\\.'\nURL = 'http://x\\?y'\n")
    code = ("import sys, warnings; warnings.simplefilter('error'); from pathlib import Path; "
            "from modellint.analyzer.code.source_imports import scan_file; "
            f"r = scan_file(Path({str(source)!r})); assert r.error is None, r.error")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                               cwd=Path(__file__).resolve().parents[2])
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""


def test_scan_file_problems(tmp_path):
    assert "cannot read" in scan_file(tmp_path / "absent.py").error
    directory = tmp_path / "dir.py"
    directory.mkdir()
    assert scan_file(directory).error


def test_python_version_conditions():
    result = scan("""\
        import sys
        from sys import version_info
        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib
        if version_info[:2] < (3, 8):
            import importlib_metadata
        elif sys.version_info == (3, 8):
            import thirty_eight
        if sys.version_info > (3, 9) and sys.platform == "linux":
            import compound
    """)
    assert fact(result, "tomllib").python == ((">=", (3, 11)),)
    assert fact(result, "tomli").python == (("<", (3, 11)),)
    assert fact(result, "tomllib").runs_on((3, 11)) and not fact(result, "tomllib").runs_on((3, 10))
    assert fact(result, "tomli").runs_on((3, 10)) and not fact(result, "tomli").runs_on((3, 12))
    assert fact(result, "importlib_metadata").python == (("<", (3, 8)),)
    assert fact(result, "thirty_eight").python == ((">=", (3, 8)), ("==", (3, 8)))
    assert fact(result, "compound").python == ()


def test_imports_in_a_fallback_handler_name_what_they_replace():
    result = scan("""\
        try:
            import tomllib
            from orjson import dumps
        except ImportError:
            import tomli as tomllib
            dumps = None
        try:
            import must
        except ImportError:
            import logging
            raise
    """)
    assert fact(result, "tomli").fallback_for == ("tomllib", "orjson")
    assert not fact(result, "tomli").optional
    assert fact(result, "logging").fallback_for == ()
    assert fact(result, "tomllib").fallback_for == ()


def test_code_the_model_runs(tmp_path):
    from modellint.analyzer.model_dir import ModelDir
    from modellint.rules._code_examples import code_model
    from tests.conftest import write_files

    files = code_model({"pkg/__init__.py": "from .core import run\n", "pkg/core.py": "import numpy\n",
                        "not-importable.py": "import never_read\n", "__pycache__/x.py": "import never_read\n",
                        "plain.py": "x = 1\n"},
                       root_files={"model_code.py": "import mlflow\n", "stray.py": "import never_read\n"})
    files["MLmodel"] = files["MLmodel"].replace("    code: code\n", "    code: code\n    model_code_path: C:\\\\u\\\\model_code.py\n")
    model = ModelDir(write_files(tmp_path / "model", files))
    scans = {scan.path.relative_to(model.root).as_posix(): scan for scan in model.code_scans}
    assert set(scans) == {"code/pkg/__init__.py", "code/pkg/core.py", "code/plain.py", "model_code.py"}
    assert scans["code/pkg/__init__.py"].imports[0].module == "pkg.core"
    assert scans["model_code.py"].imports[0].module == "mlflow"


# GLOBAL mymodel.MyModel, EMPTY_TUPLE, NEWOBJ: a PythonModel pickled by reference.
BY_REFERENCE_PICKLE = b"\x80\x02cmymodel\nMyModel\nq\x00)\x81q\x01."
VENDORED_CODE = {
    "mymodel.py": "import helpers\n\n\ndef predict():\n    import tabulate\n",
    "helpers.py": "from pkg import util\n",
    "pkg/__init__.py": "",
    "pkg/util.py": "import numpy\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import script\n",
    "pkg/tests/__init__.py": "",
    "pkg/tests/test_util.py": "import pytest\n",
    "script.py": "import never_run\n",
}


def _code_scan_paths(tmp_path, code: dict[str, str]) -> set[str]:
    from modellint.analyzer.model_dir import ModelDir
    from modellint.rules._code_examples import code_model
    from tests.conftest import write_files

    files = code_model(code, root_files={"python_model.pkl": BY_REFERENCE_PICKLE})
    model = ModelDir(write_files(tmp_path / "model", files))
    return {scan.path.relative_to(model.root / "code").as_posix() for scan in model.code_scans}


def test_only_code_the_model_loads_is_scanned(tmp_path):
    """A vendored package's tests and stray scripts never run when serving: their imports are not needs."""
    assert _code_scan_paths(tmp_path, VENDORED_CODE) == {"mymodel.py", "helpers.py", "pkg/__init__.py", "pkg/util.py"}


def test_a_computed_import_name_is_not_followed(tmp_path):
    # ML208 reports it; it does not make every vendored test module count.
    code = dict(VENDORED_CODE, **{"helpers.py": "import importlib\nfrom pkg import util\nimportlib.import_module(util.NAME)\n"})
    assert _code_scan_paths(tmp_path, code) == {"mymodel.py", "helpers.py", "pkg/__init__.py", "pkg/util.py"}


def test_every_code_file_counts_when_a_pickle_cannot_be_read_to_the_end(tmp_path):
    from modellint.analyzer.model_dir import ModelDir
    from modellint.rules._code_examples import code_model
    from tests.conftest import write_files

    truncated = BY_REFERENCE_PICKLE[:-1]  # no STOP: what else the file would load is unknown
    files = code_model(VENDORED_CODE, root_files={"python_model.pkl": truncated})
    model = ModelDir(write_files(tmp_path / "model", files))
    assert {scan.path.relative_to(model.root / "code").as_posix() for scan in model.code_scans} == set(VENDORED_CODE)


def test_every_code_file_counts_when_nothing_loaded_lives_in_the_code_dir(tmp_path):
    code = {name: text for name, text in VENDORED_CODE.items() if name != "mymodel.py"}
    assert _code_scan_paths(tmp_path, code) == set(code)


def test_a_code_dir_outside_the_model_is_never_walked(tmp_path):
    from modellint.analyzer.model_dir import ModelDir
    from modellint.rules._code_examples import code_model
    from tests.conftest import write_files

    files = code_model({"a.py": "import os\n"})
    files["MLmodel"] = files["MLmodel"].replace("    code: code\n", "    code: ../outside\n")
    write_files(tmp_path / "outside", {"evil.py": "import never_read\n"})
    assert ModelDir(write_files(tmp_path / "model", files)).code_scans == ()


def test_files_only_libcst_could_read_are_guarded_too():
    # Before 3.12 the newer syntax makes ast fail, so libcst would get the file: the guard must
    # still hold. From 3.12 ast reads `type` itself and reports the nesting.
    deep = b"import os\ntype X = int\nx = " + b"not " * 20000 + b"x\n"
    expected = "nesting too deep" if sys.version_info >= (3, 12) else "too long"
    assert expected in scan_source(deep, PATH).error
    brackets = b"import os\ntype X = int\nx = " + b"(" * 3000 + b"1" + b")" * 3000 + b"\n"
    assert "nesting too deep" in scan_source(brackets, PATH).error


def test_calls_under_a_main_guard_are_marked_and_an_eval_without_imports_is_seen():
    guarded = scan("""
        import subprocess

        subprocess.run("a")
        if __name__ == "__main__":
            subprocess.run("b")
        if "__main__" == __name__:
            subprocess.run("c")
        else:
            subprocess.run("d")
        """)
    assert [(call.strings, call.main_guarded) for call in guarded.calls] == [
        (("a",), False), (("b",), True), (("c",), True), (("d",), False)]
    builtin = scan("VALUE = eval('1 + 1')\n")
    assert [(call.function, call.resolved, call.lazy) for call in builtin.calls] == [("eval", False, False)]


def test_a_call_knows_the_method_whose_body_it_is_in():
    result = scan("""
        import os

        os.system("module")

        class Model:
            os.system("class body")

            def load_context(self, context):
                os.system("method")
                helper = lambda: os.system("lambda in the method")

                def nested():
                    os.system("nested function")

            class Inner:
                def predict(self, context, model_input):
                    os.system("inner class method")

        def load_context(context):
            os.system("plain function")
        """)
    assert [(call.strings, call.method) for call in result.calls] == [
        (("module",), ""), (("class body",), ""), (("method",), "Model.load_context"),
        (("lambda in the method",), ""), (("nested function",), ""), (("inner class method",), "Inner.predict"),
        (("plain function",), "")]


def test_a_call_fact_held_packed_reads_as_its_fields():
    """A call keeps its flags and span packed (memory on a vendored package); what it says, how it
    compares, prints, copies and pickles are those of its ten fields."""
    import pickle

    scan = scan_source(b"import subprocess\n\n\nclass M:\n    def predict(self):\n"
                       b"        if __name__ == '__main__':\n            subprocess.run(['pip', 'install', 'x'],\n"
                       b"                           check='yes')\n", Path("m.py"))
    (call,) = scan.calls
    assert (call.function, call.attribute, call.resolved, call.span, call.lazy, call.type_checking, call.strings,
            call.keywords, call.main_guarded, call.method) == (
        "subprocess.run", "run", True, Span(7, 13, 8, 40), True, False, (), (("check", "yes"),), True, "M.predict")
    assert imports.CallFact._fields == ("function", "attribute", "resolved", "span", "lazy", "type_checking",
                                        "strings", "keywords", "main_guarded", "method")
    assert repr(call).startswith("CallFact(function='subprocess.run', attribute='run', resolved=True, "
                                 "span=Span(line=7, column=13, end_line=8, end_column=40), lazy=True")
    assert pickle.loads(pickle.dumps(call)) == call and hash(call.replace()) == hash(call)
    other = call.replace(span=Span(9, 1), main_guarded=False)
    assert other != call and (other.span, other.main_guarded, other.lazy) == (Span(9, 1, 9, 1), False, True)
