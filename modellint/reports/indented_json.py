"""``json.dumps(document, indent=2)``, byte for byte, at the speed of json's C string encoder.

With ``indent`` set, the standard library gives up its C encoder and walks the document with
Python generators: a report of a 2,000-model store (13,000 findings) spent a third of a second
there, in the one process that renders after the workers have finished. Reports are dicts,
lists, strings, integers, booleans and None; each string goes through the same C escaping
``json.dumps`` uses, and anything else (a float, a non-string key) through ``json.dumps`` itself.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any

_INDENT = "  "


class _Unusual(Exception):
    """A value this writer leaves to ``json.dumps`` (a dict with a key that is no string)."""


def dumps(document: Any) -> str:
    """The text ``json.dumps(document, indent=2)`` gives."""
    parts: list[str] = []
    try:
        _write(document, "\n", parts)
    except _Unusual:
        return json.dumps(document, indent=2)
    return "".join(parts)


def dumps_at(value: Any, newline: str) -> str:
    """``value``'s text as :func:`dumps` writes it where ``newline`` (a line break and the indent
    it stands at) is the break before its closing bracket: a part of a larger document."""
    parts: list[str] = []
    try:
        _write(value, newline, parts)
    except _Unusual:
        text = json.dumps(value, indent=2)
        return text.replace("\n", newline)
    return "".join(parts)


def _write(value: Any, newline: str, parts: list[str]) -> None:
    """Append ``value``'s text to ``parts``; ``newline`` is the line break and indent it stands at."""
    if isinstance(value, str):
        parts.append(encode_basestring_ascii(value))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, dict):
        _write_dict(value, newline, parts)
    elif isinstance(value, (list, tuple)):
        _write_list(value, newline, parts)
    else:
        parts.append(json.dumps(value))  # a float (repr, NaN, Infinity) or a TypeError as json raises it


def _write_dict(value: dict, newline: str, parts: list[str]) -> None:
    if not value:
        parts.append("{}")
        return
    inner = newline + _INDENT
    separator, between = "{" + inner, "," + inner  # one string each per container, as json's are
    for key, item in value.items():
        if not isinstance(key, str):
            raise _Unusual
        parts.append(separator)
        parts.append(encode_basestring_ascii(key))
        parts.append(": ")
        _write(item, inner, parts)
        separator = between
    parts.append(newline + "}")


def _write_list(value: list | tuple, newline: str, parts: list[str]) -> None:
    if not value:
        parts.append("[]")
        return
    inner = newline + _INDENT
    separator, between = "[" + inner, "," + inner
    for item in value:
        parts.append(separator)
        # Each item as one string: a store's report is 13,000 findings of about 25 parts each, and
        # 350,000 small strings held until the end cost more memory than the text they make.
        item_parts: list[str] = []
        _write(item, inner, item_parts)
        parts.append("".join(item_parts))
        separator = between
    parts.append(newline + "]")
