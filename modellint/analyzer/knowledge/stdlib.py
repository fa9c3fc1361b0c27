"""The standard library's top-level modules per CPython 3.x version, from stdlib-list's data.

The data is compiled into :mod:`.stdlib_data` by scripts/build_stdlib.py, so start-up does not
import stdlib-list, and the answer does not depend on which stdlib-list release is installed.
Its own module, apart from :mod:`.distributions`, because judging a lone pickle (ML302) needs it
and nothing else of the knowledge base (the package's ``__init__`` imports nothing).
"""

from __future__ import annotations

from functools import lru_cache

from modellint.analyzer.knowledge.stdlib_data import MINORS, NAMES

# What changed at the top level of the standard library, per minor version. Used to derive a
# version stdlib-list had no data for, and checked against its data by the tests.
_STDLIB_ADDED = {
    (3, 11): {"tomllib", "_tokenize", "_typing"},
    (3, 12): {"_pydatetime", "_pylong", "_sha2", "_wmi"},
    (3, 13): {
        "_android_support", "_apple_support", "_colorize", "_interpchannels", "_interpqueues",
        "_interpreters", "_ios_support", "_opcode_metadata", "_pyrepl", "_suggestions", "_sysconfig",
    },
    (3, 14): {"annotationlib", "compression", "_ast_unparse", "_hmac", "_py_warnings", "_remote_debugging", "_types", "_zstd"},
}
_STDLIB_REMOVED = {
    (3, 11): {"binhex"},
    (3, 12): {"distutils", "imp", "asynchat", "asyncore", "smtpd", "_bootsubprocess", "_sha256", "_sha512", "xxsubtype"},
    (3, 13): {
        "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis",
        "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
        "lib2to3", "_crypt", "_msi",
    },
    (3, 14): {"_compression"},
}
def _derive_stdlib(names: frozenset[str], start: tuple[int, int], target: tuple[int, int]) -> frozenset[str]:
    """Walk the change tables from version ``start`` (whose names are given) to ``target``."""
    result, minor = set(names), start[1]
    while minor < target[1]:
        minor += 1
        result = (result | _STDLIB_ADDED.get((3, minor), set())) - _STDLIB_REMOVED.get((3, minor), set())
    while minor > target[1]:
        result = (result - _STDLIB_ADDED.get((3, minor), set())) | _STDLIB_REMOVED.get((3, minor), set())
        minor -= 1
    return frozenset(result)


@lru_cache(maxsize=None)
def stdlib_modules(python: tuple[int, int]) -> frozenset[str]:
    """Top-level standard-library module names of CPython ``python`` (3.x).

    A version stdlib-list has no data for is derived from the nearest one it has with the
    change tables above.
    """
    major, minor = int(python[0]), int(python[1])
    if major != 3:
        raise ValueError(f"no standard-library data for Python {major}.{minor}")
    if minor in MINORS:
        return _recorded(minor)
    nearest = min(MINORS, key=lambda covered: (abs(covered - minor), covered))
    return _derive_stdlib(_recorded(nearest), (3, nearest), (3, minor))


def _recorded(minor: int) -> frozenset[str]:
    index = MINORS.index(minor)
    return frozenset(name for name, presence in NAMES.items() if presence[index] == "1")
