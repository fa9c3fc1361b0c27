"""Every import a Python file makes, with the context that decides whether it can fail.

One pass per file records each import with where it happens: at module level or inside a
function (lazy), in the body of a ``try`` whose handler catches ``ImportError`` and falls back
(optional), under ``if TYPE_CHECKING:`` (never runs), or through ``importlib.import_module`` /
``__import__`` with a literal name (dynamic). Relative imports are resolved against the package
the file sits in. Calls (``pd.read_excel``) and URL literals (``socks5://``) are kept too, with
import aliases resolved, for the optional-dependency rule.

Two front ends feed one collector (:class:`_Collector`, where the context rules live):

* the stdlib ``ast``, for every file the running interpreter can compile. Measured here on
  a 1,357-line module of modellint: ``ast.parse`` 0.015 s, libcst parse 0.11 s and
  parse + positions + visit 0.52 s, plus 0.15 s to import libcst at all; on a 0.5 M-line tree
  libcst parse + visit took 77 s against 7 s (research/peers.md). A model with a ``code/``
  folder must lint in well under 0.5 s cold, which libcst alone cannot do.
* libcst, for files whose syntax is newer than the running interpreter (``type X = ...`` under
  3.11): libcst parses every grammar up to 3.14 whatever Python runs modellint.

libcst's native parser crashes the process (SIGSEGV) or runs for minutes on pathologically
nested code (about 1,500 nested brackets, 20,000 chained unary operators; measured with libcst
1.9). It only sees files ``ast`` could not parse, and only when their bracket depth is below
:data:`MAX_NESTING`; CPython's own parser rejects overflowing nesting cleanly, and a visitor that
hits the recursion limit is caught. Either way the file is reported in :attr:`ModuleScan.error`.

Every file is parsed, whether or not it says ``import``: a file Python refuses fails the load
whatever it imports. Given the Python that will run the code, a scan also tells a refusal that
Python shares (``error_kind`` ``"syntax"``) from one only this older interpreter makes
(``"interpreter"``), and reports syntax that Python lacks (:mod:`.syntax_versions`).

Nothing here imports or runs the analysed code.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modellint.findings import FILE_START, Span
from modellint.record import Record

if TYPE_CHECKING:
    from collections.abc import Callable

    _Handler = Callable[[Any, Any], None]

    from modellint.analyzer.code.syntax_versions import TooNew

__all__ = ["CallFact", "ImportFact", "ModuleScan", "UrlLiteral", "resolve_relative", "scan_file", "scan_source"]

# Bigger .py files are generated data, not model code. The limit bounds memory: the tree of dense
# code takes about 500 bytes per source byte (a 3.9 MiB module of `x = (a, *b)` lines peaked at
# 1.9 GiB, a 1 MiB one 518 MiB), and the largest code dir among 142 real models is 18 KB.
MAX_SOURCE_BYTES = 512 * 1024
# Deepest bracket nesting handed to libcst: its visitor recurses about three frames per level and
# Python's default limit is 1,000; real code stays under 40.
MAX_NESTING = 250
MAX_LINE_FOR_LIBCST = 10_000  # 3,000 chained unary operators parse; 20,000 crash libcst 1.9

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_IMPORT_FUNCTIONS = frozenset({"importlib.import_module", "importlib.__import__", "builtins.__import__", "__import__"})
_TYPE_CHECKING_FLAGS = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


class ImportFact(Record):
    """One module an import statement or call loads, and the context it runs in."""

    __slots__ = ("module", "path", "span", "lazy", "optional", "type_checking", "dynamic", "level", "names", "origin",
                 "python", "fallback_for")

    def __init__(self, module: str, path: Path, span: Span, lazy: bool, optional: bool, type_checking: bool,
                 dynamic: bool, level: int = 0, names: tuple[str, ...] = (), origin: str = "",
                 python: tuple[tuple[str, tuple[int, ...]], ...] = (), fallback_for: tuple[str, ...] = ()) -> None:
        self.module = module  # absolute dotted name; an unresolvable relative import keeps its leading dots
        self.path = path
        self.span = span  # 1-based line/column, end
        self.lazy = lazy  # inside a function/method body (runs only when called)
        self.optional = optional  # in a try body whose ImportError/ModuleNotFoundError handler falls back
        self.type_checking = type_checking  # under `if TYPE_CHECKING:` (never runs)
        self.dynamic = dynamic  # importlib.import_module("x") / __import__("x") with a literal name
        self.level = level  # relative-import level as written (0 = absolute)
        self.names = names  # names imported by `from m import a, b` ("*" for a star import)
        self.origin = origin  # for by-value pickled code: the function's qualified name (no source lines)
        # `if sys.version_info >= (3, 11):` and its else branch: (operator, version) it runs under.
        self.python = python
        # In the handler of a guarded try (`except ImportError: import tomli`): the modules of the try
        # body; this import runs only when one of them is missing.
        self.fallback_for = fallback_for

    @property
    def resolved(self) -> bool:
        """False for a relative import that could not be resolved (no or too shallow a package)."""
        return not self.module.startswith(".") and bool(self.module)

    @property
    def runs(self) -> bool:
        """Whether a failure of this import breaks the code: not guarded, not typing-only."""
        return not self.optional and not self.type_checking

    @property
    def top_level(self) -> str:
        return self.module.split(".")[0]

    def runs_on(self, python: tuple[int, int]) -> bool:
        """Whether the ``sys.version_info`` conditions around the import hold on ``python``."""
        return all(version_holds(python, operator, version) for operator, version in self.python)


_COMPARE = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
_NEGATED = {">=": "<", "<": ">=", ">": "<=", "<=": ">", "==": "!=", "!=": "=="}


def version_holds(python: tuple[int, ...], operator: str, version: tuple[int, ...]) -> bool:
    """``sys.version_info <operator> version`` on ``python`` (its missing parts count as 0)."""
    padded = tuple(python[:len(version)]) + (0,) * max(0, len(version) - len(python))
    return _COMPARE[operator](padded, version)


class CallFact(Record):
    """A call whose callee is a name or an attribute chain.

    ``function`` is the dotted callee with its head resolved through the file's imports when it
    names an imported module (``pd.read_excel`` -> ``pandas.read_excel``, ``resolved`` True), or
    the chain as written (``df.to_excel``), or ``""`` when the receiver is an expression
    (``pd.DataFrame(x).to_markdown()``). ``strings``/``keywords`` hold the literal string arguments.
    """

    # A large project keeps every call (sympy's 88 reachable files: 14,800), so a call is held
    # packed: its four flags in one int and its span as the span's four numbers (a Span object
    # each was 0.9 MB of the vendored project's peak). The fields are read as always.
    __slots__ = ("function", "attribute", "strings", "keywords", "method", "_flags", "_line", "_column",
                 "_end_line", "_end_column")
    _fields = ("function", "attribute", "resolved", "span", "lazy", "type_checking", "strings", "keywords",
               "main_guarded", "method")

    def __init__(self, function: str, attribute: str, resolved: bool, span: Span, lazy: bool, type_checking: bool,
                 strings: tuple[str, ...] = (), keywords: tuple[tuple[str, str], ...] = (),
                 main_guarded: bool = False, method: str = "") -> None:
        # The callee and method names repeat (7,000 callee strings held 3,700 names, 9,500 method
        # strings 1,800), so each is held once.
        self.function = sys.intern(function)
        self.attribute = attribute
        self.strings = strings
        self.keywords = keywords
        # ``Class.name`` when the call is in the body of a method of a class (not in a function
        # nested in it): what a framework calling that method runs, e.g. MLflow's `load_context`.
        self.method = sys.intern(method)
        self._flags = ((_RESOLVED if resolved else 0) | (_LAZY if lazy else 0)
                       | (_TYPE_CHECKING if type_checking else 0) | (_MAIN_GUARDED if main_guarded else 0))
        self._line, self._column, self._end_line, self._end_column = span.line, span.column, span.end_line, span.end_column

    @property
    def resolved(self) -> bool:
        return bool(self._flags & _RESOLVED)

    @property
    def span(self) -> Span:
        return Span(self._line, self._column, self._end_line, self._end_column)

    @property
    def lazy(self) -> bool:
        return bool(self._flags & _LAZY)

    @property
    def type_checking(self) -> bool:
        return bool(self._flags & _TYPE_CHECKING)

    @property
    def main_guarded(self) -> bool:
        """Under `if __name__ == "__main__":`: never runs on import."""
        return bool(self._flags & _MAIN_GUARDED)


_RESOLVED, _LAZY, _TYPE_CHECKING, _MAIN_GUARDED = 1, 2, 4, 8


class UrlLiteral(Record):
    """A string literal that is a URL (``socks5h://proxy:1080``, ``postgresql://...``)."""

    __slots__ = ("value", "span")

    def __init__(self, value: str, span: Span) -> None:
        self.value = value
        self.span = span


class ModuleScan(Record):
    """What one file (or one piece of by-value pickled code) imports and calls.

    ``error`` says why the file could not be analysed, and ``error_kind`` what that means for
    the model: ``"syntax"`` (Python refuses the file: importing it raises SyntaxError),
    ``"limit"`` (one of modellint's budgets: size, nesting; Python may well accept it) or
    ``"interpreter"`` (neither this interpreter nor libcst reads it, and the model declares a
    newer Python that may) or ``"outside"`` (it resolves outside the model dir or project: not
    read, ML006 says so). ``too_new`` is syntax the declared Python lacks in a file that
    parsed here. ``loaded`` is False only for a code-dir file that nothing loading the model
    imports (see :func:`modellint.analyzer.code.scans.reachable_scans`).
    """

    __slots__ = ("path", "imports", "dynamic_unknown", "error", "calls", "urls", "context_modules", "error_kind",
                 "error_span", "too_new", "loaded")

    def __init__(self, path: Path, imports: tuple[ImportFact, ...], dynamic_unknown: tuple[Span, ...],
                 error: str | None, calls: tuple[CallFact, ...] = (), urls: tuple[UrlLiteral, ...] = (),
                 context_modules: tuple[str, ...] = (), error_kind: str = "", error_span: Span = FILE_START,
                 too_new: TooNew | None = None, loaded: bool = True) -> None:
        self.path = path
        self.imports = imports
        self.dynamic_unknown = dynamic_unknown  # import_module(expr) / __import__(expr), expr not a literal
        self.error = error  # why the file could not be analysed (syntax, nesting, decoding), with line
        self.calls = calls
        self.urls = urls
        # Modules the code reaches without importing them itself: the globals cloudpickle stores with
        # a by-value function (`pd` -> pandas). Never counted as imports; used to attribute calls.
        self.context_modules = context_modules
        self.error_kind = error_kind if error else ""
        self.error_span = error_span
        self.too_new = too_new
        self.loaded = loaded

    def imported_modules(self) -> frozenset[str]:
        return frozenset(fact.module for fact in self.imports if fact.resolved) | frozenset(self.context_modules)

    def imports_module(self, top_level: str) -> bool:
        """Whether the code imports ``top_level`` or one of its submodules (in any context)."""
        return any(module == top_level or module.startswith(top_level + ".") for module in self.imported_modules())


def resolve_relative(level: int, module: str, package: str | None) -> str | None:
    """The absolute name of ``from <level dots><module> import ...`` inside ``package``.

    ``package`` is the dotted package the file belongs to (``""`` for a top-level module, None
    when unknown). None when Python itself could not resolve it ("attempted relative import
    with no known parent package" / "beyond top-level package").
    """
    if level == 0:
        return module
    if not package:
        return None
    parts = package.split(".")
    if level - 1 >= len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def scan_file(path: Path, *, package: str | None = None, python: tuple[int, int] | None = None,
              root: Path | None = None, source: tuple[Path, Path] | None = None) -> ModuleScan:
    """Scan one file; an unreadable file is a :class:`ModuleScan` with ``error`` set.

    With ``root`` (the model dir or project being checked), a file resolving outside it is
    never read: a symlink planted in a code dir must not make its target's lines show up.
    ``source`` is ``(file, its root)`` when ``path`` only stands in for that file (a would-be
    model's copy of project code): its bytes are read there, confined the same way, and the
    scan is ``path``'s.
    """
    from modellint.analyzer.files import OutsideError, open_regular  # a FIFO would block the open

    if path.name.endswith(".ipynb"):
        return _scan_notebook(path, package, python, root)
    read, read_root = source if source is not None else (path, root)
    try:
        with open_regular(read, read_root) as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)
    except OutsideError as error:
        return _failed(path, f"{error.reason}: not read", "outside")
    except OSError as error:
        return _failed(path, f"cannot read the file: {error.strerror or error}", "limit")
    if len(data) > MAX_SOURCE_BYTES:
        return _failed(path, f"larger than {MAX_SOURCE_BYTES // 1024} KiB: not analysed", "limit")
    return scan_source(data, path, package=package, python=python)


