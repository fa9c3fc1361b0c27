"""What a pickle passes to a library gadget that loads what its arguments hold (see knowledge/gadgets.py):
``keras.layers.Dense("relu")`` is a layer, ``Dense(<config of a __lambda__>)`` runs marshalled bytecode.

The arguments at the places the gadget is fed from are read as plain data (a value built at load time,
an import, a skipped payload cannot be judged: the call is reported). Then:

* where the chain goes through Keras's deserializer, they are a Keras config, judged by the same reading
  as a ``.keras`` archive's ``config.json`` (``keras_config.walk_config``): a ``__lambda__`` is code, a class of a
  module outside Keras is an import judged like a pickle global, a dtype name or a standard layer's
  config is data;
* any other in-memory deserializer could decode a text or bytes argument into code: only numbers,
  ``None`` and containers of them are data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modellint.analyzer.serialized.pickles.results import Facts

class NotPlain(Exception):
    """An argument that is not plain data the pickle wrote (a call's result, an import, a skipped payload)."""


# Hops of a chain through Keras's own deserializer (keras.src.saving, ``func_load``).
_KERAS_DESERIALIZER = "keras.src."


def judge(given: tuple[object, ...] | None, places: tuple[str, ...], reaches: str,
          plain: Callable[[object], object], facts: Facts, member: str) -> str | None:
    """None when the arguments ``given`` (positional) hold nothing the loader could run, else why not;
    Keras configs add what they name to ``facts`` (classes as imports, a Lambda as a hazard)."""
    if given is None:
        return "arguments built at load time"
    values: list[object] = []
    for place in places:
        if place == "?":
            return "arguments whose place in the call is not known"
        if place == "*args":
            values.extend(given)
        elif place.isdigit() and int(place) < len(given):
            values.append(given[int(place)])
        # a keyword-only parameter, **kwargs: REDUCE passes none, the library's default is used
    try:
        data = [plain(value) for value in values]
    except NotPlain as error:
        return f"an argument that is not plain data ({error})"
    if _KERAS_DESERIALIZER in reaches:
        from modellint.analyzer.serialized.keras_config import walk_config
        from modellint.analyzer.serialized.pickles.results import Facts

        config = Facts(facts.limits)  # what the config names, kept; its Lambda said in this call's words
        walk_config(data, config, member)
        facts.globals.extend(config.globals)
        facts.calls.extend(config.calls)
        if config.hazards:
            return "a Keras config holding a `Lambda` serialized as marshalled Python bytecode"
        return None
    text = next((value for value in _leaves(data) if isinstance(value, (str, bytes, bytearray))), None)
    if text is not None:
        return f"a {'text' if isinstance(text, str) else 'bytes'} argument, which its deserializer may decode into code"
    return None


def _leaves(data: list[object]) -> list[object]:
    found: list[object] = []
    pending: list[object] = list(data)
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        else:
            found.append(value)
    return found
