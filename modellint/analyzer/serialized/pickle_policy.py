"""What a global named in a pickle means for the model's safety and dependencies.

``classify(module, name)`` returns one ``Verdict`` for any ``(module, name)`` that
``pickles.scan_file`` reports, whether it is only imported or also called (a
global can end up called through ``getattr``/``__reduce__`` chains, so a global is
judged as if called):

* ``SAFE``: a reviewed constructor of plain data (``collections.OrderedDict``,
  ``copyreg._reconstructor``, numpy/torch array rebuilders).
* ``UNSAFE``: anything in the standard library that is not on the allowlist. A
  denylist of ``os.system``-like names is structurally incomplete (pickle.md §1.7:
  ``pkgutil.resolve_name``, ``pip.main``, ``_pickle.loads``, ``mailcap.findmatch``,
  ``multiprocessing.util.spawnv_passfds`` ...), so the standard library is judged
  by allowlist only. Also UNSAFE: dotted names that walk through a module or a
  dunder (``pathlib`` + ``os.system``, ``numpy`` + ``__builtins__``), and known
  gadgets in ML libraries (MLflow's project runner, ``torch.load``, pandas readers,
  ``from_pretrained`` loaders, nested deserializers).
  The gadgets of ML libraries come from two places: the hand list below, and
  ``knowledge/gadgets.dat``, every function, method and class of those libraries whose call
  graph reaches a command, code, nested-deserializer, file-write or network sink, read from their
  source by ``scripts/build_gadgets.py``. A gadget that only loads what its own arguments hold
  (``keras.layers.Dense(activation=<config>)``) is no verdict of its name: the pickle scanner judges
  the arguments of each call (``fed_gadget``).
* ``DEPENDENCY``: any other third-party name: loading needs its distribution.
* ``EMBEDDED``: cloudpickle's by-value machinery (``_make_function``,
  ``CodeType``, ...): the file carries code that runs as written.
"""

from __future__ import annotations

import enum
from functools import lru_cache

from modellint.analyzer.knowledge.stdlib import stdlib_modules


class Verdict(enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    DEPENDENCY = "dependency"
    EMBEDDED = "embedded"


_SAFE_STDLIB = {
    "builtins": {
        "bool", "bytearray", "bytes", "complex", "dict", "float", "frozenset", "int", "list", "object",
        "range", "set", "slice", "str", "tuple", "type", "property", "classmethod", "staticmethod",
        "NotImplemented", "Ellipsis", "Exception", "ValueError", "TypeError", "KeyError", "IndexError",
        "RuntimeError", "AttributeError", "NotImplementedError", "ArithmeticError", "ZeroDivisionError",
    },
    "collections": {"OrderedDict", "defaultdict", "deque", "Counter"},
    "copyreg": {"_reconstructor", "__newobj__", "__newobj_ex__"},
    # encode() looks codecs up only inside the ``encodings`` package; protocol 0-2 pickles store bytes this way
    "_codecs": {"encode"},
    "codecs": {"encode"},
    "datetime": {"datetime", "date", "time", "timedelta", "timezone"},
    "decimal": {"Decimal"},
    "fractions": {"Fraction"},
    "uuid": {"UUID"},  # only the class: the uuid module also runs commands (_get_command_stdout)
    "enum": {"Enum", "IntEnum", "Flag", "IntFlag"},
    "re": {"_compile"},  # rebuilds a compiled pattern from its source text
    "functools": {"partial"},  # binds a callable that is itself a global, judged on its own
    "array": {"array", "_array_reconstructor"},
    # an in-memory buffer: whatever it is handed to is judged on its own, and a Keras archive in it is
    # scanned (``Machine.scan_buffer``): Keras pickles a model as ``_unpickle_model(BytesIO(<.keras>))``
    "_io": {"BytesIO"},
    "io": {"BytesIO"},
    "pathlib": {"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath", "Path"},
    # The forms a type annotation names (a cloudpickled function keeps its ``__annotations__``): inert
    # objects, whose call raises or builds a type. Not the names that evaluate annotations
    # (``get_type_hints``, ``ForwardRef``) or build classes (``NamedTuple``, ``TypedDict``).
    "typing": {
        "Any", "Union", "Optional", "List", "Dict", "Tuple", "Set", "FrozenSet", "Type", "Callable", "Iterable",
        "Iterator", "Sequence", "Mapping", "MutableMapping", "MutableSequence", "MutableSet", "Collection",
        "Container", "Generator", "AbstractSet", "Hashable", "Sized", "Literal", "ClassVar", "Final", "Annotated",
        "NoReturn", "Never", "Self", "LiteralString", "DefaultDict", "OrderedDict", "Deque", "Counter",
        "ChainMap", "Awaitable", "Coroutine", "AsyncIterable", "AsyncIterator", "AsyncGenerator", "Reversible",
        "SupportsInt", "SupportsFloat", "SupportsIndex", "SupportsAbs", "SupportsRound", "TypeGuard", "Text",
        "AnyStr", "Generic", "Protocol",
    },
    "types": {"GenericAlias", "UnionType", "NoneType"},  # build or are the types ``list[int]``, ``int | None`` are
    "collections.abc": {"_CallableGenericAlias", "Callable", "Iterable", "Iterator", "Sequence", "Mapping",
                        "MutableMapping", "MutableSequence", "Collection", "Generator", "Set", "MutableSet"},
}

_SAFE_THIRD_PARTY = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy.random._pickle", "__randomstate_ctor"), ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__generator_ctor"),
    ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch", "Size"), ("torch", "device"),
}

