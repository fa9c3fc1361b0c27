#!/usr/bin/env python3
"""Build modellint's gadget knowledge (modellint/analyzer/knowledge/gadgets.dat, one block per module:
a pickle naming one class inflates its module's rows only) from the ML libraries' own source.

A pickle may call any callable its globals name: a library function that runs a command, builds
code, loads a nested pickle, writes or deletes a file or opens a connection, directly or through
the functions it calls, is a gadget, whatever it is called. This script reads the installed
source of those libraries (as text, with ``ast``: nothing is imported) and records every
module-level function, method and class whose call graph reaches such a sink.

The call graph is static and name-based, within the packages read:

* a call's callee is resolved through the module's imports (``import os``, ``from x import y
  as z``, relative imports), its module-level functions and classes, and ``self.m``/``cls.m`` in a
  method (the same class, then the bases defined in the packages read);
* a class is a gadget when constructing it reaches a sink (``__init__``, ``__new__``,
  ``__post_init__``); its methods are gadgets each on their own (a pickle reaches one through
  ``getattr(Class, "method")``, which modellint reads as ``module.Class.method``);
* a callee computed at run time (a parameter, a dict lookup) is not followed: the data lists
  what is certainly reachable, and modellint's hand list and allowlist-first policy stay for
  the rest.

The sinks are deliberately those no model load needs: commands (``os.system``, ``subprocess``),
code (``eval``, ``exec``, ``compile``, ``runpy``; not an import by a computed name, which every
lazy loader and plotting backend does with names the library chooses), nested
deserializers (``pickle``, ``marshal``, ``shelve``, ``dill``, ``cloudpickle``, ``joblib.load``,
``torch.load``), file writes and deletions (``open`` in a writing mode, ``os.remove``,
``shutil.rmtree``...), and network connections (``socket``, ``urllib.request``, ``http.client``,
``requests``). Only the first chain found is kept per callable.

An in-memory deserializer (``marshal.loads``, ``pickle.loads``) is a sink only as far as what it loads
can come from a pickle (gadget_flows.py reads that): from the callable's own arguments, the row names
the parameters that feed it (``keras.layers.Dense``: its ``activation`` may be a config holding a
Lambda's bytecode) and modellint judges what the pickle passes there; from a file, a function outside
the packages read or the instance's state, calling the callable is the danger, as for the other
sinks; from what the library holds itself (a module constant, its own registry), it is no sink.
Modules named ``*_test.py`` (Keras and TensorFlow keep their tests beside the code) are not read.

Usage, in a throwaway venv holding the libraries (never modellint's own):

    python3 -m venv /tmp/gadgets-venv
    /tmp/gadgets-venv/bin/pip install mlflow scikit-learn pandas numpy scipy joblib skops torch ...
    python3 scripts/build_gadgets.py --site-packages /tmp/gadgets-venv/lib/python3.11/site-packages \\
        --package mlflow --package sklearn ...
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from modellint.analyzer.code.source_imports import dotted_name  # noqa: E402 - the project's own reading of a.b.c
from modellint.analyzer.knowledge.block_file import encode_block_file  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gadget_flows as flows  # noqa: E402 - beside this script

# One block per module: a pickle naming BertModel inflates modeling_bert's rows, never all of transformers'.
OUT = Path(__file__).resolve().parent.parent / "modellint" / "analyzer" / "knowledge" / "gadgets.dat"
FORMAT = 1
DEFAULT_PACKAGES = ("mlflow", "sklearn", "pandas", "numpy", "scipy", "joblib", "cloudpickle", "skops", "torch",
                    "matplotlib", "pyarrow", "statsmodels", "xgboost", "lightgbm", "catboost", "dill", "keras",
                    "transformers", "tensorflow")
MAX_FILE_BYTES = 2_000_000
_MAX_HOPS = 5  # of a chain kept for the message: the first hops, then the sink

_COMMAND = {"os": {"system", "popen", "startfile", "posix_spawn", "posix_spawnp", "execl", "execle", "execlp",
                   "execlpe", "execv", "execve", "execvp", "execvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe",
                   "spawnv", "spawnve", "spawnvp", "spawnvpe"},
            "subprocess": {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"},
            "pty": {"spawn"}}
_CODE = {"builtins": {"eval", "exec", "compile"}, "runpy": {"run_module", "run_path"}}
_DESERIALIZE = {"pickle": {"load", "loads", "Unpickler"}, "_pickle": {"load", "loads", "Unpickler"},
                "marshal": {"load", "loads"}, "shelve": {"open"}, "dill": {"load", "loads"},
                "cloudpickle": {"load", "loads"}, "joblib": {"load"}, "torch": {"load"}}
_FILE_WRITE = {"os": {"remove", "unlink", "rmdir", "removedirs", "rename", "renames", "replace", "truncate",
                      "chmod", "chown", "symlink", "link"},
               "shutil": {"rmtree", "move", "copy", "copy2", "copyfile", "copytree", "chown"}}
_NETWORK = {"socket": {"socket", "create_connection", "create_server"},
            "urllib.request": {"urlopen", "urlretrieve", "build_opener"},
            "http.client": {"HTTPConnection", "HTTPSConnection"}, "ftplib": {"FTP", "FTP_TLS"},
            "smtplib": {"SMTP", "SMTP_SSL"}, "requests": {"get", "post", "put", "patch", "delete", "request", "head"},
            "requests.api": {"get", "post", "put", "patch", "delete", "request", "head"}}
SINKS: dict[str, str] = {}
for _kind, _table in (("command", _COMMAND), ("code", _CODE), ("deserialize", _DESERIALIZE),
                      ("file-write", _FILE_WRITE), ("network", _NETWORK)):
    for _module, _names in _table.items():
        for _name in _names:
            SINKS[f"{_module}.{_name}"] = _kind
_WRITE_MODES = set("wax+")
_CONSTRUCTORS = ("__init__", "__new__", "__post_init__")


class Module:
    def __init__(self, name: str, is_package: bool, tree: ast.Module) -> None:
        self.name = name
        self.package = name if is_package else name.rpartition(".")[0]
        self.tree = tree
        self.aliases: dict[str, str] = {}  # local name -> dotted target
        self.defs: set[str] = set()  # qualnames defined at module level: f, C, C.m
        self.bases: dict[str, list[str]] = {}  # class qualname -> dotted bases as written, resolved
        self.exports: dict[str, str] = {}  # names a module-level ``from x import y`` binds: y -> x.y


def module_name(root: Path, path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def read_modules(site_packages: list[Path], packages: list[str]) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for root in site_packages:
        for package in packages:
            base = root / package
            files = sorted(base.rglob("*.py")) if base.is_dir() else [root / f"{package}.py"]
            for path in files:
                if (not path.is_file() or path.stat().st_size > MAX_FILE_BYTES or "tests" in path.parts
                        or path.name.endswith("_test.py")):  # keras and tensorflow keep tests beside the code
                    continue
                name, is_package = module_name(root, path)
                if name in modules:
                    continue
                try:
                    tree = ast.parse(path.read_bytes())
                except (SyntaxError, ValueError, RecursionError):
                    continue
                modules[name] = Module(name, is_package, tree)
    return modules


def resolve_relative(module: Module, level: int, target: str | None) -> str:
    base = module.package.split(".") if module.package else []
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([target] if target else [])])


def index(module: Module) -> None:
    """Module-level imports (anywhere in the file: a function-level import binds the same names
    in practice often enough) and definitions."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    module.aliases.setdefault(top, top)
        elif isinstance(node, ast.ImportFrom):
            source = resolve_relative(module, node.level, node.module) if node.level else (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    module.aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
    for node in _top_level(module.tree.body):
        if isinstance(node, ast.ImportFrom):
            source = resolve_relative(module, node.level, node.module) if node.level else (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    module.exports[alias.asname or alias.name] = f"{source}.{alias.name}"
    for node in module.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            module.defs.add(node.name)
        elif isinstance(node, ast.ClassDef):
            module.defs.add(node.name)
            module.bases[node.name] = [base for base in (dotted_name(b) for b in node.bases) if base]
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    module.defs.add(f"{node.name}.{item.name}")


def _top_level(statements: list[ast.stmt]) -> list[ast.stmt]:
    """The statements that run when the module is imported, through ``if``/``try``/``with`` blocks."""
    found: list[ast.stmt] = []
    for node in statements:
        found.append(node)
        for block in ("body", "orelse", "finalbody"):
            if isinstance(node, ast.If) and block == "body" and (dotted_name(node.test) or "").endswith("TYPE_CHECKING"):
                continue  # never runs: its imports bind nothing
            if isinstance(node, (ast.If, ast.Try, ast.With)) and isinstance(getattr(node, block, None), list):
                found.extend(_top_level(getattr(node, block)))
        for handler in getattr(node, "handlers", ()) if isinstance(node, ast.Try) else ():
            found.extend(_top_level(handler.body))
    return found


class Graph:
    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self.edges: dict[str, set[str]] = {}  # callable -> callees (callables or sinks)
        self.classes: set[str] = set()
        # (caller, callee) -> the callee's arguments at each call site: position or keyword -> the
        # caller's parameters that argument's value is made from (see gadget_flows.py)
        self.sites: dict[tuple[str, str], list[flows.Arguments]] = {}
        self.parameters: dict[str, flows.Signature] = {}  # callable -> its parameters a caller supplies
        self.tops = {name.partition(".")[0] for name in modules}
        self.constructors: set[tuple[str, str]] = set()  # (class, the __init__/__new__ constructing it runs)

    def resolve(self, module: Module, written: str, owner: str | None) -> str | None:
        head, _, rest = written.partition(".")
        if head in ("self", "cls") and owner is not None:
            return self.method(f"{module.name}.{owner}", rest.split(".")[0]) if rest else None
        if head in module.defs and "." not in head:
            return f"{module.name}.{written}"
        if head in module.aliases:
            return module.aliases[head] + (f".{rest}" if rest else "")
        if not rest and head in ("eval", "exec", "compile", "open", "__import__"):
            return f"builtins.{head}"
        return None

    def method(self, cls: str, name: str, depth: int = 0) -> str | None:
        """``cls.name`` where ``cls`` or a base read here defines it."""
        if depth > 8:
            return None
        module_name, _, cls_name = cls.rpartition(".")
        module = self.modules.get(module_name)
        if module is None:
            return None
        if f"{cls_name}.{name}" in module.defs:
            return f"{cls}.{name}"
        for base in module.bases.get(cls_name, ()):
            target = self.resolve(module, base, None)
            if target is not None:
                found = self.method(target, name, depth + 1)
                if found is not None:
                    return found
        return None

    def add_module(self, module: Module) -> None:
        for node in module.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.add_function(module, node, node.name, None)
            elif isinstance(node, ast.ClassDef):
                self.classes.add(f"{module.name}.{node.name}")
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.add_function(module, item, f"{node.name}.{item.name}", node.name)
                cls = f"{module.name}.{node.name}"
                constructors = [target for target in (self.method(cls, name) for name in _CONSTRUCTORS)
                                if target is not None]
                self.edges.setdefault(cls, set()).update(constructors)
                self.constructors.update((cls, target) for target in constructors)

    def alias(self, name: str, original: str) -> None:
        """``name`` is ``original`` under another name (a re-export, an inherited member): the same parameters."""
        self.parameters[name] = self.parameters.get(original) or self.class_parameters(original)

    def class_parameters(self, cls: str) -> flows.Signature:
        """The parameters calling ``cls`` takes: its ``__init__``'s (or ``__new__``'s)."""
        for name in ("__init__", "__new__"):
            constructor = self.method(cls, name)
            if constructor is not None and constructor in self.parameters:
                return self.parameters[constructor]
        return ()

    def add_function(self, module: Module, node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str,
                     owner: str | None) -> None:
        name = f"{module.name}.{qualname}"
        callees = self.edges.setdefault(name, set())
        signature = flows.signature(node, is_method=owner is not None)
        self.parameters[name] = signature
        values: flows.Flows | None = None  # read for the first call worth it
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            written = dotted_name(call.func)
            target = self.resolve(module, written, owner) if written else None
            if target is None:
                continue
            if target == "builtins.open":
                if _writes(call):
                    callees.add("builtins.open(write)")
                continue
            callees.add(target)
            if values is None:
                values = flows.Flows(node, signature, lambda written: self.resolve(module, written, owner),
                                     lambda target: target.partition(".")[0] in self.tops)
            try:
                arguments = values.arguments(call)
            except RecursionError:  # a chain of bindings too long to follow: as if read from elsewhere
                arguments = {key: frozenset({flows.EXTERNAL}) for key in map(str, range(len(call.args)))}
            self.sites.setdefault((name, target), []).append(arguments)


def _places(graph: Graph, callable_: str, reached: Reached) -> str:
    """Where a call puts the parameters that feed the deserializer (``0,2,*args``: positions, ``*`` a
    keyword-only one), for modellint to judge those arguments; empty when calling it is the danger."""
    if reached.feeds is None:
        return ""
    signature = graph.parameters.get(callable_) or graph.class_parameters(callable_)
    return ",".join(sorted({place for name, place in signature if name in reached.feeds} or {"?"}))


def _writes(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    if mode is None:
        return False
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return bool(set(mode.value) & _WRITE_MODES)
    return True  # a mode computed at run time may write


def sink_kind(target: str) -> str | None:
    if target == "builtins.open(write)":
        return "file-write"
    return SINKS.get(target)


# Deserializers of bytes in memory: what they load may be an argument the pickle supplies (judged by
# modellint), unlike ``pickle.load(file)`` or ``torch.load(path)``, which read what lies elsewhere.
_IN_MEMORY = frozenset({"marshal.loads", "pickle.loads", "_pickle.loads", "dill.loads", "cloudpickle.loads"})


class Reached:
    """How a callable reaches a sink: ``feeds`` None when calling it is the danger, else the parameters
    whose arguments make what an in-memory deserializer loads (the danger is in what they hold)."""

    __slots__ = ("kind", "chain", "feeds")

    def __init__(self, kind: str, chain: str, feeds: frozenset[str] | None) -> None:
        self.kind, self.chain, self.feeds = kind, chain, feeds

    def merged(self, other: Reached) -> Reached:
        """Both ways in: unconditional wins (with its chain), fed parameters add up."""
        if self.feeds is None:
            return self
        if other.feeds is None:
            return other
        return Reached(self.kind, self.chain, self.feeds | other.feeds)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reached) and (self.kind, self.chain, self.feeds) == (other.kind, other.chain,
                                                                                         other.feeds)


def reach(graph: Graph) -> dict[str, Reached]:
    """callable -> how it reaches a sink, for every callable that does."""
    callers: dict[str, set[str]] = {}
    found: dict[str, Reached] = {}
    pending: deque[str] = deque()

    def offer(caller: str, reached: Reached) -> None:
        old = found.get(caller)
        new = reached if old is None else old.merged(reached)
        if new != old:
            found[caller] = new
            pending.append(caller)

    for caller, callees in graph.edges.items():
        for callee in sorted(callees):  # the first sink in a fixed order: the same inputs, the same chains
            callers.setdefault(callee, set()).add(caller)
            kind = sink_kind(callee)
            if kind is not None:
                sink, feeds = callee.replace("(write)", ""), _sink_feeds(graph, caller, callee)
                if feeds is None or feeds:
                    offer(caller, Reached(kind, sink, feeds))
    while pending:
        callee = pending.popleft()
        reached = found[callee]
        for caller in sorted(callers.get(callee, ())):
            feeds = None if reached.feeds is None else _caller_feeds(graph, caller, callee, reached.feeds)
            if feeds is not None and not feeds:
                continue  # every way in gives it what the library wrote
            offer(caller, Reached(reached.kind, f"{callee} -> {reached.chain}", feeds))
    return found


def _sink_feeds(graph: Graph, caller: str, sink: str) -> frozenset[str] | None:
    """The caller's parameters an in-memory deserializer loads, None when it loads what was read from
    elsewhere (or when it is another kind of sink)."""
    if sink not in _IN_MEMORY:
        return None
    feeds: frozenset[str] = frozenset()
    for site in graph.sites.get((caller, sink), ()):
        loaded = site.get("0", site.get("*"))
        if loaded is None or flows.EXTERNAL in loaded:
            return None
        feeds |= loaded - {flows.LIBRARY}
    return feeds  # empty: it loads only what the library holds


def _caller_feeds(graph: Graph, caller: str, callee: str, fed: frozenset[str]) -> frozenset[str] | None:
    """The caller's parameters that reach the callee's ``fed`` ones at its call sites (None: one of those
    arguments was read from elsewhere; empty: what the library holds, or defaults, only)."""
    if (caller, callee) in graph.constructors:
        return fed  # a class's parameters are its constructor's
    where = {name: place for name, place in graph.parameters.get(callee) or graph.class_parameters(callee)}
    feeds: frozenset[str] = frozenset()
    for site in graph.sites.get((caller, callee), ()):
        for name in sorted(fed):
            for argument in _arguments_for(site, name, where):
                if flows.EXTERNAL in argument:
                    return None
                feeds |= argument - {flows.LIBRARY}
    return feeds


def _arguments_for(site: flows.Arguments, name: str, where: dict[str, str]) -> list[frozenset[str]]:
    """What a call site passes to the callee's parameter ``name`` (``where``: the callee's parameters and
    their places, see flows.Signature)."""
    place = where.get(name)
    if place is None:
        return [argument for argument in site.values()]  # not a parameter read here: everything given
    if place == "*args":
        return [argument for key, argument in site.items() if key.isdigit() or key == "*"]
    if place == "**kwargs":
        return [argument for key, argument in site.items() if not key.isdigit() and key != "*" and key not in where]
    keys = [name, "**"] if place == "*" else [place, name, "**", *(("*",) if place not in site else ())]
    return [site[key] for key in keys if key in site]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site-packages", type=Path, action="append", required=True)
    parser.add_argument("--package", action="append", help=f"import packages to read (default: {DEFAULT_PACKAGES})")
    parser.add_argument("--out", type=Path, default=OUT, help=f"the data file to write (default: {OUT})")
    arguments = parser.parse_args()
    packages = arguments.package or list(DEFAULT_PACKAGES)
    modules = read_modules(arguments.site_packages, packages)
    for module in modules.values():
        index(module)
    graph = Graph(modules)
    for module in modules.values():
        graph.add_module(module)
    found = reach(graph)
    add_inherited(found, graph)
    add_exports(found, modules, graph)
    tops = sorted({name.split(".")[0] for name in modules})
    blocks: dict[str, list[str]] = {}
    for callable_, reached in sorted(found.items()):
        module, qualname = split(callable_, modules)
        if module is None:
            continue
        hops = reached.chain.split(" -> ")
        shown = " -> ".join(hops if len(hops) <= _MAX_HOPS else [*hops[:_MAX_HOPS - 1], "...", hops[-1]])
        blocks.setdefault(module, []).append(f"{qualname}\t{reached.kind}\t{shown}\t{_places(graph, callable_, reached)}")
    fed = sorted({module.partition(".")[0] for module, rows in blocks.items() if any(not row.endswith("\t") for row in rows)})
    header = {"format": FORMAT, "packages": {top: _version(arguments.site_packages, top) for top in tops},
              "fed_packages": fed, "rows": sum(len(rows) for rows in blocks.values()),
              "columns": "qualname, sink, chain (the first found), the parameters feeding an in-memory deserializer"}
    arguments.out.write_bytes(encode_block_file(header, {module: "\n".join(rows) for module, rows in blocks.items()}))
    print(f"{len(modules)} modules read, {sum(len(e) for e in graph.edges.values())} call edges, "
          f"{header['rows']} gadgets", file=sys.stderr)
    return 0


def add_inherited(found: dict[str, Reached], graph: Graph) -> None:
    """A gadget method a class inherits from a base read here (``DataFrame.to_csv`` is
    ``NDFrame.to_csv``) is one of the class too, unless the class defines its own."""
    bases: dict[str, list[str]] = {}
    for cls in sorted(graph.classes):
        module_name, _, name = cls.rpartition(".")
        module = graph.modules[module_name]
        resolved = (graph.resolve(module, base, None) for base in module.bases.get(name, ()))
        bases[cls] = [base for base in resolved if base is not None and base in graph.classes]
    changed = True
    while changed:
        changed = False
        members: dict[str, list[tuple[str, Reached]]] = {}
        for callable_, value in found.items():
            owner, _, member = callable_.rpartition(".")
            if owner in graph.classes:
                members.setdefault(owner, []).append((member, value))
        for cls, parents in bases.items():
            for parent in parents:
                for member, value in members.get(parent, ()):
                    inherited = f"{cls}.{member}"
                    if inherited not in found and inherited not in graph.edges:
                        found[inherited] = Reached(value.kind, f"{parent}.{member} -> {value.chain}", value.feeds)
                        graph.alias(inherited, f"{parent}.{member}")
                        changed = True


def add_exports(found: dict[str, Reached], modules: dict[str, Module], graph: Graph) -> None:
    """A gadget a package re-exports (``numpy.load`` is ``numpy.lib._npyio_impl.load``) is one under that
    name too, and so are a re-exported class's gadget methods; followed until nothing changes (re-exports
    of re-exports)."""
    changed = True
    while changed:
        changed = False
        members: dict[str, list[tuple[str, Reached]]] = {}  # owner -> (member, verdict)
        for callable_, value in found.items():
            owner, _, member = callable_.rpartition(".")
            members.setdefault(owner, []).append((member, value))
        for module in modules.values():
            for name, target in module.exports.items():
                exported = f"{module.name}.{name}"
                additions = [(exported, target, found[target])] if target in found else []
                additions += [(f"{exported}.{member}", f"{target}.{member}", value)
                              for member, value in members.get(target, ())]
                for new_name, old_name, value in additions:
                    if new_name not in found:
                        found[new_name] = Reached(value.kind, f"{old_name} -> {value.chain}", value.feeds)
                        graph.alias(new_name, old_name)
                        changed = True


# import name -> the dist-info names that install it, where they differ (xgboost-cpu installs
# the same `xgboost` package as xgboost, without the GPU libraries)
_DISTRIBUTIONS = {"sklearn": ("scikit_learn",), "xgboost": ("xgboost", "xgboost_cpu"),
                  "tensorflow": ("tensorflow", "tensorflow_cpu")}


def _version(site_packages: list[Path], top: str) -> str:
    """The installed version of the distribution of import package ``top`` (from its dist-info)."""
    for name in _DISTRIBUTIONS.get(top, (top,)):
        for root in site_packages:
            for info in sorted(root.glob(f"{name}-*.dist-info")):
                version = info.name[len(name) + 1:-len(".dist-info")]
                return version if name == _DISTRIBUTIONS.get(top, (top,))[0] else f"{version} ({name})"
    return "(version unknown)"


def split(qualified: str, modules: dict[str, Module]) -> tuple[str | None, str]:
    """``pkg.mod.Class.method`` -> ``("pkg.mod", "Class.method")``: the longest module prefix read."""
    parts = qualified.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        if module in modules:
            return module, ".".join(parts[cut:])
    return None, qualified


if __name__ == "__main__":
    sys.exit(main())
