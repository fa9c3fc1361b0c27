#!/usr/bin/env python3
"""Build modellint/analyzer/knowledge/release_modules.dat: which modules each recorded release of a
distribution installs, for the modules that some recorded releases install and others do not.

A pickle of scikit-learn 0.22 names ``sklearn.ensemble.forest``; scikit-learn 0.24 removed that
module (``sklearn.ensemble._forest`` stayed), so unpickling under a pinned ``scikit-learn==1.9.1``
fails with "No module named 'sklearn.ensemble.forest'", although scikit-learn provides ``sklearn``.
The top-level layout of ``release_requires.dat`` cannot tell; the file lists of the same wheels can.

Which distributions: those whose modules are their files (``STATIC_LAYOUTS`` in the module that
reads the data, where the reason is). Input: the wheels ``scripts/build_release_requires.py`` read (its cache, default
/tmp/release-requires-cache, whose entries keep each wheel's file names), for the releases
``release_requires.dat`` records. Offline: nothing is fetched; a release whose wheel is not in
the cache is left out of its distribution's list. A module is any ``.py`` file, extension module
or package directory below site-packages, and every package above it, except libraries' own test
suites (``pandas.tests``, ``sklearn.utils.tests``: a third of the data, and nothing a model loads). Modules every recorded
release installs, and names no release installs, are not written: only what differs between
releases can tell a pinned release apart.

The output format is described in modellint/analyzer/knowledge/release_modules.py, which reads it.

Usage: python scripts/build_release_modules.py [--cache DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
from build_knowledge import Cache, choose_file  # noqa: E402

from modellint.analyzer.knowledge.block_file import encode_block_file  # noqa: E402
from modellint.analyzer.knowledge.layout import importable_path  # noqa: E402
from modellint.analyzer.knowledge.release_modules import DATA_FILE, FORMAT, STATIC_LAYOUTS, encode_block  # noqa: E402
from modellint.analyzer.knowledge.release_requires import release_requires  # noqa: E402

# A module file below site-packages: a.py, a/__init__.py, a.cpython-311-x86_64-linux-gnu.so, a.pyd...
_TEST_PACKAGES = frozenset({"tests", "test"})
_MODULE_FILE = re.compile(r"^((?:[A-Za-z_]\w*/)*[A-Za-z_]\w*)(?:\.py|\.pyc|\.pyd|\.so|\.[^/]+\.(?:so|pyd))$")


def wheel_modules(files: list[list]) -> frozenset[str]:
    """The dotted modules a wheel's file list installs (packages above each module included)."""
    modules: set[str] = set()
    for name, _size in files:
        path = importable_path(name)
        match = _MODULE_FILE.match(path) if path is not None else None
        if match is None:
            continue
        parts = match.group(1).split("/")
        if parts[-1] == "__init__":
            parts.pop()
        if _TEST_PACKAGES.intersection(parts):
            continue  # a library's own test suite: no model imports it, and it is most of the churn
        for depth in range(1, len(parts) + 1):
            modules.add(".".join(parts[:depth]))
    return frozenset(modules)


def distribution_releases(cache: Cache, name: str, versions: list[str]) -> dict[str, frozenset[str]]:
    """Version -> the modules its chosen wheel installs, for the versions whose wheel the cache holds."""
    listed = cache.get("release-files", name) or {}
    found: dict[str, frozenset[str]] = {}
    for version in versions:
        chosen = choose_file(listed.get(version, []))
        if chosen is None or not chosen["filename"].endswith(".whl"):
            continue
        facts = cache.get("wheel", chosen["filename"])
        if facts is not None and facts.get("files"):
            found[version] = wheel_modules(facts["files"])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/release-requires-cache"))
    parser.add_argument("--output", type=Path, default=DATA_FILE)
    args = parser.parse_args(argv)
    started = time.monotonic()
    cache = Cache(args.cache)
    data = release_requires()
    blocks: dict[str, str] = {}
    releases = modules = 0
    for name in sorted(STATIC_LAYOUTS):
        recorded = data.get(name)
        if recorded is None:
            continue
        versions = list(recorded.versions)  # oldest first, as recorded
        found = distribution_releases(cache, name, versions)
        if len(found) < 2:
            continue  # nothing to tell apart
        block = encode_block(found)
        if block is None:
            continue
        blocks[name] = block
        releases += len(found)
        modules += block.count("\n")
    header = {"format": FORMAT, "snapshot_date": data.snapshot_date, "distributions": len(blocks),
              "releases": releases, "source": "wheel file lists of release_requires.dat's releases "
                                              "(scripts/build_release_modules.py)"}
    args.output.write_bytes(encode_block_file(header, blocks))
    print(f"{len(blocks)} distributions, {releases} releases, {modules} changing modules, "
          f"{args.output.stat().st_size:,} bytes -> {args.output} in {time.monotonic() - started:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
