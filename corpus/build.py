#!/usr/bin/env python3
"""(Re)build the modellint test corpus with REAL MLflow.

Usage (from the repo root, any Python >= 3.9 without extra packages):

    python corpus/build.py --venv /tmp/corpus-venv [--venv2 /tmp/corpus-venv2]
                           [--python python3.11] [--only CASE,CASE] [--no-serve]
                           [--builder models] [--linter-python PATH]

* ``--venv``  : venv for MLflow 3.x (created if missing, pinned packages in ``PINS_MLFLOW3``).
* ``--venv2`` : venv for the MLflow 2.x variants (default: ``<venv>-mlflow2``, ``PINS_MLFLOW2``).
* ``--venv-benign``: venv for the benign corpus (``benign.py``: the ML libraries, ``PINS_BENIGN``;
  torch from ``--torch-wheel`` when given, else PyPI). Created only when that builder runs.
* ``--python``: interpreter used to create both venvs (default ``python3.11``; the corpus
  records its exact version in every ``MLmodel``/``python_env.yaml``/``conda.yaml``).
* ``--only``  : rebuild only these cases (comma separated; derived cases need their base).
* ``--no-serve``: skip the slow ``mlflow models predict --env-manager uv`` checks.
* ``--builder``: run only these builder modules (comma separated, default: all).
* ``--linter-python``: an interpreter with modellint's dependencies, for builders that run this
  repository's modellint (``fix_roundtrip``) with ``PYTHONPATH`` set to the repo. Default: the
  first of ``$VIRTUAL_ENV``, ``<repo>/.venv``, ``<repo>/../venv`` whose Python can import
  modellint's dependencies, else the Python running build.py.

Every module ``corpus/builders/<name>.py`` that defines a top-level
``build(out_dir: pathlib.Path) -> None`` is run, each in its own subprocess with the
MLflow 3.x venv's interpreter (a module may set ``VENV = "mlflow2"`` at top level to be run
with the 2.x venv instead). ``out_dir`` is the ``corpus/`` directory; a builder owns its own
sub-folder(s) of it (``models``/``projects`` for ``models.py``, ``signatures`` for
``signatures.py``). Builders can find both interpreters through the environment variables
``MODELLINT_CORPUS_PYTHON3`` / ``MODELLINT_CORPUS_PYTHON2``, and the linter's through
``MODELLINT_LINTER_PYTHON``.

Network: only PyPI is used (pip into the venvs; uv for the ``serve`` checks, with
``UV_PYTHON_DOWNLOADS=never`` so uv only uses local interpreters).
"""
from __future__ import annotations

import argparse
import ast
import os
import pathlib
import shutil
import subprocess
import sys
import time

CORPUS_DIR = pathlib.Path(__file__).resolve().parent
BUILDERS_DIR = CORPUS_DIR / "builders"

# Pinned versions (the set the research samples were produced with, see README.md).
PINS_MLFLOW3 = [
    "mlflow==3.17.2",
    "scikit-learn==1.9.1",
    "pandas==3.1.1",
    "numpy==2.4.6",
    "scipy==1.17.1",
    "skops==0.16.0",
    "cloudpickle==3.1.2",
    # needed by some cases (model code that uses them) and by the serve checks
    "tabulate==0.10.0",
    "openpyxl==3.1.5",
    "uv==0.13.9",
]
PINS_MLFLOW2 = [
    "mlflow==2.22.5",
    "scikit-learn==1.9.1",
    "pandas==2.3.3",
    "numpy==2.4.6",
    "scipy==1.17.1",
    "cloudpickle==3.1.2",
    "uv==0.13.9",
]

# The benign corpus (builders/benign.py): every library whose models MLflow saves, pinned.
PINS_BENIGN = PINS_MLFLOW3[:6] + [
    "torch==2.13.0+cpu",
    "keras==3.15.1",
    "h5py==3.16.0",
    "xgboost==3.2.0",
    "lightgbm==4.7.0",
    "catboost==1.2.10",
    "statsmodels==0.15.0",
    "onnx==1.23.2",
    "onnxruntime==1.32.0",
    "skl2onnx==1.20.0",
    "transformers==5.25.0",
    "safetensors==0.8.0",
    "tokenizers==0.23.3",
    "dill==0.4.1",
]

BASE_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "UV_PYTHON_DOWNLOADS": "never",
}


def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def venv_python(venv: pathlib.Path) -> pathlib.Path:
    return venv / "bin" / "python"


