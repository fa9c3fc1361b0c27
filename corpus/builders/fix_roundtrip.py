"""Fix round-trip corpus: ``corpus/roundtrip/<case>/{before,after,result.json}``.

For each fixable broken case of the model corpus (at least one per rule with a fix), the broken
model (or training project) is copied to ``before/``, modellint ``--fix`` (with
``--unsafe-fixes`` where the fix needs it) turns a copy of it into ``after/``, and real MLflow
then serves both with ``mlflow models predict --env-manager uv`` (conda for the one case about
conda) in a fresh environment built from the model's own files. A project case is trained
first (its ``train.py`` saves ``model``) and that model is served. ``result.json`` records the
findings the fix removed and those left, whether a second ``--fix`` changed anything, both
predict outcomes (with the tail of stderr), what the check shows for that fix (``note``), why
a case cannot predict here (``expected_failure``) and the versions involved. ``tests/corpus/test_fix_roundtrip.py`` replays the fix offline and
checks it against this record.

Run by ``corpus/build.py --builder fix_roundtrip`` after the ``models`` builder (it copies
``corpus/models/<case>`` and ``corpus/projects/<case>``). modellint runs from this repository
(``PYTHONPATH``) in ``$MODELLINT_LINTER_PYTHON``, an interpreter with modellint's dependencies;
MLflow runs in the corpus venv (this interpreter). Only the standard library is imported here.
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

REPO = pathlib.Path(__file__).resolve().parents[2]
PYENV = pathlib.Path("/root/.pyenv/versions")


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # "models/<case>" or "projects/<case>" below corpus/
    rules: tuple[str, ...]  # the codes whose fix the case exercises
    description: str
    unsafe: bool = False  # the fix needs --unsafe-fixes
    python_overlay: bool = False  # lint with --python <the corpus interpreter> (pinned, safe fixes)
    predict_input: dict | None = None  # when the model stores no serving input example
    # Why serving the fixed model fails for a reason outside the fix; None: it must predict.
    expected_failure: str | None = None
    note: str | None = None  # what the predict check does and does not show for this fix
    env_manager: str = "uv"  # `mlflow models predict --env-manager`


TABULATE_INPUT = {"columns": ["x"], "data": [[1], [2]]}

CASES = [
    Case("ml101-requirements-txt", "models/ml101-no-requirements-txt", ("ML101",),
         "python_env.yaml says `-r requirements.txt`, which is missing: the fix rebuilds it from the "
         "conda `pip:` list (safe)."),
    Case("ml101-python-env", "models/ml101-no-python-env", ("ML101",),
         "python_env.yaml is missing: the fix writes it from conda.yaml as MLflow's fallback reads it (safe).",
         note="MLflow's fallback serves the broken model too (the finding is a warning); after the fix uv builds "
              "from the python_env.yaml modellint wrote."),
    Case("ml102-requirements-drift", "models/ml102-requirements-drift", ("ML102",),
         "requirements.txt pins scipy==1.16.0, the conda `pip:` list scipy==1.17.1: the fix makes the "
         "conda list equal requirements.txt (unsafe).", unsafe=True,
         note="--env-manager uv installs requirements.txt only; the conda `pip:` list the fix rewrites is read by "
              "--env-manager conda, which needs conda (not available here): predict shows the fix breaks nothing."),
    Case("ml103-conda-defaults", "models/ml103-conda-defaults", ("ML103",),
         "The user conda_env lists Anaconda's `defaults`: the fix replaces it with conda-forge (unsafe).",
         unsafe=True,
         note="uv never reads conda channels; resolving from conda-forge needs --env-manager conda, which needs "
              "conda (not available here): predict shows the fix breaks nothing, not the conda path."),
    Case("ml103-conda-defaults-conda-env", "models/ml103-conda-defaults", ("ML103",),
         "The ML103 fix served the way it matters, with --env-manager conda (conda resolves the channels).",
         unsafe=True, env_manager="conda",
         expected_failure="--env-manager conda needs a conda executable, which this build machine does not have "
                          "(uv cannot build conda environments): the conda-forge channel could not be served here"),
    Case("ml104-sklearn-alias", "models/ml104-sklearn-alias", ("ML104",),
         "The deprecated `sklearn` alias next to scikit-learn: the fix replaces it (the duplicate it "
         "leaves is ML107's safe fix in the next pass)."),
    Case("ml104-conda-style-pin", "models/ml104-not-pep508", ("ML104",),
         "A conda-style `pandas=3.1.1` pip cannot parse: the fix writes `pandas==3.1.1` (unsafe: conda's `=` also "
         "matches later patch builds).", unsafe=True),
    Case("ml104-placeholder-pin", "models/ml104-placeholder-pin", ("ML104",),
         "A placeholder pin `scipy==0.0`: MLmodel records no scipy version, so the fix writes the bare name "
         "(unsafe: any version).", unsafe=True),
    Case("ml105-mlflow-unpinned", "models/ml105-mlflow-unpinned", ("ML105",),
         "`mlflow` unpinned: the fix pins MLmodel's mlflow_version (safe).",
         note="The unpinned model serves today because the newest MLflow is the one that saved it; the pin keeps "
              "that true after the next release."),
    Case("ml105-mlflow-pin-mismatch", "models/ml105-mlflow-pin-mismatch", ("ML105",),
         "`mlflow==3.1.0` disagrees with mlflow_version 3.17.2: the fix re-pins it (unsafe).", unsafe=True),
    Case("ml107-duplicate-requirement", "models/ml107-duplicate-requirement", ("ML107",),
         "scikit-learn listed twice (as scikit_learn): the fix drops the exact repeat (safe).",
         note="Identical repeats install fine: the fix is hygiene, predict shows it breaks nothing."),
    Case("ml201-lazy-import", "models/lazy-import-missing", ("ML201",),
         "predict imports tabulate lazily and nothing declares it: the fix adds `tabulate` to "
         "requirements.txt and the conda `pip:` list (unpinned: unsafe).",
         unsafe=True, predict_input=TABULATE_INPUT),
    Case("ml201-lazy-import-pinned", "models/lazy-import-missing", ("ML201",),
         "The same model linted with `--python` the corpus interpreter, which has tabulate installed: "
         "the fix adds `tabulate==<installed>` (safe).",
         python_overlay=True, predict_input=TABULATE_INPUT),
    Case("ml201-importlib", "models/importlib-import-missing", ("ML201",),
         "predict loads tabulate with importlib.import_module; hand-written pip_requirements forgot it "
         "(unsafe, unpinned).", unsafe=True),
    Case("ml202-read-excel", "models/read-excel-no-openpyxl", ("ML202",),
         "load_context calls pd.read_excel; pandas is declared, openpyxl is not: the fix adds `openpyxl` "
         "(unsafe, unpinned).", unsafe=True),
    Case("ml301-skinny-no-sklearn", "models/skinny-no-sklearn", ("ML301",),
         "python_model.pkl holds a fitted sklearn estimator; the requirements name mlflow-skinny and no "
         "scikit-learn: the fix adds `scikit-learn` (unsafe, unpinned).", unsafe=True),
    Case("ml203-codepaths-file", "projects/codepaths-file", ("ML203",),
         "Training project: code_paths=[\"src/utils.py\"] flattens to code/utils.py while predict imports "
         "src.utils: the fix rewrites the literal to \"src\" (safe); the project is trained again to serve."),
]


def _env(extra_path: list[str] | None = None) -> dict:
    env = dict(os.environ)
    env.update({"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONHASHSEED": "0", "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"})
    env.pop("PYTHONPATH", None)
    if extra_path:
        env["PATH"] = os.pathsep.join([*extra_path, env.get("PATH", "")])
    return env


def _linter(args: list[str], cwd: pathlib.Path) -> subprocess.CompletedProcess:
    env = _env()
    env["PYTHONPATH"] = str(REPO)
    python = os.environ.get("MODELLINT_LINTER_PYTHON", sys.executable)
    return subprocess.run([python, "-m", "modellint", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def _findings(run: subprocess.CompletedProcess, prefix: str) -> list[dict]:
    """The JSON report's findings, paths relative to the model (``before/`` or ``after/`` dropped)."""
    try:
        report = json.loads(run.stdout)
    except ValueError as error:
        raise RuntimeError(f"modellint gave no JSON report (exit {run.returncode}): {run.stderr[-2000:]}") from error
    return [{"code": f["code"], "severity": f["severity"], "path": f["path"].removeprefix(prefix),
             "line": f["line"], "message": f["message"].replace(prefix, "")}
            for f in report["findings"]]


