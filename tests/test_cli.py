from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from modellint.cli import main
from modellint.rules._examples import CLEAN, CLEAN_PIP, conda, model_files
from tests.conftest import write_files

BROKEN = model_files(conda__yaml=conda(*CLEAN_PIP, channels=("defaults",)))


@pytest.fixture
def broken(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "model", BROKEN)
    return tmp_path / "model"


@pytest.fixture
def clean(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return write_files(tmp_path / "clean", CLEAN)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_model_exits_zero(clean, capsys):
    code, out, _ = run(capsys, "clean")
    assert code == 0
    assert out == "All checks passed!\n"


def test_findings_exit_one_with_concise_output_when_piped(broken, capsys):
    code, out, _ = run(capsys, "model")
    assert code == 1
    assert out.splitlines() == [
        "model/conda.yaml:2:3: ML103 [warning] conda channel `defaults` is Anaconda's: its terms of service may require a commercial licence",
        "Found 1 warning.",
        "1 unsafe fix available with `--fix --unsafe-fixes`.",
    ]


def test_check_subcommand_is_the_default(broken, capsys):
    assert run(capsys, "check", "model")[1] == run(capsys, "model")[1]


def test_missing_path_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "nope")
    assert code == 2
    assert out == ""
    assert err.strip().endswith("nope: no such file or directory")
    assert len(err.strip().splitlines()) == 1


def test_name_too_long_for_the_file_system_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "a" * 300)
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_folder_without_model_or_python_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "empty")
    assert code == 2 and "no MLmodel and no Python" in err


def test_training_project_is_accepted(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "project", {"train.py": "import mlflow\n"})
    code, _, err = run(capsys, "project")
    assert code == 0
    assert "training project" in err


def test_file_inside_a_model_dir_lints_that_model(broken, capsys):
    code, out, _ = run(capsys, "model/requirements.txt")
    assert code == 1 and "ML103" in out


def test_fail_on_and_exit_zero(broken, capsys):
    assert run(capsys, "model", "--fail-on", "error")[0] == 0
    assert run(capsys, "model", "--exit-zero")[0] == 0
    assert run(capsys, "model", "--fail-on", "warning")[0] == 1


def test_select_and_ignore_accept_codes_prefixes_names_and_all(broken, capsys):
    assert run(capsys, "model", "--ignore", "ML103")[0] == 0
    assert run(capsys, "model", "--ignore", "defaults-channel")[0] == 0
    assert run(capsys, "model", "--select", "ML9")[0] == 2  # no rule has that prefix: usage error
    assert run(capsys, "model", "--select", "ML0")[0] == 0
    assert run(capsys, "model", "--select", "ALL", "--ignore", "ML1")[0] == 0
    assert run(capsys, "model", "--select", "ML0", "--extend-select", "ML103")[0] == 1


def test_unknown_selector_is_a_usage_error(broken, capsys):
    code, _, err = run(capsys, "model", "--select", "XX1")
    assert code == 2 and "unknown rule selector" in err


def test_json_format(broken, capsys):
    code, out, _ = run(capsys, "model", "--format", "json")
    document = json.loads(out)
    assert code == 1
    assert set(document) == {"version", "findings", "errors", "summary"}
    (finding,) = document["findings"]
    assert finding == {
        "code": "ML103", "name": "defaults-channel", "severity": "warning",
        "message": "conda channel `defaults` is Anaconda's: its terms of service may require a commercial licence",
        "fix_title": "Replace the channel with `conda-forge`", "path": "model/conda.yaml",
        "line": 2, "column": 3, "end_line": 2, "end_column": 11,
        "fix": {"title": "Replace `defaults` with `conda-forge`", "applicability": "unsafe",
                "edits": [{"path": "model/conda.yaml", "start": 12, "end": 20, "content": "conda-forge"}]},
    }
    assert document["summary"] == {"targets": 1, "failed_targets": 0, "findings": 1, "error": 0, "warning": 1, "info": 0}


