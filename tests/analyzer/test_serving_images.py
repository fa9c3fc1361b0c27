"""The serving-image table: every row dated and sourced, every clash a real version range."""

from __future__ import annotations

import datetime

import pytest

from modellint.analyzer.knowledge.serving_images import ImageFact, clashes, parse_serving_images, serving_images
from modellint.rules._targets import TARGETS


def test_every_row_is_dated_sourced_and_for_a_known_target():
    facts = serving_images()
    assert facts
    for fact in facts:
        assert fact.target in TARGETS
        assert datetime.date.fromisoformat(fact.as_of) <= datetime.date(2026, 12, 7)
        assert fact.source.startswith("https://")
        assert fact.distribution == fact.distribution.lower()


def test_the_azure_clashes_name_their_versions():
    by_name = {fact.distribution: fact for fact in clashes("azureml-online")}
    mlflow = by_name["mlflow"]
    assert mlflow.clashes_with("3.7.0") and mlflow.clashes_with("3.14.0")
    # 3.6.0 was reported working; no report covers a release after 3.14.0 (the newest on 2026-06-29)
    assert not mlflow.clashes_with("3.6.0") and not mlflow.clashes_with("3.15.0") and not mlflow.clashes_with("3.17.2")
    server = by_name["azureml-inference-server-http"]
    assert server.clashes_with("1.3.4") and not server.clashes_with("1.2.0") and not server.clashes_with("1.4.1")
    assert not server.clashes_with("not-a-version")
    assert clashes("databricks") == []  # nothing sourced: nothing checked


def test_a_brings_row_never_clashes():
    fact = ImageFact("azureml-online", "brings", "mlflow-skinny", None, "is installed", "2026-12-07", "https://x")
    assert not fact.clashes_with("3.0.0")


@pytest.mark.parametrize("row, message", [
    ("azureml-online\tclash\tmlflow\t-\tbreaks\t2026-01-01\thttps://x", "needs the versions"),
    ("azureml-online\tclash\tmlflow\t>>3\tbreaks\t2026-01-01\thttps://x", "not a version specifier"),
    ("azureml-online\tmaybe\tmlflow\t>=3\tbreaks\t2026-01-01\thttps://x", "expected a kind"),
    ("azureml-online\tclash\tmlflow\t>=3", "expected 7 tab-separated fields"),
])
def test_a_broken_row_is_an_error_not_a_dropped_fact(row, message):
    with pytest.raises(ValueError, match=message):
        parse_serving_images(row)
