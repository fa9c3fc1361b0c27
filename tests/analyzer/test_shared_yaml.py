"""Environment files of the same text share one parsed document (a registry repeats them), which
is safe only while nothing changes a document: held here against every rule, on the corpus."""

from __future__ import annotations

import pytest

from modellint.analyzer import yamlfile
from modellint.analyzer.yamlfile import YamlError, parse_shared_yaml, parse_yaml
from modellint.cli import main
from tests.conftest import REPO

CONDA = "name: env\nchannels:\n- conda-forge\ndependencies:\n- python=3.10.12\n- pip:\n  - numpy==1.26.4\n"


def test_equal_texts_share_one_document_equal_to_a_fresh_parse():
    first = parse_shared_yaml(CONDA)
    assert parse_shared_yaml("".join(CONDA)) is first
    assert first == parse_yaml(CONDA)
    assert parse_shared_yaml(CONDA + "# another text\n") is not first


def test_an_invalid_text_raises_each_time_and_is_not_held():
    for _ in range(2):
        with pytest.raises(YamlError):
            parse_shared_yaml("a: [1, 2\n")
    assert "a: [1, 2\n" not in yamlfile._shared_documents


def test_long_texts_are_never_held_and_the_memo_stays_within_its_node_budget(monkeypatch):
    monkeypatch.setattr(yamlfile, "_shared_documents", {})
    monkeypatch.setattr(yamlfile, "_shared_nodes", 0)
    long = "a: " + "x" * yamlfile._SHARED_TEXT_CHARS + "\n"
    assert parse_shared_yaml(long) is not parse_shared_yaml(long)
    assert not yamlfile._shared_documents
    for index in range(40):  # dense documents: about 2,000 nodes each
        parse_shared_yaml(f"n{index}:\n" + "- 1\n" * (yamlfile._SHARED_TEXT_CHARS // 4 - 10))
        held = sum(yamlfile._node_count(document) for document in yamlfile._shared_documents.values())
        assert held == yamlfile._shared_nodes <= yamlfile._SHARED_NODES
    assert yamlfile._shared_documents


def test_no_rule_changes_a_shared_document(capsys, monkeypatch):
    """Every rule (fixes computed, as ``--diff`` does) over the corpus' model dirs, each read twice:
    afterwards every document held is still what its text parses to."""
    models = sorted(path for path in (REPO / "corpus" / "models").iterdir() if path.is_dir())
    assert models
    monkeypatch.setattr(yamlfile, "_shared_documents", {})
    monkeypatch.setattr(yamlfile, "_shared_nodes", 0)
    main(["check", "--jobs", "1", "--no-cache", "--exit-zero", "--diff", "--format", "json", *map(str, models + models)])
    capsys.readouterr()
    held = dict(yamlfile._shared_documents)
    assert len(held) >= 10
    for text, document in held.items():
        assert document == parse_yaml(text), text[:200]
