"""checked_imports resolves a model's imports once, however many rules ask, and never hands one
model's answer to another."""

from __future__ import annotations

from pathlib import Path

from modellint.analyzer.code.import_resolution import checked_imports
from modellint.analyzer.model_dir import ModelDir
from modellint.rules._code_examples import code_model


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def test_a_model_is_resolved_once_and_each_model_gets_its_own(tmp_path: Path) -> None:
    first = ModelDir(_write(tmp_path / "a", code_model({"helpers.py": "import tabulate\n"})))
    second = ModelDir(_write(tmp_path / "b", code_model({"helpers.py": "import requests\nimport yaml\n"})))

    answer = checked_imports(first)
    assert checked_imports(first) is answer  # the rules after the first read the same answer
    assert [checked.fact.module for checked in answer] == ["tabulate"]
    assert [checked.fact.module for checked in checked_imports(second)] == ["requests", "yaml"]
    # Asked again after another model, the first is resolved again, to the same answer.
    assert checked_imports(first) == answer