def installed_ok(py: pathlib.Path, pins: list[str]) -> bool:
    """True when every pinned distribution is installed at the pinned version."""
    code = (
        "import sys\n"
        "from importlib.metadata import version, PackageNotFoundError\n"
        "bad = []\n"
        "for pin in sys.argv[1:]:\n"
        "    name, ver = pin.split('==')\n"
        "    try:\n"
        "        if version(name) != ver: bad.append(pin)\n"
        "    except PackageNotFoundError:\n"
        "        bad.append(pin)\n"
        "print(' '.join(bad)); sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([str(py), "-c", code, *pins], capture_output=True, text=True)
    return r.returncode == 0


def ensure_venv(venv: pathlib.Path, python: str, pins: list[str], sources: tuple[str, ...] = ()) -> pathlib.Path:
    py = venv_python(venv)
    if not py.exists():
        log(f"creating venv {venv} with {python}")
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    if not installed_ok(py, pins):
        log(f"installing into {venv}: {' '.join(pins)}")
        subprocess.run([str(py), "-m", "pip", "install", "-q", *sources, *pins], check=True)
    return py


def discover_builders() -> list[tuple[str, str]]:
    """(module name, venv key) for every builder module that defines build(out_dir)."""
    found = []
    for path in sorted(BUILDERS_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError as e:
            log(f"skipping {path.name}: syntax error {e}")
            continue
        has_build = any(
            isinstance(n, ast.FunctionDef) and n.name == "build" and len(n.args.args) >= 1
            for n in tree.body
        )
        venv_key = "mlflow3"
        for n in tree.body:
            if (
                isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "VENV" for t in n.targets)
                and isinstance(n.value, ast.Constant)
            ):
                venv_key = str(n.value.value)
        if has_build:
            found.append((path.stem, venv_key))
    # models first: other builders may want to reuse its output
    found.sort(key=lambda t: (t[0] != "models", t[0]))
    return found


def linter_python(explicit: str | None) -> str:
    """The interpreter modellint runs in (see --linter-python)."""
    if explicit:
        return explicit
    repo = CORPUS_DIR.parent
    candidates = [pathlib.Path(os.environ["VIRTUAL_ENV"]) / "bin" / "python"] if os.environ.get("VIRTUAL_ENV") else []
    candidates += [repo / ".venv" / "bin" / "python", repo.parent / "venv" / "bin" / "python"]
    env = dict(os.environ, PYTHONPATH=str(repo))
    for candidate in candidates:
        if candidate.exists() and subprocess.run(
                [str(candidate), "-c", "import modellint.cli, libcst, yaml, packaging, stdlib_list"],
                env=env, capture_output=True).returncode == 0:
            return str(candidate)
    return sys.executable


RUNNER = (
    "import importlib, pathlib, sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "mod = importlib.import_module('builders.' + sys.argv[2])\n"
    "mod.build(pathlib.Path(sys.argv[3]))\n"
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--venv", default="/tmp/corpus-venv", type=pathlib.Path)
    ap.add_argument("--venv2", default=None, type=pathlib.Path)
    ap.add_argument("--venv-benign", default="/tmp/benign-venv", type=pathlib.Path)
    ap.add_argument("--torch-wheel", default=None, help="a local torch wheel for the benign venv")
    ap.add_argument("--python", default="python3.11")
    ap.add_argument("--only", default="", help="comma-separated case names (models builder)")
    ap.add_argument("--builder", default="", help="comma-separated builder module names")
    ap.add_argument("--no-serve", action="store_true", help="skip mlflow models predict --env-manager uv")
    ap.add_argument("--linter-python", default=None,
                    help="interpreter with modellint's dependencies (default: auto-detected)")
    ap.add_argument("--work", default="/tmp/modellint-corpus-work", type=pathlib.Path,
                    help="fixed scratch root; the training projects run in <work>/<case>")
    args = ap.parse_args(argv)

    venv2 = args.venv2 or args.venv.with_name(args.venv.name + "-mlflow2")
    t0 = time.time()
    py3 = ensure_venv(args.venv, args.python, PINS_MLFLOW3)
    py2 = ensure_venv(venv2, args.python, PINS_MLFLOW2)
    log(f"venvs ready in {time.time() - t0:.0f}s")

    env = dict(os.environ)
    env.update(BASE_ENV)
    env.update({
        "MODELLINT_CORPUS_PYTHON3": str(py3),
        "MODELLINT_CORPUS_PYTHON2": str(py2),
        "MODELLINT_CORPUS_WORK": str(args.work),
        "MODELLINT_CORPUS_ONLY": args.only,
        "MODELLINT_CORPUS_SERVE": "0" if args.no_serve else "1",
        "MODELLINT_LINTER_PYTHON": linter_python(args.linter_python),
    })
    log(f"modellint runs with {env['MODELLINT_LINTER_PYTHON']}")
    wanted = {b for b in args.builder.split(",") if b}
    failures = []
    for name, venv_key in discover_builders():
        if wanted and name not in wanted:
            continue
        if venv_key == "benign":
            py = ensure_venv(args.venv_benign, args.python, PINS_BENIGN,
                             (args.torch_wheel,) if args.torch_wheel else ())
        else:
            py = py2 if venv_key == "mlflow2" else py3
        log(f"running builder {name} with {py}")
        t1 = time.time()
        r = subprocess.run([str(py), "-c", RUNNER, str(CORPUS_DIR), name, str(CORPUS_DIR)], env=env)
        log(f"builder {name}: exit {r.returncode} in {time.time() - t1:.0f}s")
        if r.returncode:
            failures.append(name)
    shutil.rmtree(CORPUS_DIR / "builders" / "__pycache__", ignore_errors=True)
    log(f"total {time.time() - t0:.0f}s; failed builders: {failures or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
