"""Calls that need an optional dependency of the library they belong to.

``pd.read_excel`` imports openpyxl (or xlrd, odfpy...) only when it runs, ``requests`` needs
PySocks only for a ``socks5://`` proxy, ``create_engine("postgresql://...")`` loads psycopg2:
the package installs fine without them and the call fails in the serving environment with
``ImportError: Missing optional dependency 'openpyxl'``. The table below lists those calls, the
modules that satisfy each (any one option, all modules of it) and the distribution to propose.
Sources: pandas' ``pandas/compat/_optional.py`` and IO docs, SQLAlchemy's dialect docs (default
DBAPI per dialect), matplotlib's backend list, requests' and httpx's proxy docs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from modellint.record import Record

if TYPE_CHECKING:
    # Types only: the import scanner (ast, tokenize) is loaded when a model has code to scan.
    from modellint.analyzer.code.source_imports import CallFact, ModuleScan, UrlLiteral


class OptionalNeed(Record):
    __slots__ = ("owner", "feature", "options", "suggestion")

    def __init__(self, owner: str, feature: str, options: tuple[tuple[str, ...], ...], suggestion: str) -> None:
        self.owner = owner  # top-level module of the library whose API needs it ("pandas")
        self.feature = feature  # what needs it, for the message ("reading Excel files")
        self.options = options  # module groups; all modules of any one group satisfy it
        self.suggestion = suggestion  # the distribution to propose (PEP 503 name)


def _need(owner: str, feature: str, suggestion: str, *options: str | tuple[str, ...]) -> OptionalNeed:
    groups = tuple((option,) if isinstance(option, str) else option for option in options)
    return OptionalNeed(owner, feature, groups, suggestion)


_EXCEL_READERS = ("openpyxl", "xlrd", "odf", "pyxlsb", "python_calamine")
_EXCEL_BY_SUFFIX = {".xlsx": "openpyxl", ".xlsm": "openpyxl", ".xls": "xlrd", ".ods": "odf", ".odt": "odf", ".xlsb": "pyxlsb"}
_EXCEL_ENGINES = {"openpyxl": "openpyxl", "xlrd": "xlrd", "odf": "odf", "pyxlsb": "pyxlsb",
                  "calamine": "python_calamine", "xlsxwriter": "xlsxwriter"}
_DISTRIBUTION_OF = {"openpyxl": "openpyxl", "xlrd": "xlrd", "odf": "odfpy", "pyxlsb": "pyxlsb",
                    "python_calamine": "python-calamine", "xlsxwriter": "xlsxwriter"}

# pandas functions / DataFrame methods -> what they need regardless of their arguments.
_PANDAS_FIXED = {
    "read_parquet": _need("pandas", "reading Parquet", "pyarrow", "pyarrow", "fastparquet"),
    "to_parquet": _need("pandas", "writing Parquet", "pyarrow", "pyarrow", "fastparquet"),
    "read_feather": _need("pandas", "reading Feather", "pyarrow", "pyarrow"),
    "to_feather": _need("pandas", "writing Feather", "pyarrow", "pyarrow"),
    "read_orc": _need("pandas", "reading ORC", "pyarrow", "pyarrow"),
    "to_orc": _need("pandas", "writing ORC", "pyarrow", "pyarrow"),
    "read_html": _need("pandas", "reading HTML tables", "lxml", "lxml", ("bs4", "html5lib")),
    "to_markdown": _need("pandas", "writing Markdown", "tabulate", "tabulate"),
    "read_hdf": _need("pandas", "reading HDF5", "tables", "tables"),
    "to_hdf": _need("pandas", "writing HDF5", "tables", "tables"),
    "HDFStore": _need("pandas", "`HDFStore`", "tables", "tables"),
    "read_spss": _need("pandas", "reading SPSS files", "pyreadstat", "pyreadstat"),
    "read_sql_table": _need("pandas", "`read_sql_table`", "sqlalchemy", "sqlalchemy"),
}
_PANDAS_XML = {"read_xml": "reading XML", "to_xml": "writing XML"}  # lxml unless parser="etree"
_PANDAS_SQL = frozenset({"read_sql", "read_sql_query", "to_sql"})  # sqlalchemy when given a URL string
_PANDAS_EXCEL_READ = frozenset({"read_excel", "ExcelFile"})
_PANDAS_EXCEL_WRITE = frozenset({"to_excel", "ExcelWriter"})
PANDAS_NAMES = frozenset(_PANDAS_FIXED) | frozenset(_PANDAS_XML) | _PANDAS_SQL | _PANDAS_EXCEL_READ | _PANDAS_EXCEL_WRITE

_FILESYSTEMS = {"s3": ("s3fs", "s3fs"), "s3a": ("s3fs", "s3fs"), "gs": ("gcsfs", "gcsfs"), "gcs": ("gcsfs", "gcsfs"),
                "abfs": ("adlfs", "adlfs"), "abfss": ("adlfs", "adlfs"), "az": ("adlfs", "adlfs")}

# SQLAlchemy dialect[+driver] -> (modules options, distribution). Default DBAPIs per SQLAlchemy 2.0.
_SQL_DRIVERS: dict[str, tuple[tuple[tuple[str, ...], ...], str]] = {
    "postgresql": ((("psycopg2",),), "psycopg2-binary"),
    "postgres": ((("psycopg2",),), "psycopg2-binary"),
    "postgresql+psycopg2": ((("psycopg2",),), "psycopg2-binary"),
    "postgresql+psycopg": ((("psycopg",),), "psycopg"),
    "postgresql+asyncpg": ((("asyncpg",),), "asyncpg"),
    "postgresql+pg8000": ((("pg8000",),), "pg8000"),
    "mysql": ((("MySQLdb",),), "mysqlclient"),
    "mysql+mysqldb": ((("MySQLdb",),), "mysqlclient"),
    "mysql+pymysql": ((("pymysql",),), "pymysql"),
    "mysql+mysqlconnector": ((("mysql.connector",),), "mysql-connector-python"),
    "mariadb": ((("MySQLdb",),), "mysqlclient"),
    "mariadb+pymysql": ((("pymysql",),), "pymysql"),
    "mssql": ((("pyodbc",),), "pyodbc"),
    "mssql+pyodbc": ((("pyodbc",),), "pyodbc"),
    "mssql+pymssql": ((("pymssql",),), "pymssql"),
    "oracle": ((("oracledb",), ("cx_Oracle",)), "oracledb"),
    "oracle+oracledb": ((("oracledb",),), "oracledb"),
    "oracle+cx_oracle": ((("cx_Oracle",),), "cx-oracle"),
    "snowflake": ((("snowflake.sqlalchemy",),), "snowflake-sqlalchemy"),
    "bigquery": ((("sqlalchemy_bigquery",),), "sqlalchemy-bigquery"),
    "redshift+psycopg2": ((("sqlalchemy_redshift", "psycopg2"),), "sqlalchemy-redshift"),
}
_ENGINE_FUNCTIONS = frozenset({"sqlalchemy.create_engine", "sqlalchemy.engine.create_engine",
                               "sqlalchemy.ext.asyncio.create_async_engine"})

# matplotlib backend (lower case) -> (module options, distribution).
_BACKENDS: dict[str, tuple[tuple[tuple[str, ...], ...], str]] = {
    "qt5agg": ((("PyQt5",), ("PySide2",)), "pyqt5"),
    "qt5cairo": ((("PyQt5",), ("PySide2",)), "pyqt5"),
    "qtagg": ((("PyQt6",), ("PySide6",), ("PyQt5",), ("PySide2",)), "pyqt6"),
    "qtcairo": ((("PyQt6",), ("PySide6",), ("PyQt5",), ("PySide2",)), "pyqt6"),
    "gtk3agg": ((("gi",),), "pygobject"),
    "gtk3cairo": ((("gi",),), "pygobject"),
    "gtk4agg": ((("gi",),), "pygobject"),
    "gtk4cairo": ((("gi",),), "pygobject"),
    "webagg": ((("tornado",),), "tornado"),
    "wxagg": ((("wx",),), "wxpython"),
    "wx": ((("wx",),), "wxpython"),
    "cairo": ((("cairo",), ("cairocffi",)), "pycairo"),
}
_BACKEND_FUNCTIONS = frozenset({"matplotlib.use", "matplotlib.pyplot.switch_backend"})

_SOCKS_URL = re.compile(r"^socks(?:4a?|5h?)?://", re.IGNORECASE)
_SOCKS_CLIENTS = {"requests": _need("requests", "SOCKS proxies", "pysocks", "socks"),
                  "httpx": _need("httpx", "SOCKS proxies", "socksio", "socksio")}


def call_needs(call: CallFact, scan: ModuleScan) -> list[OptionalNeed]:
    """What ``call`` needs beyond its library's required dependencies."""
    function, attribute = call.function, call.attribute
    if function in _ENGINE_FUNCTIONS:
        return _sql_needs(call, "sqlalchemy", "`create_engine`")
    if function in _BACKEND_FUNCTIONS:
        return _backend_needs(call)
    if not _is_pandas(call, scan):
        return []
    needs: list[OptionalNeed] = []
    if attribute in _PANDAS_FIXED:
        needs.append(_PANDAS_FIXED[attribute])
    elif attribute in _PANDAS_EXCEL_READ:
        needs.append(_excel_need(call, read=True))
    elif attribute in _PANDAS_EXCEL_WRITE:
        needs.append(_excel_need(call, read=False))
    elif attribute in _PANDAS_XML and dict(call.keywords).get("parser") != "etree":
        needs.append(_need("pandas", _PANDAS_XML[attribute], "lxml", "lxml"))
    elif attribute in _PANDAS_SQL:
        needs.extend(_sql_needs(call, "pandas", f"`{attribute}` with a database URL", with_sqlalchemy=True))
    if attribute.startswith(("read_", "to_")):
        needs.extend(_filesystem_needs(call))
    return needs