_CLOUDPICKLE_BY_VALUE = {
    "_make_function", "_function_setstate", "_builtin_type", "_make_skeleton_class", "_make_skeleton_enum",
    "_class_setstate", "_make_cell", "_make_empty_cell", "_make_typevar", "subimport", "dynamic_subimport",
    "_make_dict_keys", "_make_dict_values", "_make_dict_items", "_create_parametrized_type_hint",
    "_get_dataclass_field_type_sentinel", "_file_reconstructor", "_enum_getstate", "_class_getstate",
}
_CODE_CONSTRUCTORS = {("types", "CodeType"), ("builtins", "code"), ("types", "FunctionType"), ("builtins", "function"),
                      # dill's by-value code and functions (``dill.dump`` of a ``__main__`` function), audited as
                      # cloudpickle's; its other helpers (``_import_module``, ``_get_attr``, ``_eval_repr``,
                      # ``_create_filehandle``) stay imports judged as such
                      ("dill._dill", "_create_code"), ("dill._dill", "_create_function"),
                      ("dill.dill", "_create_code"), ("dill.dill", "_create_function")}

# Third-party callables that read files/URLs, deserialize nested payloads, or run commands (pickle.md §1.7.6).
_GADGETS = {
    ("mlflow.projects.backend.local", "_run_entry_point"),
    ("mlflow.projects.utils", "get_or_create_run"),
    ("torch.utils.collect_env", "run"), ("torch.utils.collect_env", "run_and_read_all"),
    ("torch.storage", "_load_from_bytes"), ("torch.serialization", "load"), ("torch", "load"),
    ("torch.jit", "load"), ("torch.hub", "load"), ("torch.hub", "load_state_dict_from_url"),
    ("numpy.testing._private.utils", "runstring"), ("numpy", "load"), ("numpy", "fromfile"),
    ("numpy", "loadtxt"), ("numpy", "genfromtxt"), ("numpy.lib.npyio", "load"),
    ("joblib", "load"), ("joblib.numpy_pickle", "load"), ("dill", "load"), ("dill", "loads"),
    ("cloudpickle", "load"), ("cloudpickle", "loads"), ("cloudpickle.cloudpickle", "load"),
    ("cloudpickle.cloudpickle", "loads"), ("keras.models", "load_model"), ("skops.io", "load"),
}
_DILL_GETATTRS = {("dill._dill", "_get_attr"), ("dill.dill", "_get_attr")}
_GADGET_MODULE_PREFIXES = ("numpy.f2py", "numpy.distutils", "mlflow.projects", "torch.hub", "torch.utils.cpp_extension",
                           "setuptools", "pip", "_pytest", "IPython")
_GADGET_NAMES = {"from_pretrained", "load_model", "read_pickle", "system", "popen", "exec", "eval", "spawn"}
_PANDAS_READER_PREFIX = "read_"  # read_csv(url), read_pickle, read_sql ... fetch or deserialize at load time


