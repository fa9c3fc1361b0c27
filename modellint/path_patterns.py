"""gitignore-style path patterns: `.gitignore` files and the `exclude` settings.

One syntax for both, git's (gitignore(5)): a pattern without a slash (other than a trailing
one) matches a name at any depth; with one it is anchored to its base directory (the folder of
the `.gitignore`, the config file, or the working directory for the command line); a trailing
``/`` matches directories only; ``*``, ``?`` and ``[...]`` never match ``/``; ``**`` as a whole
segment matches any number of directories (``a/**`` everything inside ``a``); ``!`` re-includes;
the last matching pattern wins.

Each segment is matched with :func:`fnmatch.translate`, whose regular expressions do not
backtrack catastrophically, and ``**`` with a table over the segments: a hostile `.gitignore`
of ``*a*a*a...`` lines costs time linear in its size, never exponential.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from modellint.record import Record

# A real .gitignore is a few KB and a few hundred lines. One over these budgets, or one that would
# take the patterns in force past MAX_ACTIVE, is not honoured at all: more gets linted, never less,
# and a hostile folder cannot make every directory entry cost millions of matches.
GITIGNORE_BYTES = 1 << 20
MAX_PATTERNS = 2000
MAX_ACTIVE = 5000
_ANY = "**"


class PathPattern(Record):
    """One pattern, compiled: segments (``**``, a literal name, or a regex), relative to ``base``."""

    __slots__ = ("text", "base", "segments", "negated", "directory_only", "prefix")
    _uncompared = frozenset({"segments", "prefix"})

    def __init__(self, text: str, base: Path, segments: tuple, negated: bool, directory_only: bool,
                 prefix: str) -> None:
        self.text = text
        self.base = base
        self.segments = segments
        self.negated = negated
        self.directory_only = directory_only
        self.prefix = prefix  # str(base) ending in "/": what a path below base starts with

    @classmethod
    def parse(cls, line: str, base: Path) -> PathPattern | None:
        """The pattern of one gitignore line, or None for a blank line or a comment."""
        text = line.rstrip("\n\r")
        if not text or text.startswith("#"):
            return None
        text = _strip_trailing_spaces(text)
        negated = text.startswith("!")
        if negated:
            text = text[1:]
        elif text.startswith(("\\!", "\\#")):
            text = text[1:]
        directory_only = text.endswith("/")
        text = text.rstrip("/")
        if not text:
            return None
        anchored = "/" in text
        parts = [part for part in text.split("/") if part]
        if not parts:
            return None
        if not anchored and parts != [_ANY]:
            parts = [_ANY, *parts]
        segments = tuple(_ANY if part == _ANY else _segment(part) for part in parts)
        prefix = str(base).rstrip("/") + "/"
        return cls(line.strip(), base, segments, negated, directory_only, prefix)

    def matches(self, path: str, is_dir: bool) -> bool:
        """Whether ``path`` (absolute, normalised, a string) is matched; False when not below ``base``."""
        if self.directory_only and not is_dir:
            return False
        if not path.startswith(self.prefix):
            return False
        segments = self.segments
        if len(segments) == 2 and segments[0] == _ANY:  # a bare name: the usual case, and cheap
            return _segment_matches(segments[1], path[path.rfind("/") + 1:])
        last = segments[-1]
        if last != _ANY and not _segment_matches(last, path[path.rfind("/") + 1:]):
            return False  # the last name is the last segment's to match: `**/mlruns/.trash` wants `.trash`
        names = path[len(self.prefix):].split("/")
        return names != [""] and _match(segments, names)


def any_matches(patterns: Sequence[PathPattern]) -> Callable[[str, bool], bool]:
    """A test answering ``any(pattern.matches(path, is_dir) for pattern in patterns)``, with the
    bare names (most exclusions: ``.git``, ``node_modules``...) looked up by the path's last name
    at once rather than tried one by one: a store's folder search asks it for every folder."""
    by_name: dict[str, list[tuple[str, bool]]] = {}
    others = []
    for pattern in patterns:
        segments = pattern.segments
        if len(segments) == 2 and segments[0] == _ANY and isinstance(segments[1], str) and segments[1] != _ANY:
            by_name.setdefault(segments[1], []).append((pattern.prefix, pattern.directory_only))
        else:
            others.append(pattern)

    def matches(path: str, is_dir: bool) -> bool:
        named = by_name.get(path[path.rfind("/") + 1:])
        if named is not None:
            for prefix, directory_only in named:
                if (is_dir or not directory_only) and path.startswith(prefix):
                    return True
        return any(pattern.matches(path, is_dir) for pattern in others)

    return matches


