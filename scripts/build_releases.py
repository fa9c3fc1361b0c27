#!/usr/bin/env python3
"""Build modellint's per-release data (modellint/analyzer/knowledge/releases.dat) from PyPI.

Which distributions: every distribution a requirement names in the real models
(``--models``, default ../shared/real-models) and in ``corpus/`` (requirements.txt and conda
``pip:`` lists), the ``--top`` most downloaded ones of the PyPI package list (default the
workplace's pypi.tsv), the ML seeds of scripts/build_knowledge.py, and the dependency closure of
all of these as the knowledge base (kb.tsv) records it. Only those names are looked up.

Per distribution one ``GET /pypi/<name>/json`` (at most 8 in flight, retries with backoff); its
``releases`` dict lists every file of every release. Per release the data keeps the version,
whether it is yanked (every file yanked) and why, its Requires-Python (when every file declares
the same one), whether it has an sdist, and its wheels' tags summarised as groups
``<pythons>:<platforms>``:

  pythons    ``311`` (cp311, its own ABI), ``a38`` (cp38-abi3: CPython 3.8 and later), ``p3``
             (a py3/py2.py3 wheel), ``p2`` (Python 2 only); PyPy, GraalPy and free-threaded
             builds are left out: no serving image runs them
  platforms  L/l manylinux x86_64/aarch64, M/m musllinux x86_64/aarch64, X/A macOS
             x86_64/arm64 (universal2 is both), W Windows amd64, w other Windows, N any (pure),
             O anything else (i686, ppc64le, s390x, armv7l, ...)

The summaries are cached under --cache (default /tmp/releases-cache), so a rerun is offline.
The output format is described in modellint/analyzer/knowledge/releases.py, which reads it; the
same inputs give the same bytes except for the recorded snapshot date.

Usage: python scripts/build_releases.py [--top 1500] [--cache DIR] [--date YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import gzip
import json
import re
import sys
import urllib.parse
from collections import Counter
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
from build_knowledge import DEFAULT_TSV, INDEX, ML_SEEDS, NotFound, http_get, read_ranks  # noqa: E402

from modellint.analyzer.knowledge import distributions  # noqa: E402
from modellint.analyzer.knowledge.block_file import encode_block_file  # noqa: E402
from modellint.analyzer.knowledge.releases import FORMAT, encode_file  # noqa: E402

OUTPUT = REPO / "modellint" / "analyzer" / "knowledge" / "releases.dat"
DEFAULT_MODELS = REPO.parent / "shared" / "real-models"
MAX_WORKERS = 8
_WHEEL = re.compile(r"^(?P<rest>.+)-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<platform>[^-]+)\.whl$")


# ---------------------------------------------------------------------------- which distributions


def pinned_names(roots: list[Path]) -> set[str]:
    """Every distribution a requirements.txt or conda ``pip:`` list under ``roots`` names."""
    return {canonicalize_name(requirement.name) for requirement in pinned_requirements(roots)}


def pinned_requirements(roots: list[Path]) -> list[Requirement]:
    """Every requirement of a requirements.txt or conda ``pip:`` list under ``roots``."""
    found: list[Requirement] = []
    for root in roots:
        for path in sorted(root.rglob("requirements.txt")):
            found += _requirements(path.read_text(encoding="utf-8", errors="replace").splitlines())
        for path in sorted(root.rglob("conda.yaml")):
            try:
                conda = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
            except yaml.YAMLError:
                continue
            for entry in (conda or {}).get("dependencies") or [] if isinstance(conda, dict) else []:
                if isinstance(entry, dict) and isinstance(entry.get("pip"), list):
                    found += _requirements(str(line) for line in entry["pip"])
    return found


def _requirements(lines) -> list[Requirement]:
    found = []
    for line in lines:
        text = line.split(" #")[0].strip()
        if not text or text.startswith(("#", "-")):
            continue
        try:
            found.append(Requirement(text))
        except InvalidRequirement:
            continue
    return found


def closure(seeds: set[str]) -> set[str]:
    """``seeds`` and every distribution the knowledge base says they require (extras too)."""
    kb = distributions.load()
    found, queue = set(seeds), list(seeds)
    while queue:
        name = queue.pop()
        if not kb.is_known(name):
            continue
        for dependency in kb.dependencies(name, kb.extras(name)):
            if dependency not in found:
                found.add(dependency)
                queue.append(dependency)
    return found


# ---------------------------------------------------------------------------- one distribution


def wheel_groups(filename: str) -> dict[str, set[str]]:
    """Python class -> platform classes of one wheel file name (see the module docstring)."""
    match = _WHEEL.match(filename)
    if match is None:
        return {}
    abis = match["abi"].split(".")
    platforms = set().union(*(_platform_class(tag) for tag in match["platform"].split(".")))
    groups: dict[str, set[str]] = {}
    for python in match["python"].split("."):
        for abi in abis:
            cls = _python_class(python, abi)
            if cls is not None:
                groups.setdefault(cls, set()).update(platforms)
    return groups


def _python_class(python: str, abi: str) -> str | None:
    if abi.endswith("t") and abi.startswith("cp"):
        return None  # free-threaded build
    cp = re.fullmatch(r"cp(\d)(\d+)", python)
    if cp is not None:
        return ("a" if abi == "abi3" else "") + cp[1] + cp[2]
    py = re.fullmatch(r"py(\d)(\d*)", python)
    if py is not None:
        return "p3" if py[1] == "3" else "p2" if py[1] == "2" else None
    return None


def _platform_class(tag: str) -> set[str]:
    if tag == "any":
        return {"N"}
    for prefix, x86, arm in (("manylinux", "L", "l"), ("musllinux", "M", "m")):
        if tag.startswith(prefix):
            return {x86} if tag.endswith("_x86_64") else {arm} if tag.endswith("_aarch64") else {"O"}
    if tag.startswith("macosx"):
        if tag.endswith("universal2"):
            return {"X", "A"}
        if tag.endswith("_arm64"):
            return {"A"}
        return {"X"} if tag.endswith(("_x86_64", "_intel", "_universal", "_fat64", "_fat3")) else {"O"}
    if tag == "win_amd64":
        return {"W"}
    return {"w"} if tag.startswith("win") else {"O"}


def summarise(files: list[dict]) -> dict:
    """The facts of one release from its files."""
    groups: dict[str, set[str]] = {}
    sdist = False
    for file in files:
        if file.get("packagetype") == "sdist":
            sdist = True
        elif file.get("filename", "").endswith(".whl"):
            for cls, platforms in wheel_groups(file["filename"]).items():
                groups.setdefault(cls, set()).update(platforms)
    requires = {(file.get("requires_python") or "").strip() for file in files}
    yanked = bool(files) and all(file.get("yanked") for file in files)
    reason = next((file.get("yanked_reason") or "" for file in files if file.get("yanked")), "")
    return {"sdist": sdist, "wheels": {cls: "".join(sorted(p)) for cls, p in groups.items()},
            "requires_python": requires.pop() if len(requires) == 1 else "",
            "yanked": yanked, "yanked_reason": " ".join(reason.split()) if yanked else "", "files": len(files)}


def fetch(cache: Path, name: str, offline: bool = False) -> dict | None:
    path = cache / f"{name}.json.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh) or None
    if offline:
        return None
    try:
        raw = json.loads(http_get(f"{INDEX}/pypi/{urllib.parse.quote(name)}/json"))
        summary = {"name": canonicalize_name(raw["info"]["name"]),
                   "releases": {version: summarise(files) for version, files in raw.get("releases", {}).items()}}
    except NotFound:
        summary = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as fh:
        json.dump(summary, fh)
    tmp.replace(path)
    return summary or None


def _version_key(text: str) -> tuple:
    try:
        return (1, Version(text), text)
    except InvalidVersion:
        return (0, Version("0"), text)


# ---------------------------------------------------------------------------- the data file


def block(summary: dict) -> str:
    """One distribution's lines, as releases.py parses them."""
    lines = []
    for version in sorted(summary["releases"], key=_version_key):
        release = summary["releases"][version]
        files = encode_file(release["sdist"], release["wheels"]) if release["files"] else "-"
        yanked = "!" + release["yanked_reason"].replace("\t", " ") if release["yanked"] else ""
        lines.append(f"{version}\t{files}\t{release['requires_python']}\t{yanked}")
    return "\n".join(lines)