def _key(finding: dict) -> tuple:
    return finding["code"], finding["path"], finding["message"]


def _digest(root: pathlib.Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def linter_args(case: Case, python3: str) -> list[str]:
    args = ["--fix", "--isolated", "--format", "json", "--show-fixes"]
    if case.unsafe:
        args.append("--unsafe-fixes")
    if case.python_overlay:
        args += ["--python", python3]
    return args


def _installed(python3: str, names: list[str]) -> dict[str, str]:
    code = ("import json, sys, importlib.metadata as m\n"
            "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))\n")
    run = subprocess.run([python3, "-c", code, *names], capture_output=True, text=True, check=True, env=_env())
    return json.loads(run.stdout)


def _tail(text: str, replacements: dict[str, str], lines: int = 15) -> list[str]:
    kept = [line.rstrip() for line in text.splitlines() if line.strip()]
    tail = kept[-lines:]
    for old, new in replacements.items():
        tail = [line.replace(old, new) for line in tail]
    return tail


def _error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for pattern in (r"ModuleNotFoundError: .*", r"No module named .*"):
        hits = [m.group(0) for line in lines for m in [re.search(pattern, line)] if m]
        if hits:
            return hits[-1][:300]
    # uv's own failure (the install, before MLflow's traceback): its first `error:` and causes.
    for index, line in enumerate(lines):
        if line.startswith("error: "):
            causes = [cause for cause in lines[index + 1:index + 4] if cause.startswith("cause:")]
            return " ".join([line, *causes])[:300]
    hits = [m.group(0) for line in lines for m in [re.search(r"\w+(?:Error|Exception): .*", line)] if m]
    if hits:
        return hits[-1][:300]
    return lines[-1][:300] if lines else ""


def _train(python3: str, project: pathlib.Path, log: pathlib.Path) -> pathlib.Path:
    run = subprocess.run([python3, "train.py"], cwd=project, env=_env(), capture_output=True, text=True, timeout=900)
    log.write_text(run.stdout + "\n--- stderr\n" + run.stderr)
    if run.returncode:
        raise RuntimeError(f"train.py failed: {_error_line(run.stderr)}")
    return project / "model"


def predict(python3: str, source: pathlib.Path, case: Case, work: pathlib.Path, label: str) -> dict:
    """Serve a copy of ``source`` (a model, or a project trained first) with
    ``mlflow models predict --env-manager uv``; the corpus itself is never written to."""
    scratch = work / label
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(source, scratch)
    try:
        model = _train(python3, scratch, work / f"{label}.train.log") if case.source.startswith("projects/") else scratch
    except RuntimeError as error:
        return {"ok": False, "error": str(error), "stderr_tail": []}
    payload = model / "serving_input_example.json"
    if not payload.exists():
        payload = work / f"{label}.input.json"
        payload.write_text(json.dumps({"dataframe_split": case.predict_input}))
    bindir = str(pathlib.Path(python3).parent)
    local_pythons = [str(p / "bin") for p in sorted(PYENV.glob("3.*"))]
    command = [os.path.join(bindir, "mlflow"), "models", "predict", "-m", str(model), "-i", str(payload),
               "-t", "json", "--env-manager", case.env_manager]
    try:
        run = subprocess.run(command, cwd=work, env=_env([bindir, *local_pythons]), capture_output=True,
                             text=True, timeout=1500)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "timeout", "stderr_tail": []}
    (work / f"{label}.predict.log").write_text(f"$ {' '.join(command)}\nexit {run.returncode}\n--- stdout\n"
                                               f"{run.stdout}\n--- stderr\n{run.stderr}")
    replacements = {str(model): "<model>", str(work): "<work>", str(pathlib.Path.home()): "~"}
    result = {"ok": run.returncode == 0, "stderr_tail": _tail(run.stderr, replacements)}
    if run.returncode == 0:
        result["output"] = run.stdout.strip().splitlines()[-1][:300] if run.stdout.strip() else ""
    else:
        error = _error_line(run.stderr)
        for old, new in replacements.items():
            error = error.replace(old, new)
        result["error"] = error
    return result


