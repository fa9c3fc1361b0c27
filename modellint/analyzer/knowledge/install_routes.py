"""Where a module comes from when no PyPI distribution provides it.

Some imports name code that PyPI does not serve: a hosted notebook runtime injects it
(``google.colab``, ``kaggle_secrets``), or its project publishes it from a repository or a wheels
index of its own (``detectron2``, ``pyg_lib``), sometimes while an unrelated project holds the
name on PyPI (``apex``). For those ML201 names the real route instead of the first-party advice;
for every other module the knowledge base does not know, no name is proposed at all.

The table is data (``install_routes.tsv`` beside this file, one line per module with the route
and the page that documents it), read on the first lookup: only a finding that needs a route
pays for it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modellint.analyzer.knowledge.curated_tables import table_rows
from modellint.record import Record

DATA_FILE = Path(__file__).with_name("install_routes.tsv")


class InstallRoute(Record):
    """``module`` (dotted) is installed by ``route`` (finishes "`module` ..."), as ``source`` documents."""

    __slots__ = ("module", "route", "source")

    def __init__(self, module: str, route: str, source: str) -> None:
        self.module = module
        self.route = route
        self.source = source


def parse_routes(text: str) -> dict[str, InstallRoute]:
    """``module<TAB>route<TAB>source`` lines (``#`` starts a comment line) -> module -> route."""
    routes: dict[str, InstallRoute] = {}
    for _, (module, route, source) in table_rows(text, DATA_FILE.name, ("module", "route", "source")):
        routes[module] = InstallRoute(module, route, source)
    return routes


@lru_cache(maxsize=1)
def install_routes() -> dict[str, InstallRoute]:
    """Every recorded route, by module."""
    return parse_routes(DATA_FILE.read_text(encoding="utf-8"))


def install_route(module: str) -> InstallRoute | None:
    """The route of ``module`` or of the package it is in (``google.colab.drive`` -> ``google.colab``)."""
    routes = install_routes()
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        route = routes.get(".".join(parts[:depth]))
        if route is not None:
            return route
    return None
