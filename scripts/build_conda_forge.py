#!/usr/bin/env python3
"""Build what modellint knows of the conda-forge channel, from two of conda-forge's git repositories
(read with git alone: nothing is checked out):

- ``--python-feedstock`` (github.com/conda-forge/python-feedstock): every commit of every branch
  (``refs/heads/*``: ``main``, ``3.6`` ... ``3.13``, ``pre-3.8``, ``historic``...; not the
  ``refs/pull/*`` heads of unmerged pull requests) that touches ``recipe/meta.yaml``. A branch's
  commits are what conda-forge's CI built and uploaded, so the package version each one's recipe
  renders is a version the channel serves. The recipe sets it as ``{% set version = "3.8.10" %}``,
  through ``base_version`` (the late 3.7 builds) or per component (``version_major``...), with
  ``{{ dev }}`` for pre-releases; only final versions are kept (pre-releases go to the
  ``python_rc`` label, not the main channel). Writes
  ``modellint/analyzer/knowledge/conda_forge_python.tsv``.
- ``--feedstock-outputs`` (github.com/conda-forge/feedstock-outputs): ``outputs/**/<name>.json``
  at HEAD, one file per package name the channel publishes (every upload must be registered
  there since 2020). Writes ``conda_forge_names.gcs``, a Golomb-coded set (the format of
  modellint/analyzer/knowledge/pypi_names.py; conda names are kept as they are: ``mkl_fft`` and
  ``mkl-fft`` are different packages).

Each file's header records the repository, commit and commit date it was read at. The same
commits give the same bytes.

Usage: python scripts/build_conda_forge.py --python-feedstock GITDIR --feedstock-outputs GITDIR
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from packaging.version import InvalidVersion, Version  # noqa: E402

from modellint.analyzer.knowledge.conda_forge import NAMES_FILE, PYTHON_FILE, CondaForgePython  # noqa: E402
from modellint.analyzer.knowledge.pypi_names import write_checked  # noqa: E402

RECIPE = "recipe/meta.yaml"
_SET = re.compile(r"{%-?\s*set\s+(\w+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|(\w+))\s*-?%}")
_PACKAGE_VERSION = re.compile(r"^package:\s*\n(?:[ \t]+.*\n|\s*\n)*?[ \t]+version:\s*['\"]?([^'\"\n#]+)", re.MULTILINE)
_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
_OUTPUT = re.compile(r"^outputs/(?:[^/]+/)+([^/]+)\.json$")


def git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=True).stdout


def commit_stamp(repo: Path, rev: str) -> tuple[str, str]:
    """The full commit id of ``rev`` and its commit date (UTC, ISO)."""
    commit, stamp = git(repo, "log", "-1", "--format=%H %ct", rev).decode().split()
    return commit, dt.datetime.fromtimestamp(int(stamp), dt.timezone.utc).date().isoformat()


def rendered_version(recipe: str) -> str | None:
    """The package version ``recipe`` renders (its plain ``set`` variables substituted), or None
    when it renders something else than a plain version."""
    values: dict[str, str] = {}
    for name, double, single, other in _SET.findall(recipe):
        if other:
            if other in values:
                values.setdefault(name, values[other])
        else:
            values.setdefault(name, double or single)
    match = _PACKAGE_VERSION.search(recipe)
    if match is None:
        return None
    text = _VARIABLE.sub(lambda variable: values.get(variable.group(1), "{{?}}"), match.group(1).strip())
    return None if "{" in text else text


def final_version(text: str | None) -> str | None:
    try:
        version = Version(text or "")
    except InvalidVersion:
        return None
    return str(version) if not (version.is_prerelease or version.is_devrelease or version.local) else None


def python_versions(repo: Path) -> list[str]:
    """Every final version a branch's ``recipe/meta.yaml`` rendered, oldest first."""
    commits = git(repo, "log", "--branches", "--format=%H", "--", RECIPE).decode().split()
    batch = git(repo, "cat-file", "--batch", data="".join(f"{commit}:{RECIPE}\n" for commit in commits).encode())
    found: set[str] = set()
    position = 0
    while position < len(batch):
        header_end = batch.index(b"\n", position)
        header = batch[position:header_end].split()
        if header[-1] == b"missing":
            position = header_end + 1
            continue
        size = int(header[2])
        recipe = batch[header_end + 1:header_end + 1 + size].decode("utf-8", "replace")
        position = header_end + 1 + size + 1
        version = final_version(rendered_version(recipe))
        if version is not None:
            found.add(version)
    return sorted(found, key=Version)


def output_names(repo: Path) -> list[str]:
    listing = git(repo, "ls-tree", "-r", "--name-only", "HEAD", "--", "outputs").decode().splitlines()
    return sorted({match.group(1) for path in listing if (match := _OUTPUT.match(path))})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python-feedstock", type=Path, required=True)
    parser.add_argument("--feedstock-outputs", type=Path, required=True)
    args = parser.parse_args()

    versions = python_versions(args.python_feedstock)
    commit, date = commit_stamp(args.python_feedstock, "HEAD")
    header = {"source": "github.com/conda-forge/python-feedstock, recipe/meta.yaml on every branch "
                        "(scripts/build_conda_forge.py)", "commit": commit, "date": date, "count": len(versions)}
    PYTHON_FILE.write_text(json.dumps(header, sort_keys=True) + "\n" + "".join(f"{v}\n" for v in versions))
    stored = CondaForgePython(PYTHON_FILE)
    print(f"{PYTHON_FILE.name}: {len(stored.versions)} versions, {stored.versions[0]} to {stored.versions[-1]}, "
          f"at {commit[:10]} ({date})")

    names = output_names(args.feedstock_outputs)
    commit, date = commit_stamp(args.feedstock_outputs, "HEAD")
    built = write_checked(NAMES_FILE, names, 10, 64, {"snapshot": date, "commit": commit,
                                                      "source": "github.com/conda-forge/feedstock-outputs, outputs/ "
                                                                "(scripts/build_conda_forge.py)"})
    print(f"{NAMES_FILE.name}: {len(names):,} names at {commit[:10]} ({date}), {len(built):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