def _scan_notebook(path: Path, package: str | None, python: tuple[int, int] | None, root: Path | None) -> ModuleScan:
    """A training notebook's code cells, scanned as the one script they run as (positions are
    lines of that script: :class:`~modellint.analyzer.code.notebooks.NotebookCode`)."""
    from modellint.analyzer.code.notebooks import NotebookError, read_notebook

    try:
        text = read_notebook(path, root).text
    except NotebookError as error:
        return _failed(path, str(error), "limit")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        return _failed(path, f"code cells larger than {MAX_SOURCE_BYTES // 1024} KiB: not analysed", "limit")
    return scan_source(text, path, package=package, python=python)


def scan_source(source: bytes | str, path: Path, *, package: str | None = None,
                python: tuple[int, int] | None = None) -> ModuleScan:
    """Scan Python source (bytes honour a PEP 263 coding cookie; str is taken as decoded).

    ``python`` is the Python that will run the code, when known: syntax it lacks is reported in
    :attr:`ModuleScan.too_new`, and a file the running interpreter cannot parse is judged
    against it (see :class:`ModuleScan` for the kinds of error).
    """
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    if data.startswith(b"\xef\xbb\xbf"):
        try:  # a BOM and a cookie naming another codec: Python refuses the file
            tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as error:
            return _failed(path, f"cannot decode the source: {error.msg}", "syntax")
        data = data[3:]
    # Every file is parsed, with or without the bytes `import`: a file that does not parse fails
    # the load whatever it imports. With a declared Python older than this one, its own grammar
    # is tried first (the same tree when it accepts the file: one parse, not two); only a refusal
    # needs the running grammar too, to tell syntax that is too new from a broken file.
    grammar_error = None
    older = python if python is not None and python[0] == 3 and python < _RUNNING else None
    grammar_checked = older is not None
    if older is not None:
        tree, problem, grammar_error = _parse_with_ast(data, max(older, (3, 7)))
        syntax_error = None
        if tree is None and problem is None:
            tree, problem, syntax_error = _parse_with_ast(data)
    else:
        scan = _scan_in_pieces(data, path, package)
        if scan is not None:
            return scan
        tree, problem, syntax_error = _parse_with_ast(data)
    if problem:
        return _failed(path, problem[1], problem[0], problem[2])
    collector = _Collector(path, package)
    too_new = None
    try:
        if tree is not None:
            # Every import form (statement, import_module, __import__) says "import"; a call of the
            # eval/exec/compile builtins needs none. A file with neither has no fact to collect.
            if b"import" in data or any(builtin in data for builtin in _EVALUATING_BUILTINS):
                _AstVisitor(collector, data).visit(tree)
            if python is not None:
                from modellint.analyzer.code.syntax_versions import too_new as find_too_new

                too_new = find_too_new(data, tree, python, grammar_error, grammar_checked=grammar_checked)
        else:
            failure = _bracket_guard(data)
            module = None if failure else _parse_with_libcst(data)
            if python is not None and python <= _RUNNING and syntax_error is not None:
                # The declared Python's grammar is this interpreter's or older: it refuses the file
                # too. Syntax libcst reads and dates (`type X = ...`) says why; else CPython does.
                from modellint.analyzer.code.syntax_versions import too_new_libcst

                too_new = too_new_libcst(module, python) if module is not None and not isinstance(module, str) else None
                if too_new is None:
                    return _failed(path, _syntax_message(syntax_error), "syntax", _error_span(syntax_error))
            elif failure:
                return _failed(path, failure, "limit", _error_span(syntax_error) if syntax_error else FILE_START)
            elif isinstance(module, str):
                return _newer_than_running(path, syntax_error, module, python)
            _visit_libcst(module, collector)
            if python is not None and too_new is None:
                from modellint.analyzer.code.syntax_versions import too_new_libcst

                too_new = too_new_libcst(module, python)
    except RecursionError:
        return _failed(path, "nesting too deep to analyse", "limit")
    return collector.result().replace(too_new=too_new)


