"""Training-project mode on a large tree: the byte search keeps a monorepo cheap.

Generates a project of --files Python modules (default 20,000) in nested packages, of which
--trainers scripts log a model (a PythonModel importing a first-party helper package). Measures
the real installed `modellint` command as a subprocess (median of --repeat runs) on the whole
tree and on one training script's folder, and, for scale, what parsing every file with `ast`
would cost in-process (the work the byte search avoids). Standard library only.

    python benchmarks/bench_project.py [--repeat 5] [--files 20000] [--trainers 3]
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULE = '''\
"""Module {index}: ordinary library code that never touches MLflow."""
import json
import os
from dataclasses import dataclass


@dataclass
class Record{index}:
    name: str
    value: float

    def to_json(self) -> str:
        return json.dumps({{"name": self.name, "value": self.value, "sep": os.sep}})


def transform_{index}(rows):
    return [Record{index}(str(row), float(row) * {index}) for row in rows]
'''

HELPER = "import json\n\n\ndef double(values):\n    return json.loads(json.dumps([2 * v for v in values]))\n"

TRAINER = '''\
import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class Doubler(PythonModel):
    def predict(self, context, model_input, params=None):
        from helpers.maths import double

        return double(model_input["x"].tolist())


mlflow.pyfunc.log_model(
    name="doubler",
    python_model=Doubler(),
    code_paths=["helpers"],
    input_example=pd.DataFrame({"x": [1, 2, 3]}),
)
'''


def build_tree(root: Path, files: int, trainers: int) -> list[Path]:
    """``files`` modules in 100-file packages; ``trainers`` of the packages also hold a training script."""
    per_package = 100
    training_dirs = []
    for index in range(files):
        package = root / "libs" / f"group{index // (per_package * 20)}" / f"pkg{index // per_package}"
        if index % per_package == 0:
            package.mkdir(parents=True, exist_ok=True)
            (package / "__init__.py").write_text("")
        (package / f"module{index}.py").write_text(MODULE.format(index=index))
    for number in range(trainers):
        job = root / "jobs" / f"job{number}"
        (job / "helpers").mkdir(parents=True)
        (job / "helpers" / "__init__.py").write_text("")
        (job / "helpers" / "maths.py").write_text(HELPER)
        (job / "train.py").write_text(TRAINER)
        training_dirs.append(job)
    return training_dirs


def timed(command: list[str], cwd: Path, repeat: int, timeout: float | None = None):
    """``(wall times, the last run)``; ``(None, None)`` when a run exceeds ``timeout``."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, None
        times.append(time.perf_counter() - started)
    return times, result


def parse_everything(root: Path) -> float:
    started = time.perf_counter()
    for path in root.rglob("*.py"):
        ast.parse(path.read_bytes())
    return time.perf_counter() - started


def report(label: str, times: list[float] | None, limit: float | None = None) -> None:
    if times is None:
        print(f"{label:<58} over the {limit:.0f} s limit (stopped)")
        return
    print(f"{label:<58} median {statistics.median(times):7.3f} s   (min {min(times):.3f}, max {max(times):.3f}, n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--trainers", type=int, default=3)
    parser.add_argument("--modellint", default=shutil.which("modellint") or "modellint")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "monorepo"
        started = time.perf_counter()
        jobs = build_tree(root, args.files, args.trainers)
        total = sum(1 for _ in root.rglob("*.py"))
        size = sum(path.stat().st_size for path in root.rglob("*.py"))
        print(f"tree: {total} .py files ({size / 1e6:.1f} MB), {len(jobs)} log a model "
              f"(built in {time.perf_counter() - started:.1f} s)")
        command = [args.modellint, "--format", "concise", "--exit-zero", "--no-cache"]  # cold: projects are cached
        times, result = timed([*command, str(root)], root.parent, args.repeat)
        report(f"modellint on the whole tree ({total} files)", times)
        print("  output:", (result.stdout.strip().splitlines() or ["(none)"])[-1])
        times, _ = timed([*command, str(jobs[0])], root.parent, args.repeat)
        report("modellint on one training job's folder", times)
        report("for scale: ast.parse of every file, in-process (no CLI)", [parse_everything(root)])


if __name__ == "__main__":
    main()
