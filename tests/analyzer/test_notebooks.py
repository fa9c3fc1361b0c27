"""Training notebooks read as their code cells: order, cell positions, IPython syntax."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellint.analyzer.code.notebooks import NotebookError, notebook_code
from modellint.analyzer.project.log_calls import SourceFile, Unreadable, read_source

NOTEBOOK = Path("train.ipynb")


def notebook(*cells: tuple[str, str | list[str]], **top: object) -> str:
    """Notebook JSON with ``cells`` as ``(cell_type, source)``."""
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": kind, "metadata": {}, "source": source,
                           **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                          for kind, source in cells]}
    document.update(top)
    return json.dumps(document, indent=1)


def test_code_cells_are_joined_in_order_and_other_cells_skipped():
    code = notebook_code(NOTEBOOK, notebook(
        ("markdown", "# Training\nimport nothing\n"),
        ("code", ["import mlflow\n", "x = 1\n"]),
        ("raw", "import raw_cell_text"),
        ("code", "y = 2"),
    ))
    assert code.text == "import mlflow\nx = 1\ny = 2\n"
    assert code.cells == ((2, 1, 2), (4, 3, 1))  # cell numbers count every cell, as the notebook shows them
    assert code.locate(2) == (2, 2)
    assert code.locate(3) == (4, 1)
    assert code.locate(4) is None


def test_line_magics_shell_lines_and_help_become_pass_keeping_line_numbers():
    code = notebook_code(NOTEBOOK, notebook(("code", [
        "%matplotlib inline\n", "!pip install scikit-learn\n", "files = !ls\n", "len?\n",
        "if True:\n", "    %time x = 1\n", "import mlflow\n"])))
    assert code.text.splitlines() == ["pass", "pass", "pass", "pass", "if True:", "    pass", "import mlflow"]
    SourceFile(NOTEBOOK, code.text)  # parses


def test_a_cell_that_parses_is_kept_as_written():
    source = "total = (1\n% 2)\ntext = '''\n!not a shell line\n'''\n"
    assert notebook_code(NOTEBOOK, notebook(("code", source))).text == source


@pytest.mark.parametrize(("magic", "kept"), [("%%bash", False), ("%%writefile helper.py", False),
                                              ("%%time", True), ("%%capture out", True)])
def test_cell_magics_keep_their_body_only_when_it_is_python(magic, kept):
    code = notebook_code(NOTEBOOK, notebook(("code", f"{magic}\nimport mlflow\n"), ("code", "z = 3\n")))
    body = "import mlflow" if kept else ""
    assert code.text.splitlines() == ["", body, "z = 3"]
    assert code.locate(3) == (2, 1)


def test_line_ends_are_those_python_counts():
    # A form feed or U+2028 inside a string is not a line end for Python: the line stays one.
    code = notebook_code(NOTEBOOK, notebook(("code", "a = 'x\u2028y'\r\nb = 1\rc = 2\n")))
    assert code.text == "a = 'x\u2028y'\nb = 1\nc = 2\n"


@pytest.mark.parametrize(("text", "reason"), [
    ("{", "is not valid JSON"),
    (" \n", "is empty"),
    ("[]", "its JSON is not an object"),
    ('{"nbformat": 4}', "has no `cells` list"),
    ('{"nbformat": 3, "worksheets": []}', "nbformat 3 notebook"),
    ('{"nbformat": 4, "cells": [1]}', "cell 1 is not a JSON object"),
    ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": [1]}]}', "cell 1 has a `source` that is not text"),
    ("[" * 100_000 + "]" * 100_000, "nests JSON too deeply"),
])
def test_what_is_not_a_notebook_says_why(text, reason):
    with pytest.raises(NotebookError, match=reason.replace("`", ".").replace("(", ".")):
        notebook_code(NOTEBOOK, text)


@pytest.mark.parametrize(("metadata", "read"), [
    ({"kernelspec": {"name": "ir", "language": "R"}}, False),
    ({"language_info": {"name": "scala"}}, False),
    ({"kernelspec": {"name": "python3", "language": "python"}, "language_info": {"name": "python"}}, True),
    ({"kernelspec": "odd"}, True),  # says nothing readable: Python, as Jupyter's default kernel
])
def test_a_notebook_of_another_language_has_no_python(metadata, read):
    code = notebook_code(NOTEBOOK, notebook(("code", "mlflow_log_model(model, 'm')\n"), metadata=metadata))
    assert bool(code.text) is read


def test_a_notebook_that_is_not_python_is_unreadable_at_its_cell(tmp_path):
    path = tmp_path / "train.ipynb"
    path.write_text(notebook(("markdown", "x"), ("code", "import mlflow\n"), ("code", "def broken(:\n")))
    source = read_source(path)
    assert isinstance(source, Unreadable)
    assert "cell 3, line 1" in source.message and source.span.line == 2


def test_the_calls_of_a_notebook_are_found_on_script_lines(tmp_path):
    path = tmp_path / "train.ipynb"
    path.write_text(notebook(("code", "!pip install mlflow\nimport mlflow\n"), ("markdown", "Log it"),
                             ("code", "mlflow.sklearn.log_model(clf, name='model')\n")))
    source = read_source(path)
    assert isinstance(source, SourceFile) and source.notebook is not None
    [call] = source.mlflow_calls()
    assert (call.flavor, call.span.line) == ("sklearn", 3)
    assert source.notebook.locate(call.span.line) == (3, 1)
