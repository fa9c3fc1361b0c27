"""The data-file layout the per-release data, its Requires-Dist and the advisories share: what
``encode_block_file`` writes, ``BlockFile`` reads back, for synthetic blocks and for every block of
the shipped files."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

from modellint.analyzer.knowledge.block_file import BlockFile, encode_block_file

KNOWLEDGE = Path(__file__).resolve().parents[2] / "modellint" / "analyzer" / "knowledge"


class _Texts(BlockFile[str | None]):
    def __init__(self, path: Path) -> None:
        super().__init__(path, 7, None)

    def _parse(self, name: str, text: str) -> str:
        return text


def _blocks_of(raw: bytes) -> tuple[dict, dict[str, str]]:
    line, _, rest = raw.partition(b"\n")
    header = json.loads(line)
    index = rest[:header["index_bytes"]]
    start = len(line) + 1 + len(index)
    texts = {}
    for entry in index.decode().splitlines():
        name, offset, length = entry.split("\t")
        texts[name] = zlib.decompress(raw[start + int(offset):start + int(offset) + int(length)]).decode()
    return header, texts


def test_what_is_written_reads_back(tmp_path):
    blocks = {"b-dist": "two\nlines", "a-dist": "é", "c": ""}
    path = tmp_path / "data.dat"
    path.write_bytes(encode_block_file({"format": 7, "snapshot_date": "2026-12-07"}, blocks))
    data = _Texts(path)
    assert data.names() == ("a-dist", "b-dist", "c") and data.snapshot_date == "2026-12-07"
    assert {name: data.get(name) for name in blocks} == blocks
    assert data.get("absent") is None and "absent" not in data


def test_a_file_of_another_format_is_refused(tmp_path):
    path = tmp_path / "data.dat"
    path.write_bytes(encode_block_file({"format": 6}, {"a": "x"}))
    with pytest.raises(ValueError, match="format 6, expected 7"):
        _Texts(path)


@pytest.mark.parametrize("name", ["releases.dat", "release_requires.dat", "advisories.dat"])
def test_every_shipped_block_survives_a_rewrite(tmp_path, name):
    header, texts = _blocks_of((KNOWLEDGE / name).read_bytes())
    rewritten = tmp_path / name
    rewritten.write_bytes(encode_block_file({k: v for k, v in header.items() if k != "index_bytes"}, texts))
    assert _blocks_of(rewritten.read_bytes()) == (header, texts)
