"""modellint: will this MLflow model install, load and predict in a fresh environment?

Public API::

    report = modellint.lint("path/to/model")
    for finding in report.findings: ...
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
         deploy_targets: "list[str] | None" = None) -> "Report":
    """Lint model dirs (or folders holding them) and return the :class:`Report`.

    ``known_first_party`` and ``module_distributions`` are the config keys of the same names;
    ``deploy_targets`` the `target` key (`["azureml-online"]`; default `mlflow-serve`).
    """
    from pathlib import Path

    from modellint.config import Settings
    from modellint.config import known_first_party as checked_modules
    from modellint.config import module_distributions as checked_map
    from modellint.engine import lint_targets
    from modellint.selection import RuleSelection
    from modellint.targets import discover

    selection = RuleSelection(select=select, ignore=ignore or (), targets=deploy_targets or ("mlflow-serve",))
    selection.validate()
    settings = Settings(known_first_party=checked_modules(list(known_first_party or ()), "known_first_party"),
                        module_distributions=checked_map(dict(module_distributions or {}), "module_distributions"))
    targets = discover([Path(os.path.abspath(path)) for path in paths])
    return lint_targets(targets, selection.enabled_rules(), selection, base=Path.cwd(),
                        imports=settings.import_settings())


__all__ = ["Finding", "Report", "__version__", "lint"]


def __getattr__(name: str):
    if name == "Finding":
        from modellint.findings import Finding

        return Finding
    if name == "Report":
        from modellint.engine import Report

        return Report
    raise AttributeError(name)
