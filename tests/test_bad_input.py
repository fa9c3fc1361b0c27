"""Bad input gets a finding or a clean error, never a traceback, and never a changed file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from modellint.cli import main
from modellint.rules._examples import CLEAN, model_files
from tests.conftest import write_files


def lint_codes(capsys, path: Path) -> tuple[int, list[str], str]:
    code = main([str(path), "--format", "concise", "--select", "ALL"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    codes = [line.split(": ")[1].split()[0] for line in out.splitlines() if ": ML" in line]
    return code, codes, err


@pytest.mark.parametrize("content", [
    b"\x00\x01\x02\xff" * 100,
    b"\xff\xfe garbage",
    b"flavors: [unclosed\n",
    b"flavors:\n  python_function: 7\n",
    b"[" * 5000 + b"]" * 5000,
    b"a: &a [*a, *a]\n",
    b"",
    b"flavors: {}\n",
    b"- just\n- a list\n",
    "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    env: 42\n    python_version: [3]\n".encode(),
])
def test_garbage_mlmodel_is_a_finding(tmp_path, capsys, content):
    write_files(tmp_path / "m", {**CLEAN, "MLmodel": content})
    code, codes, err = lint_codes(capsys, tmp_path / "m")
    assert code in (0, 1)
    assert err == ""


def test_directory_named_like_a_file(tmp_path, capsys):
    root = write_files(tmp_path / "m", model_files(requirements__txt=None, conda__yaml=None))
    (root / "requirements.txt").mkdir()
    (root / "conda.yaml").mkdir()
    code, codes, _ = lint_codes(capsys, root)
    assert code == 1 and codes.count("ML110") == 2


def test_directory_named_mlmodel_is_not_a_model(tmp_path, capsys):
    (tmp_path / "m" / "MLmodel").mkdir(parents=True)
    code, codes, err = lint_codes(capsys, tmp_path / "m")
    assert code == 1 and codes == ["ML001"]


def test_symlink_loop(tmp_path, capsys):
    root = write_files(tmp_path / "m", model_files(conda__yaml=None))
    os.symlink("conda.yaml", root / "conda.yaml")
    os.symlink(root, root / "loop")
    code, codes, err = lint_codes(capsys, tmp_path)
    assert (code, err) == (1, "")
    assert "ML110" in codes and "ML101" not in codes  # one error: unreadable (a loop), not also missing


def test_broken_symlink_mlmodel(tmp_path, capsys):
    (tmp_path / "m").mkdir()
    os.symlink("nowhere", tmp_path / "m" / "MLmodel")
    code, codes, _ = lint_codes(capsys, tmp_path / "m")
    assert codes == ["ML001"]


def test_garbage_env_files(tmp_path, capsys):
    root = write_files(tmp_path / "m", model_files(
        conda__yaml="channels: defaults\ndependencies: {python: 3}\n",
        python_env__yaml="python: [3, 11]\ndependencies: -r requirements.txt\n",
        requirements__txt="mlflow==3.17.2\n\\\n-r\n--weird-flag\nfoo ==\n",
    ))
    code, codes, _ = lint_codes(capsys, root)
    assert code == 1
    assert "ML110" in codes and "ML104" in codes


def test_linting_never_changes_a_file(tmp_path, capsys):
    root = write_files(tmp_path / "m", model_files(requirements__txt="sklearn\nmlflow\n"))
    before = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in root.rglob("*") if path.is_file()}
    for output in ("full", "concise", "json", "github", "sarif"):
        main([str(root), "--format", output])
    capsys.readouterr()
    after = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in root.rglob("*") if path.is_file()}
    assert before == after
