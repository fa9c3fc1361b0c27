#!/usr/bin/env python3
"""Build modellint/analyzer/knowledge/onnxruntime_limits.tsv: the newest ONNX IR version and
operator set versions each onnxruntime release series loads, measured by loading probe models.

For every release given (default: the newest patch of each series from 1.15, the first with
wheels for CPython 3.11, to the newest), the script installs that onnxruntime into a scratch venv
with uv, and creates an ``InferenceSession`` for probe models that differ only in their stamp:
``ir_version`` 3..16 (opset 13), default-domain opset 7..32 (IR 8), ``ai.onnx.ml`` opset 1..10
(IR 8, opset 13). Each probe is one ``Relu`` node, written field by field as the rules' examples
are (no onnx package). A series' limit is the newest probe version that loads, checked to be a
contiguous run from the oldest (a gap would mean the probe, not the stamp, failed). Patch releases
of a series load the same (1.15.0 and 1.15.1, 1.24.1 and 1.24.4 were measured alike).

Series older than 1.15 cannot be installed on this Python; their default-domain opset comes from
onnxruntime's documented compatibility table (docs/reference/compatibility.md), which agrees with
the measured limit for every measured series it lists (1.15-1.20). Its IR and ``ai.onnx.ml``
columns understate what loads (1.15: IR 8 documented, IR 9 loads; 1.18: ml 4 documented, 5 loads),
so for those series only the opset is recorded.

Usage: python scripts/measure_onnxruntime_limits.py [--releases 1.15.1 1.16.3 ...] [--scratch DIR]
Needs network access to the package index (uv downloads the wheels).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from modellint.analyzer.knowledge.onnxruntime_limits import DATA_FILE  # noqa: E402
from modellint.rules._format_examples import encode_field  # noqa: E402

DEFAULT_RELEASES = ("1.15.1", "1.16.3", "1.17.3", "1.18.1", "1.19.2", "1.20.1", "1.21.1", "1.22.1", "1.23.2",
                    "1.24.4", "1.25.1", "1.26.0", "1.27.0", "1.28.0", "1.29.0", "1.30.0", "1.31.1", "1.32.0")
IR_PROBES = range(3, 17)
OPSET_PROBES = range(7, 33)
ML_PROBES = range(1, 11)

# onnxruntime's documented compatibility table, default-domain opset per series (docs/reference/
# compatibility.md, "ONNX opset support"), for the series this Python cannot install.
DOCUMENTED_OPSETS = {
    "1.14": 18, "1.13": 17, "1.12": 17, "1.11": 16, "1.10": 15, "1.9": 15, "1.8": 14, "1.7": 13, "1.6": 13,
    "1.5": 12, "1.4": 12, "1.3": 12, "1.2": 11, "1.1": 11, "1.0": 11, "0.5": 10, "0.4": 10, "0.3": 9,
    "0.2": 8, "0.1": 8,
}

# Run inside each scratch venv: which probe files load.
_PROBE_RUNNER = """
import json, sys
import onnxruntime
loaded = {}
for path in sys.argv[1:]:
    try:
        onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        loaded[path] = True
    except Exception:
        loaded[path] = False
