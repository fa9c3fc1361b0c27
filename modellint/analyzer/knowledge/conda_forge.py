"""What the conda-forge channel serves, from conda-forge's own repositories (built by
``scripts/build_conda_forge.py``; no conda channel is asked at run time):

- ``conda_forge_python.tsv``: every final CPython version conda-forge built, one a line, after a
  JSON header line naming the source (``conda-forge/python-feedstock``: the ``version`` its
  ``recipe/meta.yaml`` sets on any branch, in the branch's history) and the snapshot's commit
  and date;
- ``conda_forge_names.gcs``: every package name conda-forge publishes (the output names its
  ``feedstock-outputs`` registry lists), as a Golomb-coded set in the format of
  :mod:`~modellint.analyzer.knowledge.pypi_names`: a name that is not there is taken as present
  about once in 1000 times, which only misses a finding.

The registry started in 2020: names conda-forge served only before then and never since, and
the MSYS2 packages copied into the channel from Anaconda's ``msys2`` channel (``m2w64-*``,
``m2-*``, ``msys2-*``), are not listed; :func:`judged_name` says which names the set can judge.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modellint.analyzer.knowledge.pypi_names import PypiNames

PYTHON_FILE = Path(__file__).with_name("conda_forge_python.tsv")
NAMES_FILE = Path(__file__).with_name("conda_forge_names.gcs")
_MAX_HEADER_BYTES = 4096
# Windows packages the channel got from Anaconda's msys2 channel, outside the output registry.
_UNREGISTERED_PREFIXES = ("m2w64-", "m2-", "msys2-")


class CondaForgePython:
    """The CPython versions conda-forge built (``3.8.10``), oldest first."""

    def __init__(self, path: Path) -> None:
        with path.open(encoding="utf-8") as handle:
            self.header = json.loads(handle.readline(_MAX_HEADER_BYTES))
            self.versions = tuple(line.strip() for line in handle if line.strip())

    @property
    def snapshot_date(self) -> str:
        return str(self.header["date"])


def _header(path: Path) -> dict:
    with path.open("rb") as handle:
        return dict(json.loads(handle.readline(_MAX_HEADER_BYTES)))


def python_snapshot() -> str:
    """The date of the python-feedstock snapshot, from the header alone (``modellint --version``)."""
    return str(_header(PYTHON_FILE)["date"])


def names_snapshot() -> str:
    """The date of the feedstock-outputs snapshot, from the header alone."""
    return str(_header(NAMES_FILE)["snapshot"])


def judged_name(name: str) -> bool:
    """Whether the name set can say conda-forge lacks ``name`` (lower-case)."""
    return not name.startswith(_UNREGISTERED_PREFIXES)


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _python() -> CondaForgePython:
    return CondaForgePython(PYTHON_FILE)


@lru_cache(maxsize=1)
def _names() -> PypiNames:
    from modellint.analyzer.knowledge.pypi_names import PypiNames

    return PypiNames(NAMES_FILE)


def conda_forge_python() -> CondaForgePython:
    """The built Python versions, read on first use."""
    with _lock:
        return _python()


def conda_forge_names() -> PypiNames:
    """The published package names, read on first use (``name in conda_forge_names()``)."""
    with _lock:
        return _names()