def roundtrip(case: Case, out: pathlib.Path, python3: str, versions: dict) -> dict:
    """before/ -> --fix -> after/, the findings on both sides, and idempotence."""
    case_dir = out / case.name
    if case_dir.exists():
        shutil.rmtree(case_dir)
    before, after = case_dir / "before", case_dir / "after"
    shutil.copytree(out.parent / case.source, before, ignore=shutil.ignore_patterns("CASE.json", "__pycache__"))
    shutil.copytree(before, after)
    lint_before = _linter(["before", "--isolated", "--format", "json"], case_dir)
    found_before = _findings(lint_before, "before/")
    args = linter_args(case, python3)
    fixed_run = _linter(["after", *args], case_dir)
    remaining = _findings(fixed_run, "after/")
    once = _digest(after)
    second = _linter(["after", *args], case_dir)
    left = {_key(f) for f in remaining}
    result = {
        "case": case.name,
        "description": case.description,
        "source": case.source,
        "rules": list(case.rules),
        "linter_args": ["<corpus-python>" if arg == python3 else arg for arg in args],
        "fixed": [f for f in found_before if _key(f) not in left],
        "remaining": remaining,
        "fix_log": [line for line in fixed_run.stderr.splitlines() if line.strip()],
        "second_fix_noop": _digest(after) == once and "Fixed" not in second.stderr,
        "versions": versions,
        "expected_failure": case.expected_failure,
        "note": case.note,
        "env_manager": case.env_manager,
    }
    if case.python_overlay:
        # What the --python interpreter had installed, for the test's stand-in interpreter.
        wanted = sorted({line.split("==")[0] for f in result["fix_log"] for line in re.findall(r"`([^`]+==[^`]+)`", f)})
        result["python_overlay"] = _installed(python3, wanted) if wanted else {}
    return result


