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
    """One pattern, compiled: segments (regexes or ``**``), relative to ``base``."""

    __slots__ = ("text", "base", "segments", "negated", "directory_only")
    _uncompared = frozenset({"segments"})

    def __init__(self, text: str, base: Path, segments: tuple, negated: bool, directory_only: bool) -> None:
        self.text = text
        self.base = base
        self.segments = segments
        self.negated = negated
        self.directory_only = directory_only

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
        return cls(line.strip(), base, segments, negated, directory_only)

    def matches(self, path: Path, is_dir: bool) -> bool:
        """Whether ``path`` (absolute, normalised) is matched; False when it is not below ``base``."""
        if self.directory_only and not is_dir:
            return False
        if len(self.segments) == 2 and self.segments[0] == _ANY:  # a bare name: the usual case, and cheap
            return self.segments[1].match(path.name) is not None and self.base in path.parents
        try:
            names = path.relative_to(self.base).parts
        except ValueError:
            return False
        return bool(names) and _match(self.segments, names)


def _strip_trailing_spaces(text: str) -> str:
    """git drops trailing spaces unless the last one is escaped with a backslash."""
    stripped = text.rstrip(" ")
    if stripped != text and stripped.endswith("\\"):
        return stripped[:-1] + " "
    return stripped


def _segment(part: str) -> re.Pattern[str]:
    import fnmatch

    # `\x` is a literal x in git; fnmatch has no escapes but treats `[x]` as the literal x.
    literal = re.sub(r"\\(.)", lambda match: f"[{match.group(1)}]" if match.group(1) in "*?[" else match.group(1), part)
    return re.compile(fnmatch.translate(literal))


def _match(segments: tuple, names: tuple[str, ...]) -> bool:
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
                if reachable[position] and segment.match(names[position]):
                    following[position + 1] = True
        reachable = following
    return reachable[count]


def parse_lines(text: str, base: Path) -> list[PathPattern]:
    return [pattern for pattern in (PathPattern.parse(line, base) for line in text.splitlines()) if pattern]


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


def decide(patterns: list[PathPattern], path: Path, is_dir: bool) -> bool | None:
    """True (ignored), False (re-included by ``!``) or None (no pattern matches): the last match wins."""
    for pattern in reversed(patterns):
        if pattern.matches(path, is_dir):
            return not pattern.negated
    return None
