"""Build the real-library model files under tests/data/pickles/ (committed; tests never load them).

Run in a throwaway venv, never in the test venv:

    python3 -m venv /tmp/pickle-fixtures-venv
    /tmp/pickle-fixtures-venv/bin/pip install torch==2.13.0 scikit-learn joblib skops cloudpickle lightgbm numpy
    /tmp/pickle-fixtures-venv/bin/python scripts/build_pickle_fixtures.py
    /tmp/pickle-fixtures-venv/bin/python scripts/build_pickle_fixtures.py --only protocols --only getattr --only methodtype
    /tmp/pickle-fixtures-venv/bin/python scripts/build_pickle_fixtures.py --only nested --only by_value

The code-object fixtures in tests/data/pickles/code_args/ come from ``--code-args PYTHON...``:
each interpreter (3.8-3.13) prints the ``CodeType`` arguments of two functions (imports
in the body; ``import_module``/``__import__`` calls), the tuple cloudpickle's ``_code_reduce``
would pickle, as a Python literal. pyenv provides the interpreters:
``--code-args ~/.pyenv/versions/3.{8..13}*/bin/python3``.

Models are tiny (a few trees, a few rows) to keep the fixtures under 2 MB in total.
``mlflow`` is replaced by a stub package holding ``mlflow.pyfunc.model.PythonModel``,
the only MLflow name these pickles reference.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "pickles"

STUB_MODULES = {
    "mlflow/__init__.py": "",
    "mlflow/pyfunc/__init__.py": "from mlflow.pyfunc.model import PythonModel\n",
    "mlflow/pyfunc/model.py": "class PythonModel:\n    def predict(self, context, model_input, params=None):\n        raise NotImplementedError\n",
    "my_model.py": textwrap.dedent(
        """
        from mlflow.pyfunc import PythonModel


        class MyModel(PythonModel):
            def predict(self, context, model_input, params=None):
                return model_input
        """
    ),
}

CODE_ARGS_SNIPPET = textwrap.dedent(
    """
    import sys

    def predict(self, context, model_input):
        import tabulate
        from os import path
        if model_input is not None and "x" in model_input:
            return tabulate.tabulate(model_input)
        return [path.join(str(x)) for x in range(3)]

    def load_plugins(self, name):
        import importlib
        from importlib import import_module
        table = importlib.import_module("tabulate")
        loader = __import__("yaml")
        arrays = import_module("numpy")
        chosen = importlib.import_module(name)  # computed at run time: no literal to check
        return table, loader, arrays, chosen

    def literal(value):
        if isinstance(value, (str, bytes, int, float, bool, type(None))):
            return value
        if isinstance(value, tuple):
            return tuple(literal(item) for item in value)
        return None  # nested code objects and frozensets: not needed, and not literals

    fields = ["co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize",
              "co_flags", "co_code", "co_consts", "co_names", "co_varnames", "co_filename", "co_name"]
    if sys.version_info >= (3, 11):
        fields += ["co_qualname", "co_firstlineno", "co_linetable", "co_exceptiontable"]
    elif sys.version_info >= (3, 10):
        fields += ["co_firstlineno", "co_linetable"]
    else:
        fields += ["co_firstlineno", "co_lnotab"]
    fields += ["co_freevars", "co_cellvars"]
    function = {"predict": predict, "load_plugins": load_plugins}[sys.argv[1]]
    print(repr(tuple(literal(getattr(function.__code__, name)) for name in fields)))
    """
)


def install_stubs(directory: Path) -> None:
    for relative, text in STUB_MODULES.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    sys.path.insert(0, str(directory))


def sklearn_fixtures() -> None:
    import cloudpickle
    import joblib
    import lightgbm
    import numpy as np
    import skops.io
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(60, 4)), rng.integers(0, 2, size=60)
    lgbm_pipeline = Pipeline([("scale", StandardScaler()), ("model", lightgbm.LGBMClassifier(n_estimators=3, num_leaves=4, verbose=-1))])
    lgbm_pipeline.fit(features, labels)
    (OUT / "sklearn_lgbm_cloudpickle.pkl").write_bytes(cloudpickle.dumps(lgbm_pipeline))
    skops.io.dump(lgbm_pipeline, OUT / "sklearn_lgbm.skops")

    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(features, labels)
    (OUT / "sklearn_rf_p4.pkl").write_bytes(pickle.dumps(forest, protocol=4))
    (OUT / "sklearn_rf_p2.pkl").write_bytes(pickle.dumps(forest, protocol=2))
    joblib.dump(forest, OUT / "sklearn_rf.joblib")
    for compression in ("zlib", "gzip", "bz2", "lzma", "xz"):
        joblib.dump(forest, OUT / f"sklearn_rf_{compression}.joblib", compress=(compression, 3))
    mixed = {"objects": np.array([1, "x", None], dtype=object), "numbers": np.arange(10), "after": forest}
    joblib.dump(mixed, OUT / "object_array.joblib")
    np.save(OUT / "object_array.npy", mixed["objects"], allow_pickle=True)
    np.savez(OUT / "object_array.npz", objects=mixed["objects"], numbers=mixed["numbers"])


def pyfunc_fixtures() -> None:
    import cloudpickle
    import my_model  # the stub module installed by install_stubs
    from mlflow.pyfunc import PythonModel

    (OUT / "pyfunc_by_reference.pkl").write_bytes(cloudpickle.dumps(my_model.MyModel()))

    class TabulateModel(PythonModel):  # defined in __main__'s function scope: cloudpickle pickles it by value
        def predict(self, context, model_input, params=None):
            import tabulate

            return tabulate.tabulate(model_input)

    (OUT / "pyfunc_by_value.pkl").write_bytes(cloudpickle.dumps(TabulateModel()))


PROTOCOLS = (2, 3, 4, 5)


def protocol_fixtures() -> None:
    """The same by-value class and lambda at every protocol cloudpickle writes: protocol 2 (torch's
    default, so ``mlflow.pytorch``'s) has no bytes opcodes and stores ``co_code`` as
    ``_codecs.encode(<latin-1 text>, "latin1")``, empty bytes as ``bytes()``."""
    import cloudpickle

    def make_model() -> type:
        class Scorer:  # defined in a function scope: cloudpickle pickles it by value
            def predict(self, rows):
                import tabulate

                try:
                    return tabulate.tabulate(rows) + b"\x00\xff".decode("latin-1")
                except ValueError:
                    return None

        return Scorer

    scale = lambda rows: [row * 2 for row in rows]  # noqa: E731 - a lambda is what cloudpickle pickles by value
    payload = (make_model()(), scale, bytearray(b"\x00\xfe"))
    for protocol in PROTOCOLS:
        (OUT / f"by_value_p{protocol}.pkl").write_bytes(cloudpickle.dumps(payload, protocol=protocol))


class Reduce:
    """Pickles as ``func(*args)``: builds the malicious ``getattr`` twins with the real pickler."""

    def __init__(self, func: object, args: tuple[object, ...]) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.func, self.args


class CallableReduce(Reduce):
    """A ``Reduce`` that ``types.MethodType`` accepts as the callable it binds."""

    def __call__(self, *args: object) -> None:
        return None


def getattr_fixtures() -> None:
    """``obj.method`` pickles as ``getattr(obj, "method")``: benign bound methods of a class imported by
    reference, and the malicious calls of ``getattr`` that must stay errors."""
    import os

    import cloudpickle
    import my_model  # the stub module installed by install_stubs

    model = my_model.MyModel()
    for protocol in (0, 2, 4):
        (OUT / f"bound_method_p{protocol}.pkl").write_bytes(pickle.dumps(model.predict, protocol=protocol))
    # protocol < 4 writes a function named by a dotted qualname as getattr(<class>, "predict")
    (OUT / "class_function_p2.pkl").write_bytes(pickle.dumps(my_model.MyModel.predict, protocol=2))
    (OUT / "getattr_os_system.pkl").write_bytes(cloudpickle.dumps(Reduce(getattr, (os, "system")), protocol=4))
    init = Reduce(getattr, (my_model.MyModel, "__init__"))
    (OUT / "getattr_dunder_walk.pkl").write_bytes(pickle.dumps(Reduce(getattr, (init, "__globals__")), protocol=4))
    computed = Reduce(str, ("predict",))
    (OUT / "getattr_computed_name.pkl").write_bytes(pickle.dumps(Reduce(getattr, (my_model.MyModel, computed)),
                                                                 protocol=4))


def methodtype_fixtures() -> None:
    """cloudpickle pickles a bound method as ``types.MethodType(function, instance)`` (the type named through
    its ``_builtin_type("MethodType")``): benign twins bind a method of a class imported by reference (a
    global at protocol 4/5, ``getattr(<class>, "predict")`` at protocol 2) or a by-value method; malicious
    twins bind ``os.system`` or the result of a call (``eval("print")``), which must stay errors."""
    import os
    import types

    import cloudpickle
    import my_model  # the stub module installed by install_stubs

    def make_local() -> type:
        class Local:  # defined in a function scope: cloudpickle pickles the class and its method by value
            def predict(self, rows):
                return rows

        return Local

    model = my_model.MyModel()
    for protocol in (2, 4, 5):
        (OUT / f"methodtype_p{protocol}.pkl").write_bytes(cloudpickle.dumps(model.predict, protocol=protocol))
        (OUT / f"methodtype_by_value_p{protocol}.pkl").write_bytes(
            cloudpickle.dumps(make_local()().predict, protocol=protocol))
        (OUT / f"methodtype_os_system_p{protocol}.pkl").write_bytes(
            cloudpickle.dumps(types.MethodType(os.system, model), protocol=protocol))
        (OUT / f"methodtype_computed_p{protocol}.pkl").write_bytes(
            cloudpickle.dumps(types.MethodType(CallableReduce(eval, ("print",)), model), protocol=protocol))


def torch_fixtures() -> None:
    import torch

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    torch.save(module.state_dict(), OUT / "torch_state_dict.pt")
    torch.save(module, OUT / "torch_module.pth")
    torch.save(module.state_dict(), OUT / "torch_legacy.pt", _use_new_zipfile_serialization=False)


def nested_fixtures() -> None:
    """Nested deserializers: torch pickles a tensor's storage as ``torch.storage._load_from_bytes(<bytes of
    a legacy torch.save>)``, so a ``PythonModel`` holding tensors (cloudpickled by MLflow) calls it for every
    storage. Benign twins hold a small tensor (a payload the scanner keeps) at protocol 2 (``_codecs.encode``
    text), and also an 80 KB one (skipped, then read again where it lies) at protocol 5; malicious twins hand the same
    deserializers a payload that runs ``os.system``, one of them behind 80 KB of data, and one a zip
    archive (``torch.load`` reads those too; the scanner does not follow them)."""
    import io
    import os
    import pickle
    import posix
    import zipfile

    import cloudpickle
    import my_model  # the stub module installed by install_stubs
    import torch

    model = my_model.MyModel()
    model.weights = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    (OUT / "nested_tensor_p2.pkl").write_bytes(cloudpickle.dumps(model, protocol=2))
    model.embedding = torch.zeros(20_000)  # 80 KB: past the 64 KiB the scanner keeps in memory
    (OUT / "nested_tensor_p5.pkl").write_bytes(cloudpickle.dumps(model, protocol=5))
    load_from_bytes = torch.storage._load_from_bytes
    command = pickle.dumps(Reduce(os.system, ("echo pwned",)), protocol=2)
    padded = pickle.dumps([b"\x00" * 80_000, Reduce(os.system, ("echo pwned",))], protocol=4)
    archive = io.BytesIO()
    torch.save(torch.ones(2), archive)
    assert zipfile.is_zipfile(io.BytesIO(archive.getvalue()))
    twins = {
        "nested_torch_os_system.pkl": Reduce(load_from_bytes, (command,)),
        "nested_torch_os_system_skipped.pkl": Reduce(load_from_bytes, (padded,)),
        "nested_torch_zip_payload.pkl": Reduce(load_from_bytes, (archive.getvalue(),)),
        "nested_pickle_loads.pkl": Reduce(pickle.loads, (pickle.dumps({"alpha": 0.5}, protocol=2),)),
        "nested_pickle_loads_os_system.pkl": Reduce(pickle.loads, (command,)),
    }
    for name, value in twins.items():
        (OUT / name).write_bytes(pickle.dumps(value, protocol=4))
    # each label checked by the real loaders, with the command replaced by a recorder
    ran: list[str] = []
    real_system = os.system  # the pickles name it ``posix.system``, the module os takes it from
    os.system = posix.system = ran.append
    try:
        for path in sorted(OUT.glob("nested_*.pkl")):
            ran.clear()
            try:
                pickle.loads(path.read_bytes())
            except RuntimeError:  # "Invalid magic number": torch.load fails after the payload's first pickle ran
                assert path.name.startswith("nested_torch_os_system"), path.name
            assert bool(ran) == ("os_system" in path.name), (path.name, ran)
    finally:
        os.system = posix.system = real_system


# By-value code, as a notebook defines it (module ``__main__``): classes and functions cloudpickle
# carries as bytecode. Each label is what runs a command, and when: ``load`` while unpickling,
# ``mlflow_load`` in MLflow's ``load_context``, ``predict`` when the model is used, ``benign`` never.
BY_VALUE_SOURCE = textwrap.dedent(
    """
    import json
    import math
    import os
    import subprocess

    from mlflow.pyfunc import PythonModel


    class SetstateCommand:
        def __setstate__(self, state):
            os.system("echo pwned")
            self.__dict__.update(state)


    def run_command():
        return os.system("echo pwned")


    class ReduceToFunction:
        def __reduce__(self):
            return (run_command, ())


    class HelperCommand:
        def __setstate__(self, state):
            self.__dict__.update(state)
            self._restore()

        def _restore(self):
            return [os.system(command) for command in ("echo pwned",)]


    class SetstateEval:
        def __setstate__(self, state):
            self.__dict__.update(state)
            self.value = eval(state["expression"])


    def closure_class():
        import os as operating_system

        class ClosureCommand:
            def __setstate__(self, state):
                operating_system.system("echo pwned")
                self.__dict__.update(state)

        return ClosureCommand


    class LoadContextCommand(PythonModel):
        def load_context(self, context):
            subprocess.run(["echo", "pwned"])

        def predict(self, context, model_input, params=None):
            return model_input


    class PredictCommand(PythonModel):
        def predict(self, context, model_input, params=None):
            return subprocess.check_output(["echo", "pwned"])


    class BenignSetstate:
        def __setstate__(self, state):
            self.__dict__.update(state)
            self.scale = math.sqrt(len(state))


    class BenignPythonModel(PythonModel):
        def load_context(self, context):
            with open(os.path.join(context.artifacts["config"])) as handle:
                self.config = json.load(handle)

        def predict(self, context, model_input, params=None):
            self.model.eval()
            return [math.floor(value) for value in model_input]
    """
)


def by_value_fixtures() -> None:
    """By-value code that runs a command while the file is unpickled (``__setstate__``, a function a
    ``__reduce__`` returns, a method that one calls, a module reached through a closure cell, ``eval``
    of state), in MLflow's ``load_context``, or at predict; and benign twins. Each label is checked by
    loading the file with pickle, then calling ``load_context`` and ``predict``, with the commands
    replaced by a recorder."""
    import os
    import posix
    import subprocess
    import types

    import cloudpickle

    main = types.ModuleType("__main__")  # what a notebook's classes belong to: cloudpickle copies them by value
    exec(compile(BY_VALUE_SOURCE, "<notebook>", "exec"), main.__dict__)
    space = main.__dict__

    def instance(cls, **state):
        value = cls.__new__(cls)
        value.__dict__.update(state)
        return value

    cases = {
        "by_value_load_setstate_command.pkl": ("load", instance(space["SetstateCommand"], alpha=1)),
        "by_value_load_reduce_function.pkl": ("load", space["ReduceToFunction"]()),
        "by_value_load_helper_method.pkl": ("load", instance(space["HelperCommand"], alpha=1)),
        "by_value_load_eval.pkl": ("load", instance(space["SetstateEval"],
                                                    expression="__import__('os').system('echo pwned')")),
        "by_value_load_closure_cell.pkl": ("load", instance(space["closure_class"](), alpha=1)),
        "by_value_mlflow_load_context.pkl": ("mlflow_load", space["LoadContextCommand"]()),
        "by_value_predict_command.pkl": ("predict", space["PredictCommand"]()),
        "by_value_benign_setstate.pkl": ("benign", instance(space["BenignSetstate"], alpha=1)),
        "by_value_benign_python_model.pkl": ("benign", instance(space["BenignPythonModel"], model=None)),
    }
    for name, (_, value) in cases.items():
        (OUT / name).write_bytes(cloudpickle.dumps(value))

    ran: list[object] = []
    saved = (os.system, posix.system, subprocess.run, subprocess.check_output)
    os.system = posix.system = subprocess.run = subprocess.check_output = lambda *args, **kwargs: ran.append(args)
    try:
        for name, (label, _) in cases.items():
            stages = []
            ran.clear()
            loaded = pickle.loads((OUT / name).read_bytes())
            stages.append(("load", bool(ran)))
            context = types.SimpleNamespace(artifacts={"config": str(OUT / "by_value_config.json")})
            (OUT / "by_value_config.json").write_text("{}")
            ran.clear()
            if hasattr(loaded, "load_context"):
                loaded.load_context(context)
            stages.append(("mlflow_load", bool(ran)))
            ran.clear()
            if hasattr(loaded, "predict"):
                try:
                    loaded.predict(context, [1.5])
                except AttributeError:  # BenignPythonModel's self.model is None: predict ran up to it
                    pass
            stages.append(("predict", bool(ran)))
            assert [stage for stage, happened in stages if happened] == ([] if label == "benign" else [label]), \
                (name, stages)
    finally:
        os.system, posix.system, subprocess.run, subprocess.check_output = saved
        (OUT / "by_value_config.json").unlink(missing_ok=True)


def code_args_fixtures(pythons: list[str]) -> None:
    target = OUT / "code_args"
    target.mkdir(parents=True, exist_ok=True)
    for python in pythons:
        version = subprocess.run(
            [python, "-c", "import sys; print(f'{sys.version_info[0]}{sys.version_info[1]}')"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        for function, prefix in (("predict", ""), ("load_plugins", "dynamic_")):
            literal = subprocess.run([python, "-c", CODE_ARGS_SNIPPET, function],
                                     check=True, capture_output=True, text=True).stdout
            (target / f"{prefix}py{version}.txt").write_text(literal)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code-args", nargs="*", default=[], metavar="PYTHON", help="interpreters for code_args/")
    parser.add_argument("--only", choices=sorted(BUILDERS), action="append",
                        help="build only these groups (protocols, getattr and methodtype need only cloudpickle)")
    arguments = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as stubs:
        install_stubs(Path(stubs))
        for name in arguments.only or sorted(BUILDERS):
            BUILDERS[name]()
    if not arguments.only:
        code_args_fixtures(arguments.code_args)


BUILDERS = {
    "sklearn": sklearn_fixtures, "pyfunc": pyfunc_fixtures, "torch": torch_fixtures,
    "protocols": protocol_fixtures, "getattr": getattr_fixtures,
    "methodtype": methodtype_fixtures, "nested": nested_fixtures, "by_value": by_value_fixtures,
}


if __name__ == "__main__":
    main()
