"""Value objects without the import-time cost of dataclasses.

On CPython 3.11 ``@dataclass(frozen=True)`` compiles its generated methods with ``exec`` every
time the module is imported: 0.7 ms per class, 47 ms for the 68 classes a one-model-dir run
defines, plus 10 ms to import ``dataclasses`` itself (it pulls in ``inspect``). That was a
quarter of modellint's cold start. A ``Record`` subclass spells out ``__slots__`` and
``__init__`` once, in source the interpreter caches as bytecode, and inherits the value
semantics a frozen dataclass would generate:

- equality between instances of the same class, comparing the fields in ``__slots__`` order
  (a field named in ``_uncompared`` is left out of equality, hashing and ordering);
- a hash of the same values, so records can be set members and dict keys;
- ordering by the same values (``<``, ``<=``, ``>``, ``>=``), as ``order=True`` gives;
- a ``Name(field=value, ...)`` repr (a field named in ``_unshown`` is left out);
- ``replace(**changes)``, the ``dataclasses.replace`` of records.

The fields are the ``__slots__`` up the chain, in order. A record held by the ten thousand
(a call fact of a vendored package) may store its fields packed instead: it names them in
``_fields``, reads each through a property, and its ``__init__`` still takes them in that order.

Records are values, as frozen dataclasses are: nothing changes a record after ``__init__``,
neither a field nor the list or dict a field holds. Code that fills something in as it goes
collects in locals and constructs the record once (or uses ``replace``); a genuine builder is a
plain class, not a record. A ``__setattr__`` here would slow down every construction (the
analyzer builds hundreds of thousands of import facts on a large project), so the test suite
enforces it instead: ``tests/frozen_records.py`` makes assigning a field outside the instance's
own ``__init__`` raise for the whole run, and ``tests/test_record.py`` scans the package for
changes through variables typed as records. A test also checks that every ``__init__`` takes
exactly the fields, in order, so that ``replace`` and pickling (through ``__init__``, see
``__reduce__``) rebuild the same value.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

_R = TypeVar("_R", bound="Record")


class Record:
    __slots__ = ()

    _fields: ClassVar[tuple[str, ...]] = ()
    _compared: ClassVar[tuple[str, ...]] = ()
    _uncompared: ClassVar[frozenset[str]] = frozenset()
    _unshown: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: list[str] = list(cls.__dict__.get("_fields", ()))
        for klass in reversed(cls.__mro__ if not fields else ()):
            slots = klass.__dict__.get("__slots__", ())
            fields.extend((slots,) if isinstance(slots, str) else slots)
        cls._fields = tuple(fields)
        cls._compared = tuple(name for name in fields if name not in cls._uncompared)

    def _key(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self._compared])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() >= other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields if name not in self._unshown)
        return f"{self.__class__.__qualname__}({values})"

    def __reduce__(self) -> tuple[type[Record], tuple[Any, ...]]:
        # Unpickled (results from the worker processes) through ``__init__``, as built the first
        # time, rather than by assigning each slot after construction.
        return self.__class__, tuple([getattr(self, name) for name in self._fields])

    def replace(self: _R, **changes: Any) -> _R:
        """A copy with some fields changed, like ``dataclasses.replace``."""
        unknown = changes.keys() - set(self._fields)
        if unknown:
            raise TypeError(f"{self.__class__.__name__} has no field {', '.join(sorted(unknown))}")
        values = {name: changes[name] if name in changes else getattr(self, name) for name in self._fields}
        return self.__class__(**values)
