"""Hostile training notebooks: JSON that is not a notebook, bombs of size, depth, cells and magics,
and a notebook linked from outside the project. Each is said in a finding at the notebook (never
a traceback, never "All checks passed!"), in bounded time and memory, and nothing outside is read.

A notebook modellint cannot read is reported like a training script that does not parse: ML201
at info ("cannot check the model this file may save"), the training run itself fails on it first.
The runs use ``--fail-on info`` so that such a finding fails the run.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.hostile.harness import Sandbox, assert_promises, run_cli

SECONDS = 30.0
_CALL = "import mlflow\nmlflow.sklearn.log_model(clf, name='m', input_example=X)\n"


def _notebook(*sources: str, **top: object) -> str:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
             for source in sources]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells, **top})


def _check(sandbox: Sandbox, files: dict[str, str | bytes], *, memory: int | None = None):
    sandbox.write(files)
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise", "--fail-on", "info"], sandbox, timeout=120)
    assert_promises(run, sandbox, before, seconds=SECONDS, **({"memory": memory} if memory else {}))
    return run


@pytest.mark.parametrize(("text", "reason"), [
    ('{"cells": [ log_model', "is not valid JSON"),
    ('["log_model"]', "its JSON is not an object"),
    ('{"nbformat": 4, "log_model": 1}', "has no `cells` list"),
    ('{"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": [{"input": "log_model"}]}]}',
     "is an nbformat 3 notebook"),
    ('{"nbformat": 4, "cells": ["log_model"]}', "cell 1 is not a JSON object"),
    ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": {"log_model": 1}}]}',
     "cell 1 has a `source` that is not text"),
    ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": "log_model(\\n"}]}', "is not valid Python"),
    ("\ufeff" + '{"cells": [log_model]}', "is not valid JSON"),
])
def test_a_notebook_that_cannot_be_read_says_why(tmp_path, text, reason):
    run = _check(Sandbox(tmp_path), {"train.ipynb": text})
    assert run.returncode == 1 and "train.ipynb:" in run.stdout and reason in run.stdout, run
    assert "ML201 [info] cannot check the model this file may save" in run.stdout, run


def test_json_nested_a_million_deep_is_refused(tmp_path):
    run = _check(Sandbox(tmp_path), {"train.ipynb": '{"log_model": ' + "[" * 1_000_000 + "]" * 1_000_000 + "}"})
    assert "nests JSON too deeply" in run.stdout, run


def test_bytes_that_are_not_utf8_are_refused(tmp_path):
    run = _check(Sandbox(tmp_path), {"train.ipynb": b'{"cells": [], "x": "log_model \xff\xfe"}'})
    assert "is not UTF-8 text" in run.stdout, run


def test_a_notebook_over_the_size_budget_is_said_too_large_not_read(tmp_path):
    # Outputs (plots as base64) make notebooks big: the marker is found past the first MiB, unread.
    padding = "A" * (17 * 2**20)
    text = _notebook(_CALL)[:-1] + f', "outputs_blob": "{padding}", "log_model": 1}}'
    run = _check(Sandbox(tmp_path), {"train.ipynb": text}, memory=256 * 2**20)
    assert "is larger than 16 MiB" in run.stdout, run


def test_a_notebook_of_too_many_cells_is_refused(tmp_path):
    text = json.dumps({"nbformat": 4, "cells": [{"cell_type": "markdown", "source": "log_model"}] * 20_001})
    run = _check(Sandbox(tmp_path), {"train.ipynb": text})
    assert "20001 cells, more than the 20000 modellint reads" in run.stdout, run


def test_a_cell_of_a_hundred_thousand_cell_magics_is_bounded(tmp_path):
    # `%%time` cells nest (their body may start with another): read in a loop, not by recursion.
    run = _check(Sandbox(tmp_path), {"train.ipynb": _notebook("%%time\n" * 100_000 + _CALL + "log_model(\n")})
    assert "is not valid Python" in run.stdout and "cell 1, line 100003" in run.stdout, run


def test_deeply_nested_code_in_a_cell_is_a_finding(tmp_path):
    run = _check(Sandbox(tmp_path), {"train.ipynb": _notebook(_CALL + "x = " + "(" * 100_000 + ")" * 100_000 + "\n")})
    assert "cannot check the model this file may save" in run.stdout, run


def test_many_magic_lines_in_a_cell_that_does_not_parse_are_linear(tmp_path):
    run = _check(Sandbox(tmp_path), {"train.ipynb": _notebook("!echo\n" * 200_000 + _CALL + "log_model(\n")})
    assert "is not valid Python" in run.stdout and "cell 1, line 200003" in run.stdout, run


def test_a_notebook_linked_from_outside_the_project_is_not_read(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"secret.ipynb": _notebook("import mlflow\nTOP_SECRET_OUTSIDE_VALUE = 1\n"
                                             "mlflow.sklearn.log_model(clf, name='TOP-SECRET-OUTSIDE-VALUE')\n")},
                  under="outside")
    sandbox.write({"train.py": _CALL})
    os.symlink(sandbox.outside / "secret.ipynb", sandbox.target / "linked.ipynb")
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "json"], sandbox)
    assert_promises(run, sandbox, before, seconds=SECONDS, clean_allowed=True)
    assert "linked.ipynb" not in run.stdout and "TOP_SECRET" not in run.stdout, run
