"""Copy the real-models corpus to a temp dir, restoring binaries as empty placeholders.

Only small text files were copied into ``shared/real-models``; each ``SOURCE.txt`` lists the
original directory, marking what was left out with ``[not copied]``. Materialising those as
empty files lets ML003 be judged against the original directory, as the index does.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

# "  model.pkl<TAB>1234  [not copied]"; the size is "absent-in-snapshot" when the blob existed in
# the repository but not in the stored snapshot: the file was there all the same.
_MANIFEST_ENTRY = re.compile(r"^\s{2}(?P<path>.+?)\t(?P<size>\S+)(?P<flags>.*)$")


def manifest_entries(source_txt: Path) -> list[tuple[str, bool]]:
    """``(relative path, copied)`` for each file of the original model dir."""
    entries = []
    in_manifest = False
    for line in source_txt.read_text().splitlines():
        if line.startswith("original model-dir manifest"):
            in_manifest = True
            continue
        match = _MANIFEST_ENTRY.match(line) if in_manifest else None
        if match:
            flags = match.group("flags")
            entries.append((match.group("path"), "[not copied]" not in flags))
    return entries


def materialise(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("SOURCE.txt"))
    source_txt = source / "SOURCE.txt"
    if source_txt.exists():
        for relative, copied in manifest_entries(source_txt):
            target = destination / relative
            if not copied and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(b"")
    return destination


def materialise_corpus(corpus: Path, destination: Path) -> Path:
    """Every model dir of ``corpus`` (``shared/real-models``) and of its ``_negatives/``, side by
    side in ``destination``."""
    for source in sorted(corpus.iterdir()):
        if source.is_dir() and source.name != "_negatives":
            materialise(source, destination / source.name)
    for source in sorted((corpus / "_negatives").iterdir()):
        materialise(source, destination / source.name)
    return destination