_RUNNING = sys.version_info[:2]


def _scan_in_pieces(data: bytes, path: Path, package: str | None) -> ModuleScan | None:
    """A large file's scan with the running grammar, its tree built and visited a piece at a
    time (:mod:`.piecewise`: what the whole-file tree gives, at a fraction of its memory); None
    when the file is small, is not cut, or any piece fails: then it is parsed whole, which says
    exactly why it fails."""
    from modellint.analyzer.code.piecewise import PiecesFailed, drain, finished, piecewise_module

    module = piecewise_module(data)
    if module is None:
        return None
    collector = _Collector(path, package)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings (invalid escapes) are not ours to print
            if b"import" in data or any(builtin in data for builtin in _EVALUATING_BUILTINS):
                _AstVisitor(collector, data).visit(module)
            else:
                drain(module)
    except (PiecesFailed, RecursionError, MemoryError):
        return None
    return collector.result() if finished(module) else None


_EVALUATING_BUILTINS = (b"eval", b"exec", b"compile")


def _failed(path: Path, message: str, kind: str, span: Span = FILE_START) -> ModuleScan:
    return ModuleScan(path, (), (), message, error_kind=kind, error_span=span)


def _syntax_message(error: SyntaxError) -> str:
    return f"syntax error at line {error.lineno}: {error.msg}"


