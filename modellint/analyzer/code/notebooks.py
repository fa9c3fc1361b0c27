"""Training notebooks (``.ipynb``) read as Python: their code cells in order, with where each line is.

A notebook is JSON (nbformat 4): a list of cells, each markdown, raw or code. Its code cells run
top to bottom in one interpreter, so modellint reads them as one script: the code cells joined
in order. Line ``n`` of that script is a line of one cell; :meth:`NotebookCode.locate` says which,
so a finding can name the cell and line a user sees in Jupyter.

IPython syntax is not Python: ``%matplotlib inline``, ``!pip install x``, ``files = !ls``,
``model?`` and cell magics (``%%bash``). A cell that parses as it is keeps every line (a ``%``
may start a line inside a bracket or a string); one that does not has each such line replaced by
``pass`` at its indentation, so line numbers stay those of the cell. A cell magic whose body is
not Python (``%%bash``, ``%%writefile``) contributes blank lines.

The file is hostile input like any other: read through :func:`~modellint.analyzer.files.read_text`
(bounded size, regular files only), JSON nesting and cell counts bounded, and anything that is not
a notebook modellint can read is an :class:`~modellint.analyzer.project.log_calls.Unreadable`
with the reason, never an exception.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from modellint.record import Record

NOTEBOOK_SUFFIX = ".ipynb"
MAX_CELLS = 20_000  # far beyond any real notebook; each cell costs a parse
# Cell magics whose body is Python that runs (timed, captured or profiled).
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
# `%magic`, `!cmd`, `?name`, `name = !cmd`, `name = %magic`, `name?`, `name??`.
_IPYTHON_LINE = re.compile(r"^(\s*)(?:[%!?]|[\w.]+\s*=\s*[%!]|[\w.\[\]()]+\?{1,2}\s*$)")


class NotebookError(ValueError):
    """Why a file named ``.ipynb`` is not a notebook modellint can read."""


class NotebookCode(Record):
    """The code cells of one notebook as one script, and which cell each of its lines comes from.

    ``cells`` holds, for each code cell, ``(cell number, first script line, line count)``; cell
    numbers count every cell from 1 (markdown and raw cells too), as a notebook shows them.
    """

    __slots__ = ("path", "text", "cells")

    def __init__(self, path: Path, text: str, cells: tuple[tuple[int, int, int], ...]) -> None:
        self.path = path
        self.text = text
        self.cells = cells

    def locate(self, line: int) -> tuple[int, int] | None:
        """``(cell number, line in that cell)`` of script line ``line``; None outside every cell."""
        for number, first, count in self.cells:
            if first <= line < first + count:
                return number, line - first + 1
        return None


def is_notebook(path: Path | str) -> bool:
    return str(path).endswith(NOTEBOOK_SUFFIX)


def read_notebook(path: Path, root: Path | None = None) -> NotebookCode:
    """The notebook at ``path`` as a script; raises :class:`NotebookError` saying why it cannot be.
    With ``root``, a notebook resolving outside it is refused unread (as every confined read)."""
    from modellint.analyzer.files import read_text

    text, problem = read_text(path, root)
    if problem is not None:
        raise NotebookError(problem.message)
    if text is None:
        raise NotebookError(f"`{path.name}` does not exist")
    return notebook_code(path, text)


def notebook_code(path: Path, text: str) -> NotebookCode:
    """The code cells of notebook JSON ``text`` joined in order (see the module's doc)."""
    if not text.strip():
        raise NotebookError(f"`{path.name}` is empty: not a notebook")
    try:
        document = json.loads(text)
    except RecursionError:
        raise NotebookError(f"`{path.name}` nests JSON too deeply to be a notebook") from None
    except ValueError as error:  # JSONDecodeError, and numbers too long to convert
        raise NotebookError(f"`{path.name}` is not valid JSON: {error}") from None
    cells = _cells(path, document)
    if not _python_kernel(document):
        return NotebookCode(path, "", ())  # an R or Scala notebook: its `mlflow_log_model` is not ours
    lines: list[str] = []
    placed: list[tuple[int, int, int]] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"`{path.name}`: cell {number} is not a JSON object")
        if cell.get("cell_type") != "code":
            continue
        cell_lines = _python_lines(_split(_source(path, number, cell.get("source", ""))))
        placed.append((number, len(lines) + 1, len(cell_lines)))
        lines.extend(cell_lines)
    return NotebookCode(path, "".join(f"{line}\n" for line in lines), tuple(placed))


def _cells(path: Path, document: object) -> list:
    if not isinstance(document, dict):
        raise NotebookError(f"`{path.name}` is not a notebook: its JSON is not an object")
    major = document.get("nbformat")
    if "worksheets" in document or (isinstance(major, int) and not isinstance(major, bool) and major < 4):
        raise NotebookError(f"`{path.name}` is an nbformat {major} notebook: only nbformat 4 is read "
                            "(`jupyter nbconvert --to notebook` upgrades it)")
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(f"`{path.name}` is not a notebook: it has no `cells` list")
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"`{path.name}` has {len(cells)} cells, more than the {MAX_CELLS} modellint reads")
    return cells


def _python_kernel(document: dict) -> bool:
    """Whether the notebook's kernel runs Python: what its metadata says, Python when it says nothing."""
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    kernel, language = metadata.get("kernelspec"), metadata.get("language_info")
    names = [kernel.get("language") if isinstance(kernel, dict) else None,
             language.get("name") if isinstance(language, dict) else None]
    return all(not isinstance(name, str) or name.strip().lower() in ("", "python", "python3") for name in names)


def _source(path: Path, number: int, source: object) -> str:
    """A cell's ``source``: a string, or a list of strings (nbformat stores either)."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    raise NotebookError(f"`{path.name}`: cell {number} has a `source` that is not text")


def _split(source: str) -> list[str]:
    """The lines of ``source`` as Python's tokenizer counts them (``str.splitlines`` also splits
    at form feeds and U+2028, which may sit inside a string literal)."""
    lines = re.split(r"\r\n|\r|\n", source)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _python_lines(lines: list[str]) -> list[str]:
    """The cell's lines as Python, as many as the cell has (see the module's doc)."""
    head = 0  # lines taken by leading cell magics whose body is Python (`%%time`, `%%capture`)
    while True:
        start = next((index for index in range(head, len(lines)) if lines[index].strip()), None)
        if start is None or not lines[start].lstrip().startswith("%%"):
            break
        words = lines[start].strip()[2:].split()
        if not words or words[0] not in _PYTHON_CELL_MAGICS:
            return [""] * len(lines)
        head = start + 1
    body = lines[head:]
    if not _parses("\n".join(body)) and any(_IPYTHON_LINE.match(line) for line in body):
        body = [f"{match.group(1)}pass" if (match := _IPYTHON_LINE.match(line)) else line for line in body]
    return [""] * head + body


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
