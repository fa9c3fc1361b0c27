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

from modellint.analyzer.files import read_text
from modellint.analyzer.model_dir import REQUIREMENTS, ModelDir
from modellint.analyzer.requirements import RequirementsList
from modellint.findings import Applicability, Edit, Fix
from modellint.fix import span_offsets

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


def append_to_requirements_file(path: Path, requirement: str) -> Edit | None:
    text, problem = read_text(path)
    if text is None:
        return None if problem else Edit(path, 0, 0, requirement)
    if not text.strip():
        return Edit(path, 0, len(text), requirement)
    newline = _newline(text)
    if text.endswith("\n"):
        return Edit(path, len(text), len(text), requirement + newline)
    return Edit(path, len(text), len(text), newline + requirement)  # MLflow's shape: no final newline


def append_to_pip_list(pip: RequirementsList, requirement: str) -> Edit | None:
    """Insert ``- requirement`` after the last item of a block-style ``pip:`` list."""
    if not pip.lines:
        return None
    text, _ = read_text(pip.path)
    if text is None:
        return None
    lines = text.splitlines(keepends=True)
    first, last = pip.lines[0].span, pip.lines[-1].span
    match = _ITEM_PREFIX.match(lines[first.line - 1]) if first.line <= len(lines) else None
    if match is None:  # flow style (`pip: [a, b]`): not edited
        return None
    newline = _newline(text)
    offsets = span_offsets(text, last)
    if offsets is None:
        return None
    end_of_item_line = sum(len(line) for line in lines[: last.end_line])
    item = f"{match.group(1)}{yaml_scalar(requirement)}"
    if end_of_item_line == len(text) and not text.endswith("\n"):
        return Edit(pip.path, len(text), len(text), newline + item)
    return Edit(pip.path, end_of_item_line, end_of_item_line, item + newline)


def add_requirement(model: ModelDir, requirement: str, title: str, applicability: Applicability) -> Fix | None:
    """Add ``requirement`` to requirements.txt and to the conda ``pip:`` list, whichever exist."""
    edits: list[Edit] = []
    if model.requirements is not None:
        edit = append_to_requirements_file(model.requirements.path, requirement)
        if edit is None:
            return None
        edits.append(edit)
    if model.conda is not None and model.conda.pip is not None:
        edit = append_to_pip_list(model.conda.pip, requirement)
        if edit is None:
            return None
        edits.append(edit)
    if not edits:
        return None
    return Fix(title, tuple(edits), applicability)


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
    match = _ITEM_PREFIX.match(lines[first.line - 1])
    if match is None:
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
    items = [f"{match.group(1)}{yaml_scalar(line.text)}" for line in reqs.lines if line.kind != "option"]
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
