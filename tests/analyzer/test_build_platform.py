"""``--python-version`` and ``--platform``: the Python and platform the installability rules judge."""

from __future__ import annotations

import pytest

from modellint.analyzer.environment.environment_settings import EnvironmentSettings, parse_python_version
from modellint.analyzer.environment.serving_platform import PLATFORMS
from modellint.analyzer.model_dir import ModelDir
from modellint.cli import BUILD_PLATFORMS, main
from modellint.config import ConfigError, Settings, apply_config
from modellint.rules import rule_class
from modellint.rules._examples import CLEAN_PIP
from modellint.rules._release_examples import with_requirements
from tests.conftest import write_files

AARCH64 = EnvironmentSettings(platform="linux/aarch64")


def _findings(model: ModelDir, code: str) -> list[tuple[str, int]]:
    return [(finding.path.name, finding.span.line) for finding in rule_class(code)().check(model)]


def test_a_release_with_x86_64_wheels_only_fails_on_aarch64(tmp_path):
    # torch 1.13.1 has manylinux x86_64 wheels for CPython 3.11, aarch64 ones only up to 3.10, no sdist.
    root = write_files(tmp_path / "m", with_requirements(*CLEAN_PIP, "torch==1.13.1"))
    assert _findings(ModelDir(root), "ML505") == []
    (finding, _) = rule_class("ML505")().check(ModelDir(root, settings=AARCH64))
    assert "linux/aarch64" in finding.message and "nearest release with one is 2.0.0" in finding.message
    assert _findings(ModelDir(root, settings=AARCH64), "ML505") == [("requirements.txt", 4), ("conda.yaml", 10)]


def test_the_platform_option_reaches_the_rules(tmp_path, monkeypatch, capsys):
    root = write_files(tmp_path / "m", with_requirements(*CLEAN_PIP, "torch==1.13.1"))
    monkeypatch.chdir(tmp_path)
    assert main(["check", "m", "--isolated", "--no-cache", "--select", "ML505", "--format", "concise"]) == 0
    capsys.readouterr()
    assert main(["check", "m", "--isolated", "--no-cache", "--select", "ML505", "--format", "concise",
                 "--platform", "linux/aarch64"]) == 1
    assert "m/requirements.txt:4:1: ML505" in capsys.readouterr().out
    assert root.is_dir()


def test_python_version_flips_requires_python(tmp_path, monkeypatch, capsys):
    # scikit-learn 1.9.1 declares Requires-Python >=3.11; the model declares 3.11.7.
    root = write_files(tmp_path / "m", with_requirements(*CLEAN_PIP))
    assert _findings(ModelDir(root), "ML504") == []
    older = ModelDir(root, settings=EnvironmentSettings(python=(3, 8)))
    assert ("requirements.txt", 2) in _findings(older, "ML504")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "m", "--isolated", "--no-cache", "--select", "ML504", "--python-version", "3.8.18"]) == 1
    assert "cannot install on Python 3.8.18" in capsys.readouterr().out
    # The other way round: a model declaring an older Python, built with a newer one.
    declared_old = write_files(tmp_path / "old", with_requirements(*CLEAN_PIP, python="3.8.18"))
    assert _findings(ModelDir(declared_old), "ML504")
    assert _findings(ModelDir(declared_old, settings=EnvironmentSettings(python=(3, 12))), "ML504") == []


def test_a_mac_build_accepts_mac_only_packages_and_still_rejects_windows_ones(tmp_path):
    root = write_files(tmp_path / "m", with_requirements(*CLEAN_PIP, "pywin32==306", "tensorflow-metal==1.2.0"))
    assert len(_findings(ModelDir(root), "ML502")) == 4
    on_mac = ModelDir(root, settings=EnvironmentSettings(platform="macos/arm64"))
    assert _findings(on_mac, "ML502") == [("requirements.txt", 4), ("conda.yaml", 10)]
    on_windows = ModelDir(root, settings=EnvironmentSettings(platform="windows/x86_64"))
    assert _findings(on_windows, "ML502") == [("requirements.txt", 5), ("conda.yaml", 11)]


def test_markers_are_evaluated_for_the_platform(tmp_path):
    root = write_files(tmp_path / "m", with_requirements(*CLEAN_PIP, 'dataclasses==0.6; platform_machine == "aarch64"'))
    assert _findings(ModelDir(root), "ML501") == []
    assert _findings(ModelDir(root, settings=AARCH64), "ML501") == [("requirements.txt", 4), ("conda.yaml", 10)]


def test_python_version_wins_over_the_declared_one(tmp_path):
    root = write_files(tmp_path / "m", with_requirements(*CLEAN_PIP))
    assert ModelDir(root).serving_platform.python == (3, 11, 7)
    model = ModelDir(root, settings=EnvironmentSettings(python=(3, 10, 4)))
    assert model.serving_platform is not None and model.serving_platform.python == (3, 10, 4)


@pytest.mark.parametrize(("text", "parsed"), [("3.11", (3, 11)), ("3.10.12", (3, 10, 12)), (" 3.9 ", (3, 9))])
def test_python_versions_parse(text, parsed):
    assert parse_python_version(text) == parsed


@pytest.mark.parametrize("text", ["3", "2.7", "3.x", "3.11.1.1", "", "python3.11"])
def test_other_python_versions_are_refused(text):
    with pytest.raises(ValueError, match="not a Python 3 version"):
        parse_python_version(text)


def test_config_keys(tmp_path):
    source = tmp_path / "modellint.toml"
    settings, _ = apply_config(Settings(), {"python-version": "3.12", "platform": "linux/aarch64"}, source)
    assert settings.environment_settings() == EnvironmentSettings(python=(3, 12), platform="linux/aarch64")
    for table, message in (({"platform": "linux/riscv64"}, "is not one of"), ({"python-version": "2.7"}, "not a Python 3"),
                           ({"python-version": 3.12}, "must be a string")):
        with pytest.raises(ConfigError, match=message) as raised:
            apply_config(Settings(), table, source)
        assert str(raised.value).startswith(str(source))


def test_the_command_line_wins_over_the_config(tmp_path, monkeypatch, capsys):
    write_files(tmp_path / "m", with_requirements(*CLEAN_PIP, "torch==1.13.1"))
    (tmp_path / "modellint.toml").write_text('platform = "linux/aarch64"\nselect = ["ML505"]\n')
    monkeypatch.chdir(tmp_path)
    assert main(["check", "m", "--no-cache"]) == 1
    assert main(["check", "m", "--no-cache", "--platform", "linux/x86_64"]) == 0
    assert main(["check", "m", "--no-cache", "--python-version", "three"]) == 2
    assert "--python-version: `three` is not a Python 3 version" in capsys.readouterr().err


def test_the_cli_names_every_platform():
    assert BUILD_PLATFORMS == tuple(PLATFORMS)


def test_the_python_api_takes_them_too(tmp_path):
    import modellint

    root = write_files(tmp_path / "m", with_requirements(*CLEAN_PIP, "torch==1.13.1"))
    assert modellint.lint(root, select=["ML505"]).findings == []
    report = modellint.lint(root, select=["ML505"], platform="linux/aarch64", python_version="3.11")
    assert {finding.path.name for finding in report.findings} == {"requirements.txt", "conda.yaml"}
    with pytest.raises(ConfigError, match="platform: `arm` is not one of"):
        modellint.lint(root, platform="arm")
