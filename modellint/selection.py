"""Rule selectors: a code (`ML103`), a prefix (`ML1`), a name (`defaults-channel`) or `ALL`.

A plugin's rules are selected the same way, by its prefix (`ACME`), a code (`ACME001`) or a name.
`ALL` is the built-in rules: a plugin's rule runs only where the configuration names it, so what
happens to be installed never changes a run that does not ask for it, and the plugins are read
only for a selector that no built-in rule answers (see :mod:`modellint.rules`).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath

from modellint.record import Record
from modellint.rules import (
    BUILTIN_PREFIX,
    ENTRIES_BY_CODE,
    ENTRIES_BY_NAME,
    RULE_TABLE,
    Rule,
    RuleEntry,
    plugin_entries,
    rule_class,
)

# A code or a prefix of one: all its letters, then none to all of its digits. A selector with a
# hyphen is a rule name (every name has one).
_CODE_SELECTOR = re.compile(r"([A-Z]{1,8})([0-9]{0,3})")
_BUILTIN_CODES = frozenset(entry.code for entry in RULE_TABLE)


class SelectorError(ValueError):
    pass


def expand(selector: str, *, plugins: bool = True) -> frozenset[str]:
    """The codes a selector names; raises :class:`SelectorError` for one that names none.

    A selector that no built-in rule answers is looked up in the installed plugins, unless
    ``plugins`` is False (then it names nothing).
    """
    text = selector.strip()
    upper = text.upper()
    if upper == "ALL":
        return _BUILTIN_CODES
    codes: frozenset[str] = frozenset()
    searched_plugins = False
    if "-" in text:
        entry = ENTRIES_BY_NAME.builtin(text.lower())
        if entry is None and plugins:
            entry, searched_plugins = ENTRIES_BY_NAME.get(text.lower()), True
        if entry is not None:
            codes = frozenset({entry.code})
    elif match := _CODE_SELECTOR.fullmatch(upper):
        letters, digits = match.groups()
        candidates: Iterable[str] = ()
        if letters == BUILTIN_PREFIX:
            candidates = _BUILTIN_CODES
        elif plugins and not letters.startswith(BUILTIN_PREFIX):  # (no plugin's code starts so)
            candidates, searched_plugins = [entry.code for entry in plugin_entries()], True
        codes = frozenset(code for code in candidates if code[:-3] == letters and code[len(letters):].startswith(digits))
    if not codes:
        plugin_note = "; no installed plugin has a rule it names" if searched_plugins else ""
        raise SelectorError(f"unknown rule selector `{selector}` (expected a code such as ML103, a prefix such as ML1, "
                            f"a rule name, or ALL{plugin_note})")
    return codes


def named_rule(text: str) -> RuleEntry | None:
    """The rule a code (`ML103`, `ACME001`) or a name names, if any: `modellint rule`. Only one that
    no built-in rule could have reads the plugins."""
    text = text.strip()
    if "-" in text:
        return ENTRIES_BY_NAME.get(text.lower())
    code = text.upper()
    return ENTRIES_BY_CODE.builtin(code) if code.startswith(BUILTIN_PREFIX) else ENTRIES_BY_CODE.get(code)


def names(selector: str, code: str) -> bool:
    """Whether ``selector`` names the rule ``code``; False for a selector that names no rule.

    For suppression comments, which are in the model's own files: the plugins are read only for
    the finding of a plugin's rule (they have run), so a comment cannot make a run read them.
    """
    try:
        return code in expand(selector, plugins=code not in _BUILTIN_CODES)
    except SelectorError:
        return False


def expand_all(selectors: Iterable[str]) -> frozenset[str]:
    codes: set[str] = set()
    for selector in selectors:
        codes |= expand(selector)
    return frozenset(codes)


class RuleSelection(Record):
    __slots__ = ("select", "extend_select", "ignore", "per_path_ignores")

    def __init__(self, select: Sequence[str] | None = None, extend_select: Sequence[str] = (),
                 ignore: Sequence[str] = (), per_path_ignores: Mapping[str, Sequence[str]] | None = None) -> None:
        self.select = select
        self.extend_select = extend_select
        self.ignore = ignore
        self.per_path_ignores = {} if per_path_ignores is None else per_path_ignores

    def enabled_codes(self) -> frozenset[str]:
        base = expand_all(self.select) if self.select is not None else expand("ALL")
        return (base | expand_all(self.extend_select)) - expand_all(self.ignore)

    def enabled_rules(self, *, standalone_files_only: bool = False) -> list[type[Rule]]:
        """The enabled rule classes, built-in then plugins', each in code order; with
        ``standalone_files_only`` just those that judge a lone serialized file, so the others'
        modules are never imported."""
        codes = self.enabled_codes()
        entries = [*(entry for entry in RULE_TABLE if entry.code in codes),
                   *(ENTRIES_BY_CODE[code] for code in sorted(codes - _BUILTIN_CODES))]
        return [rule_class(entry.code) for entry in entries if entry.standalone_file or not standalone_files_only]

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
