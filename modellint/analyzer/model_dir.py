"""An MLflow model directory as facts: MLmodel, env files and the paths the loader will open.

Everything is read lazily and at most once, so a rule that needs only MLmodel never parses
conda.yaml, and a run over 2,000 model dirs does no more I/O than the rules ask for.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from modellint.analyzer.environment.requirements import (
    CondaEnv,
    PythonEnv,
    RequirementLine,
    RequirementsBudgetExceeded,
    RequirementsList,
    conda_env_from_yaml,
    parse_requirements_text,
    python_env_from_yaml,
)
from modellint.analyzer.files import (
    ABSOLUTE,
    MLMODEL,
    ReadProblem,
    escape,
    exists,
    is_dir,
    is_file,
    lexists,
    read_text,
    relative_posix,
    remembered_for_short_text,
    written_escape,
)
from modellint.analyzer.model_layout import (
    DEFAULT_CONDA,
    DEFAULT_PYTHON_ENV,
    PYFUNC,
    REQUIREMENTS,
    model_code_basename,
    model_tree,
    parse_version_tuple,
)
from modellint.analyzer.once import computed_once
from modellint.analyzer.yamlfile import YamlDocument, YamlError, parse_shared_yaml, parse_yaml
from modellint.findings import FILE_START, Span
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.analyzer.code.scans import CodeCopies
    from modellint.analyzer.code.source_imports import ModuleScan
    from modellint.analyzer.deployment.serving_example import ServingExample
    from modellint.analyzer.environment.conda_channels import UnbuiltPython, UnservedCondaPackage
    from modellint.analyzer.environment.declared import DeclaredEnvironment
    from modellint.analyzer.environment.environment_settings import EnvironmentSettings
    from modellint.analyzer.environment.pinned_releases import PinnedRelease
    from modellint.analyzer.environment.serving_platform import ServingPlatform
    from modellint.analyzer.environment.unindexed_requirements import UnindexedRequirement
    from modellint.analyzer.environment.vulnerable_pins import VulnerablePin
    from modellint.analyzer.project.training import TrainingCall
    from modellint.analyzer.serialized.inventory import SerializedFile
    from modellint.analyzer.serialized.payload import PayloadProblem
    from modellint.analyzer.signatures.stored import ModelSignature

# The file names and version parsing are model_layout's; the rules keep naming them through the
# facade they read the model with.
__all__ = ["DEFAULT_CONDA", "DEFAULT_PYTHON_ENV", "PYFUNC", "REQUIREMENTS", "FileProblem", "ModelDir", "OutsidePath",
           "PathReference", "is_absolute_path", "is_uri", "parse_version_tuple"]


class FileProblem(Record):
    """A file the model needs that exists but cannot be read or parsed."""

    __slots__ = ("path", "message", "span")

    def __init__(self, path: Path, message: str, span: Span = FILE_START) -> None:
        self.path = path
        self.message = message
        self.span = span


class OutsidePath(Record):
    """A path the model names, or a file in it, that leads outside the model directory: never read.

    ``key`` is the MLmodel key naming it (None for a file found in the tree that is a symlink
    leaving it), ``written`` the path as MLmodel (or the tree) gives it, ``reason`` one of the
    :mod:`~modellint.analyzer.files` reasons.
    """

    __slots__ = ("key", "written", "path", "reason", "description")

    def __init__(self, key: tuple[Any, ...] | None, written: str, path: Path, reason: str, description: str) -> None:
        self.key = key
        self.written = written
        self.path = path
        self.reason = reason
        self.description = description


class PathReference(Record):
    """A path written in MLmodel that a loader (or metadata) refers to.

    ``key`` is the YAML key path; ``loader_opens`` says whether serving opens it (an absent or
    absolute one breaks the load) or whether it is metadata only.
    """

    __slots__ = ("key", "value", "loader_opens", "description")

    def __init__(self, key: tuple[Any, ...], value: str, loader_opens: bool, description: str) -> None:
        self.key = key
        self.value = value
        self.loader_opens = loader_opens
        self.description = description


class ModelDir:
    """Facts about one model directory. Construct with the directory holding ``MLmodel``."""

    # The save/log call of a training project this model would come from: set on the model
    # simulated for it (:class:`~modellint.analyzer.project.would_be_model.WouldBeModel`), None
    # on a model dir that exists.
    training: TrainingCall | None = None
    # Its code dir's files when they exist only as copies of a training project's (the simulated
    # model again): None for a model dir, whose code dir is on disk.
    code_copies: CodeCopies | None = None

    def __init__(self, root: Path, *, run_date: datetime.date | None = None, settings: EnvironmentSettings | None = None,
                 withheld: dict[str, str] | None = None) -> None:
        self.root = root
        self.run_date = run_date or datetime.date.today()
        self.file_problems: list[FileProblem] = []
        self._outside: dict[str, str | None] = {}
        # What the user says about the environment the model is deployed into: modules it brings
        # itself, module -> distribution, and the Python and platform it is built for.
        self.settings = settings
        # Files the model has but whose bytes are not here (relative POSIX path -> why): they exist
        # for every rule that asks, and are reported unscanned (ML303), never as missing or clean.
        self.withheld = withheld or {}

    def __repr__(self) -> str:
        return f"ModelDir({str(self.root)!r})"

    def path(self, relative: str) -> Path:
        return self.root / relative

    def outside(self, relative: str) -> str | None:
        """Why ``relative`` (as the model names it) leads outside the model dir, or None.

        Remembered per path: rules ask about the same files many times, and every read checks
        again anyway (:func:`~modellint.analyzer.files.open_inside`).
        """
        if relative not in self._outside:
            self._outside[relative] = escape(self.root, relative)
        return self._outside[relative]

    # --- MLmodel --------------------------------------------------------------------------------

    @computed_once
    def mlmodel_path(self) -> Path:
        return self.root / MLMODEL

    @computed_once
    def _mlmodel_read(self) -> tuple[str | None, ReadProblem | None]:
        return read_text(self.mlmodel_path, self.root)

    @computed_once
    def mlmodel_text(self) -> str | None:
        return self._mlmodel_read[0]

    @computed_once
    def _mlmodel_metadata(self) -> tuple[YamlDocument | None, FileProblem | None]:
        """MLmodel parsed as model metadata, or why it is not that."""
        text, problem = self._mlmodel_read
        if text is None:
            return None, FileProblem(self.mlmodel_path, problem.message if problem else "`MLmodel` is missing")
        try:
            document = parse_yaml(text)
        except YamlError as error:
            return None, FileProblem(self.mlmodel_path, error.explain("MLmodel"), error.span)
        if not isinstance(document.data, dict):
            kind = type(document.data).__name__ if document.data is not None else "empty"
            return None, FileProblem(self.mlmodel_path, f"`MLmodel` is not a mapping (found {kind})")
        flavors = document.data.get("flavors")
        if not isinstance(flavors, dict) or not flavors:
            where = document.span("flavors") if "flavors" in document.data else FILE_START
            return None, FileProblem(self.mlmodel_path,
                                     "`MLmodel` has no `flavors` mapping: it is not MLflow model metadata", where)
        return document, None

    @computed_once
    def mlmodel_error(self) -> FileProblem | None:
        """Why MLmodel is not usable model metadata, or None when it is."""
        return self._mlmodel_metadata[1]

    @computed_once
    def mlmodel(self) -> YamlDocument | None:
        """The parsed MLmodel, or None when :attr:`mlmodel_error` says why not."""
        return self._mlmodel_metadata[0]

    def mlmodel_span(self, *key: Any) -> Span:
        return self.mlmodel.span(*key) if self.mlmodel else FILE_START

    @computed_once
    def flavors(self) -> dict[str, dict[str, Any]]:
        if not self.mlmodel:
            return {}
        raw = self.mlmodel.data.get("flavors") or {}
        return {str(name): conf if isinstance(conf, dict) else {} for name, conf in raw.items()}

    @computed_once
    def pyfunc(self) -> dict[str, Any] | None:
        return self.flavors.get(PYFUNC)

    @computed_once
    def mlflow_version(self) -> str | None:
        value = self.mlmodel.data.get("mlflow_version") if self.mlmodel else None
        return str(value) if value is not None else None

    @computed_once
    def mlmodel_python(self) -> str | None:
        value = (self.pyfunc or {}).get("python_version")
        return str(value) if value is not None else None

    @computed_once
    def signature(self) -> ModelSignature:
        """The :class:`~modellint.analyzer.signatures.stored.ModelSignature`: signature, example, mismatches."""
        from modellint.analyzer.signatures.stored import read_model_signature

        return read_model_signature(self.root, self.mlmodel.data if self.mlmodel else {})

    @computed_once
    def serving_example(self) -> ServingExample | None:
        """The stored serving payload (size, request format), signature or not; None when there is none."""
        from modellint.analyzer.deployment.serving_example import read_serving_example

        return read_serving_example(self.root, self.mlmodel.data if self.mlmodel else {})

    # --- environment files ----------------------------------------------------------------------

    @computed_once
    def env_spec(self) -> tuple[str | None, str | None, bool]:
        """``(conda file, virtualenv file, named)`` as the pyfunc ``env`` key gives them.

        MLflow < 2.0 wrote ``env: conda.yaml`` (a string); 2.0+ a mapping. ``named`` is False
        when the model names no env at all, in which case serving falls back to the defaults.
        """
        env = (self.pyfunc or {}).get("env")
        if isinstance(env, str):
            return env, None, True
        if isinstance(env, dict):
            conda = env.get("conda")
            virtualenv = env.get("virtualenv")
            return (str(conda) if conda else None, str(virtualenv) if virtualenv else None, True)
        return None, None, False

    @property
    def conda_file_name(self) -> str:
        return self.env_spec[0] or DEFAULT_CONDA

    @property
    def python_env_file_name(self) -> str:
        return self.env_spec[1] or DEFAULT_PYTHON_ENV

    def _yaml_file(self, name: str) -> YamlDocument | None:
        path = self.root / name
        if self.outside(name):
            return None  # ML006 reports it; its lines are never read, so never echoed
        text, problem = read_text(path, self.root)
        if problem and not problem.outside:  # refused as outside: ML006's, never read
            self.file_problems.append(FileProblem(path, problem.message))
            return None
        if text is None:
            return None
        try:
            return parse_shared_yaml(text)
        except YamlError as error:
            self.file_problems.append(FileProblem(path, error.explain(name), error.span))
            return None

    @computed_once
    def requirements(self) -> RequirementsList | None:
        path = self.root / REQUIREMENTS
        if self.outside(REQUIREMENTS):
            return None  # ML006 reports it
        text, problem = read_text(path, self.root)
        if problem and not problem.outside:  # refused as outside: ML006's, never read
            self.file_problems.append(FileProblem(path, problem.message))
            return None
        if text is None:
            return None
        try:
            return parse_requirements_text(text, path)
        except RequirementsBudgetExceeded as error:
            self.file_problems.append(FileProblem(path, str(error)))
            return None

    @computed_once
    def conda(self) -> CondaEnv | None:
        document = self._yaml_file(self.conda_file_name)
        if document is None:
            return None
        env = conda_env_from_yaml(document, self.root / self.conda_file_name)
        self.file_problems.extend(FileProblem(env.path, message, span) for message, span in env.problems)
        return env

    @computed_once
    def python_env(self) -> PythonEnv | None:
        document = self._yaml_file(self.python_env_file_name)
        if document is None:
            return None
        env = python_env_from_yaml(document, self.root / self.python_env_file_name)
        self.file_problems.extend(FileProblem(env.path, message, span) for message, span in env.problems)
        return env

    @computed_once
    def env_file_problems(self) -> list[FileProblem]:
        """Problems reading or parsing requirements.txt, the conda file and python_env.yaml."""
        self.requirements, self.conda, self.python_env  # noqa: B018 - reading records problems
        return list(self.file_problems)

    def has_file(self, relative: str) -> bool:
        """Whether ``relative`` exists inside the model dir (a path leading outside never does)."""
        if self.outside(relative):
            return False
        return exists(self.root / relative) or self._is_withheld(relative)

    def has_entry(self, relative: str) -> bool:
        """Whether anything is at ``relative``: a file, or a symlink that is broken, loops or leads
        outside (those are reported as unreadable or outside, not as missing)."""
        return self.outside(relative) is not None or lexists(self.root / relative) or self._is_withheld(relative)

    def _is_withheld(self, relative: str) -> bool:
        return bool(self.withheld) and os.path.normpath(relative).replace(os.sep, "/") in self.withheld

    @computed_once
    def declared_python(self) -> tuple[int, int] | None:
        """The Python a fresh serving env gets: python_env.yaml, else conda, else MLmodel."""
        version = self.declared_python_version
        return None if version is None else (version[0], version[1])

    @computed_once
    def declared_python_version(self) -> tuple[int, ...] | None:
        """:attr:`declared_python` as written (``(3, 10, 11)`` where the patch release is given)."""
        candidates: list[Any] = []
        if self.python_env and self.python_env.python:
            candidates.append(self.python_env.python)
        if self.conda and self.conda.python and self.conda.python.exact_version:
            candidates.append(self.conda.python.exact_version)
        candidates.append(self.mlmodel_python)
        for candidate in candidates:
            version = parse_version_tuple(candidate)
            if version and len(version) >= 2:
                return tuple(version[:3])
        return None

    @computed_once
    def serving_platform(self) -> ServingPlatform | None:
        """The Python and platform the environment is built for: ``--python-version``, else the
        declared Python 3, on ``--platform`` (default Linux x86_64); None when neither the
        settings nor the model name a Python 3."""
        from modellint.analyzer.environment.serving_platform import ServingPlatform

        version = self.settings.python if self.settings is not None and self.settings.python else None
        version = version or self.declared_python_version
        return ServingPlatform(version, self._platform) if version is not None and version[0] == 3 else None

    @property
    def _platform(self) -> str:
        from modellint.analyzer.environment.serving_platform import DEFAULT_PLATFORM

        return self.settings.platform if self.settings is not None else DEFAULT_PLATFORM

    @computed_once
    def declared_requirements(self) -> list[RequirementLine]:
        """Requirement lines of requirements.txt and the conda `pip:` list, in that order."""
        lines = list(self.requirements.lines) if self.requirements else []
        if self.conda and self.conda.pip:
            lines.extend(self.conda.pip.lines)
        return lines

    @computed_once
    def pinned_releases(self) -> tuple[PinnedRelease, ...]:
        """The exact pins of requirements.txt and the conda ``pip:`` list that the per-release data
        can judge, each with the release it names (see
        :mod:`~modellint.analyzer.environment.pinned_releases`)."""
        from modellint.analyzer.environment.pinned_releases import pinned_releases

        lists = (self.requirements, self.conda.pip if self.conda is not None else None)
        return tuple(pinned_releases(lists, self.serving_platform))

    @computed_once
    def unindexed_requirements(self) -> tuple[UnindexedRequirement, ...]:
        """The requirements of requirements.txt and the conda ``pip:`` list naming a distribution
        no index they reach serves (see :mod:`~modellint.analyzer.environment.unindexed_requirements`)."""
        from modellint.analyzer.environment.unindexed_requirements import unindexed_requirements

        lists = (self.requirements, self.conda.pip if self.conda is not None else None)
        return tuple(unindexed_requirements(lists, self.serving_platform, self.environment.knowledge))

    @computed_once
    def conda_unbuilt_python(self) -> UnbuiltPython | None:
        """The conda env's ``python`` spec when its channels are conda-forge alone and conda-forge
        built no matching version (see :mod:`~modellint.analyzer.environment.conda_channels`)."""
        from modellint.analyzer.environment.conda_channels import unbuilt_python

        return unbuilt_python(self.conda)

    @computed_once
    def conda_unserved_packages(self) -> tuple[UnservedCondaPackage, ...]:
        """The conda env's dependencies its channels (conda-forge alone) do not publish."""
        from modellint.analyzer.environment.conda_channels import unserved_packages

        return tuple(unserved_packages(self.conda))

    @computed_once
    def vulnerable_pins(self) -> tuple[VulnerablePin, ...]:
        """The exact pins of requirements.txt and the conda ``pip:`` list of a release a published
        advisory affects (see :mod:`~modellint.analyzer.environment.vulnerable_pins`)."""
        from modellint.analyzer.environment.vulnerable_pins import vulnerable_pins

        lists = (self.requirements, self.conda.pip if self.conda is not None else None)
        return tuple(vulnerable_pins(lists, self.serving_platform))

    @computed_once
    def environment(self) -> DeclaredEnvironment:
        """The :class:`~modellint.analyzer.environment.declared.DeclaredEnvironment` (loads the knowledge base)."""
        from modellint.analyzer.environment.declared import DeclaredEnvironment
        from modellint.analyzer.knowledge.distributions import load

        target = self.serving_platform
        python = target.minor if target is not None else self.declared_python
        platform = target.platform if target is not None else self._platform
        return DeclaredEnvironment(self.declared_requirements, python, load().configured(self.settings), platform)

    def code_module_exists(self, module: str) -> bool:
        """Whether the top-level package/module of ``module`` is shipped in a code dir."""
        top = module.split(".")[0]
        known = self._shipped_tops.get(top)
        if known is None:
            # Asked for every import of every scanned file (a vendored package: thousands); each
            # answer costs stats and a listing of the code dirs, which a lint does not change.
            known = self._shipped_tops[top] = self._ships_top_level(top)
        return known

    @computed_once
    def _shipped_tops(self) -> dict[str, bool]:
        return {}

    def _ships_top_level(self, top: str) -> bool:
        if not top.isidentifier():
            return False
        for directory in self.code_directories:
            if self._in_code_dir(directory, f"{top}.py") or self._in_code_dir(directory, top, is_dir):
                return True
            try:
                names = self._code_dir_names(directory)
            except OSError:
                continue
            if any(name.startswith(f"{top}.") and name.endswith(".so") and self._in_code_dir(directory, name)
                   for name in names):
                return True
        return False

    def _in_code_dir(self, directory: Path, name: str, present=exists) -> bool:
        path = directory / name
        return present(path) and not self.outside(relative_posix(self.root, path))

    def _code_dir_names(self, directory: Path) -> list[str]:
        return [entry.name for entry in os.scandir(directory)]

    @computed_once
    def code_directories(self) -> list[Path]:
        """The code dirs MLmodel names that exist inside the model dir, once each, in flavor order."""
        directories: list[Path] = []
        for _, relative in self.code_dirs:
            if self.outside(relative):
                continue  # ML004/ML006 report it: never list or walk the machine
            directory = self.root / relative
            if is_dir(directory) and directory not in directories:
                directories.append(directory)
        return directories

    @computed_once
    def tree(self) -> tuple[list[Path], list[Path]]:
        """``(entries, links out)``: what is below the root (symlinked dirs not descended, ``.git``
        and caches skipped): regular files, and FIFOs, devices, sockets and folders that cannot be
        listed, which must never be opened (see :func:`~modellint.analyzer.files.walk_inside`); and
        the symlinks in it that resolve outside it (never read)."""
        return model_tree(self.root)

    @computed_once
    def serialized_files(self) -> list[SerializedFile]:
        """Every pickle/joblib/torch/npy/skops file below the root, scanned statically (never loaded)."""
        from modellint.analyzer.serialized.inventory import declared_pickles, model_text_files, scan_model_files

        text_files = model_text_files(self.conda_file_name, self.python_env_file_name)
        return scan_model_files(self.root, text_files, declared_pickles(self.root, self.flavors), files=self.tree[0],
                                withheld=self.withheld)

    @computed_once
    def mlflow_loaded_paths(self) -> frozenset[str] | None:
        """The paths loading the model may read (see :mod:`~modellint.analyzer.serialized.loaded_files`), or
        None when any file may be read: also when a file it reads carries by-value code, or could not be
        read through (either may open any path at run time)."""
        from modellint.analyzer.serialized.loaded_files import is_loaded, loaded_paths

        if not self.mlmodel or self.training is not None:  # a training project's model is not written yet
            return None
        paths = loaded_paths(self.flavors)
        if paths is None:
            return None
        for serialized in self.serialized_files:
            scan = serialized.scan
            if (scan.embedded_code or scan.problems) and is_loaded(serialized.relative, paths):
                return None
        return paths

    def loaded_by_mlflow(self, relative: str) -> bool:
        """Whether loading the model may read the file at ``relative`` (POSIX, below the root)."""
        from modellint.analyzer.serialized.loaded_files import is_loaded

        return is_loaded(relative, self.mlflow_loaded_paths)

    @property
    def source_python(self) -> tuple[int, int] | None:
        """The Python the model's code must parse under: the declared one."""
        return self.declared_python

    @computed_once
    def models_from_code_file(self) -> Path | None:
        """The file a models-from-code model runs (MLmodel ``model_code_path``, by its basename at
        the root), when it is a file inside the model dir."""
        code_path = (self.pyfunc or {}).get("model_code_path")
        if not isinstance(code_path, str) or not code_path.strip():
            return None
        name = model_code_basename(code_path)
        if self.outside(name):
            return None  # ML006 reports it
        path = self.root / name
        return path if is_file(path) else None

    @computed_once
    def code_scans(self) -> tuple[ModuleScan, ...]:
        """Import scans of the code the model runs: code dirs, models-from-code file, by-value pickled code."""
        return self._scan_code()

    def _scan_code(self, by_value_scans: tuple[ModuleScan, ...] = (),
                   copies: CodeCopies | None = None) -> tuple[ModuleScan, ...]:
        if not (self.code_directories or self.models_from_code_file or by_value_scans
                or any(serialized.scan.embedded_code for serialized in self.serialized_files)):
            return ()  # no code: and the scanner, which imports ast and tokenize, is not loaded
        from modellint.analyzer.code.scans import scan_model_code, syntax_python

        loader = (self.pyfunc or {}).get("loader_module")
        return scan_model_code(self.root, self.code_directories, code_file=self.models_from_code_file,
                               serialized_files=self.serialized_files,
                               loader_module=loader if isinstance(loader, str) and loader else None,
                               python=syntax_python(self.source_python), by_value_scans=by_value_scans,
                               copies=copies)

    # --- paths MLmodel refers to ----------------------------------------------------------------

    @computed_once
    def code_dirs(self) -> list[tuple[str, str]]:
        """``(flavor, relative dir)`` for each flavor whose ``code`` key names a code dir."""
        found = []
        for flavor, conf in self.flavors.items():
            code = conf.get("code")
            if isinstance(code, str) and code:
                found.append((flavor, code))
        return found

    @computed_once
    def path_references(self) -> list[PathReference]:
        """Every path-valued key MLmodel holds, tagged with whether a loader opens it."""
        if not self.mlmodel:
            return []
        refs: list[PathReference] = []
        for flavor, conf in self.flavors.items():
            for key, value in conf.items():
                if key in _LOADER_PATH_KEYS and isinstance(value, str) and value:
                    refs.append(PathReference(("flavors", flavor, key), value, True, f"{flavor}.{key}"))
            artifacts = conf.get("artifacts")
            if isinstance(artifacts, dict):
                for name, artifact in artifacts.items():
                    if not isinstance(artifact, dict):
                        continue
                    if isinstance(artifact.get("path"), str):
                        refs.append(PathReference(("flavors", flavor, "artifacts", name, "path"),
                                                  artifact["path"], True, f"artifact `{name}`"))
                    if isinstance(artifact.get("uri"), str):
                        refs.append(PathReference(("flavors", flavor, "artifacts", name, "uri"),
                                                  artifact["uri"], False, f"artifact `{name}` uri"))
            if isinstance(conf.get("model_code_path"), str):
                refs.append(PathReference(("flavors", flavor, "model_code_path"), conf["model_code_path"],
                                          False, f"{flavor}.model_code_path"))
        artifact_path = self.mlmodel.data.get("artifact_path")
        if isinstance(artifact_path, str):
            refs.append(PathReference(("artifact_path",), artifact_path, False, "artifact_path"))
        example = self.mlmodel.data.get("saved_input_example_info")
        if isinstance(example, dict):
            for key in ("artifact_path", "serving_input_path"):
                if isinstance(example.get(key), str):
                    refs.append(PathReference(("saved_input_example_info", key), example[key], True,
                                              f"input example `{key}`"))
        return refs

    @computed_once
    def payload_problems(self) -> list[PayloadProblem]:
        """The payloads MLmodel names that hold no model: a Git LFS pointer, an empty file or dir, or a
        model dir far below the ``model_size_bytes`` MLmodel records (see
        :mod:`~modellint.analyzer.serialized.payload`)."""
        from modellint.analyzer.serialized.payload import PayloadReference, payload_problems

        if not self.mlmodel:
            return []
        references = []
        recorded_size = self.mlmodel.data.get("model_size_bytes")
        for ref in self.path_references:
            if not ref.loader_opens or ref.key[0] != "flavors" or ref.key[-1] == "code":
                continue  # input examples are metadata; a code dir holds sources, empty __init__.py included
            if is_absolute_path(ref.value) or is_uri(ref.value) or self.outside(ref.value):
                recorded_size = None  # a payload elsewhere: what is here says nothing of the recorded size
                continue
            relative = PurePosixPath(ref.value.replace("\\", "/")).as_posix()
            references.append(PayloadReference(relative, ref.description, ref.key, _holds_model(ref.key, self.pyfunc)))
        return payload_problems(self.root, references, self.tree[0], recorded_size,
                                (self.conda_file_name, self.python_env_file_name))

    @computed_once
    def outside_paths(self) -> list[OutsidePath]:
        """Paths the loader or the env builder would open that lead outside the model dir.

        The env files MLmodel names (absolute ones included), the code dir, flavor payloads,
        artifacts and input examples it names with ``..`` above the root or through a symlink
        leaving it (absolute ones are ML004's), the models-from-code file at the root, and every
        other symlink in the tree that resolves outside (MLmodel's own is ML001's). None is read.
        """
        found: list[OutsidePath] = []
        if self.mlmodel:
            conda, virtualenv, _ = self.env_spec
            env = (self.pyfunc or {}).get("env")
            for written, key in ((conda, "conda"), (virtualenv, "virtualenv")):
                if written:
                    where = ("flavors", PYFUNC, "env", key) if isinstance(env, dict) else ("flavors", PYFUNC, "env")
                    self._add_outside(found, where, written, ".".join(where[1:]))
            for ref in self.path_references:
                if ref.loader_opens and not is_uri(ref.value) and written_escape(ref.value) != ABSOLUTE:
                    self._add_outside(found, ref.key, ref.value, ref.description)
            for flavor, conf in self.flavors.items():
                code_path = conf.get("model_code_path")
                if isinstance(code_path, str) and code_path.strip():
                    self._add_outside(found, ("flavors", flavor, "model_code_path"), model_code_basename(code_path),
                                      f"the models-from-code file (`{flavor}.model_code_path`)")
        reported = {item.path for item in found}
        for link in self.tree[1]:
            relative = link.relative_to(self.root).as_posix()
            if link not in reported and relative != MLMODEL:
                found.append(OutsidePath(None, relative, link, escape(self.root, relative) or "", f"`{relative}`"))
        return found

    def _add_outside(self, found: list[OutsidePath], key: tuple[Any, ...], written: str, description: str) -> None:
        reason = self.outside(written)
        if reason is not None:
            path = self.root / written if reason != ABSOLUTE else Path(written)
            found.append(OutsidePath(key, written, path, reason, description))


