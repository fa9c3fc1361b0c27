"""modellint.fix_runner's parts: the verified paired writer, refusals, the pinned view, the lock."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from modellint import fix_runner
from modellint.cli import main
from modellint.fix_runner import FileView, FixInterrupted, refusal, write_together
from modellint.rules._examples import model_files
from tests.conftest import write_files


def _temporaries(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.name.endswith(".modellint")]


def test_a_pair_is_written_with_bom_and_modes_kept(tmp_path):
    first, second = tmp_path / "requirements.txt", tmp_path / "conda.yaml"
    first.write_bytes(b"\xef\xbb\xbfa\r\n")
    second.write_text("b\n")
    os.chmod(first, 0o640)
    assert write_together([(first, "a\r\n", "a\r\nc\r\n"), (second, "b\n", "b\nc\n")])
    assert first.read_bytes() == b"\xef\xbb\xbfa\r\nc\r\n" and second.read_text() == "b\nc\n"
    assert stat.S_IMODE(first.stat().st_mode) == 0o640
    assert not _temporaries(tmp_path)


def test_a_file_changed_since_it_was_read_is_not_written_nor_its_twin(tmp_path):
    first, second = tmp_path / "requirements.txt", tmp_path / "conda.yaml"
    first.write_text("a\n")
    second.write_text("b changed by someone else\n")
    assert not write_together([(first, "a\n", "a\nc\n"), (second, "b\n", "b\nc\n")])
    assert first.read_text() == "a\n" and second.read_text() == "b changed by someone else\n"
    created = tmp_path / "python_env.yaml"
    created.write_text("appeared meanwhile\n")
    assert not write_together([(created, None, "new\n")])
    assert created.read_text() == "appeared meanwhile\n"
    assert not _temporaries(tmp_path)


def test_a_failed_second_replace_restores_the_first(tmp_path, monkeypatch):
    first, second = tmp_path / "requirements.txt", tmp_path / "conda.yaml"
    first.write_text("a\n")
    second.write_text("b\n")
    real_replace = os.replace
    calls = []

    def failing(source, target):
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(fix_runner.os, "replace", failing)
    with pytest.raises(OSError):
        write_together([(first, "a\n", "a\nc\n"), (second, "b\n", "b\nc\n")])
    monkeypatch.undo()
    assert first.read_text() == "a\n" and second.read_text() == "b\n"
    assert not _temporaries(tmp_path)


def test_an_interrupt_after_the_first_replace_restores_it_and_removes_a_created_file(tmp_path):
    first, created = tmp_path / "requirements.txt", tmp_path / "python_env.yaml"
    first.write_text("a\n")
    checks = []

    def checkpoint():
        checks.append(1)
        if len(checks) == 4:  # two temporaries written, the first replaced, before the second
            raise FixInterrupted(15)

    with pytest.raises(FixInterrupted):
        write_together([(created, None, "new\n"), (first, "a\n", "a\nc\n")], checkpoint=checkpoint)
    assert not created.exists() and first.read_text() == "a\n"
    assert not _temporaries(tmp_path)


@pytest.mark.parametrize(("make", "reason"), [
    (lambda path: (path.write_text("x"), os.chmod(path, 0o444)), "the file is read-only"),
    (lambda path: path.mkdir(), "it is not a regular file"),
    (lambda path: os.mkfifo(path), "it is not a regular file"),
    (lambda path: path.symlink_to("missing.txt"), "it is a dangling symlink"),
    (lambda path: path.symlink_to("/etc/hostname"), "it leads outside the model directory (through a symlink or `..`)"),
])
def test_refusals(tmp_path, make, reason):
    path = tmp_path / "requirements.txt"
    make(path)
    assert refusal(path, os.path.realpath(tmp_path)) == reason


def test_refusal_of_a_path_outside_and_acceptance_inside(tmp_path):
    (tmp_path / "model").mkdir()
    root = os.path.realpath(tmp_path / "model")
    assert refusal(tmp_path / "model" / ".." / "x.yaml", root).startswith("it leads outside")
    assert refusal(tmp_path / "model" / "new.yaml", root) is None
    (tmp_path / "model" / "real.txt").write_text("x")
    (tmp_path / "model" / "link.txt").symlink_to("real.txt")
    assert refusal(tmp_path / "model" / "link.txt", root) is None


def test_the_view_pins_a_pass_and_keeps_what_diff_wrote(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("a\n")
    view = FileView(tmp_path)
    assert view.read_text(path) == ("a\n", None)
    path.write_text("b\n")
    assert view.read_text(path) == ("a\n", None)  # one pass sees one version
    view.next_pass()
    assert view.read_text(path) == ("b\n", None)
    created = tmp_path / "python_env.yaml"
    view.written[os.path.realpath(created)] = "python: 3.11\n"
    assert view.created(created) and view.read_text(created) == ("python: 3.11\n", None)
    assert not created.exists()


def test_a_held_lock_makes_the_other_fixer_wait_then_give_up(tmp_path, monkeypatch):
    monkeypatch.setattr(fix_runner, "_LOCK_TIMEOUT", 0.2)
    with fix_runner._locked(tmp_path, exclusive=True) as problem:
        assert problem is None
        with fix_runner._locked(tmp_path, exclusive=True) as second:
            assert second is not None and "lock" in second
    with fix_runner._locked(tmp_path, exclusive=True) as again:
        assert again is None
    assert sorted(os.listdir(tmp_path)) == []  # no lock file left behind


def test_a_file_that_never_settles_is_an_error_not_a_loop(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "model", model_files(requirements__txt="mlflow\nscikit-learn==1.9.1\nskops==0.16.0\n"))
    monkeypatch.setattr(fix_runner, "write_together", lambda changes, checkpoint=None: False)
    assert main(["model", "--fix", "--isolated"]) == 2
    err = capsys.readouterr().err
    assert "model/requirements.txt: changed by something else every time it was about to be fixed: not fixed" in err
    assert "Fixed" not in err


def test_a_write_that_fails_is_one_error_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    model = write_files(tmp_path / "model", model_files(requirements__txt="mlflow\nscikit-learn==1.9.1\nskops==0.16.0\n"))
    before = (model / "requirements.txt").read_bytes()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(model / "requirements.txt"))

    monkeypatch.setattr(fix_runner, "_temporary", full)
    assert main(["model", "--fix", "--isolated"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("modellint: error:")]
    assert errors == ["modellint: error: model/requirements.txt: cannot write the fix: No space left on device"]
    assert (model / "requirements.txt").read_bytes() == before and not _temporaries(tmp_path)


def test_a_fifo_swapped_in_after_the_refusal_check_is_refused_not_waited_on(tmp_path):
    """``refusal`` looked at a regular file; a FIFO put in its place before the write is read
    is an OSError (the group rolled back and reported), never a read that blocks forever."""
    from modellint.analyzer.files import NotRegularFile

    first, second = tmp_path / "requirements.txt", tmp_path / "conda.yaml"
    first.write_text("a\n")
    os.mkfifo(second)
    with pytest.raises(NotRegularFile):
        write_together([(first, "a\n", "a\nc\n"), (second, "b\n", "b\nc\n")])
    assert first.read_text() == "a\n"
    assert not _temporaries(tmp_path)
