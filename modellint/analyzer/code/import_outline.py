"""The imports a source file most likely makes, read with a regular expression: a guess.

The scan-ahead helper (:mod:`.scan_ahead`) works best on the files the reachability walk comes
to last. Which those are is only known once the files before them are parsed, but the import
statements that decide it are easy to see in the bytes: an ``import`` or ``from ... import``
at the start of a line, in the order the visitor meets them. This reads them in about a
twentieth of a parse. It is only ever a guess at an order (it cannot see ``TYPE_CHECKING``
blocks, imports after a ``;``, backslash continuations, nor tell a docstring's example from
code): nothing it says becomes a fact, a wrong guess only makes the helper parse a file the
walk then parses as well, or not at all.

Nothing here imports or runs the analysed code.
"""

from __future__ import annotations

import re

from modellint.analyzer.code.source_imports import resolve_relative

__all__ = ["outline"]

# A line that starts (after indentation) with the keyword of an import statement. The rest of the
# statement is read with string methods, not the pattern: a pattern that matched the module and
# names too could backtrack over a hostile file's long runs of blanks or dots, or search it to
# the end once for every bracket left open.
_STATEMENT = re.compile(rb"^[ \t]*(from|import)[ \t]", re.MULTILINE)


def outline(data: bytes, package: str | None) -> list[tuple[str, tuple[str, ...]]]:
    """``(absolute module, names imported from it)`` for each import statement ``data`` seems to
    hold, in source order; relative imports resolved in ``package``, those that cannot be left
    out (the walk does not follow them either), as is ``__future__``. Linear in ``len(data)``."""
    found: list[tuple[str, tuple[str, ...]]] = []
    resume = 0  # the end of the last bracketed list of names: lines before it are inside it
    close: int | None = None  # the first ")" after the last place one was looked for (-1: none is left)
    for match in _STATEMENT.finditer(data):
        if match.start() < resume:
            continue
        end = data.find(b"\n", match.end())
        end = len(data) if end < 0 else end
        line = _code(data[match.end():end])
        if match.group(1) == b"import":
            found.extend((module, ()) for module in map(_first_word, line.split(b",")) if module)
            continue
        words = line.split()
        if b"import" not in words:
            continue
        keyword = words.index(b"import")
        source = b"".join(words[:keyword])
        names = b" ".join(words[keyword + 1:])
        if names.startswith(b"(") and b")" not in names:  # the list goes on over the next lines
            if close is None or 0 <= close < end:
                close = data.find(b")", end)
            if close == -1:
                continue
            names = b" ".join(_code(piece) for piece in data[match.end():close].split(b"\n"))
            names = names[names.find(b"(") + 1:]
            resume = close
        dots = len(source) - len(source.lstrip(b"."))
        absolute = resolve_relative(dots, source[dots:].decode("ascii", "replace"), package)
        if not absolute or absolute == "__future__":
            continue
        imported = tuple(name for name in map(_first_word, names.strip(b"()").split(b",")) if name)
        found.append((absolute, imported))
    return found


def _code(line: bytes) -> bytes:
    """A line without its comment, and without what follows a ``;`` (another statement)."""
    return line.split(b"#", 1)[0].split(b";", 1)[0]


def _first_word(part: bytes) -> str:
    """``name`` of ``name as alias`` (with spaces, brackets or a backslash around it), or ``""``."""
    words = part.replace(b"\\", b" ").split()
    if not words:
        return ""
    word = words[0].decode("ascii", "replace")
    return word if word == "*" or all(piece.isidentifier() for piece in word.split(".")) else ""