def _error_span(error: SyntaxError) -> Span:
    return Span(error.lineno or 1, max(error.offset or 1, 1))


def _newer_than_running(path: Path, error: SyntaxError | None, reason: str | None,
                        python: tuple[int, int] | None) -> ModuleScan:
    """A file neither this interpreter nor libcst could read (``reason`` says why libcst did not).

    With no declared Python, or one no newer than this interpreter, CPython's refusal is the
    answer. A declared newer Python may accept what this one refuses: that is not reported as a
    syntax error, only as a file whose imports could not be checked here.
    """
    running = f"{_RUNNING[0]}.{_RUNNING[1]}"
    if error is None:  # only ever libcst was asked (the tests' front-end switch)
        return _failed(path, f"syntax error at {reason}", "syntax")
    if python is None:
        return _failed(path, _syntax_message(error), "syntax", _error_span(error))
    declared = f"{python[0]}.{python[1]}"
    message = (f"Python {running}, which runs modellint, cannot parse it ({_syntax_message(error)}), nor can "
               f"libcst ({reason}); the model declares Python {declared}: run modellint under Python {declared} "
               "to check this file")
    return _failed(path, message, "interpreter", _error_span(error))


def _parse_with_ast(data: bytes, feature_version: tuple[int, int] | None = None,
                    ) -> tuple[ast.Module | None, tuple[str, str, Span] | None, SyntaxError | None]:
    """``(tree, problem, syntax_error)`` with this interpreter's grammar, or that of
    ``feature_version`` (best effort: see :mod:`.syntax_versions`); see the module docstring.

    A problem ``(kind, message, span)`` means no front end may see the file. A syntax error
    alone may be syntax newer than this interpreter's, which libcst may still read (guarded by
    bracket depth).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings (invalid escapes) are not ours to print
            tree = ast.parse(data, feature_version=feature_version)
    except (RecursionError, MemoryError):
        # CPython's compiler stops here as well ("too complex" / RecursionError at import).
        return None, ("syntax", "nesting too deep for Python to compile", FILE_START), None
    except SyntaxError as error:
        message = str(error.msg)
        if "too many nested" in message or "too complex" in message or "too many levels of indentation" in message:
            return None, ("syntax", f"nesting too deep for Python to compile (line {error.lineno}: {message})",
                          _error_span(error)), None
        if "decode" in message or "codec" in message or "encoding" in message:
            return None, ("syntax", f"cannot decode the source: {message}", _error_span(error)), None
        if "null byte" in message:
            line = data.count(b"\n", 0, data.find(b"\0")) + 1
            return None, ("syntax", f"syntax error at line {line}: {message}", Span(line, 1)), None
        return None, None, error
    except ValueError:  # a null byte: CPython 3.10 raises ValueError (3.11.7 a SyntaxError, handled above)
        if b"\0" not in data:  # a feature_version this CPython no longer supports: no verdict
            return None, None, None
        line = data.count(b"\n", 0, data.find(b"\0")) + 1
        return None, ("syntax", f"syntax error at line {line}: source code cannot contain null bytes",
                      Span(line, 1)), None
    # CPython's parser refuses what would overflow it; a tree deeper than the visitor can recurse
    # raises RecursionError in the visit, which scan_source reports.
    return tree, None, None


def _bracket_guard(data: bytes) -> str | None:
    """Why libcst must not parse ``data``: deep brackets, or a line long enough to hold thousands
    of chained operators (``not not ... x``), the two shapes measured to crash its parser."""
    depth = deepest = 0
    for byte in data:
        if byte in b"([{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b")]}":
            depth = max(depth - 1, 0)
    if deepest > MAX_NESTING:
        return f"nesting too deep to analyse ({deepest} nested brackets)"
    longest = max(map(len, data.splitlines()), default=0)
    if longest > MAX_LINE_FOR_LIBCST:
        return f"a line of {longest} bytes is too long to analyse"
    return None


class _Collector:
    """The facts of one file and the context the front end is in; front ends only translate nodes."""

    def __init__(self, path: Path, package: str | None) -> None:
        self.path = path
        self.package = package
        self.imports: list[ImportFact] = []
        self.dynamic_unknown: list[Span] = []
        self.calls: list[CallFact] = []
        self.urls: list[UrlLiteral] = []
        self.aliases: dict[str, str] = {}  # local name -> dotted module or module attribute
        self.function_depth = 0
        self.scopes: list[tuple[bool, str]] = []  # (is a class, name) of each enclosing class or function
        self.optional_depth = 0
        self.type_checking_depth = 0
        self.main_guard_depth = 0
        self._saved_optional: list[int] = []
        self.conditions: list[tuple[str, tuple[int, ...]]] = []
        self.fallbacks: list[tuple[str, ...]] = []

    def result(self) -> ModuleScan:
        return ModuleScan(self.path, tuple(self.imports), tuple(self.dynamic_unknown), None,
                          tuple(self.calls), tuple(self.urls))

    # -- context ---------------------------------------------------------------------------

    def enter_function(self, name: str = "<lambda>") -> None:
        # A guard around a `def` does not guard the imports its body runs later, when called.
        self.function_depth += 1
        self.scopes.append((False, name))
        self._saved_optional.append(self.optional_depth)
        self.optional_depth = 0

    def leave_function(self) -> None:
        self.function_depth -= 1
        self.scopes.pop()
        self.optional_depth = self._saved_optional.pop()

    def enter_class(self, name: str) -> None:
        self.scopes.append((True, name))

    def leave_class(self) -> None:
        self.scopes.pop()

    def _method(self) -> str:
        """``Class.method`` when the innermost scope is a method of a class, else ``""``."""
        scopes = self.scopes
        if len(scopes) >= 2 and not scopes[-1][0] and scopes[-2][0]:
            return f"{scopes[-2][1]}.{scopes[-1][1]}"
        return ""

    @staticmethod
    def catches_import_error(caught: list[str | None] | None) -> bool:
        """``caught`` are the dotted names in an ``except`` clause; None for a bare ``except:``."""
        return caught is None or any(name and name.split(".")[-1] in _IMPORT_ERRORS for name in caught)

    def is_type_checking(self, test: str | None) -> bool:
        """`TYPE_CHECKING` from typing/typing_extensions under any alias, the attribute on any alias
        of those modules, or a local `TYPE_CHECKING = False` (the idiom of code older than
        typing.TYPE_CHECKING): never true at run time."""
        return test == "TYPE_CHECKING" or self.resolve(test) in _TYPE_CHECKING_FLAGS

    def version_condition(self, left: str | None, operator: str, version: object) -> tuple[str, tuple[int, ...]] | None:
        """``sys.version_info >= (3, 11)`` (or ``sys.version_info[:2]``) as ``(">=", (3, 11))``."""
        if not left or (self.resolve(left) or left) != "sys.version_info" or operator not in _COMPARE:
            return None
        if not isinstance(version, tuple) or not version or not all(type(part) is int for part in version):
            return None
        return operator, version

    @staticmethod
    def negated(condition: tuple[str, tuple[int, ...]]) -> tuple[str, tuple[int, ...]]:
        return _NEGATED[condition[0]], condition[1]

    def body_modules(self, start: int) -> tuple[str, ...]:
        """Modules of the facts recorded since index ``start`` (a try body's imports)."""
        return tuple(dict.fromkeys(fact.module for fact in self.imports[start:] if fact.resolved))

    def is_suppress(self, callee: str | None) -> bool:
        if not callee:
            return False
        return (self.resolve(callee) or callee).split(".")[-1] == "suppress"

    def resolve(self, dotted: str | None) -> str | None:
        """``pd.read_excel`` -> ``pandas.read_excel`` when ``pd`` is an import alias."""
        if not dotted:
            return None
        head, _, rest = dotted.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    # -- facts -----------------------------------------------------------------------------

    def _fact(self, module: str, span: Span, *, dynamic: bool, level: int = 0, names: tuple[str, ...] = ()) -> None:
        self.imports.append(ImportFact(
            module=module, path=self.path, span=span, lazy=self.function_depth > 0,
            optional=self.optional_depth > 0, type_checking=self.type_checking_depth > 0,
            dynamic=dynamic, level=level, names=names, python=tuple(self.conditions),
            fallback_for=tuple(dict.fromkeys(module for group in self.fallbacks for module in group)),
        ))

    def import_names(self, modules: list[tuple[str, str | None, Span]]) -> None:
        """``import a.b as c, d``: ``(module, asname, span)`` per alias."""
        for module, asname, span in modules:
            self._fact(module, span, dynamic=False)
            if asname:
                self.aliases[asname] = module
            else:
                top = module.split(".")[0]
                self.aliases[top] = top

    def import_from(self, level: int, written: str, names: list[tuple[str, str | None]], span: Span) -> None:
        """``from <dots><written> import name as asname, ...`` (``[("*", None)]`` for a star)."""
        resolved = resolve_relative(level, written, self.package)
        module = resolved if resolved is not None else "." * level + written
        for name, asname in names:
            local = asname or name
            if resolved is not None and name != "*":
                self.aliases[local] = f"{resolved}.{name}" if resolved else name
        if module == "__future__":
            return
        self._fact(module, span, dynamic=False, level=level, names=tuple(name for name, _ in names))

    def call(self, written: str | None, attribute: str | None, span: Span, resolved: str | None, *,
             first: _Argument | None, package: _Argument | None, strings: tuple[str, ...],
             keywords: tuple[tuple[str, str], ...]) -> None:
        """A call: ``written`` is the callee's dotted chain (None for an expression), ``resolved``
        that chain through the imports (:meth:`resolve`), ``first`` / ``package`` the arguments
        an import function would read its module name from."""
        function = resolved or written
        if _is_import_function(written, resolved):
            self._dynamic_import(function or "", first, package, span)
        if attribute is None:
            return
        self.calls.append(CallFact(
            function=function or "", attribute=attribute, resolved=resolved is not None, span=span,
            lazy=self.function_depth > 0, type_checking=self.type_checking_depth > 0,
            strings=strings, keywords=keywords, main_guarded=self.main_guard_depth > 0,
            method=self._method() if self.function_depth else "",
        ))

    def _dynamic_import(self, function: str, first: _Argument | None, package_arg: _Argument | None, span: Span) -> None:
        if first is None:
            return
        name = first.literal
        if name is None or not name.strip(". "):
            self.dynamic_unknown.append(span)
            return
        level = len(name) - len(name.lstrip("."))
        module = name
        if level and function.endswith("import_module"):
            package = None
            if package_arg is not None:
                package = package_arg.literal
                if package is None and package_arg.dotted == "__package__":
                    package = self.package
            resolved = resolve_relative(level, name[level:], package)
            module = resolved if resolved is not None else name
        self._fact(module, span, dynamic=True, level=level)

    def url(self, value: str, span: Span) -> None:
        if _URL.match(value):
            self.urls.append(UrlLiteral(value, span))


def _is_import_function(written: str | None, resolved: str | None) -> bool:
    """Whether the callee written ``written``, ``resolved`` through the imports, is an import function."""
    return (resolved or written) in _IMPORT_FUNCTIONS or (written == "__import__" and resolved is None)


class _Argument(Record):
    __slots__ = ("literal", "dotted")

    def __init__(self, literal: str | None, dotted: str | None) -> None:
        self.literal = literal  # the value of a string literal argument
        self.dotted = dotted  # the dotted name of a Name/Attribute argument


# ------------------------------------------------------------------------- stdlib ast front end


def _ast_is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round): a block that runs only when the file is a script."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return (any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides)
            and any(isinstance(side, ast.Constant) and side.value == "__main__" for side in sides))


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a name or attribute chain, else None (``f().x``, ``x[0].y``)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _ast_string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


