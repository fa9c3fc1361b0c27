"""The block-YAML reader against PyYAML: wherever it answers, its answer is PyYAML's.

``read_block_yaml`` returns ``(data, value_spans, key_spans)`` or declines (None). These tests put
it beside what ``parse_yaml`` built with PyYAML alone, on every YAML file MLflow wrote that the
project holds (real models, corpus, MLflow's samples, test data), on mutations of them, and on
scalars chosen for YAML 1.1's resolution traps.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from modellint.analyzer import yamlfile
from modellint.analyzer.yaml_block import read_block_yaml
from tests.conftest import MLFLOW_SAMPLES, REAL_MODELS, REPO, needs_shared


def pyyaml(text: str) -> tuple[Any, ...] | str:
    """What ``parse_yaml`` returns without the block reader: the document's parts, or the error."""
    try:
        document = _without_block_reader(text)
    except yamlfile.YamlError as error:
        return f"YamlError: {error.message}"
    return document.data, document.value_spans, document.key_spans


def _without_block_reader(text: str) -> yamlfile.YamlDocument:
    saved = yamlfile.read_block_yaml
    yamlfile.read_block_yaml = lambda text: None
    try:
        return yamlfile.parse_yaml(text)
    finally:
        yamlfile.read_block_yaml = saved


def agrees(text: str) -> bool:
    """True when the block reader accepts ``text``; fails the test when it accepts it wrongly."""
    fast = read_block_yaml(text)
    if fast is None:
        return False
    expected = pyyaml(text)
    assert fast == expected, text
    # == holds between 1 and 1.0 and True: the types must be PyYAML's too.
    assert repr(fast[0]) == repr(expected[0]), text
    return True


def yaml_files(*roots: Path) -> list[Path]:
    return sorted(path for root in roots if root.exists() for path in root.rglob("*")
                  if path.is_file() and (path.name == "MLmodel" or path.suffix in (".yaml", ".yml"))
                  and ".venv" not in path.parts)


OWN_FILES = yaml_files(REPO / "corpus", REPO / "tests" / "data")


def read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def test_the_corpus_and_test_data_read_alike():
    texts = [text for text in map(read, OWN_FILES) if text is not None]
    accepted = sum(agrees(text) for text in texts)
    assert len(texts) > 300
    assert accepted >= 0.97 * len(texts)  # the point of the reader: MLflow's files are in its subset


@needs_shared(REAL_MODELS)
def test_every_real_model_file_reads_alike():
    texts = [text for text in map(read, yaml_files(REAL_MODELS)) if text is not None]
    accepted = sum(agrees(text) for text in texts)
    assert len(texts) > 350
    assert accepted >= 0.97 * len(texts)


@needs_shared(MLFLOW_SAMPLES)
def test_every_mlflow_sample_reads_alike_and_is_read():
    texts = [text for text in map(read, yaml_files(MLFLOW_SAMPLES)) if text is not None]
    assert texts
    assert all(agrees(text) for text in texts)


# YAML 1.1 as PyYAML resolves it: each either read to PyYAML's value or declined.
SCALARS = [
    "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON",
    "off", "Off", "OFF", "y", "n", "yEs", "tRue", "~", "null", "Null", "NULL", "nULL", "none", "None",
    "0", "-0", "+0", "00", "007", "012", "08", "0o17", "0x1F", "0b101", "1_000", "1,000", "190:20:30", "-1", "+12",
    "3.10", "3.10.0", "0.24", "1.", "-1.5", "+1.5", "-0.0", ".5", "-.5", "1e5", "1.0e+5", "1.0E-5", "1_0.5",
    ".inf", "-.inf", ".Inf", ".nan", ".NaN", "2025-08-07", "2025-8-7", "2025-08-07 17:55:54.194821",
    "2025-08-07T17:55:54Z", "12:30", "1:2", "=", "<<", "<=1.0", "-r requirements.txt", "--extra-index-url x",
    "-", "+", "-x", "070430bfba2149d6a503c875214a6c9a", "1234e567", "9.9.9-rc1", "v1.2", "a b", "a:b", "a#b",
    "python=3.10.0", "pip<=21.2.3", "mlflow==3.2.0", "file:///C:/Users/x", "'quoted'", "'it''s'", '"double"',
    '"back\\\\slash"', "'multi word'", "{}", "[]", "[1]", "{a: 1}", "&a x", "*a", "!!str 1", "|", ">", "@x", "`x",
    "%x", "? x", ": x", "a: b", "a #c", "1.2.3.4",
]


@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("shape", ["key: {}\n", "key:\n- {}\n", "- {}\n", "a:\n  b: {}\n", "{}: 1\n"])
def test_scalars_resolve_as_pyyaml_does(scalar, shape):
    agrees(shape.format(scalar))


