"""Turning the paths on the command line into lint targets: model dirs and training projects."""

from __future__ import annotations

import os
from pathlib import Path

from modellint.analyzer.files import MLMODEL
from modellint.path_patterns import PathPattern, any_matches, decide, parse_all, read_gitignore
from modellint.record import Record

# Directories that never hold a model worth linting and can be huge: the default `exclude`.
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "site-packages", ".ipynb_checkpoints", "**/mlruns/.trash",
)


# Pattern tests (directory entries x .gitignore patterns in force) one folder search may spend on
# .gitignore files: real trees need a small fraction of it (a few seconds at most).
GITIGNORE_WORK = 1_000_000


class TargetError(Exception):
    """A path that cannot be linted: reported, the other paths still linted, exit 2."""

    def __init__(self, path: Path, problem: str) -> None:
        try:
            shown = display_path(path, Path.cwd())
        except OSError:  # the working directory is gone
            shown = path.as_posix()
        super().__init__(f"{shown}: {problem}")
        self.path = path
        self.problem = problem


def display_path(path: Path, base: Path, aliases: tuple[tuple[Path, str], ...] = ()) -> str:
    """POSIX path relative to ``base`` when below it, else absolute: stable across machines.
    ``aliases`` show a local folder as something else: a model fetched by URI is shown as the URI
    (``models:/fraud/3/requirements.txt``), never as the temporary folder it was linted in."""
    for root, shown in aliases:
        if path == root:
            return shown
        if root in path.parents:
            return f"{shown}/{path.relative_to(root).as_posix()}"
    # abspath, not resolve(): resolving follows symlinks and raises on a symlink loop.
    absolute, base_text = os.path.abspath(path), os.fspath(base)
    if _comparable(absolute, base_text):  # the usual case, without the pathlib objects (a report shows thousands)
        below = _below(absolute, base_text)
        return below if below is not None else path.as_posix()
    try:
        return Path(absolute).relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _comparable(absolute: str, base: str) -> bool:
    """Whether ``absolute`` (from ``abspath``) and ``base`` are both absolute and normalised as
    pathlib would make them, so that comparing their text answers ``Path.relative_to``."""
    return os.path.isabs(base) and os.path.normpath(base) == base and "//" not in (base[:2], absolute[:2])


def _below(absolute: str, base: str) -> str | None:
    """``absolute`` relative to ``base`` as ``Path.relative_to`` gives it, None when it does not
    lie below (both :func:`_comparable`)."""
    if absolute == base:
        return "."
    prefix = base if base.endswith("/") else f"{base}/"
    return absolute[len(prefix):] if absolute.startswith(prefix) else None


class Target(Record):
    __slots__ = ("kind", "path", "withheld")

    def __init__(self, kind: str, path: Path, withheld: tuple[tuple[str, str], ...] = ()) -> None:
        self.kind = kind  # "model", "project" or "file" (a serialized file outside any model dir)
        self.path = path
        # Files of the model that are not here (relative path, why): a model fetched by URI whose
        # files were over the download budget. Reported as not checked, never as missing.
        self.withheld = withheld


class Discovery(Record):
    """How folders are searched: what is excluded, whether `.gitignore` files count, and whether
    directory symlinks are followed. Paths named on the command line are always linted."""

    __slots__ = ("exclude", "respect_gitignore", "follow_symlinks")

    def __init__(self, exclude: tuple[PathPattern, ...] | None = None, respect_gitignore: bool = True,
                 follow_symlinks: bool = False) -> None:
        self.exclude = default_exclude() if exclude is None else exclude
        self.respect_gitignore = respect_gitignore
        self.follow_symlinks = follow_symlinks


def default_exclude() -> tuple[PathPattern, ...]:
    return tuple(parse_all(DEFAULT_EXCLUDE, Path("/")))


def is_excluded(path: Path, discovery: Discovery, root: Path) -> bool:
    """Whether ``path`` (absolute) or a folder between ``root`` and it matches an exclude glob.
    For ``hook``, which is handed the changed files one by one (Ruff's `force-exclude`)."""
    try:
        names = path.relative_to(root).parts
    except ValueError:
        return False
    current = root
    for index, name in enumerate(names):
        current = current / name
        is_dir = index < len(names) - 1 or os.path.isdir(current)
        if any(pattern.matches(str(current), is_dir) for pattern in discovery.exclude):
            return True
    return False


def discover(paths: list[Path], discovery: Discovery | None = None) -> list[Target]:
    """The targets of ``paths``; the first path that cannot be linted raises :class:`TargetError`."""
    targets, errors = discover_all(paths, discovery)
    if errors:
        raise errors[0]
    return targets


