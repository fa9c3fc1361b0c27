"""`modellint request`: write a sample scoring request for a deployment target from a model dir.

What users otherwise learn from a failed call: which keys the target wants, in which orientation,
with which column names and types. The request is built and checked by
:mod:`modellint.analyzer.deployment.requests`; nothing here reads the model's files itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from modellint.reports import printable


class RequestError(Exception):
    """No request can be written for this model and target: a usage error (exit 2)."""


def request_text(path: Path, target: str) -> tuple[str, tuple[str, ...]]:
    """The request's JSON text and the notes to show beside it; raises :class:`RequestError`."""
    from modellint.analyzer.deployment.requests import sample_request
    from modellint.analyzer.files import is_dir
    from modellint.analyzer.model_dir import ModelDir

    if not is_dir(path):
        raise RequestError(f"{path}: not a model directory")
    model = ModelDir(path)
    if model.mlmodel is None:
        raise RequestError(f"{path}: no readable MLmodel (run `modellint check` on it)")
    facts = model.signature
    request = sample_request(facts.signature, facts.example, target)
    if request.body is None:
        raise RequestError(f"{path}: no request for {target}: {request.problem}")
    notes = (f"built from the {request.origin}", *request.notes)
    return json.dumps(request.body, indent=2, ensure_ascii=False) + "\n", notes


def write_request(path: Path, target: str, output_file: Path | None) -> None:
    text, notes = request_text(path, target)
    for note in notes:
        print(f"modellint: {printable(note)}", file=sys.stderr)
    if output_file is None:
        sys.stdout.write(text)
        return
    output_file.parent.mkdir(parents=True, exist_ok=True)
    output_file.write_text(text, encoding="utf-8")