SHAPES = {
    "mlflow-mlmodel": "artifact_path: model\nflavors:\n  python_function:\n    env:\n      conda: conda.yaml\n"
                      "    loader_module: mlflow.sklearn\n    python_version: 3.10.0\n  sklearn:\n    code: null\n"
                      "mlflow_version: 2.9.2\nmodel_size_bytes: 51309\nsignature:\n  inputs: '[{\"type\": \"double\","
                      " \"name\":\n    \"x\"}]'\n  params: null\nutc_time_created: '2025-08-07 17:55:54.194821'\n",
    "conda": "channels:\n- conda-forge\ndependencies:\n- python=3.10.0\n- pip<=21.2.3\n- pip:\n  - mlflow==3.2.0\n"
             "  - -r requirements.txt\nname: mlflow-env\n",
    "indented-sequences": "a:\n  - x\n  - y: 1\n    z: 2\n  - - n\n    - m\nb: 2\n",
    "comments-and-blank-lines": "# head\na: 1  \n\n  # indented comment\nb:\n  # c\n  c: 2\n\n\n",
    "empty-values": "a:\nb:\n  c:\nd: x\n",
    "empty-entry": "d:\n- \n- x\n",
    "empty-collections": "a: {}\nb: []\nc:\n- {}\n- []\n",
    "folded-single-quotes": "a: 'one\n  two\n\n  three   \n\n\n  four'\nb: 'it''s\n  ''x'''\n",
    "folded-double-quotes": 'a: "one\n  two"\nb: "x"  # c\n',
    "folded-plain": "a: one two\n  three\n    four\nb: x\n",
    "plain-then-comment": "a: one\n  # c\nb: 2\n",
    "no-final-newline": "a: 1\nb:\n  c: x",
    "trailing-spaces-at-end": "a: 1\n   ",
    "trailing-comment-at-end": "a:\n  b: 1\n# end",
    "trailing-spaces-after-nesting": "a:\n  - b: c\n   ",
    "trailing-blank-lines-after-nesting": "a:\n  - b: c\n\n   \n",
    "root-sequence": "- a\n- b: 1\n",
    "root-indented": "  a: 1\n  b: 2\n",
    "int-keys": "1: a\n2: b\n-3: c\n",
    "bool-and-null-keys": "yes: 1\nnull: 2\n3.5: 3\n",
    "duplicate-keys": "a: 1\na: 2\n",
    "colons-in-plain": "a: http://x:80/y\nb: c:d\n",
    "key-with-spaces": "a b: 1\n",
    "misindented": "a:\n  b: 1\n c: 2\n",
    "over-indented": "a: 1\n  b: 2\n",
    "sequence-then-key": "a:\n  - x\n  b: 1\n",
    "document-markers": "---\na: 1\n...\n",
    "anchors": "a: &x 1\nb: *x\n",
    "block-scalar": "a: |\n  text\n",
    "flow": "a: [1, 2]\nb: {c: d}\n",
    "tab": "a:\t1\n",
    "crlf": "a: 1\r\nb: 2\r\n",
    "bom": "\ufeffa: 1\n",
    "nul": "a: \x00\n",
    "non-ascii": "a: caf\u00e9\n",
    "empty": "",
    "only-comments": "# nothing\n",
    "scalar-document": "just text\n",
    "unterminated-quote": "a: 'open\n  still\n",
    "quote-continued-at-key-column": "a: 'open\nb: x'\n",
    "junk-after-quote": "a: 'x' y\n",
    "quoted-key": "'a': 1\n",
    "entry-without-value": "a:\n-\n  b: 1\n",
    "dash-value": "a: - b\n",
    "nested-mapping-on-one-line": "a: b: c\n",
    "comment-after-plain": "a: b # c\n",
    "long-key": "k" * 1100 + ": 1\n",
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes_read_alike_or_are_declined(name):
    agrees(SHAPES[name])


@pytest.mark.parametrize("name", ["mlflow-mlmodel", "conda", "indented-sequences", "comments-and-blank-lines",
                                  "empty-values", "empty-collections", "folded-single-quotes",
                                  "folded-double-quotes", "folded-plain", "no-final-newline", "root-sequence"])
def test_what_mlflow_writes_is_read(name):
    assert agrees(SHAPES[name])


# Text and characters that matter to YAML, for mutations.
_INSERTS = [":", ": ", "-", "- ", " ", "  ", "'", '"', "''", "#", " #", "\n", "\n  ", "{", "}", "[", "]", ",", "&",
            "*", "!", "|", ">", "?", "%", "@", "`", "0", "1", ".", "_", "x", "~", "=", "<<", "\t", "\\", "e", "+",
            "yes", "null", "0x", "2025-01-01", ":30", "---", "...", "\r", "\ufeff", "\x00"]


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    kind = rng.randrange(8)
    at = rng.randrange(len(text) + 1)
    if kind == 7:  # how the text ends: libyaml's marks at the stream's end depend on it
        return text.rstrip("\n") + rng.choice(["", " ", "   ", "\n   ", " # c", "\n# c", "\n\n", "\n  \n"])
    if kind == 0:
        return text[:at] + rng.choice(_INSERTS) + text[at:]
    if kind == 1:
        return text[:at] + text[at + rng.randint(1, 3):]
    if kind == 2:  # indent or dedent a line
        index = rng.randrange(len(lines))
        lines[index] = " " * rng.randint(1, 3) + lines[index] if rng.random() < 0.5 else lines[index][rng.randint(1, 2):]
    elif kind == 3:  # duplicate a line
        index = rng.randrange(len(lines))
        lines.insert(index, lines[index])
    elif kind == 4:  # swap two lines
        first, second = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[first], lines[second] = lines[second], lines[first]
    elif kind == 5:  # replace a value with a scalar from the resolution table
        index = rng.randrange(len(lines))
        head, colon, _ = lines[index].partition(": ")
        if colon:
            lines[index] = f"{head}: {rng.choice(SCALARS)}"
    else:  # drop a line
        del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def test_mutated_files_read_alike_or_are_declined():
    sources = [text for text in map(read, OWN_FILES) if text][::4]
    rng = random.Random(21)
    accepted = tried = 0
    for text in sources:
        for _ in range(12):
            mutated = text
            for _ in range(rng.randint(1, 3)):
                mutated = _mutate(mutated, rng)
            tried += 1
            accepted += agrees(mutated)
    assert tried > 1000
    assert tried * 0.3 < accepted < tried  # many mutations stay in the subset; many do not