def url_needs(scan: ModuleScan) -> list[tuple[OptionalNeed, UrlLiteral]]:
    """``(need, url literal)`` for SOCKS proxy URLs in code that uses requests / httpx."""
    found: list[tuple[OptionalNeed, UrlLiteral]] = []
    for url in scan.urls:
        if _SOCKS_URL.match(url.value):
            found.extend((need, url) for owner, need in _SOCKS_CLIENTS.items() if scan.imports_module(owner))
    return found


def _is_pandas(call: CallFact, scan: ModuleScan) -> bool:
    if call.attribute not in PANDAS_NAMES:
        return False
    if call.resolved:  # pd.read_excel, pandas.DataFrame.to_excel, from pandas import read_excel
        return call.function.split(".")[0] == "pandas"
    # df.to_excel(...), pd.DataFrame(x).to_markdown(), or a name of by-value pickled code:
    # a pandas method when the code works with pandas at all.
    return scan.imports_module("pandas")


def _excel_need(call: CallFact, *, read: bool) -> OptionalNeed:
    engine = dict(call.keywords).get("engine")
    module = _EXCEL_ENGINES.get(engine or "")
    if module is None:
        suffixes = {s.rsplit(".", 1)[-1].lower() for s in call.strings if "." in s}
        by_suffix = [_EXCEL_BY_SUFFIX[f".{suffix}"] for suffix in sorted(suffixes) if f".{suffix}" in _EXCEL_BY_SUFFIX]
        module = by_suffix[0] if by_suffix else None
    if module is not None:
        return _need("pandas", f"{'reading' if read else 'writing'} Excel files", _DISTRIBUTION_OF[module], module)
    if read:
        return _need("pandas", "reading Excel files", "openpyxl", *_EXCEL_READERS)
    return _need("pandas", "writing Excel files", "openpyxl", "openpyxl", "xlsxwriter", "odf")


