"""Hostile safetensors and GGUF files: every length, count and nesting the reader meets is checked
before it is trusted, so each of these ends in ML303 (never "clean"), in bounded time and memory,
through the real CLI; and the model's Git LFS pointers in place of weights are named as such."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from modellint.analyzer.serialized import gguf
from modellint.analyzer.serialized.pickles import scan_file
from modellint.rules._examples import MLMODEL
from modellint.rules._serialized_examples import gguf_artifact_model, gguf_file
from tests.hostile.harness import Sandbox, assert_promises, run_cli

SECONDS = 10.0


def gguf_header(pairs: int, tensors: int = 0, version: int = 3) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, tensors, pairs)


def gguf_key(key: str, value_type: int) -> bytes:
    return struct.pack("<Q", len(key)) + key.encode() + struct.pack("<I", value_type)


def safetensors_with(header: bytes, data: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + data


HOSTILE = {
    "safetensors-huge-header-length": struct.pack("<Q", 2**40) + b'{"a": 1}',
    "safetensors-header-past-the-end": struct.pack("<Q", 2**20) + b'{"a": 1}',
    "safetensors-deep-json": safetensors_with(b'{"a":' + b"[" * 200_000 + b"]" * 200_000 + b"}"),
    "safetensors-huge-json": safetensors_with(b'{"a": [' + b"0," * (6 * 2**20) + b"0]}"),
    "safetensors-truncated": struct.pack("<Q", 64) + b'{"a": {"dtype": "F32", "shape": [1]',
    "gguf-kv-count-2**63": gguf_header(2**63),
    "gguf-tensor-count-2**62": gguf_header(1, tensors=2**62) + gguf_key("a", 4) + b"\0" * 4,
    "gguf-array-of-2**40-u8": gguf_header(1) + gguf_key("a", 9) + struct.pack("<IQ", 0, 2**40),
    "gguf-array-of-2**40-strings": gguf_header(1) + gguf_key("a", 9) + struct.pack("<IQ", 8, 2**40),
    "gguf-string-of-2**62-bytes": gguf_header(1) + gguf_key("a", 8) + struct.pack("<Q", 2**62),
    "gguf-key-of-2**32-bytes": gguf_header(1) + struct.pack("<Q", 2**32) + b"k" * 64,
    "gguf-nested-arrays": gguf_header(1) + gguf_key("a", 9) + struct.pack("<IQ", 9, 1) * 3 + b"\0" * 64,
    "gguf-unknown-type": gguf_header(1) + gguf_key("a", 99) + b"\0" * 8,
    "gguf-version-1": gguf_header(1, version=1) + b"\0" * 32,
    "gguf-truncated": gguf_file({"tokenizer.chat_template": "{{ messages }}"})[:-5],
    "gguf-duplicate-key": gguf_file({"general.name": "a"})
    + gguf_key("general.name", 8) + struct.pack("<Q", 1) + b"b",
    "gguf-huge-template": gguf_header(1) + gguf_key("tokenizer.chat_template", 8)
    + struct.pack("<Q", gguf.MAX_TEMPLATE_BYTES + 1) + b"{" * (gguf.MAX_TEMPLATE_BYTES + 1),
    # many templates, each within the per-template bound: the per-file bound stops the judging
    "gguf-many-templates": gguf_header(40) + b"".join(
        gguf_key(f"tokenizer.chat_template.t{index}", 8) + struct.pack("<Q", 2**17) + b"{{ x.y }}".ljust(2**17)
        for index in range(40)),
    # a duplicate key found at the end of 60,000: one pass, not a quadratic search
    "safetensors-late-duplicate-key": safetensors_with(
        ("{" + ",".join(f'"k{index}": {{"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}'
                        for index in [*range(60_000), 59_999]) + "}").encode()),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_weight_file_is_unscannable_in_bounded_time_and_memory(tmp_path, name):
    sandbox = Sandbox(tmp_path / "sandbox")
    content = HOSTILE[name]
    if name == "gguf-duplicate-key":  # the counts must say two pairs for the second to be read
        content = content[:16] + struct.pack("<Q", 2) + content[24:]
    sandbox.write({"weights.bin": content})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target / "weights.bin"), "--format", "concise"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS)
    assert "ML303" in run.stdout, run


def _fill(unit: str, tail: str = "") -> str:
    """``unit`` repeated to fill the template budget, then ``tail``."""
    return unit * ((gguf.MAX_TEMPLATE_BYTES - len(tail)) // len(unit)) + tail


TEMPLATES = {  # each as large as a template may be, each shaped to cost the judge the most
    "many-blocks": (_fill("{% set a = messages %}{{ a[0]['role'] ~ x.y }}"), None),
    "one-endless-private-walk": (_fill(".__b", " }}").replace(".__b", "{{ a", 1), "ML302"),
    "subscripts-nested-to-the-limit": ("{{ " + _fill("x[" * 16 + "'a' ~ b" + "]" * 16 + " ~ ", "1 }}"), "ML303"),
    "brackets-nested-past-the-limit": ("{{ " + "(" * 10_000 + "1" + ")" * 10_000 + " }}", "ML303"),
    "assignments-that-settle-one-per-pass": ("".join(f"{{% set a{i} = a{i - 1} %}}" for i in range(9000, 0, -1))
                                             + "{% set a0 = 'x' ~ y %}{{ m[a9000] }}", "ML303"),
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_template_built_to_be_costly_is_judged_in_bounded_time(tmp_path, name):
    template, expected = TEMPLATES[name]
    assert len(template.encode()) <= gguf.MAX_TEMPLATE_BYTES
    sandbox = Sandbox(tmp_path / "sandbox")
    sandbox.write({"weights.bin": gguf_file({"tokenizer.chat_template": template})})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target / "weights.bin"), "--format", "concise"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS, clean_allowed=expected is None)
    assert expected is None or expected in run.stdout, run


def test_stepping_over_array_elements_has_a_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(gguf, "MAX_ELEMENTS_READ", 1000)
    strings = b"".join(struct.pack("<Q", 1) + b"x" for _ in range(1001))
    path = tmp_path / "vocab.gguf"
    path.write_bytes(gguf_header(1) + gguf_key("tokenizer.ggml.tokens", 9) + struct.pack("<IQ", 8, 1001) + strings)
    (problem,) = scan_file(path).problems
    assert "more than 1,000 array elements" in problem.reason


def test_a_hostile_template_in_a_model_is_an_error_and_never_rendered(tmp_path):
    sandbox = Sandbox(tmp_path / "sandbox")
    template = "{{ cycler.__init__.__globals__.__builtins__.__import__('canary_pkg') }}"
    sandbox.write(gguf_artifact_model(gguf_file({"tokenizer.chat_template": template})))
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS)
    assert "ML302" in run.stdout and "reaching Python internals" in run.stdout, run


def test_git_lfs_pointers_in_place_of_a_declared_pickle_name_the_cause(tmp_path):
    sandbox = Sandbox(tmp_path / "sandbox")
    pickled = MLMODEL.replace("model.skops", "model.pkl").replace("serialization_format: skops",
                                                                 "serialization_format: cloudpickle")
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 987654\n"
    files = {name: content for name, content in gguf_artifact_model(b"").items() if name != "artifacts/model.gguf"}
    sandbox.write({**files, "MLmodel": pickled, "model.pkl": pointer})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox, timeout=60)
    assert_promises(run, sandbox, before, seconds=SECONDS)
    assert "Git LFS pointer to a 987,654-byte object, not the weights: run `git lfs pull`" in run.stdout, run
    assert run.stdout.count("Git LFS pointer") == 1, run  # ML303 says it; ML306 does not repeat it


def test_a_sparse_huge_safetensors_file_reads_only_its_header(tmp_path):
    path = tmp_path / "model.safetensors"
    header = b'{"w": {"dtype": "U8", "shape": [1073741824], "data_offsets": [0, 1073741824]}}'
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(header)) + header)
        handle.truncate(8 + len(header) + 2**30)
    result = scan_file(path)
    assert result.kind == "safetensors" and result.problems == ()


def test_a_lone_path_that_is_no_file_is_refused(tmp_path):
    assert scan_file(Path(tmp_path), kind="gguf").problems
