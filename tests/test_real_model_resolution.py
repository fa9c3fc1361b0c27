"""modellint's offline installability verdicts against a real resolver's, on every real model.

``tests/data/real_model_resolution.json`` records, once, what uv's resolver said about each model's
declared requirements for its declared Python on Linux x86_64 (``scripts/record_real_resolution.py``
says how and what each status means), and its ``verdict``: ``fails`` (it does not resolve, or it
needs a source build: the wheels-only resolution is unsatisfiable), ``installs`` or
``undetermined`` (an sdist build for metadata failed on this machine's interpreter, an index could
not be reached, a Python uv cannot target, a timeout).

Every error an ML5xx rule reports on a real model must be a ``fails``: an offline error is a
real failure. One verdict for every rule keeps the test free of rule codes: a "no wheel for the
platform" error is confirmed by the wheels-only resolution, and a resolution failure is always a
wheels-only failure too. The README states how many real failures the offline rules catch;
:func:`test_readme_states_the_numbers` keeps it true.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest

from modellint.analyzer.environment.requirements import conda_env_from_yaml
from modellint.analyzer.knowledge.conda_forge import conda_forge_python
from modellint.analyzer.yamlfile import parse_yaml
from modellint.engine import lint_targets
from modellint.findings import Severity
from modellint.selection import RuleSelection
from modellint.targets import discover
from tests.conftest import REAL_MODELS, REPO, load_script, needs_shared

RECORD = REPO / "tests" / "data" / "real_model_resolution.json"
INSTALLABILITY = "ML5"  # the family of the installability rules (CONTRIBUTING, "Codes")

resolution = load_script("record_real_resolution")


@cache
def recorded() -> dict[str, dict]:
    return json.loads(RECORD.read_text())["models"]


def verdict(entry: dict) -> str:
    return resolution.verdict(entry["outcome"]["status"], (entry["no_build"] or {}).get("status"))


def real_models() -> dict[str, dict]:
    return {key.split("/", 1)[1]: entry for key, entry in recorded().items() if key.startswith("real-models/")}


# --- the record ---------------------------------------------------------------------------------


def test_the_record_names_its_resolver_and_date():
    meta = json.loads(RECORD.read_text())["meta"]
    assert meta["platform"] == resolution.PLATFORM
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["uv"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", meta["recorded"])


def test_every_corpus_model_is_recorded():
    corpus = {key for key, _ in resolution.model_dirs(REPO / "no-real-models")}
    assert corpus <= set(recorded())
    assert len(corpus) > 50


@needs_shared(REAL_MODELS / "index.json")
def test_every_real_model_is_recorded():
    index = {entry["dir"] for entry in json.loads((REAL_MODELS / "index.json").read_text())}
    assert set(real_models()) == index


def test_every_status_is_one_the_script_defines():
    statuses = resolution.FAILED | resolution.UNDETERMINED | {"resolved"}
    for key, entry in recorded().items():
        assert entry["outcome"]["status"] in statuses, key
        if entry["no_build"] is not None:
            assert entry["no_build"]["status"] in statuses, key


def test_a_failure_says_why():
    for key, entry in recorded().items():
        for outcome in (entry["outcome"], entry["no_build"]):
            if outcome and outcome["status"] in resolution.FAILED:
                assert outcome["explanation"], key


# --- reading uv's answers ----------------------------------------------------------------------

NO_RELEASE = ("error: No solution found when resolving dependencies\n"
              "  cause: Because there is no version of cloudpickle==2.5.8 and you require cloudpickle==2.5.8, "
              "we can conclude that your requirements are unsatisfiable.\n")
BUILD_FAILED = ("warning: The requested Python version 3.7.3 is not available; 3.11.7 will be used to build "
                "dependencies instead.\n"
                "error: Failed to build `sklearn==0.0.post12`\n"
                "  cause: The build backend returned an error\n")
UNREACHABLE = ("error: Request failed after 3 retries in 8.1s\n"
               "  cause: Failed to fetch: https://pypi.python.org/simple/six/\n"
               "  cause: dns error\n")


@pytest.mark.parametrize(("exit_code", "stderr", "status"), [
    (0, "Resolved 3 packages in 1.2s\n", "resolved"),
    (None, "", "timeout"),
    (1, NO_RELEASE, "unsatisfiable"),
    (1, BUILD_FAILED, "build_failed"),
    (2, UNREACHABLE, "index_unreachable"),
    (2, "error: Invalid version request: Python <3.6 is not supported but 2.7 was requested.\n",
     "unsupported_python"),
    (2, "error: Couldn't parse requirement in `requirements.txt` at position 0\n", "invalid_requirements"),
    (2, "error: something new\n", "uv_error"),
])
def test_classify(exit_code, stderr, status):
    assert resolution.classify(exit_code, stderr) == status


def test_explanation_skips_warnings_and_hides_scratch_paths():
    lines = resolution.explanation(BUILD_FAILED.replace("`sklearn", "/tmp/x/`sklearn"), hide=("/tmp/x/",))
    assert lines == ("error: Failed to build `sklearn==0.0.post12`", "  cause: The build backend returned an error")


def test_blamed_names_the_requirements_the_explanation_mentions():
    lines = resolution.explanation(NO_RELEASE)
    assert resolution.blamed(lines, ["mlflow", "cloudpickle", "pickle"]) == ("cloudpickle",)


# --- modellint's offline verdicts against the record ----------------------------------------------


class OfflineError(NamedTuple):
    model: str  # the real model dir
    # "requirements" (what MLflow's virtualenv/uv env managers install), "conda_pip", or "conda": a
    # conda package of the conda env (outside its `pip:` list), which no pip resolution judges
    judged_list: str
    shown: str  # code, file:line and message, for a failing assertion


@cache
def offline_errors() -> tuple[OfflineError, ...]:
    """The ML5xx errors modellint reports on the real models, each with the requirement list the
    record judges it by: one in the conda file by the conda ``pip:`` list where that was recorded
    apart (it differs from requirements.txt), every other by the model's requirements."""
    selection = RuleSelection(select=[INSTALLABILITY])
    report = lint_targets(discover([REAL_MODELS]), selection.enabled_rules(), selection, base=REAL_MODELS, jobs=2)
    errors = []
    for finding in report.findings:
        if finding.severity is Severity.ERROR:
            relative = finding.path.relative_to(REAL_MODELS)
            model = relative.parts[0]
            in_conda_file = relative.name not in ("requirements.txt", "python_env.yaml", "MLmodel")
            apart = recorded()[f"real-models/{model}"]["conda_pip"] is not None
            if in_conda_file and finding.span.line in conda_package_lines(finding.path):
                judged_list = "conda"
            else:
                judged_list = "conda_pip" if in_conda_file and apart else "requirements"
            errors.append(OfflineError(model, judged_list,
                                       f"{finding.code} {relative.as_posix()}:{finding.span.line} {finding.message}"))
    return tuple(errors)


