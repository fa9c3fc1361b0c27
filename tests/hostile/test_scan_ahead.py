"""The walk's helper process (:mod:`modellint.analyzer.code.scan_ahead`) failing every way it can:
it dies, hangs, or sends what is not a scan of the file it announced. Each time the walk
scans the files itself and gives the sequential answer, no helper is left running or unreaped,
and nothing it sent is built but modellint's records."""

from __future__ import annotations

import os
import pickle
import signal
import time
from pathlib import Path

import pytest

from modellint.analyzer.code import scan_ahead, scans, spare_cpu
from modellint.analyzer.code.source_imports import ModuleScan
from tests.analyzer.test_scan_ahead import ENTRIES, STDLIB, stdlib_modules

BUDGET = 2 * 2**20


def sequential(modules, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(scans, "HELPER_AFTER_BYTES", 2**62)
        return scans.reachable_scans(modules, set(ENTRIES), python=(3, 11), root=STDLIB, budget=scans._Budget(BUDGET))


def helped(modules, monkeypatch) -> tuple[list[ModuleScan], list[int]]:
    """The walk with a helper started at once; the helpers' pids."""
    pids = []
    start = scan_ahead.ScanAhead.__init__

    def recording(self, *args):
        start(self, *args)
        pids.append(self._pid)

    with monkeypatch.context() as patch:
        patch.setattr(scan_ahead.ScanAhead, "__init__", recording)
        patch.setattr(spare_cpu, "cpu_to_spare", lambda: True)  # whatever else the machine runs
        patch.setattr(scans, "HELPER_AFTER_BYTES", 0)
        patch.setattr(scans, "HELPER_LOOK_BYTES", 0)
        found = scans.reachable_scans(modules, set(ENTRIES), python=(3, 11), root=STDLIB, budget=scans._Budget(BUDGET))
    return found, pids


def assert_reaped(pids: list[int]) -> None:
    assert pids  # a helper was started
    for pid in pids:
        with pytest.raises(ChildProcessError):  # neither running nor a zombie: already reaped
            os.waitpid(pid, os.WNOHANG)


def in_helper(parent: int) -> bool:
    return os.getpid() != parent


@pytest.fixture(scope="module")
def modules():
    return stdlib_modules()


@pytest.fixture(scope="module")
def expected(modules):
    with pytest.MonkeyPatch.context() as patch:
        return sequential(modules, patch)


def misbehaving_at(nth: int, act, marker: Path, monkeypatch) -> None:
    """The helper's ``nth`` scan does ``act()`` instead, after leaving ``marker`` (the proof it did)."""
    parent, read = os.getpid(), scans._scan_read
    count = [0]

    def scan(path, *args):
        if os.getpid() != parent:
            count[0] += 1
            if count[0] == nth:
                marker.touch()
                act()
        return read(path, *args)

    monkeypatch.setattr(scans, "_scan_read", scan)


def test_a_helper_that_dies_midway(modules, expected, monkeypatch, tmp_path):
    misbehaving_at(5, lambda: os._exit(3), tmp_path / "died", monkeypatch)
    found, pids = helped(modules, monkeypatch)
    assert (tmp_path / "died").exists()
    assert found == expected
    assert_reaped(pids)


def test_a_helper_killed_by_a_signal(modules, expected, monkeypatch, tmp_path):
    misbehaving_at(2, lambda: os.kill(os.getpid(), signal.SIGKILL), tmp_path / "killed", monkeypatch)
    found, pids = helped(modules, monkeypatch)
    assert (tmp_path / "killed").exists()
    assert found == expected
    assert_reaped(pids)


def test_a_helper_that_hangs_is_waited_for_a_bounded_time(modules, expected, monkeypatch, tmp_path):
    misbehaving_at(3, lambda: time.sleep(3600), tmp_path / "hung", monkeypatch)
    monkeypatch.setattr(scan_ahead, "WAIT_SECONDS", 0.5)
    started = time.monotonic()
    found, pids = helped(modules, monkeypatch)
    assert (tmp_path / "hung").exists()
    assert found == expected
    assert time.monotonic() - started < 60
    assert_reaped(pids)


@pytest.mark.parametrize("garbage", [
    lambda index, scan: b"\x80\x05not a pickle",
    lambda index, scan: pickle.dumps(scan.replace(path=scan.path.with_name("other.py"))),  # another file's scan
    lambda index, scan: pickle.dumps(("a", "tuple")),
    lambda index, scan: pickle.dumps(scan)[:-5],  # cut short
])
def test_a_helper_that_sends_garbage(modules, expected, monkeypatch, garbage):
    from modellint.analyzer.code.scan_ahead import _HEADER, _SCANNED, HelperChannel, _write_all

    def scanned(self, index, scan):
        message = garbage(index, scan)
        _write_all(self._results, _HEADER.pack(_SCANNED, index, len(message)) + message)

    monkeypatch.setattr(HelperChannel, "scanned", scanned)
    found, pids = helped(modules, monkeypatch)
    assert found == expected
    assert_reaped(pids)


def test_a_helper_that_sends_a_file_it_never_announced(modules, expected, monkeypatch):
    from modellint.analyzer.code.scan_ahead import _HEADER, _SCANNED, HelperChannel, _write_all

    def scanned(self, index, scan):
        message = pickle.dumps(scan)
        _write_all(self._results, _HEADER.pack(_SCANNED, index + 1, len(message)) + message)

    monkeypatch.setattr(HelperChannel, "scanned", scanned)
    found, pids = helped(modules, monkeypatch)
    assert found == expected
    assert_reaped(pids)


class _Planted:
    def __reduce__(self):
        return (os.system, ("touch planted",))


def test_nothing_but_records_is_built_from_what_a_helper_sends(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for message in (pickle.dumps(_Planted()), pickle.dumps([ModuleScan(tmp_path, (), (), None), _Planted()])):
        assert scan_ahead._load(message) is None
    assert not (tmp_path / "planted").exists()


def test_a_helper_slower_than_the_walk_is_not_waited_for(modules, expected, monkeypatch, tmp_path):
    """A file the helper has started is waited for only as long as the walk would take to scan it
    itself (a busy machine may give the helper no CPU): not WAIT_SECONDS."""
    misbehaving_at(1, lambda: time.sleep(3600), tmp_path / "slow", monkeypatch)
    monkeypatch.setattr(scan_ahead, "WAIT_SECONDS", 600.0)
    started = time.monotonic()
    found, pids = helped(modules, monkeypatch)
    assert (tmp_path / "slow").exists()
    assert found == expected
    assert time.monotonic() - started < 300
    assert_reaped(pids)


def test_a_late_scan_of_a_file_the_walk_scanned_leaves_the_helper_working(tmp_path):
    """The walk stops waiting for a slow file and scans it itself; the helper's scan of it, when it
    comes, is dropped, and the helper's next scan is still taken."""
    paths = [tmp_path / "slow.py", tmp_path / "next.py"]
    scans_sent = [ModuleScan(path, (), (), None) for path in paths]

    def walk(channel):
        channel.started(0)
        time.sleep(1.0)
        channel.scanned(0, scans_sent[0])
        channel.started(1)
        channel.scanned(1, scans_sent[1])
        time.sleep(3600)  # the walk is over before this: close() kills the helper

    ahead = scan_ahead.ScanAhead(walk, paths)
    try:
        time.sleep(0.2)  # the helper has announced the slow file
        started = time.monotonic()
        assert ahead.take(0, 100, 0.05) is None  # not worth waiting for: the walk scans it
        assert time.monotonic() - started < 0.9
        time.sleep(1.5)  # the slow file's scan, then the next one's, have been sent
        assert ahead.take(1, 100, 30.0) == scans_sent[1]
        assert ahead.alive
    finally:
        pid = ahead._pid
        ahead.close()
    assert_reaped([pid])