def _segment_matches(segment, name: str) -> bool:
    return segment == name if isinstance(segment, str) else segment.match(name) is not None


def _strip_trailing_spaces(text: str) -> str:
    """git drops trailing spaces unless the last one is escaped with a backslash."""
    stripped = text.rstrip(" ")
    if stripped != text and stripped.endswith("\\"):
        return stripped[:-1] + " "
    return stripped


def _segment(part: str) -> str | re.Pattern[str]:
    """A literal name as itself (a string comparison), anything with wildcards as a regex."""
    if not any(char in part for char in "*?[\\"):
        return part
    import fnmatch

    # `\x` is a literal x in git; fnmatch has no escapes but treats `[x]` as the literal x.
    literal = re.sub(r"\\(.)", lambda match: f"[{match.group(1)}]" if match.group(1) in "*?[" else match.group(1), part)
    return re.compile(fnmatch.translate(literal))


def _match(segments: tuple, names: list[str]) -> bool:
    """Segments against path components; ``**`` takes zero or more (one or more when last)."""
    count = len(names)
    # reachable[j]: the segments so far can consume exactly names[:j]
    reachable = [True] + [False] * count
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        following = [False] * (count + 1)
        if segment == _ANY:
            seen = False
            for position in range(count + 1):
                if last:  # `a/**`: everything inside, not `a` itself
                    following[position] = seen
                    seen = seen or reachable[position]
                else:
                    seen = seen or reachable[position]
                    following[position] = seen
        else:
            for position in range(count):
                if reachable[position] and _segment_matches(segment, names[position]):
                    following[position + 1] = True
        reachable = following
    return reachable[count]


def parse_all(lines, base: Path) -> list[PathPattern]:
    """The patterns of ``lines`` relative to ``base``, without the blank and comment lines."""
    return [pattern for pattern in (PathPattern.parse(line, base) for line in lines) if pattern]


def parse_lines(text: str, base: Path) -> list[PathPattern]:
    """The patterns of a gitignore text; of identical lines only the last, the only one that can decide."""
    return parse_all(list(dict.fromkeys(reversed(text.splitlines())))[::-1], base)


def read_gitignore(directory: Path, active: int = 0) -> list[PathPattern]:
    """The patterns of ``directory/.gitignore``; none when it is missing, unreadable, not a regular
    file, or over the budgets (``active``: how many patterns are already in force)."""
    path = directory / ".gitignore"
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return []
    try:
        import stat

        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return []
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            raw = handle.read(GITIGNORE_BYTES + 1)
    except OSError:
        return []
    finally:
        os.close(descriptor)
    if len(raw) > GITIGNORE_BYTES:
        return []
    found = parse_lines(raw.decode("utf-8", "replace"), directory)
    if len(found) > MAX_PATTERNS or active + len(found) > MAX_ACTIVE:
        return []
    return found


def decide(patterns: list[PathPattern], path: str, is_dir: bool) -> bool | None:
    """True (ignored), False (re-included by ``!``) or None (no pattern matches): the last match wins."""
    for pattern in reversed(patterns):
        if pattern.matches(path, is_dir):
            return not pattern.negated
    return None
