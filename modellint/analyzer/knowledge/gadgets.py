"""The gadget knowledge: every callable of the ML libraries whose call graph reaches a command, code,
nested-deserializer, file-write or network sink, read from their source by ``scripts/build_gadgets.py``
into ``gadgets.dat``, one block per module (the :class:`BlockFile` layout).

A pickle naming ``transformers.models.bert.modeling_bert.BertModel`` inflates that module's block
only, never the 50,000 rows of the whole library. A gadget is of one of two kinds:

* calling it is the danger (``sklearn.datasets.clear_data_home`` removes a folder): ``feeds`` is None;
* it loads what its own arguments hold with an in-memory deserializer (``keras.layers.Dense``: its
  ``activation`` may be a Keras config whose ``__lambda__`` is marshalled bytecode): ``feeds`` names
  where a call puts those arguments (``"0"``, ``"1"``: positions, the instance not counted; ``"*"``: a
  keyword-only parameter; ``"*args"``, ``"**kwargs"``; ``"?"``: not known), and the pickle scanner
  judges what the pickle passes there.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modellint.analyzer.knowledge.block_file import BlockFile

DATA_FILE = Path(__file__).with_name("gadgets.dat")
FORMAT = 1


class Gadget:
    """One callable's row: its sink kind, the chain that reaches it, and where it is fed (see the module)."""

    __slots__ = ("kind", "chain", "feeds")

    def __init__(self, kind: str, chain: str, feeds: tuple[str, ...] | None) -> None:
        self.kind = kind
        self.chain = chain
        self.feeds = feeds


class GadgetData(BlockFile["dict[str, Gadget]"]):
    def __init__(self, path: Path = DATA_FILE) -> None:
        super().__init__(path, FORMAT, {})

    def _parse(self, name: str, text: str) -> dict[str, Gadget]:
        rows: dict[str, Gadget] = {}
        for line in text.split("\n"):
            qualname, kind, chain, feeds = line.split("\t")
            rows[qualname] = Gadget(kind, chain, tuple(feeds.split(",")) if feeds else None)
        return rows

    @property
    def packages(self) -> dict[str, str]:
        """Top-level package -> the version read."""
        return dict(self.header["packages"])


@lru_cache(maxsize=1)
def data() -> GadgetData:
    return GadgetData()


@lru_cache(maxsize=1)
def packages() -> frozenset[str]:
    """The top-level packages the data covers."""
    return frozenset(data().packages)


@lru_cache(maxsize=1)
def fed_packages() -> frozenset[str]:
    """The top-level packages with gadgets fed by their arguments."""
    return frozenset(data().header["fed_packages"])


def lookup(module: str, name: str) -> tuple[str, Gadget] | None:
    """(the qualname found, its row) for ``module.name``, or for the nearest owner of a dotted name
    (``DataFrame.to_pickle.__call__`` keeps ``DataFrame.to_pickle``'s); None when the data has none. A module name from a pickle is only
    looked up in the index, never made a path."""
    if module.partition(".")[0] not in packages() or not module.replace(".", "_").isidentifier():
        return None  # also a tab or a newline, which would read across the index's columns
    table = data()
    if module not in table:  # the index answers unknown names without caching a block for each
        return None
    rows = table.get(module)
    segments = name.split(".")
    for length in range(len(segments), 0, -1):
        qualname = ".".join(segments[:length])
        found = rows.get(qualname)
        if found is not None:
            return qualname, found
    return None
