"""What uv is handed: the model's requirements, rewritten into a scratch folder outside the model.

Only wheels are handed over: a requirement uv could answer only by building something (``-e .``,
a source tree, an sdist or a VCS URL named directly) is refused, and the list reported as not
checked. uv's ``--no-build`` does not cover every such case (it builds an editable local project
anyway: its ``setup.py`` would run), so they never reach it.

uv never reads the model's own files: each list is written from what modellint read (bounded by
:mod:`modellint.analyzer.files`), ``-r``/``-c`` files are followed only inside the model dir and
copied the same way, and a local path (``--find-links wheels``, ``wheels/x.whl``, ``-e ./pkg``)
is handed over as the absolute path of what it names inside the model. A path leading out of the
model (``-r /etc/passwd``, ``../x.whl``, a symlink out) is not handed over at all: the list is
reported as not checked, so a model cannot make uv read (and its explanation print) a file of
the machine running modellint. Index options (``--index-url``, ``--extra-index-url``) pass
through: with ``--resolve`` the requirements may name the indexes they come from.
"""

from __future__ import annotations

import os
from pathlib import Path

from modellint.analyzer.environment.requirements import (
    RequirementLine,
    RequirementsBudgetExceeded,
    RequirementsList,
    local_location,
    parse_requirements_text,
)
from modellint.analyzer.files import is_within, read_text
from modellint.record import Record

# -r/-c files followed at most, all together, and how deep.
MAX_INCLUDED_FILES = 32
MAX_INCLUDE_DEPTH = 8
_INCLUDES = {"requirement": "-r", "constraint": "-c"}
_LOCATIONS = {"find-links": "--find-links", "index-url": "--index-url", "extra-index-url": "--extra-index-url"}


class Unresolvable(Exception):
    """Why a list is not handed to uv; ``line`` is where (None: the list as a whole)."""

    def __init__(self, message: str, line: RequirementLine | None = None) -> None:
        super().__init__(message)
        self.line = line


class PreparedList(Record):
    """``file``: the scratch file uv reads; ``lines``: every requirement line of the list and its
    included files, by which a blamed name is found again."""

    __slots__ = ("file", "lines")

    def __init__(self, file: Path, lines: tuple[RequirementLine, ...]) -> None:
        self.file = file
        self.lines = lines


def prepare(requirements: RequirementsList, root: Path, scratch: Path, *, read_from_disk: bool) -> PreparedList:
    """Write ``requirements`` (requirements.txt when ``read_from_disk``, whose includes are relative
    to it; else the conda ``pip:`` list) into ``scratch`` for uv. Raises :class:`Unresolvable`."""
    writer = _Writer(root, scratch)
    base = requirements.path.parent if read_from_disk else root
    file = writer.write(requirements, base, depth=0)
    return PreparedList(file, tuple(writer.lines))


class _Writer:
    def __init__(self, root: Path, scratch: Path) -> None:
        self.root = root
        self.scratch = scratch
        self.count = 0
        self.lines: list[RequirementLine] = []

    def write(self, requirements: RequirementsList, base: Path, depth: int) -> Path:
        text = "".join(self._line(line, base, depth) + "\n" for line in requirements.lines)
        file = self.scratch / f"requirements-{self.count}.txt"
        self.count += 1
        file.write_text(text, encoding="utf-8")
        return file

    def _line(self, line: RequirementLine, base: Path, depth: int) -> str:
        if line.kind == "invalid":
            raise Unresolvable(f"`{line.text}` is no requirement pip reads ({line.error})", line)
        if line.kind == "requirement":
            self.lines.append(line)
            url = line.requirement.url if line.requirement is not None else None
            if url:  # `name @ https://.../x.whl`, `name @ file:///...`
                return line.text.replace(url, self._wheel(url, base, line), 1)
            return line.text
        if line.kind == "location":
            value = line.option_value or ""
            return line.text.replace(value, self._wheel(value, base, line), 1)
        if line.option == "editable":
            raise Unresolvable(f"`{line.text}` is a project uv would have to build, which --resolve never does", line)
        if line.option in _INCLUDES and line.option_value:
            return f"{_INCLUDES[line.option]} {self._include(line, base, depth)}"
        if line.option in _LOCATIONS and line.option_value:
            local = local_location(line.option_value)
            if local is None:
                return line.text  # an index or page on the network: with --resolve, the model may name it
            return f"{_LOCATIONS[line.option]} {self._inside(local, base, line)}"
        return line.text

    def _wheel(self, location: str, base: Path, line: RequirementLine) -> str:
        """A wheel named by URL or path, as uv is to read it; anything else is refused."""
        local = local_location(location)
        if not (local if local is not None else location.split("#")[0].split("?")[0]).endswith(".whl"):
            raise Unresolvable(f"`{line.text}` names a source tree or archive uv could read only by building it, "
                               "which --resolve never does", line)
        return location if local is None else str(self._inside(local, base, line))

    def _inside(self, written: str, base: Path, line: RequirementLine) -> Path:
        """The path ``written`` names (relative to ``base``), which must lie inside the model."""
        if written.startswith("~") or "\x00" in written:
            raise Unresolvable(f"`{line.text}` names a path outside the model dir: not handed to the resolver", line)
        path = Path(os.path.abspath(base / written))
        if not is_within(self.root, path):
            raise Unresolvable(f"`{line.text}` names a path outside the model dir: not handed to the resolver", line)
        return path

    def _include(self, line: RequirementLine, base: Path, depth: int) -> Path:
        value = line.option_value or ""
        if local_location(value) is None:
            raise Unresolvable(f"`{line.text}` includes a file from a URL, which modellint does not fetch", line)
        path = self._inside(local_location(value) or "", base, line)
        if depth >= MAX_INCLUDE_DEPTH or self.count >= MAX_INCLUDED_FILES:
            raise Unresolvable(f"`{line.text}`: more than {MAX_INCLUDED_FILES} included files, or nested deeper "
                               f"than {MAX_INCLUDE_DEPTH}: not resolved", line)
        text, problem = read_text(path, self.root)
        if text is None:
            why = problem.message if problem is not None else "no such file"
            raise Unresolvable(f"`{line.text}`: {why}", line)
        try:
            included = parse_requirements_text(text, path)
        except RequirementsBudgetExceeded as error:
            raise Unresolvable(f"`{line.text}`: {error}", line) from None
        return self.write(included, path.parent, depth + 1)
