"""CycloneDX 1.6 JSON: the model's environment and files as an SBOM, written with the maintained
CycloneDX library (``cyclonedx-python-lib``, the optional extra ``modellint[sbom]``), which this
module alone imports.

An SBOM describes one model dir (or one serialized file): a run over a folder of several is a
usage error (one SBOM each). What is in it (:mod:`~modellint.reports.cyclonedx_inventory` says
which file declares what):

* ``metadata``: modellint as the tool, the time, and the model itself as the subject, a
  ``machine-learning-model`` component with its flavors, run id and Python as properties;
* a ``file`` component per file of the model dir, nested in the model (it is made of them), with
  its SHA-256 (a file that could not be hashed, a symlink or a FIFO has none and a
  ``modellint:unhashed`` property says why) and, for a serialized model file, its format;
* a ``library`` component per package, with a ``pkg:pypi/<name>@<version>`` (or ``pkg:conda/``)
  purl, the version only for an exact pin; ``modellint:origin`` says whether the environment files
  declare it or the knowledge base predicts it; ``dependencies`` holds the edges (model -> declared
  packages, package -> the packages it installs). A requirement whose marker excludes Linux and
  the declared Python has scope ``excluded``.

modellint's findings are not CycloneDX vulnerabilities (they have no advisory, no rating, and most
are not security problems): each is a ``modellint:finding`` property of the component it concerns
(the file, else the model), so the SBOM does not drop them. A target that could not be checked is
a ``modellint:unchecked`` property of the metadata, its files are not listed, and the exit code
is 2.

The output is the same bytes for the same model except ``serialNumber`` and
``metadata.timestamp``. With ``SOURCE_DATE_EPOCH`` set (the reproducible-builds convention) the
timestamp is that time and the serial number a UUID derived from the rest of the document, so
the whole document is reproducible.
"""

from __future__ import annotations

import json
import os
import uuid
import warnings
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modellint.analyzer.artifacts import Artifact
from modellint.findings import Finding
from modellint.reports import ReportContext, location, printable, summary_line
from modellint.reports.cyclonedx_inventory import DECLARED, ModelInventory, Package

if TYPE_CHECKING:
    from modellint.targets import Target

INSTALL_HINT = "--format cyclonedx needs the CycloneDX library: pip install 'modellint[sbom]'"


class SbomUnavailable(Exception):
    """The optional CycloneDX library is not installed."""


def library_available() -> bool:
    """Whether ``cyclonedx-python-lib`` can be imported (asked without importing it)."""
    from importlib.util import find_spec

    return find_spec("cyclonedx") is not None and find_spec("packageurl") is not None


def render(findings: list[Finding], context: ReportContext) -> str:
    if not library_available():
        raise SbomUnavailable(INSTALL_HINT)
    problem = undescribable(list(context.checked_targets))
    if problem is not None:  # the command line says so before it lints; the Python API here
        raise ValueError(problem)
    return _Writer(findings, context).document()


def undescribable(targets: list[Target]) -> str | None:
    """Why these targets cannot be one SBOM (None when they can): an SBOM describes one model dir
    or one serialized file, not a tree of them, nor a training project, which holds no model. No
    target at all is a document with no subject, whose metadata says what could not be checked."""
    if not targets or (len(targets) == 1 and targets[0].kind in ("model", "file")):
        return None
    if len(targets) == 1:
        return "--format cyclonedx describes one model dir: a training project holds no model to describe"
    return (f"--format cyclonedx describes one model dir: {len(targets)} targets were found; "
            "name one model dir (one SBOM each)")