def build(out_dir: pathlib.Path) -> None:
    out = pathlib.Path(out_dir) / "roundtrip"
    out.mkdir(parents=True, exist_ok=True)
    python3 = os.environ.get("MODELLINT_CORPUS_PYTHON3", sys.executable)
    work = pathlib.Path(os.environ.get("MODELLINT_CORPUS_WORK", "/tmp/modellint-corpus-work")) / "_roundtrip"
    only = {name for name in os.environ.get("MODELLINT_CORPUS_ONLY", "").split(",") if name}
    serve = os.environ.get("MODELLINT_CORPUS_SERVE", "1") == "1"
    work.mkdir(parents=True, exist_ok=True)
    selected = [case for case in CASES if not only or case.name in only]
    if not only:
        for stale in out.iterdir():
            if stale.is_dir() and stale.name not in {case.name for case in CASES}:
                shutil.rmtree(stale)
    versions = _versions(python3)
    results = {}
    for case in selected:
        results[case.name] = result = roundtrip(case, out, python3, versions)
        # Written now and again once served, so an interrupted build leaves honest records.
        not_run = {"ok": None, "error": "not run (--no-serve)" if not serve else "not run (build interrupted)"}
        result["predict"] = {"before": not_run, "after": not_run}
        _write_result(out, result)
        print(f"[roundtrip] {case.name}: fixed {sorted({f['code'] for f in result['fixed']})}, remaining "
              f"{sorted({f['code'] for f in result['remaining']})}", flush=True)

    def serve_case(case: Case) -> None:
        case_work = work / case.name
        case_work.mkdir(parents=True, exist_ok=True)
        outcome = {label: predict(python3, out / case.name / label, case, case_work, label)
                   for label in ("before", "after")}
        results[case.name]["predict"] = outcome
        _write_result(out, results[case.name])
        print(f"[roundtrip] {case.name}: predict before={'ok' if outcome['before']['ok'] else 'failed'} "
              f"after={'ok' if outcome['after']['ok'] else 'failed: ' + outcome['after'].get('error', '')}",
              flush=True)

    if serve:
        with ThreadPoolExecutor(max_workers=int(os.environ.get("MODELLINT_CORPUS_JOBS", "3"))) as pool:
            list(pool.map(serve_case, selected))


def _write_result(out: pathlib.Path, result: dict) -> None:
    (out / result["case"] / "result.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")


def _versions(python3: str) -> dict:
    code = ("import json, platform, importlib.metadata as m\n"
            "print(json.dumps({'mlflow': m.version('mlflow'), 'python': platform.python_version(), "
            "'uv': m.version('uv')}))\n")
    versions = json.loads(subprocess.run([python3, "-c", code], capture_output=True, text=True, check=True,
                                         env=_env()).stdout)
    linter = _linter(["--version"], REPO)
    versions["modellint"] = linter.stdout.strip()
    return versions
