"""Git LFS pointer files: the few lines git leaves in a checkout instead of a large file when the LFS
objects were never fetched (``git lfs pull``), read by content.

A pointer is UTF-8 text of at most 1024 bytes, ``key value`` lines sorted by key, ``version`` first
(the spec: https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md). Only the version line is
needed to know the file is a pointer; ``size`` says how large the missing file is.
"""

from __future__ import annotations

import re
from pathlib import Path

LFS_VERSION_LINE = b"version https://git-lfs.github.com/spec/v1\n"
MAX_POINTER_BYTES = 1024  # the spec's bound: a larger file is not a pointer

_SIZE = re.compile(rb"^size (\d{1,20})$", re.MULTILINE)


def is_lfs_pointer(head: bytes) -> bool:
    """Whether a file starting with ``head`` is a Git LFS pointer (its version line comes first)."""
    return head.startswith(LFS_VERSION_LINE)


def pointer_size(head: bytes) -> int | None:
    """The size in bytes of the object a pointer stands for, when its ``size`` line gives one."""
    match = _SIZE.search(head[:MAX_POINTER_BYTES])
    return int(match.group(1)) if match else None


def describe_pointer(head: bytes) -> str:
    """What a pointer is, for a message: ``a Git LFS pointer (to a 268,797,340-byte object), not the
    weights: run `git lfs pull```."""
    size = pointer_size(head)
    to = f" to a {size:,}-byte object" if size is not None else ""
    return f"a Git LFS pointer{to}, not the weights: run `git lfs pull`"


def pointer_description(path: Path, root: Path | None = None) -> str | None:
    """:func:`describe_pointer` of the file at ``path`` (opened confined to ``root`` when given) when it is
    a pointer; None when it is not, or cannot be read."""
    from modellint.analyzer.files import open_regular

    try:
        with open_regular(path, root) as handle:
            head = handle.read(MAX_POINTER_BYTES)
    except OSError:
        return None
    return describe_pointer(head) if is_lfs_pointer(head) else None
