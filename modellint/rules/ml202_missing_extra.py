from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.code.import_resolution import any_stdlib, has_declared_environment
from modellint.analyzer.code.optional_deps import OptionalNeed, call_needs, url_needs
from modellint.analyzer.knowledge.distributions import normalize
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity, Span
from modellint.fixes.add_dependency import add_dependency_fix
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._code_examples import code_model, requirement_files
from modellint.rules._examples import CLEAN_PIP

_READ_EXCEL = "import pandas as pd\n\n\ndef load(path):\n    return pd.read_excel(path)\n"
_MARKDOWN = "import pandas as pd\n\n\ndef render(rows):\n    return pd.DataFrame(rows).to_markdown()\n"
_SOCKS = ("import requests\n\nPROXIES = {'https': 'socks5h://127.0.0.1:1080'}\n\n\n"
          "def fetch(url):\n    return requests.get(url, proxies=PROXIES)\n")
_POSTGRES = "from sqlalchemy import create_engine\n\nengine = create_engine('postgresql://db/prices')\n"


class MissingExtra(Rule):
    """## What it does
    Finds calls that need an optional dependency of a declared package when that dependency is
    not declared: `pandas.read_excel` / `DataFrame.to_excel` (openpyxl, xlrd, odfpy...),
    `read_parquet` / `to_parquet` (pyarrow or fastparquet), `read_html` / `read_xml` (lxml),
    `DataFrame.to_markdown` (tabulate), `read_hdf` (tables), pandas IO on `s3://` / `gs://`
    paths (s3fs, gcsfs), `read_sql` with a URL and `create_engine("postgresql://...")` (SQLAlchemy
    and the dialect's driver), `requests` / `httpx` with a `socks5://` proxy (PySocks, socksio),
    `matplotlib.use("QtAgg")` and other GUI backends. A requirement that declares the extra
    (`pandas[excel]`, `requests[socks]`) satisfies it.

    ## Why is this bad?
    These libraries import the optional package only when the call runs, so installing the
    model's requirements succeeds and the model fails at load or predict time with
    `ImportError: Missing optional dependency 'openpyxl'` (or `Missing dependencies for SOCKS
    support`). MLflow's requirement inference never records extras.

    ## Example
    ```python
    def load_context(self, context):
        self.table = pd.read_excel(context.artifacts["prices"])   # requirements: pandas only
    ```

    ## Fix
    Add the distribution named in the message, or declare the package with its extra
    (`pandas[excel]==2.2.3`).

    `--fix` adds the named distribution (`openpyxl`, `tabulate`, ...) to `requirements.txt` and
    the conda `pip:` list together, after the last requirement or in order when the list is
    sorted. It never rewrites the package's own line to add an extra.

    ## Fix safety
    With `--python PATH` the line is pinned to the version that interpreter has installed: safe.
    Without it the line is unpinned and serving installs the newest release: unsafe
    (`--unsafe-fixes`).
    """

    code = "ML202"
    name = "missing-extra"
    severity = Severity.ERROR
    fix_title = "Declare the optional dependency (or the package with its extra)"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(code_model({"prices.py": _READ_EXCEL}, "pandas[excel]==2.2.3")),
        Valid(code_model({"prices.py": _READ_EXCEL}, "pandas==2.2.3", "openpyxl==3.1.5")),
        Valid(code_model({"proxy.py": _SOCKS}, "requests[socks]==2.32.3")),
        Valid(code_model({"render.py": _MARKDOWN}, "pandas==2.2.3", "tabulate==0.9.0")),
        Valid(code_model({"db.py": "import sqlite3\n\nimport pandas as pd\n\n\ndef load(q):\n"
                                   "    return pd.read_sql(q, sqlite3.connect('prices.db'))\n"}, "pandas==2.2.3"),
              note="read_sql with a DB-API connection needs no SQLAlchemy"),
    ))
    INVALID = examples(lambda: (
        Invalid(code_model({"prices.py": _READ_EXCEL}, "pandas==2.2.3"), (("code/prices.py", 5),),
                fixed=requirement_files(*CLEAN_PIP, "pandas==2.2.3", "openpyxl")),
        Invalid(code_model({"render.py": _MARKDOWN}, "pandas==2.2.3"), (("code/render.py", 5),),
                fixed=requirement_files(*CLEAN_PIP, "pandas==2.2.3", "tabulate")),
        Invalid(code_model({"proxy.py": _SOCKS}, "requests==2.32.3"), (("code/proxy.py", 3),),
                fixed=requirement_files(*CLEAN_PIP, "requests==2.32.3", "pysocks")),
        Invalid(code_model({"db.py": _POSTGRES}, "sqlalchemy==2.0.36"), (("code/db.py", 3),),
                fixed=requirement_files("mlflow==3.17.2", "psycopg2-binary", "scikit-learn==1.9.1", "skops==0.16.0",
                                        "sqlalchemy==2.0.36"), note="a sorted list gets the new line in its place"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        if not has_declared_environment(model):
            return
        reported: set[tuple[object, str]] = set()
        for scan in model.code_scans:
            candidates: list[tuple[OptionalNeed, str, Span]] = []
            for call in scan.calls:
                if call.type_checking:
                    continue
                shown = call.function if call.function and call.function != call.attribute else call.attribute
                candidates.extend((need, f"`{shown}`", call.span) for need in call_needs(call, scan))
            for need, url in url_needs(scan):
                candidates.append((need, f"the proxy URL `{url.value}`", url.span))
            for need, what, span in candidates:
                key = (scan.path, need.feature + need.suggestion)
                if key in reported or not _provided(model, need.owner) or _satisfied(model, need):
                    continue
                reported.add(key)
                yield self.finding(scan.path, self._message(model, need, what), span,
                                   fix=add_dependency_fix(model, need.suggestion))

    @staticmethod
    def _message(model: ModelDir, need: OptionalNeed, what: str) -> str:
        options = [" + ".join(f"`{module}`" for module in group) for group in need.options]
        needed = options[0] if len(options) == 1 else f"one of {', '.join(options)}"
        extra = _extra_for(model, need)
        alternative = f" (or declare `{extra}`)" if extra else ""
        return (f"{what} needs {needed} for {need.feature}, an optional dependency of `{need.owner}` that no "
                f"declared requirement provides: add `{need.suggestion}`{alternative}")


def _provided(model: ModelDir, module: str) -> bool:
    top = module.split(".")[0]
    return (top in any_stdlib() or model.code_module_exists(module)
            or model.environment.provision(module) is not None)


def _satisfied(model: ModelDir, need: OptionalNeed) -> bool:
    return any(all(_provided(model, module) for module in group) for group in need.options)


def _extra_for(model: ModelDir, need: OptionalNeed) -> str | None:
    """``pandas[excel]``: the owner's extra that brings the suggested distribution, if any."""
    environment = model.environment
    provision = environment.provision(need.owner)
    if provision is None:
        return None
    distribution = provision.chain[-1]
    wanted = normalize(need.suggestion)
    matches = [(len(added), name) for name, added in environment.knowledge.extras(distribution, environment.python).items()
               if wanted in added and name not in ("all", "test", "tests", "dev")]
    return f"{distribution}[{min(matches)[1]}]" if matches else None
