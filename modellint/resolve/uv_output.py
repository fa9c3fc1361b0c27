"""What ``uv pip compile`` said: its outcome, the lines that explain it and the requirements it
blames. Shared by ``--resolve`` and ``scripts/record_real_resolution.py`` (which records uv's
answers for the real models and the corpus), so both read uv the same way. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

EXPLANATION_LINES = 6

# Outcomes that say the environment cannot be built as declared, and those that say nothing.
FAILED = frozenset({"unsatisfiable", "invalid_requirements"})
UNDETERMINED = frozenset({"build_failed", "index_unreachable", "timeout", "unsupported_python",
                          "no_python", "no_requirements", "uv_error"})


def normalize(name: str) -> str:
    """PEP 503: ``Scikit_Learn`` -> ``scikit-learn``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def classify(exit_code: int | None, stderr: str) -> str:
    """The status of a finished ``uv pip compile``: ``resolved``, ``unsatisfiable``,
    ``invalid_requirements``, ``build_failed``, ``index_unreachable``, ``unsupported_python``,
    ``timeout`` (``exit_code`` None) or ``uv_error``."""
    if exit_code is None:
        return "timeout"
    if exit_code == 0:
        return "resolved"
    if "Python <3.6 is not supported" in stderr or "Invalid version request" in stderr:
        return "unsupported_python"
    if re.search(r"Couldn't parse requirement|Failed to parse|Unsupported URL prefix", stderr):
        return "invalid_requirements"
    # A build failure can surface inside a "No solution" explanation ("X could not be built")
    # or on its own; either way the resolver did not get to decide.
    if re.search(r"Failed to build|Failed to download and build|Build backend failed|"
                 r"could not be built|Failed to prepare distributions", stderr):
        return "build_failed"
    # Offline (UV_OFFLINE, --offline), uv explains a missing package as "not found in the cache":
    # that says nothing about the index.
    if re.search(r"network (?:was|is) disabled", stderr):
        return "index_unreachable"
    if "No solution found when resolving dependencies" in stderr:
        return "unsatisfiable"
    if re.search(r"Failed to fetch|error sending request|dns error|Request failed after", stderr):
        return "index_unreachable"
    return "uv_error"


def explanation(stderr: str, hide: Sequence[str] = (), limit: int = EXPLANATION_LINES) -> tuple[str, ...]:
    """uv's first ``limit`` lines after its warnings, with the scratch paths in ``hide`` removed."""
    lines = []
    for line in stderr.splitlines():
        if not line.strip() or line.startswith(("warning:", "Resolved ")):
            continue
        for text in hide:
            line = line.replace(text, "")
        lines.append(line.rstrip())
        if len(lines) == limit:
            break
    return tuple(lines)


def blamed(lines: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
    """The requirements (normalised names) uv's explanation mentions, in the file's order."""
    text = normalize(" ".join(lines))
    return tuple(name for name in dict.fromkeys(names)
                 if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text))


_BUILD_DISABLED = re.compile(r"[Bb]uilding (?:from source|source distributions)(?: for `[^`]*`)? is disabled")


def needs_build(stderr: str) -> bool:
    """Whether uv stopped because only a build (which ``--no-build`` forbids) could answer."""
    return _BUILD_DISABLED.search(stderr) is not None


_REQUIRED = re.compile(r"you\s+require\s+([A-Za-z0-9][A-Za-z0-9._-]*)")  # uv wraps to the terminal width


def first_required(lines: Sequence[str], names: Sequence[str]) -> str | None:
    """The first of ``names`` (normalised) that uv's explanation says "you require": the
    requirement its chain of reasons starts from. None when it names none of them."""
    wanted = set(names)
    for match in _REQUIRED.finditer(" ".join(lines)):
        name = normalize(match.group(1))
        if name in wanted:
            return name
    return None


def warnings(stderr: str) -> tuple[str, ...]:
    """uv's warnings about the requirements (yanked releases...), not the one saying the target
    Python is not on this machine."""
    return tuple(line.removeprefix("warning: ").rstrip() for line in stderr.splitlines()
                 if line.startswith("warning:") and "is not available;" not in line)
