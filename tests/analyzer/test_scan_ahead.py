"""The reachability walk with its helper process gives the answer it gives alone.

The code dir here is the standard library itself (a large package tree whose modules import
one another): the walk reaches a few MiB from a handful of entry modules, and small budgets cut
it off at different places. Whoever parsed a file, the scans, their order and the budget's
refusals must be the sequential walk's.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from modellint.analyzer.code import scan_ahead, scans, spare_cpu

STDLIB = Path(sysconfig.get_paths()["stdlib"])
ENTRIES = {"asyncio", "email.message", "http.client", "json", "logging.handlers", "xml.etree.ElementTree",
           "unittest", "argparse"}


def stdlib_modules() -> dict[str, tuple[Path, str]]:
    modules: dict[str, tuple[Path, str]] = {}
    for path, package in scans._importable_files(STDLIB, STDLIB):
        modules.setdefault(scans._module_name(path, package), (path, package))
    return modules


def walk(modules, budget: int | None, *, helper: bool, monkeypatch) -> tuple[list, int]:
    """The walk's scans, and how many of them the helper made."""
    taken = []
    take = scan_ahead.ScanAhead.take

    def counting_take(self, index, size, own_seconds):
        found = take(self, index, size, own_seconds)
        taken.append(found is not None)
        return found

    with monkeypatch.context() as patch:
        patch.setattr(scan_ahead.ScanAhead, "take", counting_take)
        patch.setattr(spare_cpu, "cpu_to_spare", lambda: True)  # whatever else the machine runs
        patch.setattr(scans, "HELPER_AFTER_BYTES", 0 if helper else 2**62)
        patch.setattr(scans, "HELPER_LOOK_BYTES", 0)
        found = scans.reachable_scans(modules, set(ENTRIES), python=(3, 11), root=STDLIB,
                                      budget=None if budget is None else scans._Budget(budget))
    return found, sum(taken)


@pytest.mark.parametrize("budget", [64 * 1024, 700 * 1024, 2 * 2**20, pytest.param(None, marks=pytest.mark.slow)])
def test_the_helper_changes_who_parses_a_file_never_the_answer(budget, monkeypatch):
    modules = stdlib_modules()
    alone, helped = walk(modules, budget, helper=False, monkeypatch=monkeypatch)
    together, helped = walk(modules, budget, helper=True, monkeypatch=monkeypatch)
    assert together == alone
    if budget is None or budget > 2**20:
        assert helped > 0  # the helper did scan some of them
    refused = [scan for scan in alone if scan.error_kind == "limit"]
    if budget is not None and budget < 2**20:
        assert refused  # the budget cut the walk off: the cut is the same with the helper


def test_a_small_walk_starts_no_helper(monkeypatch, tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from pkg import a\n")
    (tmp_path / "pkg" / "a.py").write_text("import os\n" * 1000)
    started = []
    monkeypatch.setattr(scan_ahead, "ScanAhead", lambda *args: started.append(args))
    modules = {"pkg": (tmp_path / "pkg" / "__init__.py", "pkg"), "pkg.a": (tmp_path / "pkg" / "a.py", "pkg")}
    found = scans.reachable_scans(modules, {"pkg"}, root=tmp_path, budget=scans._Budget(scans.MAX_CODE_BYTES))
    assert [scan.path.name for scan in found] == ["__init__.py", "a.py"]
    assert started == []


def test_no_helper_inside_a_pool_worker():
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(spare_cpu.may_start) is False


def test_no_helper_when_no_cpu_is_idle(monkeypatch):
    cpus = len(spare_cpu.os.sched_getaffinity(0))
    monkeypatch.setattr(spare_cpu, "runnable_now", lambda: cpus)  # others keep every CPU but ours busy
    assert not spare_cpu.cpu_to_spare()
    monkeypatch.setattr(spare_cpu, "runnable_now", lambda: 1)  # only this process runs
    assert spare_cpu.cpu_to_spare() == (cpus >= 2)


def test_the_running_count_is_read_from_the_machine():
    assert spare_cpu.runnable_now() >= 1  # this process is running while it reads it


def test_a_walk_that_found_the_machine_busy_asks_again(monkeypatch):
    answers = iter([False, False, True])
    asked = []

    def may_start():
        asked.append(True)
        return next(answers, True)

    monkeypatch.setattr(spare_cpu, "may_start", may_start)
    monkeypatch.setattr(scans, "HELPER_AFTER_BYTES", 0)
    monkeypatch.setattr(scans, "HELPER_LOOK_BYTES", 16 * 1024)
    modules = stdlib_modules()
    alone = scans.reachable_scans(modules, {"json"}, python=(3, 11), root=STDLIB, budget=scans._Budget(2**20))
    assert len(asked) >= 3  # not only at the first look
    monkeypatch.setattr(spare_cpu, "may_start", lambda: False)
    assert scans.reachable_scans(modules, {"json"}, python=(3, 11), root=STDLIB, budget=scans._Budget(2**20)) == alone


@pytest.mark.parametrize("budget", [64 * 1024, 700 * 1024])
def test_the_helper_s_guess_is_the_walk_s_order(budget, monkeypatch):
    """The helper works from the end of the order it guesses: on the standard library the guess
    is the order the walk reads its files in."""
    modules = stdlib_modules()
    read = []
    scan_read = scans._scan_read
    monkeypatch.setattr(scans, "_scan_read", lambda path, *args: read.append(path) or scan_read(path, *args))
    monkeypatch.setattr(scans, "HELPER_AFTER_BYTES", 2**62)
    scans.reachable_scans(modules, set(ENTRIES), python=(3, 11), root=STDLIB, budget=scans._Budget(budget))
    reader = scans._CodeReader(modules, (3, 11), STDLIB, None, scans._Budget(budget))
    reader._index = {name: index for index, name in enumerate(modules)}
    guessed = reader._guessed_order(sorted(ENTRIES, reverse=True), set(), budget)
    assert [path for _, path, _ in guessed] == read
    assert [index for index, _, _ in guessed] == [reader._index[scans._module_name(path, package)]
                                                  for _, path, package in guessed]
