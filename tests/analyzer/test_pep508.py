"""The fast path of ``parse_requirement`` agrees with ``packaging.requirements.Requirement``.

Agreement means: both reject the line, or both accept it with the same name, extras,
specifiers, URL and marker. Checked on every requirement line of the real-models corpus and
of this repository's corpus, and on generated lines around the edges of the common shape.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from modellint.analyzer.environment.pep508 import SimpleRequirement, parse_requirement
from tests.conftest import REAL_MODELS, REPO, needs_shared

_COMMENT = re.compile(r"(^|\s+)#.*$")

NAMES = ["a", "Foo_Bar", "x.y-z", "1abc", "-x", "x-", "x.", "é", "a b", "scikit-learn"]
EXTRAS = ["", "[]", "[a]", "[a,b]", "[ a , b ]", "[a,]", "[,a]", "[a b]", "[a", "[a_b.c-d]", " [a]"]
SPECIFIERS = [
    "", "==1", ">=1,<2", " >= 1 , < 2 ", "==1.*", "!=1.*", "~=1", "~=1.0", "===x y", "===x", "==1.0+local",
    ">1.0+local", "==1,", ",==1", "==1,,<2", "==1, ==1", "=1", "==", "== 1", "==1 2", "<=1.0a1", "(==1)",
    " (==1)", "==1;", "==1 ; python_version>'3'", ";python_version>'3'", " @ https://h/p.whl",
    "@https://h/p.whl ; os_name=='nt'", "==1\u00a0", "==1\t", "==1.0.*.post1", ">=1.0.dev0", "==v1", "==1 #x",
    "<>1", "== 1.0 , != 1.5", "==1[", "==1@x", "~=1.0.*", "()", " ( >=1 , <2 ) ", "(>=1)x", "(>=1", "(==1;)",
    "( ==1.*)", "(>=1) ", "(>=1),", "((>=1))",
]


def outcome(parse, text: str) -> tuple:
    try:
        requirement = parse(text)
    except ValueError:
        return ("invalid",)
    marker = str(requirement.marker) if requirement.marker is not None else None
    return (requirement.name, set(requirement.extras), str(requirement.specifier), requirement.url, marker)


def corpus_lines(*roots: Path) -> list[str]:
    lines: set[str] = set()
    for root in roots:
        for path in root.rglob("requirements.txt"):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                content = _COMMENT.sub("", line).strip()
                if content and not content.startswith("-"):
                    lines.add(content)
        for path in root.rglob("conda.yaml"):
            try:
                document = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
            except yaml.YAMLError:
                continue
            for dependency in (document or {}).get("dependencies", []) if isinstance(document, dict) else []:
                if isinstance(dependency, dict):
                    lines.update(str(item) for item in dependency.get("pip", None) or [])
    return sorted(lines)


@pytest.mark.parametrize(("roots", "at_least"), [
    pytest.param((REPO / "corpus",), 20, id="corpus"),
    pytest.param((REAL_MODELS, REPO / "corpus"), 300, id="real-models", marks=needs_shared(REAL_MODELS)),
])
def test_corpus_lines_parse_as_packaging_parses_them(roots: tuple[Path, ...], at_least: int) -> None:
    lines = corpus_lines(*roots)
    assert len(lines) > at_least
    assert [text for text in lines if outcome(parse_requirement, text) != outcome(Requirement, text)] == []
    valid = [text for text in lines if outcome(Requirement, text) != ("invalid",)]
    fast = [text for text in valid if isinstance(parse_requirement(text), SimpleRequirement)]
    assert len(fast) > 0.9 * len(valid)


def test_knowledge_base_requires_dist_lines_parse_as_packaging_parses_them() -> None:
    """Every 7th Requires-Dist line of the shipped knowledge base: real metadata, old and new."""
    from modellint.analyzer.knowledge.distributions import DATA_FILE

    lines = []
    for row in DATA_FILE.read_text(encoding="utf-8").split("\n")[2:]:
        lines.extend(row.split("\t")[7:])
    sample = lines[::7]
    assert len(sample) > 5000
    assert [text for text in sample if outcome(parse_requirement, text) != outcome(Requirement, text)] == []


def test_generated_lines_parse_as_packaging_parses_them() -> None:
    lines = [f"{name}{extras}{specifier}" for name, extras, specifier in itertools.product(NAMES, EXTRAS, SPECIFIERS)]
    assert [text for text in lines if outcome(parse_requirement, text) != outcome(Requirement, text)] == []
    outcomes = {outcome(Requirement, text) == ("invalid",) for text in lines}
    assert outcomes == {True, False}  # the product holds both valid and invalid lines


def test_the_common_shape_takes_the_fast_path() -> None:
    for text in ["mlflow==3.1.0", "scikit-learn>=1.3,<2", "pandas[performance] ~= 2.2", "cloudpickle"]:
        assert isinstance(parse_requirement(text), SimpleRequirement), text


def test_a_marker_or_url_goes_to_packaging() -> None:
    assert not isinstance(parse_requirement("a; python_version < '3.11'"), SimpleRequirement)
    assert parse_requirement("a @ https://h/a-1.0-py3-none-any.whl").url == "https://h/a-1.0-py3-none-any.whl"


def test_a_fast_path_requirement_prints_as_packaging_prints_it() -> None:
    for text in ["Foo_Bar [b, a] >=1,<2", "x", "x[]", "y===abc"]:
        assert str(parse_requirement(text)) == str(Requirement(text))


def test_per_requirement_remembers_by_identity_not_by_packagings_equality():
    from packaging.requirements import Requirement

    from modellint.analyzer.environment.requirements import per_requirement

    calls = []

    def version_of(requirement):
        calls.append(requirement)
        return next(iter(requirement.specifier)).version

    remembered = per_requirement(version_of, maxsize=2)
    short, long = Requirement("numpy==1.0; python_version > '3'"), Requirement("numpy==1.0.0; python_version > '3'")
    assert short == long  # packaging equates the two spellings
    assert [remembered(short), remembered(long), remembered(short), remembered(long)] == ["1.0", "1.0.0", "1.0", "1.0.0"]
    assert calls == [short, long]
    third = Requirement("scipy==1.2")
    assert remembered(third) == "1.2"  # over the bound: forgotten, then computed again
    assert remembered(short) == "1.0" and len(calls) == 4


def test_a_pins_version_is_its_own_spelling_after_an_equal_one():
    """packaging equates `==1.0` and `==1.0.0` (lines with a marker go to packaging's parser):
    the version a line pins is still the one it writes, whichever was read first."""
    from modellint.analyzer.environment.requirements import classify_requirement
    from modellint.findings import Span

    short = classify_requirement('numpy==1.0; python_version > "3"', Path("r"), Span())
    long = classify_requirement('numpy==1.0.0; python_version > "3"', Path("r"), Span())
    assert short.requirement == long.requirement
    assert (short.pinned_version, long.pinned_version) == ("1.0", "1.0.0")


def test_a_replaced_requirement_brings_its_own_name_and_pin() -> None:
    # RequirementLine keeps name and pin, worked out from `requirement`: a copy with another
    # requirement must not keep the first line's.
    from modellint.analyzer.environment.requirements import classify_requirement
    from modellint.findings import Span

    pinned = classify_requirement("Scikit_Learn==1.0", Path("requirements.txt"), Span(1, 1))
    other = classify_requirement("numpy>=2", Path("requirements.txt"), Span(2, 1))
    copy = pinned.replace(requirement=other.requirement, text=other.text)
    assert (copy.name, copy.pin, copy.pinned_version) == ("numpy", (None, None), None)
    assert copy == other.replace(span=pinned.span)
    assert pinned.replace(span=Span(3, 1)).pin == ("==", "1.0")
