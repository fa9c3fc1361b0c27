"""The block-YAML reader on hostile text: bounded, and never a different answer from PyYAML's.

A hostile MLmodel or conda.yaml now meets :func:`~modellint.analyzer.yaml_block.read_block_yaml`
first. Whatever it accepts must be what PyYAML builds, and whatever PyYAML would refuse (a
budget, a syntax error) it must decline, so that the finding stays the one PyYAML's path gives.
Each case is timed: the reader is linear in the text and stops at its bounds.
"""

from __future__ import annotations

import time

import pytest

from modellint.analyzer import yaml_block
from modellint.analyzer.yamlfile import MAX_YAML_NODES, YamlError, parse_yaml
from modellint.rules._examples import MLMODEL
from tests.analyzer.test_yaml_block import agrees, pyyaml
from tests.conftest import REPO
from tests.hostile.test_budgets import check

SECONDS = 2.0  # per document, both readers; each takes well under 0.5 s on the loaded VM


def nested(depth: int) -> str:
    return "".join("  " * level + f"k{level}:\n" for level in range(depth)) + "  " * depth + "x: 1\n"


HOSTILE = {
    "lines-at-the-limit": "".join(f"k{index}: v\n" for index in range(yaml_block._MAX_LINES - 1)),
    "lines-over-the-limit": "".join(f"k{index}: v\n" for index in range(yaml_block._MAX_LINES + 1)),
    "entries-over-the-node-budget": "".join("- - - - - - - x\n" for _ in range(MAX_YAML_NODES // 7 + 10)),
    "entries-over-the-reader-node-cap": "".join("- - - x\n" for _ in range(yaml_block._MAX_NODES // 3 + 10)),
    "nesting-at-the-reader-depth": nested(yaml_block._MAX_DEPTH - 2),
    "nesting-past-the-reader-depth": nested(yaml_block._MAX_DEPTH + 2),
    "nesting-past-the-yaml-depth": nested(250),
    "nested-entries-on-one-line": "- " * 300 + "x\n",
    "one-line-of-a-mebibyte": "a: '" + "x" * (yaml_block._MAX_CHARS - 8) + "'\n",
    "one-line-over-a-mebibyte": "a: '" + "x" * yaml_block._MAX_CHARS + "'\n",
    "a-quote-folded-over-many-lines": "a: 'x\n" + "  y\n" * 9_000 + "  z'\n",
    "a-quote-never-closed": "a: 'x\n" + "  y\n" * 9_000,
    "many-blank-lines-in-a-quote": "a: 'x\n" + "\n" * 9_000 + "  z'\n",
    "tabs": "a:\n\t- x\n",
    "bom": "\ufeffa: 1\n",
    "carriage-returns": "a: 1\r\nb:\r\n  c: 2\r\n",
    "lone-carriage-return": "a: 1\rb: 2\n",
    "nul": "a: x\x00y\n",
    "escape-characters": "a: \x1b[31mred\n",
    "non-ascii": "a: \u202eevil\n",
    "line-separators": "a: x\u2028b: y\n",
    "duplicate-keys-deep": "a:\n  b: 1\n  b:\n    c: 2\n",
    "alias-bomb-in-block-style": "a: &a [x, x]\nb: &b [*a, *a]\nc: *b\n",
    # Past CPython's limit on int() digits (4,300 since 3.11): PyYAML's int() raises ValueError there.
    "an-int-of-5000-digits": "a: " + "1" * 5_000 + "\n",
    "a-negative-int-of-5000-digits-in-a-sequence": "a:\n- -" + "7" * 5_000 + "\n",
    "a-float-of-5000-digits": "a: " + "1" * 5_000 + ".5\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_reads_as_pyyaml_reads_it(name):
    text = HOSTILE[name]
    started = time.perf_counter()
    agrees(text)
    assert time.perf_counter() - started < SECONDS


def test_what_pyyaml_refuses_for_its_size_stays_refused():
    for name in ("entries-over-the-node-budget", "nesting-past-the-yaml-depth"):
        assert yaml_block.read_block_yaml(HOSTILE[name]) is None
        with pytest.raises(YamlError) as raised:
            parse_yaml(HOSTILE[name])
        assert raised.value.budget, name


def test_control_characters_and_other_encodings_are_left_to_pyyaml():
    for name in ("tabs", "bom", "carriage-returns", "lone-carriage-return", "nul", "escape-characters",
                 "non-ascii", "line-separators"):
        assert yaml_block.read_block_yaml(HOSTILE[name]) is None, name
        assert isinstance(pyyaml(HOSTILE[name]), (tuple, str))


def test_an_mlmodel_over_the_node_budget_is_still_the_budget_finding(tmp_path):
    # In the reader's subset but over its node cap: the finding is PyYAML's budget one, as before.
    mlmodel = MLMODEL + "metadata:\n" + "".join("  - - - - - - - x\n" for _ in range(MAX_YAML_NODES // 7 + 10))
    check(tmp_path, {"MLmodel": mlmodel}, "ML001", "YAML budget")


def test_an_int_past_pythons_digit_limit_is_the_finding_pyyaml_gives(tmp_path):
    # The reader must decline what int() refuses, never raise it: the run was an internal error.
    for name in ("an-int-of-5000-digits", "a-negative-int-of-5000-digits-in-a-sequence"):
        assert yaml_block.read_block_yaml(HOSTILE[name]) is None, name
        assert pyyaml(HOSTILE[name]).startswith("YamlError: Exceeds the limit"), name
    # An MLmodel as MLflow writes it (block style: the reader's subset), with one such value added.
    mlmodel = (REPO / "corpus" / "models" / "logged-sklearn-3x" / "MLmodel").read_text()
    assert yaml_block.read_block_yaml(mlmodel) is not None
    check(tmp_path, {"MLmodel": mlmodel + "run_number: " + "1" * 5_000 + "\n"}, "ML001", "integer string conversion")
