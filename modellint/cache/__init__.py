"""A cache of findings per model dir, training project and lone serialized file, keyed by content (like Ruff's).

A second run over an unchanged store of models reads each target's findings back instead of
linting it again. The key is a SHA-256 over everything the raw findings depend on
(:mod:`modellint.cache.digest`): the bytes, names, kinds and link texts of every entry of the
target's tree, the target's absolute path (messages may name it), the rules that run, the import
settings, today's date (end-of-life rules read it), the running Python, and a fingerprint of the
installed modellint (version, and the size and time of each of its files, so that an edited
checkout or new knowledge data is a new key) and of each plugin rule's module.

What the cache holds cannot make a finding disappear: an entry is found by the key it was
written under, and it is checked before it is used (:mod:`modellint.cache.store`): a missing,
truncated, corrupt or foreign entry is a miss, and the target is linted. The directory comes
from ``--cache-dir`` or ``MODELLINT_CACHE_DIR``, never from a configuration file (a repository
under check could otherwise point the lint at entries it ships). A training project folder is
cached like a model dir when its findings depend on its tree alone: no symlink in it, and no
``code_paths`` entry outside it (nor when it holds a virtualenv or ``node_modules``, which every
run would walk for nothing) (whether that exists, and is a folder, is another tree's fact:
such a project is linted every time). Nor is a run with ``--python`` cached (the interpreter's
packages are an input).

A run over many targets also keeps them in one pack (:mod:`modellint.cache.pack`), with the last
reports made from them (:mod:`modellint.cache.warm`): a warm run over an unchanged store reads one
file, ``lstat``s the names of each tree, and prints the stored report.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modellint.targets import Target

# Past this, a target is linted without the cache: hashing would cost what linting saves (a
# payload pickle is scanned by seeking past its payload, never reading it).
MAX_BYTES = 256 * 1024**2
# A lone serialized file smaller than this scans in less time than the cache takes to start.
MIN_LONE_FILE_BYTES = 1024**2
# Below this many targets their own entries cost less to read than a pack costs to write, and a
# run imports none of the pack's modules (modellint.cache.warm).
PACK_MIN_TARGETS = 48


def worth_caching(target: Target) -> bool:
    """Whether the cache can save ``target`` any time: a model dir, or a lone serialized file of
    a size whose scan costs more than hashing it (checked without importing anything)."""
    if target.kind == "model":
        return True
    if target.kind == "project":
        return os.path.isdir(target.path)  # findings stored only when they depend on its tree alone
    if target.kind != "file":
        return False
    try:
        size = os.stat(target.path).st_size
    except OSError:
        return False
    return MIN_LONE_FILE_BYTES <= size <= MAX_BYTES

