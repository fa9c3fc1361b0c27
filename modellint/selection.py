"""Rule selectors: a code (`ML103`), a prefix (`ML1`), a name (`defaults-channel`) or `ALL`.

A deployment target's own rules (ML6xx, see :mod:`modellint.rules._targets`) run when `--target`
names a target that enables them, or when a selector names one by its code or name; `ALL` and a
prefix do not reach the rules of a target that was not chosen.

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
from typing import NoReturn

from modellint.findings import Severity
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
from modellint.rules._targets import DEFAULT_TARGET, TARGET_ONLY_CODES, raised_severities
from modellint.rules._targets import enabled_codes as target_rules

# A code or a prefix of one: all its letters, then none to all of its digits. A selector with a
# hyphen is a rule name (every name has one).
_CODE_SELECTOR = re.compile(r"([A-Z]{1,8})([0-9]{0,3})")
_BUILTIN_CODES = frozenset(entry.code for entry in RULE_TABLE)


class SelectorError(ValueError):
    pass


def expand(selector: str, *, plugins: bool = True, unchosen: frozenset[str] = frozenset()) -> frozenset[str]:
    """The codes a selector names; raises :class:`SelectorError` for one that names none.

    A selector that no built-in rule answers is looked up in the installed plugins, unless
    ``plugins`` is False (then it names nothing). ``ALL`` and a prefix leave out the ``unchosen``
    codes (the rules of targets not chosen); a full code or a name still names one.
    """
    text = selector.strip()
    upper = text.upper()
    if upper == "ALL":
        return _BUILTIN_CODES - unchosen
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
        if len(digits) < 3:  # a prefix (a rule a target did not enable is still there: no error)
            return codes - unchosen if codes else _unknown(selector, searched_plugins)
    return codes if codes else _unknown(selector, searched_plugins)


def _unknown(selector: str, searched_plugins: bool) -> NoReturn:
    plugin_note = "; no installed plugin has a rule it names" if searched_plugins else ""
    raise SelectorError(f"unknown rule selector `{selector}` (expected a code such as ML103, a prefix such as ML1, "
                        f"a rule name, or ALL{plugin_note})")


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


def expand_all(selectors: Iterable[str], unchosen: frozenset[str] = frozenset()) -> frozenset[str]:
    codes: set[str] = set()
    for selector in selectors:
        codes |= expand(selector, unchosen=unchosen)
    return frozenset(codes)


class RuleSelection(Record):
    __slots__ = ("select", "extend_select", "ignore", "per_path_ignores", "targets")

    def __init__(self, select: Sequence[str] | None = None, extend_select: Sequence[str] = (),
                 ignore: Sequence[str] = (), per_path_ignores: Mapping[str, Sequence[str]] | None = None,
                 targets: Sequence[str] = (DEFAULT_TARGET,)) -> None:
        self.select = select
        self.extend_select = extend_select
        self.ignore = ignore
        self.per_path_ignores = {} if per_path_ignores is None else per_path_ignores
        self.targets = tuple(targets)  # deployment targets (`--target`), validated by :meth:`validate`

    def enabled_codes(self) -> frozenset[str]:
        unchosen = TARGET_ONLY_CODES - target_rules(self.targets)
        base = expand_all(self.select, unchosen) if self.select is not None else expand("ALL", unchosen=unchosen)
        return (base | expand_all(self.extend_select, unchosen)) - expand_all(self.ignore)

    def severity_for(self, code: str, severity: Severity) -> Severity:
        """A finding's severity once the chosen targets have raised it (never lowered)."""
        raised = raised_severities(self.targets).get(code)
        return severity if raised is None else max(severity, raised)

    def enabled_rules(self, *, standalone_files_only: bool = False) -> list[type[Rule]]:
        """The enabled rule classes, built-in then plugins', each in code order; with
        ``standalone_files_only`` just those that judge a lone serialized file, so the others'
        modules are never imported."""
        return [rule_class(entry.code) for entry in self.enabled_entries(standalone_files_only=standalone_files_only)]

    def enabled_entries(self, *, standalone_files_only: bool = False) -> list[RuleEntry]:
        """The entries of :meth:`enabled_rules`, without importing a rule's module."""
        codes = self.enabled_codes()
        entries = [*(entry for entry in RULE_TABLE if entry.code in codes),
                   *(ENTRIES_BY_CODE[code] for code in sorted(codes - _BUILTIN_CODES))]
        return [entry for entry in entries if entry.standalone_file or not standalone_files_only]

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
        """Expand every selector and target once so a typo is a usage error before any work is done."""
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
