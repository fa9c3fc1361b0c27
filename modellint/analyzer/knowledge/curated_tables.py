"""The small hand-curated tables beside the knowledge base (install routes, stdlib backports,
platform-only packages): tab-separated rows, each ending in the source that justifies it."""

from __future__ import annotations

from collections.abc import Iterator


def table_rows(text: str, file_name: str, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of every row of a curated table; blank lines and lines starting
    with ``#`` are skipped. A row without exactly ``columns``, each non-empty, is a broken table
    shipped with modellint: it raises rather than dropping an entry silently."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != len(columns) or not all(field.strip() for field in fields):
            raise ValueError(f"{file_name}:{number}: expected {len(columns)} tab-separated fields "
                             f"({', '.join(columns)})")
        yield number, fields
