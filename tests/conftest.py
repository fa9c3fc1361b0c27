from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Materialise an in-memory model dir (text written byte-exact, no newline translation)."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode())
    return root


@pytest.fixture
def model_dir(tmp_path: Path):
    def make(files: Mapping[str, str | bytes], name: str = "model") -> Path:
        return write_files(tmp_path / name, files)

    return make