def test_output_format_from_environment(broken, capsys, monkeypatch):
    monkeypatch.setenv("MODELLINT_OUTPUT_FORMAT", "github")
    _, out, _ = run(capsys, "model")
    assert out.startswith("::warning file=model/conda.yaml,line=2,")


def test_output_file(broken, capsys):
    code, out, _ = run(capsys, "model", "--format", "json", "--output-file", "out/report.json")
    assert code == 1 and out == ""
    assert json.loads(Path("out/report.json").read_text())["summary"]["warning"] == 1


def test_statistics(broken, capsys):
    _, out, _ = run(capsys, "model", "--statistics")
    assert out.splitlines() == ["1\tML103\t[ ] defaults-channel", "Found 1 warning.",
                                "1 unsafe fix available with `--fix --unsafe-fixes`."]


def test_inline_suppression(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    files = model_files(conda__yaml=conda(*CLEAN_PIP, channels=("defaults",)).replace(
        "- defaults\n", "- defaults  # modellint: ignore[ML103]\n"))
    write_files(tmp_path / "model", files)
    assert run(capsys, "model")[0] == 0



@pytest.mark.parametrize(("change", "code"), [
    pytest.param({"MLmodel": ("      conda: conda.yaml\n", "      conda: ../outside.yaml  # modellint: ignore\n")},
                 "ML006", id="path-outside-model"),
    pytest.param({"requirements.txt": ("mlflow==3.17.2", "mlflow==3.17.2\n--extra-index-url "
                                       "https://ci:s3cr3t-t0ken-value@pypi.example.com/simple  # modellint: ignore")},
                 "ML111", id="credential"),
])
def test_inline_suppression_cannot_silence_what_the_model_author_must_not(tmp_path, monkeypatch, capsys, change, code):
    """A comment in the model's own files is written by whoever made the model: the rules whose
    table entry says so (paths leading out, credentials, what loading runs) ignore it."""
    monkeypatch.chdir(tmp_path)
    files = model_files()
    for name, (old, new) in change.items():
        assert old in files[name]
        files[name] = files[name].replace(old, new, 1)
    write_files(tmp_path / "model", files)
    _, out, _ = run(capsys, "model", "--select", code)
    assert f" {code} " in out

def test_config_in_pyproject(broken, capsys, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.modellint]\nignore = ["ML103"]\n')
    assert run(capsys, "model")[0] == 0
    assert run(capsys, "model", "--isolated")[0] == 1


def test_modellint_toml_per_path_ignores(broken, capsys, tmp_path):
    (tmp_path / "modellint.toml").write_text('[per-path-ignores]\n"model/conda.yaml" = ["ML1"]\n')
    assert run(capsys, "model")[0] == 0


def test_unknown_config_key_is_an_error(broken, capsys, tmp_path):
    (tmp_path / "modellint.toml").write_text('selct = ["ML1"]\n')
    code, _, err = run(capsys, "model")
    assert code == 2 and "unknown key `selct`" in err


def test_rule_and_rules_commands(capsys):
    code, out, _ = run(capsys, "rule", "ML103")
    assert code == 0 and out.startswith("# defaults-channel (ML103)") and "## Why is this bad?" in out
    assert run(capsys, "rule", "defaults-channel")[1] == out
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "ML103" in out and "ML001" in out
    assert run(capsys, "rule", "ML999")[0] == 2


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert re.fullmatch(r"modellint \d+\.\d+\.\d+ \(knowledge base \d{4}-\d\d-\d\d \(\d+ days? old\), releases "
                        r"\d{4}-\d\d-\d\d \(\d+ days? old\), PyPI project list \d{4}-\d\d, advisories \d{4}-\d\d-\d\d "
                        r"\(\d+ days? old\), conda-forge python builds \d{4}-\d\d-\d\d \(\d+ days? old\), "
                        r"conda-forge packages \d{4}-\d\d-\d\d \(\d+ days? old\)\)\n", out)


def test_internal_error_in_one_target_is_reported_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "models" / "a", BROKEN)
    write_files(tmp_path / "models" / "b", BROKEN)
    from modellint.rules.ml103_defaults_channel import DefaultsChannel

    original = DefaultsChannel.check

    def explode(self, model):
        if model.root.name == "a":
            raise RuntimeError("boom")
        return original(self, model)

    monkeypatch.setattr(DefaultsChannel, "check", explode)
    code, out, err = run(capsys, "models", "--jobs", "1")
    assert code == 2
    assert "models/b/conda.yaml:2:3: ML103" in out
    assert "models/a: internal error: RuntimeError: boom" in err


