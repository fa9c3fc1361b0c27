"""A run over many targets through their pack (:mod:`modellint.cache.pack`).

Which targets the pack holds unchanged is known from one ``lstat`` per name of their last walk:
all at once by one digest of every target's states (:func:`modellint.cache.digest.states_unchanged`),
else one by one (:func:`modellint.cache.digest.restated`), as for a target's own listing entry,
which is read for a target the pack does not hold. A target's findings are parsed only when asked
for. When every target is unchanged and the same report was asked for before (same command,
format and settings, same working directory, same modellint), the report stored beside them is
the report: no finding is decoded, filtered, sorted or rendered.

A report is stored only when the findings it was made from are those of the entries packed with
it: entries this run read (from the pack or their own files) are packed as read, and an entry
read back after this run's lint must carry this run's token (:class:`modellint.cache.store.TargetCache`),
so a target linted by this run, then changed and stored by another run before this one packs
it, cannot lend its new state to this run's report. A report's key holds every target's state
key: it is used only while every tree is in the state its findings were stored for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.cache import worth_caching
from modellint.cache.digest import listing_key, restated, restated_all, states_unchanged
from modellint.cache.pack import Listing, Pack, StoredReport, pack_key, read_pack, write_pack
from modellint.cache.store import FORMAT, TargetCache

if TYPE_CHECKING:
    from modellint.findings import Finding
    from modellint.targets import Target

# Reports kept per pack: a CI job and a developer may ask for a few formats of the same store.
MAX_REPORTS = 4


def warm_run(cache: TargetCache, targets: list[Target]) -> WarmRun | None:
    """The pack of a run over ``targets``; None when it cannot be read at all."""
    try:
        return WarmRun(cache, targets)
    except Exception:  # noqa: BLE001 - a pack that cannot be read is no pack: each target is looked up alone
        return None


class WarmRun:
    """The pack of one run's targets and which of them it holds unchanged. A plain class, not a
    record: it learns the listings of the targets it answers, to pack them once the report is made."""

    def __init__(self, cache: TargetCache, targets: list[Target]) -> None:
        self.cache = cache
        self.targets = targets
        self.folder = Path(cache.directory) / FORMAT
        self.key = pack_key(cache.run, targets)
        self.listing_keys = [listing_key(target, cache.run) for target in targets]
        self.pack = read_pack(self.folder, self.key)
        listings = {} if self.pack is None else self.pack.listings
        packed = [listings.get(key) for key in self.listing_keys]
        self.fast = self._all_unchanged(packed)  # found unchanged by one digest of all their states
        self.unchanged = packed if self.fast else [
            self._unchanged(target, listing) for target, listing in zip(targets, packed)]

    def _all_unchanged(self, packed: list[Listing | None]) -> bool:
        """Whether every target is in the state the pack holds it in, by one digest of them all."""
        if self.pack is None or self.pack.states is None or None in packed:
            return False
        names = [listing.names for listing in packed if listing is not None]
        return all(map(worth_caching, self.targets)) and states_unchanged(self.key, self.targets, names, self.pack.states)

    def _unchanged(self, target: Target, listing: Listing | None) -> Listing | None:
        if listing is None or not worth_caching(target):
            return None
        return listing if restated(target, self.cache.run, listing.names) == listing.state else None

    def findings(self, index: int) -> list[Finding] | None:
        """The stored findings of target ``index`` when it is unchanged, from the pack or else
        from its own listing entry (then packed with it); None (a miss) otherwise, or when the
        entry does not decode."""
        listing = self.unchanged[index]
        found = None if listing is None else self._decoded(index, listing)
        if found is None:
            listing = self._own_listing(index)
            found = None if listing is None else self._decoded(index, listing)
        # Packed as it was read: the findings reported are those of the bytes packed.
        self.unchanged[index] = None if found is None else listing
        return found

    def _own_listing(self, index: int) -> Listing | None:
        """Target ``index``'s own listing entry, when the target is in the state it was stored for."""
        entry = self._entry_listing(index)
        return None if entry is None else self._unchanged(self.targets[index], entry[0])

    def _decoded(self, index: int, listing: Listing) -> list[Finding] | None:
        document = self.cache.parsed(bytes(listing.entry), self.listing_keys[index])
        if document is None or document.get("state") != listing.state:
            return None
        return self.cache.findings(document, self.targets[index].path)

    def report(self, parts: Sequence[str]) -> StoredReport | None:
        """The report stored for ``parts`` (what, besides the findings, the report depends on)
        when every target is unchanged."""
        if self.pack is None or None in self.unchanged:
            return None
        report = self.pack.reports.get(self._report_key(parts, self.unchanged))
        return report if report is not None and report.intact() else None

    def _report_key(self, parts: Sequence[str], listings: Sequence[Listing | None]) -> str:
        digest = hashlib.sha256(f"report\0{self.key}\0".encode())
        for listing in listings:
            assert listing is not None
            digest.update(listing.state.encode("ascii", "replace") + b"\0")
        for part in parts:
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
        return digest.hexdigest()

    def save(self, parts: Sequence[str] | None, text: str | bytes, severity: int) -> None:
        """Write the pack back when it is new or changed: every target's listing (as this run
        read it, or its own entry, which this run's lint has just written), and with ``parts`` the
        report ``text`` (or its UTF-8 bytes) (the highest severity of its findings: ``severity``). The report is kept
        only when the findings of every packed entry are those it was made from: read by this run,
        or written by this run's lint (entries carry the token of the run that wrote them). A
        pack that cannot be written is no error: the next run reads the targets' own entries."""
        try:
            self._save(parts, text, severity)
        except Exception:  # noqa: BLE001 - the report is out already; the cache must not fail the run
            pass

    def _save(self, parts: Sequence[str] | None, text: str | bytes, severity: int) -> None:
        own_writes = True
        listings = list(self.unchanged)
        read_back = []
        for index, listing in enumerate(listings):
            if listing is None:
                entry = self._entry_listing(index)
                if entry is not None:
                    listings[index], writer = entry
                    read_back.append(index)
                    own_writes = own_writes and writer == self.cache.writer and bool(writer)
        states = self._verified(listings, read_back)
        reports = {} if self.pack is None else dict(self.pack.reports)
        if parts is not None and own_writes and None not in listings:
            key = self._report_key(parts, listings)
            if key not in reports or not reports[key].intact():
                # The newest first; older ones (for other formats, or states gone by) make room.
                reports.pop(key, None)
                reports = dict([(key, StoredReport.of(text, severity)), *list(reports.items())[:MAX_REPORTS - 1]])
        packed = {key: listing for key, listing in zip(self.listing_keys, listings) if listing is not None}
        if packed and Pack(packed, reports, states) != self.pack:
            write_pack(self.folder, self.key, Pack(packed, reports, states))

    def _verified(self, listings: list[Listing | None], read_back: list[int]) -> str | None:
        """The digest of every target's states when each is in the state of its listing; a
        listing whose tree is in another state by now is dropped."""
        if self.pack is not None and self.pack.states is not None and self.fast and not read_back:
            return self.pack.states  # every target found unchanged by that digest at the start of the run
        current = None
        if None not in listings:
            current = restated_all(self.key, self.cache.run, self.targets,
                                   [listing.names for listing in listings if listing is not None])
        if current is None:  # a target missing, gone or just changed: each read back checked alone
            for index in read_back:
                listing = listings[index]
                if listing is not None and restated(self.targets[index], self.cache.run, listing.names) != listing.state:
                    listings[index] = None
            return None
        whole, keys = current
        for index, (listing, state) in enumerate(zip(listings, keys)):
            if listing is not None and listing.state != state:
                listings[index] = None  # changed since it was listed
        return whole if None not in listings else None

    def _entry_listing(self, index: int) -> tuple[Listing, str] | None:
        """Target ``index``'s own listing entry as a pack holds it, and the token of the run that
        wrote it (its state is checked by the caller)."""
        key = self.listing_keys[index]
        data = self.cache.read_bytes(key)
        document = None if data is None else self.cache.parsed(data, key)
        if data is None or document is None:
            return None
        names, state, writer = document.get("names"), document.get("state"), document.get("writer")
        if type(state) is not str or type(names) is not list or not all(type(name) is str for name in names):
            return None
        return Listing(state, names, data), writer if type(writer) is str else ""