def conda_package_lines(path: Path) -> set[int]:
    """The lines of the conda env's own packages (not its `pip:` list)."""
    env = conda_env_from_yaml(parse_yaml(path.read_text()), path)
    return {spec.span.line for spec in env.specs}


def judged(error: OfflineError) -> str:
    entry = recorded()[f"real-models/{error.model}"]
    if error.judged_list == "conda_pip":
        return resolution.verdict(entry["conda_pip"]["status"], (entry["conda_pip_no_build"] or {}).get("status"))
    return verdict(entry)


def numbers() -> dict[str, int]:
    """The README's numbers: a model's verdict is its requirements' (what MLflow's default env
    managers install); it is caught when an offline error judged by that list fires on it."""
    models = real_models()
    verdicts = {name: verdict(entry) for name, entry in models.items()}
    failing = {name for name, value in verdicts.items() if value == "fails"}
    caught = {error.model for error in offline_errors() if error.judged_list == "requirements"}
    return {"models": len(models),
            "installs": sum(value == "installs" for value in verdicts.values()),
            "fails": len(failing),
            "unsatisfiable": sum(entry["outcome"]["status"] in resolution.FAILED for entry in models.values()),
            "undetermined": sum(value == "undetermined" for value in verdicts.values()),
            "caught": len(failing & caught)}


