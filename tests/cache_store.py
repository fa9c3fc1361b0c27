"""The cache tests' common ground: the cache switched on in a test's own folder, a store of
model dirs copied from the corpus, and a cache file replaced by what no read may follow or
swallow (test_cache.py, test_cache_pack.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from modellint.cache import digest
from tests.conftest import REPO

CORPUS = REPO / "corpus" / "models"
BROKEN = "ml104-not-pep508"  # two ML104 errors with fixes: a fix survives the round trip
PICKLED = "class-in-module-no-codepaths"  # a pickle and code: ML301
CASES = (BROKEN, PICKLED, "sklearn-cloudpickle", "ml103-conda-defaults")


def cache_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settled_nanoseconds: int) -> Path:
    """The cache on, in ``tmp_path / "cache"``; a tree counts as settled once unchanged for
    ``settled_nanoseconds`` (:data:`modellint.cache.digest.SETTLED_NANOSECONDS`)."""
    monkeypatch.delenv("MODELLINT_NO_CACHE", raising=False)
    monkeypatch.setattr(digest, "SETTLED_NANOSECONDS", settled_nanoseconds)
    directory = tmp_path / "cache"
    monkeypatch.setenv("MODELLINT_CACHE_DIR", str(directory))
    return directory


def copy_store(tmp_path: Path) -> Path:
    """A folder of the :data:`CASES` model dirs copied from the corpus (the cache key holds their path)."""
    root = tmp_path / "store"
    for case in CASES:
        shutil.copytree(CORPUS / case, root / case)
    return root


# The ways :func:`replace_unreadable` can replace a cache file.
UNREADABLE = ("symlink", "fifo", "huge")


def replace_unreadable(path: Path, how: str, huge_bytes: int) -> None:
    """Replace the cache file ``path`` by a symlink to ``/dev/zero``, a FIFO, or a sparse file of
    ``huge_bytes`` (``how`` one of :data:`UNREADABLE`): a read that follows, blocks or swallows it
    whole would hang or exhaust memory."""
    if how == "symlink":
        path.unlink()
        os.symlink("/dev/zero", path)
    elif how == "fifo":
        path.unlink()
        os.mkfifo(path)
    elif how == "huge":
        with open(path, "wb") as handle:
            handle.truncate(huge_bytes)
    else:
        raise ValueError(f"not a way to replace a cache file: {how!r}")
