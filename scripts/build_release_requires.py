#!/usr/bin/env python3
"""Build the per-release Requires-Dist and module layout data
(modellint/analyzer/knowledge/release_requires.dat) from PyPI's wheels.

The knowledge base (kb.tsv) knows one release of each distribution, the newest; a model pins
older ones, whose dependencies and modules were often different (``langchain==0.1.20`` still
required langchain-community; setuptools stopped shipping ``pkg_resources``). This records them
for the distributions models pin most.

Which distributions: every distribution a requirement names in the real models (``--models``) and
in ``corpus/``, the ML seeds of scripts/build_knowledge.py and the ``--top`` most downloaded ones.
Which releases of each: every version a real or corpus model pins, and the first and last final
release of each ``major.minor`` series: the ``--series`` newest series (default 12), the
``--ml-series`` newest for the ML seeds (default 30). Reading every series of every distribution
(22,500 releases: sagemaker and setuptools have over 240 series each) took about an hour.

Per distribution one ``GET /pypi/<name>/json`` (every release's files). Per release one wheel
(scripts/build_knowledge.py's choice: py3-none-any, else cp311 manylinux x86_64, else the nearest),
read with HTTP Range requests as build_knowledge does for the newest release: the zip's central
directory (the file names: the layout, namespace-aware) and ``*.dist-info/METADATA`` (the
Requires-Dist lines, markers kept). A release without a wheel is recorded as unknown. At most 8
requests in flight; everything fetched is cached under --cache (default /tmp/release-requires-cache),
so a rerun is offline (``--offline``).

The output format is described in modellint/analyzer/knowledge/release_requires.py, which reads it.

Usage: python scripts/build_release_requires.py [--top 200] [--cache DIR] [--date YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import datetime as dt
import json
import struct
import sys
import time
import urllib.error
import urllib.parse
import zlib
from collections import Counter
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
from build_knowledge import (  # noqa: E402
    DEFAULT_TSV,
    INDEX,
    ML_SEEDS,
    SHARED_NAMESPACE_ROOTS,
    Cache,
    NotFound,
    _parse_metadata,
    _valid_requires,
    choose_file,
    http_get,
    layout_from,
    marker_table,
    read_ranks,
    wheel_facts,
)
from build_releases import DEFAULT_MODELS, pinned_requirements  # noqa: E402

from modellint.analyzer.knowledge import distributions  # noqa: E402
from modellint.analyzer.knowledge.block_file import encode_block_file  # noqa: E402
from modellint.analyzer.knowledge.release_requires import FORMAT, encode_block  # noqa: E402

OUTPUT = REPO / "modellint" / "analyzer" / "knowledge" / "release_requires.dat"
MAX_WORKERS = 8


# ---------------------------------------------------------------------------- what to read


def chosen_releases(releases: dict[str, list[dict]], pinned: set[str], series_wanted: int) -> list[str]:
    """The pinned versions that exist, and the first and last final release of each of the
    ``series_wanted`` newest series."""
    series: dict[tuple[int, ...], list[Version]] = {}
    spelled: dict[Version, str] = {}
    for text, files in releases.items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if files and not (version.is_prerelease or version.is_devrelease):
            series.setdefault(version.release[:2], []).append(version)
            spelled[version] = text
    chosen = {text for text in pinned if releases.get(text)}
    for key in sorted(series)[-series_wanted:]:
        versions = sorted(series[key])
        chosen |= {spelled[versions[0]], spelled[versions[-1]]}
    return sorted(chosen, key=_order)


def _order(text: str) -> tuple:
    try:
        return (1, Version(text))
    except InvalidVersion:
        return (0, Version("0"))


def release_files(cache: Cache, name: str, offline: bool) -> dict[str, list[dict]] | None:
    """Version -> its files (name, URL, size, type, yanked), from the cached project JSON."""
    cached = cache.get("release-files", name)
    if cached is not None or offline:
        return cached or None
    base = f"{INDEX}/pypi/{urllib.parse.quote(name)}/json"
    try:
        raw = json.loads(http_get(base))
    except NotFound:
        cache.put("release-files", name, {})
        return None
    trimmed = {
        version: [{"filename": f["filename"], "url": urllib.parse.urljoin(base, f["url"]),
                   "packagetype": f["packagetype"], "size": f.get("size") or 0,
                   # the mirror serves no PEP 658 metadata file: METADATA is read from the wheel
                   "core_metadata": False, "yanked": bool(f.get("yanked"))} for f in files]
        for version, files in raw.get("releases", {}).items()
    }
    cache.put("release-files", name, trimmed)
    return trimmed


def read_release(cache: Cache, files: list[dict], shared: frozenset[str], offline: bool) -> tuple[list[str], list[str]] | None:
    """(Requires-Dist lines, top-level layout) of one release, from its chosen wheel; None when
    it has no wheel or the wheel could not be read."""
    chosen = choose_file(files)
    if chosen is None or not chosen["filename"].endswith(".whl"):
        return None
    if offline and cache.get("wheel", chosen["filename"]) is None:
        return None
    try:
        facts = wheel_facts(cache, chosen)
    except (RuntimeError, NotFound, urllib.error.URLError, OSError, struct.error, zlib.error, ValueError) as exc:
        print(f"warning: {chosen['filename']}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
        return None
    if not facts["metadata"]:
        return None
    small = facts["small"]
    modules = layout_from(facts, lambda p: base64.b64decode(small[p]) if p in small else None, shared)
    requires = _valid_requires(_parse_metadata(facts["metadata"])["requires"])
    return requires, [m for m in modules if m not in SHARED_NAMESPACE_ROOTS]


# ---------------------------------------------------------------------------- the data file


def write(blocks: dict[str, dict[str, tuple[list[str], list[str]] | None]], output: Path, date: str) -> dict:
    texts = {}
    for name, recorded in blocks.items():
        releases = {version: recorded[version] for version in sorted(recorded, key=_order)}
        markers = marker_table(facts[0] for facts in releases.values() if facts is not None)
        texts[name] = encode_block(releases, markers)
    known = sum(1 for releases in blocks.values() for facts in releases.values() if facts is not None)
    header = {"format": FORMAT, "snapshot_date": date, "distributions": len(blocks), "releases": known,
              "source": f"{INDEX} wheels: zip directory + METADATA (scripts/build_release_requires.py)"}
    output.write_bytes(encode_block_file(header, texts))
    return header


def shared_namespaces() -> frozenset[str]:
    """Namespaces the knowledge base records other distributions installing into (see
    layout.provided_modules: a thin ``__init__.py`` there is a placeholder, not a package)."""
    kb = distributions.load()
    return frozenset(".".join(parts[:depth]) for module in kb.modules()
                     for parts in [module.split(".")] for depth in range(1, len(parts))) | SHARED_NAMESPACE_ROOTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=200)
    parser.add_argument("--series", type=int, default=12)
    parser.add_argument("--ml-series", type=int, default=30)
    parser.add_argument("--tsv", type=Path, default=DEFAULT_TSV)
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/release-requires-cache"))
    parser.add_argument("--date", default=dt.date.today().isoformat())
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--offline", action="store_true", help="use only what --cache holds")
    args = parser.parse_args(argv)
    started = time.monotonic()
    pins: dict[str, set[str]] = {}
    for requirement in pinned_requirements([args.models, REPO / "corpus"]):
        versions = pins.setdefault(canonicalize_name(requirement.name), set())
        versions |= {spec.version for spec in requirement.specifier if spec.operator in ("==", "===")}
    names = {n for n, rank in read_ranks(args.tsv).items() if rank <= args.top}
    ml = {canonicalize_name(n) for n in ML_SEEDS}
    names |= ml | set(pins)
    cache = Cache(args.cache)
    shared = shared_namespaces()
    print(f"{len(names)} distributions", file=sys.stderr, flush=True)
    with concurrent.futures.ThreadPoolExecutor(MAX_WORKERS) as pool:
        listed = dict(zip(sorted(names), pool.map(lambda n: release_files(cache, n, args.offline), sorted(names))))
        wanted = [(version not in pins.get(name, ()), name, version) for name, files in listed.items() if files
                  for version in chosen_releases(files, pins.get(name, set()),
                                                 args.ml_series if name in ml else args.series)]
        # pinned releases first: an interrupted run has cached what models need most
        jobs = {(name, version): pool.submit(read_release, cache, listed[name][version], shared, args.offline)
                for _, name, version in sorted(wanted)}
        print(f"{len(jobs)} releases to read", file=sys.stderr, flush=True)
        blocks: dict[str, dict[str, tuple[list[str], list[str]] | None]] = {}
        for done, ((name, version), future) in enumerate(jobs.items(), 1):
            blocks.setdefault(name, {})[version] = future.result()
            if done % 500 == 0:
                print(f"  {done}/{len(jobs)} in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    header = write(blocks, args.output, args.date)
    outcome = Counter(facts is not None for releases in blocks.values() for facts in releases.values())
    print(f"{header['distributions']} distributions, {outcome[True]} releases read, {outcome[False]} unknown "
          f"(no wheel or unreadable), {args.output.stat().st_size} bytes -> {args.output} "
          f"in {time.monotonic() - started:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