def write(summaries: dict[str, dict], output: Path, date: str) -> dict:
    releases = sum(len(s["releases"]) for s in summaries.values())
    header = {"format": FORMAT, "snapshot_date": date, "distributions": len(summaries), "releases": releases,
              "source": f"{INDEX}/pypi/<name>/json (scripts/build_releases.py)"}
    output.write_bytes(encode_block_file(header, {name: block(summary) for name, summary in summaries.items()}))
    return header


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=1500)
    parser.add_argument("--tsv", type=Path, default=DEFAULT_TSV)
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/releases-cache"))
    parser.add_argument("--date", default=dt.date.today().isoformat())
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--offline", action="store_true", help="use only what --cache holds")
    args = parser.parse_args(argv)
    ranks = read_ranks(args.tsv)
    seeds = {n for n, rank in ranks.items() if rank <= args.top}
    seeds |= {canonicalize_name(n) for n in ML_SEEDS}
    seeds |= pinned_names([args.models, REPO / "corpus"])
    names = sorted(closure(seeds))
    print(f"{len(names)} distributions to look up", file=sys.stderr)
    summaries: dict[str, dict] = {}
    with concurrent.futures.ThreadPoolExecutor(MAX_WORKERS) as pool:
        for name, summary in zip(names, pool.map(lambda n: fetch(args.cache, n, args.offline), names)):
            if summary is not None and summary["releases"]:
                summaries[name] = summary
    header = write(summaries, args.output, args.date)
    counts = Counter(bool(r["yanked"]) for s in summaries.values() for r in s["releases"].values())
    print(f"{header['distributions']} distributions, {header['releases']} releases ({counts[True]} yanked), "
          f"{args.output.stat().st_size} bytes -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
