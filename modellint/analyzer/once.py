"""``computed_once``: an attribute computed on first read and kept in the instance.

``functools.cached_property`` does the same, but on CPython 3.11 each first read also takes a
lock shared by every instance of the class (removed in 3.12 as useless): about 1.5 µs a
read, and a model dir's facade has some forty facts each read once per model dir, thousands of
times in a store's run. A model dir is read by one thread, so nothing needs that lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

_T = TypeVar("_T")
_Self = TypeVar("_Self", bound="computed_once[Any]")


class computed_once(Generic[_T]):  # noqa: N801 - used as a decorator, like cached_property
    """A non-data descriptor: the value it stores in the instance's ``__dict__`` under the same
    name hides it from every later read, as ``cached_property``'s does."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self: _Self, instance: None, owner: type | None = None) -> _Self: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value
