"""What a save/log call's ``python_model=`` (or ``loader_module=``) makes the model run.

MLflow stores a ``PythonModel`` with cloudpickle. A class defined in the training script runs
as ``__main__`` and is pickled **by value**: its methods, and the module-level functions and
imports they use, travel inside ``python_model.pkl``. A class imported from a module is pickled
**by reference**: loading imports that module, so it must be shipped with ``code_paths``.
A string ``python_model="file.py"`` is models-from-code: the file is copied to the model root
and executed at load. This module turns the call's arguments into those facts, statically.
"""

from __future__ import annotations

import ast
from pathlib import Path

from modellint.analyzer.project.log_calls import MlflowCall, SourceFile, read_source
from modellint.analyzer.project.sources import resolve_module
from modellint.findings import Span
from modellint.record import Record

# Methods MLflow calls while loading a PythonModel (requirement inference sees their imports);
# `__init__` runs only in the training process, before pickling.
LOAD_METHODS = frozenset({"load_context", "__setstate__", "__reduce__"})
TRAINING_ONLY_METHODS = frozenset({"__init__"})


class PickledObject(Record):
    """A third-party object handed to the PythonModel's constructor: pickled with the model, so
    loading imports its class's module (``clf = LogisticRegression().fit(...)`` -> ``sklearn``)."""

    __slots__ = ("qualified_name", "span")

    def __init__(self, qualified_name: str, span: Span) -> None:
        self.qualified_name = qualified_name
        self.span = span


class ModelCode(Record):
    """The code a save/log call makes the model run, with where the call names it.

    ``kind`` is ``"class"`` (a PythonModel instance), ``"code_file"`` (models-from-code) or
    ``"loader_module"``. For a class, ``module`` is the importable name when it is pickled by
    reference and None when it lives in the training script (by value).
    """

    __slots__ = ("kind", "path", "argument_span", "class_name", "module", "line_ranges", "referenced_names",
                 "pickled_objects", "source")
    _uncompared = _unshown = frozenset({"source"})  # the whole parsed file

    def __init__(self, kind: str, path: Path, argument_span: Span, class_name: str | None = None,
                 module: str | None = None, line_ranges: tuple[tuple[int, int], ...] = (),
                 referenced_names: frozenset[str] = frozenset(), pickled_objects: tuple[PickledObject, ...] = (),
                 source: SourceFile | None = None) -> None:
        self.kind = kind
        self.path = path
        self.argument_span = argument_span
        self.class_name = class_name
        self.module = module
        self.line_ranges = line_ranges  # by value: the lines pickled with the class
        self.referenced_names = referenced_names  # by value: global names that code uses
        self.pickled_objects = pickled_objects
        self.source = source

    @property
    def by_value(self) -> bool:
        return self.kind == "class" and self.module is None

    def phase(self, line: int) -> str:
        """When code at ``line`` of :attr:`path` runs: ``"load"``, ``"predict"`` or ``"training"``.

        Module level runs at load (import or exec of the file); ``load_context`` at load;
        ``__init__`` only while training; every other function when the model predicts.
        """
        if self.source is None:
            return "load"
        function = _enclosing_function(self.source.tree, line)
        if function is None:
            return "load"
        if function.name in TRAINING_ONLY_METHODS:
            return "training"
        return "load" if function.name in LOAD_METHODS else "predict"

    def runs_line(self, line: int) -> bool:
        """For a by-value class: whether ``line`` belongs to the code pickled with it."""
        return any(start <= line <= end for start, end in self.line_ranges)


def resolve_model_code(call: MlflowCall, source: SourceFile, search_roots: tuple[Path, ...]) -> ModelCode | None:
    """The model code ``call`` names, or None when it names none that modellint can find."""
    node = call.nodes.get("python_model")
    if node is not None:
        literal = call.literal("python_model")
        if literal is not None and isinstance(literal.value, str):
            return _code_file(literal.value, source, search_roots, literal.span)
        return _model_class(node, source, search_roots)
    loader = call.literal("loader_module")
    if loader is not None and isinstance(loader.value, str) and loader.value:
        return ModelCode("loader_module", source.path, loader.span, module=loader.value)
    return None


