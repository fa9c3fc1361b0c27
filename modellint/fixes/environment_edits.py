"""Fix builders for a model's environment files, which must change together.

MLflow writes requirements.txt and the conda file's ``pip:`` list identical; a fix that adds a
requirement to one and not the other would create the drift ML102 reports. So every builder
here edits both lists, or returns None. Edits keep the file's own conventions: its newline
style, MLflow's missing final newline in requirements.txt, the indentation and ``- `` marker of
the existing ``pip:`` items, and YAML quoting only where a plain scalar would change meaning.
"""

from __future__ import annotations

import re
from pathlib import Path

from modellint.analyzer.environment.pep508 import parse_requirement
from modellint.analyzer.environment.requirements import (
    MLFLOW_REQUIREMENT_NAMES,
    RequirementLine,
    RequirementsList,
    normalize_name,
)
from modellint.analyzer.files import read_text
from modellint.analyzer.model_dir import REQUIREMENTS, ModelDir
from modellint.findings import Applicability, Edit, Fix
from modellint.fixes.edits import delete_list_item, replace_span

_ITEM_PREFIX = re.compile(r"^([ \t]*-[ \t]+)")
# A plain YAML scalar may not start with these, nor contain ": " or " #"; `-`, `?` and `:` may
# start one when a non-space follows (`-r requirements.txt` is plain).
_YAML_INDICATORS = tuple(",[]{}#&*!|>'\"%@`")


def yaml_scalar(text: str) -> str:
    """``text`` as a YAML flow scalar: plain when that reads back as the same string."""
    plain = (
        bool(text)
        and text == text.strip()
        and not text.startswith(_YAML_INDICATORS)
        and not (text[0] in "-?:" and (len(text) == 1 or text[1] in " \t"))
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
    )
    return text if plain else "'" + text.replace("'", "''") + "'"


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


# MLflow writes its own requirement first and the inferred ones sorted after it: a list whose
# other names are in order is "sorted" and keeps that order; any other list gets new lines at
# the end, where a person appending by hand would put them.


def _placement(lines: list[RequirementLine], name: str) -> tuple[RequirementLine, bool] | None:
    """The line a new requirement ``name`` goes next to, and whether it goes after it (True)
    or before it; None for a list without lines."""
    requirements = [line for line in lines if line.kind == "requirement"]
    header = 0
    while header < len(requirements) and requirements[header].name in MLFLOW_REQUIREMENT_NAMES:
        header += 1
    body = requirements[header:]
    names = [line.name or "" for line in body]
    if len(body) >= 2 and names == sorted(names):
        earlier = [line for line in body if (line.name or "") < name]
        if earlier:
            return earlier[-1], True
        return (requirements[header - 1], True) if header else (body[0], False)
    # Unsorted: after the last requirement (or path/URL) line, so that trailing comments and
    # pip options such as MLflow's `-c constraints.txt` stay last.
    anchors = [line for line in lines if line.kind != "option"] or lines
    return (anchors[-1], True) if anchors else None


def _line_edit(path: Path, text: str, anchor: RequirementLine, after: bool, item: str) -> Edit | None:
    """Insert the line ``item`` before or after the (physical) lines of ``anchor``."""
    lines = text.splitlines(keepends=True)
    span = anchor.span
    if not 1 <= span.line <= span.end_line <= len(lines):
        return None
    newline = _newline(text)
    if not after:
        position = sum(len(line) for line in lines[: span.line - 1])
        return Edit(path, position, position, item + newline)
    position = sum(len(line) for line in lines[: span.end_line])
    if lines[span.end_line - 1].endswith("\n"):
        return Edit(path, position, position, item + newline)
    return Edit(path, position, position, newline + item)  # the last line, without a final newline


