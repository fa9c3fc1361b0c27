"""`--fix`: atomic, comment- and order-preserving, idempotent, and only when asked."""

from __future__ import annotations

import os
import stat

from modellint.cli import main
from modellint.rules._examples import CLEAN_PIP, conda, model_files
from tests.conftest import write_files

REQUIREMENTS = "# pinned by hand\nmlflow  # the loader\nscikit-learn==1.9.1\nskops==0.16.0\nscikit-learn==1.9.1\n"
CONDA = (
    "# our env\nchannels:\n- defaults  # was here first\ndependencies:\n- python=3.11.7\n- pip<=23.2.1\n- pip:\n"
    "  - mlflow==3.17.2\n  - scikit-learn==1.9.1\n  - skops==0.16.0\nname: mlflow-env\n"
)


def _model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return write_files(tmp_path / "model", model_files(requirements__txt=REQUIREMENTS, conda__yaml=CONDA))


def test_safe_fixes_keep_comments_and_order(tmp_path, monkeypatch, capsys):
    model = _model(tmp_path, monkeypatch)
    code = main(["model", "--fix", "--format", "concise"])
    out, err = capsys.readouterr()
    assert (model / "requirements.txt").read_text() == (
        "# pinned by hand\nmlflow==3.17.2  # the loader\nscikit-learn==1.9.1\nskops==0.16.0\n"
    )
    assert (model / "conda.yaml").read_text() == CONDA  # ML103's fix is unsafe: not applied
    assert "Fixed 2 findings in 1 file." in err
    assert "1 more fix available with `--unsafe-fixes`." in err
    assert "ML103" in out and "ML105" not in out and "ML107" not in out
    assert code == 1


def test_unsafe_fixes_and_idempotence(tmp_path, monkeypatch, capsys):
    model = _model(tmp_path, monkeypatch)
    assert main(["model", "--fix", "--unsafe-fixes"]) == 0
    fixed = {name: (model / name).read_bytes() for name in ("requirements.txt", "conda.yaml")}
    assert fixed["conda.yaml"].decode() == CONDA.replace("- defaults  #", "- conda-forge  #")
    capsys.readouterr()
    assert main(["model", "--fix", "--unsafe-fixes"]) == 0
    assert "Fixed" not in capsys.readouterr().err
    assert {name: (model / name).read_bytes() for name in fixed} == fixed


def test_fix_keeps_permissions_symlinks_crlf_and_leaves_no_temp_files(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    model = write_files(tmp_path / "model", model_files(conda__yaml=conda(*CLEAN_PIP, channels=("defaults",))))
    real = tmp_path / "shared-conda.yaml"
    real.write_bytes((model / "conda.yaml").read_bytes().replace(b"\n", b"\r\n"))
    os.chmod(real, 0o640)
    (model / "conda.yaml").unlink()
    (model / "conda.yaml").symlink_to(real)
    main(["model", "--fix", "--unsafe-fixes"])
    capsys.readouterr()
    assert (model / "conda.yaml").is_symlink()
    assert real.read_bytes().startswith(b"channels:\r\n- conda-forge\r\n")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert not [p for p in tmp_path.rglob("*.modellint")]


def test_without_fix_nothing_is_written(tmp_path, monkeypatch, capsys):
    model = _model(tmp_path, monkeypatch)
    before = {p: p.read_bytes() for p in model.iterdir()}
    main(["model", "--unsafe-fixes"])
    assert {p: p.read_bytes() for p in model.iterdir()} == before


def test_fix_from_config(tmp_path, monkeypatch, capsys):
    model = _model(tmp_path, monkeypatch)
    (tmp_path / "modellint.toml").write_text("fix = true\n")
    main(["model"])
    assert "mlflow==3.17.2  # the loader" in (model / "requirements.txt").read_text()
