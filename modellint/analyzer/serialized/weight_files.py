"""Weight files that hold no pickle, read by their own bounded readers: safetensors (a header whose
offsets must tile the data) and GGUF (chat templates a runtime renders). Each gives a
:class:`~modellint.analyzer.serialized.pickles.ScanResult` like a pickle's, so the rules judge them
unchanged: what cannot be proven is a problem (ML303), a template reaching Python internals a hazard
(ML302)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from modellint.analyzer.serialized.gguf import GGUF_MAGIC
from modellint.analyzer.serialized.pickles.results import Hazard, Problem, ScanResult
from modellint.analyzer.serialized.safetensors import looks_like_safetensors

WEIGHT_KINDS = ("safetensors", "gguf")


def sniff_weights(head: bytes) -> str | None:
    """``"gguf"`` or ``"safetensors"`` for a file starting with ``head``, else None."""
    if head.startswith(GGUF_MAGIC):
        return "gguf"
    if looks_like_safetensors(head):
        return "safetensors"
    return None


def scan_weight_file(path: Path, kind: str, root: Path | None = None) -> ScanResult:
    """Read the weight file ``path`` of ``kind`` (one of :data:`WEIGHT_KINDS`); never raises on bad input."""
    from modellint.analyzer.files import open_regular

    problems: list[Problem] = []
    hazards: list[Hazard] = []
    try:
        with open_regular(path, root, buffering=2**16) as handle:
            size = os.fstat(handle.fileno()).st_size
            if kind == "safetensors":
                problems = _safetensors_problems(handle, size)
            else:
                problems, hazards = _gguf_findings(handle, size)
    except OSError as error:
        problems = [Problem(f"cannot read file: {error.strerror or error}", None, None)]
    return ScanResult(path, kind, (), (), (), (), (), tuple(problems), hazards=tuple(hazards))


def _safetensors_problems(handle: IO[bytes], size: int) -> list[Problem]:
    from modellint.analyzer.serialized.safetensors import read_safetensors

    return [Problem(f"safetensors {reason}", offset, None) for reason, offset in read_safetensors(handle, size)]


def _gguf_findings(handle: IO[bytes], size: int) -> tuple[list[Problem], list[Hazard]]:
    from modellint.analyzer.serialized.chat_template import judge_template
    from modellint.analyzer.serialized.gguf import GgufError, read_gguf

    try:
        templates = read_gguf(handle, size)
    except GgufError as error:
        return [Problem(f"GGUF header: {error.reason}", error.offset, None)], []
    problems: list[Problem] = []
    hazards: list[Hazard] = []
    for template in templates:
        for spot in judge_template(template.text):
            offset = template.offset + spot.offset
            if spot.reach:
                via = f" ({spot.via})" if spot.via else ""
                hazards.append(Hazard(
                    "template-code",
                    f"chat template `{template.key}` accesses {spot.detail} at byte {offset} in `{spot.expression}`, "
                    f"reaching Python internals{via} when rendered outside Jinja's sandbox (as llama-cpp-python did "
                    "before 0.2.72, CVE-2024-34359)", offset, None))
            else:
                problems.append(Problem(f"chat template `{template.key}` has {spot.detail} in `{spot.expression}`: "
                                        "what it reaches cannot be proven", offset, None))
    return problems, hazards
