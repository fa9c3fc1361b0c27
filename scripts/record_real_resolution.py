#!/usr/bin/env python3
"""Record what a real resolver says about every model's declared environment.

For each model dir (``../shared/real-models/*``, ``corpus/models/*``,
``corpus/roundtrip/*/before|after``) this reads the Python the model declares (python_env.yaml,
else the conda file's ``python=``, else MLmodel's ``python_version``: modellint's own reader) and
its requirements (requirements.txt, else the conda file's ``pip:`` list), and asks uv to resolve
them for that Python on Linux x86_64, without installing anything:

    uv pip compile <requirements> --python-version X.Y.Z --python-platform x86_64-manylinux_2_28

once as is and once with ``--no-build`` (wheels only). The results go to
``tests/data/real_model_resolution.json``, which ``tests/test_real_model_resolution.py`` holds
modellint's offline installability rules against.

What an outcome means (``status``):

* ``resolved``: a set of releases exists that satisfies every requirement for that Python and
  platform. Resolution is not installation: a release with only an sdist resolves (uv reads its
  metadata from another file of the release, or builds it), yet installs only where a compiler and
  headers are present. The ``no_build`` outcome answers that: ``unsatisfiable`` there means some
  requirement can only be installed by building from source.
* ``unsatisfiable``: no such set exists (a release that does not exist, a ``Requires-Python`` that
  excludes the Python, pins that contradict each other). pip fails the same way.
* ``invalid_requirements``: a line uv cannot parse; pip refuses the file too.
* ``build_failed``: uv had to build an sdist to learn its dependencies and the build failed. uv
  builds with the interpreter it finds (``UV_PYTHON_DOWNLOADS=never``: this machine's), which is
  not the declared Python unless ``build_python_matches``: such a failure says nothing certain.
* ``index_unreachable``: an index the requirements name (``--extra-index-url``) or the default
  one could not be reached from here.
* ``timeout``, ``unsupported_python`` (uv cannot target it, e.g. 2.7), ``no_python`` (the model
  declares none), ``no_requirements`` (nothing to resolve): not determined.

The answer depends on the index at the recorded date (a later release can satisfy a range that
nothing satisfied then, a yanked release disappears from ranges). Run it again to re-record:

    python scripts/record_real_resolution.py --uv /path/to/uv [--jobs 2] [--timeout 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REAL_MODELS = REPO.parent / "shared" / "real-models"
OUTPUT = REPO / "tests" / "data" / "real_model_resolution.json"
PLATFORM = "x86_64-manylinux_2_28"  # glibc 2.28+, as MLflow's Debian-based serving images

if str(REPO) not in sys.path:  # a checkout run by another venv (the corpus builder's) reads uv the same way
    sys.path.insert(0, str(REPO))
# How uv's answer is read is modellint's own (``--resolve`` reads it the same way): standard library only.
from modellint.resolve.uv_output import (  # noqa: E402
    EXPLANATION_LINES,
    FAILED,
    UNDETERMINED,
    blamed,
    classify,
    explanation,
    normalize,
    warnings,
)

__all__ = ["EXPLANATION_LINES", "FAILED", "UNDETERMINED", "blamed", "classify", "explanation", "normalize", "warnings"]


def verdict(outcome: str, no_build: str | None) -> str:
    """What a model's two statuses say about installing it on the platform from its own files.

    ``fails``: it does not resolve, or it needs a source build: the wheels-only resolution is
    unsatisfiable while the full one resolved (or stopped at an sdist that would not build here).
    The second is what "no wheel for this platform and Python" claims, and the only outcome that
    can confirm it: such a pin resolves (uv reads its metadata) yet a serving image without a
    compiler cannot install it. ``installs``: both resolve. ``undetermined``: anything else.
    """
    if outcome in FAILED or (outcome in ("resolved", "build_failed") and no_build in FAILED):
        return "fails"
    if outcome == "resolved" and no_build == "resolved":
        return "installs"
    return "undetermined"


@dataclass(frozen=True)
class Outcome:
    """What one ``uv pip compile`` run said."""

    status: str
    exit_code: int | None
    explanation: tuple[str, ...]  # uv's first lines, after its warnings
    blamed: tuple[str, ...]  # requirements named in the explanation (normalised names)
    warnings: tuple[str, ...] = ()  # e.g. "`pandas==3.0.4` is yanked (reason: ...)"


@dataclass(frozen=True)
class ModelResolution:
    python: str | None
    requirements: str | None  # which file the requirements came from
    outcome: Outcome
    no_build: Outcome | None
    build_python_matches: bool
    seconds: float
    # The conda file's pip list when it differs from requirements.txt (what `--env-manager conda` installs).
    conda_pip: Outcome | None = None
    conda_pip_no_build: Outcome | None = None


def run_uv(uv: str, requirements: Path, python: str, *, cwd: Path, timeout: float,
           extra: Sequence[str] = (), names: Sequence[str] = ()) -> Outcome:
    command = [uv, "pip", "compile", str(requirements), "--python-version", python,
               "--python-platform", PLATFORM, "--no-header", "--no-annotate", *extra]
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never", UV_NO_CONFIG="1", NO_COLOR="1")
    try:
        completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                                   timeout=timeout)
    except subprocess.TimeoutExpired:
        return Outcome("timeout", None, (f"no answer within {timeout:.0f} s",), ())
    lines = explanation(completed.stderr, hide=(f"{requirements.parent}/", str(cwd) + "/"))
    status = classify(completed.returncode, completed.stderr)
    return Outcome(status, completed.returncode, lines if status != "resolved" else (),
                   blamed(lines, names) if status != "resolved" else (), warnings(completed.stderr))


def uv_version(uv: str) -> str:
    return subprocess.run([uv, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]


def build_python() -> str:
    """The interpreter uv builds sdists with here: the first ``python3`` on PATH."""
    found = subprocess.run(["python3", "-c", "import platform; print(platform.python_version())"],
                           capture_output=True, text=True)
    return found.stdout.strip()


# --- reading a model (modellint's own readers) -------------------------------------------------


@dataclass(frozen=True)
class Requirements:
    source: str  # "requirements.txt" or "<conda file> pip"
    lines: tuple[str, ...]
    names: tuple[str, ...]  # normalised names of its requirements


def declared(model: Path) -> tuple[str | None, list[Requirements]]:
    """The Python and the requirement lists of ``model`` as modellint reads them: requirements.txt
    (what MLflow's virtualenv and uv env managers install), then the conda ``pip:`` list (what
    ``--env-manager conda`` installs) when there is no requirements.txt or it says otherwise."""
    from modellint.analyzer.model_dir import ModelDir

    model_dir = ModelDir(model)
    python = None
    candidates = [model_dir.python_env.python if model_dir.python_env else None,
                  model_dir.conda.python.exact_version if model_dir.conda and model_dir.conda.python else None,
                  model_dir.mlmodel_python if model_dir.mlmodel is not None else None]
    for candidate in candidates:
        if candidate and re.fullmatch(r"\d+\.\d+(\.\d+)?", str(candidate).strip()):
            python = str(candidate).strip()
            break
    found = []
    if model_dir.requirements is not None:
        found.append(_requirements("requirements.txt", model_dir.requirements.lines))
    if model_dir.conda is not None and model_dir.conda.pip is not None:
        conda = _requirements(f"{model_dir.conda_file_name} pip", model_dir.conda.pip.lines)
        if not found or sorted(conda.lines) != sorted(found[0].lines):
            found.append(conda)
    return python, [requirements for requirements in found if requirements.names]


def _requirements(source: str, lines) -> Requirements:
    return Requirements(source, tuple(line.text.strip() for line in lines if line.text.strip()),
                        tuple(line.name for line in lines if line.name))


def resolve_model(uv: str, model: Path, timeout: float, build: str) -> ModelResolution:
    started = time.monotonic()
    python, lists = declared(model)
    matches = python is not None and python.split(".")[:2] == build.split(".")[:2]

    def done(source: str | None, outcome: Outcome, no_build: Outcome | None = None,
             conda: tuple[Outcome, Outcome | None] | None = None) -> ModelResolution:
        return ModelResolution(python, source, outcome, no_build, matches, round(time.monotonic() - started, 1),
                               *(conda or (None, None)))

    if python is None:
        return done(lists[0].source if lists else None, Outcome("no_python", None, (), ()))
    if not lists:
        return done(None, Outcome("no_requirements", None, (), ()))
    with tempfile.TemporaryDirectory(prefix="resolve-") as scratch:
        outcomes = [resolve_list(uv, model, python, requirements, Path(scratch), timeout) for requirements in lists]
    return done(lists[0].source, *outcomes[0], conda=outcomes[1] if len(outcomes) > 1 else None)


def resolve_list(uv: str, model: Path, python: str, requirements: Requirements, scratch: Path,
                 timeout: float) -> tuple[Outcome, Outcome | None]:
    """uv's answer for one requirement list, as is and (unless that failed) wheels only."""
    if requirements.source == "requirements.txt":
        path = model / "requirements.txt"  # in place: its -r/-c lines are relative to it
    else:
        path = scratch / "conda-pip.txt"
        path.write_text("\n".join(requirements.lines) + "\n")
    outcome = run_uv(uv, path, python, cwd=model, timeout=timeout, names=requirements.names)
    if outcome.status not in ("resolved", "build_failed"):
        return outcome, None  # wheels only cannot do better than that
    return outcome, run_uv(uv, path, python, cwd=model, timeout=timeout, extra=("--no-build",),
                           names=requirements.names)


