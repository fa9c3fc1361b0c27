"""Rule selectors: a code (`ML103`), a prefix (`ML1`), a name (`defaults-channel`) or `ALL`."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from modellint.record import Record
from modellint.rules import ENTRIES_BY_NAME, RULE_TABLE, Rule, rule_class


class SelectorError(ValueError):
    pass


def expand(selector: str) -> frozenset[str]:
    """The codes a selector names; raises :class:`SelectorError` for one that names none."""
    text = selector.strip()
    if text.upper() == "ALL":
        return frozenset(entry.code for entry in RULE_TABLE)
    if text.lower() in ENTRIES_BY_NAME:
        return frozenset({ENTRIES_BY_NAME[text.lower()].code})
    upper = text.upper()
    codes = frozenset(entry.code for entry in RULE_TABLE if entry.code.startswith(upper))
    if not codes or not re.fullmatch(r"ML\d{0,3}", upper):
        raise SelectorError(f"unknown rule selector `{selector}` (expected a code such as ML103, a prefix such as ML1, a rule name, or ALL)")
    return codes


def expand_all(selectors: Iterable[str]) -> frozenset[str]:
    codes: set[str] = set()
    for selector in selectors:
        codes |= expand(selector)
    return frozenset(codes)


class RuleSelection(Record):
    __slots__ = ("select", "extend_select", "ignore", "per_path_ignores")

    def __init__(self, select: Sequence[str] | None = None, extend_select: Sequence[str] = (),
                 ignore: Sequence[str] = (), per_path_ignores: dict[str, Sequence[str]] | None = None) -> None:
        self.select = select
        self.extend_select = extend_select
        self.ignore = ignore
        self.per_path_ignores = {} if per_path_ignores is None else per_path_ignores

    def enabled_codes(self) -> frozenset[str]:
        base = expand_all(self.select) if self.select is not None else expand("ALL")
        return (base | expand_all(self.extend_select)) - expand_all(self.ignore)

    def enabled_rules(self, *, standalone_files_only: bool = False) -> list[type[Rule]]:
        """The enabled rule classes, in code order; with ``standalone_files_only`` just those that
        judge a lone serialized file, so the others' modules are never imported."""
        codes = self.enabled_codes()
        return [rule_class(entry.code) for entry in RULE_TABLE
                if entry.code in codes and (entry.standalone_file or not standalone_files_only)]

    def ignored_for(self, relative_path: str) -> frozenset[str]:
        """Codes ignored for one file by `per-path-ignores` (globs; a leading `!` negates)."""
        ignored: set[str] = set()
        for pattern, selectors in self.per_path_ignores.items():
            negate = pattern.startswith("!")
            matched = path_matches(relative_path, pattern[1:] if negate else pattern)
            if matched != negate:
                ignored |= expand_all(selectors)
        return frozenset(ignored)

    def validate(self) -> None:
        """Expand every selector once so a typo is a usage error before any work is done."""
        self.enabled_codes()
        for selectors in self.per_path_ignores.values():
            expand_all(selectors)


def path_matches(relative_path: str, pattern: str) -> bool:
    """Glob match where `**` spans directories and a pattern without `/` matches any component."""
    path = PurePosixPath(relative_path)
    if "/" not in pattern.rstrip("/"):
        return any(fnmatch.fnmatchcase(part, pattern.rstrip("/")) for part in path.parts)
    regex = _glob_to_regex(pattern.rstrip("/"))
    return any(re.fullmatch(regex, str(PurePosixPath(*path.parts[:end]))) for end in range(1, len(path.parts) + 1))


def _glob_to_regex(pattern: str) -> str:
    out, index = [], 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return "".join(out)
