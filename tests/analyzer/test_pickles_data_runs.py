"""``Machine.run_data`` (runs of data-only opcodes parsed in place) leaves the machine exactly as the opcode
handlers leave it: the same stack, MARK frames, memo, budgets charged, position, facts and errors (with
their offsets), on real pickles of every protocol, hand-assembled edge cases, their mutations and
truncations, tight budgets, tiny read buffers (opcodes cut by the buffer's end) and size-limited streams.

Each case runs twice: as ``scan`` runs it, and with ``run_data`` replaced by one that runs nothing, so
that every opcode goes through its handler (the reference)."""

from __future__ import annotations

import collections
import io
import pickle
import random
import struct
from pathlib import Path
from typing import Any

import pytest

from modellint.analyzer.serialized.pickles import machine as machine_module
from modellint.analyzer.serialized.pickles import scan_file
from modellint.analyzer.serialized.pickles.machine import Machine
from modellint.analyzer.serialized.pickles.results import Facts, Limits, Unscannable
from modellint.analyzer.serialized.pickles.streams import Source
from tests.analyzer.test_pickles import MARK, MEMOIZE, PROTO4, REDUCE, STOP, binget, binput, stack_global, u

DATA = Path(__file__).resolve().parent.parent / "data" / "pickles"


def describe(value: object, seen: dict[int, int] | None = None) -> object:
    """A comparable rendering of a machine value; shared and recursive containers by first-seen number."""
    seen = {} if seen is None else seen
    if isinstance(value, (list, tuple, machine_module._Dict, machine_module._Set)):
        if id(value) in seen:
            return ("seen", seen[id(value)])
        seen[id(value)] = len(seen)
        items = value.pairs if isinstance(value, machine_module._Dict) else (
            value.items if isinstance(value, machine_module._Set) else value)
        return (type(value).__name__, [describe(item, seen) for item in items])
    if isinstance(value, machine_module._JudgedByArguments):
        return ("judged", value.ref, value.unjudged)
    if isinstance(value, machine_module._Imported):
        return ("imported", value.ref)
    if isinstance(value, machine_module._Called):
        return ("called", value.origin, value.instance_of, describe(value.args, seen), describe(value.state, seen))
    if isinstance(value, machine_module._Skipped):
        return ("skipped", value.what, value.start, value.length)
    if isinstance(value, machine_module._Opaque):
        return ("opaque", value.what)
    if isinstance(value, float) and value != value:
        return ("nan",)
    return (type(value).__name__, value)


def run_once(data: bytes, limits: Limits, *, sized: bool = True, limit: int | None = None,
             joblib: bool = False) -> tuple[Any, ...]:
    facts = Facts(limits)
    source = Source(io.BufferedReader(io.BytesIO(data)), len(data) if sized else None, limit)
    machine = Machine(source, facts, None, joblib=joblib)
    try:
        machine.run()
        outcome: tuple[object, ...] = ("stop",)
    except Unscannable as error:
        outcome = ("error", error.reason, error.offset)
    seen: dict[int, int] = {}
    return (outcome, source.pos, facts.globals, facts.calls, facts.problems, facts.subimports, facts.opcodes,
            facts.values, facts.retained_bytes, machine.stacked, describe(machine.stack, seen),
            [describe(frame, seen) for frame in machine.metastack],
            sorted((index, describe(value, seen)) for index, value in machine.memo.items()))


def both(monkeypatch: pytest.MonkeyPatch, data: bytes, limits: Limits | None = None, **options: Any) -> None:
    limits = limits or Limits()
    fast = run_once(data, limits, **options)
    with monkeypatch.context() as patch:
        patch.setattr(Machine, "run_data", lambda self, count, stop: count)
        reference = run_once(data, limits, **options)
    assert fast == reference


class Point(collections.namedtuple("Point", "x y")):
    pass


def values() -> list[object]:
    shared = ["shared", "texts"]
    recursive: list[object] = [1, 2]
    recursive.append(recursive)
    return [
        {f"token{i:05d}": i for i in range(3000)},  # a vocabulary: strings, memo puts, all sizes of ints
        [f"w{i % 300}" for i in range(2000)],
        {"floats": [0.5, -1e300, float("inf"), float("nan")], "none": None, "flags": (True, False),
         "ints": [0, 255, 256, 65535, 65536, -1, 2**31 - 1, -(2**31), 2**31, 2**64, -(2**70)]},
        {"unicode": ["é", "日本語", "\U0001f600", "\ud800 lone surrogate", "x" * 300, "y" * 70_000]},
        [shared, shared, (shared, [shared]), {"again": shared}],
        recursive,
        ((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), [()], {(): ()}),
        {1, 2, 3, "set"}, frozenset({"a"}), b"bytes" * 10, bytearray(b"ba"), b"z" * 70_000,
        collections.OrderedDict(a=1, b=[2]), Point(1, "y"), [Point(i, str(i)) for i in range(50)],
        {"nested": [{"d": [{"e": (i, str(i))} for i in range(20)]}]},
    ]


