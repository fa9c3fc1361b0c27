"""Installability corpus: ``corpus/installability/<case>/{model/,CASE.json,resolution.json}``.

Each case is a small model saved by real MLflow (an sklearn model, or a pyfunc model for the case
whose requirements MLflow writes from ``pip_requirements``) whose declared environment cannot be
built on the serving platform for one of the reasons of issue 17: a release that does not exist,
a ``Requires-Python`` that excludes the declared Python, no wheel for the platform and Python, a
Windows-only package, a standard-library backport, pins that contradict each other, a yanked
release, a private package no index line serves, a release with known vulnerabilities (which
installs); and one correct twin. A case either passes the pin to MLflow's own
``extra_pip_requirements``/``pip_requirements`` (MLflow writes it as given) or edits the files
MLflow wrote afterwards (``edit`` in CASE.json), keeping requirements.txt and the conda ``pip:``
list in step.

Beside each model, ``resolution.json`` records what uv's resolver says about the model's
requirements for its declared Python on Linux x86_64 (``uv pip compile`` as is and with
``--no-build``, run by ``scripts/record_real_resolution.py``'s own functions, so the corpus and
``tests/data/real_model_resolution.json`` read the same way). ``tests/corpus/test_installability_corpus.py``
holds each record to what its case says.

Run by ``corpus/build.py --builder installability`` in the MLflow 3.x venv (its ``uv`` resolves).
Only the standard library is imported here; MLflow runs in subprocesses.
"""
from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import platform
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

REPO = pathlib.Path(__file__).resolve().parents[2]

SKLEARN = '''\
import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression

X = pd.DataFrame({{"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]}})
clf = LogisticRegression(random_state=0).fit(X, [0, 0, 1, 1])
mlflow.sklearn.save_model(clf, "model", input_example=X.head(2){extra})
'''

PYFUNC = '''\
import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel


class Scale(PythonModel):
    def predict(self, context, model_input, params=None):
        return np.asarray(model_input["x"], dtype=float) * 2.0


mlflow.pyfunc.save_model("model", python_model=Scale(), input_example=pd.DataFrame({{"x": [1.0, 2.0]}}){extra})
'''


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    saved_with: str  # the keyword arguments given to save_model, as written in the script
    # status of "resolution" and "no_build" (None: not run), "blames", "warns", and "reported": the
    # installability errors modellint reports on the model (each must fire; other rules may add more)
    expect: dict
    template: str = SKLEARN
    edit: str | None = None
    apply: Callable[[pathlib.Path], None] | None = None
    notes: list = field(default_factory=list)


