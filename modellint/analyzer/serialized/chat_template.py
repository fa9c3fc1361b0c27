"""What a chat template (a Jinja program stored in a model's metadata) could reach if rendered outside
Jinja's sandbox, read with a small bounded tokenizer instead of jinja2.

llama-cpp-python rendered GGUF chat templates in a plain ``jinja2.Environment`` before 0.2.72
(CVE-2024-34359): ``{{ cycler.__init__.__globals__.os.popen('id').read() }}`` in a model's metadata ran
on the server at the first chat request. Jinja resolves ``x.name``, ``x['name']`` and the filters that
take an attribute name (``attr``, ``map(attribute=...)``, ``selectattr``...) by attribute lookup, so
every path from a template to Python's internals goes through an attribute name starting with ``_``
(the names Jinja's sandbox refuses). The judge therefore reports:

- a *reach*: an attribute name starting with ``_`` written in the template (``.__class__``,
  ``['__globals__']``, ``|attr('__init__')``, ``self._TemplateReference__context``), a string literal
  that is a dunder or mangled name anywhere (passed on to be used as one), or a ``str.format`` field
  that walks to one (``'{0.__init__.__globals__}'.format(cycler)``);
- an *unproven* spot: an attribute name the template computes (``'__cla' ~ 'ss__'``, ``'__cla' 'ss__'``,
  ``'%c'|format(95)``, a variable set from such an expression, ``|attr(name)``) or a ``.format`` of a
  string not written in it, which could be any of those; fail closed.

Names read from the request (``message['role']``, ``tool[key]`` over a tool's own keys) are the
request author's, not the model's: they are not reported. Real templates (Llama 3, Mistral, Qwen,
Gemma, ChatML, Hermes...) use literal, public names only.

Bounded: one linear pass over at most :data:`~modellint.analyzer.serialized.gguf.MAX_TEMPLATE_BYTES`,
a fixpoint over ``set``/``for``/macro assignments capped at :data:`MAX_PASSES`, and at most
:data:`MAX_REPORTS` spots per template.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from modellint.record import Record

MAX_PASSES = 32
MAX_REPORTS = 10
MAX_TOKENS = 500_000
MAX_DEPTH = 16  # brackets nested deeper than this are no chat template (a key is judged in depth x length)
MAX_CHAIN_TOKENS = 64  # how far back an expression is shown from the access that is reported

_START = re.compile(r"\{\{|\{%|\{#")
_RAW = re.compile(r"\{%[-+]?\s*raw\s*[-+]?%\}")
_END_RAW = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<number>\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>//|\*\*|==|!=|>=|<=|[-+*/%~|.,:;()\[\]{}<>=!])
""", re.VERBOSE | re.DOTALL)
_DUNDER = re.compile(r"__\w+__|_[A-Za-z]\w*__\w+")  # a dunder, or a mangled private name
# str.format looks fields up by attribute and item: "{0.__init__.__globals__}".format(cycler)
_FORMAT_WALK = re.compile(r"\{[^{}]*?[.\[]\s*_[^{}]*\}")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_ENDS = {closer: re.compile(r"[-+]?\s*" + re.escape(closer)) for closer in ("}}", "%}")}

# Filters that take an attribute name (Jinja's ``make_attrgetter``), and those whose result is no
# string an attribute name could be built from (everything else may compute one).
_ATTRIBUTE_FILTERS = frozenset({"attr", "map", "selectattr", "rejectattr", "sort", "groupby", "unique", "min", "max",
                                "sum", "join"})
_FORMAT_METHODS = frozenset({"format", "format_map"})
_PLAIN_FILTERS = frozenset({"length", "count", "int", "float", "abs", "round", "items", "dictsort", "select",
                            "reject", "selectattr", "rejectattr", "sort", "unique", "min", "max", "sum", "bool",
                            "default", "d"})
_STRING_METHODS = frozenset({"format", "format_map", "join", "replace", "lower", "upper", "strip", "lstrip", "rstrip",
                             "title", "capitalize", "casefold", "swapcase", "zfill", "ljust", "rjust", "center",
                             "translate", "decode", "encode", "split", "rsplit", "partition", "rpartition",
                             "expandtabs", "removeprefix", "removesuffix"})
# Jinja's default globals, through which the published escapes start.
_GLOBALS = frozenset({"cycler", "joiner", "namespace", "lipsum", "range", "dict", "self"})
_SINKS = ("os", "popen", "system", "eval", "exec", "subprocess", "import_module", "__import__", "__builtins__")


