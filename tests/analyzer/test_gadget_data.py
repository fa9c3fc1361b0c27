"""Gadget knowledge read from the ML libraries' own source (scripts/build_gadgets.py): the call-graph
builder on a small package written here, and the shipped data as ML302 reads it."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from modellint.analyzer.knowledge import gadgets
from modellint.analyzer.knowledge.gadgets import GadgetData
from modellint.analyzer.serialized.pickle_policy import Verdict, classify, fed_gadget, gadget_chain
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
    # in-memory deserializers: of what the arguments hold, of what the library holds, of what it reads
    "shop/codec.py": textwrap.dedent("""
        import base64
        import marshal
        import pickle

        import yaml

        BUILTIN = b"..."


        def load_code(text, unused=None):
            raw = base64.b64decode(text.encode("ascii"))
            code = marshal.loads(raw)
            return code


        def deserialize(config, *, safe=True):
            if isinstance(config, str):
                return deserialize(lookup(config))
            return load_code(config["config"]["value"])


        def lookup(name):
            return {"relu": {"config": {"value": "x"}}}[name]


        def builtin():
            return pickle.loads(BUILTIN)


        def from_file(path):
            with open(path, "rb") as handle:
                data = handle.read()
            return pickle.loads(data)


        def parsed(text):
            return load_code(yaml.safe_load(text))


        class Layer:
            def __init__(self, units, activation=None, *, dtype=None):
                self.activation = deserialize(activation)
                self.dtype = deserialize(dtype)

            def restore(self):
                return load_code(self.saved)
        """),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, tuple[str, str]]:
    site = tmp_path_factory.mktemp("site-packages")
    write_files(site, PACKAGE)
    out = site / "gadgets.dat"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["build_gadgets.py", "--site-packages", str(site), "--package", "shop",
                                    "--out", str(out)])
        assert builder.main() == 0
    data = GadgetData(out)
    assert data.packages == {"shop": "(version unknown)"}
    return {f"{module}.{qualname}": (row.kind, row.chain) + ((",".join(row.feeds),) if row.feeds else ())
            for module in data.names() for qualname, row in data.get(module).items()}


def test_the_same_sources_give_the_same_bytes_whatever_the_hash_seed(tmp_path):
    # Which sink a callable's chain names first must not follow a set's order.
    import subprocess

    sinks = "import os, pickle, shutil, subprocess\n\n\ndef everything(p):\n" + "".join(
        f"    {call}(p)\n" for call in ("os.system", "subprocess.run", "shutil.rmtree", "pickle.loads", "eval", "exec",
                                       "os.remove", "subprocess.Popen", "os.popen", "compile"))
    site = write_files(tmp_path / "site-packages", {**PACKAGE, "shop/many.py": sinks})
    built = set()
    for seed in ("1", "2", "3", "4", "5"):
        out = tmp_path / f"out-{seed}.dat"
        subprocess.run([sys.executable, str(builder.__file__), "--site-packages", str(site), "--package", "shop",
                        "--out", str(out)], check=True, capture_output=True, env={"PYTHONHASHSEED": seed})
        built.add(out.read_bytes())
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


def test_a_deserializer_of_what_the_arguments_hold_is_fed_by_them(built):
    assert built["shop.codec.load_code"] == ("deserialize", "marshal.loads", "0")  # not `unused`
    # through a subscript, a recursive call on what the library looks up, and a class's constructor
    assert built["shop.codec.deserialize"][2] == "0"
    assert built["shop.codec.Layer"][2] == "*,1"  # activation (position 1, self not counted) and dtype
    assert built["shop.codec.Layer.__init__"][2] == "*,1"


def test_a_deserializer_of_what_the_library_holds_is_no_gadget(built):
    assert "shop.codec.builtin" not in built and "shop.codec.lookup" not in built


def test_a_deserializer_of_what_is_read_from_elsewhere_is_a_gadget_whatever_the_arguments(built):
    assert built["shop.codec.from_file"] == ("deserialize", "pickle.loads")  # a file's bytes
    assert len(built["shop.codec.parsed"]) == 2  # what a function outside the packages read returns
    assert len(built["shop.codec.Layer.restore"]) == 2  # the instance's state, which BUILD sets


# --- the shipped data --------------------------------------------------------------------------


def test_the_shipped_data_covers_the_libraries():
    packages = gadgets.packages()
    assert {"mlflow", "sklearn", "torch", "xgboost", "lightgbm", "catboost", "statsmodels", "dill", "keras",
            "transformers", "tensorflow"} <= packages
    data = gadgets.data()
    assert all(module.partition(".")[0] in packages for module in data.names())
    assert data.header["rows"] > 40_000
    assert {"keras"} <= gadgets.fed_packages()


@pytest.mark.parametrize("module", ["../../etc/passwd", "/etc/passwd", "gadgets", "", "x" * 10_000, "sklearn\x00",
                                    "sklearn\t0\t1", "sklearn.\ud800", "keras\nkeras.layers"])
def test_a_module_name_from_a_pickle_never_names_a_file(module):
    assert gadget_chain(module, "system") is None
    assert fed_gadget(module, "Dense") is None


@pytest.mark.parametrize(("module", "name", "kind"), [
    ("numpy", "load", "deserialize"),  # a re-export of numpy.lib's load
    ("pandas", "read_pickle", "deserialize"),
    ("sklearn.datasets", "clear_data_home", "file-write"),
    ("mlflow.pyfunc.backend", "PyFuncBackend.serve", "command"),
    ("pandas.core.frame", "DataFrame.to_pickle", "file-write"),  # inherited from NDFrame
    ("dill._dill", "_eval_repr", "code"),
    ("dill._dill", "check", "command"),
    ("catboost.datasets", "titanic", "file-write"),
    ("keras.src.models.sequential", "Sequential._unpickle_model", "deserialize"),  # reads the .keras zip it gets
    ("keras.src.layers.core.lambda_layer", "Lambda.from_config", "deserialize"),  # a method, through getattr
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
    # Keras classes: what constructing them deserializes is what they are given
    ("keras.layers", "Dense"), ("keras.src.layers.layer", "Layer"), ("keras.src.models.model", "Model"),
])
def test_what_real_pickles_rebuild_is_no_gadget(module, name):
    assert gadget_chain(module, name) is None
    assert classify(module, name) is not Verdict.UNSAFE


def test_keras_constructors_are_judged_by_what_they_are_given():
    places, chain = fed_gadget("keras.layers", "Dense")
    assert "1" in places and chain.endswith("marshal.loads")  # activation
    assert fed_gadget("keras.src.saving.serialization_lib", "deserialize_keras_object")[0][-1] == "0"


def test_ml302_names_the_chain(tmp_path: Path, capsys):
    # sklearn.datasets.clear_data_home("/home"), called by REDUCE
    path = tmp_path / "gadget.pkl"
    path.write_bytes(b"\x80\x04\x8c\x10sklearn.datasets\x94\x8c\x0fclear_data_home\x94\x93\x8c\x05/home\x94\x85\x94R\x94.")
    assert main(["check", "--output-format", "concise", str(path)]) == 1
    assert ("calls `sklearn.datasets.clear_data_home` (REDUCE at byte 50), which reaches a file-write sink through "
            "sklearn.datasets._base.clear_data_home -> shutil.rmtree") in capsys.readouterr().out
