"""The stored serving payload (`serving_input_example.json`) as a deployment target sees it: its
size on disk and the request format it is written in, read whether or not the model has a signature.

The signature checks (:mod:`modellint.analyzer.signatures`) read the same file only when there is a
valid signature to check it against; a target's rules ask about it either way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modellint.analyzer.files import escape, open_regular
from modellint.record import Record


class ServingExample(Record):
    """The serving payload MLmodel names: where, how big, in which request format."""

    __slots__ = ("path", "size", "form", "line", "mlmodel_key")

    def __init__(self, path: Path, size: int | None, form: str | None, line: int, mlmodel_key: tuple[str, ...]) -> None:
        self.path = path
        self.size = size  # bytes on disk; None when it could not be opened (ML003/ML006/ML110 say why)
        # `dataframe_split`, `dataframe_records`, `instances`, `inputs`, `llm` (chat and completion
        # payloads), or None when the file is not one readable payload (ML401 says why).
        self.form = form
        self.line = line  # of the format's key in the file
        self.mlmodel_key = mlmodel_key  # the MLmodel key naming the file


def read_serving_example(root: Path, mlmodel: Mapping[str, Any]) -> ServingExample | None:
    """The serving payload the model stores, or None when MLmodel names none."""
    info = mlmodel.get("saved_input_example_info")
    if not isinstance(info, Mapping) or info.get("serving_input_path") is None:
        return None
    relative = str(info["serving_input_path"])
    path = root / relative
    key = ("saved_input_example_info", "serving_input_path")
    if escape(root, relative):
        return ServingExample(path, None, None, 1, key)
    try:
        with open_regular(path, root) as handle:
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return ServingExample(path, None, None, 1, key)
    from modellint.analyzer.signatures.input_examples import read_serving_payload

    try:
        payload = read_serving_payload(root, info)
    except RecursionError:  # nested deeper than json.loads goes: ML401 reports it unchecked
        payload = None
    if payload is None:
        return ServingExample(path, size, None, 1, key)
    return ServingExample(path, size, payload.form, payload.positions.line(payload.data_at), key)
