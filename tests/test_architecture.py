"""The layering the README promises, checked on the source: the analyzer reads and never judges,
and no module of the package depends on itself through others.

Every module is parsed with :mod:`ast`, never imported, and every import statement counts:
module-level ones, those inside functions (a lazy import is a dependency all the same, only a
later one) and those under ``if TYPE_CHECKING:`` (a type a module names is a concept it depends
on). What counts as an edge of the import graph:

* ``import a.b.c`` and ``from a.b.c import name`` point at ``a.b.c``, the module whose names the
  importer uses. Python imports ``a`` and ``a.b`` first, but those implicit parent imports are
  not edges: a submodule that takes no names from its package's ``__init__`` does not depend on
  it (it may even run while that ``__init__`` is importing it), so a package ``__init__`` that
  re-exports its own submodules (``analyzer/serialized/pickles/__init__.py``) is not in a cycle
  with each of them.
* ``from a.b import c`` where ``a/b/c.py`` or ``a/b/c/`` exists points at that submodule only;
  where ``c`` is a name defined in ``a/b/__init__.py`` it points at ``a.b``. So a submodule that
  takes names from its own package's ``__init__`` while that ``__init__`` imports it *is* a
  cycle: the one that ends in a partially initialised module.
* Relative imports are resolved against the importing module's package.
* A module loaded by a computed name is an edge too, to every module the name can be:
  ``import_module(f"modellint.reports.{name}")`` points at each module under
  ``modellint.reports.``; a name with no literal prefix (the rule registry's
  ``import_module(entry.module)``) must be declared in :data:`LOADED_BY_NAME`, or the test says
  which call needs it. So the registry, which imports every rule module on first use, would be
  caught in a cycle if a rule module (or anything it imports) imported the registry back.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import write_files

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "modellint"

# What the analyzer may not import: what judges (the rules, the engine and project mode that run
# them), what edits (fixes and the fix runner) and what prints (reports, the command line).
JUDGING = (
    "modellint.rules",
    "modellint.engine",
    "modellint.project_mode",
    "modellint.fixes",
    "modellint.fix_runner",
    "modellint.reports",
    "modellint.cli",
)
# Positions are the one thing the analyzer shares with findings: facts carry a Span.
ANALYZER_NAMES_FROM_FINDINGS = frozenset({"Span", "FILE_START"})
# Modules that load others by a name computed at run time with no literal prefix: the prefix of
# every name they can load. The registry loads `modellint.rules.<code>_<name>` per RULE_TABLE entry.
LOADED_BY_NAME = {"modellint.rules": "modellint.rules.ml"}


class Import:
    """One edge of the graph: ``source`` imports ``target`` (``names`` from it, for a from-import
    of names), at ``where`` (``path:line``)."""

    __slots__ = ("source", "target", "where", "names")

    def __init__(self, source: str, target: str, where: str, names: tuple[str, ...] = ()) -> None:
        self.source = source
        self.target = target
        self.where = where
        self.names = names

    def __repr__(self) -> str:
        return f"{self.where}: {self.source} imports {self.target}"


class UndeclaredLoad(Exception):
    """A module loaded by a computed name that :data:`LOADED_BY_NAME` does not describe."""


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (a package by its ``__init__.py``)."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(package_dir: Path = PACKAGE_DIR,
                 loaded_by_name: dict[str, str] | None = None) -> dict[str, list[Import]]:
    """Every module's imports of other modules of the package, in line order."""
    modules = module_names(package_dir)
    loaded_by_name = LOADED_BY_NAME if loaded_by_name is None else loaded_by_name
    graph = {}
    for module, path in modules.items():
        where = path.relative_to(package_dir.parent).as_posix()
        edges = _imports(module, path, where, modules, package_dir.name, loaded_by_name)
        graph[module] = [edge for edge in edges if edge.target != module]
    return graph


