"""The lint of registry versions as one partition of a data-parallel job: Spark's ``mapPartitions``.

``modellint registry`` lints a registry from one machine. A registry of tens of thousands of
versions needs more, and the per-version lint is a pure function of the version's artifacts, so
the engine a team already runs can spread it; on Databricks, that is Spark::

    from functools import partial
    from modellint.remote.partition import lint_partition

    rows = [(version.name, version.version) for version in ...]   # the driver lists the registry
    results = (spark.sparkContext.parallelize(rows, 64)
               .mapPartitions(partial(lint_partition, tracking_uri=URI, set_tags=True))
               .collect())

Each partition opens one tracking client, then fetches, lints, tags and forgets one version after
the other: its temporary folder is removed before the next version is fetched, so a partition's
disk and memory do not grow with its length. Nothing here schedules, retries or balances: that is
the engine's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from modellint.findings import Severity


def lint_partition(versions: Iterable[Any], *, tracking_uri: str | None = None, set_tags: bool = False,
                   max_download: int | str | None = None, fail_on: str = "warning") -> Iterator[dict[str, Any]]:
    """Lint each ``(name, version)`` (a tuple, or a Spark ``Row`` of the two) as ``modellint check
    models:/<name>/<version>`` does, and yield one row per version: ``name``, ``version``,
    ``status`` (``pass``, ``fail``, or ``unchecked`` when it could not be fetched or linted, which
    is never a pass), ``errors``, ``warnings``, ``tagged`` (``set_tags``: the verdict was written
    as the ``modellint.*`` tags ``modellint registry --set-tags`` writes) and ``report`` (the JSON
    report, paths shown as the URI)."""
    import modellint
    from modellint.remote.fetch import mlflow_client
    from modellint.remote.registry import Version, knowledge_version, verdict, write_tags

    threshold = Severity.parse(fail_on)
    client = mlflow_client(tracking_uri) if set_tags else None  # one per partition, not one per version
    knowledge = knowledge_version()
    for name, number, *_ in versions:
        version = Version(str(name), str(number))
        report = modellint.lint(version.uri, tracking_uri=tracking_uri, max_download=max_download)
        found = verdict(report.targets[0] if report.targets else None, report, threshold)
        tagged = client is not None and found is not None and write_tags(client, {version: found}, knowledge)
        yield {"name": version.name, "version": version.version,
               "status": "unchecked" if found is None else "pass" if found.passed else "fail",
               "errors": None if found is None else found.errors,
               "warnings": None if found is None else found.warnings,
               "tagged": tagged, "report": modellint.render(report, "json")}