def insert_into_requirements_file(requirements: RequirementsList, requirement: str, name: str) -> Edit | None:
    """Add the line ``requirement`` (distribution ``name``) to requirements.txt, in place (see
    :func:`_placement`); a file without final newline keeps none (MLflow's shape)."""
    text, problem = read_text(requirements.path)
    if text is None:
        return None if problem else Edit(requirements.path, 0, 0, requirement)
    placement = _placement(requirements.lines, name)
    if placement is None:  # only comments and blank lines
        if not text.strip():
            return Edit(requirements.path, 0, len(text), requirement)
        if text.endswith("\n"):
            return Edit(requirements.path, len(text), len(text), requirement + _newline(text))
        return Edit(requirements.path, len(text), len(text), _newline(text) + requirement)
    return _line_edit(requirements.path, text, *placement, requirement)


def insert_into_pip_list(pip: RequirementsList, requirement: str, name: str) -> Edit | None:
    """Add ``- requirement`` to a block-style conda ``pip:`` list with the indentation and marker
    of its items; None for an empty or flow-style list (``pip: [a, b]``), which is left alone."""
    placement = _placement(pip.lines, name)
    if placement is None:
        return None
    text, _ = read_text(pip.path)
    if text is None:
        return None
    anchor, after = placement
    prefix = _block_item_prefix(text.splitlines(keepends=True), anchor)
    if prefix is None:
        return None
    return _line_edit(pip.path, text, anchor, after, f"{prefix}{yaml_scalar(requirement)}")


def _block_item_prefix(lines: list[str], item: RequirementLine) -> str | None:
    """The indentation and ``- `` marker of a block-sequence item's line; None when the item
    is not the first thing after a marker on its line: flow style (``- pip: [a, b]``), where
    a copied ``- `` would add a conda dependency, not a pip requirement."""
    if not 1 <= item.span.line <= len(lines):
        return None
    match = _ITEM_PREFIX.match(lines[item.span.line - 1])
    return match.group(1) if match and match.end() == item.span.column - 1 else None


def add_requirement(model: ModelDir, requirement: str, title: str, applicability: Applicability) -> Fix | None:
    """Add ``requirement`` to requirements.txt and to the conda ``pip:`` list, whichever exist;
    None when one of them cannot take it (the other alone would drift from it, see ML102)."""
    name = normalize_name(parse_requirement(requirement).name)
    edits: list[Edit] = []
    if model.requirements is not None:
        edit = insert_into_requirements_file(model.requirements, requirement, name)
        if edit is None:
            return None
        edits.append(edit)
    if model.conda is not None and model.conda.pip is not None:
        edit = insert_into_pip_list(model.conda.pip, requirement, name)
        if edit is None:
            return None
        edits.append(edit)
    if not edits:
        return None
    return Fix(title, tuple(edits), applicability)


def remove_requirement(model: ModelDir, name: str, title: str, applicability: Applicability) -> Fix | None:
    """Delete every line naming the distribution ``name`` (normalised) from requirements.txt and
    the conda ``pip:`` list together; None when one of them cannot be deleted (a flow-style list,
    two requirements on a line): removing it from one file only would be ML102's drift."""
    edits: list[Edit] = []
    lists = [model.requirements, model.conda.pip if model.conda is not None else None]
    for requirements in lists:
        for line in requirements.lines if requirements is not None else ():
            if line.name != name:
                continue
            edit = delete_list_item(line.path, line.span, expected=(line.text, f'"{line.text}"', f"'{line.text}'"))
            if edit is None:
                return None
            edits.append(edit)
    return Fix(title, tuple(edits), applicability) if edits else None


def add_marker(model: ModelDir, name: str, marker: str, title: str, applicability: Applicability) -> Fix | None:
    """Append the environment marker ``marker`` to every line naming the distribution ``name``
    (normalised) in requirements.txt and the conda ``pip:`` list together; None when a line
    already has a marker (the two would need combining by a person) or cannot be edited."""
    edits: list[Edit] = []
    for requirements in (model.requirements, model.conda.pip if model.conda is not None else None):
        for line in requirements.lines if requirements is not None else ():
            if line.name != name:
                continue
            if line.requirement is None or line.requirement.marker is not None:
                return None
            marked = f"{line.text}; {marker}"
            in_yaml = requirements is not model.requirements
            edit = replace_span(line.path, line.span, yaml_scalar(marked) if in_yaml else marked,
                                expected=(line.text, f'"{line.text}"', f"'{line.text}'") if in_yaml else (line.text,))
            if edit is None:
                return None
            edits.append(edit)
    return Fix(title, tuple(edits), applicability) if edits else None