def untargetable(error: OfflineError) -> bool:
    """Whether uv could not target the model's declared Python (3.5): the record then neither
    confirms nor refutes an error, and a finding about a name no index serves holds whatever the
    Python (uv for 3.6 on that list: "json was not found in the package registry")."""
    return recorded()[f"real-models/{error.model}"]["outcome"]["status"] == "unsupported_python"


@needs_shared(REAL_MODELS / "index.json")
def test_every_offline_installability_error_is_a_real_failure():
    wrong = [error for error in offline_errors() if error.judged_list != "conda" and judged(error) != "fails"
             and not untargetable(error)]
    assert wrong == [], "\n".join(f"{error.shown}\n  recorded: {recorded()[f'real-models/{error.model}']}"
                                   for error in wrong)


# The real models whose conda env conda cannot build from its only channel, conda-forge (no conda
# channel is reachable here to record a solve; the verdict rests on conda-forge's python-feedstock
# branches at df31527a, whose recipes never set these versions: 3.9.3 and 3.9.8 were replaced
# upstream within days, the 3.7 branch stops at 3.7.12).
CONDA_FORGE_FAILURES = {
    "AkshatSingh009__SemanticAnalyzer__root": "python=3.9.8",
    "KonuTech__MLflow-tutorial__74778b05-model": "python=3.9.3",
    "KonuTech__MLflow-tutorial__74778b05-model-artifacts-model": "python=3.9.3",
    "TrellixVulnTeam__OpenClassroomsP7_19UO__mlflow_model": "python=3.7.13",
}


@needs_shared(REAL_MODELS / "index.json")
def test_the_conda_package_errors_are_the_known_conda_forge_failures():
    found = {error.model: error.shown for error in offline_errors() if error.judged_list == "conda"}
    assert set(found) == set(CONDA_FORGE_FAILURES), found
    for model, spec in CONDA_FORGE_FAILURES.items():
        assert f"`{spec}`" in found[model]
        assert spec.partition("=")[2] not in conda_forge_python().versions


@needs_shared(REAL_MODELS / "index.json")
def test_readme_states_the_numbers():
    counted = numbers()
    print(counted)  # the numbers, for `pytest -s`
    readme = (REPO / "README.md").read_text()
    stated = re.search(r"Of the (\d+) real model dirs, (\d+) install .*?; (\d+) fail .*?\((\d+) do not resolve at "
                       r"all\).*?(\d+) could not be determined.*?The offline rules catch (\d+) of the (\d+)",
                       readme, re.DOTALL)
    assert stated, "README: the installability paragraph with the real-model numbers is missing"
    assert tuple(int(group) for group in stated.groups()) == (
        counted["models"], counted["installs"], counted["fails"], counted["unsatisfiable"],
        counted["undetermined"], counted["caught"], counted["fails"])


def test_verdict():
    def entry(outcome: str, no_build: str | None) -> dict:
        return {"outcome": {"status": outcome}, "no_build": None if no_build is None else {"status": no_build}}

    assert verdict(entry("unsatisfiable", None)) == "fails"
    assert verdict(entry("resolved", "unsatisfiable")) == "fails"
    assert verdict(entry("resolved", "resolved")) == "installs"
    assert verdict(entry("build_failed", "unsatisfiable")) == "fails"  # wheels alone cannot do it
    assert verdict(entry("build_failed", "resolved")) == "undetermined"
    assert verdict(entry("resolved", "timeout")) == "undetermined"
    assert verdict(entry("timeout", None)) == "undetermined"

