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
    real = model / "envs" / "shared-conda.yaml"  # a symlink inside the model dir is written through
    real.parent.mkdir()
    real.write_bytes((model / "conda.yaml").read_bytes().replace(b"\n", b"\r\n"))
    os.chmod(real, 0o640)
    (model / "conda.yaml").unlink()
    (model / "conda.yaml").symlink_to("envs/shared-conda.yaml")
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
    """`fix` writes files: a discovered config cannot set it (a warning says so), one named with --config can."""
    model = _model(tmp_path, monkeypatch)
    (tmp_path / "modellint.toml").write_text("fix = true\n")
    main(["model"])
    assert "`fix` is ignored" in capsys.readouterr().err
    assert "mlflow==3.17.2  # the loader" not in (model / "requirements.txt").read_text()
    main(["model", "--config", "modellint.toml"])
    assert "mlflow==3.17.2  # the loader" in (model / "requirements.txt").read_text()


def test_diff_prints_a_patch_that_applies_and_writes_nothing(tmp_path, monkeypatch, capsys):
    import shutil
    import subprocess

    model = _model(tmp_path, monkeypatch)
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    code = main(["model", "--diff", "--unsafe-fixes"])
    out, err = capsys.readouterr()
    assert code == 1 and "Would fix 3 findings." in err
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before
    assert out.startswith("--- a/model/conda.yaml\n+++ b/model/conda.yaml\n@@ ")
    if shutil.which("patch"):
        copy = tmp_path / "copy"
        shutil.copytree(model, copy / "model")
        subprocess.run(["patch", "-p1", "--quiet"], input=out.encode(), cwd=copy, check=True)
        main(["model", "--fix", "--unsafe-fixes"])
        capsys.readouterr()
        for name in ("requirements.txt", "conda.yaml"):
            assert (copy / "model" / name).read_bytes() == (model / name).read_bytes(), name


def test_diff_of_a_file_without_final_newline(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "model", model_files(requirements__txt="mlflow\nscikit-learn==1.9.1\nskops==0.16.0",
                                                conda__yaml=conda("mlflow", "scikit-learn==1.9.1", "skops==0.16.0")))
    assert main(["model", "--diff"]) == 1
    out = capsys.readouterr().out
    assert "-mlflow\n+mlflow==3.17.2\n scikit-learn==1.9.1\n skops==0.16.0\n\\ No newline at end of file\n" in out
    assert main(["model", "--fix"]) == 0
    capsys.readouterr()
    assert main(["model", "--diff"]) == 0
    assert capsys.readouterr().out == ""


def test_fixes_computed_from_an_edited_file_wait_for_the_next_pass(tmp_path, monkeypatch, capsys):
    """python_env.yaml is rebuilt from conda.yaml, so not while conda.yaml is being fixed: it
    comes in the second pass, which --diff shows too (it shows all --fix would write)."""
    monkeypatch.chdir(tmp_path)
    model = write_files(tmp_path / "model", model_files(
        requirements__txt="mlflow\nscikit-learn==1.9.1\nskops==0.16.0",
        conda__yaml=conda("mlflow", "scikit-learn==1.9.1", "skops==0.16.0"), python_env__yaml=None))
    main(["model", "--diff"])
    out, err = capsys.readouterr()
    assert "+++ b/model/python_env.yaml" in out and "Would fix 3 findings." in err
    assert main(["model", "--fix"]) == 0
    assert "Fixed 3 findings in 3 files." in capsys.readouterr().err
    assert (model / "python_env.yaml").read_text() == (
        "python: 3.11.7\nbuild_dependencies:\n- pip<=23.2.1\ndependencies:\n- -r requirements.txt\n"
    )


def test_diff_of_a_created_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "model", model_files(python_env__yaml=None))
    assert main(["model", "--diff"]) == 1
    assert capsys.readouterr().out.startswith("--- /dev/null\n+++ b/model/python_env.yaml\n@@ -0,0 +1,5 @@\n+python: 3.11.7\n")


def test_show_fixes_lists_each_fix(tmp_path, monkeypatch, capsys):
    _model(tmp_path, monkeypatch)
    main(["model", "--fix", "--show-fixes"])
    err = capsys.readouterr().err
    assert "  model/requirements.txt: ML105 Pin `mlflow==3.17.2`" in err
    assert "  model/requirements.txt: ML107 Remove `scikit-learn==1.9.1`" in err
