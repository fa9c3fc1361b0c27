"""modellint: will this MLflow model install, load and predict in a fresh environment?

Public API::

    report = modellint.lint("path/to/model")          # or "models:/fraud/3", tracking_uri=...
    for finding in report.findings: ...
    print(modellint.render(report, "json"))            # as `modellint check --format json` prints it
"""

# Under `python -m modellint` this file runs before __main__ takes the working directory (maybe
# the model under check) off sys.path: it imports only `os`, which is frozen into the interpreter.
# Hence no `from __future__ import annotations` and no `typing` (mypy reads any TYPE_CHECKING as
# true), and annotations as strings.
import os

__version__ = "0.1.0"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from modellint.engine import Report
    from modellint.findings import Finding


def lint(*paths: "str | Path", select: "list[str] | None" = None, ignore: "list[str] | None" = None,
         known_first_party: "list[str] | None" = None,
         module_distributions: "dict[str, str] | None" = None,
         deploy_targets: "list[str] | None" = None, tracking_uri: "str | None" = None,
         max_download: "int | str | None" = None, python_version: "str | None" = None,
         platform: "str | None" = None) -> "Report":
    """Lint model dirs (or folders holding them), serialized files and model URIs, and return the
    :class:`Report`.

    ``known_first_party``, ``module_distributions``, ``python_version`` (``"3.11"``) and
    ``platform`` (``"linux/aarch64"``) are the config keys of the same names;
    ``deploy_targets`` the `target` key (`["azureml-online"]`; default `mlflow-serve`). A model
    URI (``models:/fraud/3``, ``runs:/<id>/model``) is fetched as ``modellint check`` fetches it
    (the ``modellint[mlflow]`` extra; ``tracking_uri`` and ``max_download``, bytes or "4G", as the
    options of the same names) into a temporary folder that is gone when this returns: its
    findings' paths are shown as the URI by :func:`render` and ``report.shown(path, base)``, and a
    URI that could not be fetched is one of ``report.failures``.
    """
    from pathlib import Path

    from modellint.config import Settings, build_platform
    from modellint.config import known_first_party as checked_modules
    from modellint.config import module_distributions as checked_map
    from modellint.config import python_version as checked_python
    from modellint.engine import TargetFailure, lint_targets
    from modellint.remote import is_model_uri
    from modellint.selection import RuleSelection
    from modellint.targets import Target, discover

    selection = RuleSelection(select=select, ignore=ignore or (), targets=deploy_targets or ("mlflow-serve",))
    selection.validate()
    settings = Settings(known_first_party=checked_modules(list(known_first_party or ()), "known_first_party"),
                        module_distributions=checked_map(dict(module_distributions or {}), "module_distributions"),
                        python_version=None if python_version is None else checked_python(python_version, "python_version"),
                        platform=None if platform is None else build_platform(platform, "platform"))
    uris = list(dict.fromkeys(str(path) for path in paths if is_model_uri(str(path))))
    targets = discover([Path(os.path.abspath(path)) for path in paths if str(path) not in uris])
    if not uris:
        return lint_targets(targets, selection.enabled_rules(), selection, base=Path.cwd(),
                            settings=settings.environment_settings())
    from modellint.remote.fetch import DEFAULT_MAX_BYTES, RemoteView, parse_size

    budget = (DEFAULT_MAX_BYTES if max_download is None
              else parse_size(max_download) if isinstance(max_download, str) else max_download)
    with RemoteView(uris, tracking_uri, budget) as view:
        report = lint_targets([*targets, *view.targets], selection.enabled_rules(), selection, base=Path.cwd(),
                              settings=settings.environment_settings())
    unfetched = [TargetFailure(Target("model", error.path), error.problem) for error in view.errors]
    return report.replace(failures=[*unfetched, *report.failures], aliases=view.aliases)


def render(report: "Report", output_format: str = "json", base: "str | Path | None" = None) -> str:
    """``report`` as ``modellint check --format output_format`` prints it (full, concise, json,
    github, sarif, markdown, cyclonedx), paths relative to ``base`` (default: the working folder)."""
    from pathlib import Path

    from modellint.reports import ReportContext, UncheckedTarget
    from modellint.reports.by_format import render as render_findings

    context = ReportContext(base=Path(os.path.abspath(base or os.curdir)), version=__version__,
                            targets=len(report.targets),
                            errors=[UncheckedTarget(failure.path, failure.message) for failure in report.failures],
                            nothing_to_check=len(report.projects_without_checks), aliases=report.aliases,
                            checked_targets=tuple(report.targets))
    return render_findings(output_format, report.findings, context)


__all__ = ["Finding", "Report", "__version__", "lint", "render"]


def __getattr__(name: str):
    if name == "Finding":
        from modellint.findings import Finding

        return Finding
    if name == "Report":
        from modellint.engine import Report

        return Report
    raise AttributeError(name)
