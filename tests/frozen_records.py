"""Records stay values: a test-only guard that makes assigning a record's field after its
``__init__`` raise.

``modellint.record.Record`` defines no ``__setattr__``, so that building one costs only its
``__init__`` (the analyzer builds hundreds of thousands of import facts on a large project). The
test suite installs this guard for the whole run (``tests/conftest.py``): every assignment or
deletion of a field must come from the ``__init__`` of the very instance being built (the class's
own or one up the chain through ``super().__init__``). Anything else -- ``plan.fixes = ...`` from
outside, a helper called by ``__init__``, unpickling through ``setattr`` -- is a mutation of a
value that may already sit in a set or be shared between findings.
"""

from __future__ import annotations

import sys
from typing import Any

from modellint.record import Record


class RecordMutated(AttributeError):
    """A record's field was assigned or deleted after construction."""


def _in_own_init(record: Record) -> bool:
    frame = sys._getframe(2)
    return frame.f_code.co_name == "__init__" and frame.f_locals.get("self") is record


def _guarded_setattr(self: Record, name: str, value: Any) -> None:
    if not _in_own_init(self):
        raise RecordMutated(f"{type(self).__qualname__}.{name} assigned after construction: a record is a value"
                            " (build the final value, or use .replace())")
    object.__setattr__(self, name, value)


def _guarded_delattr(self: Record, name: str) -> None:
    if not _in_own_init(self):
        raise RecordMutated(f"{type(self).__qualname__}.{name} deleted after construction: a record is a value")
    object.__delattr__(self, name)


def install() -> None:
    """Guard every ``Record`` (subclasses pick the methods up from the base, present and future)."""
    Record.__setattr__ = _guarded_setattr  # type: ignore[method-assign]
    Record.__delattr__ = _guarded_delattr  # type: ignore[method-assign]


def uninstall() -> None:
    del Record.__setattr__
    del Record.__delattr__


def installed() -> bool:
    return "__setattr__" in Record.__dict__
