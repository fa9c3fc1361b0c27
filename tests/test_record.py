"""Record: the value semantics a frozen dataclass would give, and the contract subclasses keep."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
import re
from pathlib import Path

import pytest

import modellint
from modellint.findings import Finding, Severity, Span
from modellint.record import Record


class Point(Record):
    __slots__ = ("x", "y")

    def __init__(self, x: int, y: int = 0) -> None:
        self.x = x
        self.y = y


class Labelled(Point):
    __slots__ = ("label",)
    _uncompared = frozenset({"label"})

    def __init__(self, x: int, y: int = 0, label: str = "") -> None:
        super().__init__(x, y)
        self.label = label


def test_equality_hash_and_order_follow_the_fields() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1, 2), Point(1, 2), Point(3)}) == 2
    assert sorted([Point(2), Point(1, 5), Point(1, 3)]) == [Point(1, 3), Point(1, 5), Point(2)]
    assert Point(1) <= Point(1) < Point(2) and Point(2) > Point(1) >= Point(1)


def test_instances_of_different_classes_are_never_equal() -> None:
    assert Point(1, 2) != Labelled(1, 2)
    assert Point(1, 2) != (1, 2)
    with pytest.raises(TypeError):
        Point(1) < Labelled(1)  # noqa: B015


def test_fields_are_inherited_in_order_and_uncompared_ones_are_left_out() -> None:
    assert Labelled._fields == ("x", "y", "label")
    assert Labelled(1, 2, "a") == Labelled(1, 2, "b")
    assert hash(Labelled(1, 2, "a")) == hash(Labelled(1, 2, "b"))
    assert repr(Labelled(1, 2, "a")) == "Labelled(x=1, y=2, label='a')"


def test_unshown_fields_stay_out_of_the_repr() -> None:
    class Quiet(Point):
        __slots__ = ("blob",)
        _unshown = frozenset({"blob"})

        def __init__(self, x: int, y: int = 0, blob: bytes = b"") -> None:
            super().__init__(x, y)
            self.blob = blob

    assert repr(Quiet(1, 2, b"x" * 100)).endswith("Quiet(x=1, y=2)")


def test_replace_copies_with_changes_and_rejects_unknown_fields() -> None:
    original = Labelled(1, 2, "a")
    assert original.replace(y=5) == Labelled(1, 5, "a")
    assert original.replace(label="b").label == "b"
    assert original.y == 2
    with pytest.raises(TypeError, match="has no field z"):
        original.replace(z=1)


def test_records_pickle_for_the_worker_processes() -> None:
    finding = Finding("ML103", "conda-defaults-channel", Severity.ERROR, "m", Path("conda.yaml"), Span(3, 5))
    assert pickle.loads(pickle.dumps(finding)) == finding


def _all_record_classes() -> list[type[Record]]:
    for module in pkgutil.walk_packages(modellint.__path__, "modellint."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found, pending = [], list(Record.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("modellint."):
            found.append(cls)
    return found


def test_every_record_init_takes_exactly_its_fields_in_order() -> None:
    """``replace``, ``repr`` and pickling rely on ``__init__`` parameters naming the slots."""
    classes = _all_record_classes()
    assert len(classes) >= 4
    for cls in classes:
        parameters = [name for name in inspect.signature(cls.__init__).parameters if name != "self"]
        assert tuple(parameters) == cls._fields, cls.__qualname__
        # Every class up the chain declares __slots__, so no instance grows a __dict__.
        assert all("__slots__" in klass.__dict__ for klass in cls.__mro__[:-1]), cls.__qualname__


def test_modellint_defines_no_dataclass() -> None:
    """Each dataclass costs 0.7 ms of import time on CPython 3.11 (see ``modellint.record``)."""
    decorator = re.compile(r"^\s*@(dataclasses\.)?dataclass\b", re.MULTILINE)
    sources = Path(modellint.__file__).parent.rglob("*.py")
    offenders = [str(path) for path in sources if decorator.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
