"""Which dotted modules a distribution's files make importable, at full namespace depth.

Shared by the knowledge-base generator (file names from a wheel's zip directory) and by the
``--python`` overlay (file names from an installed distribution's RECORD). The overlay runs this
file's source inside another interpreter, so it stays stdlib-only and Python 3.8 compatible.

A directory with ``__init__`` is a regular package and is reported as one module; a directory
without one is a namespace: its children are reported instead (``google/cloud/storage/__init__.py``
gives ``google.cloud.storage``, never ``google``). Legacy pkgutil / pkg_resources namespaces ship an
``__init__.py`` too; they are recognised from ``namespace_packages.txt`` or from the content of a
small ``__init__.py`` that calls ``extend_path`` / ``declare_namespace``.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# foo.py, foo.pyc (sourceless), foo.cpython-311-x86_64-linux-gnu.so, foo.abi3.so, foo.pyd, foo.so
_MODULE_FILE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\.py|\.pyc|(?:\.[A-Za-z0-9_-]+)?\.(?:so|pyd))$")
_DATA_LIB = re.compile(r"^[^/]+\.data/(?:purelib|platlib)/")
_SKIPPED_DIR_SUFFIXES = (".dist-info", ".egg-info", ".data")
# Files a sloppy wheel ships at its root that nobody imports.
_ROOT_NOISE = {"setup", "conftest", "__init__", "__main__"}
_NAMESPACE_CALL = re.compile(rb"extend_path|declare_namespace")
SMALL_INIT = 512  # bytes: a namespace __init__.py is a line or two
MAX_MODULES = 200  # past this, a distribution's modules are cut to a shallower depth


class _Dir:
    __slots__ = ("dirs", "modules", "init_size", "init_path")

    def __init__(self) -> None:
        self.dirs: Dict[str, _Dir] = {}
        self.modules: Set[str] = set()
        self.init_size: Optional[int] = None
        self.init_path: Optional[str] = None

    def has_code(self) -> bool:
        return bool(self.modules) or self.init_size is not None or any(d.has_code() for d in self.dirs.values())


def importable_path(path: str) -> Optional[str]:
    """The path as seen from site-packages, or None for metadata, scripts, headers and caches."""
    path = path.replace("\\", "/").lstrip("/")
    while path.startswith("./"):
        path = path[2:]
    if _DATA_LIB.match(path):
        return _DATA_LIB.sub("", path, count=1)
    head = path.split("/", 1)[0]
    if "/" in path and head.endswith(_SKIPPED_DIR_SUFFIXES):
        return None
    if "/__pycache__/" in f"/{path}" or path.startswith("../"):
        return None
    return path


def _build_tree(files: Iterable[Tuple[str, int]], roots: Iterable[str]) -> _Dir:
    root = _Dir()
    prefixes = [""] + sorted({r.strip("/") + "/" for r in roots if r.strip("/")})
    for raw, size in files:
        path = importable_path(raw)
        if path is None:
            continue
        for prefix in prefixes:
            if prefix and not path.startswith(prefix):
                continue
            parts = path[len(prefix):].split("/")
            node = root
            for part in parts[:-1]:
                node = node.dirs.setdefault(part, _Dir())
            match = _MODULE_FILE.match(parts[-1])
            if match is None:
                continue
            name = match.group(1)
            if name == "__init__":
                if node.init_size is None or parts[-1].endswith(".py"):
                    node.init_size = size
                    node.init_path = raw
            else:
                node.modules.add(name)
    return root


def provided_modules(
    files: Iterable[Tuple[str, int]],
    *,
    namespace_packages: Iterable[str] = (),
    read: Optional[Callable[[str], Optional[bytes]]] = None,
    extra_roots: Iterable[str] = (),
    shared: Iterable[str] = (),
) -> List[str]:
    """Sorted dotted module names made importable by these (path, uncompressed size) files.

    ``namespace_packages`` lists dotted names declared as legacy namespaces; ``read`` fetches a
    small file's bytes (used for ``__init__.py`` files that may only extend ``__path__``);
    ``extra_roots`` are directories a ``.pth`` file puts on ``sys.path``; ``shared`` lists dotted
    names other distributions install into, where a thin ``__init__.py`` (one with no sibling
    modules, at most SMALL_INIT bytes: often empty) is a namespace placeholder, not a package.
    """
    declared = set(namespace_packages)
    shared = set(shared)
    tree = _build_tree(files, extra_roots)
    found: Set[str] = set()

    def is_legacy_namespace(node: _Dir, dotted: str) -> bool:
        if dotted in declared:
            return True
        thin = not node.modules and node.init_size is not None and node.init_size <= SMALL_INIT
        if dotted in shared and thin and node.dirs:
            return True
        if node.modules or not node.dirs or read is None or node.init_path is None:
            return False
        if node.init_size is None or node.init_size > SMALL_INIT or not node.init_path.endswith(".py"):
            return False
        content = read(node.init_path)
        return content is not None and _NAMESPACE_CALL.search(content) is not None

    def walk(node: _Dir, prefix: str) -> None:
        for name in node.modules:
            if prefix or name not in _ROOT_NOISE:
                found.add(prefix + name)
        for name, child in node.dirs.items():
            if not _IDENTIFIER.match(name) or not child.has_code():
                continue
            dotted = prefix + name
            if child.init_size is not None and not is_legacy_namespace(child, dotted):
                found.add(dotted)
            else:
                walk(child, dotted + ".")

    walk(tree, "")
    return sorted(_shallower(found, MAX_MODULES))


def _shallower(modules: Set[str], limit: int) -> Set[str]:
    """Cut the deepest names until at most ``limit`` remain: loose plugin trees without
    ``__init__.py`` (ansible_collections.*) would otherwise list thousands of leaf modules."""
    depth = max((m.count(".") + 1 for m in modules), default=0)
    while len(modules) > limit and depth > 1:
        depth -= 1
        modules = {".".join(m.split(".")[:depth]) for m in modules}
    return modules


def pth_roots(content: bytes) -> List[str]:
    """Directories (relative to site-packages) that a .pth file adds to sys.path."""
    roots = []
    for line in content.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "import ", "import\t")) or "/.." in f"/{line}":
            continue
        if line.startswith("/") or re.match(r"^[A-Za-z]:", line):
            continue
        roots.append(line.replace("\\", "/").strip("/"))
    return roots
