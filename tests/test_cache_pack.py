"""The pack of a run over many targets (modellint.cache.pack, modellint.cache.warm): one file read
instead of an entry per target, a report kept beside the findings it was made from, and neither
ever standing in for what linting gives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import modellint.cache as cache_package
from modellint.cache import digest, pack, warm
from modellint.cache.store import FORMAT, TargetCache
from modellint.cli import main
from modellint.targets import Target
from tests.cache_store import BROKEN, CASES, CORPUS, PICKLED, UNREADABLE, cache_on, copy_store, replace_unreadable


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """The cache on in a folder of the test's own, every tree settled once written, and a pack
    for runs of two targets or more (the store below has four)."""
    monkeypatch.setattr(cache_package, "PACK_MIN_TARGETS", 2)
    return cache_on(tmp_path, monkeypatch, 0)


@pytest.fixture
def store(tmp_path) -> Path:
    return copy_store(tmp_path)


def _run(capsys, *arguments: str) -> tuple[int, str]:
    code = main(["check", *arguments, *(() if "--config" in arguments else ("--isolated",))])
    return code, capsys.readouterr().out


def _packs(directory: Path) -> list[Path]:
    return sorted((directory / FORMAT / pack.FOLDER).glob("*.pack"))


def _the_pack(directory: Path) -> tuple[str, pack.Pack]:
    (path,) = _packs(directory)
    found = pack.read_pack(directory / FORMAT, path.stem)
    assert found is not None
    return path.stem, found


@pytest.fixture
def watched(monkeypatch):
    """What a run does besides reading its pack: targets linted, entries of targets read, reports rendered."""
    from modellint import engine
    from modellint.reports import by_format

    seen: dict[str, list] = {"linted": [], "entries": [], "rendered": []}
    lint, read, render, writer = engine._target_findings, TargetCache.read_bytes, by_format.render, by_format.writer
    monkeypatch.setattr(engine, "_target_findings", lambda *a: seen["linted"].append(a[0]) or lint(*a))
    monkeypatch.setattr(TargetCache, "read_bytes", lambda self, key: seen["entries"].append(key) or read(self, key))
    # A report is rendered whole (fixes, a diff) or written as it is made: either is a report made.
    monkeypatch.setattr(by_format, "render", lambda *a: seen["rendered"].append(a[0]) or render(*a))
    monkeypatch.setattr(by_format, "writer", lambda *a: seen["rendered"].append(a[0]) or writer(*a))
    return seen


def test_a_warm_run_reads_one_pack_and_prints_the_report_made_before(cache_dir, store, capsys, watched):
    cold = _run(capsys, str(store), "--format", "json")
    assert len(watched["linted"]) == 4
    key, found = _the_pack(cache_dir)
    assert len(found.listings) == 4 and len(found.reports) == 1
    assert oct((cache_dir / FORMAT / pack.FOLDER).stat().st_mode & 0o777) == "0o700"
    for seen in watched.values():
        seen.clear()
    assert _run(capsys, str(store), "--format", "json") == cold
    assert watched == {"linted": [], "entries": [], "rendered": []}  # no entry of a target opened, nothing rendered
    assert _run(capsys, str(store), "--format", "json", "--no-cache") == cold


def test_a_format_switch_between_runs_reads_the_findings_from_the_pack(cache_dir, store, capsys, watched):
    uncached = {fmt: _run(capsys, str(store), "--format", fmt, "--no-cache") for fmt in ("json", "concise", "github")}
    for seen in watched.values():
        seen.clear()
    for fmt in ("json", "concise", "json", "github", "concise"):
        assert _run(capsys, str(store), "--format", fmt) == uncached[fmt], fmt
    assert len(watched["linted"]) == 4  # the first run only
    assert watched["rendered"] == ["json", "concise", "github"]  # each format made once, then read back
    assert len(_the_pack(cache_dir)[1].reports) == 3


def test_at_most_a_few_reports_are_kept(cache_dir, store, capsys):
    for options in (("--fail-on", "info"), ("--fail-on", "warning"), ("--fail-on", "error"), ("--exit-zero",), ()):
        _run(capsys, str(store), "--format", "json", *options)
    assert len(_the_pack(cache_dir)[1].reports) == warm.MAX_REPORTS


@pytest.mark.parametrize("options", [
    ("--format", "concise"), ("--format", "full"), ("--format", "json"), ("--format", "sarif"), ("--format", "github"),
    ("--format", "markdown"), ("--statistics",), ("--ignore", "ML104", "--format", "concise"),
    ("--select", "ML3", "--format", "json"), ("--fail-on", "error", "--format", "concise"),
    ("--fail-on", "info", "--format", "concise"), ("--exit-zero", "--format", "concise"),
    ("--target", "databricks", "--format", "concise"), ("--unsafe-fixes", "--format", "concise"),
    ("--show-fixes", "--format", "concise"), ("--config", "per-path-ignores", "--format", "concise"),
])
def test_every_report_from_the_pack_is_the_report_without_it(cache_dir, store, capsys, options, tmp_path):
    if options[0] == "--config":
        configuration = tmp_path / "modellint.toml"
        configuration.write_text('per-path-ignores = { "**/requirements.txt" = ["ML104"] }\n')
        options = ("--config", str(configuration), *options[2:])
    _run(capsys, str(store), "--format", "json")  # the pack filled in another format
    uncached = _run(capsys, str(store), *options, "--no-cache")
    assert _run(capsys, str(store), *options) == uncached  # findings from the pack
    assert _run(capsys, str(store), *options) == uncached  # the report kept beside them, where the format allows
    assert uncached[1]


def test_a_report_to_a_file_is_the_same_and_a_failed_write_still_fails(cache_dir, store, capsys, tmp_path):
    cold, warm_file = tmp_path / "cold.json", tmp_path / "warm.json"
    assert _run(capsys, str(store), "--format", "json", "--output-file", str(cold))[0] == 1
    assert _run(capsys, str(store), "--format", "json", "--output-file", str(warm_file))[0] == 1
    assert warm_file.read_bytes() == cold.read_bytes()
    (tmp_path / "not-a-folder").write_text("")
    assert _run(capsys, str(store), "--format", "json", "--output-file", str(tmp_path / "not-a-folder" / "r"))[0] == 2


@pytest.mark.parametrize("change", ["edited", "times-put-back", "added", "removed", "renamed-file"])
def test_a_model_changed_added_or_removed_between_runs(cache_dir, store, capsys, watched, change):
    _run(capsys, str(store), "--format", "json")
    requirements = store / BROKEN / "requirements.txt"
    if change == "edited":
        requirements.write_text("mlflow==3.1.0\ncloudpickle==3.1.1\nscikit-learn==1.7.0\n")
    elif change == "times-put-back":  # the same size and modification time: only the change time moves
        old = requirements.stat()
        fixed = "mlflow==3.1.0\ncloudpickle==3.1.1\nscikit-learn==1.7.0\n"
        requirements.write_text(fixed.ljust(old.st_size - 1) + "\n")
        os.utime(requirements, ns=(old.st_atime_ns, old.st_mtime_ns))
    elif change == "added":
        shutil.copytree(CORPUS / "ml104-not-pep508", store / "another")
    elif change == "removed":
        shutil.rmtree(store / PICKLED)
    else:
        (store / BROKEN / "conda.yaml").rename(store / BROKEN / "conda.yml")
    for seen in watched.values():
        seen.clear()
    uncached = _run(capsys, str(store), "--format", "json", "--no-cache")
    linted = list(watched["linted"])
    watched["linted"].clear()
    assert _run(capsys, str(store), "--format", "json") == uncached
    expected = {"edited": [store / BROKEN], "times-put-back": [store / BROKEN], "added": [store / "another"],
                "removed": [], "renamed-file": [store / BROKEN]}[change]
    assert [target.path for target in watched["linted"]] == expected
    assert len(linted) == 4 + (change == "added") - (change == "removed")
    watched["linted"].clear()
    assert _run(capsys, str(store), "--format", "json") == uncached  # and the next run from the new pack
    assert watched["linted"] == []


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    header_end = data.index(b"\n", len(pack.MAGIC)) + 1 + int(data[len(pack.MAGIC):data.index(b"\n", len(pack.MAGIC))])
    if how == "truncated":
        path.write_bytes(data[:-1])
    elif how == "longer":
        path.write_bytes(data + b" ")
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(b"\x00\xff" * 1000)
    elif how == "other-version":
        path.write_bytes(b"modellint-pack-0\n" + data[len(pack.MAGIC):])
    elif how == "header":  # the header's JSON broken
        path.write_bytes(data[:header_end - 2] + b"!" + data[header_end - 1:])
    elif how == "report-text":  # one character of the stored report changed: its checksum says so
        path.write_bytes(data[:-2] + (b"X" if data[-2:-1] != b"X" else b"Y") + data[-1:])
    elif how == "entry":  # a target's entry, the first, broken inside
        path.write_bytes(data[:header_end + 5] + b"\x00" + data[header_end + 6:])
    elif how == "length-digits":
        path.write_bytes(pack.MAGIC + b"9" * 40 + b"\n")
    elif how == "deep":
        header = b"[" * 100_000 + b"]" * 100_000
        path.write_bytes(pack.MAGIC + b"%d\n" % len(header) + header)
    elif how in UNREADABLE:
        replace_unreadable(path, how, pack.MAX_PACK_BYTES + 1)


@pytest.mark.parametrize("how", ["truncated", "longer", "empty", "garbage", "other-version", "header", "report-text",
                                 "entry", "length-digits", "deep", "symlink", "fifo", "huge"])
def test_a_broken_pack_is_no_pack_never_a_wrong_answer(cache_dir, store, capsys, how):
    cold = _run(capsys, str(store), "--format", "concise")
    path = _packs(cache_dir)[0]
    _damage(path, how)
    if how == "report-text":  # read, but the report is not used: its checksum says it was changed
        (report,) = pack.read_pack(cache_dir / FORMAT, path.stem).reports.values()
        assert not report.intact()
    elif how != "entry":  # a pack that is no pack is not read at all
        assert pack.read_pack(cache_dir / FORMAT, path.stem) is None
    assert _run(capsys, str(store), "--format", "concise") == cold
    # Written again whole (a symlink or FIFO in its place is replaced by the rename, never followed).
    found = pack.read_pack(cache_dir / FORMAT, path.stem)
    assert found is not None and len(found.listings) == 4
    assert _run(capsys, str(store), "--format", "concise") == cold


def test_a_pack_written_for_other_targets_is_no_pack(cache_dir, store, capsys, tmp_path):
    cold = _run(capsys, str(store), "--format", "json")
    other = tmp_path / "other"
    shutil.copytree(store, other)
    _run(capsys, str(other), "--format", "json")
    first, second = _packs(cache_dir)
    # Each pack names the targets it was written for: one copied over the other is not read as it.
    shutil.copyfile(first, second)
    assert pack.read_pack(cache_dir / FORMAT, second.stem) is None
    assert _run(capsys, str(store), "--format", "json") == cold
    assert _run(capsys, str(other), "--format", "json") == _run(capsys, str(other), "--format", "json", "--no-cache")


def test_a_pack_of_another_run_is_never_looked_up(tmp_path):
    targets = [Target("model", tmp_path / "a"), Target("model", tmp_path / "b")]
    key = pack.pack_key("run", targets)
    assert key == pack.pack_key("run", list(targets))
    assert len({key, pack.pack_key("other run", targets), pack.pack_key("run", targets[::-1]),
                pack.pack_key("run", targets[:1]), pack.pack_key("run", [Target("project", tmp_path / "a"), targets[1]]),
                pack.pack_key("run", [Target("model", tmp_path / "a", (("x", "y"),)), targets[1]])}) == 6


def test_a_report_is_kept_only_when_this_run_wrote_the_entries_it_packs(cache_dir, store, capsys, monkeypatch,
                                                                         watched):
    # A target linted by this run, then stored again by another run (in another state, say)
    # before this one packs it: this run's report is not that entry's, and is not kept.
    original = TargetCache.store

    def stored_by_another_run(self, *arguments):
        original(self.replace(writer="another run"), *arguments)

    monkeypatch.setattr(TargetCache, "store", stored_by_another_run)
    cold = _run(capsys, str(store), "--format", "json")
    _, found = _the_pack(cache_dir)
    assert len(found.listings) == 4 and found.reports == {}  # the findings packed, not the report
    monkeypatch.setattr(TargetCache, "store", original)
    for seen in watched.values():
        seen.clear()
    assert _run(capsys, str(store), "--format", "json") == cold
    assert watched["linted"] == [] and watched["rendered"] == ["json"]  # from the pack, and now kept
    assert len(_the_pack(cache_dir)[1].reports) == 1
    assert _run(capsys, str(store), "--format", "json") == cold
    assert watched["rendered"] == ["json"]


def test_targets_found_in_their_own_entries_are_packed_with_their_report(cache_dir, store, capsys, watched):
    cold = _run(capsys, str(store), "--format", "json")
    shutil.rmtree(cache_dir / FORMAT / pack.FOLDER)
    for seen in watched.values():
        seen.clear()
    assert _run(capsys, str(store), "--format", "json") == cold
    assert watched["linted"] == [] and len(watched["entries"]) == 4
    _, found = _the_pack(cache_dir)
    assert len(found.listings) == 4 and len(found.reports) == 1 and found.states is not None
    for seen in watched.values():
        seen.clear()
    assert _run(capsys, str(store), "--format", "json") == cold
    assert watched == {"linted": [], "entries": [], "rendered": []}


def test_every_listing_entry_names_the_run_that_wrote_it(cache_dir, store, capsys, monkeypatch):
    made = []
    original = warm.warm_run
    monkeypatch.setattr(warm, "warm_run", lambda *a: made.append(original(*a)) or made[-1])
    _run(capsys, str(store), "--format", "json")
    (run,) = made
    assert len(run.cache.writer) == 32
    writers = {json.loads(entry.read_bytes()).get("writer") for entry in (cache_dir / FORMAT).glob("*/*.json")
               if "names" in json.loads(entry.read_bytes())}
    assert writers == {run.cache.writer}


def test_runs_side_by_side_leave_one_whole_pack(cache_dir, store, tmp_path):
    command = [sys.executable, "-c", "import sys; from modellint import cache; from modellint.cache import digest; "
               "cache.PACK_MIN_TARGETS = 2; digest.SETTLED_NANOSECONDS = 0; from modellint.cli import main; "
               "sys.exit(main(sys.argv[1:]))", "check", str(store), "--isolated", "--format", "json"]
    environment = {**os.environ, "MODELLINT_CACHE_DIR": str(cache_dir)}
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, env=environment) for _ in range(4)]
    outputs = {run.communicate()[0] for run in runs}
    uncached = subprocess.run([*command, "--no-cache"], stdout=subprocess.PIPE, env=environment, check=False).stdout
    assert outputs == {uncached}
    _, found = _the_pack(cache_dir)
    assert len(found.listings) == 4
    assert not list((cache_dir / FORMAT / pack.FOLDER).glob(".pack-*"))  # no temporary file left behind
    again = [subprocess.Popen(command, stdout=subprocess.PIPE, env=environment) for _ in range(3)]
    assert {run.communicate()[0] for run in again} == {uncached}


def test_a_pack_that_cannot_be_written_is_no_error(cache_dir, store, capsys):
    cold = _run(capsys, str(store), "--format", "json")
    shutil.rmtree(cache_dir / FORMAT / pack.FOLDER)
    (cache_dir / FORMAT / pack.FOLDER).write_text("a file where the folder goes")
    assert _run(capsys, str(store), "--format", "json") == cold
    assert _run(capsys, str(store), "--format", "json") == cold


def test_few_targets_have_no_pack(cache_dir, store, capsys, monkeypatch):
    monkeypatch.setattr(cache_package, "PACK_MIN_TARGETS", 5)
    _run(capsys, str(store), "--format", "json")
    assert _packs(cache_dir) == []


def test_the_pack_round_trips(tmp_path):
    listings = {"a" * 64: pack.Listing("s" * 64, ["MLmodel", "sub", "sub/x.py"], b'{"entry":1}'),
                "b" * 64: pack.Listing("t" * 64, [], b"")}
    reports = {"r" * 64: pack.StoredReport.of("All checks passed!\n\u00e9\udcff", -1)}
    pack.write_pack(tmp_path / FORMAT, "k" * 64, pack.Pack(listings, reports, "s" * 64))
    assert pack.read_pack(tmp_path / FORMAT, "k" * 64) == pack.Pack(listings, reports, "s" * 64)
    assert pack.read_pack(tmp_path / FORMAT, "j" * 64) is None


def test_an_unchanged_store_is_checked_by_one_digest_of_all_its_states(cache_dir, store, capsys, monkeypatch):
    cold = _run(capsys, str(store), "--format", "json")
    _, found = _the_pack(cache_dir)
    assert found.states is not None
    per_target = []
    original = warm.restated
    monkeypatch.setattr(warm, "restated", lambda *a: per_target.append(a[0]) or original(*a))
    assert _run(capsys, str(store), "--format", "json") == cold
    assert per_target == []  # no target's own state key worked out
    (store / BROKEN / "requirements.txt").write_text("mlflow==3.1.0\n")
    assert _run(capsys, str(store), "--format", "json") == _run(capsys, str(store), "--format", "json", "--no-cache")
    # One changed: each looked at on its own, the changed one in its own entry too.
    assert sorted(per_target, key=str) == sorted([*(Target("model", store / case) for case in CASES),
                                                  Target("model", store / BROKEN)], key=str)


def test_the_digest_of_all_states_is_each_target_s_state_key_at_once(cache_dir, store):
    targets = [Target("model", store / case) for case in sorted(CASES)]
    names = [digest.walk(target, "run").names() for target in targets]  # type: ignore[union-attr]
    whole, keys = digest.restated_all("pack", "run", targets, names)  # type: ignore[misc]
    assert keys == [digest.restated(target, "run", listed) for target, listed in zip(targets, names)]
    assert keys == [digest.walk(target, "run").state_key() for target in targets]  # type: ignore[union-attr]
    assert digest.states_unchanged("pack", targets, names, whole)
    assert not digest.states_unchanged("another pack", targets, names, whole)
    assert not digest.states_unchanged("pack", targets[::-1], names[::-1], whole)
    assert not digest.states_unchanged("pack", targets, [*names[:-1], names[-1][:-1]], whole)
    os.utime(store / BROKEN / "MLmodel")
    assert not digest.states_unchanged("pack", targets, names, whole)
    assert digest.restated_all("pack", "run", targets, [*names[:-1], [*names[-1], "gone"]]) is None


@pytest.mark.parametrize("broken", ["read", "write"])
def test_a_pack_that_fails_unexpectedly_is_no_pack_and_no_error(cache_dir, store, capsys, monkeypatch, broken):
    uncached = _run(capsys, str(store), "--format", "json", "--no-cache")

    def failing(*arguments):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(warm, f"{broken}_pack", failing)
    assert _run(capsys, str(store), "--format", "json") == uncached
    assert _run(capsys, str(store), "--format", "json") == uncached
    assert _packs(cache_dir) == []