def test_python_dash_m_entry_point(broken):
    result = subprocess.run([sys.executable, "-m", "modellint", "model"], capture_output=True, text=True,
                            env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 1 and "ML103" in result.stdout


def test_a_pyproject_without_our_table_is_not_parsed(tmp_path, monkeypatch):
    """Most repositories' pyproject.toml never mentions modellint: no TOML parser is loaded for it."""
    from modellint import config

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n')
    (tmp_path / "sub").mkdir()
    parsed = []
    monkeypatch.setattr(config, "_parse_toml", lambda path, raw: parsed.append(path) or {})
    assert config.find_config(tmp_path / "sub") is None
    assert parsed == []


def test_a_table_spelled_with_escapes_is_still_found(tmp_path):
    from modellint import config

    (tmp_path / "pyproject.toml").write_text('[tool."model\\u006cint"]\nignore = ["ML103"]\n')
    assert config.find_config(tmp_path) == (tmp_path / "pyproject.toml", {"ignore": ["ML103"]})


@pytest.mark.parametrize("text", [
    '[tool.modellint]\nignore = ["ML103"]\n',
    '[ tool . "modellint" ]\nignore = ["ML103"]\n',
    "['tool'.'modellint']\nignore = ['ML103']\n",
    '[tool]\nmodellint = { ignore = ["ML103"] }\n',
    '[tool]\nmodellint.ignore = ["ML103"]\n',
    'tool.modellint.ignore = ["ML103"]\n',
    'tool = { modellint = { ignore = ["ML103"] } }\n',
    '"tool" = { "modellint" = { ignore = ["ML103"] } }\n',
])
def test_every_spelling_of_our_table_is_found(tmp_path, text):
    from modellint import config

    (tmp_path / "pyproject.toml").write_text(text + '[project]\nname = "x"\n')
    assert config.find_config(tmp_path) == (tmp_path / "pyproject.toml", {"ignore": ["ML103"]})


def test_a_pyproject_naming_modellint_only_as_a_dependency_is_not_parsed(tmp_path, monkeypatch):
    """A project that installs modellint names it in its dependencies (and modellint's own
    pyproject.toml names it everywhere) without configuring it: no TOML parser for that either."""
    from modellint import config

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "modellint-user"\n[project.optional-dependencies]\ndev = ["modellint>=1"]\n'
        '[project.scripts]\nmodellint-wrapper = "x:main"\n[tool.setuptools.package-data]\n"modellint.x" = ["*.dat"]\n')
    (tmp_path / "sub").mkdir()
    parsed = []
    monkeypatch.setattr(config, "_parse_toml", lambda path, raw: parsed.append(path) or {})
    assert config.find_config(tmp_path / "sub") is None
    assert parsed == []


def test_help_width_follows_columns(monkeypatch):
    from modellint import cli

    monkeypatch.setenv("COLUMNS", "57")
    assert cli._terminal_columns() == 57
    monkeypatch.setenv("COLUMNS", "junk")
    assert cli._terminal_columns() > 0


def test_a_config_file_that_is_not_utf8_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # config files are discovered from the working directory
    (tmp_path / "modellint.toml").write_bytes(b"select = ['ML1\xff']\n")
    (tmp_path / "model").mkdir()
    assert main([str(tmp_path / "model")]) == 2
    assert "modellint.toml" in capsys.readouterr().err
