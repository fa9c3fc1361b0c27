"""Command-line speed: cold start on one model dir, and runs over a 2,000-model store (cold, and
again with the findings cache).

Measures the real installed `modellint` command as a subprocess (median of --repeat runs),
side by side with `deptry` on a one-file project when deptry is available, since deptry is
the peer a user would otherwise run. The cold starts alternate (modellint, deptry, modellint,
...) so that both see the same machine: on a shared 2-vCPU VM the speed drifts by more than
the difference being measured. Standard library only.

    python benchmarks/bench_cli.py [--repeat 21] [--deptry PATH] [--store-size 2000]
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
SETTLED_SECONDS = 3.5  # modellint.cache.digest.SETTLED_NANOSECONDS, and a margin

sys.path.insert(0, str(REPO))
from tests.realmodels.materialise import materialise  # noqa: E402


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def alternated(commands: dict[str, tuple[list[str], Path]], repeat: int) -> dict[str, list[float]]:
    """Each command ``repeat`` times, taking turns, after one unmeasured warm-up run each."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for round_ in range(repeat + 1):
        for label, (command, cwd) in commands.items():
            elapsed = timed(command, cwd)
            if round_:
                times[label].append(elapsed)
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
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--store-size", type=int, default=2000)
    parser.add_argument("--deptry", default=shutil.which("deptry"))
    parser.add_argument("--modellint", default=shutil.which("modellint") or "modellint")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        cold = {f"modellint cold start, one model dir ({SMALL_MODEL.name})":
                ([args.modellint, str(SMALL_MODEL), "--exit-zero", "--no-cache"], scratch_dir)}
        if args.deptry:
            cold["deptry cold start, one-file project"] = ([args.deptry, "."], one_file_project(scratch_dir / "project"))
        else:
            print("deptry not found: pass --deptry PATH to compare")
        for label, times in alternated(cold, args.repeat).items():
            report(label, times)
        if REAL_MODELS.exists():
            store = build_store(scratch_dir / "store", args.store_size)
            # An entry changed in the last 3 s is found by its content only (the README's Cache
            # section): wait as long, so the warm rows are second runs over an unchanged store.
            time.sleep(SETTLED_SECONDS)
            command = [args.modellint, str(store), "--exit-zero", "--format", "concise"]
            cache = ["--cache-dir", str(scratch_dir / "cache")]
            # The cold run lints everything (--no-cache); the warm run reads each unchanged model
            # dir's findings from a cache the unmeasured warm-up run filled.
            rounds = alternated({"cold": ([*command, "--no-cache"], scratch_dir), "warm": ([*command, *cache], scratch_dir)},
                                min(args.repeat, 5))
            report(f"modellint over {args.store_size} model dirs (--jobs {os.cpu_count()}), --no-cache", rounds["cold"])
            report(f"modellint over {args.store_size} model dirs, unchanged since the last run (cache)", rounds["warm"])
            shutil.rmtree(scratch_dir / "cache")
            report(f"modellint over {args.store_size} model dirs, empty cache (lints and writes every entry)",
                   [timed([*command, *cache], scratch_dir)])
        else:
            print(f"{REAL_MODELS} not found: store benchmark skipped")


if __name__ == "__main__":
    main()
