"""Real cloudpickle/pickle output at every protocol (tests/data/pickles/, from
scripts/build_pickle_fixtures.py --only protocols --only getattr): what a protocol writes
differently must not change what the scan reads. Never loaded, only scanned."""

from __future__ import annotations

from pathlib import Path

import pytest

from modellint.analyzer.serialized.pickles import scan_file
from tests.analyzer.test_pickles import called, unsafe

DATA = Path(__file__).resolve().parent.parent / "data" / "pickles"


def embedded(name: str) -> list[tuple[object, ...]]:
    result = scan_file(DATA / name)
    assert result.kind == "pickle" and result.problems == ()
    assert unsafe(result) == set()
    return [(code.qualname, code.imports, code.names, code.python_minors) for code in result.embedded_code]


@pytest.mark.parametrize("protocol", [2, 3, 5])
def test_by_value_code_reads_the_same_at_every_protocol(protocol):
    """Protocol 2 (torch's default, so mlflow.pytorch's) stores co_code as ``_codecs.encode(text, "latin1")``."""
    assert embedded(f"by_value_p{protocol}.pkl") == embedded("by_value_p4.pkl")


def test_the_by_value_fixture_holds_what_the_comparison_needs():
    codes = {qualname: (imports, minors) for qualname, imports, _, minors in embedded("by_value_p2.pkl")}
    assert codes["protocol_fixtures.<locals>.make_model.<locals>.Scorer.predict"] == (("tabulate",), ((3, 11),))
    assert "protocol_fixtures.<locals>.<lambda>" in codes
    assert "_codecs.encode" in called(scan_file(DATA / "by_value_p2.pkl"))