print(json.dumps({"version": onnxruntime.__version__, "loaded": loaded}))
"""


def probe_model(ir_version: int, opsets: dict[str, int]) -> bytes:
    """A ``ModelProto`` of one ``Relu`` node, stamped with ``ir_version`` and ``opsets``."""
    value_info = encode_field(1, "x") + encode_field(2, encode_field(1, encode_field(1, 1)))  # float tensor
    output_info = encode_field(1, "y") + encode_field(2, encode_field(1, encode_field(1, 1)))
    node = encode_field(1, "x") + encode_field(2, "y") + encode_field(4, "Relu")
    graph = encode_field(1, node) + encode_field(2, "probe") + encode_field(11, value_info) + encode_field(12, output_info)
    imports = b"".join(encode_field(8, (encode_field(1, domain) if domain else b"") + encode_field(2, version))
                       for domain, version in opsets.items())
    return encode_field(1, ir_version) + encode_field(2, "probe") + encode_field(7, graph) + imports


def write_probes(folder: Path) -> dict[str, tuple[str, int]]:
    """The probe files, each with what it tests: ``("ir", 9)``, ``("ai.onnx", 21)``, ``("ai.onnx.ml", 4)``."""
    probes: dict[str, tuple[str, int]] = {}

    def add(name: str, kind: str, version: int, data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        probes[str(path)] = (kind, version)

    for ir in IR_PROBES:
        add(f"ir{ir}.onnx", "ir", ir, probe_model(ir, {"": 13}))
    for opset in OPSET_PROBES:
        add(f"opset{opset}.onnx", "ai.onnx", opset, probe_model(8, {"": opset}))
    for ml in ML_PROBES:
        add(f"ml{ml}.onnx", "ai.onnx.ml", ml, probe_model(8, {"": 13, "ai.onnx.ml": ml}))
    return probes


def measure(release: str, probes: dict[str, tuple[str, int]], scratch: Path) -> dict[str, int]:
    """The newest version of each kind that ``onnxruntime==release`` loads."""
    venv = scratch / f"ort-{release}"
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    subprocess.run([uv, "venv", "-q", "--allow-existing", "-p", sys.executable, str(venv)], check=True)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), f"onnxruntime=={release}",
                    "numpy<2"], check=True)
    output = subprocess.run([str(venv / "bin" / "python"), "-c", _PROBE_RUNNER, *probes], check=True,
                            capture_output=True, text=True).stdout
    report = json.loads(output.strip().splitlines()[-1])
    if report["version"] != release:
        raise SystemExit(f"asked for onnxruntime {release}, the venv has {report['version']}")
    limits: dict[str, int] = {}
    for kind in ("ir", "ai.onnx", "ai.onnx.ml"):
        loaded = sorted(version for path, (probe_kind, version) in probes.items()
                        if probe_kind == kind and report["loaded"][path])
        if not loaded or loaded != list(range(loaded[0], loaded[-1] + 1)):
            raise SystemExit(f"onnxruntime {release}: the {kind} probes that load are not one run: {loaded}")
        limits[kind] = loaded[-1]
    return limits


def render(measured: dict[str, tuple[str, dict[str, int]]]) -> str:
    lines = [
        "# The newest ONNX format versions each onnxruntime release series loads; a model stamped with a newer",
        "# one is refused (\"Unsupported model IR version\", \"Opset N is under development\"). Written by",
        "# scripts/measure_onnxruntime_limits.py: `measured` rows by loading probe models with the release",
        "# named, `documented` rows from onnxruntime's compatibility table (opset only; - = not known).",
        "# series\tir_version\tai.onnx\tai.onnx.ml\tsource",
    ]
    rows = {series: f"{series}\t-\t{opset}\t-\tdocumented" for series, opset in DOCUMENTED_OPSETS.items()}
    for series, (release, limits) in measured.items():
        rows[series] = f"{series}\t{limits['ir']}\t{limits['ai.onnx']}\t{limits['ai.onnx.ml']}\tmeasured {release}"
    lines.extend(row for _, row in sorted(rows.items(), key=lambda item: _key(item[0])))
    return "\n".join(lines) + "\n"


def _key(series: str) -> tuple[int, ...]:
    return tuple(int(part) for part in series.split("."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", nargs="+", default=list(DEFAULT_RELEASES))
    parser.add_argument("--scratch", type=Path, default=None, help="where the venvs go (default: a temporary folder)")
    args = parser.parse_args()
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="ort-limits-"))
    probes_dir = scratch / "probes"
    probes_dir.mkdir(parents=True, exist_ok=True)
    probes = write_probes(probes_dir)
    measured: dict[str, tuple[str, dict[str, int]]] = {}
    for release in args.releases:
        limits = measure(release, probes, scratch)
        print(f"onnxruntime {release}: IR {limits['ir']}, opset {limits['ai.onnx']}, ml {limits['ai.onnx.ml']}")
        measured[".".join(release.split(".")[:2])] = (release, limits)
    DATA_FILE.write_text(render(measured), encoding="utf-8")
    print(f"wrote {DATA_FILE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