def _sub(path: pathlib.Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    if old not in text:
        raise RuntimeError(f"{path}: {old!r} not found")
    path.write_text(text.replace(old, new, count))


def replace_pins(*pairs: tuple[str, str]) -> Callable[[pathlib.Path], None]:
    """Replace whole requirement lines in requirements.txt and the conda ``pip:`` list alike."""

    def apply(model: pathlib.Path) -> None:
        for old, new in pairs:
            lines = (model / "requirements.txt").read_text().split("\n")
            lines[lines.index(old)] = new
            (model / "requirements.txt").write_text("\n".join(lines))
            _sub(model / "conda.yaml", f"  - {old}\n", f"  - {new}\n")

    return apply


def declare_python(new: str) -> Callable[[pathlib.Path], None]:
    """Declare another Python in MLmodel, python_env.yaml and conda.yaml, as a model saved there would."""

    def apply(model: pathlib.Path) -> None:
        old = platform.python_version()  # the builder runs in the interpreter that saved the model
        _sub(model / "MLmodel", f"python_version: {old}\n", f"python_version: {new}\n", count=10)
        _sub(model / "python_env.yaml", f"python: {old}\n", f"python: {new}\n")
        _sub(model / "conda.yaml", f"- python={old}\n", f"- python={new}\n")

    return apply


# What MLflow writes for the sklearn model, plus one conda package of another channel.
CONDA_ENV_WITH_PYTORCH_CUDA = {
    "channels": ["conda-forge"],
    "dependencies": [f"python={platform.python_version()}", "pip<=23.2.1", "pytorch-cuda=12.1",
                     {"pip": ["mlflow==3.17.2", "numpy==2.4.6", "pandas==3.1.1", "scikit-learn==1.9.1",
                              "scipy==1.17.1", "skops==0.16.0"]}],
    "name": "mlflow-env",
}

CASES = [
    Case("release-does-not-exist",
         "cloudpickle==2.5.8 (the example pin of MLflow's dependency guide) was never released.",
         'extra_pip_requirements=["cloudpickle==2.5.8"]',
         {"resolution": "unsatisfiable", "no_build": None, "blames": "cloudpickle", "reported": ["ML503"]}),
    Case("requires-python-excludes",
         "The model declares Python 3.8.8; scikit-learn==1.9.1 (and the rest of MLflow's pins) require >=3.11.",
         "", {"resolution": "unsatisfiable", "no_build": None, "reported": ["ML504"]},
         edit="python_version/python:/python= 3.11.x -> 3.8.8 in MLmodel, python_env.yaml, conda.yaml",
         apply=declare_python("3.8.8")),
    Case("no-wheel-for-python",
         "numpy==1.19.0 on Python 3.11: it resolves (uv reads the metadata of the release's other wheels) but "
         "only its sdist fits, which needs a C compiler and Python headers to install.",
         'pip_requirements=["numpy==1.19.0"]',
         {"resolution": "resolved", "no_build": "unsatisfiable", "blames": "numpy"}, template=PYFUNC),
    Case("platform-only-package",
         "pywin32 (a training run on Windows) has only Windows wheels and no sdist: nothing installs on Linux.",
         'extra_pip_requirements=["pywin32==312"]',
         {"resolution": "unsatisfiable", "no_build": None, "blames": "pywin32", "reported": ["ML502"]}),
    Case("stdlib-backport",
         "dataclasses==0.6 (a backport of a module Python 3.7+ ships) installs on 3.11: a py3-none-any wheel with "
         "no Requires-Python. It resolves; the standard library's module is the one imported (site-packages "
         "comes later on sys.path), so ML501 says so as info.",
         'extra_pip_requirements=["dataclasses==0.6"]',
         {"resolution": "resolved", "no_build": "resolved"}),
    Case("contradictory-pins",
         "pandas==2.2.3 requires numpy>=1.23.2 on Python 3.11, and numpy is pinned to 1.21.0.",
         "", {"resolution": "unsatisfiable", "no_build": None, "blames": "numpy", "reported": ["ML507"]},
         edit="requirements.txt and conda.yaml: pandas==3.1.1 -> pandas==2.2.3, numpy==2.4.6 -> numpy==1.21.0",
         apply=replace_pins(("pandas==3.1.1", "pandas==2.2.3"), ("numpy==2.4.6", "numpy==1.21.0"))),
    Case("yanked-release",
         "pandas==3.0.4 was yanked (\"Reported segfaults with datetime-related functionality\"). An exact pin "
         "of a yanked release still installs (PEP 592), with a warning: uv and pip resolve it.",
         "", {"resolution": "resolved", "no_build": "resolved", "warns": "is yanked"},
         edit="requirements.txt and conda.yaml: pandas==3.1.1 -> pandas==3.0.4",
         apply=replace_pins(("pandas==3.1.1", "pandas==3.0.4"))),
    Case("requirement-not-on-index",
         "acme-features==1.4.0, a private package the training machine installed from a company index, with no "
         "--extra-index-url line: PyPI has no project of that name, so nothing can install it.",
         'extra_pip_requirements=["acme-features==1.4.0"]',
         {"resolution": "unsatisfiable", "no_build": None, "blames": "acme-features"}),
    Case("known-vulnerable-pin",
         "pillow==10.0.0 installs (a cp311 manylinux wheel), but its wheels bundle a libwebp with a heap overflow "
         "(PYSEC-2023-175, CVE-2023-4863), fixed in 10.0.1. It resolves: ML510 is a warning, not an installability "
         "error.",
         'extra_pip_requirements=["pillow==10.0.0"]',
         {"resolution": "resolved", "no_build": "resolved"}),
    Case("conda-python-not-built",
         "The model declares Python 3.13.4, which CPython replaced with 3.13.5 eight days later: conda-forge never "
         "built it, and conda.yaml lists conda-forge alone, so conda cannot build the env "
         "(`--env-manager conda`, Azure ML). The pip requirements resolve for 3.13.4.",
         "", {"resolution": "resolved", "no_build": "resolved", "conda": "fails", "reported": ["ML511"]},
         edit="python_version/python:/python= 3.11.x -> 3.13.4 in MLmodel, python_env.yaml, conda.yaml",
         apply=declare_python("3.13.4")),
    Case("conda-package-not-in-channels",
         "A conda env exported from a GPU workstation and trimmed to conda-forge: pytorch-cuda=12.1 is the "
         "pytorch channel's package, which conda-forge does not publish, so conda cannot build the env. The pip "
         "requirements resolve.",
         "conda_env=" + repr(CONDA_ENV_WITH_PYTORCH_CUDA).replace("'", '"'),
         {"resolution": "resolved", "no_build": "resolved", "conda": "fails", "reported": ["ML512"]}),
    Case("correct-twin",
         "The same sklearn model as MLflow saves it: every pin exists, fits Python 3.11 and has a Linux wheel.",
         "", {"resolution": "resolved", "no_build": "resolved"}),
]


def _env() -> dict:
    env = dict(os.environ)
    env.update({"MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONHASHSEED": "0", "UV_PYTHON_DOWNLOADS": "never"})
    env.pop("PYTHONPATH", None)
    return env


def _interpreter_info(py: str) -> str:
    return subprocess.run(
        [py, "-c", "import json, platform, importlib.metadata as m; "
                   "print(json.dumps({'mlflow': m.version('mlflow'), 'python': platform.python_version()}))"],
        capture_output=True, text=True, check=True, env=_env()).stdout


def _resolver():
    """``scripts/record_real_resolution.py`` as a module (stdlib-only at import)."""
    spec = importlib.util.spec_from_file_location("record_real_resolution",
                                                  REPO / "scripts" / "record_real_resolution.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _python_declared(model: pathlib.Path) -> str:
    for line in (model / "python_env.yaml").read_text().splitlines():
        if line.startswith("python:"):
            return line.split(":", 1)[1].strip()
    raise RuntimeError(f"{model}: python_env.yaml declares no python")


def record_resolution(model: pathlib.Path, uv: str, resolver) -> dict:
    python = _python_declared(model)
    requirements = model / "requirements.txt"
    names = [resolver.normalize(match.group(0)) for line in requirements.read_text().splitlines()
             if (match := re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line))]
    outcome = resolver.run_uv(uv, requirements, python, cwd=model, timeout=300, names=names)
    no_build = resolver.run_uv(uv, requirements, python, cwd=model, timeout=300, extra=("--no-build",),
                               names=names)
    return {"python": python, "platform": resolver.PLATFORM, "requirements": requirements.read_text().splitlines(),
            "uv": resolver.uv_version(uv), "recorded": resolver.dt.date.today().isoformat(),
            "command": f"uv pip compile requirements.txt --python-version {python} "
                       f"--python-platform {resolver.PLATFORM} [--no-build]",
            "resolution": resolver.encode(outcome), "no_build": resolver.encode(no_build)}


# conda-forge's own repositories (read-only git mirrors): the data a conda case's verdict rests on.
PYTHON_FEEDSTOCK = pathlib.Path(os.environ.get("MODELLINT_PYTHON_FEEDSTOCK",
                                               "/work/.mirror/conda-forge+python-feedstock/repo"))
FEEDSTOCK_OUTPUTS = pathlib.Path(os.environ.get("MODELLINT_FEEDSTOCK_OUTPUTS",
                                                "/work/.mirror/conda-forge+feedstock-outputs/repo"))
REPODATA = "https://conda.anaconda.org/conda-forge/linux-64/repodata.json"


def _git(repo: pathlib.Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def _head(repo: pathlib.Path) -> dict:
    commit, date = _git(repo, "log", "-1", "--format=%H %cI").split()
    return {"repository": repo.parent.name.replace("+", "/"), "commit": commit, "date": date}


def _conda_specs(model: pathlib.Path) -> tuple[list[str], list[str]]:
    """The channels and the conda (not pip) dependencies of conda.yaml, read line by line (MLflow's layout)."""
    channels, specs, section = [], [], None
    for line in (model / "conda.yaml").read_text().splitlines():
        if not line.startswith((" ", "-")):
            section = line.rstrip(":")
        elif line.startswith("- ") and not line.startswith("- pip:"):
            (channels if section == "channels" else specs).append(line[2:].strip())
    return channels, specs


def _try_the_channel() -> dict:
    """What building the env would need first: conda-forge's repodata (no conda channel answers here)."""
    import urllib.request

    try:
        with urllib.request.urlopen(REPODATA, timeout=20) as response:
            return {"url": REPODATA, "status": response.status}
    except Exception as error:  # the outcome is the record
        return {"url": REPODATA, "error": f"{type(error).__name__}: {error}"}


def record_conda(model: pathlib.Path) -> dict:
    """What was tried to build the conda env, and conda-forge's data about each conda dependency:
    for ``python``, whether a branch of its python-feedstock ever set that version; for every other
    package, whether feedstock-outputs registers the name."""
    channels, specs = _conda_specs(model)
    evidence = []
    for spec in specs:
        name = re.split(r"[<>=!\s]", spec, maxsplit=1)[0]
        version = spec[len(name):].lstrip("=<>! ")
        if name == "python":
            pattern = f'set (base_)?version = "{version}"'
            commits = _git(PYTHON_FEEDSTOCK, "log", "--branches", "--format=%h", "-E", "-G", pattern, "--",
                           "recipe/meta.yaml").split()
            minor = ".".join(version.split(".")[:2])
            built = sorted({m.group(1) for m in re.finditer(rf'set (?:base_)?version = "({re.escape(minor)}\.\d+)"',
                                                            _git(PYTHON_FEEDSTOCK, "log", "--branches", "-p", "--",
                                                                 "recipe/meta.yaml"))},
                           key=lambda v: [int(p) for p in v.split(".")])
            evidence.append({"spec": spec, "recipe_commits_on_branches": commits,
                             f"versions_{minor}_set_on_branches": built})
        else:
            path = f"outputs/{'/'.join(name[:3].ljust(3, 'z'))}/{name}.json"  # the registry's layout: go -> g/o/z
            listed = bool(_git(FEEDSTOCK_OUTPUTS, "ls-tree", "HEAD", "--", path).strip())
            evidence.append({"spec": spec, "registry_file": path, "registered": listed})
    return {
        "channels": channels,
        "tried": {"conda_executable": [shutil.which(tool) for tool in ("conda", "mamba", "micromamba")],
                  "channel": _try_the_channel(),
                  "note": "conda, mamba and micromamba are not on PyPI in a usable form (PyPI's `conda` is 4.3.16 "
                          "of 2017, and every solver needs the channel's repodata), and no conda channel "
                          "resolves from this machine: the real outcome of `mlflow models prepare-env "
                          "--env-manager conda` cannot be recorded here."},
        "sources": {"python_feedstock": _head(PYTHON_FEEDSTOCK), "feedstock_outputs": _head(FEEDSTOCK_OUTPUTS)},
        "evidence": evidence,
    }


def build(out_dir: pathlib.Path) -> None:
    root = pathlib.Path(out_dir) / "installability"
    work = pathlib.Path(os.environ.get("MODELLINT_CORPUS_WORK", "/tmp/modellint-corpus-work")) / "installability"
    only = {c for c in os.environ.get("MODELLINT_CORPUS_ONLY", "").split(",") if c}
    py = sys.executable
    uv = str(pathlib.Path(py).parent / "uv")
    built_with = json.loads(_interpreter_info(py))
    resolver = _resolver()
    names = {case.name for case in CASES}
    if root.exists() and not only:
        for stale in root.iterdir():
            if stale.is_dir() and stale.name not in names:
                shutil.rmtree(stale)

    def produce(case: Case) -> None:
        wdir = work / case.name
        shutil.rmtree(wdir, ignore_errors=True)
        wdir.mkdir(parents=True)
        extra = f", {case.saved_with}" if case.saved_with else ""
        (wdir / "train.py").write_text(case.template.format(extra=extra))
        r = subprocess.run([py, "train.py"], cwd=wdir, env=_env(), capture_output=True, text=True, timeout=900)
        if r.returncode:
            raise RuntimeError(f"{case.name}: train.py failed:\n{r.stderr[-3000:]}")
        dst = root / case.name
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(wdir / "model", dst / "model", ignore=shutil.ignore_patterns("__pycache__"))
        if case.apply:
            case.apply(dst / "model")
        info = {"description": case.description, "built_with": built_with,
                "saved_with": f"mlflow.{'sklearn' if case.template is SKLEARN else 'pyfunc'}.save_model(...{extra})",
                "edit": case.edit, "expect": case.expect}
        (dst / "CASE.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        record = record_resolution(dst / "model", uv, resolver)
        (dst / "resolution.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        if "conda" in case.expect:
            conda = record_conda(dst / "model")
            (dst / "conda.json").write_text(json.dumps(conda, indent=2, sort_keys=True) + "\n")
        print(f"[installability] {case.name}: {record['resolution']['status']} / "
              f"no-build {record['no_build']['status']}", flush=True)

    failures = []
    with ThreadPoolExecutor(max_workers=int(os.environ.get("MODELLINT_CORPUS_JOBS", "2"))) as pool:
        futures = {pool.submit(produce, case): case for case in CASES if not only or case.name in only}
        for future, case in futures.items():
            try:
                future.result()
            except Exception as error:  # keep going; report at the end
                failures.append(case.name)
                print(f"[installability] {case.name}: FAILED {error}", flush=True)
    if failures:
        raise SystemExit(f"[installability] failed cases: {failures}")
