"""A pack: one file holding what a run over many targets keeps in the cache, read with one ``read``.

A warm run over a store of 2,000 model dirs used to open 2,000 listing entries (see
:func:`modellint.cache.digest.listing_key`) and parse each. A pack holds them all, each as the bytes
of its listing entry, behind a header of what the hit check needs first (each target's state key
and names), so that an entry is parsed only when its target is unchanged and its findings are
wanted. Beside them it holds the last few reports made from exactly those findings
(:mod:`modellint.cache.warm`), each with its SHA-256.

The file is ``MAGIC``, the header's length, the header (JSON), then the entries and the reports,
one after the other, as long as the header says: a pack of any other length, shape or format
(truncated, edited, written by another version under the same name) is no pack at all, and every
target is looked up as if there were none. Packs are written to a private temporary file and
renamed into place: runs side by side each write a whole pack, and the last one stays.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING, Any

from modellint.analyzer.files import open_regular
from modellint.record import Record

if TYPE_CHECKING:
    from pathlib import Path

    from modellint.targets import Target

MAGIC = b"modellint-pack-1\n"
FOLDER = "packs"
# Findings of 2,000 real model dirs take about 10 MiB; past this a pack is neither written nor read.
MAX_PACK_BYTES = 256 * 1024**2
_MAX_HEADER_DIGITS = 10


class Listing(Record):
    """One target's listing entry in a pack: the state key and names of its last walk, and the
    entry's bytes (parsed only when its findings are wanted; from a pack read back, a view of the
    bytes read, not a copy)."""

    __slots__ = ("state", "names", "entry")

    def __init__(self, state: str, names: list[str], entry: bytes | memoryview) -> None:
        self.state = state
        self.names = names
        self.entry = entry


class StoredReport(Record):
    """A report made from a pack's findings: its text (UTF-8), the highest severity among the
    findings it shows (-1 for none), which the exit code depends on, and the text's SHA-256.

    A pack read back holds its reports as views of the bytes read, checked and decoded only
    when one is used: a warm run uses one, and the store's four came to 15 MB."""

    __slots__ = ("encoded", "severity", "checksum")

    def __init__(self, encoded: bytes | memoryview, severity: int, checksum: str) -> None:
        self.encoded = encoded
        self.severity = severity
        self.checksum = checksum

    @classmethod
    def of(cls, text: str | bytes, severity: int) -> StoredReport:
        """``text`` as printed (or its UTF-8 bytes, as a report written while it was made kept them)."""
        encoded = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        return cls(encoded, severity, hashlib.sha256(encoded).hexdigest())

    def intact(self) -> bool:
        """Whether the text is the one stored (an edited or damaged pack: not)."""
        return hashlib.sha256(self.encoded).hexdigest() == self.checksum

    @property
    def text(self) -> str:
        return str(self.encoded, "utf-8", "surrogatepass")


class Pack(Record):
    """The listings of one run's targets (by listing key), the reports made from them (by report
    key), and one digest of all the targets' states when every target had a listing in that state
    (:func:`modellint.cache.digest.restated_all`)."""

    __slots__ = ("listings", "reports", "states")

    def __init__(self, listings: dict[str, Listing], reports: dict[str, StoredReport], states: str | None) -> None:
        self.listings = listings
        self.reports = reports
        self.states = states


def pack_key(run: str, targets: list[Target]) -> str:
    """Where the pack of a run over exactly ``targets`` (in their order) is kept."""
    digest = hashlib.sha256(f"pack\0{run}\0".encode())
    for target in targets:
        text = repr((target.kind, os.path.abspath(target.path), target.withheld))
        digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def read_pack(folder: Path, key: str) -> Pack | None:
    """The pack of ``key`` in ``folder`` when it is a whole one written under that key; None
    whatever else is there (nothing, a symlink or FIFO, a file too big, truncated, not a pack)."""
    path = os.path.join(folder, FOLDER, f"{key}.pack")
    try:
        with open_regular(path, buffering=0, follow=False) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_PACK_BYTES:
                return None
            data = handle.read(size + 1)
    except OSError:
        return None
    if len(data) != size:
        return None
    try:
        return _parsed(data, key)
    except (ValueError, TypeError, KeyError, RecursionError):
        return None


def _parsed(data: bytes, key: str) -> Pack | None:
    if not data.startswith(MAGIC):
        return None
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + _MAX_HEADER_DIGITS + 1)
    if end < 0:
        return None
    length = int(data[len(MAGIC):end])
    start = end + 1
    header = json.loads(data[start:start + length])
    if type(header) is not dict or header["pack"] != key:
        return None
    states = header["states"]
    if states is not None and type(states) is not str:
        return None
    offset = start + length
    view = memoryview(data)
    listings: dict[str, Listing] = {}
    for listing_key, state, names, size in header["listings"]:
        if not (type(listing_key) is str and type(state) is str and type(names) is list and _is_size(size)):
            return None
        listings[listing_key] = Listing(state, names, view[offset:offset + size])
        offset += size
    reports: dict[str, StoredReport] = {}
    for report_key, severity, size, checksum in header["reports"]:
        if not (type(report_key) is str and type(severity) is int and _is_size(size) and type(checksum) is str):
            return None
        reports[report_key] = StoredReport(view[offset:offset + size], severity, checksum)
        offset += size
    return Pack(listings, reports, states) if offset == len(data) else None


def _is_size(value: Any) -> bool:
    return type(value) is int and value >= 0


def write_pack(folder: Path, key: str, pack: Pack) -> None:
    """``pack`` as the pack of ``key`` in ``folder``, whole or not at all: written beside it, then
    renamed. A pack that cannot be written (read-only, full, too big) is no error: the next run
    reads the entries."""
    header = json.dumps({
        "pack": key,
        "states": pack.states,
        "listings": [[listing_key, listing.state, listing.names, len(listing.entry)]
                     for listing_key, listing in pack.listings.items()],
        "reports": [[report_key, report.severity, len(report.encoded), report.checksum]
                    for report_key, report in pack.reports.items()],
    }, separators=(",", ":")).encode("ascii")
    parts = [MAGIC, b"%d\n" % len(header), header, *(listing.entry for listing in pack.listings.values()),
             *(report.encoded for report in pack.reports.values())]
    if sum(len(part) for part in parts) > MAX_PACK_BYTES:
        return
    packs = folder / FOLDER
    try:
        # Each level private (mkdir's mode applies to the last level only).
        for level in (folder.parent, folder, packs):
            level.mkdir(parents=True, exist_ok=True, mode=0o700)
        import tempfile  # only a run that writes a pack: a warm run writes none

        descriptor, temporary = tempfile.mkstemp(dir=packs, prefix=".pack-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.writelines(parts)
        os.replace(temporary, packs / f"{key}.pack")
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
