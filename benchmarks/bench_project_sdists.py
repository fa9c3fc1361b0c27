"""Training-project mode on real code: the requests, rich, click and sympy sdists as one tree.

Builds a project from the package directories of four pinned sdists (about 1,700 files and
0.8 M lines, sympy being most of it) plus a `train.py` whose `PythonModel` imports a
first-party `features.py` and a `log_model` call, then measures, side by side in one run:

* the real installed `modellint` command on the whole tree (median of --repeat runs);
* `deptry` on the same tree (the peer that also reads every import);
* a naive libcst pass that parses every file (what walking a monorepo without the byte search
  costs), in a subprocess stopped after --libcst-limit seconds;
* `modellint` cold on a model dir that ships a `code/` folder (corpus/models/infer-code-paths);
* `ast.parse` of every file, in-process, for scale.

The sdists come from PyPI on the first run (`pip download --no-binary :all:`) and are cached in
--sdists. Standard library only, apart from pip for the download.

    python benchmarks/bench_project_sdists.py [--repeat 5] [--deptry PATH] [--sdists DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench_project import parse_everything, report, timed  # same directory: run as a script

REPO = Path(__file__).resolve().parent.parent
CODE_MODEL = REPO / "corpus" / "models" / "infer-code-paths"
DEFAULT_CACHE = Path.home() / ".cache" / "modellint-bench" / "sdists"
SETTLED_SECONDS = 3.5  # modellint.cache.digest.SETTLED_NANOSECONDS, and a margin

# distribution pin -> the import package inside its sdist (src/ layouts included)
SDISTS = {
    "requests==2.34.2": "requests",
    "rich==15.0.0": "rich",
    "click==8.5.1": "click",
    "sympy==1.14.0": "sympy",
}

TRAIN = '''\
import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel

from features import scale


class Scaler(PythonModel):
    def predict(self, context, model_input, params=None):
        import sympy

        return scale(model_input["x"].tolist(), sympy.Rational(1, 2))


mlflow.pyfunc.log_model(
    name="scaler",
    python_model=Scaler(),
    code_paths=["features.py"],
    pip_requirements=[
        "mlflow==3.17.2", "pandas==3.1.1", "sympy==1.14.0", "requests==2.34.2", "rich==15.0.0", "click==8.5.1",
    ],
    input_example=pd.DataFrame({"x": [1.0, 2.0]}),
)
'''

FEATURES = '''\
import click
import requests
from rich.console import Console


def scale(values, factor):
    Console(stderr=True).log(f"scaling {len(values)} values with requests {requests.__version__}")
    return [float(value * factor) for value in values]
'''

NAIVE_LIBCST = '''\
import sys
from pathlib import Path

import libcst

for path in Path(sys.argv[1]).rglob("*.py"):
    try:
        libcst.parse_module(path.read_bytes())
    except Exception:
        pass
'''


def download_sdists(cache: Path) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    archives = []
    for pin in SDISTS:
        name, version = pin.split("==")
        found = sorted(cache.glob(f"{name}-{version}.tar.gz"))
        if not found:
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                            "--no-binary", ":all:", "--dest", str(cache), pin], check=True)
            found = sorted(cache.glob(f"{name}-{version}.tar.gz"))
        archives.append(found[0])
    return archives


def build_tree(root: Path, archives: list[Path], *, vendored: bool = False) -> None:
    """Each sdist's import package at the project root, as vendored code would sit; with
    ``vendored``, ``train.py`` also ships sympy itself (``code_paths=["features.py", "sympy"]``),
    so the model's code dir holds the whole package, tests included."""
    root.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as unpack:
        for archive, package in zip(archives, SDISTS.values()):
            with tarfile.open(archive) as tar:
                tar.extractall(unpack, filter="data")
            top = Path(unpack) / archive.name.removesuffix(".tar.gz")
            source = top / "src" / package if (top / "src" / package).is_dir() else top / package
            shutil.copytree(source, root / package)
    train = TRAIN.replace('code_paths=["features.py"]', 'code_paths=["features.py", "sympy"]') if vendored else TRAIN
    (root / "train.py").write_text(train)
    (root / "features.py").write_text(FEATURES)
    (root / "requirements.txt").write_text("mlflow\npandas\nsympy\nrequests\nrich\nclick\n")


