"""``display_path``, the one way every report shows a path: its string fast path gives exactly
what the pathlib form it replaced gives, for any path and base."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from modellint.targets import display_path


def _by_pathlib(path: Path, base: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _random_path(generator: random.Random, most_parts: int) -> str:
    parts = ["a", "b", "bc", ".", "..", "", "é", "x y", "a\\b"]
    return (generator.choice(["", "/", "//", "///"])
            + "/".join(generator.choice(parts) for _ in range(generator.randint(0, most_parts)))
            + generator.choice(["", "/"]))


@pytest.mark.parametrize(("path", "base"), [("/a/b/c", "/a/b"), ("/a/b", "/a/b"), ("/a/bc", "/a/b"),
                                            ("/a/b/c", "/"), ("//a/b/c", "/"), ("/a/b/../b/c", "/a/b"),
                                            ("rel/x", "/tmp"), ("/a/b/c", "a/b"), ("/a/b/c", "/a/b/..")])
def test_named_cases(path, base, monkeypatch):
    monkeypatch.chdir("/tmp")
    assert display_path(Path(path), Path(base)) == _by_pathlib(Path(path), Path(base))


def test_the_same_as_pathlib_for_random_paths_and_bases(monkeypatch):
    monkeypatch.chdir("/tmp")
    generator = random.Random(20261207)
    for _ in range(20_000):
        path, base = _random_path(generator, 4), _random_path(generator, 3)
        if path and base:
            assert display_path(Path(path), Path(base)) == _by_pathlib(Path(path), Path(base)), (path, base)