def _code_file(text: str, source: SourceFile, roots: tuple[Path, ...], span: Span) -> ModelCode | None:
    from modellint.analyzer.files import is_file, is_within

    for root in roots:
        path = root / text
        if is_file(path):
            if not is_within(roots[-1], path):
                return None  # outside the project (roots end with it): never read

            parsed = read_source(path)
            return ModelCode("code_file", path, span, source=parsed if isinstance(parsed, SourceFile) else None)
    return None


def _model_class(node: ast.expr, source: SourceFile, roots: tuple[Path, ...]) -> ModelCode | None:
    span = source.span(node)
    constructor: ast.expr | None = node
    if isinstance(node, ast.Name):
        constructor = source.bound_once(node.id)
    if not isinstance(constructor, ast.Call):
        return None
    objects = _pickled_objects(constructor, source, roots)
    func = constructor.func
    if isinstance(func, ast.Name):
        local = _module_level_class(source.tree, func.id)
        if local is not None:
            lines, names = _by_value_code(source, local)
            return ModelCode("class", source.path, span, func.id, None, lines, names, objects, source)
    qualified = source.qualified_name(func)
    if not qualified or "." not in qualified:
        return None
    module, _, class_name = qualified.rpartition(".")
    path = resolve_module(module, roots)
    if path is None or path.is_dir():
        return None
    parsed = read_source(path)
    return ModelCode("class", path, span, class_name, module, pickled_objects=objects,
                     source=parsed if isinstance(parsed, SourceFile) else None)


def _module_level_class(tree: ast.Module, name: str) -> ast.ClassDef | None:
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef) and statement.name == name:
            return statement
    return None


def _by_value_code(source: SourceFile, cls: ast.ClassDef) -> tuple[tuple[tuple[int, int], ...], frozenset[str]]:
    """The lines cloudpickle stores with ``cls`` and the global names they use.

    cloudpickle pickles a ``__main__`` class by value together with every module-level
    function or class its code refers to (recursively); module objects it refers to become
    ``subimport`` calls, i.e. imports at load.
    """
    definitions = {
        statement.name: statement
        for statement in source.tree.body
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    included: dict[str, ast.stmt] = {cls.name: cls}
    names: set[str] = set()
    pending: list[ast.stmt] = [cls]
    while pending:
        node = pending.pop()
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                names.add(child.id)
                if child.id in definitions and child.id not in included:
                    included[child.id] = definitions[child.id]
                    pending.append(definitions[child.id])
    ranges = tuple(sorted((_first_line(node), node.end_lineno or node.lineno) for node in included.values()))
    return ranges, frozenset(names)


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(decorator.lineno for decorator in decorators)])


def _pickled_objects(constructor: ast.Call, source: SourceFile, roots: tuple[Path, ...]) -> tuple[PickledObject, ...]:
    """Third-party objects passed to the model's constructor, by the call that made them."""
    found = []
    for value in [*constructor.args, *(keyword.value for keyword in constructor.keywords)]:
        qualified = _maker(value, source, depth=0)
        if qualified and resolve_module(qualified.split(".")[0], roots) is None:
            found.append(PickledObject(qualified, source.span(value)))
    return tuple(found)


def _maker(node: ast.expr, source: SourceFile, depth: int) -> str | None:
    """``LogisticRegression(...).fit(X, y)`` -> ``sklearn.linear_model.LogisticRegression``.

    A method chained on a constructor (``.fit`` and friends return the estimator) keeps the
    constructor's class; a name bound once is followed to its value.
    """
    if depth > 4:
        return None
    if isinstance(node, ast.Name):
        bound = source.bound_once(node.id)
        return _maker(bound, source, depth + 1) if isinstance(bound, ast.expr) else None
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, (ast.Call, ast.Name)):
        chained = _maker(node.func.value, source, depth + 1)
        if chained:
            return chained
    qualified = source.qualified_name(node.func)
    return qualified if qualified and "." in qualified else None


def _enclosing_function(tree: ast.Module, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The outermost-method-level function holding ``line``: a method's name, else a function's."""
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno < best.lineno:
                best = node
    return best