def alternated(commands: dict[str, list[str]], cwd: Path,
               repeat: int) -> dict[str, tuple[list[float], list[int], list[float], str]]:
    """Each command ``repeat`` times, taking turns (the VM's speed drifts): wall times, peak
    resident memory (KB, the kernel's high-water mark for the process), CPU time (user and
    system: on a shared machine the steadier number) and its last output line."""
    results: dict[str, tuple[list[float], list[int], list[float], str]] = {
        label: ([], [], [], "") for label in commands}
    for _ in range(repeat):
        for label, command in commands.items():
            started = time.perf_counter()
            process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert process.stdout is not None
            output = process.stdout.read().decode(errors="replace")
            _, _, usage = os.wait4(process.pid, 0)
            process.returncode = 0  # reaped above
            times, peaks, cpu, _ = results[label]
            times.append(time.perf_counter() - started)
            peaks.append(usage.ru_maxrss)
            cpu.append(usage.ru_utime + usage.ru_stime)
            results[label] = (times, peaks, cpu, (output.strip().splitlines() or ["(none)"])[-1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sdists", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--deptry", default=shutil.which("deptry"))
    parser.add_argument("--modellint", default=shutil.which("modellint") or "modellint")
    parser.add_argument("--libcst-limit", type=float, default=180.0)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    archives = download_sdists(args.sdists)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "project"
        build_tree(root, archives)
        files = list(root.rglob("*.py"))
        lines = sum(path.read_bytes().count(b"\n") for path in files)
        print(f"tree: {len(files)} .py files, {lines:,} lines ({', '.join(SDISTS)})")

        # Cold runs: a training project is cached like a model dir since issue 21.
        times, result = timed([args.modellint, "--format", "concise", "--exit-zero", "--no-cache", "."], root,
                              args.repeat)
        report("modellint, project mode on the whole tree", times)
        print("  output:", (result.stdout.strip().splitlines() or ["(none)"])[-1])
        if args.deptry:
            times, _ = timed([args.deptry, "."], root, args.repeat)
            report("deptry on the same tree", times)
        else:
            print("deptry not found: pass --deptry PATH to compare")
        vendored = Path(scratch) / "vendored"
        build_tree(vendored, archives, vendored=True)
        # A tree with an entry changed in the last 3 s is found by its content only (the README's
        # Cache section): wait as long, so the warm row is a second run over an unchanged tree.
        time.sleep(SETTLED_SECONDS)
        cache = Path(scratch) / "cache"
        subprocess.run([args.modellint, "--exit-zero", "--cache-dir", str(cache), "."], cwd=vendored,
                       stdout=subprocess.DEVNULL, check=False)  # fills the cache for the warm row
        commands = {'modellint, the same tree with code_paths=["features.py", "sympy"]':
                    [args.modellint, "--format", "concise", "--exit-zero", "--no-cache", "."],
                    "modellint, that tree again, warm cache":
                    [args.modellint, "--format", "concise", "--exit-zero", "--cache-dir", str(cache), "."]}
        if args.deptry:
            commands["deptry on that tree"] = [args.deptry, "."]
        for label, (times, peaks, cpu, output) in alternated(commands, vendored, args.repeat).items():
            report(label, times)
            print(f"  CPU median {statistics.median(cpu):.3f} s; peak memory {max(peaks) / 1024:.0f} MB; output: {output}")
        # before the naive passes, which leave the machine hot for a while
        times, _ = timed([args.modellint, "--format", "concise", "--exit-zero", "--no-cache", str(CODE_MODEL)], root,
                         args.repeat)
        report(f"modellint cold, model dir with code/ ({CODE_MODEL.name})", times)
        script = Path(scratch) / "naive_libcst.py"
        script.write_text(NAIVE_LIBCST)
        times, _ = timed([sys.executable, str(script), str(root)], root, 1, timeout=args.libcst_limit)
        report("naive: libcst.parse_module of every file (1 run)", times, args.libcst_limit)
        report("for scale: ast.parse of every file, in-process", [parse_everything(root)])


if __name__ == "__main__":
    main()
