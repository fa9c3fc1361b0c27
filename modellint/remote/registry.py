"""``modellint registry``: lint the versions of an MLflow model registry, and tag the verdicts.

Each version is linted as ``modellint check models:/<name>/<version>`` lints it (the same fetch,
the same lint, one report); the versions are fetched side by side on threads, each within its own
``--max-download`` budget. ``--set-tags`` writes the verdict on each version linted, so that the
registry's UI shows it; a version already tagged by the same modellint and knowledge base is not
linted again unless ``--force``. A version that could not be fetched or linted is an error line
(exit 2) and gets no tag: it is never passed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from modellint import __version__
from modellint.findings import Severity
from modellint.record import Record
from modellint.reports import printable

STATUS, ERRORS, WARNINGS, VERSION, KNOWLEDGE = (f"modellint.{key}" for key in
                                                ("status", "errors", "warnings", "version", "knowledge"))
NOTHING_TO_REPORT = 0  # the CLI's exit code when nothing is at or above --fail-on
DEFAULT_THREADS = 4  # downloads wait on the network: a few at once, each with at most one file open


class Version(Record):
    """One registered model version: its name, version, stage and the ``modellint.*`` tags it carries."""

    __slots__ = ("name", "version", "stage", "tags")

    def __init__(self, name: str, version: str, stage: str = "None", tags: tuple[tuple[str, str], ...] = ()) -> None:
        self.name = name
        self.version = version
        self.stage = stage
        self.tags = tags

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    @property
    def shown(self) -> str:
        return printable(f"{self.name}/{self.version}")


class Verdict(Record):
    """What the lint of one version found: the tags ``--set-tags`` writes."""

    __slots__ = ("passed", "errors", "warnings")

    def __init__(self, passed: bool, errors: int, warnings: int) -> None:
        self.passed = passed
        self.errors = errors
        self.warnings = warnings

    def tags(self, knowledge: str) -> dict[str, str]:
        return {STATUS: "pass" if self.passed else "fail", ERRORS: str(self.errors), WARNINGS: str(self.warnings),
                VERSION: __version__, KNOWLEDGE: knowledge}


def lint_registry(args: argparse.Namespace, check: Callable[[argparse.Namespace, Any, Any], int]) -> int:
    """The ``registry`` command: list, skip what is tagged already, then lint the rest with
    ``check`` (the CLI's lint of fetched URI targets: ``check(args, view, on_report)``, its exit
    code) and tag them."""
    from modellint.remote.fetch import DEFAULT_MAX_BYTES, mlflow_client, mlflow_message, parse_size

    if args.force and not args.set_tags:
        raise ValueError("--force only applies with --set-tags")
    if args.set_tags and args.diff:
        raise ValueError("--set-tags needs the lint's verdict: it does not go with --diff")
    if args.jobs is not None and args.jobs < 1:
        raise ValueError("--jobs must be at least 1")
    budget = DEFAULT_MAX_BYTES if args.max_download is None else parse_size(args.max_download)
    client = mlflow_client(args.tracking_uri)
    knowledge = knowledge_version()
    try:
        versions = list_versions(client, args.name, args.alias, args.stage)
    except Exception as error:  # noqa: BLE001 - MLflow, the network and the plugins raise anything
        raise ValueError(f"the model registry could not be listed: {printable(mlflow_message(error))}") from None
    if not versions:
        _say(f"modellint: registry: no model version matches{_filters(args)}: nothing to check")
        return NOTHING_TO_REPORT
    if args.set_tags and not args.force:
        for version in versions:
            if already_tagged(version, knowledge):
                say_skipped(version, knowledge, "registry", " (--force lints it again)")
        versions = [version for version in versions if not already_tagged(version, knowledge)]
        if not versions:
            return NOTHING_TO_REPORT
    return lint_versions(args, check, client, versions, budget, knowledge if args.set_tags else None)


def lint_versions(args: argparse.Namespace, check: Callable[[argparse.Namespace, Any, Any], int], client: Any,
                  versions: list[Version], budget: int, knowledge: str | None, *, command: str = "registry") -> int:
    """Fetch ``versions`` (each within ``budget`` bytes), lint them with ``check`` into one report
    and, when ``knowledge`` is given, tag each with its verdict; ``check``'s exit code. ``command``
    names the lines written on stderr."""
    from modellint.progress import ProgressLine, is_terminal
    from modellint.remote.fetch import RemoteView

    showing = is_terminal(sys.stderr) and not args.no_progress
    progress = ProgressLine(len(versions), "fetched", "model versions", enabled=showing, delay=0)
    threads = min(args.jobs or DEFAULT_THREADS, DEFAULT_THREADS * 4)
    with progress, RemoteView([version.uri for version in versions], args.tracking_uri, budget, per_uri=True,
                              threads=threads, on_fetched=progress.advance) as view:
        progress.close()  # every version is fetched: the report comes next

        def on_report(report: Any, settings: Any) -> bool:
            if knowledge is None:
                return False
            verdicts = {version: verdict(view.fetched[version.uri], report, settings.fail_on) for version in versions}
            return not write_tags(client, verdicts, knowledge, command=command)

        return check(args, view, on_report)


def knowledge_version() -> str:
    """The knowledge base's build date: a new one may judge a version differently."""
    from modellint.analyzer.knowledge.distributions import build_date

    return build_date()