# Nodes that hold no import, call or string: not descended into (most of a tree by count).
_LEAVES = (ast.Name, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.Pass,
           ast.Break, ast.Continue, ast.Global, ast.Nonlocal)


# Fields that never hold a node to descend into (names, numbers, flags, operator leaves), in any
# node type: skipping them is most of a visit's attribute reads on a large file.
_SCALAR_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "name", "asname", "module", "level", "kind",
                            "type_comment", "conversion", "is_async", "arg", "kwd_attrs", "rest", "tag"})
class _Handlers(dict[type, "_Handler | None"]):
    """Node class -> the method of ``visitor`` that visits it (None for a leaf or a value that is
    no node: not visited), filled in as classes turn up. A lookup by exact class is what a large
    file's 100,000 visits need: no method name built per node, no isinstance check against the
    leaves (a parsed tree holds only the concrete node classes)."""

    def __init__(self, visitor: type[_AstVisitor]) -> None:
        super().__init__()
        self.visitor = visitor

    def __missing__(self, kind: type) -> _Handler | None:
        handler = None
        if issubclass(kind, ast.AST) and not issubclass(kind, _LEAVES):
            handler = getattr(self.visitor, "visit_" + kind.__name__, self.visitor.generic_visit)
        elif issubclass(kind, list):  # a list of another class: a large file's pieces (.piecewise)
            handler = self.visitor.visit_items
        self[kind] = handler
        return handler


