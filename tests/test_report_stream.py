"""Reports written as they are made: the order of the whole report's sort while targets finish in
another, a target that fails, an empty run, and a report file replaced only once it is whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import modellint
from modellint import engine, report_output
from modellint.cli import main
from modellint.engine import TargetFailure
from modellint.findings import Finding, Severity, Span
from modellint.report_output import ReportOutput
from modellint.report_stream import InReportOrder, write_report
from modellint.reports import ReportContext
from modellint.reports.by_format import STREAMED, render, writer
from modellint.reports.spill import Spill
from modellint.rules._examples import CLEAN_PIP, conda, model_files
from modellint.targets import Target
from tests.conftest import write_files

BROKEN = model_files(conda__yaml=conda(*CLEAN_PIP, channels=("defaults",)))
# Listed (and linted) in name order, reported in path-string order: `m1-x/` before `m1/`.
NAMES = [name for number in range(30) for name in (f"m{number}", f"m{number}-x", f"m{number}.y")]


def _finding(path: str, line: int = 1, code: str = "ML103", message: str = "m") -> Finding:
    return Finding(code, "defaults-channel", Severity.WARNING, message, Path(path), Span(line, 1))


def _model(path: str) -> Target:
    return Target("model", Path(path))


def _streamed(targets: list[Target], found: list[list[Finding]]) -> list[Finding]:
    order = InReportOrder(targets)
    out = []
    for index, findings in enumerate(found):
        out.extend(order.done(index, findings))
    out.extend(order.rest())
    return out


def test_findings_come_in_the_sort_order_of_the_whole_report_when_targets_finish_in_another():
    targets = [_model("/s/a"), _model("/s/a-b"), _model("/s/a.b"), _model("/s/b")]
    found = [
        [_finding("/s/a/z.txt"), _finding("/s/a", message="the dir itself"), _finding("/s/a/MLmodel", 3)],
        [_finding("/s/a-b/MLmodel", 2), _finding("/s/a-b/MLmodel", 1)],
        [_finding("/s/a.b/conda.yaml")],
        [_finding("/s/b/MLmodel")],
    ]
    everything = sorted((finding for findings in found for finding in findings), key=lambda f: f.sort_key)
    assert _streamed(targets, found) == everything
    assert [finding.path.as_posix() for finding in everything][:3] == ["/s/a", "/s/a-b/MLmodel", "/s/a-b/MLmodel"]


def test_only_what_must_wait_is_held():
    targets = [_model("/s/a"), _model("/s/a-b"), _model("/s/b"), _model("/s/c")]
    order = InReportOrder(targets)
    assert list(order.done(0, [_finding("/s/a/MLmodel")])) == []  # `a-b/` comes first
    assert len(order.waiting) == 1
    assert [f.path.name for f in order.done(1, [_finding("/s/a-b/MLmodel")])] == ["MLmodel", "MLmodel"]
    assert list(order.done(2, [_finding("/s/b/MLmodel")])) == [_finding("/s/b/MLmodel")]  # nothing after sorts first
    assert not order.waiting


def test_a_training_project_may_report_anywhere_so_nothing_after_it_is_written_before_it_is_done():
    targets = [_model("/s/b"), Target("project", Path("/s/train")), _model("/s/c")]
    outside = _finding("/elsewhere/code.py")  # its code_paths: before everything else
    order = InReportOrder(targets)
    assert list(order.done(0, [_finding("/s/b/MLmodel")])) == []
    assert list(order.done(1, [outside])) == [outside, _finding("/s/b/MLmodel")]
    assert _streamed(targets, [[_finding("/s/b/MLmodel")], [outside], [_finding("/s/c/MLmodel")]])[0] == outside


def test_equal_keys_keep_the_order_they_were_found_in():
    first, second = _finding("/s/a/MLmodel"), _finding("/s/a/MLmodel")
    second = second.replace(name="other")  # equal sort keys, different findings
    assert _streamed([_model("/s/a")], [[first, second]]) == [first, second]


def test_targets_must_be_told_in_their_order():
    order = InReportOrder([_model("/s/a"), _model("/s/b")])
    with pytest.raises(ValueError):
        list(order.done(1, []))


@pytest.mark.parametrize("output_format", STREAMED)
def test_an_empty_run_writes_what_the_whole_report_renders(output_format, capsys):
    context = ReportContext(base=Path("/s"), version="1.0", targets=0)
    output = ReportOutput(None, keep=True)
    written = write_report([], [], writer(output_format, context), output)
    assert output.finish()
    assert written.highest == -1 and written.failures == ()
    assert capsys.readouterr().out == render(output_format, [], context) == output.kept_text().decode()


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in NAMES:
        write_files(tmp_path / "store" / name, BROKEN)
    return tmp_path / "store"


@pytest.mark.parametrize("output_format", ["concise", "json", "sarif", "github", "markdown", "full"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_streamed_report_is_the_whole_report(store, capsys, output_format, jobs):
    whole = modellint.render(modellint.lint(store), output_format)
    assert main([str(store), "--no-cache", "--format", output_format, "--jobs", jobs]) == 1
    out = capsys.readouterr().out
    assert out == whole
    if output_format == "concise":
        paths = [line.split(":")[0] for line in out.splitlines() if line.startswith("store/")]
        assert paths == sorted(paths) and paths[:2] == ["store/m0-x/conda.yaml", "store/m0.y/conda.yaml"]


def test_a_target_that_fails_is_reported_at_the_end_and_the_others_in_order(store, capsys, monkeypatch):
    lint = engine._target_findings

    def failing(target, *args):
        if target.path.name == "m3-x":
            raise RuntimeError("boom")
        return lint(target, *args)

    monkeypatch.setattr(engine, "_target_findings", failing)
    report = modellint.lint(store)
    assert [failure.path.name for failure in report.failures] == ["m3-x"]
    assert main([str(store), "--no-cache", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert out == modellint.render(report, "json")
    assert '"failed_targets": 1' in out
    assert err.startswith("modellint: error: store/m3-x: internal error: RuntimeError: boom")


def test_an_interrupted_run_leaves_the_report_file_as_it_was(store, capsys, monkeypatch):
    report = store.parent / "out" / "report.json"
    report.parent.mkdir()
    report.write_text("the last complete report\n")
    lint, seen = engine._target_findings, []

    def interrupted(target, *args):
        seen.append(target)
        if len(seen) == 40:
            # Part of the report is written by now, under a name of its own.
            (partial,) = [path for path in report.parent.iterdir() if path != report]
            assert partial.read_text().startswith('{\n  "version": ')
            raise KeyboardInterrupt
        return lint(target, *args)

    monkeypatch.setattr(engine, "_target_findings", interrupted)
    monkeypatch.setattr(report_output, "_BLOCK", 1)  # every piece written as it is made
    assert main([str(store), "--no-cache", "--format", "json", "--jobs", "1", "--output-file", str(report)]) == 130
    assert report.read_text() == "the last complete report\n"
    assert os.listdir(report.parent) == ["report.json"]  # no part of a report left beside it


def test_a_report_file_is_replaced_whole_keeping_its_mode(store, capsys):
    report = store.parent / "report.txt"
    report.write_text("old\n")
    report.chmod(0o640)
    assert main([str(store), "--no-cache", "--output-file", str(report)]) == 1
    assert report.read_text() == modellint.render(modellint.lint(store), "concise")
    assert report.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(store.parent)) == ["report.txt", "store"]


def test_a_report_file_behind_a_symlink_is_written_through_it(store, capsys):
    target = store.parent / "real.txt"
    target.write_text("old\n")
    (store.parent / "link.txt").symlink_to(target)
    assert main([str(store), "--no-cache", "--output-file", str(store.parent / "link.txt")]) == 1
    assert (store.parent / "link.txt").is_symlink()
    assert target.read_text() == modellint.render(modellint.lint(store), "concise")


def test_a_report_file_that_cannot_be_written_is_said_once_and_exits_2(store, capsys):
    (store.parent / "blocked").write_text("a file, not a folder\n")
    assert main([str(store), "--no-cache", "--output-file", str(store.parent / "blocked" / "r.txt")]) == 2
    err = capsys.readouterr().err
    assert err.count("cannot write the report to") == 1


def test_a_failure_of_the_path_comes_before_the_targets_failures(store, capsys):
    code = main([str(store / "m1"), str(store / "nope"), "--no-cache", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 2
    assert '"failed_targets": 1' in out and "store/nope" in err


@pytest.mark.parametrize("in_memory", [1 << 20, 8])
def test_a_spill_gives_back_its_pieces_in_memory_and_from_its_file(in_memory):
    pieces = ["", "a", "é\n" * 3, "x" * 70_000, "\udc80", "z"]
    spill = Spill(in_memory=in_memory)
    for piece in pieces:
        spill.add(piece)
    assert (spill.file is not None) == (in_memory == 8)
    assert list(spill.pieces()) == pieces


def test_a_failed_target_is_a_failure_of_the_streamed_report(capsys):
    target = _model("/s/a")
    context = ReportContext(base=Path("/s"), version="1.0", targets=0)
    output = ReportOutput(None)
    failure = TargetFailure(target, "internal error: x")
    written = write_report([target], [([], failure, False)], writer("concise", context), output)
    assert output.finish()
    assert written.failures == (failure,)
    assert capsys.readouterr().out == "a: error: internal error: x\n1 target could not be checked.\n"


def test_held_text_waits_for_the_end_of_the_run(capsys):
    """stdout on the terminal the progress line is drawn on: the report comes once it is cleared."""
    output = ReportOutput(None, hold=True)
    output.write("x" * 100_000)
    output.write("end\n")
    assert capsys.readouterr().out == ""
    assert output.finish()
    assert capsys.readouterr().out == "x" * 100_000 + "end\n"


def test_a_reader_that_stops_reading_is_no_error(monkeypatch, capsys):
    def closed(text):
        raise BrokenPipeError

    output = ReportOutput(None)
    monkeypatch.setattr(report_output, "_silence_stdout", lambda: None)
    monkeypatch.setattr("sys.stdout.write", closed)
    output.write("x" * 70_000)  # a block: written, and refused
    output.write("more")
    assert output.stopped and output.finish()
    assert "cannot write" not in capsys.readouterr().err
