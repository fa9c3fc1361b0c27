"""Scan time and peak memory of modellint's pickle scanner, side by side with picklescan and modelscan.

Inputs are generated into a scratch dir (never committed) by an interpreter that has numpy and
scikit-learn (``--generator-python``):

* ``big_p4.pkl``: 1 GiB payload pickle, a dict of 8 float64 arrays of 128 MiB (protocol 4);
* ``vocab_p4.pkl``: ``CountVectorizer`` with a 400k-token vocabulary (about 1.2 M opcodes);
* ``rf_p4.pkl``: ``Pipeline(StandardScaler, RandomForestClassifier(100 trees, depth 12))`` fitted
  on 20k x 20 rows (about 7 MB).

Each tool runs as its own process ``--runs`` times on a warm page cache, the tools taking turns;
wall time (measured around the process) and peak RSS (GNU ``/usr/bin/time -f %M``) are reported
as medians. ``modellint`` runs as
``modellint check FILE`` (the console script beside ``sys.executable``, else ``python -m``; a
standalone-file target, start-up included); the in-process time of ``pickles.scan_file`` (no
start-up) is reported too.

    python3 -m venv /tmp/scanners-venv && /tmp/scanners-venv/bin/pip install picklescan modelscan
    /work/venv/bin/python benchmarks/bench_pickle.py --generator-python /tmp/pickle-fixtures-venv/bin/python \\
        --scanners-bin /tmp/scanners-venv/bin --scratch /tmp/bench-pickle
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

GENERATOR = textwrap.dedent(
    """
    import pickle, sys
    from pathlib import Path
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    out = Path(sys.argv[1])
    if not (out / "big_p4.pkl").exists():
        arrays = {f"w{i}": np.full(16 * 2**20, float(i)) for i in range(8)}  # 8 x 128 MiB
        with open(out / "big_p4.pkl", "wb") as handle:
            pickle.dump(arrays, handle, protocol=4)
        del arrays
    if not (out / "vocab_p4.pkl").exists():
        vectorizer = CountVectorizer()
        vectorizer.fit(["alpha beta"])
        vectorizer.vocabulary_ = {f"token{i:06d}": i for i in range(400_000)}
        (out / "vocab_p4.pkl").write_bytes(pickle.dumps(vectorizer, protocol=4))
    if not (out / "rf_p4.pkl").exists():
        rng = np.random.default_rng(0)
        features, labels = rng.normal(size=(20_000, 20)), rng.integers(0, 2, size=20_000)
        forest = RandomForestClassifier(n_estimators=100, max_depth=12, random_state=0, n_jobs=-1)
        model = Pipeline([("scale", StandardScaler()), ("forest", forest)]).fit(features, labels)
        (out / "rf_p4.pkl").write_bytes(pickle.dumps(model, protocol=4))
    """
)

FILES = ("big_p4.pkl", "vocab_p4.pkl", "rf_p4.pkl")


def measure(command: list[str]) -> tuple[float, float, int]:
    """``(wall seconds, peak RSS MiB, exit code)`` of one process. Peak RSS is GNU time's (Linux keeps a
    process's peak RSS across fork+exec, so ``wait4`` from this, by then large, interpreter would overstate
    it); wall time is measured here, since GNU time rounds it to 10 ms."""
    with tempfile.NamedTemporaryFile("r") as report:
        started = time.perf_counter()
        process = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%M", *command],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
        wall = time.perf_counter() - started
        peak_kb = report.read().split()[-1]
    return wall, int(peak_kb) / 1024, process.returncode


def warm_page_cache(path: Path) -> None:
    with path.open("rb") as handle:
        while handle.read(2**24):
            pass


def in_process_ms(path: Path, runs: int) -> float:
    sys.path.insert(0, str(REPO))
    from modellint.analyzer.serialized.pickles import scan_file

    scan_file(path)  # warm-up: imports, page cache
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        scan_file(path)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generator-python", help="interpreter with numpy and scikit-learn (default: reuse the "
                        "files already in --scratch)")
    parser.add_argument("--scanners-bin", help="bin dir holding picklescan and modelscan (skipped if absent)")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/bench-pickle"))
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()

    arguments.scratch.mkdir(parents=True, exist_ok=True)
    if arguments.generator_python:
        subprocess.run([arguments.generator_python, "-c", GENERATOR, str(arguments.scratch)], check=True)
    elif not all((arguments.scratch / name).exists() for name in FILES):
        parser.error(f"{arguments.scratch} lacks the inputs: pass --generator-python to build them")

    # The console script a user runs; `python -m` adds runpy's ~6 ms of imports on top.
    script = Path(sys.executable).with_name("modellint")
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "modellint"]
    tools = {"modellint": [*launcher, "check", "--format", "json", "--no-cache"]}
    if arguments.scanners_bin:
        bin_dir = Path(arguments.scanners_bin)
        for name, options in (("picklescan", ["-p"]), ("modelscan", ["-p"])):
            if (bin_dir / name).exists():
                tools[name] = [str(bin_dir / name), *options]

    print(f"| file | size | {' | '.join(tools)} | modellint in-process |")
    print(f"|---|---|{'---|' * len(tools)}---|")
    for name in FILES:
        path = arguments.scratch / name
        warm_page_cache(path)
        runs: dict[str, list[tuple[float, float, int]]] = {tool: [] for tool in tools}
        for _ in range(arguments.runs):  # the tools take turns, so a drifting machine slows all of them alike
            for tool, command in tools.items():
                runs[tool].append(measure([*command, str(path)]))
        cells = []
        for tool_runs in runs.values():
            wall = statistics.median(run[0] for run in tool_runs)
            rss = statistics.median(run[1] for run in tool_runs)
            cells.append(f"{wall:.3f} s / {rss:.0f} MB (rc {tool_runs[0][2]})")
        inproc = in_process_ms(path, max(arguments.runs, 5))
        size = path.stat().st_size / 2**20
        print(f"| {name} | {size:,.1f} MiB | {' | '.join(cells)} | {inproc:.1f} ms |", flush=True)


if __name__ == "__main__":
    main()
