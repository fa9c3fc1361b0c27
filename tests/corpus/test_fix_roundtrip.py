"""The fix round trip built with real MLflow (``corpus/builders/fix_roundtrip.py``), replayed offline.

Each ``corpus/roundtrip/<case>/`` holds a broken model (or training project) in ``before/``, what
modellint ``--fix`` made of it in ``after/``, and in ``result.json`` the findings the fix removed
and what ``mlflow models predict --env-manager uv`` did with both in a fresh environment. Here,
without network or MLflow: ``--fix`` on a copy of ``before/`` must give ``after/`` byte for byte
(and a second run nothing more), the fixed findings must be gone, and the fixed model must have
predicted. A case that cannot predict for a reason outside the fix carries that reason in
``result.json`` and is a strict xfail.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.knowledge import distributions as knowledge
from modellint.cli import main
from tests.interpreters import interpreter_with

ROUNDTRIP = Path(__file__).resolve().parents[2] / "corpus" / "roundtrip"
CASES = sorted(path.parent for path in ROUNDTRIP.glob("*/result.json"))
FIXABLE_RULES = {"ML101", "ML102", "ML103", "ML104", "ML105", "ML107", "ML201", "ML202", "ML203", "ML301"}
# Cases whose broken model did not serve: the fix is what makes them predict. (The others
# served before too; their result.json `note` says what predict shows for them.)
BROKEN_BEFORE = {"ml101-requirements-txt", "ml104-sklearn-alias", "ml104-conda-style-pin", "ml104-placeholder-pin",
                 "ml105-mlflow-pin-mismatch", "ml201-lazy-import",
                 "ml201-lazy-import-pinned", "ml201-importlib", "ml202-read-excel", "ml301-skinny-no-sklearn",
                 "ml203-codepaths-file"}


def _result(case: Path) -> dict:
    return json.loads((case / "result.json").read_text())


def _snapshot(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts}


@pytest.fixture(autouse=True)
def _shipped_knowledge():
    yield
    knowledge.use_overlay(None)


@pytest.fixture(scope="module")
def stand_in_pythons(tmp_path_factory):
    """``--python`` cases were fixed with the corpus venv's interpreter; the replay uses one with
    the same versions of the distributions the fix pinned (their modules from the knowledge base)."""
    made: dict[tuple, Path] = {}

    def get(installed: dict[str, str]) -> Path:
        key = tuple(sorted(installed.items()))
        if key not in made:
            kb = knowledge.load()
            dists = {name: (version, kb.top_level_modules(name)) for name, version in installed.items()}
            made[key] = interpreter_with(tmp_path_factory.mktemp("python") / "venv", dists)
        return made[key]

    return get


def test_the_roundtrip_covers_every_fixable_rule():
    covered = {code for case in CASES for code in _result(case)["rules"]}
    assert FIXABLE_RULES <= covered, sorted(FIXABLE_RULES - covered)
    sources = {_result(case)["source"] for case in CASES if "ML101" in _result(case)["rules"]}
    assert {"models/ml101-no-requirements-txt", "models/ml101-no-python-env"} <= sources  # both variants


def test_the_committed_roundtrip_stays_small():
    assert sum(path.stat().st_size for path in ROUNDTRIP.rglob("*") if path.is_file()) < 1_000_000


@pytest.mark.slow  # the replay: a --fix run per case, and stand-in interpreters for the --python ones
@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_fix_reproduces_after_byte_for_byte(case, tmp_path, monkeypatch, capsys, stand_in_pythons):
    result = _result(case)
    arguments = list(result["linter_args"])
    if "<corpus-python>" in arguments:
        python = stand_in_pythons(result["python_overlay"])
        arguments[arguments.index("<corpus-python>")] = str(python)
    shutil.copytree(case / "before", tmp_path / "after")
    monkeypatch.chdir(tmp_path)
    main(["after", *arguments])
    capsys.readouterr()
    assert _snapshot(tmp_path / "after") == _snapshot(case / "after")
    main(["after", *arguments])
    assert "Fixed" not in capsys.readouterr().err
    assert _snapshot(tmp_path / "after") == _snapshot(case / "after")
    assert result["second_fix_noop"] is True


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_the_fixed_findings_are_gone(case):
    result = _result(case)
    assert set(result["rules"]) <= {finding["code"] for finding in result["fixed"]}
    after = (case / "after").resolve()
    left = {(finding.code, finding.path.resolve().relative_to(after).as_posix(), finding.message)
            for finding in lint(after).findings}
    for finding in result["fixed"]:
        assert (finding["code"], finding["path"], finding["message"]) not in left
    assert not {code for code, _, _ in left} & set(result["rules"])


def _predict_cases():
    for case in CASES:
        reason = _result(case).get("expected_failure")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", list(_predict_cases()))
def test_the_fixed_model_predicted_with_mlflow(case):
    outcome = _result(case)["predict"]
    assert outcome["after"]["ok"] is True, outcome["after"].get("error")
    if case.name in BROKEN_BEFORE:
        assert outcome["before"]["ok"] is False, "the broken model served: the case shows nothing"
