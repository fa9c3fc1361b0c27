"""Characters that change how text reads where it is shown, and their visible escapes.

Control characters (ESC, CR, backspace) move the cursor or recolour a terminal and start workflow
commands in a CI log; bidi overrides and zero-width characters reorder or hide text in a rendered
report. Text modellint did not write (a model's files, a plugin's documentation) shows them as
``\\x1b`` / ``\\u202e``: ``reports.printable`` for what is printed, the plugin loader to refuse a
rule whose documentation holds one.
"""

from __future__ import annotations

import re

# Anything but printable ASCII and the tab is a candidate; unicodedata decides (most text is ASCII).
_SUSPECT = re.compile(r"[^\t\x20-\x7e]")
# Control (C0, C1, DEL), format (bidi overrides and isolates, zero-width characters, the BOM, tag
# characters), line and paragraph separators, and lone surrogates from undecodable bytes.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def escape_hidden(text: str) -> str:
    """``text`` with every hidden character (newlines too) shown as its escape: one line, as stored."""
    if _SUSPECT.search(text) is None:
        return text
    return _SUSPECT.sub(_escape, text)


def _escape(match: re.Match) -> str:
    import unicodedata

    character = match.group()
    if unicodedata.category(character) not in _HIDDEN_CATEGORIES:
        return character
    point = ord(character)
    if point < 0x100:
        return {"\n": "\\n", "\r": "\\r"}.get(character, f"\\x{point:02x}")
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"
