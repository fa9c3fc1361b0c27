"""Which of a function's parameters a value in its body is made from, for build_gadgets.py.

A nested deserializer (``marshal.loads``, ``pickle.loads``) reached from a callable is a gadget of
two kinds. When the bytes it loads are fixed by the library (a file it opens, an attribute it set),
calling the callable at all is the danger. When they are made from the callable's own arguments
(``Layer(dtype=config)`` -> ``deserialize_keras_object(config)`` -> ``func_load(config["value"])`` ->
``marshal.loads``), the danger is in what a pickle passes: a Keras config with a Lambda's bytecode
is code, the dtype ``"float32"`` is not. This module reads the second kind: the parameters whose
values reach a call's arguments.

The reading is by names, within one function, and deliberately narrow: a value is made from a
parameter through assignments, subscripts and attributes (``config["config"]["value"]``), methods
called on it (``code.encode("ascii")``, ``config.get("x")``; not the ones that read from elsewhere,
``path.read_bytes()``), containers, and a few decoders of in-memory data (``codecs.decode``,
``json.loads``, ``bytes``), and functions of the packages read (``serialize(config)`` returns what
``config`` names: what the helper does with it is its own edge of the graph). Anything else (``open(path)``, a call of another function, ``self.x``, a
module global) makes a value the library chose, :data:`LIBRARY`: a deserializer fed that way stays a
gadget whatever the arguments. A literal the library writes (``get("float32")``) is made of nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from modellint.analyzer.code.source_imports import dotted_name

# A parameter in a call's argument map: its position among the positional parameters (the instance
# of a method not counted), or ``*`` for one only a keyword reaches; ``*args``/``**kwargs`` by name.
Signature = tuple[tuple[str, str], ...]  # (name, "0" | "1" | ... | "*" | "*args" | "**kwargs")
Arguments = dict[str, frozenset[str]]  # "0", "1", ... or a keyword -> the caller's parameters in it
LIBRARY = "<library>"  # among the parameters a value is made from: also of a value the library holds
EXTERNAL = "<external>"  # ... also of a value read from elsewhere, or of the instance's state
_OF_LIBRARY = frozenset({LIBRARY})
_OF_EXTERNAL = frozenset({EXTERNAL})

# Methods of a value that read from somewhere else (a path, a socket): their result is not the value.
_READERS = frozenset({"read", "read_bytes", "read_text", "readline", "readlines", "open", "load", "loads", "recv",
                      "urlopen", "fetch", "download", "get_file"})
# A function of the packages read named with one of these returns what it read, not its arguments.
_READING_WORDS = ("read", "load", "open", "fetch", "download", "recv", "get_file", "cache")
# Functions that turn in-memory data into other in-memory data: their result is made of their arguments.
_DECODERS = frozenset({"codecs.decode", "codecs.encode", "base64.b64decode", "base64.decodebytes",
                       "base64.urlsafe_b64decode", "binascii.a2b_base64", "json.loads", "copy.copy", "copy.deepcopy",
                       "builtins.bytes", "builtins.bytearray", "builtins.str", "builtins.tuple", "builtins.list",
                       "builtins.dict", "io.BytesIO", "zlib.decompress", "gzip.decompress"})
_BUILTIN_DECODERS = frozenset(name.partition(".")[2] for name in _DECODERS if name.startswith("builtins."))

Resolver = Callable[[str], "str | None"]


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> Signature:
    """The parameters a caller supplies, each with where a call puts it."""
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    static = any(dotted_name(decorator) == "staticmethod" for decorator in node.decorator_list)
    if is_method and not static and positional:
        positional = positional[1:]  # self or cls: the instance or class, never an argument a pickle gives
    found = [(parameter.arg, str(index)) for index, parameter in enumerate(positional)]
    found += [(parameter.arg, "*") for parameter in arguments.kwonlyargs]
    if arguments.vararg is not None:
        found.append((arguments.vararg.arg, "*args"))
    if arguments.kwarg is not None:
        found.append((arguments.kwarg.arg, "**kwargs"))
    return tuple(found)


class Flows:
    """What the values of one function are made from. A name read at some point holds what the bindings
    of it before that point (in the source's order) bound, or the parameter's argument: a later
    ``code = marshal.loads(raw)`` does not change what ``raw`` was made from."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, parameters: Signature, resolve: Resolver,
                 read_here: Callable[[str], bool]) -> None:
        self.resolve = resolve
        given = {name for name, _ in parameters}
        # self or cls: what a pickle's BUILD set on the instance
        self.instance = {argument.arg for argument in [*node.args.posonlyargs, *node.args.args][:1]} - given
        self.read_here = read_here  # whether a dotted name is of the packages read
        self.parameters = {name for name, _ in parameters}
        self.bindings: dict[str, list[tuple[tuple[int, int], ast.expr]]] = {}
        for child in ast.walk(node):
            for names, where, value in _bindings(child):
                for name in names:
                    self.bindings.setdefault(name, []).append((where, value))
        self.seen: dict[tuple[str, tuple[int, int]], frozenset[str]] = {}

    def name(self, name: str, where: tuple[int, int]) -> frozenset[str]:
        key = (name, where)
        if key in self.seen:
            return self.seen[key]
        self.seen[key] = _OF_LIBRARY  # while it is worked out (a binding read through itself)
        bound = [value for at, value in self.bindings.get(name, ()) if at < where]
        if name in self.instance:
            found = _OF_EXTERNAL
        elif name in self.parameters:
            found = frozenset({name})
        elif name in self.bindings:
            found = frozenset()
        else:
            found = _OF_LIBRARY  # a global, a builtin, a closure's name
        for value in bound:
            found |= self.made_from(value)
        self.seen[key] = found
        return found

    def made_from(self, value: ast.expr | None) -> frozenset[str]:
        """The parameters ``value`` is made from (:data:`LIBRARY` among them for what the library chose)."""
        if value is None or isinstance(value, ast.Constant):
            return frozenset()
        if isinstance(value, ast.Name):
            return self.name(value.id, (value.lineno, value.col_offset))
        if isinstance(value, (ast.Subscript, ast.Attribute, ast.Starred)):
            return self.made_from(value.value)
        if isinstance(value, ast.Call):
            return self.call_made_from(value)
        parts: list[ast.expr | None]
        if isinstance(value, (ast.Tuple, ast.List, ast.Set)):
            parts = list(value.elts)
        elif isinstance(value, ast.Dict):
            parts = [*value.keys, *value.values]
        elif isinstance(value, ast.IfExp):
            parts = [value.body, value.orelse]
        elif isinstance(value, ast.BoolOp):
            parts = list(value.values)
        elif isinstance(value, ast.BinOp):
            parts = [value.left, value.right]
        elif isinstance(value, ast.JoinedStr):
            parts = list(value.values)
        elif isinstance(value, ast.FormattedValue):
            parts = [value.value]
        elif isinstance(value, ast.UnaryOp):
            parts = [value.operand]
        elif isinstance(value, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            parts = [value.elt]  # its targets are bindings of their own, read through the element
        elif isinstance(value, ast.DictComp):
            parts = [value.key, value.value]
        elif isinstance(value, (ast.Compare, ast.Lambda)):
            return frozenset()  # a bool; a function the library wrote
        else:
            return _OF_EXTERNAL  # an await, a yield...: not followed
        found: frozenset[str] = frozenset()
        for part in parts:
            found |= self.made_from(part)
        return found

    def call_made_from(self, call: ast.Call) -> frozenset[str]:
        if isinstance(call.func, ast.Attribute):
            receiver = self.made_from(call.func.value)
            if receiver and receiver != _OF_LIBRARY:  # not a module's function: a method of the value
                # config.get("config"), code.encode("ascii"); not path.read_bytes()
                return receiver if call.func.attr not in _READERS else receiver | _OF_EXTERNAL
        written = dotted_name(call.func)
        target = self.resolve(written) if written else None
        if target is None and written in _BUILTIN_DECODERS:
            target = f"builtins.{written}"
        if target is None or (target not in _DECODERS and not self.read_here(target)):
            return _OF_EXTERNAL  # open(path), np.load(...), a function not read here
        found: frozenset[str] = frozenset()
        for argument in [*call.args, *(keyword.value for keyword in call.keywords)]:
            found |= self.made_from(argument)
        if target in _DECODERS:
            return found
        if any(word in target.rpartition(".")[2].lower() for word in _READING_WORDS) or not found - _OF_LIBRARY:
            # a helper named for reading (read_file(path) is a file's bytes, not the path), or one given
            # nothing of the caller's (get_remote_cache()): what it returns may come from anywhere
            return found | _OF_EXTERNAL
        return found

    def arguments(self, call: ast.Call) -> Arguments:
        """Each argument of ``call`` (by position, or keyword) -> the parameters it is made from."""
        found: Arguments = {}
        for index, argument in enumerate(call.args):
            if isinstance(argument, ast.Starred):
                found["*"] = self.made_from(argument)  # *args: every later position
                break
            found[str(index)] = self.made_from(argument)
        for keyword in call.keywords:
            found[keyword.arg or "**"] = self.made_from(keyword.value)
        return found


def _bindings(node: ast.AST) -> list[tuple[list[str], tuple[int, int], ast.expr]]:
    """(names bound, where the binding takes effect, the value bound) for a binding statement or expression."""
    if isinstance(node, ast.Assign):
        return [([name for target in node.targets for name in _names(target)], _end(node), node.value)]
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
        return [(_names(node.target), _end(node), node.value)]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [(_names(node.target), _end(node.target), node.iter)]
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        start = (node.lineno, node.col_offset - 1)  # the element, written first, reads the targets
        return [(_names(generator.target), start, generator.iter) for generator in node.generators]
    if isinstance(node, ast.NamedExpr):
        return [(_names(node.target), _end(node), node.value)]
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return [(_names(node.optional_vars), _end(node.optional_vars), node.context_expr)]
    return []


def _end(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", None) or 0, getattr(node, "end_col_offset", None) or 0)


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for item in target.elts for name in _names(item)]
    if isinstance(target, ast.Starred):
        return _names(target.value)
    return []  # an attribute or item set: it binds no local name
