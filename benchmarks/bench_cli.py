"""Command-line speed: cold start on one model dir, and one run over a 2,000-model store.

Measures the real installed `modellint` command as a subprocess (median of --repeat runs),
side by side with `deptry` on a one-file project when deptry is available, since deptry is
the peer a user would otherwise run. Standard library only.

    python benchmarks/bench_cli.py [--repeat 5] [--deptry PATH] [--store-size 2000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REAL_MODELS = REPO.parent / "shared" / "real-models"
SMALL_MODEL = REPO / "corpus" / "models" / "ml103-conda-defaults"

sys.path.insert(0, str(REPO))
from tests.realmodels.materialise import materialise  # noqa: E402


def timed(command: list[str], cwd: Path, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return times


def build_store(destination: Path, size: int) -> Path:
    sources = sorted(path for path in REAL_MODELS.iterdir() if path.is_dir() and path.name != "_negatives")
    for index in range(size):
        source = sources[index % len(sources)]
        materialise(source, destination / f"{index:05d}-{source.name}")
    return destination


def one_file_project(destination: Path) -> Path:
    destination.mkdir(parents=True)
    (destination / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\ndependencies = ["requests"]\n')
    (destination / "main.py").write_text("import requests\n\nprint(requests.__name__)\n")
    return destination


def report(label: str, times: list[float]) -> None:
    print(f"{label:<48} median {statistics.median(times):7.3f} s   (min {min(times):.3f}, max {max(times):.3f}, n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store-size", type=int, default=2000)
    parser.add_argument("--deptry", default=shutil.which("deptry"))
    parser.add_argument("--modellint", default=shutil.which("modellint") or "modellint")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        report(f"modellint cold start, one model dir ({SMALL_MODEL.name})",
               timed([args.modellint, str(SMALL_MODEL), "--exit-zero"], scratch_dir, args.repeat))
        if args.deptry:
            project = one_file_project(scratch_dir / "project")
            report("deptry cold start, one-file project", timed([args.deptry, "."], project, args.repeat))
        else:
            print("deptry not found: pass --deptry PATH to compare")
        if REAL_MODELS.exists():
            store = build_store(scratch_dir / "store", args.store_size)
            report(f"modellint over {args.store_size} model dirs (--jobs {os.cpu_count()})",
                   timed([args.modellint, str(store), "--exit-zero", "--format", "concise"], scratch_dir, args.repeat))
        else:
            print(f"{REAL_MODELS} not found: store benchmark skipped")


if __name__ == "__main__":
    main()