def discover_all(paths: list[Path], discovery: Discovery | None = None) -> tuple[list[Target], list[TargetError]]:
    """The targets of ``paths``, and an error for each path that cannot be linted (the others still are)."""
    discovery = Discovery() if discovery is None else discovery
    targets: dict[Path, Target] = {}
    errors: list[TargetError] = []
    for path in paths:
        try:
            found = _targets_for(path, discovery)
        except TargetError as error:
            errors.append(error)
            continue
        for target in found:
            targets.setdefault(target.path, target)
    return sorted(targets.values(), key=lambda target: str(target.path)), errors


def _lfs_note(path: Path) -> str:
    """``: it is a Git LFS pointer ...`` for a file git left in place of the real one, else ""."""
    from modellint.analyzer.serialized.lfs import pointer_description

    pointer = pointer_description(path)
    return f": it is {pointer}" if pointer is not None else ""


def _targets_for(path: Path, discovery: Discovery) -> list[Target]:
    if not os.path.lexists(path):
        raise TargetError(path, "no such file or directory")
    if path.is_file() or (path.is_symlink() and not path.is_dir()):
        model_root = nearest_model_root(path.parent if path.name != MLMODEL else path.parent)
        if model_root is not None:
            return [Target("model", model_root)]
        if path.suffix in (".py", ".ipynb"):  # a training script or notebook: its project
            return [Target("project", path.parent)]
        from modellint.analyzer.serialized.pickles import sniff

        if sniff(path) is not None:
            return [Target("file", path)]  # a lone pickle/joblib/torch/npy/skops/safetensors/GGUF file
        raise TargetError(path, "not inside a model directory (no MLmodel next to it or above it) "
                                f"and not a serialized model file{_lfs_note(path)}")
    if (path / MLMODEL).exists() or (path / MLMODEL).is_symlink():
        return [Target("model", path)]
    models, has_python = _walk(path, discovery)
    if models:
        return [Target("model", root) for root in models]
    if has_python:
        return [Target("project", path)]
    raise TargetError(path, "no MLmodel and no Python files found")


def nearest_model_root(start: Path, stop: Path | None = None) -> Path | None:
    """The nearest directory at or above ``start`` holding ``MLmodel``, not looking above ``stop``."""
    for directory in (start, *start.parents):
        if (directory / MLMODEL).is_file():
            return directory
        if directory == stop:
            return None
    return None


def _walk(root: Path, discovery: Discovery) -> tuple[list[Path], bool]:
    """Model dirs under ``root`` (not descending into them) and whether any Python (a script or notebook) was seen.

    Directory symlinks are not followed unless asked (`ln -s / x` would walk the whole disk);
    when they are, a directory already seen (a cycle) is skipped. `.gitignore` files stop
    counting once matching them has cost :data:`GITIGNORE_WORK` pattern tests: more is linted,
    never less, and a folder full of hostile patterns stays bounded.
    """
    models: list[str] = []
    has_python = False
    seen: set[tuple[int, int]] = set()
    follow = discovery.follow_symlinks
    excluded = any_matches(discovery.exclude)
    gitignore = discovery.respect_gitignore
    work = 0
    top = os.fspath(root)
    # Folders as text: a store's search meets thousands, and only the model dirs become paths.
    stack = [(top, _outer_gitignores(root) if gitignore else [])]
    while stack:
        directory, ignores = stack.pop()
        try:
            stat = os.stat(directory)
            if (stat.st_dev, stat.st_ino) in seen:
                continue
            seen.add((stat.st_dev, stat.st_ino))
            entries = list(os.scandir(directory))
        except OSError:
            continue
        names = {entry.name for entry in entries}
        if MLMODEL in names and directory != top:
            models.append(directory)
            continue
        if "pyvenv.cfg" in names:
            continue
        if gitignore and ".gitignore" in names:
            ignores = [*ignores, *read_gitignore(Path(directory), len(ignores))]
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=follow)
                if not is_dir and (has_python or not entry.name.endswith((".py", ".ipynb"))):
                    continue
                path = os.path.join(directory, entry.name)
                if excluded(path, is_dir):
                    continue
                if gitignore and ignores:
                    work += len(ignores)
                    if work > GITIGNORE_WORK:
                        gitignore, ignores = False, []
                    elif decide(ignores, path, is_dir) is True:
                        continue
                if is_dir:
                    stack.append((path, ignores if gitignore else []))
                elif not has_python:
                    has_python = True
            except OSError:
                continue
    return [Path(model) for model in sorted(models)], has_python  # discover_all orders them as text


def _outer_gitignores(root: Path) -> list[PathPattern]:
    """The `.gitignore` files above ``root`` that git would apply to it: those up to the root of
    the repository holding it (a folder with `.git`), none when it is in no repository. A folder
    inside a model dir never contributes: a model's files do not steer the checker."""
    if os.path.lexists(root / ".git"):
        return []
    above: list[Path] = []
    for directory in root.parents:
        above.append(directory)
        if os.path.lexists(directory / ".git"):
            break
    else:
        return []
    ignores: list[PathPattern] = []
    for directory in reversed(above):
        if nearest_model_root(directory) is None:
            ignores.extend(read_gitignore(directory, len(ignores)))
    return ignores