def pip_list_from_requirements(model: ModelDir) -> Fix | None:
    """Rewrite the conda ``pip:`` items to be requirements.txt's lines (ML102, unsafe)."""
    reqs, conda = model.requirements, model.conda
    if reqs is None or conda is None or conda.pip is None or not conda.pip.lines:
        return None
    text, _ = read_text(conda.path)
    if text is None:
        return None
    lines = text.splitlines(keepends=True)
    first, last = conda.pip.lines[0].span, conda.pip.lines[-1].span
    prefix = _block_item_prefix(lines, conda.pip.lines[0])
    if prefix is None:
        return None
    # The block from the first item's line to the end of the last item's line; a comment line
    # between items would be lost, so such a list is left to a person.
    block = lines[first.line - 1 : last.end_line]
    if any(line.strip().startswith("#") for line in block):
        return None
    start = sum(len(line) for line in lines[: first.line - 1])
    end = start + sum(len(line) for line in block)
    newline = _newline(text)
    trailing = newline if block[-1].endswith("\n") else ""
    items = [f"{prefix}{yaml_scalar(line.text)}" for line in reqs.lines if line.kind != "option"]
    if not items:
        return None
    content = newline.join(items) + trailing
    if text[start:end] == content:
        return None
    return Fix("Make the conda `pip:` list equal to requirements.txt", (Edit(conda.path, start, end, content),),
               Applicability.UNSAFE, reads=(reqs.path,))


def requirements_from_pip_list(model: ModelDir) -> Fix | None:
    """Create the missing requirements.txt from the conda ``pip:`` list, as MLflow writes it."""
    conda = model.conda
    if conda is None or conda.pip is None or not conda.pip.lines:
        return None
    content = "\n".join(line.text for line in conda.pip.lines)
    return Fix(f"Create requirements.txt from the `pip:` list of {conda.path.name}",
               (Edit(model.path(REQUIREMENTS), 0, 0, content),), reads=(conda.path,))


_BUILD_TOOLS = ("pip", "setuptools", "wheel")


def python_env_from_conda(model: ModelDir, file_name: str) -> Fix | None:
    """Create the missing python_env.yaml the way MLflow's fallback reads the conda file:
    the conda ``python=`` version, pip/setuptools/wheel as build dependencies, then
    ``-r requirements.txt`` when it exists, else the ``pip:`` list."""
    conda = model.conda
    python = (conda.python.exact_version if conda and conda.python else None) or model.mlmodel_python
    if not python:
        return None
    build = []
    for spec in conda.specs if conda else ():
        if spec.name in _BUILD_TOOLS:
            build.append(spec.name + _pip_specifier(spec.version))
    if model.has_file(REQUIREMENTS):
        dependencies = [f"-r {REQUIREMENTS}"]
    elif conda and conda.pip and conda.pip.lines:
        dependencies = [line.text for line in conda.pip.lines]
    else:
        return None
    body = [f"python: {python}", "build_dependencies:"]
    body += [f"- {yaml_scalar(item)}" for item in build or ["pip"]]
    body += ["dependencies:"] + [f"- {yaml_scalar(item)}" for item in dependencies]
    return Fix(f"Create {file_name} from {conda.path.name if conda else 'MLmodel'} as MLflow does",
               (Edit(model.path(file_name), 0, 0, "\n".join(body) + "\n"),),
               reads=(conda.path,) if conda else ())


def _pip_specifier(conda_version: str | None) -> str:
    """A conda version constraint in pip's syntax: ``=1.2`` -> ``==1.2``, ``1.2.*`` -> ``==1.2.*``."""
    if not conda_version:
        return ""
    version = conda_version.strip()
    if version.startswith(("==", ">=", "<=", "!=", "~=", ">", "<")):
        return version
    return "==" + version.lstrip("=")
