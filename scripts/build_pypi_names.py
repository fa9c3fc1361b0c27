#!/usr/bin/env python3
"""Build modellint/analyzer/knowledge/pypi_names.gcs: every PyPI project name, as a Golomb-coded set.

Input: a list of every PyPI project (default the workplace's pypi.tsv: a header line, then
``name<TAB>version<TAB>month<TAB>...`` per project, names PEP 503-normalised), read whole; the
snapshot recorded is the newest release month it lists. The format and its false-positive rate
are described in modellint/analyzer/knowledge/pypi_names.py, which reads it. The same input gives
the same bytes.

``--compare`` also prints what the alternatives would take, the numbers the module's docstring
quotes.

Usage: python scripts/build_pypi_names.py [--tsv PATH] [--rice-bits 10] [--block 64] [--compare]
"""

from __future__ import annotations

import argparse
import re
import sys
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
from build_knowledge import DEFAULT_TSV  # noqa: E402

from modellint.analyzer.knowledge.pypi_names import DATA_FILE, write_checked  # noqa: E402

_MONTH = re.compile(r"^\d{4}-\d\d$")
_SEPARATORS = re.compile(r"[-_.]+")


def read_names(tsv: Path) -> tuple[list[str], str]:
    """The normalised names of ``tsv`` and its newest release month."""
    names: list[str] = []
    newest = ""
    with tsv.open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if not fields[0]:
                continue
            names.append(_SEPARATORS.sub("-", fields[0]).lower())
            if len(fields) > 2 and _MONTH.match(fields[2]):
                newest = max(newest, fields[2])
    return names, newest


def compare(names: list[str], built: bytes) -> None:
    text = "\n".join(sorted(set(names))).encode()
    print(f"  sorted names: {len(text):,} B, zlib -9: {len(zlib.compress(text, 9)):,} B")
    print(f"  sorted 32-bit hashes: {4 * len(set(names)):,} B")
    bloom_bits = int(len(set(names)) * 14.38)  # 1/1000 false positives, 10 hash functions
    print(f"  Bloom filter at 1/1000: {bloom_bits // 8:,} B")
    print(f"  this Golomb-coded set: {len(built):,} B")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tsv", type=Path, default=DEFAULT_TSV)
    parser.add_argument("--rice-bits", type=int, default=10)
    parser.add_argument("--block", type=int, default=64)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    names, newest = read_names(args.tsv)
    built = write_checked(DATA_FILE, names, args.rice_bits, args.block,
                          {"snapshot": newest, "source": "PyPI's project list (scripts/build_pypi_names.py)"})
    print(f"{DATA_FILE.name}: {len(set(names)):,} names up to {newest}, {len(built):,} bytes")
    if args.compare:
        compare(names, built)
    return 0


if __name__ == "__main__":
    sys.exit(main())