def list_versions(client: Any, name_glob: str, alias: str | None, stage: str | None) -> list[Version]:
    """The registry's versions whose model name matches ``name_glob`` (fnmatch, case-sensitive as
    MLflow's names are), that ``alias`` points at and that are in ``stage``, by name then version."""
    names = sorted({str(model.name) for model in _pages(client.search_registered_models)
                    if fnmatchcase(str(model.name), name_glob)})
    found: list[Version] = []
    if alias is not None:
        for name in names:
            pointed = _by_alias(client, name, alias)
            if pointed is not None:
                found.append(pointed)
    else:
        wanted = set(names)
        # All versions in one paged search, filtered here: a name never has to be quoted into a filter.
        found = [_version(model_version) for model_version in _pages(client.search_model_versions)
                 if str(model_version.name) in wanted]
    if stage is not None:
        found = [version for version in found if version.stage.lower() == stage.lower()]
    return sorted(found, key=lambda version: (version.name, _number(version.version)))


def already_tagged(version: Version, knowledge: str) -> bool:
    tags = dict(version.tags)
    return STATUS in tags and tags.get(VERSION) == __version__ and tags.get(KNOWLEDGE) == knowledge


def say_skipped(version: Version, knowledge: str, command: str, advice: str = "") -> None:
    status = dict(version.tags)[STATUS]
    _say(f"modellint: {command}: {version.shown}: skipped, already tagged modellint.status={printable(status)} "
         f"by modellint {__version__} with knowledge base {knowledge}{advice}")


def get_version(client: Any, name: str, version: str) -> Version:
    """One registered version, read from the registry with its ``modellint.*`` tags."""
    return _version(client.get_model_version(name, version))


def verdict(target: Any, report: Any, fail_on: Severity) -> Verdict | None:
    """The verdict on one fetched version, or None when it was not fetched or not fully linted
    (its error line is in the report: it gets no tag, least of all a pass)."""
    if target is None or any(failure.target == target for failure in report.failures):
        return None
    root: Path = target.path
    findings = [finding for finding in report.findings if finding.path == root or root in finding.path.parents]
    errors = sum(finding.severity is Severity.ERROR for finding in findings)
    warnings = sum(finding.severity is Severity.WARNING for finding in findings)
    return Verdict(not any(finding.severity >= fail_on for finding in findings), errors, warnings)


def write_tags(client: Any, verdicts: dict[Version, Verdict | None], knowledge: str, *,
               command: str = "registry") -> bool:
    """Tag each version linted with its verdict; whether every tag was written."""
    from modellint.remote.fetch import mlflow_message

    written = True
    for version, found in verdicts.items():
        if found is None:
            _say(f"modellint: {command}: {version.shown}: not tagged: it could not be checked")
            continue
        try:
            for key, value in found.tags(knowledge).items():
                client.set_model_version_tag(version.name, version.version, key, value)
        except Exception as error:  # noqa: BLE001 - MLflow, the network and the plugins raise anything
            _say(f"modellint: error: {version.shown}: the tags could not be written: {printable(mlflow_message(error))}")
            written = False
            continue
        _say(f"modellint: {command}: {version.shown}: tagged modellint.status={'pass' if found.passed else 'fail'} "
             f"({found.errors} error{'s' if found.errors != 1 else ''}, "
             f"{found.warnings} warning{'s' if found.warnings != 1 else ''})")
    return written


def _pages(search: Callable[..., Any], **arguments: Any) -> Iterator[Any]:
    """Every result of one of MLflow's paged searches."""
    token = None
    while True:
        page = search(page_token=token, **arguments)
        yield from page
        token = getattr(page, "token", None)
        if not token:
            return


def _version(model_version: Any) -> Version:
    tags = model_version.tags or {}
    own = tuple(sorted((str(key), str(value)) for key, value in tags.items() if str(key).startswith("modellint.")))
    return Version(str(model_version.name), str(model_version.version), str(model_version.current_stage), own)


def _by_alias(client: Any, name: str, alias: str) -> Version | None:
    from mlflow.exceptions import MlflowException

    try:
        return _version(client.get_model_version_by_alias(name, alias))
    except MlflowException as error:
        if getattr(error, "error_code", None) in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None  # this model has no such alias
        raise


def _number(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (sys.maxsize, version)


def _filters(args: argparse.Namespace) -> str:
    shown = [f"--{flag} {printable(value)}" for flag, value in (("name", args.name), ("alias", args.alias),
                                                                  ("stage", args.stage))
             if value is not None and value != "*"]
    return f" ({', '.join(shown)})" if shown else ""


def _say(message: str) -> None:
    # One write per line (print makes two): the webhook server's lines are written from two threads.
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()