def model_dirs(real_models: Path) -> Iterator[tuple[str, Path]]:
    """``(key, path)`` of every model dir this records, keys relative to the repo (real models
    as ``real-models/<dir>``)."""
    if real_models.is_dir():
        for path in sorted(real_models.iterdir()):
            if path.is_dir() and not path.name.startswith("_"):
                yield f"real-models/{path.name}", path
    for path in sorted((REPO / "corpus" / "models").iterdir()):
        if path.is_dir():
            yield path.relative_to(REPO).as_posix(), path
    for case in sorted((REPO / "corpus" / "roundtrip").iterdir()):
        for side in ("before", "after"):
            if (case / side).is_dir():
                yield (case / side).relative_to(REPO).as_posix(), case / side


def encode(outcome: Outcome | None) -> dict | None:
    if outcome is None:
        return None
    data = asdict(outcome)
    data["explanation"] = list(outcome.explanation)
    data["blamed"] = list(outcome.blamed)
    data["warnings"] = list(outcome.warnings)
    return data


def render(meta: dict, results: dict[str, ModelResolution]) -> str:
    """Sorted JSON, one model per line: diffs of a re-recording stay readable."""
    rows = []
    for key in sorted(results):
        result = asdict(results[key])
        result["outcome"] = encode(results[key].outcome)
        result["no_build"] = encode(results[key].no_build)
        result["conda_pip"] = encode(results[key].conda_pip)
        result["conda_pip_no_build"] = encode(results[key].conda_pip_no_build)
        rows.append(f"  {json.dumps(key)}: {json.dumps(result, sort_keys=True)}")
    head = json.dumps(meta, sort_keys=True)
    return '{"meta": ' + head + ',\n "models": {\n' + ",\n".join(" " + row for row in rows) + "\n }\n}\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uv", default="uv", help="the uv executable")
    parser.add_argument("--real-models", type=Path, default=REAL_MODELS)
    parser.add_argument("--out", type=Path, default=OUTPUT)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per uv run")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated substrings of the keys to record")
    args = parser.parse_args(argv)

    wanted = [part for part in args.only.split(",") if part]
    models = [(key, path) for key, path in model_dirs(args.real_models)
              if not wanted or any(part in key for part in wanted)]
    build = build_python()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {key: pool.submit(resolve_model, args.uv, path, args.timeout, build) for key, path in models}
        results = {}
        for key, future in futures.items():
            results[key] = future.result()
            print(f"{results[key].outcome.status:20} {results[key].seconds:6.1f}s {key}", flush=True)
    if wanted and args.out.exists():  # a partial run updates the recorded file
        old = json.loads(args.out.read_text())["models"]
        results = {**{key: _decode(value) for key, value in old.items()}, **results}
    meta = {"uv": uv_version(args.uv), "platform": PLATFORM, "recorded": dt.date.today().isoformat(),
            "build_python": build, "python_downloads": "never", "timeout_seconds": args.timeout,
            "command": f"uv pip compile <requirements> --python-version <declared> --python-platform {PLATFORM}"
                       " [--no-build]"}
    args.out.write_text(render(meta, results))
    print(f"{len(models)} models in {time.monotonic() - started:.0f} s -> {args.out}", file=sys.stderr)
    return 0


def _decode(value: dict) -> ModelResolution:
    def outcome(data: dict) -> Outcome:
        return Outcome(data["status"], data["exit_code"], tuple(data["explanation"]), tuple(data["blamed"]),
                       tuple(data.get("warnings", ())))

    def optional(name: str) -> Outcome | None:
        return outcome(value[name]) if value.get(name) is not None else None

    return ModelResolution(value["python"], value["requirements"], outcome(value["outcome"]), optional("no_build"),
                           value["build_python_matches"], value["seconds"], optional("conda_pip"),
                           optional("conda_pip_no_build"))

if __name__ == "__main__":
    sys.exit(main())
