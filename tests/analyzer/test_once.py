"""``computed_once``: the attribute ModelDir's facts are, computed on the first read only."""

from __future__ import annotations

import pytest

from modellint.analyzer.once import computed_once


class Counted:
    def __init__(self) -> None:
        self.computed = 0

    @computed_once
    def fact(self) -> list[int]:
        """A fact."""
        self.computed += 1
        return [self.computed]

    @computed_once
    def broken(self) -> int:
        self.computed += 1
        raise ValueError("unreadable")


def test_the_first_read_computes_and_every_later_read_sees_the_same_object():
    counted = Counted()
    first = counted.fact
    assert counted.fact is first and first == [1]
    assert counted.computed == 1
    assert counted.__dict__["fact"] is first  # kept in the instance, as cached_property keeps it


def test_each_instance_has_its_own_value():
    one, two = Counted(), Counted()
    assert one.fact == [1] and two.fact == [1]
    assert one.fact is not two.fact


def test_a_failed_computation_is_not_kept():
    counted = Counted()
    for expected in (1, 2):
        with pytest.raises(ValueError):
            counted.broken  # noqa: B018 - the read is the test
        assert counted.computed == expected


def test_read_on_the_class_it_is_the_descriptor_with_the_function_doc():
    assert isinstance(Counted.fact, computed_once)
    assert Counted.fact.__doc__ == "A fact."
