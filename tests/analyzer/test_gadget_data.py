"""Gadget knowledge read from the ML libraries' own source (scripts/build_gadgets.py): the call-graph
builder on a small package written here, and the shipped data as ML302 reads it."""

from __future__ import annotations

import gzip
import sys
import textwrap
from pathlib import Path

import pytest

from modellint.analyzer.serialized.pickle_policy import Verdict, _gadget_packages, _gadgets, classify, gadget_chain
from modellint.cli import main
from tests.conftest import load_script, write_files

builder = load_script("build_gadgets")

PACKAGE = {
    "shop/__init__.py": "from .io import export, Writer\nfrom typing import TYPE_CHECKING\n"
                        "if TYPE_CHECKING:\n    from .io import _run as hidden\n",
    "shop/io.py": textwrap.dedent("""
        import subprocess
        import os.path as osp
        from . import util


        def _run(command):
            return subprocess.run(command)


        def export(path):
            return util.save(path)


        def harmless(path):
            return osp.join(path, "x")


        class Base:
            def dump(self, path):
                with open(path, "w") as handle:
                    handle.write("x")

            def show(self):
                return repr(self)


        class Writer(Base):
            def __init__(self, command):
                self.result = _run(command)


        class Reader(Base):
            def read(self, path):
                with open(path) as handle:
                    return handle.read()
        """),
    "shop/util.py": "import shutil\n\n\ndef save(path):\n    shutil.rmtree(path)\n",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, tuple[str, str]]:
    site = tmp_path_factory.mktemp("site-packages")
    write_files(site, PACKAGE)
    out = site / "gadgets"
    out.mkdir()
    (out / "gone.tsv.gz").write_bytes(b"")  # a package no longer read: its file goes
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["build_gadgets.py", "--site-packages", str(site), "--package", "shop",
                                    "--out", str(out)])
        assert builder.main() == 0
    assert sorted(path.name for path in out.iterdir()) == ["shop.tsv.gz"]
    rows = [line.split("\t") for line in gzip.decompress((out / "shop.tsv.gz").read_bytes()).decode().splitlines()
            if line and not line.startswith("#")]
    return {f"{module}.{qualname}": (kind, chain) for module, qualname, kind, chain in rows}


def test_the_same_sources_give_the_same_bytes_whatever_the_hash_seed(tmp_path):
    # Which sink a callable's chain names first must not follow a set's order.
    import subprocess

    sinks = "import os, pickle, shutil, subprocess\n\n\ndef everything(p):\n" + "".join(
        f"    {call}(p)\n" for call in ("os.system", "subprocess.run", "shutil.rmtree", "pickle.loads", "eval", "exec",
                                       "os.remove", "subprocess.Popen", "os.popen", "compile"))
    site = write_files(tmp_path / "site-packages", {**PACKAGE, "shop/many.py": sinks})
    built = set()
    for seed in ("1", "2", "3", "4", "5"):
        out = tmp_path / f"out-{seed}"
        subprocess.run([sys.executable, str(builder.__file__), "--site-packages", str(site), "--package", "shop",
                        "--out", str(out)], check=True, capture_output=True, env={"PYTHONHASHSEED": seed})
        built.add((out / "shop.tsv.gz").read_bytes())
    assert len(built) == 1


def test_calls_are_followed_through_imports_and_modules(built):
    assert built["shop.io._run"] == ("command", "subprocess.run")
    assert built["shop.io.export"] == ("file-write", "shop.util.save -> shutil.rmtree")
    assert "shop.io.harmless" not in built  # os.path.join is no sink


def test_a_class_is_a_gadget_when_constructing_it_reaches_a_sink(built):
    assert built["shop.io.Writer"][0] == "command"
    assert "shop.io.Reader" not in built and "shop.io.Base" not in built


def test_methods_are_gadgets_of_their_own_and_are_inherited(built):
    assert built["shop.io.Base.dump"] == ("file-write", "builtins.open")
    assert built["shop.io.Reader.dump"][0] == "file-write"  # inherited, not overridden
    assert "shop.io.Reader.read" not in built and "shop.io.Base.show" not in built  # open() to read


def test_re_exports_carry_the_verdict_but_type_checking_imports_do_not(built):
    assert built["shop.export"][0] == "file-write"
    assert built["shop.Writer"][0] == "command" and built["shop.Writer.dump"][0] == "file-write"
    assert "shop.hidden" not in built


# --- the shipped data --------------------------------------------------------------------------


def test_each_shipped_file_holds_its_own_package():
    packages = _gadget_packages()
    assert {"mlflow", "sklearn", "torch", "xgboost", "lightgbm", "catboost", "statsmodels", "dill"} <= packages
    assert all(key.partition("\t")[0].partition(".")[0] == top for top in packages for key in _gadgets(top))
    assert sum(len(_gadgets(top)) for top in packages) > 13_000


@pytest.mark.parametrize("module", ["../../etc/passwd", "/etc/passwd", "gadgets", "", "x" * 10_000, "sklearn\x00"])
def test_a_module_name_from_a_pickle_never_names_a_file(module):
    assert gadget_chain(module, "system") is None


@pytest.mark.parametrize(("module", "name", "kind"), [
    ("numpy", "load", "deserialize"),  # a re-export of numpy.lib's load
    ("pandas", "read_pickle", "deserialize"),
    ("sklearn.datasets", "clear_data_home", "file-write"),
    ("mlflow.pyfunc.backend", "PyFuncBackend.serve", "command"),
    ("pandas.core.frame", "DataFrame.to_pickle", "file-write"),  # inherited from NDFrame
    ("dill._dill", "_eval_repr", "code"),
    ("dill._dill", "check", "command"),
    ("catboost.datasets", "titanic", "file-write"),
])
def test_library_gadgets_the_hand_list_never_named(module, name, kind):
    chain = gadget_chain(module, name)
    assert chain is not None and chain.startswith(f"{kind}: ")
    assert classify(module, name) is Verdict.UNSAFE


@pytest.mark.parametrize(("module", "name"), [
    ("pandas.core.frame", "DataFrame"), ("sklearn.ensemble._forest", "RandomForestClassifier"),
    ("torch.nn.modules.module", "Module"), ("scipy.sparse._csr", "csr_matrix"),
    ("sklearn.pipeline", "Pipeline"), ("numpy", "dtype"),
    # the estimators the boosting and statistics libraries' pickles rebuild
    ("xgboost.core", "Booster"), ("xgboost.sklearn", "XGBClassifier"), ("lightgbm.basic", "Booster"),
    ("lightgbm.sklearn", "LGBMRegressor"), ("catboost.core", "CatBoostClassifier"),
    ("statsmodels.regression.linear_model", "RegressionResultsWrapper"),
])
def test_what_real_pickles_rebuild_is_no_gadget(module, name):
    assert gadget_chain(module, name) is None


def test_ml302_names_the_chain(tmp_path: Path, capsys):
    # sklearn.datasets.clear_data_home("/home"), called by REDUCE
    path = tmp_path / "gadget.pkl"
    path.write_bytes(b"\x80\x04\x8c\x10sklearn.datasets\x94\x8c\x0fclear_data_home\x94\x93\x8c\x05/home\x94\x85\x94R\x94.")
    assert main(["check", "--output-format", "concise", str(path)]) == 1
    assert ("calls `sklearn.datasets.clear_data_home` (REDUCE at byte 50), which reaches a file-write sink through "
            "sklearn.datasets._base.clear_data_home -> shutil.rmtree") in capsys.readouterr().out
