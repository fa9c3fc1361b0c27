"""Answers remembered per object, by identity.

A store of 2,000 models asks the same question of the same few objects tens of thousands of
times: the parser hands equal requirement lines one parsed object, the release index one
``Release`` per pinned version. Remembering by equality would be wrong where equality is looser
than the text (packaging's ``==1.0`` equals ``==1.0.0``), and hashing a large object costs what
the answer saves; its identity is exact and free. Each object is held while its answer is, so
its ``id`` cannot be reused by another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

_K = TypeVar("_K")
_T = TypeVar("_T")


def by_identity(compute: Callable[[_K], _T], maxsize: int = 16384) -> Callable[[_K], _T]:
    """``compute`` remembered per argument object, for at most ``maxsize`` objects (then
    forgotten all at once: a bound on memory, not a cache policy)."""
    remembered: dict[int, tuple[_K, _T]] = {}

    def lookup(key: _K) -> _T:
        held = remembered.get(id(key))
        if held is not None and held[0] is key:
            return held[1]
        value = compute(key)
        if len(remembered) >= maxsize:
            remembered.clear()
        remembered[id(key)] = (key, value)
        return value

    return lookup
