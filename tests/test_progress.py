"""The progress line (modellint.progress): on stderr, rewritten in place, cleared at the end,
drawn only after its delay and only when there is more than one thing to count."""

from __future__ import annotations

import threading

from modellint.progress import ProgressLine, is_terminal


def test_the_line_is_rewritten_in_place_and_cleared(capsys):
    with ProgressLine(2, "fetched", "model versions", enabled=True, delay=0) as progress:
        progress.advance()
        progress.advance()
        progress.close()
        progress.advance()  # nothing once closed: the report comes next
    assert capsys.readouterr().err == ("\rmodellint: fetched 1/2 model versions\rmodellint: fetched 2/2 model versions"
                                       "\r\x1b[K")


def test_nothing_is_drawn_when_disabled_before_the_delay_or_for_one_target(capsys):
    for progress in (ProgressLine(2, "linted", "targets", enabled=False, delay=0),
                     ProgressLine(2, "linted", "targets", enabled=True, delay=60),
                     ProgressLine(1, "linted", "targets", enabled=True, delay=0)):
        with progress:
            progress.advance()
            progress.advance()
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")


def test_threads_count_every_step_and_write_whole_lines(capsys):
    progress = ProgressLine(800, "fetched", "model versions", enabled=True, delay=0)
    with progress:
        workers = [threading.Thread(target=lambda: [progress.advance() for _ in range(100)]) for _ in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    lines = capsys.readouterr().err.split("\r")
    assert progress.done == 800 and lines[-2] == "modellint: fetched 800/800 model versions"
    assert all(line.startswith("modellint: fetched ") for line in lines[1:-1])


def test_a_run_whose_stderr_is_not_a_terminal_draws_nothing(tmp_path, capsys):
    import shutil

    from modellint.cli import main
    from tests.conftest import REPO

    for index in range(3):
        shutil.copytree(REPO / "corpus" / "models" / "ml104-not-pep508", tmp_path / f"m{index}")
    main(["check", str(tmp_path), "--isolated", "--format", "concise"])
    assert "modellint: linted" not in capsys.readouterr().err
    assert not is_terminal(None)
