"""Reading one training-project file: the MLflow save/log calls in it and their literal arguments.

Uses the standard library's ``ast`` (not libcst): it is an order of magnitude faster, and a
training project's calls need no round-tripping, only names, literals and positions. Nothing is
ever imported or executed; a value that is not a literal (or a name bound once to one) is
:data:`UNKNOWN`, and checks that need it stay silent.
"""

from __future__ import annotations

import ast
import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modellint.findings import FILE_START, Span
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.analyzer.code.notebooks import NotebookCode


class _Unknown:
    """A value the static reading cannot know (a call result, an f-string, a parameter...)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

# Positional parameters of the pyfunc entry points (identical in MLflow 2.22 and 3.x up to
# `pip_requirements`); other flavors take (model, path|artifact_path, ...) and their later
# positions vary between flavors and versions, so only the first two are read.
_PYFUNC_POSITIONAL = {
    "save_model": ("path", "loader_module", "data_path", "code_paths", "infer_code_paths", "conda_env",
                   "mlflow_model", "python_model", "artifacts", "signature", "input_example",
                   "pip_requirements", "extra_pip_requirements"),
    "log_model": ("artifact_path", "loader_module", "data_path", "code_paths", "infer_code_paths", "conda_env",
                  "python_model", "artifacts", "registered_model_name", "signature", "input_example",
                  "await_registration_for", "pip_requirements", "extra_pip_requirements"),
}
_FLAVOR_POSITIONAL = {"save_model": ("model", "path"), "log_model": ("model", "artifact_path")}
LOG_FUNCTIONS = frozenset(_PYFUNC_POSITIONAL)
# Calls that return the path they are given (made absolute or converted between str and Path).
_PATH_IDENTITIES = frozenset({
    "os.path.abspath", "os.path.realpath", "os.path.normpath", "os.fspath", "str", "pathlib.Path",
    "pathlib.PurePath", "posixpath.abspath", "posixpath.realpath", "posixpath.normpath",
})


class Literal(Record):
    """A value read from source: a str/int/float/bool/None, a tuple of Literals (list, tuple or
    set), a dict of str -> Literal, or :data:`UNKNOWN`; with where it is written."""

    __slots__ = ("value", "path", "span", "anchored")

    def __init__(self, value: Any, path: Path, span: Span, anchored: bool = False) -> None:
        self.value = value
        self.path = path
        self.span = span
        # The value is a path built from the file's own location (``os.path.dirname(__file__)``,
        # ``Path(__file__).parent / "src"``): absolute, and the same whatever the working directory.
        self.anchored = anchored

    @property
    def known(self) -> bool:
        return self.value is not UNKNOWN

    def plain(self) -> Any:
        """The value with nested Literals unwrapped (unknown parts stay :data:`UNKNOWN`)."""
        if isinstance(self.value, tuple):
            return [item.plain() for item in self.value]
        if isinstance(self.value, dict):
            return {key: item.plain() for key, item in self.value.items()}
        return self.value


class MlflowCall(Record):
    """``mlflow.<flavor>.save_model/log_model(...)`` as written in a project file."""

    __slots__ = ("path", "span", "flavor", "function", "arguments", "opaque", "nodes")
    _uncompared = _unshown = frozenset({"nodes"})  # each argument's syntax node, for the code it names

    def __init__(self, path: Path, span: Span, flavor: str, function: str, arguments: dict[str, Literal],
                 opaque: bool = False, nodes: dict[str, ast.expr] | None = None) -> None:
        self.path = path
        self.span = span
        self.flavor = flavor
        self.function = function
        self.arguments = arguments
        # `**kwargs` or positions modellint cannot map: any argument may be set, so checks that rely
        # on an argument being absent must not fire.
        self.opaque = opaque
        self.nodes = {} if nodes is None else nodes

    def literal(self, name: str) -> Literal | None:
        return self.arguments.get(name)

    def given(self, name: str) -> bool:
        """Whether the argument is passed with a value other than a literal None/False/empty."""
        argument = self.arguments.get(name)
        if argument is None:
            return False
        return argument.value not in (None, False, (), "") or not argument.known


class SourceFile:
    """One Python file parsed with ``ast``, with 1-based character positions for its nodes.

    For a notebook, ``text`` is its code cells joined (``notebook`` says which cell each line is in).
    """

    def __init__(self, path: Path, text: str, notebook: NotebookCode | None = None) -> None:
        self.path = path
        self.text = text
        self.notebook = notebook
        self.tree = ast.parse(text, filename=str(path))
        self._lines = text.splitlines()

    def span(self, node: ast.AST) -> Span:
        line, column = getattr(node, "lineno", None), getattr(node, "col_offset", None)
        if line is None or column is None:  # (ast gives a node both or neither)
            return FILE_START
        end_line = getattr(node, "end_lineno", None) or line
        return Span(line, self._column(line, column), end_line,
                    self._column(end_line, getattr(node, "end_col_offset", None) or column))

    def _column(self, line: int, byte_offset: int) -> int:
        # ast columns are UTF-8 byte offsets; modellint's are 1-based characters.
        if not 0 < line <= len(self._lines):
            return byte_offset + 1
        return len(self._lines[line - 1].encode()[:byte_offset].decode(errors="replace")) + 1

    @cached_property
    def assignments(self) -> dict[str, list[ast.expr]]:
        """Every ``name = value`` in the file, any scope: a name bound once can be read back."""
        found: dict[str, list[ast.expr]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, []).append(node.value)
                    else:
                        for name in ast.walk(target):
                            if isinstance(name, ast.Name):  # unpacking: value not known per name
                                found.setdefault(name.id, []).append(ast.Constant(UNKNOWN))
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name):
                found.setdefault(node.target.id, []).append(getattr(node, "value", None) or ast.Constant(UNKNOWN))
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.comprehension)):
                targets: list[ast.expr | None] = (
                    [node.target] if hasattr(node, "target") else [item.optional_vars for item in node.items])
                for bound in targets:
                    for name in ast.walk(bound) if bound is not None else ():
                        if isinstance(name, ast.Name):
                            found.setdefault(name.id, []).append(ast.Constant(UNKNOWN))
        return found

    def bound_once(self, name: str) -> ast.expr | None:
        values = self.assignments.get(name, [])
        return values[0] if len(values) == 1 else None

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Local name -> the dotted module or object it stands for, from every import in the file.

        ``import mlflow.pyfunc as mp`` -> ``mp: mlflow.pyfunc``; ``import mlflow.pyfunc`` ->
        ``mlflow: mlflow``; ``from mlflow.sklearn import log_model as lm`` ->
        ``lm: mlflow.sklearn.log_model``. Flow-insensitive: a name imported twice differently
        keeps the first binding, which is what a linter can say without running the code.
        """
        aliases: dict[str, str] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases.setdefault(alias.asname, alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        aliases.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name != "*":
                        aliases.setdefault(alias.asname or alias.name, f"{node.module}.{alias.name}")
        # `log = mlflow.sklearn.log_model` makes `log` an alias too.
        for name, values in self.assignments.items():
            if len(values) == 1 and name not in aliases:
                dotted = self._dotted(values[0], aliases)
                if dotted and dotted.startswith("mlflow."):
                    aliases[name] = dotted
        return aliases

    def qualified_name(self, node: ast.expr) -> str | None:
        """The dotted name an expression refers to through the file's imports, if any."""
        return self._dotted(node, self.aliases)

    @staticmethod
    def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in aliases:
            return None
        return ".".join([aliases[node.id], *reversed(parts)])

    def literal(self, node: ast.expr | None, _depth: int = 0) -> Literal:
        """Read ``node`` as a literal, following names bound once in the file."""
        if node is None:
            return Literal(None, self.path, FILE_START)
        span = self.span(node)
        if _depth > 8:
            return Literal(UNKNOWN, self.path, span)
        if isinstance(node, ast.Constant):
            return Literal(node.value, self.path, span)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            if any(isinstance(item, ast.Starred) for item in node.elts):
                return Literal(UNKNOWN, self.path, span)
            return Literal(tuple(self.literal(item, _depth + 1) for item in node.elts), self.path, span)
        if isinstance(node, ast.Dict):
            items: dict[str, Literal] = {}
            for key, value in zip(node.keys, node.values):
                if key is None or not isinstance(key, ast.Constant) or not isinstance(key.value, str):
                    return Literal(UNKNOWN, self.path, span)
                items[key.value] = self.literal(value, _depth + 1)
            return Literal(items, self.path, span)
        anchored = self._anchored_path(node, _depth)
        if anchored is not None:
            return Literal(anchored, self.path, span, anchored=True)
        if isinstance(node, ast.Name):
            bound = self.bound_once(node.id)
            if bound is None or (isinstance(bound, ast.Constant) and bound.value is UNKNOWN):
                return Literal(UNKNOWN, self.path, span)
            return self.literal(bound, _depth + 1)  # its span: where the value is written
        return Literal(UNKNOWN, self.path, span)

    def _anchored_path(self, node: ast.expr, depth: int) -> str | None:
        """The absolute path an expression built on ``__file__`` names, or None.

        Reads the spellings people use to anchor a path on the script (``os.path.join``,
        ``dirname``, ``abspath``/``realpath``/``normpath``, ``pathlib.Path`` with ``.parent``,
        ``.resolve()``, ``/``, ``joinpath``, ``str()``/``os.fspath()``), following names bound
        once. In Python 3.9+ ``__file__`` is absolute, so the result does not depend on the
        working directory. Symlinks are not resolved: the path is only compared and copied by
        basename, which ``realpath`` would change only for a symlinked directory.
        """
        if depth > 8:
            return None
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return os.path.abspath(self.path)
            bound = self.bound_once(node.id)
            return self._anchored_path(bound, depth + 1) if isinstance(bound, ast.expr) else None
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            base = self._anchored_path(node.value, depth + 1)
            return os.path.dirname(base) if base is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            base = self._anchored_path(node.left, depth + 1)
            tail = self._path_part(node.right)
            return os.path.normpath(os.path.join(base, tail)) if base is not None and tail is not None else None
        if not isinstance(node, ast.Call) or node.keywords:
            return None
        function = self.qualified_name(node.func)
        if function is None and isinstance(node.func, ast.Name) and node.func.id not in self.assignments:
            function = node.func.id  # a builtin (`str`), unless the file rebinds the name
        arguments = node.args
        if isinstance(node.func, ast.Attribute) and function is None:
            # A method of a Path value: `.resolve()`, `.absolute()`, `.joinpath("a", "b")`.
            base = self._anchored_path(node.func.value, depth + 1)
            if base is None:
                return None
            if node.func.attr in ("resolve", "absolute") and not arguments:
                return base
            if node.func.attr == "joinpath":
                parts = [self._path_part(argument) for argument in arguments]
                known = [part for part in parts if part is not None]
                return None if len(known) < len(parts) else os.path.normpath(os.path.join(base, *known))
            return None
        if len(arguments) == 1 and function in _PATH_IDENTITIES:
            return self._anchored_path(arguments[0], depth + 1)
        if len(arguments) == 1 and function in ("os.path.dirname", "posixpath.dirname"):
            base = self._anchored_path(arguments[0], depth + 1)
            return os.path.dirname(base) if base is not None else None
        if arguments and function in ("os.path.join", "posixpath.join", "pathlib.Path", "pathlib.PurePath"):
            base = self._anchored_path(arguments[0], depth + 1)
            parts = [self._path_part(argument) for argument in arguments[1:]]
            known = [part for part in parts if part is not None]
            if base is None or len(known) < len(parts):
                return None
            return os.path.normpath(os.path.join(base, *known))
        return None

    @staticmethod
    def _path_part(node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and not os.path.isabs(node.value):
            return node.value
        return None

    def calls_any(self, functions: frozenset[str]) -> bool:
        """Whether the file calls one of ``functions`` (dotted names, under any import alias)."""
        return any(isinstance(node, ast.Call) and self.qualified_name(node.func) in functions
                   for node in ast.walk(self.tree))

    def mlflow_calls(self) -> list[MlflowCall]:
        """Every ``mlflow.<flavor>.save_model/log_model`` call, under any import alias."""
        calls = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            target = self.qualified_name(node.func)
            if not target:
                continue
            parts = target.split(".")
            if len(parts) != 3 or parts[0] != "mlflow" or parts[2] not in LOG_FUNCTIONS:
                continue
            calls.append(self._read_call(node, parts[1], parts[2]))
        return sorted(calls, key=lambda call: (call.span.line, call.span.column))

    def _read_call(self, node: ast.Call, flavor: str, function: str) -> MlflowCall:
        positional = _PYFUNC_POSITIONAL[function] if flavor == "pyfunc" else _FLAVOR_POSITIONAL[function]
        arguments: dict[str, Literal] = {}
        nodes: dict[str, ast.expr] = {}
        opaque = False
        for index, value in enumerate(node.args):
            if isinstance(value, ast.Starred) or index >= len(positional):
                opaque = True
                continue
            arguments[positional[index]] = self.literal(value)
            nodes[positional[index]] = value
        for keyword in node.keywords:
            if keyword.arg is None:
                opaque = True
                continue
            arguments[keyword.arg] = self.literal(keyword.value)
            nodes[keyword.arg] = keyword.value
        return MlflowCall(self.path, self.span(node), flavor, function, arguments, opaque, nodes)


class Unreadable(Record):
    """A candidate file that cannot be read or parsed, with where and why."""

    __slots__ = ("path", "message", "span")

    def __init__(self, path: Path, message: str, span: Span = FILE_START) -> None:
        self.path = path
        self.message = message
        self.span = span


def read_source(path: Path) -> SourceFile | Unreadable:
    """The parsed file, or why it cannot be read (a syntax error keeps its line and column).
    A notebook (``.ipynb``) is read as its code cells (:mod:`~modellint.analyzer.code.notebooks`)."""
    from modellint.analyzer.files import read_text

    notebook = None
    if path.name.endswith(".ipynb"):  # the notebook reader is imported only for a project that has one
        from modellint.analyzer.code.notebooks import NotebookError, read_notebook

        try:
            notebook = read_notebook(path)
        except NotebookError as error:
            return Unreadable(path, str(error))
        text: str | None = notebook.text
    else:
        text, problem = read_text(path)
        if problem is not None:
            return Unreadable(path, problem.message)
    if text is None:
        return Unreadable(path, f"`{path.name}` does not exist")
    try:
        return SourceFile(path, text, notebook)
    except SyntaxError as error:
        line = error.lineno or 1
        return Unreadable(path, f"`{path.name}` is not valid Python: {error.msg} ({_where(line, notebook)})",
                          Span(line, max(error.offset or 1, 1)))
    except (ValueError, RecursionError, MemoryError) as error:
        return Unreadable(path, f"`{path.name}` cannot be parsed: {error or type(error).__name__}")


def _where(line: int, notebook: NotebookCode | None) -> str:
    cell = notebook.locate(line) if notebook is not None else None
    return f"line {line}" if cell is None else f"cell {cell[0]}, line {cell[1]}"