def _imports(module: str, path: Path, where: str, modules: dict[str, Path], package: str,
             loaded_by_name: dict[str, str]) -> list[Import]:
    def inside(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    found = []
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        at = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, at) for alias in node.names if inside(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            target = _from_target(module, path, node)
            if not inside(target):
                continue
            names = []
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    found.append(Import(module, f"{target}.{alias.name}", at))
                else:
                    names.append(alias.name)
            if names:
                found.append(Import(module, target, at, tuple(names)))
        elif isinstance(node, ast.Call) and _calls_import_module(node) and node.args:
            found += [Import(module, name, at) for name in _loadable(node.args[0], module, at, modules, loaded_by_name)]
    return sorted(found, key=lambda edge: (int(edge.where.rpartition(":")[2]), edge.target))


def _from_target(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The module a from-import reads from, relative imports resolved against the package."""
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _calls_import_module(node: ast.Call) -> bool:
    function = node.func
    return (isinstance(function, ast.Name) and function.id == "import_module") or (
        isinstance(function, ast.Attribute) and function.attr == "import_module")


def _loadable(argument: ast.expr, module: str, at: str, modules: dict[str, Path],
              loaded_by_name: dict[str, str]) -> list[str]:
    """The modules of the package that ``import_module(argument)`` in ``module`` can load."""
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return [argument.value] if argument.value in modules else []  # import_module("os") is not ours
    first = argument.values[0] if isinstance(argument, ast.JoinedStr) and argument.values else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        prefix = first.value  # f"pkg.formats.{name}"
    elif module in loaded_by_name:
        prefix = loaded_by_name[module]
    else:
        raise UndeclaredLoad(f"{at}: {module} loads a module by a computed name: declare what it can load "
                             "in LOADED_BY_NAME (tests/test_architecture.py)")
    return [name for name in modules if name.startswith(prefix)]


def find_cycles(graph: dict[str, list[Import]]) -> list[list[Import]]:
    """One cycle per strongly connected component of the graph (each edge's target the next
    edge's source, the last edge's target the first one's source), in module order."""
    return [_cycle_within(graph, component) for component in _strongly_connected(graph) if len(component) > 1]


def _strongly_connected(graph: dict[str, list[Import]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(graph):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph[root]))]
        while work:
            module, edges = work[-1]
            edge = next(edges, None)
            if edge is not None:
                target = edge.target
                if target not in graph:
                    continue  # not a module of the package
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == module:
                        break
                components.append(component)
    return sorted(components, key=min)


def _cycle_within(graph: dict[str, list[Import]], component: set[str]) -> list[Import]:
    """The shortest cycle of the component (the first in module order among equals): the one to read."""
    return min((_shortest_cycle_through(graph, component, start) for start in sorted(component)), key=len)


def _shortest_cycle_through(graph: dict[str, list[Import]], component: set[str], start: str) -> list[Import]:
    """Breadth-first from ``start``, staying inside its strongly connected component."""
    reached: dict[str, list[Import]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for edge in graph[module]:
                if edge.target == start:
                    return [*reached[module], edge]
                if edge.target in component and edge.target not in reached:
                    reached[edge.target] = [*reached[module], edge]
                    following.append(edge.target)
        frontier = following
    raise AssertionError(f"{start} is in a strongly connected component but on no cycle")


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# --------------------------------------------------------------------------- the package


@cache
def _package_graph() -> dict[str, list[Import]]:
    return import_graph()


def test_the_analyzer_never_imports_what_judges() -> None:
    broken = []
    for module, edges in _package_graph().items():
        if not _within(module, "modellint.analyzer"):
            continue
        for edge in edges:
            layer = next((layer for layer in JUDGING if _within(edge.target, layer)), None)
            if layer is not None:
                broken.append(f"{edge!r} (the analyzer reads facts; {layer} judges, edits or prints)")
            elif edge.target == "modellint.findings" and not set(edge.names) <= ANALYZER_NAMES_FROM_FINDINGS:
                names = ", ".join(sorted(set(edge.names) - ANALYZER_NAMES_FROM_FINDINGS)) or "the module"
                broken.append(f"{edge.where}: {module} imports {names} from modellint.findings (the analyzer "
                              f"takes positions from it, {', '.join(sorted(ANALYZER_NAMES_FROM_FINDINGS))}, "
                              "never findings or fixes)")
    assert not broken, "\n".join(broken)


# Everything of modellint's the analyzer may import: itself, the value-object base and positions.
# An allow-list, so a new top-level module (config, selection, targets, ...) is kept out until
# someone decides it belongs below the analyzer.
ANALYZER_MAY_IMPORT = ("modellint.analyzer", "modellint.record", "modellint.findings")


def test_the_analyzer_imports_only_what_lies_below_it() -> None:
    broken = [f"{edge!r} (allowed: {', '.join(ANALYZER_MAY_IMPORT)})"
              for module, edges in _package_graph().items() if _within(module, "modellint.analyzer")
              for edge in edges
              if _within(edge.target, "modellint") and not any(_within(edge.target, allowed)
                                                                for allowed in ANALYZER_MAY_IMPORT)]
    assert not broken, "\n".join(broken)


def test_the_package_has_no_import_cycle() -> None:
    cycles = find_cycles(_package_graph())
    assert not cycles, "\n".join("import cycle:\n" + "\n".join(f"  {edge!r}" for edge in cycle) for cycle in cycles)


def test_the_graph_sees_every_kind_of_import_in_the_package() -> None:
    """Else the checks above could pass by not looking."""
    targets = {module: {edge.target for edge in edges} for module, edges in _package_graph().items()}
    assert len(targets) == len(module_names(PACKAGE_DIR)) > 90
    # `from modellint.analyzer.serialized.pickles.containers import scan_file` in the package's __init__
    assert "modellint.analyzer.serialized.pickles.containers" in targets["modellint.analyzer.serialized.pickles"]
    assert "modellint.engine" in targets["modellint"]  # inside `lint()`, and under TYPE_CHECKING
    assert "modellint.analyzer.files" in targets["modellint.fix_runner"]  # `from modellint.analyzer import files`
    assert "modellint" in targets["modellint.cli"]  # `from modellint import __version__`: a name of the __init__
    assert "modellint.rules.ml201_missing_dependency" in targets["modellint.rules"]  # import_module(entry.module)
    assert "modellint.reports.sarif" in targets["modellint.reports.by_format"]  # import_module(f"...{format}")


# --------------------------------------------------------------------------- the checker itself


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_files(tmp_path / "pkg", files)


def _edges(graph: dict[str, list[Import]]) -> set[tuple[str, str]]:
    return {(edge.source, edge.target) for edges in graph.values() for edge in edges}


def test_every_form_of_import_is_an_edge(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "__init__.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import A\n",
        "a.py": "def f():\n    import pkg.sub.b\n",
        "sub/__init__.py": "from . import b\nfrom .b import name\nVALUE = 1\n",
        "sub/b.py": "from .. import a\nfrom ..sub import VALUE\nimport os\n",
    })
    assert _edges(import_graph(package, {})) == {
        ("pkg", "pkg.a"),  # under TYPE_CHECKING
        ("pkg.a", "pkg.sub.b"),  # inside a function; not an edge to pkg.sub, run first by Python
        ("pkg.sub", "pkg.sub.b"),  # `from . import b`, and `from .b import name`
        ("pkg.sub.b", "pkg.a"),  # `from .. import a`: a submodule
        ("pkg.sub.b", "pkg.sub"),  # `from ..sub import VALUE`: a name of the __init__
    }


def test_a_submodule_taking_names_from_the_init_that_imports_it_is_a_cycle(tmp_path: Path) -> None:
    package = _package(tmp_path, {"__init__.py": "", "sub/__init__.py": "from pkg.sub.b import f\nVALUE = 1\n",
                                  "sub/b.py": "from pkg.sub import VALUE\n\ndef f(): ...\n"})
    [cycle] = find_cycles(import_graph(package, {}))
    assert [repr(edge) for edge in cycle] == ["pkg/sub/__init__.py:1: pkg.sub imports pkg.sub.b",
                                              "pkg/sub/b.py:1: pkg.sub.b imports pkg.sub"]


def test_modules_loaded_by_name_are_edges(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "__init__.py": "",
        "registry.py": "import importlib\n\ndef load(name):\n    return importlib.import_module(name)\n",
        "formats/__init__.py": "",
        "formats/json.py": "",
        "cli.py": "from importlib import import_module\nimport_module(f'pkg.formats.{x}')\nimport_module('os')\n",
        "plugins_x.py": "from pkg.registry import load\n",
    })
    with pytest.raises(UndeclaredLoad, match=r"pkg/registry.py:4: pkg.registry loads a module by a computed name"):
        import_graph(package, {})
    graph = import_graph(package, {"pkg.registry": "pkg.plugins_"})
    assert _edges(graph) == {("pkg.cli", "pkg.formats.json"),
                             ("pkg.registry", "pkg.plugins_x"), ("pkg.plugins_x", "pkg.registry")}
    assert [[edge.target for edge in cycle] for cycle in find_cycles(graph)] == [["pkg.registry", "pkg.plugins_x"]]


@pytest.mark.parametrize(("edges", "cycles"), [
    ({"a": ["b"], "b": ["c"], "c": ["a"]}, [["a", "b", "c"]]),
    ({"a": ["b"], "b": ["c", "a"], "c": ["b"]}, [["a", "b"]]),
    ({"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": ["c"]}, [["c", "d"]]),
    ({"a": ["b"], "b": ["c"], "c": ["b"], "d": ["e"], "e": ["d"]}, [["b", "c"], ["d", "e"]]),
    ({"a": ["b", "c"], "b": ["c"], "c": []}, []),
])
def test_find_cycles(edges: dict[str, list[str]], cycles: list[list[str]]) -> None:
    graph = {source: [Import(source, target, "x.py:1") for target in targets] for source, targets in edges.items()}
    found = find_cycles(graph)
    assert [[edge.source for edge in cycle] for cycle in found] == cycles
    for cycle in found:
        assert all(step.target == following.source for step, following in zip(cycle, [*cycle[1:], cycle[0]]))
