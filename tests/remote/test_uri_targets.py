"""Model URIs as targets, without a tracking server: recognising them, what needs MLflow, and
that a local check never pays for any of it (the real server's tests are in test_model_uris.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from modellint.cli import main
from modellint.remote import is_model_uri
from modellint.remote.fetch import parse_size
from modellint.targets import display_path
from tests.remote.conftest import CLEAN_CASE, REPO, corpus_dir


def _check(capsys, *arguments: str) -> tuple[int, str, str]:
    code = main(["check", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("text", "uri"), [
    ("models:/fraud/3", True), ("models:/fraud@champion", True), ("runs:/0a1b/model", True),
    ("mlflow-artifacts:/0/abc/artifacts/model", True), ("s3://bucket/model", True), ("dbfs:/models/x", True),
    ("C:/models/fraud", False), ("models/fraud", False), ("./models:/x", False), ("model.pkl", False),
])
def test_a_model_uri_is_told_from_a_path(text, uri):
    assert is_model_uri(text) is uri


@pytest.mark.parametrize(("text", "size"), [("1024", 1024), ("2K", 2048), ("1.5M", 1536 * 1024), ("1G", 1024**3),
                                            ("3gib", 3 * 1024**3)])
def test_max_download_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-1M", "2T"])
def test_a_bad_max_download_is_a_usage_error(text):
    with pytest.raises(ValueError, match="--max-download"):
        parse_size(text)


def test_a_fetched_folder_is_shown_as_its_uri(tmp_path):
    aliases = ((tmp_path / "0", "models:/fraud/3"),)
    assert display_path(tmp_path / "0" / "code" / "m.py", tmp_path, aliases) == "models:/fraud/3/code/m.py"
    assert display_path(tmp_path / "0", tmp_path, aliases) == "models:/fraud/3"
    assert display_path(tmp_path / "00" / "MLmodel", tmp_path, aliases) == "00/MLmodel"


def test_a_uri_without_the_mlflow_extra_names_the_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # what `import mlflow` does when it is not installed
    code, out, err = _check(capsys, "models:/fraud/3")
    assert (code, out) == (2, "")
    assert err == "modellint: error: a model URI needs MLflow's client: pip install 'modellint[mlflow]'\n"


def test_a_local_check_imports_nothing_of_mlflow(tmp_path):
    script = ("import sys\nfrom modellint.cli import main\n"
              f"code = main(['check', {str(corpus_dir(CLEAN_CASE))!r}, '--isolated'])\n"
              "print(repr([code, sorted(name for name in sys.modules if name.split('.')[0] == 'mlflow' or name.startswith('modellint.remote.'))]))\n")
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert completed.stdout.strip().splitlines()[-1] == "[0, []]"


def test_fix_on_a_uri_refuses_before_fetching_anything(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # nothing is fetched: the refusal comes first
    code, out, err = _check(capsys, "models:/fraud/3", "--fix")
    assert (code, out) == (2, "")
    assert err.startswith("modellint: error: --fix cannot change a model in a tracking server or artifact store")