class _Writer:
    """Builds the BOM of the one model dir (or lone serialized file) the run checked."""

    def __init__(self, findings: list[Finding], context: ReportContext) -> None:
        self.findings = findings
        self.context = context

    def document(self) -> str:
        from cyclonedx.model import Property
        from cyclonedx.model.bom import Bom
        from cyclonedx.output.json import JsonV1Dot6

        bom = Bom()
        self._metadata(bom)
        unchecked = {error.path for error in self.context.errors}
        for target in self.context.checked_targets:
            if target.path in unchecked:
                continue  # said in the metadata: its files are not listed as if they had been read
            if not os.path.lexists(target.path):  # a fetched model's folder, gone once lint() returned
                bom.metadata.properties.add(Property(name="modellint:unchecked",
                                                     value=f"{self._shown(target.path)}: no longer on disk"))
                continue
            if target.kind == "model":
                self._add_model(bom, target)
            elif target.kind == "file":
                self._add_lone_file(bom, target.path)
        epoch = _source_date_epoch()
        if epoch is not None:
            bom.metadata.timestamp = epoch
            bom.serial_number = uuid.UUID(int=0)  # a placeholder while the content is hashed
        with warnings.catch_warnings():
            # The library warns when the subject depends on nothing listed: a model whose every
            # requirement is excluded by its marker does, and the SBOM says so itself.
            warnings.simplefilter("ignore", UserWarning)
            text = JsonV1Dot6(bom).output_as_string(indent=2)
        if epoch is not None:
            document = json.loads(text)
            serial = uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(document, sort_keys=True))
            document["serialNumber"] = serial.urn
            text = json.dumps(document, indent=2)
        return text + "\n"

    def _metadata(self, bom: Any) -> None:
        from cyclonedx.model import Property
        from cyclonedx.model.component import Component, ComponentType

        bom.metadata.tools.components.add(Component(type=ComponentType.APPLICATION, name="modellint",
                                                    version=self.context.version))
        properties = [Property(name="modellint:summary", value=summary_line(self.findings, len(self.context.errors)))]
        properties += [Property(name="modellint:unchecked", value=f"{self._shown(error.path)}: {printable(error.message)}")
                       for error in self.context.errors]
        bom.metadata.properties.update(properties)

    def _add_model(self, bom: Any, target: Target) -> None:
        """The model is the BOM's subject, its files nested in it (the model is made of them), its
        packages the BOM's components, with the edges between them."""
        from cyclonedx.model import Property
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.model.dependency import Dependency

        from modellint.analyzer.model_dir import ModelDir
        from modellint.reports.cyclonedx_inventory import model_inventory

        model = model_inventory(ModelDir(target.path, withheld=dict(target.withheld)))
        findings = self._findings_by_file(model)
        shown = self._shown(model.root)  # "." when run inside the model dir: its folder's name says more
        component = Component(type=ComponentType.MACHINE_LEARNING_MODEL, bom_ref="model",
                              name=printable(model.root.name) if shown == "." else shown)
        properties = [Property(name=name, value=value) for name, value in model.properties]
        if model.artifacts.unlisted:
            properties.append(Property(name="modellint:unlisted-files",
                                       value=f"{model.artifacts.unlisted} more files were not listed"))
        if model.unlisted_packages:
            properties.append(Property(name="modellint:unlisted-packages",
                                       value=f"{model.unlisted_packages} more packages were not listed"))
        component.properties.update([*properties, *_finding_properties(findings.pop(None, []))])
        component.components.update(_file_component(artifact, findings.get(artifact.relative, ()))
                                    for artifact in model.artifacts.artifacts)
        bom.metadata.component = component
        libraries = [(package, _package_component(package)) for package in model.packages]
        bom.components.update(library for _, library in libraries)
        by_name: dict[str, list[Component]] = {}
        for package, library in libraries:
            if package.ecosystem == "pypi":
                by_name.setdefault(package.name, []).append(library)
        # Dependency entries built here: the library's register_dependency searches every entry per call.
        bom.dependencies.add(Dependency(ref=component.bom_ref, dependencies=[
            Dependency(ref=library.bom_ref) for package, library in libraries if package.origin == DECLARED and package.applies]))
        for package, library in libraries:
            bom.dependencies.add(Dependency(ref=library.bom_ref, dependencies=[
                Dependency(ref=dependency.bom_ref) for name in package.requires for dependency in by_name.get(name, ())]))

    def _add_lone_file(self, bom: Any, path: Path) -> None:
        from modellint.analyzer.artifacts import list_artifacts

        for artifact in list_artifacts(path.parent, [path]).artifacts:
            component = _file_component(artifact, self.findings)
            component.name = self._shown(path)
            bom.metadata.component = component

    def _findings_by_file(self, model: ModelInventory) -> dict[str | None, list[Finding]]:
        """Each finding under the relative path of the file it concerns when that file is listed,
        else under None (the model's)."""
        listed = {artifact.relative for artifact in model.artifacts.artifacts}
        found: dict[str | None, list[Finding]] = {}
        for finding in self.findings:
            try:
                relative: str | None = finding.path.relative_to(model.root).as_posix()
            except ValueError:
                relative = None
            found.setdefault(relative if relative in listed else None, []).append(finding)
        return found

    def _shown(self, path: Path) -> str:
        return printable(location(path, self.context))


def _package_component(package: Package) -> Any:
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component, ComponentScope, ComponentType
    from packageurl import PackageURL

    purl = None
    if package.ecosystem in ("pypi", "conda"):
        purl = PackageURL(type=package.ecosystem, name=package.name, version=package.version)
    ref = str(purl) if purl is not None else f"location:{package.name}"
    component = Component(type=ComponentType.LIBRARY, name=package.name, version=package.version, purl=purl,
                          bom_ref=ref, scope=ComponentScope.REQUIRED if package.applies else ComponentScope.EXCLUDED)
    properties = [Property(name="modellint:origin", value=package.origin)]
    properties += [Property(name="modellint:declared-in", value=where) for where in package.declared_in]
    properties += [Property(name="modellint:requirement", value=text) for text in package.specifiers]
    if package.ecosystem == "conda":
        properties.append(Property(name="modellint:env-manager", value="conda (installed only by --env-manager conda)"))
    if not package.applies:
        properties.append(Property(name="modellint:excluded",
                                   value="its marker excludes Linux and the declared Python: not installed"))
    if not package.known:
        properties.append(Property(name="modellint:knowledge",
                                   value="unknown to modellint's knowledge base: what it installs is not listed"))
    component.properties.update(properties)
    return component


def _file_component(artifact: Artifact, findings: Iterable[Finding]) -> Any:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType

    component = Component(type=ComponentType.FILE, name=printable(artifact.relative), bom_ref=f"file:{printable(artifact.relative)}")
    if artifact.sha256 is not None:
        component.hashes.add(HashType(alg=HashAlgorithm.SHA_256, content=artifact.sha256))
    properties = []
    if artifact.size is not None:
        properties.append(Property(name="modellint:size", value=str(artifact.size)))
    if artifact.unhashed is not None:
        properties.append(Property(name="modellint:unhashed", value=artifact.unhashed))
    if artifact.serialized is not None:
        properties.append(Property(name="modellint:serialized-format", value=artifact.serialized))
    component.properties.update([*properties, *_finding_properties(findings)])
    return component


def _finding_properties(findings: Iterable[Finding]) -> list[Any]:
    from cyclonedx.model import Property

    return [Property(name="modellint:finding",
                     value=f"{finding.code} {finding.severity} "
                           f"line {finding.span.line}: {printable(finding.message)}")
            for finding in findings]


def _source_date_epoch() -> datetime | None:
    """``SOURCE_DATE_EPOCH`` as a time, None when unset; a value that is no integer is ignored, as
    reproducible-builds tools do."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value.isdigit():
        return None
    return datetime.fromtimestamp(int(value), tz=timezone.utc)
