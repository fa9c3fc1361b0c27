"""The standard library's top-level modules per CPython 3.x version, from stdlib-list's data.

Its own module, outside the knowledge base package, because judging a lone pickle (ML302) needs
it and nothing else of the knowledge base.
"""

from __future__ import annotations

from functools import lru_cache

# What changed at the top level of the standard library, per minor version. Used to derive a
# version the installed stdlib-list has no data for (older releases of it stop at 3.12), and
# checked against stdlib-list's own data by the tests.
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
# Noise in stdlib-list's data: a conda build's sysconfig modules and a stray "lib" (3.9), and the
# regression-test package, which sys.stdlib_module_names leaves out too.
_NOT_STDLIB = {"lib", "test", "_sysconfigdata_x86_64_conda_cos6_linux_gnu", "_sysconfigdata_x86_64_conda_linux_gnu"}


def _stdlib_list_versions() -> list[tuple[int, int]]:
    import stdlib_list

    return sorted(tuple(int(p) for p in v.split(".")[:2]) for v in stdlib_list.short_versions if v.startswith("3."))


@lru_cache(maxsize=None)
def _stdlib_list_data(python: tuple[int, int]) -> frozenset[str]:
    import stdlib_list

    return frozenset(m.split(".")[0] for m in stdlib_list.stdlib_list(f"{python[0]}.{python[1]}")) - _NOT_STDLIB


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

    From stdlib-list's data for that version; a module it lists for both neighbouring versions
    is kept too (its 3.9 file misses ``_json``, ``pyexpat``...). A version it has no data for is
    derived from the nearest one it has with the change tables above.
    """
    python = (int(python[0]), int(python[1]))
    if python[0] != 3:
        raise ValueError(f"no standard-library data for Python {python[0]}.{python[1]}")
    covered = _stdlib_list_versions()
    if python not in covered:
        nearest = min(covered, key=lambda v: (abs(v[1] - python[1]), v))
        return _derive_stdlib(stdlib_modules(nearest), nearest, python)
    names = set(_stdlib_list_data(python))
    before, after = (3, python[1] - 1), (3, python[1] + 1)
    if before in covered and after in covered:
        names |= _stdlib_list_data(before) & _stdlib_list_data(after)
    return frozenset(names)
