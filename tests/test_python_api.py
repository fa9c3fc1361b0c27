"""The Python API: ``modellint.lint`` and ``modellint.render`` give what the command prints
(model URIs through the API are tested against a real server in tests/remote/test_partition.py)."""

from __future__ import annotations

import pytest

import modellint
from modellint.cli import main
from tests.conftest import REPO

BROKEN = REPO / "corpus" / "models" / "ml104-not-pep508"


@pytest.mark.parametrize("output_format", ["json", "concise", "sarif", "github", "markdown"])
def test_render_prints_the_report_as_the_command_does(capsys, monkeypatch, output_format):
    monkeypatch.chdir(REPO)
    report = modellint.lint(BROKEN)
    main(["check", str(BROKEN), "--isolated", "--format", output_format])
    assert modellint.render(report, output_format) == capsys.readouterr().out


def test_render_shows_paths_relative_to_the_base_asked_for():
    report = modellint.lint(BROKEN)
    assert "corpus/models/ml104-not-pep508/requirements.txt:" in modellint.render(report, "concise", base=REPO)
    assert report.shown(report.findings[0].path, REPO).startswith("corpus/models/ml104-not-pep508/")


def test_an_unknown_format_is_a_value_error():
    with pytest.raises(ValueError, match="unknown output format `yaml`"):
        modellint.render(modellint.lint(BROKEN), "yaml")
