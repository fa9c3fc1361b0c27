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

# `from <dots><module> import <names>` (names in brackets may span lines) or `import <modules>`,
# at the start of a line after indentation, as the first statement on it.
_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;]*)|import[ \t]+([^\n#;]+))",
    re.MULTILINE)


def outline(data: bytes, package: str | None) -> list[tuple[str, tuple[str, ...]]]:
    """``(absolute module, names imported from it)`` for each import statement ``data`` seems to
    hold, in source order; relative imports resolved in ``package``, those that cannot be left
    out (the walk does not follow them either), as is ``__future__``."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for match in _IMPORT.finditer(data):
        dots, written, names, modules = match.groups()
        if modules is not None:
            for part in modules.split(b","):
                module = _first_word(part)
                if module:
                    found.append((module, ()))
            continue
        absolute = resolve_relative(len(dots), written.decode("ascii", "replace"), package)
        if not absolute or absolute == "__future__":
            continue
        imported = tuple(name for name in (_first_word(part) for part in names.strip(b"()").split(b",")) if name)
        found.append((absolute, imported))
    return found


def _first_word(part: bytes) -> str:
    """``name`` of ``name as alias`` (with spaces, brackets or a backslash around it), or ``""``."""
    words = part.replace(b"\\", b" ").split()
    if not words:
        return ""
    word = words[0].decode("ascii", "replace")
    return word if word == "*" or all(piece.isidentifier() for piece in word.split(".")) else ""
