"""Model URIs through the Python API, and the registry's per-version lint as a partition of a
Spark job: against the real ``mlflow server`` of the fixtures, the same findings as the command."""

from __future__ import annotations

import json
import os
import shutil
import sys
from functools import partial

import pytest

import modellint
from modellint import __version__
from modellint.cli import main
from modellint.remote.partition import lint_partition
from modellint.remote.registry import already_tagged, knowledge_version, list_versions
from tests.remote.conftest import BROKEN_CASE, CLEAN_CASE, register

pytestmark = pytest.mark.slow


def _command_json(capsys, uri: str, server_uri: str) -> str:
    capsys.readouterr()  # what MLflow printed while the test registered its versions
    main(["check", uri, "--tracking-uri", server_uri, "--isolated", "--format", "json"])
    return capsys.readouterr().out


@pytest.mark.parametrize("uri", ["models:/broken/1", "models:/clean@champion"])
def test_the_api_lints_a_model_uri_as_the_command_does(mlflow_server, capsys, tmp_path, monkeypatch, uri):
    monkeypatch.chdir(tmp_path)
    report = modellint.lint(uri, tracking_uri=mlflow_server.uri)
    assert modellint.render(report, "json") == _command_json(capsys, uri, mlflow_server.uri)
    # The temporary folder is gone; its findings are still shown as the URI.
    assert all(report.shown(finding.path, tmp_path).startswith(f"{uri}/") for finding in report.findings)
    assert all(not target.path.exists() for target in report.targets)


def test_a_uri_the_api_cannot_fetch_is_a_failure_never_a_clean_report(mlflow_server):
    report = modellint.lint("models:/nobody/1", tracking_uri=mlflow_server.uri)
    assert not report.findings and len(report.failures) == 1
    document = json.loads(modellint.render(report, "json"))
    assert document["summary"]["failed_targets"] == 1 and document["errors"][0]["path"] == "models:/nobody/1"


def test_a_partition_gives_one_row_per_version_with_the_command_verdict(mlflow_server, capsys):
    rows = list(lint_partition([("broken", "1"), ("clean", 1), ("nobody", "1")], tracking_uri=mlflow_server.uri))
    assert [(row["name"], row["version"], row["status"], row["errors"], row["tagged"]) for row in rows] == [
        ("broken", "1", "fail", 2, False), ("clean", "1", "pass", 0, False), ("nobody", "1", "unchecked", None, False)]
    assert rows[0]["report"] == _command_json(capsys, "models:/broken/1", mlflow_server.uri)


def _spark_session():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        pytest.skip("Spark needs a Java runtime")
    from pyspark.sql import SparkSession

    # Workers run this interpreter: the one with modellint and MLflow installed.
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    return (SparkSession.builder.master("local[2]").appName("modellint-registry")
            .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())


def test_a_spark_job_lints_and_tags_the_registry_partition_by_partition(mlflow_server, capsys):
    from mlflow import MlflowClient

    # Versions of their own: the tags written here must not touch what other tests read.
    for case, name in ((BROKEN_CASE, "spark-broken"), (CLEAN_CASE, "spark-clean")):
        register(mlflow_server.uri, case, name)
    client = MlflowClient(mlflow_server.uri)
    # The README's job, as written there.
    versions = list_versions(client, "spark-*", alias=None, stage=None)
    todo = [(v.name, v.version) for v in versions if not already_tagged(v, knowledge_version())]
    assert todo == [("spark-broken", "1"), ("spark-clean", "1")]
    spark = _spark_session()
    try:
        rows = (spark.sparkContext.parallelize(todo, 2)
                .mapPartitions(partial(lint_partition, tracking_uri=mlflow_server.uri, set_tags=True))
                .collect())
    finally:
        spark.stop()
    verdicts = {row["name"]: (row["status"], row["errors"], row["tagged"]) for row in rows}
    assert verdicts == {"spark-broken": ("fail", 2, True), "spark-clean": ("pass", 0, True)}
    for name, status, errors in (("spark-broken", "fail", "2"), ("spark-clean", "pass", "0")):
        tags = client.get_model_version(name, "1").tags
        assert (tags["modellint.status"], tags["modellint.errors"]) == (status, errors)
        assert (tags["modellint.version"], tags["modellint.knowledge"]) == (__version__, knowledge_version())
    # Tagged, so a second job has nothing to do.
    assert not [v for v in list_versions(client, "spark-*", None, None) if not already_tagged(v, knowledge_version())]
    # The same findings as the command, version by version.
    by_name = {row["name"]: json.loads(row["report"]) for row in rows}
    for name in ("spark-broken", "spark-clean"):
        assert by_name[name] == json.loads(_command_json(capsys, f"models:/{name}/1", mlflow_server.uri))
