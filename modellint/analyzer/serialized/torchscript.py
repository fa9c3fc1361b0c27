"""TorchScript archives (``torch.jit.save``): a zip whose ``code/`` holds the TorchScript source that
``torch.jit.load`` compiles, beside the ``data.pkl``/``constants.pkl`` pickles the zip scan reads.

What the archive needs beyond torch: TorchScript source calls operators as ``ops.<namespace>.<op>``
(``torch.<op>`` for aten's). An operator outside the namespaces libtorch registers by itself exists
only once a library has registered it (``import torchvision`` for ``torchvision::nms``,
``torch.ops.load_library`` for a compiled extension); ``torch.jit.load`` fails with "Unknown builtin
op" otherwise, and MLflow's pytorch loader imports nothing but torch. Those namespaces become
``custom-ops`` hazards.

The classes the pickles name under ``__torch__`` are the archive's own TorchScript classes, compiled
from ``code/`` and resolved by TorchScript's type resolver, never imported: they are no dependency,
and this module drops them from what the load imports.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from modellint.analyzer.serialized.pickles.results import Facts, Hazard, Unscannable

if TYPE_CHECKING:
    import ast
    import zipfile

    from modellint.analyzer.serialized.pickles.streams import ByteStream

# Operator namespaces ``import torch`` registers (torch 2.13.0 CPU: the namespaces of
# ``torch._C._jit_get_all_schemas()`` right after the import).
TORCH_NAMESPACES = frozenset({
    "_c10d_functional", "_c10d_functional_autograd", "_dtensor", "_native", "_quantized", "_test", "aten", "c10d",
    "debug_mode_ops", "debugprims", "export", "inductor", "inductor_prims", "mkl", "mkldnn", "mkldnn_prepacked",
    "onednn", "onnx", "prim", "prims", "profiler", "quantization", "quantized", "rngprims", "sparse",
    "static_runtime", "symm_mem",
})

# The TorchScript printer writes a non-aten operator call as ``ops.<namespace>.<name>(``.
_OP_CALL = re.compile(rb"(?<![\w.])(?:torch\.)?ops\.([A-Za-z_]\w*)\.([A-Za-z_]\w*)")
MAX_CODE_BYTES = 64 * 2**20  # TorchScript source read from one archive (a traced LLM is a few MB)


def is_compiled_class(module: str) -> bool:
    """Whether a pickle global's module is TorchScript's class namespace (``__torch__.*``)."""
    return module == "__torch__" or module.startswith("__torch__.")


def scan_torchscript_code(handle: ByteStream, facts: Facts) -> None:
    """Record the operator namespaces the archive's ``code/`` calls that torch does not register, and
    drop the ``__torch__`` classes from the imports and calls the zip scan recorded."""
    from modellint.analyzer.serialized.pickles.sniffing import open_zip

    facts.globals = [ref for ref in facts.globals if not is_compiled_class(ref.module)]
    facts.calls = [site for site in facts.calls if not is_compiled_class(site.callable.module)]
    try:
        archive = open_zip(handle)
    except Unscannable as error:
        facts.problem(error.reason, None, None)
        return
    custom: dict[str, dict[str, str]] = {}  # namespace -> op -> member
    read = 0
    for info in archive.infolist():
        path = PurePosixPath(info.filename)
        if path.suffix != ".py" or path.parts[1:2] != ("code",):
            continue
        read += info.file_size
        if read > MAX_CODE_BYTES:
            facts.problem(f"TorchScript code over {MAX_CODE_BYTES:,} bytes: the rest is not read", None,
                          info.filename)
            break
        source = _member_bytes(handle, info, facts)
        if source is None:
            continue
        for namespace, op in _operator_calls(source, info.filename, facts):
            if namespace not in TORCH_NAMESPACES:
                custom.setdefault(namespace, {}).setdefault(op, info.filename)
    for namespace, ops in custom.items():
        shown = ", ".join(f"`{op}`" for op in sorted(ops)[:5]) + (", ..." if len(ops) > 5 else "")
        facts.hazards.append(Hazard(
            "custom-ops",
            f"calls TorchScript operators `torch.ops.{namespace}` ({shown}), which torch does not register: "
            f"`torch.jit.load` fails unless the library defining them (a package imported first, or "
            "`torch.ops.load_library`) is loaded before, and MLflow's loader imports only torch",
            None, next(iter(ops.values()))))


def _member_bytes(handle: ByteStream, info: zipfile.ZipInfo, facts: Facts) -> bytes | None:
    import zlib

    from modellint.analyzer.serialized.pickles.sniffing import member_stream

    try:
        with member_stream(handle, info) as stream:
            data = stream.read(info.file_size + 1)
    except (OSError, EOFError, zlib.error, Unscannable) as error:
        facts.problem(f"unreadable TorchScript source: {error}", None, info.filename)
        return None
    facts.spend_decompressed(len(data))
    if len(data) != info.file_size:
        facts.problem("TorchScript source whose size differs from the zip directory's", None, info.filename)
        return None
    return data


def _operator_calls(source: bytes, member: str, facts: Facts) -> list[tuple[str, str]]:
    """``(namespace, op)`` of every ``ops.<namespace>.<op>`` call. A file small enough for a syntax tree
    (the code reader's :data:`~modellint.analyzer.code.source_imports.MAX_SOURCE_BYTES`) is parsed with
    ``ast`` and its calls read from the tree; the code reader itself visits only files that import
    something, and TorchScript source imports nothing. A longer file (a traced graph of a large model)
    is read as text, where the printer's fixed ``ops.<namespace>.<op>(`` form makes a pattern exact."""
    import ast

    from modellint.analyzer.code.source_imports import MAX_SOURCE_BYTES

    if len(source) > MAX_SOURCE_BYTES:
        return [(match[1].decode(), match[2].decode()) for match in _OP_CALL.finditer(source)]
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
        facts.problem(f"TorchScript source does not parse: {error}", None, member)
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            chain = _dotted(node.func)
            if chain and chain[0] == "torch":
                chain = chain[1:]
            if len(chain) == 3 and chain[0] == "ops":
                found.append((chain[1], chain[2]))
    return found


def _dotted(node: ast.expr) -> list[str]:
    """``a.b.c`` as ``["a", "b", "c"]``; ``[]`` for any other expression."""
    import ast

    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    parts.append(node.id)
    return parts[::-1]
