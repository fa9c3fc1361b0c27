"""The confinement of model-file reads (analyzer/files.py), unit by unit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modellint.analyzer import files
from modellint.analyzer.files import (
    ABSOLUTE,
    CLIMBS_OUT,
    LINKS_OUT,
    OutsideError,
    escape,
    open_inside,
    read_text,
    walk_inside,
    written_escape,
)


@pytest.mark.parametrize(("written", "reason"), [
    ("conda.yaml", None),
    ("sub/../conda.yaml", None),
    ("./a/./b", None),
    ("..", CLIMBS_OUT),
    ("../x", CLIMBS_OUT),
    ("a/../../x", CLIMBS_OUT),
    ("a\\..\\..\\x", CLIMBS_OUT),
    ("/etc/passwd", ABSOLUTE),
    ("C:\\Users\\me\\conda.yaml", ABSOLUTE),
    ("\\\\server\\share\\x", ABSOLUTE),
    ("~/x", ABSOLUTE),
    ("file:///etc/passwd", ABSOLUTE),
])
def test_written_escape_reads_the_text_only(written, reason):
    assert written_escape(written) == reason


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "model", tmp_path / "outside"
    (root / "real").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET\n")
    (root / "real" / "inside.txt").write_text("inside\n")
    os.symlink(outside / "secret.txt", root / "out.txt")
    os.symlink("real/inside.txt", root / "in.txt")
    os.symlink(outside, root / "outdir")
    os.symlink("real", root / "indir")
    os.symlink("out.txt", root / "chain.txt")
    return root, outside


def test_escape_follows_symlinks(tree):
    root, _ = tree
    assert escape(root, "in.txt") is None and escape(root, "indir/inside.txt") is None
    assert escape(root, "out.txt") == LINKS_OUT
    assert escape(root, "chain.txt") == LINKS_OUT
    assert escape(root, "outdir/secret.txt") == LINKS_OUT
    assert escape(root, "indir/../out.txt") == LINKS_OUT


def test_read_text_refuses_outside_and_reads_inside(tree):
    root, _ = tree
    assert read_text(root / "in.txt", root) == ("inside\n", None)
    for name in ("out.txt", "chain.txt", "outdir/secret.txt"):
        text, problem = read_text(root / name, root)
        assert text is None and problem.outside and "SECRET" not in problem.message
    assert read_text(root / "out.txt")[0] == "SECRET\n"  # without a root: the user's own path


def test_a_model_dir_reached_through_a_symlink_reads_normally(tree, tmp_path):
    root, _ = tree
    alias = tmp_path / "alias"
    os.symlink(root, alias)
    assert read_text(alias / "in.txt", alias) == ("inside\n", None)
    assert read_text(alias / "out.txt", alias)[1].outside


def test_a_loop_and_a_fifo_are_problems_not_hangs(tmp_path):
    root = tmp_path / "model"
    root.mkdir()
    os.symlink("loop", root / "loop")
    os.mkfifo(root / "fifo")
    assert "loop" in read_text(root / "loop", root)[1].message
    assert "not a regular file" in read_text(root / "fifo", root)[1].message


def test_a_parent_swapped_after_the_check_is_caught(tree, monkeypatch):
    """The check and the open race: the open itself is verified against the root."""
    root, outside = tree
    (root / "swap").mkdir()
    (root / "swap" / "secret.txt").write_text("decoy\n")
    checked = os.path.realpath(root / "swap" / "secret.txt")
    real_realpath_below = files.realpath_below

    def swapped_after_check(*args):
        result = real_realpath_below(*args)
        if result == checked:  # the check sees the decoy; then the attacker swaps the directory
            (root / "swap" / "secret.txt").unlink()
            (root / "swap").rmdir()
            os.symlink(outside, root / "swap")
        return result

    monkeypatch.setattr(files, "realpath_below", swapped_after_check)
    with pytest.raises(OutsideError):
        open_inside(root, root / "swap" / "secret.txt")


def test_walk_reports_links_out_and_never_descends_symlinked_dirs(tree):
    root, _ = tree
    entries = {path.relative_to(root).as_posix(): inside for path, inside in walk_inside(root, root)}
    assert entries == {"real/inside.txt": True, "in.txt": True, "out.txt": False, "chain.txt": False,
                       "outdir": False}


def test_walk_of_a_top_outside_the_root_yields_nothing(tree):
    root, _ = tree
    assert list(walk_inside(root, root / "outdir")) == []


def test_realpath_below_answers_what_realpath_answers(tmp_path):
    """Resolving only the components below the root gives realpath's answer for every shape of
    path: symlinks in the middle and at the end, inside and out, chains, loops, ``..`` after a
    link, absent components, a root reached through a symlink itself."""
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    real = tmp_path / "real"
    (real / "a" / "b").mkdir(parents=True)
    (real / "a" / "b" / "f.txt").write_text("x")
    os.symlink(real / "a", real / "to_a")
    os.symlink("b", real / "a" / "rel_b")
    os.symlink(outside / "deep", real / "out")
    os.symlink("loop2", real / "loop1")
    os.symlink("loop1", real / "loop2")
    os.symlink("to_a/rel_b/f.txt", real / "chain")
    os.symlink(real, tmp_path / "linked_root")
    written = ["a/b/f.txt", "to_a/b/f.txt", "a/rel_b/f.txt", "out/x", "out/../y", "to_a/../a/b",
               "loop1", "loop1/x", "chain", "missing/../a", "missing/more/x", "a//b/./f.txt", "", ".",
               "a/b/f.txt/not_a_dir", "..", "../outside"]
    for root in (real, tmp_path / "linked_root"):
        base = os.path.realpath(root)
        for relative in written:
            path = root / relative
            assert files.realpath_below(root, base, path) == os.path.realpath(path), (root, relative)
            assert files.realpath_below(str(root), base, f"{root}/{relative}") == os.path.realpath(f"{root}/{relative}")
    assert files.realpath_below(real, str(real), "relative/path") == os.path.realpath("relative/path")
    assert files.realpath_below(real, str(real), tmp_path / "realx") == os.path.realpath(tmp_path / "realx")


def test_a_relative_root_is_resolved_in_the_working_directory_of_the_moment(tmp_path, monkeypatch):
    for name in ("one", "two"):
        (tmp_path / name / "model").mkdir(parents=True)
        (tmp_path / name / "model" / "MLmodel").write_text(f"{name}\n")
        monkeypatch.chdir(tmp_path / name)
        assert files.real_root("model") == os.path.realpath(tmp_path / name / "model")
        assert read_text(Path("model") / "MLmodel", Path("model")) == (f"{name}\n", None)


def test_an_absolute_root_is_resolved_again_once_forgotten(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    os.symlink(tmp_path / "a", tmp_path / "root")
    assert files.real_root(tmp_path / "root") == os.path.realpath(tmp_path / "a")
    os.unlink(tmp_path / "root")
    os.symlink(tmp_path / "b", tmp_path / "root")
    files.forget_real_roots()
    assert files.real_root(tmp_path / "root") == os.path.realpath(tmp_path / "b")


def test_relative_posix_is_relative_to_for_any_path_and_root():
    import random

    generator = random.Random(20261207)
    parts = ["a", "b", "ab", ".", "..", "", "é", "x y"]

    def random_path(most: int) -> Path:
        return Path(generator.choice(["", "/", "//"]) + "/".join(generator.choice(parts) for _ in range(generator.randint(0, most))))

    for _ in range(20_000):
        root, below = random_path(3), random_path(3)
        for path in (root / below, random_path(5)):
            try:
                expected = path.relative_to(root).as_posix()
            except ValueError:
                with pytest.raises(ValueError):
                    files.relative_posix(root, path)
                continue
            assert files.relative_posix(root, path) == expected, (root, path)


def test_read_regular_reads_up_to_its_limit_and_refuses_what_open_regular_refuses(tmp_path):
    root = tmp_path / "model"
    root.mkdir()
    (root / "empty").write_bytes(b"")
    (root / "small").write_bytes(b"abc")
    big = bytes(range(256)) * 1024  # 256 KiB: more than one step past the first read
    (root / "big").write_bytes(big)
    (tmp_path / "secret").write_bytes(b"s")
    os.symlink(tmp_path / "secret", root / "out")
    os.symlink(root / "small", root / "in")
    os.mkfifo(root / "fifo")
    assert files.read_regular(root / "empty", root, 10) == b""
    assert files.read_regular(root / "small", root, 10) == b"abc"
    assert files.read_regular(root / "small", root, 2) == b"ab"
    assert files.read_regular(root / "in", root, 10) == b"abc"
    assert files.read_regular(root / "big", root, len(big) + 1) == big
    assert files.read_regular(root / "big", root, 70_000) == big[:70_000]
    with pytest.raises(OutsideError):
        files.read_regular(root / "out", root, 10)
    with pytest.raises(files.NotRegularFile):
        files.read_regular(root / "fifo", root, 10)
    with pytest.raises(FileNotFoundError):
        files.read_regular(root / "absent", root, 10)