PICKLES = [pickle.dumps(value, protocol=protocol) for value in values() for protocol in range(6)]
GETATTR = stack_global("builtins", "getattr")
HAND_MADE = [
    # getattr memoized and fetched by BINGET: each push is one more use to judge
    PROTO4 + GETATTR + MEMOIZE + b"0" + binget(0) + stack_global("os", "path") + u("join") + b"\x86" + REDUCE
    + binget(0) + b"0" + STOP,
    PROTO4 + GETATTR + binput(7) + binget(7) + binget(7) + b"\x87" + STOP,
    PROTO4 + b"\x94" + STOP,  # MEMOIZE on an empty stack
    PROTO4 + binget(3) + STOP,  # memo miss
    PROTO4 + b"u" + STOP, PROTO4 + MARK + b"u" + STOP, PROTO4 + b"K\x01" + MARK + b"u" + STOP,  # SETITEMS misuse
    PROTO4 + b"]" + MARK + b"K\x01e" + b"}" + MARK + u("k") + b"K\x01u" + b"\x86" + STOP,
    PROTO4 + b"K\x01\x87" + STOP, PROTO4 + b"K\x01s" + STOP, PROTO4 + b"K\x01a" + STOP,  # underflows
    PROTO4 + b"\x8c\x02\xff\xfe" + STOP,  # undecodable text
    PROTO4 + b"X" + struct.pack("<I", 3) + b"a\xc3" + STOP,
    PROTO4 + b"t" + STOP, PROTO4 + MARK + b"t" + STOP,
    # APPENDS/SETITEMS/APPEND/SETITEM on an instance: its methods run, recorded as calls
    PROTO4 + stack_global("mod", "Cls") + b")\x81" + MARK + b"K\x01K\x02e" + MARK + u("a") + b"K\x01u"
    + u("b") + b"K\x02s" + b"K\x03a" + STOP,
    PROTO4 + b"\x95" + struct.pack("<Q", 5) + b"K\x01K\x02" + b"\x86." + b"\x95\x01",  # FRAME, trailing bytes
    PROTO4 + b"N\x88\x89)]}" + b"G" + struct.pack(">d", 1.5) + b"J" + struct.pack("<i", -7) + b"M\xff\xff"
    + b"r" + struct.pack("<I", 2**31) + b"j" + struct.pack("<I", 2**31) + b"h\x00" + STOP,
]
TIGHT = [
    Limits(max_memo_entries=3), Limits(max_mark_depth=1), Limits(max_retained_bytes=40),
    Limits(max_kept_value_bytes=4), Limits(max_kept_value_bytes=300), Limits(max_opcodes=70_000),
    Limits(max_stack_items=10), Limits(max_values=100), Limits(max_records=2),
]


@pytest.mark.parametrize("index", range(len(PICKLES)))
def test_real_pickles_of_every_protocol(monkeypatch: pytest.MonkeyPatch, index: int) -> None:
    both(monkeypatch, PICKLES[index])
    both(monkeypatch, PICKLES[index], sized=False, limit=len(PICKLES[index]) // 2)


@pytest.mark.parametrize("index", range(len(HAND_MADE)))
def test_hand_made_edge_cases(monkeypatch: pytest.MonkeyPatch, index: int) -> None:
    both(monkeypatch, HAND_MADE[index])


@pytest.mark.parametrize("limits", TIGHT, ids=repr)
def test_tight_budgets(monkeypatch: pytest.MonkeyPatch, limits: Limits) -> None:
    vocabulary = pickle.dumps({f"t{i}": i for i in range(40_000)}, protocol=4)  # 120k opcodes
    for data in [vocabulary, *PICKLES[::3], *HAND_MADE]:
        both(monkeypatch, data, limits)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 13, 64])
def test_opcodes_cut_by_the_end_of_the_read_buffer(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(Source, "_CHUNK", chunk)
    for data in [*PICKLES[::2], *HAND_MADE]:
        both(monkeypatch, data)
        both(monkeypatch, data, sized=False, limit=max(1, len(data) - 3))


@pytest.mark.parametrize("seed", range(40))
def test_mutated_and_truncated_pickles(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = random.Random(seed)
    data = bytearray(rng.choice(PICKLES + HAND_MADE))
    for _ in range(rng.randrange(1, 6)):
        data[rng.randrange(len(data))] = rng.choice([rng.randrange(256), *b"\x94\x8cJKMqh(u}e]t)\x85\x86\x87s.a"])
    if rng.random() < 0.3:
        del data[rng.randrange(len(data)):]
    if rng.random() < 0.3:
        monkeypatch.setattr(Source, "_CHUNK", rng.choice([1, 3, 16]))
    both(monkeypatch, bytes(data), rng.choice([Limits(), *TIGHT]))


def test_joblib_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    for data in PICKLES[::4]:
        both(monkeypatch, data, joblib=True)


@pytest.mark.parametrize("path", sorted(DATA.rglob("*.pkl")), ids=lambda path: path.name)
def test_fixture_files_scan_alike(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    fast = scan_file(path)
    with monkeypatch.context() as patch:
        patch.setattr(Machine, "run_data", lambda self, count, stop: count)
        assert scan_file(path) == fast
