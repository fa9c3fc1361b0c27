"""Safetensors files read as the format defines them, without the library: an 8-byte little-endian
header length, a JSON header mapping tensor names to ``dtype``, ``shape`` and ``data_offsets`` (plus an
optional ``__metadata__`` map of strings), then the data region the offsets index.

Safetensors cannot run code, but a header whose offsets lie is how a file misleads whatever reads it
(tensors that overlap or leave bytes unaccounted for, a declared shape the bytes cannot hold) or a
parser that disagrees with the library (a key given twice). The checks are the library's own
(``Metadata::validate`` and ``read_metadata`` in safetensors' Rust source): each tensor's size is
its dtype's size times the product of its shape, and the tensors, sorted by offset, cover the data
region exactly, from 0 to its end, without gap or overlap. Anything else is reported, never guessed.

The reader is bounded: it reads the 8-byte length and the header (at most :data:`MAX_HEADER_BYTES`)
and never the data; the JSON is parsed by the standard library, whose nesting limit turns a hostile
depth into an error.
"""

from __future__ import annotations

from typing import IO, Any

MAX_HEADER_BYTES = 16 * 2**20  # the format allows 100 MB; real headers are kilobytes (a few MB for 10^4 tensors)
MAX_DIMENSIONS = 64  # shape lengths beyond this are no tensor a library writes
HEADER_START = 8

# Bits per element of each dtype the safetensors library knows (its ``Dtype`` enum, 0.8).
DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "I16": 16, "U16": 16, "F16": 16,
    "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
    "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}


def looks_like_safetensors(head: bytes) -> bool:
    """A header length below 2**48 (its two high bytes zero: no text starts so) followed by a JSON object or
    array (an array is no header: reported, so that no such file passes as clean weights)."""
    return len(head) >= 9 and head[6:8] == b"\0\0" and head[8:9] in (b"{", b"[") \
        and int.from_bytes(head[:8], "little") >= 2


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _Duplicate(f"key `{key[:80]}` appears twice in one JSON object (readers disagree on which wins)")
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not JSON")


def read_safetensors(handle: IO[bytes], size: int) -> list[tuple[str, int | None]]:
    """The ways the file of ``size`` bytes read from ``handle`` is not the safetensors file it claims to be,
    as ``(reason, byte offset)``; empty when its header is exact."""
    import json

    prefix = handle.read(HEADER_START)
    if len(prefix) < HEADER_START:
        return [("truncated: no 8-byte header length", 0)]
    length = int.from_bytes(prefix, "little")
    if length > MAX_HEADER_BYTES:
        return [(f"header length {length:,} bytes is over the {MAX_HEADER_BYTES:,} this reader accepts "
                 f"(the file has {size:,} bytes)", 0)]
    if HEADER_START + length > size:
        return [(f"header length {length:,} bytes runs past the end of the file ({size:,} bytes)", 0)]
    raw = handle.read(length)
    if len(raw) < length:
        return [("truncated while reading the header", HEADER_START)]
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Duplicate as error:
        return [(f"header is not canonical: {error}", HEADER_START)]
    except (UnicodeDecodeError, ValueError) as error:
        return [(f"header is not JSON: {str(error)[:200]}", HEADER_START)]
    except RecursionError:
        return [("header nests too deep to be a safetensors header", HEADER_START)]
    if not isinstance(header, dict):
        return [(f"header is a JSON {type(header).__name__}, not a mapping of tensor names", HEADER_START)]
    return _check_header(header, size - HEADER_START - length)


def _check_header(header: dict[str, Any], data_bytes: int) -> list[tuple[str, int | None]]:
    problems: list[tuple[str, int | None]] = []
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict)
                                     and all(isinstance(value, str) for value in metadata.values())):
        problems.append(("`__metadata__` is not a map of strings to strings", HEADER_START))
    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        reason = _tensor_problem(info)
        if reason is not None:
            problems.append((f"tensor `{name[:80]}`: {reason}", HEADER_START))
            continue
        begin, end = info["data_offsets"]
        spans.append((begin, end, name))
    if problems:
        return problems
    spans.sort()
    expected = 0
    for begin, end, name in spans:
        if begin != expected:
            what = "overlaps the tensor before it" if begin < expected else f"leaves bytes {expected}-{begin} unused"
            return [(f"tensor `{name[:80]}` data_offsets [{begin}, {end}] {what}: the offsets do not tile the "
                     "data region", HEADER_START)]
        expected = end
    if expected != data_bytes:
        return [(f"the tensors cover {expected:,} bytes of a {data_bytes:,}-byte data region: "
                 + ("offsets run past the end of the file" if expected > data_bytes else "bytes after the last tensor"),
                 HEADER_START)]
    return []


def _tensor_problem(info: object) -> str | None:
    """Why one tensor entry is not what the library accepts, or None."""
    if not isinstance(info, dict):
        return "entry is not a mapping"
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        return f"unknown dtype {str(dtype)[:40]!r}"
    if not isinstance(shape, list) or len(shape) > MAX_DIMENSIONS or \
            not all(isinstance(dim, int) and not isinstance(dim, bool) and 0 <= dim < 2**64 for dim in shape):
        return "shape is not a list of non-negative integers"
    if not (isinstance(offsets, list) and len(offsets) == 2
            and all(isinstance(at, int) and not isinstance(at, bool) and 0 <= at < 2**64 for at in offsets)):
        return "data_offsets is not a pair of non-negative integers"
    begin, end = offsets
    if end < begin:
        return f"data_offsets [{begin}, {end}] end before they begin"
    bits = DTYPE_BITS[dtype]
    elements = 0 if 0 in shape else 1
    for dim in shape if elements else ():
        elements *= dim
        if elements * bits > (end - begin) * 8:
            break  # already larger than the bytes it has: stop before the product grows huge
    if elements * bits != (end - begin) * 8:
        return (f"{dtype} of shape {shape[:8]} needs {elements * bits / 8:,.0f} bytes but data_offsets "
                f"[{begin}, {end}] give {end - begin:,}")
    return None