# Flavor keys whose value is a path, relative to the model dir, that the flavor's loader opens.
# (`code` is handled separately: it is a directory put on sys.path.)
# Gathered from the flavors MLflow 1.x-3.x write and the 142 real model dirs.
_LOADER_PATH_KEYS = frozenset({
    "code", "data", "model_path", "pickled_model", "python_model", "model_data", "saved_model_dir",
    "model_binary", "model_artifact", "model",
})


def _holds_model(key: tuple[Any, ...], pyfunc: dict[str, Any] | None) -> bool:
    """Whether MLflow's own loader reads a model from the path MLmodel names under ``key``: not a
    PythonModel's artifact nor the ``data`` of a ``loader_module`` outside MLflow (those may be anything)."""
    if "artifacts" in key:
        return False
    loader = (pyfunc or {}).get("loader_module")
    return not (key[1] == PYFUNC and not (isinstance(loader, str) and loader.startswith("mlflow.")))


def _absolute_path(value: str) -> bool:
    """True for POSIX/Windows absolute paths and ``file:`` URIs (machine-local locations)."""
    if value.startswith("file:"):
        return True
    return PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute() or value.startswith("~")


def _uri(value: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]+:/", value)) and not PureWindowsPath(value).drive


is_absolute_path = remembered_for_short_text(_absolute_path)
is_uri = remembered_for_short_text(_uri)
