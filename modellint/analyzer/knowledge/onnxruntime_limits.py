"""The newest ONNX format versions each onnxruntime release series loads (``onnxruntime_limits.tsv``).

onnxruntime refuses a model stamped with an ``ir_version`` or an operator set version newer than
the release knows ("Unsupported model IR version: 10, max supported IR version: 9"; "Opset 21 is
under development and support for this is limited ... Current official support for domain ai.onnx
is till opset 20"): the session is never created, so ``mlflow.pyfunc.load_model`` fails. The rows
are measured by ``scripts/measure_onnxruntime_limits.py`` (probe models loaded by each release from
1.15 on), or, for the older series, taken from onnxruntime's compatibility table, where only the
default-domain opset is known (a ``None`` limit is never judged).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modellint.record import Record

DATA_FILE = Path(__file__).with_name("onnxruntime_limits.tsv")

# Distributions that ship onnxruntime's core under their own name, versioned with it.
ONNXRUNTIME_DISTRIBUTIONS = frozenset({"onnxruntime", "onnxruntime-gpu"})


class SeriesLimits(Record):
    """What release series ``series`` (``(1, 17)``) loads: the newest ``ir_version`` and the newest
    version of each operator set domain it knows (``ai.onnx``, ``ai.onnx.ml``); ``release`` is the
    release that was measured (None for a documented row)."""

    __slots__ = ("series", "ir_version", "opsets", "release")

    def __init__(self, series: tuple[int, int], ir_version: int | None, opsets: tuple[tuple[str, int], ...],
                 release: str | None) -> None:
        self.series = series
        self.ir_version = ir_version
        self.opsets = opsets
        self.release = release

    def refusal(self, ir_version: int | None, opsets: tuple[tuple[str, int], ...]) -> str | None:
        """Why this series refuses a model with that stamp (the first reason), or None when it loads it
        as far as is known. Domains the table has no column for are not judged here (ML310 judges
        operator domains onnxruntime does not ship)."""
        if ir_version is not None and self.ir_version is not None and ir_version > self.ir_version:
            return f"IR version {ir_version} (it reads up to {self.ir_version})"
        known = dict(self.opsets)
        for domain, version in opsets:
            newest = known.get(domain)
            if newest is not None and version > newest:
                return f"opset {version} of `{domain}` (it knows up to {newest})"
        return None


@lru_cache(maxsize=1)
def series_limits() -> tuple[SeriesLimits, ...]:
    """Every row of the table, oldest series first."""
    rows = []
    for line in DATA_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        series, ir_version, default_opset, ml_opset, source = line.split("\t")
        major, minor = (int(part) for part in series.split("."))
        opsets = tuple((domain, int(value)) for domain, value in (("ai.onnx", default_opset), ("ai.onnx.ml", ml_opset))
                       if value != "-")
        release = source.split(" ", 1)[1] if source.startswith("measured ") else None
        rows.append(SeriesLimits((major, minor), None if ir_version == "-" else int(ir_version), opsets, release))
    return tuple(sorted(rows, key=lambda row: row.series))


def limits_of(series: tuple[int, int]) -> SeriesLimits | None:
    """The row of ``series``; None for a series the table does not have (one newer than the table)."""
    for row in series_limits():
        if row.series == series:
            return row
    return None


def first_loading(ir_version: int | None, opsets: tuple[tuple[str, int], ...],
                  after: tuple[int, int]) -> SeriesLimits | None:
    """The oldest measured series newer than ``after`` that loads a model with that stamp (a fix can
    name its release), None when no measured series does."""
    for row in series_limits():
        if row.series > after and row.release is not None and row.refusal(ir_version, opsets) is None:
            return row
    return None
