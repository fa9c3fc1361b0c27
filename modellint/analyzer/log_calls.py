"""Reading one training-project file: the MLflow save/log calls in it and their literal arguments.

Uses the standard library's ``ast`` (not libcst): it is an order of magnitude faster, and a
training project's calls need no round-tripping, only names, literals and positions. Nothing is
ever imported or executed; a value that is not a literal (or a name bound once to one) is
:data:`UNKNOWN`, and checks that need it stay silent.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from modellint.findings import FILE_START, Span


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


@dataclass(frozen=True)
class Literal:
    """A value read from source: a str/int/float/bool/None, a tuple of Literals (list, tuple or
    set), a dict of str -> Literal, or :data:`UNKNOWN`; with where it is written."""

    value: Any
    path: Path
    span: Span

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


@dataclass(frozen=True)
class MlflowCall:
    """``mlflow.<flavor>.save_model/log_model(...)`` as written in a project file."""

    path: Path
    span: Span
    flavor: str
    function: str
    arguments: dict[str, Literal]
    # `**kwargs` or positions modellint cannot map: any argument may be set, so checks that rely
    # on an argument being absent must not fire.
    opaque: bool = False
    nodes: dict[str, ast.expr] = field(default_factory=dict, compare=False, repr=False)

    def literal(self, name: str) -> Literal | None:
        return self.arguments.get(name)

    def given(self, name: str) -> bool:
        """Whether the argument is passed with a value other than a literal None/False/empty."""
        argument = self.arguments.get(name)
        if argument is None:
            return False
        return argument.value not in (None, False, (), "") or not argument.known


class SourceFile:
    """One Python file parsed with ``ast``, with 1-based character positions for its nodes."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.tree = ast.parse(text, filename=str(path))
        self._lines = text.splitlines()

    def span(self, node: ast.AST) -> Span:
        line = getattr(node, "lineno", None)
        if line is None:
            return FILE_START
        end_line = getattr(node, "end_lineno", None) or line
        return Span(line, self._column(line, node.col_offset), end_line,
                    self._column(end_line, getattr(node, "end_col_offset", None) or node.col_offset))

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
                targets = [node.target] if hasattr(node, "target") else [item.optional_vars for item in node.items]
                for target in targets:
                    for name in ast.walk(target) if target is not None else ():
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
        if isinstance(node, ast.Name):
            bound = self.bound_once(node.id)
            if bound is None or (isinstance(bound, ast.Constant) and bound.value is UNKNOWN):
                return Literal(UNKNOWN, self.path, span)
            return self.literal(bound, _depth + 1)  # its span: where the value is written
        return Literal(UNKNOWN, self.path, span)

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


def read_source(path: Path) -> SourceFile | str:
    """The parsed file, or a sentence saying why it cannot be read."""
    from modellint.analyzer.files import read_text

    text, problem = read_text(path)
    if problem is not None:
        return problem.message
    if text is None:
        return f"`{path.name}` does not exist"
    try:
        return SourceFile(path, text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return f"`{path.name}` is not valid Python: {getattr(error, 'msg', None) or error}"