class _ChildFields(dict[type, tuple[str, ...]]):
    """Node class -> its fields that may hold a node, filled in as classes turn up."""

    def __missing__(self, kind: type[ast.AST]) -> tuple[str, ...]:
        fields = self[kind] = tuple(field for field in kind._fields if field not in _SCALAR_FIELDS)
        return fields


_HANDLERS: dict[type, _Handlers] = {}
_CHILD_FIELDS = _ChildFields()


def _plain_ascii(data: bytes) -> bool:
    """Whether each column of ``data`` is its byte offset + 1: ASCII bytes, without a coding
    cookie that could make them other characters (one on the first two lines, the ones
    :func:`tokenize.detect_encoding` reads)."""
    if not data.isascii():
        return False
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    return b"coding" not in (data if second < 0 else data[:second])


class _AstVisitor(ast.NodeVisitor):
    def __init__(self, collector: _Collector, data: bytes) -> None:
        self.c = collector
        self.data = data
        self._lines: list[str] | None = None
        self._ascii = _plain_ascii(data)
        kind = type(self)
        self._handlers = _HANDLERS.get(kind) or _HANDLERS.setdefault(kind, _Handlers(kind))

    def visit(self, node: ast.AST) -> None:
        handler = self._handlers[node.__class__]
        if handler is not None:
            handler(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        handlers = self._handlers
        for field in _CHILD_FIELDS[node.__class__]:
            value = getattr(node, field, None)
            if value.__class__ is list:
                for item in value:
                    handler = handlers[item.__class__]
                    if handler is not None:
                        handler(self, item)
            else:
                handler = handlers[value.__class__]
                if handler is not None:
                    handler(self, value)

    def visit_items(self, items: list[ast.AST]) -> None:
        """A field's list when it is no plain list (generic_visit walks those itself)."""
        handlers = self._handlers
        for item in items:
            handler = handlers[item.__class__]
            if handler is not None:
                handler(self, item)

    # ast columns are UTF-8 byte offsets into the decoded line; findings count characters.
    def _column(self, line: int, offset: int) -> int:
        if self._lines is None:
            try:
                encoding, _ = tokenize.detect_encoding(io.BytesIO(self.data).readline)
                self._lines = self.data.decode(encoding, "replace").splitlines()
            except (SyntaxError, LookupError):
                self._lines = []
        text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        if text.isascii():
            return offset + 1
        return len(text.encode("utf-8")[:offset].decode("utf-8", "ignore")) + 1

    def _span(self, node: ast.stmt | ast.expr | ast.alias) -> Span:
        line, end_line = node.lineno, getattr(node, "end_lineno", None) or node.lineno
        end_offset = getattr(node, "end_col_offset", None)
        if self._ascii:
            return Span(line, node.col_offset + 1, end_line, end_offset + 1 if end_offset is not None else 0)
        end = self._column(end_line, end_offset) if end_offset is not None else 0
        return Span(line, self._column(line, node.col_offset), end_line, end)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.c.enter_function(getattr(node, "name", "<lambda>"))
        self.generic_visit(node)
        self.c.leave_function()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.c.enter_class(node.name)
        self.generic_visit(node)
        self.c.leave_class()

    def _block(self, statements: list[ast.stmt], *, optional: bool = False, type_checking: bool = False,
               condition: tuple[str, tuple[int, ...]] | None = None, fallback_for: tuple[str, ...] = ()) -> None:
        self.c.optional_depth += optional
        self.c.type_checking_depth += type_checking
        self.c.conditions.extend([condition] if condition else [])
        self.c.fallbacks.append(fallback_for)
        for statement in statements:
            self.visit(statement)
        self.c.fallbacks.pop()
        del self.c.conditions[len(self.c.conditions) - (1 if condition else 0):]
        self.c.optional_depth -= optional
        self.c.type_checking_depth -= type_checking

    def visit_Try(self, node: ast.Try) -> None:
        start = len(self.c.imports)
        guards = [self._falls_back(handler) for handler in node.handlers]
        self._block(node.body, optional=any(guards))
        guarded = self.c.body_modules(start)
        for handler, guard in zip(node.handlers, guards):
            if handler.type is not None:
                self.visit(handler.type)
            self._block(handler.body, fallback_for=guarded if guard else ())
        self._block(node.orelse)
        self._block(node.finalbody)

    visit_TryStar = visit_Try

    def _falls_back(self, handler: ast.ExceptHandler) -> bool:
        """Catches ImportError (or anything broader) and does not re-raise."""
        if handler.type is None:
            caught = None
        else:
            elements = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            caught = [dotted_name(element) for element in elements]
        return self.c.catches_import_error(caught) and not any(isinstance(s, ast.Raise) for s in handler.body)

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        suppressed = any(
            isinstance(item.context_expr, ast.Call) and self.c.is_suppress(dotted_name(item.context_expr.func))
            and self.c.catches_import_error([dotted_name(arg) for arg in item.context_expr.args])
            for item in node.items
        )
        for item in node.items:
            self.visit(item)
        self._block(node.body, optional=suppressed)

    visit_AsyncWith = visit_With

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        condition = self._version_condition(node.test)
        main = _ast_is_main_guard(node.test)
        self.c.main_guard_depth += main
        self._block(node.body, type_checking=self.c.is_type_checking(dotted_name(node.test)), condition=condition)
        self.c.main_guard_depth -= main
        self._block(node.orelse, condition=self.c.negated(condition) if condition else None)

    def _version_condition(self, test: ast.expr) -> tuple[str, tuple[int, ...]] | None:
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.comparators[0], ast.Tuple)):
            return None
        left = test.left.value if isinstance(test.left, ast.Subscript) else test.left  # version_info[:2]
        operators = {ast.GtE: ">=", ast.Gt: ">", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}
        version = tuple(e.value if isinstance(e, ast.Constant) else None for e in test.comparators[0].elts)
        return self.c.version_condition(dotted_name(left), operators.get(type(test.ops[0]), ""), version)

    def visit_Import(self, node: ast.Import) -> None:
        self.c.import_names([(alias.name, alias.asname, self._span(alias)) for alias in node.names])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = [(alias.name, alias.asname) for alias in node.names]
        self.c.import_from(node.level or 0, node.module or "", names, self._span(node))

    def visit_Call(self, node: ast.Call) -> None:
        # The most frequent node with a fact (sympy's 88 reachable files: 14,900 calls): the
        # callee is read once, its alias resolved once, and arguments are looked at only when
        # a call has them.
        func = node.func
        written: str | None
        attribute: str | None
        if isinstance(func, ast.Name):
            written = attribute = func.id
        elif isinstance(func, ast.Attribute):
            written, attribute = dotted_name(func), func.attr
        else:
            written = attribute = None
        collector = self.c
        resolved = collector.resolve(written)
        # By name, the last of a repeated keyword (`f(a="x", a=y)` parses; compiling refuses it).
        named = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg} if node.keywords else {}
        first = package = None
        if _is_import_function(written, resolved):  # only an import function reads its module name from them
            positional = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
            first = positional[0] if positional else named.get("name")
            package = positional[1] if len(positional) > 1 else named.get("package")
        collector.call(
            written, attribute, self._span(node), resolved,
            first=_Argument(_ast_string(first), dotted_name(first)) if first is not None else None,
            package=_Argument(_ast_string(package), dotted_name(package)) if package is not None else None,
            strings=tuple([arg.value for arg in node.args
                           if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]) if node.args else (),
            keywords=tuple([(name, value.value) for name, value in named.items()
                            if isinstance(value, ast.Constant) and isinstance(value.value, str)]),
        )
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and "://" in node.value:
            self.c.url(node.value, self._span(node))


