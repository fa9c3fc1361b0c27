"""Safetensors headers and GGUF chat templates: files the real libraries write are clean; each way a
header can lie, and each way a template can reach Python internals, is reported."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from modellint.analyzer.serialized.chat_template import judge_template
from modellint.analyzer.serialized.pickles import scan_file, sniff
from modellint.rules._serialized_examples import gguf_file

DATA = Path(__file__).resolve().parent.parent / "data"
WEIGHTS = DATA / "weights"
TEMPLATES = sorted((DATA / "chat_templates").glob("*.jinja"))


def safetensors(header: object, data: bytes = b"", raw: bytes | None = None) -> bytes:
    text = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def reasons(tmp_path: Path, content: bytes, name: str = "model.bin") -> list[str]:
    path = tmp_path / name
    path.write_bytes(content)
    result = scan_file(path)
    return [problem.reason for problem in result.problems] + [hazard.detail for hazard in result.hazards]


# --- files the real libraries wrote ---------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(WEIGHTS.iterdir()), ids=lambda path: path.name)
def test_files_written_by_the_real_libraries_are_clean(path):
    result = scan_file(path)
    assert result.kind == path.suffix[1:]
    assert result.problems == () and result.hazards == ()


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.stem)
def test_real_chat_templates_reach_nothing(path):
    assert judge_template(path.read_text()) == []


def test_content_decides_the_kind_not_the_name(tmp_path):
    (tmp_path / "weights.bin").write_bytes((WEIGHTS / "model.safetensors").read_bytes())
    (tmp_path / "model.safetensors").write_bytes(b"\x80\x04K\x01.")
    assert sniff(tmp_path / "weights.bin") == "safetensors"
    assert sniff(tmp_path / "model.safetensors") == "pickle"


def test_text_is_never_taken_for_safetensors(tmp_path):
    (tmp_path / "example.json").write_text('[{"a": 1}, {"b": 2}, {"c": 3}]')
    assert sniff(tmp_path / "example.json") is None


# --- safetensors headers that lie -----------------------------------------------------------------

TENSOR = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize(("header", "data", "expected"), [
    ({"a": TENSOR, "b": TENSOR}, b"\0" * 8, "overlaps the tensor before it"),
    ({"a": {**TENSOR, "data_offsets": [8, 16]}}, b"\0" * 16, "leaves bytes 0-8 unused"),
    ({"a": TENSOR}, b"\0" * 12, "bytes after the last tensor"),
    ({"a": {**TENSOR, "data_offsets": [0, 800]}, }, b"\0" * 8, "needs 8 bytes"),
    ({"a": {**TENSOR, "shape": [200], "data_offsets": [0, 800]}}, b"\0" * 8, "run past the end of the file"),
    ({"a": {**TENSOR, "dtype": "F128"}}, b"\0" * 8, "unknown dtype 'F128'"),
    ({"a": {**TENSOR, "shape": [-2]}}, b"\0" * 8, "shape is not a list"),
    ({"a": {**TENSOR, "data_offsets": [8, 0]}}, b"\0" * 8, "end before they begin"),
    ({"a": {**TENSOR, "shape": [2**40, 2**40, 2**40]}}, b"\0" * 8, "needs"),
    ({"__metadata__": {"format": 3}, "a": TENSOR}, b"\0" * 8, "`__metadata__` is not a map of strings"),
    ([1, 2], b"", "is a JSON list, not a mapping"),
])
def test_a_header_that_lies_is_reported(tmp_path, header, data, expected):
    found = reasons(tmp_path, safetensors(header, data))
    assert any(expected in reason for reason in found), found


def test_a_key_given_twice_is_not_canonical(tmp_path):
    entry = json.dumps(TENSOR)
    found = reasons(tmp_path, safetensors(None, b"\0" * 8, raw=f'{{"a": {entry}, "a": {entry}}}'.encode()))
    assert any("appears twice" in reason for reason in found), found


@pytest.mark.parametrize(("raw", "expected"), [
    (b'{"a": NaN}', "not JSON"),
    (b'{"a": \xff}', "not JSON"),
    (b'{"a": ', "not JSON"),
])
def test_a_header_that_is_not_json_is_reported(tmp_path, raw, expected):
    assert any(expected in reason for reason in reasons(tmp_path, safetensors(None, raw=raw))), raw


# --- GGUF chat templates --------------------------------------------------------------------------


@pytest.mark.parametrize("template", [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__.os.system('id') }}",
    "{{ lipsum.__globals__['os'].popen('id') }}",
    "{{ self._TemplateReference__context.cycler }}",
    "{{ range.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''['__class__'] }}",
    "{{ x['\\x5f\\x5fclass\\x5f\\x5f'] }}",
    "{{ x|attr('__class__') }}",
    "{{ messages|map(attribute='__class__')|list }}",
    "{% set k = '__globals__' %}{{ foo(k) }}",
    "{{ x.__builtins__.__import__('os') }}",
    "{{ '{0.__init__.__globals__}'.format(cycler) }}",
    "{{ messages|join(attribute='__class__') }}",
    "{{ messages|map('attr', '__class__')|list }}",
])
def test_a_template_that_reaches_python_internals_is_a_hazard(tmp_path, template):
    spots = judge_template(template)
    assert spots and all(spot.reach for spot in spots), spots
    found = reasons(tmp_path, gguf_file({"general.name": "x", "tokenizer.chat_template": template}))
    assert any("reaching Python internals" in reason for reason in found), found


@pytest.mark.parametrize("template", [
    "{{ x['__cla' ~ 'ss__'] }}",
    "{% set k = '%c%cclass%c%c'|format(95, 95, 95, 95) %}{{ x[k] }}",
    "{{ x|attr(name) }}",
    "{% set ns = namespace(k='') %}{% set ns.k = (lipsum|string)[14] %}{{ x[ns.k] }}",
    "{% macro m(k) %}{{ x[k] }}{% endmacro %}{{ m('_' ~ '_class__') }}",
    "{{ x[('_' * 2) + 'class' + ('_' * 2)] }}",
    "{{ x['__cla' 'ss__'] }}",
    "{{ ('{0.' ~ '_' ~ '_class__}').format(x) }}",
    "{{ x }",
    "{# never closed",
])
def test_a_template_that_computes_a_name_or_cannot_be_read_is_unproven(tmp_path, template):
    spots = judge_template(template)
    assert spots and not any(spot.reach for spot in spots), spots


def test_named_variants_of_the_template_are_judged_too(tmp_path):
    found = reasons(tmp_path, gguf_file({"tokenizer.chat_template": "{{ messages[0].content }}",
                                         "tokenizer.chat_template.tool_use": "{{ cycler.__init__ }}"}))
    assert len(found) == 1 and "`tokenizer.chat_template.tool_use`" in found[0], found


def test_the_offset_is_the_byte_of_the_file(tmp_path):
    template = "é{{ cycler.__init__ }}"
    content = gguf_file({"tokenizer.chat_template": template})
    path = tmp_path / "m.gguf"
    path.write_bytes(content)
    (hazard,) = scan_file(path).hazards
    assert content[hazard.offset:].startswith(b"cycler.__init__")


def test_strings_and_delimiters_inside_blocks_do_not_end_them():
    assert judge_template("{{ '}}' ~ x }}{{ {'a': {'b': 1}} }}{% raw %}{{ x.__class__ }}{% endraw %}") == []
    assert judge_template("{# {{ x.__class__ }} #}text {{ messages[-1]['content'][1:] }}") == []
