#!/usr/bin/env python3
"""Build modellint/analyzer/knowledge/advisories.dat from the PyPA advisory database.

PyPI's own vulnerability data is the PyPA advisory database (github.com/pypa/advisory-database:
one OSV-format YAML file per advisory, ``vulns/<project>/PYSEC-....yaml``). This script reads a
clone of it (``--repo``, a git directory: nothing is checked out) at ``--commit`` (default HEAD)
and keeps, for every PyPI distribution an advisory names (all of them: the whole database is a few
thousand files), each advisory that is not withdrawn:

  id         PYSEC-2022-28
  aliases    CVE and GHSA ids, sorted
  ranges     the ECOSYSTEM ranges' events, ``i<version>`` (introduced), ``f<version>`` (fixed),
             ``l<version>`` (last_affected), in the advisory's order; a range with a version PEP 440
             cannot read is left out (nothing could compare a pin with it)
  versions   the explicit ``versions`` the ranges do not already cover (OSV: a release is affected
             when it is listed or inside a range; most lists only spell out the ranges)
  summary    the advisory's summary, else the first sentence of its details, at most 160 characters

The snapshot date recorded is the commit's date. The file's layout (a JSON header line, a sorted
``name<TAB>offset<TAB>length`` index, one zlib block per distribution) is described in
modellint/analyzer/knowledge/advisories.py, which reads it. The same commit gives the same bytes.

Usage: python scripts/build_advisories.py --repo PATH [--commit REV]
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import re
import subprocess
import sys
from pathlib import Path

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from modellint.analyzer.knowledge.advisories import DATA_FILE, FORMAT, SUMMARY_LIMIT, affected_by_ranges  # noqa: E402
from modellint.analyzer.knowledge.block_file import encode_block_file  # noqa: E402

_EVENT_PREFIX = {"introduced": "i", "fixed": "f", "last_affected": "l"}
_FIELD_CLEAN = re.compile(r"[\t\n\r|]+")


def git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=True).stdout


def read_advisories(repo: Path, commit: str) -> list[dict]:
    """Every advisory YAML under ``vulns/`` at ``commit``, parsed."""
    listing = git(repo, "ls-tree", "-r", commit, "--", "vulns").decode().splitlines()
    blobs = [line.split()[2] for line in listing if line.endswith(".yaml")]
    batch = git(repo, "cat-file", "--batch", data="\n".join(blobs).encode() + b"\n")
    documents, position = [], 0
    while position < len(batch):
        header_end = batch.index(b"\n", position)
        size = int(batch[position:header_end].split()[2])
        documents.append(yaml.safe_load(batch[header_end + 1:header_end + 1 + size]))
        position = header_end + 1 + size + 1
    return documents


def one_line(document: dict) -> str:
    text = document.get("summary") or document.get("details") or ""
    text = " ".join(html.unescape(str(text)).split())
    sentence = re.split(r"(?<=[a-z0-9)])\. ", text, maxsplit=1)[0].rstrip(".")
    if len(sentence) > SUMMARY_LIMIT:
        sentence = sentence[:SUMMARY_LIMIT].rsplit(" ", 1)[0] + " ..."
    return _FIELD_CLEAN.sub(" ", sentence)


def ranges_of(affected: dict) -> list[list[tuple[str, str]]]:
    kept = []
    for entry in affected.get("ranges") or []:
        if entry.get("type") != "ECOSYSTEM":
            continue
        events = []
        for event in entry.get("events") or []:
            for kind, version in event.items():
                if kind in _EVENT_PREFIX:
                    events.append((_EVENT_PREFIX[kind], str(version)))
        try:
            for _, version in events:
                Version(version)
        except InvalidVersion:
            continue
        if events:
            kept.append(events)
    return kept


def lines_by_distribution(documents: list[dict]) -> tuple[dict[str, list[str]], int]:
    by_name: dict[str, list[str]] = {}
    withdrawn = 0
    for document in documents:
        if document.get("withdrawn"):
            withdrawn += 1
            continue
        aliases = ",".join(sorted(str(alias) for alias in document.get("aliases") or []))
        for affected in document.get("affected") or []:
            package = affected.get("package") or {}
            if package.get("ecosystem") != "PyPI" or not package.get("name"):
                continue
            ranges = ranges_of(affected)
            extra = []
            for version in affected.get("versions") or []:
                try:
                    parsed = Version(str(version))
                except InvalidVersion:
                    continue
                if not affected_by_ranges(parsed, ranges):
                    extra.append(str(version))
            if not ranges and not extra:
                continue
            encoded_ranges = "|".join(" ".join(kind + version for kind, version in events) for events in ranges)
            by_name.setdefault(canonicalize_name(package["name"]), []).append(
                "\t".join((document["id"], aliases, encoded_ranges, " ".join(extra), one_line(document))))
    return by_name, withdrawn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, required=True, help="a clone (or bare git dir) of pypa/advisory-database")
    parser.add_argument("--commit", default="HEAD")
    args = parser.parse_args()
    commit = git(args.repo, "rev-parse", args.commit).decode().strip()
    stamp = int(git(args.repo, "show", "-s", "--format=%ct", commit).decode().strip())
    snapshot = dt.datetime.fromtimestamp(stamp, dt.timezone.utc).date().isoformat()
    by_name, withdrawn = lines_by_distribution(read_advisories(args.repo, commit))
    header = {"format": FORMAT, "snapshot_date": snapshot, "commit": commit,
              "source": "https://github.com/pypa/advisory-database (scripts/build_advisories.py)",
              "distributions": len(by_name), "advisories": sum(len(lines) for lines in by_name.values())}
    DATA_FILE.write_bytes(encode_block_file(header, {name: "\n".join(sorted(lines)) for name, lines in by_name.items()}))
    print(f"{DATA_FILE.name}: {header['advisories']} advisories of {header['distributions']} distributions "
          f"({withdrawn} withdrawn left out), snapshot {snapshot}, {DATA_FILE.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