# ------------------------------------------------------------------------- libcst front end


def _parse_with_libcst(data: bytes):
    """The libcst module of ``data``, or why it cannot parse it."""
    import libcst

    try:
        return libcst.parse_module(data)
    except libcst.ParserSyntaxError as error:
        return f"line {error.raw_line}: {error.message}"
    except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as error:
        return f"cannot decode the source: {error}"


def _visit_libcst(module, collector: _Collector) -> None:
    import libcst

    libcst.MetadataWrapper(module, unsafe_skip_copy=True).visit(_libcst_visitor_class()(collector))


def _cst_dotted(node: Any) -> str | None:
    import libcst

    parts = []
    while isinstance(node, libcst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, libcst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _cst_is_main_guard(test: Any) -> bool:
    """``__name__ == "__main__"`` (either way round), as :func:`_ast_is_main_guard` reads it."""
    import libcst

    if not (isinstance(test, libcst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, libcst.Equal)):
        return False
    sides = (test.left, test.comparisons[0].comparator)
    return (any(isinstance(side, libcst.Name) and side.value == "__name__" for side in sides)
            and any(_cst_string(side) == "__main__" for side in sides))


def _cst_string(node: Any) -> str | None:
    import libcst

    if not isinstance(node, (libcst.SimpleString, libcst.ConcatenatedString)):
        return None
    try:
        # libcst evaluates with ast.literal_eval, which warns about invalid escapes.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = node.evaluated_value
    except Exception:  # noqa: BLE001 - an escape libcst cannot evaluate: not a usable literal
        return None
    return value if isinstance(value, str) else None


@lru_cache(maxsize=1)
def _libcst_visitor_class() -> type:
    """Built on first use: importing this module must not import libcst (start-up time)."""
    import libcst
    from libcst.metadata import PositionProvider

    def name_of(node: Any) -> str | None:
        return node.name.value if node is not None and isinstance(node.name, libcst.Name) else None

    class LibcstVisitor(libcst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self, collector: _Collector) -> None:
            super().__init__()
            self.c = collector
            self.optional_blocks: set[int] = set()
            self.type_checking_blocks: set[int] = set()
            self.main_blocks: set[int] = set()
            self.condition_blocks: dict[int, tuple[str, tuple[int, ...]]] = {}
            self.handler_blocks: dict[int, int] = {}  # fallback handler body -> its try node
            self.try_starts: dict[int, int] = {}
            self.try_modules: dict[int, tuple[str, ...]] = {}

        def on_visit(self, node: libcst.CSTNode) -> bool:
            key = id(node)
            self.c.optional_depth += key in self.optional_blocks
            self.c.type_checking_depth += key in self.type_checking_blocks
            self.c.main_guard_depth += key in self.main_blocks
            if key in self.condition_blocks:
                self.c.conditions.append(self.condition_blocks[key])
            if key in self.handler_blocks:
                owner = self.handler_blocks[key]
                if owner not in self.try_modules:  # the try body is done once its first handler starts
                    self.try_modules[owner] = self.c.body_modules(self.try_starts[owner])
                self.c.fallbacks.append(self.try_modules[owner])
            return super().on_visit(node)

        def on_leave(self, original_node: libcst.CSTNode) -> None:
            super().on_leave(original_node)
            key = id(original_node)
            self.c.optional_depth -= key in self.optional_blocks
            self.c.type_checking_depth -= key in self.type_checking_blocks
            self.c.main_guard_depth -= key in self.main_blocks
            if key in self.condition_blocks:
                self.c.conditions.pop()
            if key in self.handler_blocks:
                self.c.fallbacks.pop()

        def _span(self, node: libcst.CSTNode) -> Span:
            position = self.get_metadata(PositionProvider, node)
            return Span(position.start.line, position.start.column + 1, position.end.line, position.end.column + 1)

        def visit_FunctionDef(self, node: libcst.FunctionDef) -> None:
            self.c.enter_function(node.name.value)

        def leave_FunctionDef(self, original_node: libcst.FunctionDef) -> None:
            self.c.leave_function()

        def visit_ClassDef(self, node: libcst.ClassDef) -> None:
            self.c.enter_class(node.name.value)

        def leave_ClassDef(self, original_node: libcst.ClassDef) -> None:
            self.c.leave_class()

        def visit_Lambda(self, node: libcst.Lambda) -> None:
            self.c.enter_function()

        def leave_Lambda(self, original_node: libcst.Lambda) -> None:
            self.c.leave_function()

        def visit_Try(self, node: libcst.Try | libcst.TryStar) -> None:
            self.try_starts[id(node)] = len(self.c.imports)
            for handler in node.handlers:
                if self._falls_back(handler):
                    self.optional_blocks.add(id(node.body))
                    self.handler_blocks[id(handler.body)] = id(node)

        visit_TryStar = visit_Try

        def _falls_back(self, handler: Any) -> bool:
            if handler.type is None:
                caught = None
            else:
                elements = handler.type.elements if isinstance(handler.type, libcst.Tuple) else [handler.type]
                caught = [_cst_dotted(e.value if isinstance(e, libcst.Element) else e) for e in elements]
            if not self.c.catches_import_error(caught):
                return False
            for statement in handler.body.body:
                small = statement.body if isinstance(statement, libcst.SimpleStatementLine) else [statement]
                if any(isinstance(item, libcst.Raise) for item in small):
                    return False
            return True

        def visit_With(self, node: libcst.With) -> None:
            for item in node.items:
                call = item.item
                if (isinstance(call, libcst.Call) and self.c.is_suppress(_cst_dotted(call.func))
                        and self.c.catches_import_error([_cst_dotted(arg.value) for arg in call.args])):
                    self.optional_blocks.add(id(node.body))

        def visit_If(self, node: libcst.If) -> None:
            if self.c.is_type_checking(_cst_dotted(node.test)):
                self.type_checking_blocks.add(id(node.body))
            if _cst_is_main_guard(node.test):
                self.main_blocks.add(id(node.body))
            condition = self._version_condition(node.test)
            if condition:
                self.condition_blocks[id(node.body)] = condition
                if node.orelse is not None:
                    self.condition_blocks[id(node.orelse)] = self.c.negated(condition)

        def _version_condition(self, test: Any) -> tuple[str, tuple[int, ...]] | None:
            if not (isinstance(test, libcst.Comparison) and len(test.comparisons) == 1):
                return None
            target = test.comparisons[0]
            if not isinstance(target.comparator, libcst.Tuple):
                return None
            left = test.left.value if isinstance(test.left, libcst.Subscript) else test.left
            operators = {libcst.GreaterThanEqual: ">=", libcst.GreaterThan: ">", libcst.LessThan: "<",
                         libcst.LessThanEqual: "<=", libcst.Equal: "==", libcst.NotEqual: "!="}
            version = tuple(int(e.value.value) if isinstance(e.value, libcst.Integer) else None
                            for e in target.comparator.elements)
            return self.c.version_condition(_cst_dotted(left), operators.get(type(target.operator), ""), version)

        def visit_Import(self, node: libcst.Import) -> None:
            self.c.import_names([(_cst_dotted(alias.name) or "", name_of(alias.asname), self._span(alias))
                                 for alias in node.names])

        def visit_ImportFrom(self, node: libcst.ImportFrom) -> None:
            written = (_cst_dotted(node.module) if node.module is not None else "") or ""
            if isinstance(node.names, libcst.ImportStar):
                names: list[tuple[str, str | None]] = [("*", None)]
            else:
                names = [(_cst_dotted(alias.name) or "", name_of(alias.asname)) for alias in node.names]
            self.c.import_from(len(node.relative), written, names, self._span(node))

        def visit_Call(self, node: libcst.Call) -> None:
            func = node.func
            attribute = (func.attr.value if isinstance(func, libcst.Attribute)
                         else func.value if isinstance(func, libcst.Name) else None)
            positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
            keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
            first = positional[0].value if positional else keywords.get("name")
            package = positional[1].value if len(positional) > 1 else keywords.get("package")
            written = _cst_dotted(func)
            self.c.call(
                written, attribute, self._span(node), self.c.resolve(written),
                first=_Argument(_cst_string(first), _cst_dotted(first)) if first is not None else None,
                package=_Argument(_cst_string(package), _cst_dotted(package)) if package is not None else None,
                strings=tuple(s for s in (_cst_string(arg.value) for arg in positional) if s is not None),
                keywords=tuple((k, v) for k, v in ((k, _cst_string(n)) for k, n in keywords.items()) if v is not None),
            )

        def visit_SimpleString(self, node: libcst.SimpleString) -> None:
            if "://" in node.value:
                value = _cst_string(node)
                if value:
                    self.c.url(value, self._span(node))

    return LibcstVisitor
