"""The data tables of the ML5xx rules: they parse, and every entry is one the rest of modellint
can stand behind (a backport the knowledge base records, of a module the standard library
really ships from the Python the table names)."""

from __future__ import annotations

import pytest

from modellint.analyzer.knowledge.distributions import load
from modellint.analyzer.knowledge.platform_only import PLATFORMS, parse_platform_only, platform_only
from modellint.analyzer.knowledge.stdlib import stdlib_modules
from modellint.analyzer.knowledge.stdlib_backports import parse_backports, stdlib_backports


@pytest.mark.parametrize("distribution", sorted(stdlib_backports()))
def test_backport_is_known_and_its_module_is_standard(distribution):
    backport = stdlib_backports()[distribution]
    assert load().is_known(distribution)
    assert backport.source.startswith("https://")
    top = backport.module.split(".")[0]
    oldest_recorded = (3, 6)  # the standard-library data starts there
    assert top in stdlib_modules(max(backport.since, oldest_recorded))


def test_backport_table_is_sorted():
    assert list(stdlib_backports()) == sorted(stdlib_backports())


@pytest.mark.parametrize("distribution", sorted(platform_only()))
def test_platform_only_entry(distribution):
    entry = platform_only()[distribution]
    assert entry.platform in PLATFORMS and entry.source.startswith("https://")
    assert entry.linux_alternative is None or load().is_known(entry.linux_alternative)


def test_platform_table_is_sorted():
    assert list(platform_only()) == sorted(platform_only())


@pytest.mark.parametrize("parse", [parse_backports, parse_platform_only])
@pytest.mark.parametrize("line", ["a\tb", "a\tb\tc\td\te\tf\tg", "a\t \tc\td\te"])
def test_malformed_line_names_the_file_and_line(parse, line):
    with pytest.raises(ValueError, match=r"\.tsv:2:"):
        parse("# header\n" + line + "\n")


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="X.Y"):
        parse_backports("enum34\tenum\tthree\tinstalls\thttps://x\n")
    with pytest.raises(ValueError, match="platform"):
        parse_platform_only("pywin32\twindows\t-\tfails\thttps://x\n")
