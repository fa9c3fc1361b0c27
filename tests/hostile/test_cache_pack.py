"""The pack a warm store run reads (modellint.cache.pack) under hostile conditions: a cache folder
inside the store, a pack planted in a model's tree, a symlink or a huge file in a pack's place.
The report is always the one linting gives, in bounded time and memory.

Each store has 48 model dirs, the fewest that get a pack (modellint.cache.PACK_MIN_TARGETS).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from modellint.cache import PACK_MIN_TARGETS, digest, pack
from modellint.cache.store import FORMAT
from tests.conftest import REPO
from tests.hostile.harness import Sandbox, assert_promises, run_cli

MODEL = REPO / "corpus" / "models" / "ml104-not-pep508"  # two ML104 errors with fixes


def _store(tmp_path: Path) -> Sandbox:
    sandbox = Sandbox(tmp_path / "sandbox")
    for index in range(PACK_MIN_TARGETS):
        shutil.copytree(MODEL, sandbox.target / f"model-{index:02}")
    # Only a tree whose entries changed a while before it is walked is found by its states
    # (modellint.cache.digest.SETTLED_NANOSECONDS), and only such trees go into a pack.
    time.sleep(digest.SETTLED_NANOSECONDS / 1e9 + 0.2)
    return sandbox


def _packs(cache: Path) -> list[Path]:
    return sorted((cache / FORMAT / pack.FOLDER).glob("*.pack"))


def _harness_cache(sandbox: Sandbox) -> Path:
    return sandbox.root.parent / f"{sandbox.root.name}-cache"  # where run_cli points MODELLINT_CACHE_DIR


def test_a_cache_folder_inside_the_store_never_gives_a_wrong_answer(tmp_path):
    # Each run writes into the trees it checks: their states never hold from one run to the next.
    sandbox = _store(tmp_path)
    inside = sandbox.target / "model-00" / ".modellint_cache"
    arguments = ["check", str(sandbox.target), "--format", "concise", "--isolated"]
    uncached = run_cli([*arguments, "--no-cache"], sandbox)
    assert uncached.returncode == 1 and "ML104" in uncached.stdout
    for _ in range(3):
        run = run_cli([*arguments, "--cache-dir", str(inside)], sandbox)
        assert (run.returncode, run.stdout) == (uncached.returncode, uncached.stdout), run
        assert "Traceback" not in run.stderr


def test_a_pack_planted_in_the_store_is_never_read(tmp_path):
    # A store that ships a cache of its own, with a forged report of a clean store that would
    # pass every check of a pack read from there: the cache folder never comes from the tree.
    sandbox = _store(tmp_path)
    planted = sandbox.target / ".modellint_cache"
    arguments = ["check", str(sandbox.target), "--format", "concise", "--isolated"]
    run_cli([*arguments, "--cache-dir", str(planted)], sandbox)
    (path,) = _packs(planted)
    found = pack.read_pack(planted / FORMAT, path.stem)
    assert found is not None and len(found.reports) == 1
    forged = {key: pack.StoredReport.of("All checks passed!\n", -1) for key in found.reports}
    pack.write_pack(planted / FORMAT, path.stem, pack.Pack(found.listings, forged, found.states))
    assert pack.read_pack(planted / FORMAT, path.stem) == pack.Pack(found.listings, forged, found.states)  # well-formed
    before = sandbox.snapshot()
    run = run_cli(arguments, sandbox)
    assert_promises(run, sandbox, before)
    assert "ML104" in run.stdout and "All checks passed" not in run.stdout


def test_a_symlink_or_a_huge_file_in_a_pack_s_place(tmp_path):
    sandbox = _store(tmp_path)
    arguments = ["check", str(sandbox.target), "--format", "json", "--isolated"]
    first = run_cli(arguments, sandbox)
    (path,) = _packs(_harness_cache(sandbox))
    path.unlink()
    os.symlink(sandbox.outside / "secret.txt", path)
    before = sandbox.snapshot()
    run = run_cli(arguments, sandbox)
    assert_promises(run, sandbox, before)  # the secret beside the store neither read out nor changed
    assert run.stdout == first.stdout and not path.is_symlink()
    with open(path, "wb") as handle:  # a sparse file far over the budget: never read
        handle.truncate(4 * 1024**3)
    run = run_cli(arguments, sandbox)
    assert_promises(run, sandbox, before, memory=200 * 2**20, seconds=30.0)
    assert run.stdout == first.stdout and path.stat().st_size < pack.MAX_PACK_BYTES
