"""The gitignore subset shared by `.gitignore` files and the `exclude` settings (gitignore(5))."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from modellint import targets
from modellint.path_patterns import PathPattern, decide, parse_lines, read_gitignore
from modellint.targets import Discovery, _walk

BASE = Path("/repo")


@pytest.mark.parametrize(("pattern", "path", "is_dir", "expected"), [
    ("foo", "foo", False, True),
    ("foo", "a/b/foo", True, True),  # no slash: any depth
    ("foo", "foox", False, False),
    ("/foo", "foo", False, True),  # a leading slash anchors
    ("/foo", "a/foo", False, False),
    ("a/foo", "a/foo", False, True),  # a middle slash anchors too
    ("a/foo", "x/a/foo", False, False),
    ("foo/", "a/foo", True, True),  # a trailing slash: directories only
    ("foo/", "a/foo", False, False),
    ("**/foo", "x/y/foo", False, True),
    ("**/foo", "foo", False, True),
    ("a/**", "a/b/c", False, True),  # everything inside a...
    ("a/**", "a", True, False),  # ...not a itself
    ("a/**/b", "a/b", True, True),  # zero or more folders
    ("a/**/b", "a/x/y/b", True, True),
    ("a/**/b", "a/x/c", True, False),
    ("*.py", "x/y.py", False, True),
    ("a/*.py", "a/b/c.py", False, False),  # `*` never crosses a slash
    ("a?c", "abc", False, True),
    ("a?c", "a/c", False, False),
    ("[!a]b", "cb", False, True),
    ("[!a]b", "ab", False, False),
    ("\\*x", "*x", False, True),  # escapes
    ("\\*x", "ax", False, False),
    ("\\!x", "!x", False, True),
    ("\\#x", "#x", False, True),
    ("x\\ ", "x ", False, True),  # an escaped trailing space stays
    ("x   ", "x", False, True),  # unescaped ones go
])
def test_gitignore_semantics(pattern, path, is_dir, expected):
    compiled = PathPattern.parse(pattern, BASE)
    assert compiled.matches(f"/repo/{path}", is_dir) is expected


def test_a_pattern_never_matches_outside_its_base():
    assert not PathPattern.parse("foo", BASE).matches("/repository/foo", False)
    assert not PathPattern.parse("/foo", BASE).matches("/foo", False)


def test_comments_blanks_and_the_last_match_wins():
    patterns = parse_lines("# a comment\n\n*.log\n!keep.log\n", BASE)
    assert [pattern.text for pattern in patterns] == ["*.log", "!keep.log"]
    assert decide(patterns, "/repo/x.log", False) is True
    assert decide(patterns, "/repo/keep.log", False) is False
    assert decide(patterns, "/repo/x.txt", False) is None


def test_backtracking_globs_stay_cheap():
    pattern = PathPattern.parse("*a" * 100 + "b", BASE)
    started = time.monotonic()
    assert not pattern.matches("/repo/" + "a" * 250, False)
    assert time.monotonic() - started < 0.5


def test_oversized_gitignore_files_are_not_honoured(tmp_path, monkeypatch):
    (tmp_path / ".gitignore").write_text("\n".join(f"p{index}" for index in range(50)) + "\n")
    assert len(read_gitignore(tmp_path)) == 50
    monkeypatch.setattr("modellint.path_patterns.MAX_PATTERNS", 49)
    assert read_gitignore(tmp_path) == []
    (tmp_path / ".gitignore").unlink()
    (tmp_path / ".gitignore").symlink_to(tmp_path / "elsewhere")
    assert read_gitignore(tmp_path) == []  # never through a symlink


def test_nested_gitignore_files_and_the_repository_above(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("ignored-everywhere/\n")
    root = tmp_path / "models"
    for name in ("a", "ignored-everywhere/b", "sub/c", "sub/d", "sub/deep/e"):
        (root / name).mkdir(parents=True)
        (root / name / "MLmodel").write_text("")
    (root / "sub" / ".gitignore").write_text("/c\nd\n")
    (root / "sub" / "deep" / ".gitignore").write_text("!d\n")
    found = {path.relative_to(root).as_posix() for path in _walk(root, Discovery())[0]}
    assert found == {"a", "sub/deep/e"}
    found = {path.relative_to(root).as_posix() for path in _walk(root, Discovery(respect_gitignore=False))[0]}
    assert found == {"a", "ignored-everywhere/b", "sub/c", "sub/d", "sub/deep/e"}


def test_a_hostile_gitignore_stops_counting_once_over_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(targets, "GITIGNORE_WORK", 1000)
    (tmp_path / ".gitignore").write_text("\n".join(["*a" * 50 + "b"] * 1 + [f"x{index}" for index in range(99)])
                                         + "\nhidden*\n")
    for index in range(30):
        (tmp_path / f"hidden{index:02d}").mkdir()
        (tmp_path / f"hidden{index:02d}" / "MLmodel").write_text("")
    found = _walk(tmp_path, Discovery())[0]
    assert 0 < len(found) < 30  # the first folders were ignored as asked, the rest linted
