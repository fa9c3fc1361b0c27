"""A run over many targets through their pack (:mod:`modellint.cache.pack`).

Which targets the pack holds unchanged is known from one ``lstat`` per name of their last walk
(:func:`modellint.cache.digest.restated`), as for a target's own listing entry. A target's findings
are parsed from the pack only when asked for. When every target is unchanged and the same report
was asked for before (same format and settings, same working directory, same modellint), the
report stored beside them is the report: no finding is decoded, filtered, sorted or rendered.

A report is stored only when it is what the pack's findings give: the findings it was made from
must equal, one by one and in order, those decoded from the entries that go into the pack (a
target linted by this run, then changed and stored by another run before this one packs it,
cannot lend its new state to this run's report). Its key holds every target's state key, so a
report is used only while every tree is in the state its findings were stored for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.cache import worth_caching
from modellint.cache.digest import listing_key, restated, restated_all, states_unchanged
from modellint.cache.pack import Listing, Pack, StoredReport, pack_key, read_pack, write_pack
from modellint.cache.store import FORMAT, TargetCache

if TYPE_CHECKING:
    from modellint.findings import Finding
    from modellint.targets import Target

# Below this many targets their own entries cost less to read than a pack costs to write.
MIN_TARGETS = 48
# Reports kept per pack: a CI job and a developer may ask for a few formats of the same store.
MAX_REPORTS = 4


def warm_run(cache: TargetCache, targets: list[Target]) -> WarmRun | None:
    """The pack of a run over ``targets``, when they are enough for one to pay."""
    return WarmRun(cache, targets) if len(targets) >= MIN_TARGETS else None


class WarmRun:
    """The pack of one run's targets and which of them it holds unchanged. A plain class, not a
    record: it counts the targets it answered, to write the pack back once the report is made."""

    def __init__(self, cache: TargetCache, targets: list[Target]) -> None:
        self.cache = cache
        self.targets = targets
        self.folder = Path(cache.directory) / FORMAT
        self.key = pack_key(cache.run, targets)
        self.listing_keys = [listing_key(target, cache.run) for target in targets]
        self.pack = read_pack(self.folder, self.key)
        listings = {} if self.pack is None else self.pack.listings
        packed = [listings.get(key) for key in self.listing_keys]
        self.unchanged = packed if self._all_unchanged(packed) else [
            self._unchanged(target, listing) for target, listing in zip(targets, packed)]
        self.answered = 0  # targets whose findings came from the pack

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
        """The stored findings of target ``index`` when it is unchanged; None (a miss) otherwise,
        or when its entry in the pack does not decode."""
        listing = self.unchanged[index]
        if listing is None:
            return None
        found = self._decoded(index, listing)
        if found is None:  # not to be packed again: the target's own entry, or its lint, replaces it
            self.unchanged[index] = None
        else:
            self.answered += 1
        return found

    def _decoded(self, index: int, listing: Listing) -> list[Finding] | None:
        document = self.cache.parsed(listing.entry, self.listing_keys[index])
        if document is None or document.get("state") != listing.state:
            return None
        return self.cache.findings(document, self.targets[index].path)

    def report(self, parts: Sequence[str]) -> StoredReport | None:
        """The report stored for ``parts`` (what, besides the findings, the report depends on)
        when every target is unchanged."""
        if self.pack is None or None in self.unchanged:
            return None
        return self.pack.reports.get(self._report_key(parts, self.unchanged))

    def _report_key(self, parts: Sequence[str], listings: Sequence[Listing | None]) -> str:
        digest = hashlib.sha256(f"report\0{self.key}\0".encode())
        for listing in listings:
            assert listing is not None
            digest.update(listing.state.encode("ascii", "replace") + b"\0")
        for part in parts:
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
        return digest.hexdigest()

    def save(self, findings: list[Finding], kept: Callable[[list[Finding]], list[Finding]],
             parts: Sequence[str] | None, text: str) -> None:
        """Write the pack back when it is new or changed: every target's listing (from the pack,
        or from its own entry, which a lint has just written), and with ``parts`` the report
        ``text`` made from ``findings`` (``kept`` gives what a target's stored findings show)."""
        listings = [listing or self._entry_listing(index) for index, listing in enumerate(self.unchanged)]
        reports = {} if self.pack is None else dict(self.pack.reports)
        if parts is not None and None not in listings:
            key = self._report_key(parts, listings)
            if key not in reports and (self.answered == len(self.targets) or self._same_findings(findings, kept, listings)):
                severity = max((int(finding.severity) for finding in findings), default=-1)
                # The newest first; older ones (for other formats, or states gone by) make room.
                reports = dict([(key, StoredReport(text, severity)), *list(reports.items())[:MAX_REPORTS - 1]])
        packed = {key: listing for key, listing in zip(self.listing_keys, listings) if listing is not None}
        if not packed:
            return
        if self.pack is not None and packed == self.pack.listings and reports == self.pack.reports:
            if self.pack.states is not None or None in listings:
                return  # nothing new
            # The same listings, now all settled: their one digest is new.
            states = self._states(listings)
            if states is not None:
                write_pack(self.folder, self.key, Pack(packed, reports, states))
            return
        write_pack(self.folder, self.key, Pack(packed, reports, self._states(listings)))

    def _states(self, listings: list[Listing | None]) -> str | None:
        """The digest of every target's states, when each is in the state of its listing."""
        if None in listings:
            return None
        names = [listing.names for listing in listings if listing is not None]
        restated = restated_all(self.key, self.cache.run, self.targets, names)
        if restated is None:
            return None
        whole, keys = restated
        return whole if keys == [listing.state for listing in listings if listing is not None] else None

    def _entry_listing(self, index: int) -> Listing | None:
        """Target ``index``'s own listing entry as a pack holds it, when the target is in the
        state the entry was stored for."""
        key = self.listing_keys[index]
        data = self.cache.read_bytes(key)
        document = None if data is None else self.cache.parsed(data, key)
        if data is None or document is None:
            return None
        names, state = document.get("names"), document.get("state")
        if type(state) is not str or restated(self.targets[index], self.cache.run, names) != state:
            return None
        assert type(names) is list  # restated gives None for anything else
        return Listing(state, names, data)

    def _same_findings(self, findings: list[Finding], kept: Callable[[list[Finding]], list[Finding]],
                       listings: Sequence[Listing | None]) -> bool:
        """Whether the pack's entries give exactly ``findings`` (a report's, sorted)."""
        stored: list[Finding] = []
        for index, listing in enumerate(listings):
            assert listing is not None
            found = self._decoded(index, listing)
            if found is None:
                return False
            stored.extend(kept(found))
        stored.sort(key=_sort_key)
        return stored == findings


def _sort_key(finding: Finding) -> tuple:
    return finding.sort_key
