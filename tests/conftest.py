from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import pytest

from tests import frozen_records

REPO = Path(__file__).resolve().parent.parent
# The corpora shared between the project's repositories sit beside this one, not in it: a checkout
# elsewhere (a CI runner, `git worktree add /tmp/...`) has none, and the tests that read them skip.
SHARED = REPO.parent / "shared"
REAL_MODELS = SHARED / "real-models"
MLFLOW_SAMPLES = SHARED / "research" / "mlflow-samples"


def shared_absent(path: Path) -> str | None:
    """Why a test reading ``path`` (under :data:`SHARED`) cannot run, or None when it can."""
    if path.exists():
        return None
    return f"needs ../shared/{path.relative_to(SHARED).as_posix()} ({path} is absent)"


def needs_shared(path: Path) -> pytest.MarkDecorator:
    """Skip unless ``path`` under ``../shared`` exists, saying which."""
    reason = shared_absent(path)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def pytest_configure(config: pytest.Config) -> None:
    # Records stay values: for the whole run, assigning a field after __init__ raises.
    frozen_records.install()
    # The findings cache is off for every test but tests/test_cache.py's: a test that changes a
    # rule's behaviour in-process (monkeypatch) would otherwise read what an earlier run stored,
    # and no test writes the user's ~/.cache. The CLI run as a subprocess inherits both.
    os.environ["MODELLINT_NO_CACHE"] = "1"
    os.environ.setdefault("MODELLINT_CACHE_DIR", os.path.join(tempfile.gettempdir(), f"modellint-test-cache-{os.getpid()}"))


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module, for testing what a generator writes. It is registered
    in ``sys.modules`` while it runs (its dataclasses look their module up there), not after."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


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
