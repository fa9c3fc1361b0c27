#!/usr/bin/env python3
"""Build modellint's gadget knowledge (modellint/analyzer/knowledge/gadgets/<package>.tsv.gz, one
file per top-level package) from the ML libraries' own source.

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

Usage, in a throwaway venv holding the libraries (never modellint's own):

    python3 -m venv /tmp/gadgets-venv
    /tmp/gadgets-venv/bin/pip install mlflow scikit-learn pandas numpy scipy joblib skops torch ...
    python3 scripts/build_gadgets.py --site-packages /tmp/gadgets-venv/lib/python3.11/site-packages \\
        --package mlflow --package sklearn ...
"""

from __future__ import annotations

import argparse
import ast
import gzip
import sys
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from modellint.analyzer.code.source_imports import dotted_name  # noqa: E402 - the project's own reading of a.b.c

# One file per top-level package: a pickle naming sklearn loads sklearn's 93 rows, never the
# 55,000 of transformers, which only a pickle naming transformers pays for.
OUT = Path(__file__).resolve().parent.parent / "modellint" / "analyzer" / "knowledge" / "gadgets"
# Not keras or transformers: read the same way, constructing keras.Layer or keras.Model reaches
# marshal.loads (Layer.__init__ -> dtype_policies.get -> deserialize_keras_object -> a Lambda's
# bytecode), so every pickled Keras object would be an error, and transformers adds 55,000 rows
# (save_pretrained, from_pretrained on every model class). Both need a judgement of their own first.
DEFAULT_PACKAGES = ("mlflow", "sklearn", "pandas", "numpy", "scipy", "joblib", "cloudpickle", "skops", "torch",
                    "matplotlib", "pyarrow", "statsmodels", "xgboost", "lightgbm", "catboost", "dill")
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
                if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES or "tests" in path.parts:
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
                self.edges.setdefault(f"{module.name}.{node.name}", set()).update(
                    target for target in (self.method(f"{module.name}.{node.name}", name) for name in _CONSTRUCTORS)
                    if target is not None)

    def add_function(self, module: Module, node: ast.AST, qualname: str, owner: str | None) -> None:
        callees = self.edges.setdefault(f"{module.name}.{qualname}", set())
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


def reach(graph: Graph) -> dict[str, tuple[str, str]]:
    """callable -> (sink kind, chain) for every callable that reaches a sink."""
    callers: dict[str, set[str]] = {}
    found: dict[str, tuple[str, str]] = {}
    pending: deque[str] = deque()
    for caller, callees in graph.edges.items():
        for callee in sorted(callees):  # the first sink in a fixed order: the same inputs, the same chains
            callers.setdefault(callee, set()).add(caller)
            kind = sink_kind(callee)
            if kind is not None and caller not in found:
                found[caller] = (kind, callee.replace("(write)", ""))
                pending.append(caller)
    while pending:
        callee = pending.popleft()
        kind, chain = found[callee]
        for caller in sorted(callers.get(callee, ())):
            if caller not in found:
                found[caller] = (kind, f"{callee} -> {chain}")
                pending.append(caller)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site-packages", type=Path, action="append", required=True)
    parser.add_argument("--package", action="append", help=f"import packages to read (default: {DEFAULT_PACKAGES})")
    parser.add_argument("--out", type=Path, default=OUT, help="the folder of per-package files (replaced)")
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
    add_exports(found, modules)
    tops = sorted({name.split(".")[0] for name in modules})
    rows: dict[str, list[str]] = {top: [] for top in tops}
    for callable_, (kind, chain) in sorted(found.items()):
        module, qualname = split(callable_, modules)
        if module is None:
            continue
        hops = chain.split(" -> ")
        shown = " -> ".join(hops if len(hops) <= _MAX_HOPS else [*hops[:_MAX_HOPS - 1], "...", hops[-1]])
        rows[module.split(".")[0]].append(f"{module}\t{qualname}\t{kind}\t{shown}")
    arguments.out.mkdir(parents=True, exist_ok=True)
    for stale in arguments.out.glob("*.tsv.gz"):
        stale.unlink()
    for top in tops:
        header = ("# Callables of the ML libraries whose call graph reaches a command, code, nested-deserializer,\n"
                  "# file-write or network sink; built by scripts/build_gadgets.py (read, never imported) from "
                  f"{top} {_version(arguments.site_packages, top)} (and the packages read with it: "
                  f"{', '.join(tops)})\n# module\tqualname\tsink\tchain (the first found)\n")
        # gzip with no name and no time in the header: the same inputs give the same bytes.
        (arguments.out / f"{top}.tsv.gz").write_bytes(
            gzip.compress((header + "\n".join(rows[top]) + "\n").encode(), mtime=0))
    print(f"{len(modules)} modules read, {sum(len(e) for e in graph.edges.values())} call edges, "
          f"{sum(len(found) for found in rows.values())} gadgets", file=sys.stderr)
    return 0


def add_inherited(found: dict[str, tuple[str, str]], graph: Graph) -> None:
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
        members: dict[str, list[tuple[str, tuple[str, str]]]] = {}
        for callable_, value in found.items():
            owner, _, member = callable_.rpartition(".")
            if owner in graph.classes:
                members.setdefault(owner, []).append((member, value))
        for cls, parents in bases.items():
            for parent in parents:
                for member, (kind, chain) in members.get(parent, ()):
                    inherited = f"{cls}.{member}"
                    if inherited not in found and inherited not in graph.edges:
                        found[inherited] = (kind, f"{parent}.{member} -> {chain}")
                        changed = True


def add_exports(found: dict[str, tuple[str, str]], modules: dict[str, Module]) -> None:
    """A gadget a package re-exports (``numpy.load`` is ``numpy.lib._npyio_impl.load``) is one under that
    name too, and so are a re-exported class's gadget methods; followed until nothing changes (re-exports
    of re-exports)."""
    changed = True
    while changed:
        changed = False
        members: dict[str, list[tuple[str, tuple[str, str]]]] = {}  # owner -> (member, verdict)
        for callable_, value in found.items():
            owner, _, member = callable_.rpartition(".")
            members.setdefault(owner, []).append((member, value))
        for module in modules.values():
            for name, target in module.exports.items():
                exported = f"{module.name}.{name}"
                additions = [(exported, target, found[target])] if target in found else []
                additions += [(f"{exported}.{member}", f"{target}.{member}", value)
                              for member, value in members.get(target, ())]
                for new_name, old_name, (kind, chain) in additions:
                    if new_name not in found:
                        found[new_name] = (kind, f"{old_name} -> {chain}")
                        changed = True


# import name -> the dist-info names that install it, where they differ (xgboost-cpu installs
# the same `xgboost` package as xgboost, without the GPU libraries)
_DISTRIBUTIONS = {"sklearn": ("scikit_learn",), "xgboost": ("xgboost", "xgboost_cpu")}


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