def _database_url(call: CallFact) -> str | None:
    for value in (*call.strings, *(value for _, value in call.keywords)):
        if "://" in value:
            return value
    return None


def _sql_needs(call: CallFact, owner: str, feature: str, *, with_sqlalchemy: bool = False) -> list[OptionalNeed]:
    url = _database_url(call)
    if url is None:
        return []
    needs = [_need(owner, feature, "sqlalchemy", "sqlalchemy")] if with_sqlalchemy else []
    scheme = url.split("://", 1)[0].lower()
    driver = _SQL_DRIVERS.get(scheme)
    if driver is not None:
        options, distribution = driver
        needs.append(OptionalNeed(owner, f"the `{scheme}` database driver", options, distribution))
    return needs


def _filesystem_needs(call: CallFact) -> list[OptionalNeed]:
    needs = []
    for value in call.strings:
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme in _FILESYSTEMS:
            module, distribution = _FILESYSTEMS[scheme]
            needs.append(_need("pandas", f"`{scheme}://` paths", distribution, module))
    return needs


def _backend_needs(call: CallFact) -> list[OptionalNeed]:
    backend = (call.strings[0] if call.strings else dict(call.keywords).get("backend", "")).lower()
    if backend not in _BACKENDS:
        return []
    options, distribution = _BACKENDS[backend]
    return [OptionalNeed("matplotlib", f"the `{backend}` backend", options, distribution)]
