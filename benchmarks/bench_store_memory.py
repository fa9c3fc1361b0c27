"""Memory over a growing store: peak RSS of one `modellint` run over 250 to 2,000 model dirs.

Issue 21 asks for memory flat in the number of model dirs. Each store is built the way
`bench_cli.py` builds its 2,000-dir store (copies of `shared/real-models`, cycled), and the real
installed command lints it without the cache, once per output format, since a report that must
be complete before it is written (JSON, SARIF) holds every finding. The number printed is the
largest peak RSS of any one process the run waited for (the parent or a worker), which is what
`getrusage(RUSAGE_CHILDREN)` reports; with `--jobs 1` that is the whole run. Standard library only.

    python benchmarks/bench_store_memory.py [--sizes 250,500,1000,2000] [--modellint PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_cli import build_store  # same directory: run as a script


def peak_rss_mb(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``command``, run in a fresh child process.

    ``ru_maxrss`` of RUSAGE_CHILDREN is a high-water mark over every child this process reaped so
    far, so each measurement runs from a fresh Python that reaps only the one command."""
    probe = ("import resource, subprocess, sys, time\n"
             "started = time.perf_counter()\n"
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
             "print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True).stdout
    wall, kilobytes = out.split()
    return float(wall), int(kilobytes) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,500,1000,2000")
    parser.add_argument("--formats", default="concise,json")
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--modellint", default=shutil.which("modellint") or "modellint")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"{'dirs':>6} {'format':<8} {'jobs':>4} {'wall s':>8} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            store = build_store(Path(scratch) / f"store{size}", size)
            for output in args.formats.split(","):
                for jobs in args.jobs.split(","):
                    command = [args.modellint, "check", str(store), "--no-cache", "--exit-zero", "--format", output,
                               "--jobs", jobs]
                    wall, peak = peak_rss_mb(command)
                    print(f"{size:>6} {output:<8} {jobs:>4} {wall:>8.2f} {peak:>12.1f}", flush=True)
            shutil.rmtree(store)


if __name__ == "__main__":
    main()
