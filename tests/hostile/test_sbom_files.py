"""`--format cyclonedx` hashes every file of the model: through the real CLI, a symlink (to
/etc/passwd, to a secret beside the model) is listed but never followed, a FIFO is listed but never
opened (a read would block for ever), and a sparse file that claims a terabyte is listed without
a hash before a byte of it is read; each says why it has no hash, in bounded time and memory."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from modellint.analyzer.artifacts import MAX_FILES
from modellint.reports.cyclonedx_inventory import MAX_PACKAGES
from modellint.rules._examples import CLEAN
from tests.hostile.harness import Sandbox, assert_promises, run_cli

SECONDS = 20.0
TERABYTE = 2**40


def _files(document: dict) -> dict[str, dict]:
    return {file["name"]: file for file in document["metadata"]["component"]["components"]}


def _unhashed(file: dict) -> str:
    [why] = [prop["value"] for prop in file["properties"] if prop["name"] == "modellint:unhashed"]
    assert "hashes" not in file
    return why


def test_links_fifos_and_a_terabyte_sparse_file_are_listed_never_read(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write(CLEAN)
    target = sandbox.target
    os.symlink("/etc/passwd", target / "passwd.txt")
    os.symlink(sandbox.outside / "secret.txt", target / "secret.txt")
    os.symlink("MLmodel", target / "inside-link")  # a link that stays inside is not followed either
    os.mkfifo(target / "pipe.bin")
    with open(target / "huge.bin", "wb") as handle:
        handle.truncate(TERABYTE)
    before = sandbox.snapshot()
    run = run_cli(["check", str(target), "--format", "cyclonedx", "--isolated"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS)
    assert "root:x:0:0" not in run.stdout
    files = _files(json.loads(run.stdout))
    assert _unhashed(files["passwd.txt"]) == "a symlink: never followed"
    assert _unhashed(files["secret.txt"]) == "a symlink: never followed"
    assert _unhashed(files["inside-link"]) == "a symlink: never followed"
    assert _unhashed(files["pipe.bin"]) == "a FIFO: never opened"
    assert _unhashed(files["huge.bin"]) == "over what is left of the 32 GiB hashing budget"
    mlmodel = (target / "MLmodel").read_bytes()
    assert files["MLmodel"]["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(mlmodel).hexdigest()}]


def test_a_large_sparse_file_within_the_budget_is_hashed_streaming(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write(CLEAN)
    size = 256 * 2**20  # twice the memory the run may use: it must be read in chunks
    with open(sandbox.target / "weights.bin", "wb") as handle:
        handle.truncate(size)
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "cyclonedx", "--isolated"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS, memory=256 * 2**20, clean_allowed=True)
    digest = hashlib.sha256()
    chunk = bytes(2**20)
    for _ in range(size // len(chunk)):
        digest.update(chunk)
    weights = _files(json.loads(run.stdout))["weights.bin"]
    assert weights["hashes"] == [{"alg": "SHA-256", "content": digest.hexdigest()}]


def test_ten_thousand_requirements_are_listed_up_to_the_bound_in_bounded_time(tmp_path):
    sandbox = Sandbox(tmp_path)
    requirements = "".join(f"acme-package-{index}==1.0\n" for index in range(9_999))
    sandbox.write({**CLEAN, "requirements.txt": requirements})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "cyclonedx", "--isolated"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS)
    document = json.loads(run.stdout)
    assert len(document["components"]) == MAX_PACKAGES
    [unlisted] = [prop["value"] for prop in document["metadata"]["component"]["properties"]
                  if prop["name"] == "modellint:unlisted-packages"]
    assert unlisted.endswith("more packages were not listed")


def test_a_model_that_declares_nothing_is_an_sbom_of_its_files(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"MLmodel": CLEAN["MLmodel"]})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "cyclonedx", "--isolated"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS)
    assert "Warning" not in run.stderr, run  # nothing from the library on stderr
    assert list(_files(json.loads(run.stdout))) == ["MLmodel"]


@pytest.mark.slow
def test_a_model_of_many_files_lists_up_to_the_bound_and_counts_the_rest(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write({**CLEAN, **{f"shards/{index:05}.bin": b"x" for index in range(MAX_FILES + 500)}})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "cyclonedx", "--isolated"], sandbox, timeout=90)
    assert_promises(run, sandbox, before, seconds=60.0, clean_allowed=True)
    model = json.loads(run.stdout)["metadata"]["component"]
    assert len(model["components"]) == MAX_FILES
    [unlisted] = [prop["value"] for prop in model["properties"] if prop["name"] == "modellint:unlisted-files"]
    assert unlisted == f"{500 + len(CLEAN)} more files were not listed"