class Token(Record):
    __slots__ = ("kind", "value", "at", "end")

    def __init__(self, kind: str, value: str, at: int, end: int) -> None:
        self.kind = kind  # "name", "string", "number", "op"
        self.value = value  # a string's decoded value
        self.at = at  # character indexes in the template
        self.end = end


class TemplateSpot(Record):
    """A place of a template: ``reach`` (it names a private attribute) or not (an attribute name it computes)."""

    __slots__ = ("expression", "offset", "reach", "detail", "via")

    def __init__(self, expression: str, offset: int, reach: bool, detail: str, via: str = "") -> None:
        self.expression = expression
        self.offset = offset  # UTF-8 byte offset in the template
        self.reach = reach
        self.detail = detail  # "attribute `__init__`"
        self.via = via  # "through the Jinja global `cycler`, on to `os`", or ""


class _Unreadable(Exception):
    def __init__(self, reason: str, at: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.at = at


def judge_template(text: str) -> list[TemplateSpot]:
    """Every spot of ``text`` that reaches or may reach Python internals (see the module docstring)."""
    try:
        blocks = list(_blocks(text))
        tainted = _tainted_names(blocks, text)
    except _Unreadable as error:
        return [TemplateSpot(text[error.at:error.at + 40], _byte_offset(text, error.at), False, error.reason)]
    spots: list[TemplateSpot] = []
    seen = 0
    for tokens in blocks:
        chains: set[int] = set()
        for spot_at, end, reach, detail in _spots(tokens, tainted):
            seen += 1
            if seen > MAX_REPORTS * 100:
                return spots  # enough said: a template of endless private walks is reported already
            start = _chain_start(tokens, spot_at)
            if start in chains:
                continue  # `cycler.__init__.__globals__`: its first private step says it
            chains.add(start)
            expression = text[tokens[start].at:end]
            spots.append(TemplateSpot(expression[:120], _byte_offset(text, tokens[start].at), reach, detail,
                                      _context(tokens)))
            if len(spots) >= MAX_REPORTS:
                return spots
    return spots


def _byte_offset(text: str, at: int) -> int:
    return len(text[:at].encode("utf-8", "surrogatepass"))


# --- lexing -------------------------------------------------------------------------------------


def _blocks(text: str) -> Iterator[list[Token]]:
    """The tokens of each ``{{ }}`` and ``{% %}`` block (a statement block starts with its keyword)."""
    position = 0
    count = 0
    while True:
        match = _START.search(text, position)
        if match is None:
            return
        opener = match.group()
        if opener == "{#":
            close = text.find("#}", match.end())
            if close < 0:
                raise _Unreadable("a comment is never closed", match.start())
            position = close + 2
            continue
        if opener == "{%" and _RAW.match(text, match.start()):
            end = _END_RAW.search(text, match.end())
            if end is None:
                raise _Unreadable("a raw block is never closed", match.start())
            position = end.end()
            continue
        tokens, position = _block(text, match.end(), "}}" if opener == "{{" else "%}")
        count += len(tokens)
        if count > MAX_TOKENS:
            raise _Unreadable(f"more than {MAX_TOKENS:,} tokens", match.start())
        yield tokens


def _block(text: str, position: int, closer: str) -> tuple[list[Token], int]:
    """The tokens from ``position`` to the block's end delimiter (outside brackets and strings)."""
    tokens: list[Token] = []
    depth = 0
    start = position
    if text[position:position + 1] in ("-", "+"):
        position += 1
    while position < len(text):
        if depth == 0:
            end = _ENDS[closer].match(text, position)
            if end is not None:
                return tokens, end.end()
        match = _TOKEN.match(text, position)
        if match is None:
            raise _Unreadable(f"unexpected character {text[position]!r} in a block", position)
        kind = match.lastgroup or ""
        value = match.group()
        position = match.end()
        if kind == "space":
            continue
        if kind == "string":
            value = _unescape(value, match.start())
        elif kind == "op" and value in _OPENERS:
            depth += 1
            if depth > MAX_DEPTH:
                raise _Unreadable(f"brackets nested deeper than {MAX_DEPTH}", match.start())
        elif kind == "op" and value in (")", "]", "}"):
            depth -= 1
            if depth < 0:
                raise _Unreadable(f"unbalanced {value!r}", match.start())
        tokens.append(Token(kind, value, match.start(), match.end()))
    raise _Unreadable("a block is never closed", start)


def _unescape(literal: str, at: int) -> str:
    """A string literal's value as Jinja's lexer decodes it (Python escapes: ``'\\x5f'`` is ``_``)."""
    try:
        return literal[1:-1].encode("ascii", "backslashreplace").decode("unicode-escape")
    except UnicodeDecodeError:
        raise _Unreadable("a string literal with an invalid escape", at) from None


# --- which names hold computed strings ----------------------------------------------------------


def _tainted_names(blocks: list[list[Token]], text: str) -> set[str]:
    """Names (and ``ns.attr`` targets) that may hold a string the template computed, in any order of the
    assignments (so a later ``set`` taints an earlier use: over-approximating is safe)."""
    macros: dict[str, list[str]] = {}
    for tokens in blocks:
        if tokens and tokens[0].value == "macro" and len(tokens) > 2 and tokens[1].kind == "name":
            macros[tokens[1].value] = [token.value for index, token in enumerate(tokens[3:], 3)
                                       if token.kind == "name" and tokens[index - 1].value in ("(", ",")]
    tainted: set[str] = set()
    for _ in range(MAX_PASSES):
        before = len(tainted)
        for tokens in blocks:
            for targets, expression in _assignments(tokens, macros):
                if expression is None or _computing(expression, tainted):
                    tainted.update(targets)
        if len(tainted) == before:
            return tainted
    raise _Unreadable(f"assignments do not settle in {MAX_PASSES} passes", 0)


def _assignments(tokens: list[Token], macros: dict[str, list[str]]) -> Iterator[tuple[list[str], list[Token] | None]]:
    """``(targets, expression)`` for what a block assigns (None: a block ``set``, whose value is template text)."""
    head = tokens[0].value if tokens and tokens[0].kind == "name" else ""
    if head in ("set", "with"):
        equals = [index for index, token in enumerate(tokens) if token.value == "=" and token.kind == "op"]
        if head == "set" and not equals:
            yield _names(tokens[1:]), None
        elif equals:
            yield _names(tokens[1:equals[0]]), tokens[equals[0] + 1:]
    elif head == "for":
        inside = next((index for index, token in enumerate(tokens) if token.value == "in" and token.kind == "name"), None)
        if inside is not None:
            yield _names(tokens[1:inside]), tokens[inside + 1:]
    for index, token in enumerate(tokens[:-1]):  # a macro call passes its arguments to the parameters
        if token.kind == "name" and token.value in macros and tokens[index + 1].value == "(" and head != "macro":
            yield macros[token.value], _bracketed(tokens, index + 1)


def _names(tokens: list[Token]) -> list[str]:
    """Assignment targets: plain names and ``ns.attr`` (as one dotted name)."""
    names: list[str] = []
    for index, token in enumerate(tokens):
        if token.kind == "name" and (index == 0 or tokens[index - 1].value != "."):
            dotted = token.value
            if index + 2 < len(tokens) and tokens[index + 1].value == "." and tokens[index + 2].kind == "name":
                dotted += "." + tokens[index + 2].value
            names.append(dotted)
    return names


def _computing(tokens: list[Token], tainted: set[str]) -> bool:
    """Whether an expression may build a string: ``~``, a string-making filter or method, arithmetic on a
    string literal, a subscript of one, or a name that holds such a value."""
    for index, token in enumerate(tokens):
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.kind == "op" and token.value == "~":
            return True
        if token.kind == "name":
            if before is not None and before.value == "|" and token.value not in _PLAIN_FILTERS:
                return True
            if before is not None and before.value == "." and token.value in _STRING_METHODS \
                    and after is not None and after.value == "(":
                return True
            if before is None or before.value != ".":
                dotted = token.value
                if index + 2 < len(tokens) and tokens[index + 1].value == "." and tokens[index + 2].kind == "name":
                    dotted += "." + tokens[index + 2].value
                if token.value in tainted or dotted in tainted:
                    return True
        if token.kind == "string" and before is not None and before.kind == "string":
            return True  # 'a' 'b' is one string, concatenated
        if token.kind == "string" and (any(neighbour is not None and neighbour.kind == "op"
                                           and neighbour.value in ("+", "%", "*") for neighbour in (before, after))
                                       or after is not None and after.value in ("[", ".")):
            return True  # 'ab' + x, '%c' % 95, 'abc'[1], '{}'.format(...)
    return False


def _bracketed(tokens: list[Token], opening: int) -> list[Token]:
    """The tokens between the bracket at ``opening`` and its match (to the block's end if unmatched)."""
    depth = 0
    for index in range(opening, len(tokens)):
        token = tokens[index]
        if token.kind != "op":
            continue
        if token.value in _OPENERS:
            depth += 1
        elif token.value in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return tokens[opening + 1:index]
    return tokens[opening + 1:]


# --- the spots ------------------------------------------------------------------------------------


def _spots(tokens: list[Token], tainted: set[str]) -> Iterator[tuple[int, int, bool, str]]:
    """``(token index, end char, reach, detail)`` for each spot of one block."""
    judged: set[int] = set()  # string literals already judged as the name they are used as
    for index, token in enumerate(tokens):
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.kind == "op" and token.value == "." and after is not None and after.kind == "name" \
                and _private(after.value):
            yield index, after.end, True, f"attribute `{after.value}`"
        elif token.kind == "op" and token.value == "[" and (index > 0 and tokens[index - 1].kind != "op"
                                                              or index > 0 and tokens[index - 1].value in (")", "]")):
            key = _bracketed(tokens, index)
            judged.update(token.at for token in key if token.kind == "string")
            yield from _key_spot(index, key, tainted, "subscript")
        elif token.kind == "op" and token.value == "|" and after is not None and after.value in _ATTRIBUTE_FILTERS:
            arguments = _bracketed(tokens, index + 2) if index + 2 < len(tokens) and tokens[index + 2].value == "(" \
                else []
            judged.update(token.at for token in arguments if token.kind == "string")
            yield from _filter_spots(index, after, arguments, tainted)
        elif token.kind == "op" and token.value == "." and after is not None and after.value in _FORMAT_METHODS \
                and index + 2 < len(tokens) and tokens[index + 2].value == "(" \
                and not (index > 0 and tokens[index - 1].kind == "string"
                         and (index < 2 or tokens[index - 2].kind != "string")):
            yield index, after.end, False, f"`{after.value}` of a format string not written in the template"
        elif token.kind == "string" and token.at not in judged and _DUNDER.fullmatch(token.value):
            yield index, token.end, True, f"the name `{token.value}`"
        elif token.kind == "string" and _FORMAT_WALK.search(token.value):
            field = _FORMAT_WALK.search(token.value)
            yield index, token.end, True, f"the format field `{field.group() if field else ''}`"


def _key_spot(index: int, key: list[Token], tainted: set[str], what: str) -> Iterator[tuple[int, int, bool, str]]:
    if not key or any(token.value == ":" and token.kind == "op" for token in _top_level(key)):
        return  # a slice reads items, never attributes
    end = key[-1].end + 1
    if len(key) == 1 and key[0].kind == "string":
        if any(_private(part) for part in key[0].value.split(".")):
            yield index, end, True, f"{what} `{key[0].value}`"
    elif _computing(key, tainted):
        yield index, end, False, f"a {what} name computed at render time"


def _filter_spots(index: int, filter_name: Token, arguments: list[Token],
                  tainted: set[str]) -> Iterator[tuple[int, int, bool, str]]:
    name = filter_name.value
    end = arguments[-1].end + 1 if arguments else filter_name.end
    literals = [token for token in _top_level(arguments) if token.kind == "string"]
    for literal in literals:
        if any(_private(part) for part in literal.value.split(".")):
            yield index, end, True, f"`{name}` of `{literal.value}`"
            return
    if name == "attr" and not (len(arguments) == 1 and arguments[0].kind == "string"):
        yield index, end, False, "`attr` of a name not written in the template"
    elif _computing([token for token in arguments if token.kind != "string"], tainted):
        yield index, end, False, f"`{name}` of an attribute name computed at render time"


def _top_level(tokens: list[Token]) -> Iterator[Token]:
    depth = 0
    for token in tokens:
        if token.kind == "op" and token.value in _OPENERS:
            depth += 1
        elif token.kind == "op" and token.value in (")", "]", "}"):
            depth -= 1
        elif depth == 0:
            yield token


def _private(name: str) -> bool:
    return name.startswith("_") and len(name) > 1


def _chain_start(tokens: list[Token], index: int) -> int:
    """The first token of the expression the access at ``index`` applies to (``cycler`` of ``cycler.__init__``)."""
    depth = 0
    start = index
    while start > 0 and index - start < MAX_CHAIN_TOKENS:
        previous = tokens[start - 1]
        if previous.kind == "op" and previous.value in (")", "]"):
            depth += 1
        elif previous.kind == "op" and previous.value in ("(", "["):
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and not (previous.kind in ("name", "string", "number") or previous.value in (".", "|")):
            break
        if depth == 0 and previous.kind == "name" and start - 2 >= 0 and tokens[start - 2].value not in (".", "|"):
            start -= 1
            break
        start -= 1
    return start


def _context(tokens: list[Token]) -> str:
    names = {token.value for token in tokens if token.kind in ("name", "string")}
    notes = []
    roots = sorted(names & _GLOBALS)
    if roots:
        notes.append(f"through the Jinja global `{roots[0]}`")
    sinks = [sink for sink in _SINKS if sink in names]
    if sinks:
        notes.append(f"on to `{sinks[0]}`")
    return ", ".join(notes)
