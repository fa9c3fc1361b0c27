"""The files of a model dir as an inventory lists them: each with its size, its SHA-256 and, for a
serialized model file, its format (``--format cyclonedx`` writes them as ``file`` components).

The model is hostile, so hashing is bounded and never leaves the directory: files are opened
through :func:`~modellint.analyzer.files.open_regular` (confined below the root, non-blocking),
symlinks are listed but never followed or opened, FIFOs, devices and sockets are listed but never
opened, and a model holds at most :data:`MAX_FILES` entries and :data:`MAX_HASHED_BYTES` bytes
worth hashing. A file over what is left of that budget (a sparse file that claims a terabyte) is
listed without a hash before a byte of it is read. Every file that gets no hash says why.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from modellint.record import Record

# What one model may cost to hash: more than any real model's weights in one run, and a bound on
# the time a hostile one can take (SHA-256 reads about 1 GiB/s here).
MAX_HASHED_BYTES = 32 * 1024**3
# Entries listed per model dir: a real model has tens, a large one hundreds; past this the rest are
# counted, not listed (an SBOM library sorts its components in seconds per thousand).
MAX_FILES = 5_000
_CHUNK = 1024 * 1024
CHANGED = "changed while it was hashed"


class Artifact(Record):
    """One entry below a model dir. ``sha256`` is None exactly when ``unhashed`` says why;
    ``serialized`` names the serialized-model format its first bytes show (``pickle``, ``joblib``,
    ``safetensors``...), None for any other file."""

    __slots__ = ("relative", "size", "sha256", "unhashed", "serialized")

    def __init__(self, relative: str, size: int | None, sha256: str | None, unhashed: str | None,
                 serialized: str | None = None) -> None:
        self.relative = relative  # POSIX path below the model dir
        self.size = size
        self.sha256 = sha256
        self.unhashed = unhashed
        self.serialized = serialized


class ArtifactList(Record):
    """The artifacts listed, in path order, and how many entries were left out past :data:`MAX_FILES`."""

    __slots__ = ("artifacts", "unlisted")

    def __init__(self, artifacts: tuple[Artifact, ...], unlisted: int) -> None:
        self.artifacts = artifacts
        self.unlisted = unlisted


def list_artifacts(root: Path, entries: Iterable[Path], links_out: Iterable[Path] = (),
                   withheld: dict[str, str] | None = None, *, max_files: int = MAX_FILES,
                   max_hashed_bytes: int = MAX_HASHED_BYTES) -> ArtifactList:
    """The artifacts of the model dir ``root``: ``entries`` and ``links_out`` as
    :attr:`ModelDir.tree <modellint.analyzer.model_dir.ModelDir.tree>` gives them, ``withheld`` the
    files of a model fetched by URI that were not downloaded (relative path -> why)."""
    paths = sorted({*entries, *links_out})
    relatives = {path: path.relative_to(root).as_posix() for path in paths}
    everything = sorted([*relatives.values(), *(withheld or {})])
    kept = set(everything[:max_files])
    budget = max_hashed_bytes
    artifacts = []
    for path in paths:
        relative = relatives[path]
        if relative not in kept:
            continue
        artifact = _artifact(root, path, relative, budget)
        if artifact.sha256 is not None or artifact.unhashed == CHANGED:  # the bytes were read
            budget -= artifact.size or 0
        artifacts.append(artifact)
    for relative, why in (withheld or {}).items():
        if relative in kept and relative not in relatives.values():
            artifacts.append(Artifact(relative, None, None, f"not downloaded: {why}"))
    artifacts.sort(key=lambda artifact: artifact.relative)
    return ArtifactList(tuple(artifacts), len(everything) - len(kept))


def _artifact(root: Path, path: Path, relative: str, budget: int) -> Artifact:
    try:
        status = os.lstat(path)
    except OSError as error:
        return Artifact(relative, None, None, f"cannot be read: {error.strerror or error}")
    if stat.S_ISLNK(status.st_mode):
        return Artifact(relative, None, None, "a symlink: never followed")
    if not stat.S_ISREG(status.st_mode):
        from modellint.analyzer.files import special_kind

        return Artifact(relative, None, None, f"{special_kind(status.st_mode)}: never opened")
    if status.st_size > budget:
        return Artifact(relative, status.st_size, None,
                        f"over what is left of the {MAX_HASHED_BYTES // 1024**3} GiB hashing budget")
    return _hashed(root, path, relative, status.st_size)


def _hashed(root: Path, path: Path, relative: str, size: int) -> Artifact:
    """The SHA-256 of the ``size`` bytes the file had when listed, read in chunks; a file that
    changes size while it is read gets no hash (the hash would describe neither version)."""
    from modellint.analyzer.files import OutsideError, open_regular
    from modellint.analyzer.serialized.pickles.sniffing import sniff_stream
    from modellint.analyzer.serialized.pickles.streams import PROBE_BYTES

    digest = hashlib.sha256()
    head = b""
    left = size
    try:
        with open_regular(path, root) as handle:
            while left:
                chunk = handle.read(min(_CHUNK, left))
                if not chunk:
                    return Artifact(relative, size, None, CHANGED)
                if len(head) < PROBE_BYTES:
                    head += chunk[:PROBE_BYTES - len(head)]
                digest.update(chunk)
                left -= len(chunk)
            if handle.read(1):
                return Artifact(relative, size, None, CHANGED)
        serialized = sniff_stream(head, lambda: open_regular(path, root)) if head else None
    except OutsideError:
        return Artifact(relative, size, None, "leads outside the model directory: never opened")
    except (OSError, ValueError, EOFError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        return Artifact(relative, size, None, f"cannot be read: {reason}")
    return Artifact(relative, size, digest.hexdigest(), None, serialized)