def classify(module: str, name: str) -> Verdict:
    """The verdict for the object ``find_class(module, name)`` returns (``name`` may be dotted)."""
    segments = name.split(".")
    if (module, name) in _CODE_CONSTRUCTORS:
        return Verdict.EMBEDDED
    if (module, name) in _DILL_GETATTRS:
        return Verdict.UNSAFE  # ``getattr`` itself: a literal attribute of an imported class is judged as that
    if module.split(".")[0] == "cloudpickle" and name in _CLOUDPICKLE_BY_VALUE:
        return Verdict.EMBEDDED
    if is_stdlib(module):
        return Verdict.SAFE if name in _SAFE_STDLIB.get(module, ()) else Verdict.UNSAFE
    if (module, name) in _SAFE_THIRD_PARTY:
        return Verdict.SAFE
    if _is_gadget(module, segments) or gadget_chain(module, name) is not None:
        return Verdict.UNSAFE
    if any(_walks_out(segment) for segment in segments[:-1]) or _is_dunder(segments[-1]):
        return Verdict.UNSAFE
    return Verdict.DEPENDENCY


@lru_cache(maxsize=1)
def _stdlib_names() -> frozenset[str]:
    """Standard-library top-level names of every CPython a model may be loaded with (3.8-3.14): the
    verdict must not depend on the Python running modellint (``distutils`` left in 3.12, ``imp`` too),
    and a name that was stdlib in any of them is judged by the stdlib allowlist."""
    names: set[str] = {"__builtin__", "exceptions", "copy_reg"}  # Python 2 names older pickles use
    for minor in range(8, 15):
        names |= stdlib_modules((3, minor))
    return frozenset(names)


def is_stdlib(module: str) -> bool:
    """Whether ``module`` is of the standard library of any CPython 3.8-3.14."""
    return module.split(".")[0] in _stdlib_names()


def _is_gadget(module: str, segments: list[str]) -> bool:
    """A gadget, or an attribute of one: a dotted name (``Class.method``, or ``getattr(Class, "method")``
    read as one) is judged by every step of its path, so the owner's verdict is never lost."""
    top = module.split(".")[0]
    for length in (len(segments), 1):  # every listed gadget name is a single segment
        name = ".".join(segments[:length])
        if (module, name) in _GADGETS or (top, name) in _GADGETS:
            return True
    if any(module == prefix or module.startswith(prefix + ".") for prefix in _GADGET_MODULE_PREFIXES):
        return True
    if any(segment in _GADGET_NAMES for segment in segments):
        return True
    return top == "pandas" and any(segment.startswith(_PANDAS_READER_PREFIX) for segment in segments)


def _walks_out(segment: str) -> bool:
    """An attribute step that leaves the object graph of the named module: another module or a dunder."""
    return segment in _stdlib_names() or _is_dunder(segment)


def _is_dunder(segment: str) -> bool:
    return segment.startswith("__") and segment.endswith("__") and segment not in ("__init__", "__new__")


def gadget_chain(module: str, name: str) -> str | None:
    """``sink: chain`` the gadget data records for ``module.name`` (or an owner of a dotted name:
    ``DataFrame.to_pickle.__call__`` keeps ``DataFrame.to_pickle``'s verdict) when calling it is the
    danger, else None. A gadget fed by its arguments is judged by the scanner where a pickle calls it by
    name; a method of one (``Lambda.from_config``, reached through ``getattr``, whose call the scanner
    does not see) is a danger of its own."""
    if is_stdlib(module):
        return None  # the standard library is judged by the allowlist alone
    from modellint.analyzer.knowledge import gadgets

    found = gadgets.lookup(module, name)
    if found is None:
        return None
    qualname, gadget = found
    if gadget.feeds is not None and "." not in qualname:
        return None
    return f"{gadget.kind}: {gadget.chain}"


def fed_gadget(module: str, name: str) -> tuple[tuple[str, ...], str] | None:
    """(where its fed arguments go, ``sink: chain``) for a gadget whose danger is in what its arguments
    hold (see ``knowledge/gadgets.py``); None for any other name."""
    from modellint.analyzer.knowledge import gadgets

    if module.partition(".")[0] not in gadgets.fed_packages():
        return None
    found = gadgets.lookup(module, name)
    if found is None or "." in found[0]:
        return None
    gadget = found[1]
    return None if gadget.feeds is None else (gadget.feeds, f"{gadget.kind}: {gadget.chain}")
