from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.environment.pinned_releases import PinnedRelease
from modellint.analyzer.environment.requirements import is_placeholder_version
from modellint.analyzer.knowledge.releases import Release
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, ProjectInvalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP
from modellint.rules._release_examples import with_requirements

_TRAIN = ("import mlflow\n\n"
          "mlflow.pyfunc.save_model('model', python_model=Model(),\n"
          "                         pip_requirements=['scikit-learn==1.9.1', 'cloudpickle==2.5.8'])\n")


class NonexistentRelease(Rule):
    """## What it does
    Flags a requirement pinned (`==`, `===` or an `==X.*` prefix) to a release that PyPI does not
    have: a version the project never published, or one it registered without uploading a file.

    ## Why is this bad?
    pip stops with `ERROR: No matching distribution found for cloudpickle==2.5.8` and the
    environment is never built: the model never serves. Such pins are typed by hand (MLflow's own
    dependency guide shows `cloudpickle==2.5.8`, a release that never existed), or copied from
    another package's version.

    The answer comes from modellint's per-release data
    (`modellint/analyzer/knowledge/releases.dat`, built by `scripts/build_releases.py` from PyPI's
    JSON API on a recorded snapshot date). Only what it can answer is judged: a distribution it
    does not cover, a pin newer than every release on the snapshot date, or than every release of
    its own `major.minor` series (a later release may be that version: maintenance lines go on, as
    `urllib3 1.26.x` did after 2.0), a local version label (`torch==2.1.0+cpu`: such builds come from the project's
    own index) and a list that names another index (`--index-url`, `--extra-index-url`,
    `--find-links`) get no finding, and neither does a requirement whose environment marker
    excludes the serving platform. A placeholder pin (`==0.0`) is ML104's.

    ## Example
    ```text
    scikit-learn==1.9.1
    cloudpickle==2.5.8
    ```

    ## Fix
    Pin the release the training environment really had (`pip show cloudpickle` there, or
    `cloudpickle_version` in MLmodel); the message names the releases either side of the pin.
    """

    code = "ML503"
    name = "nonexistent-release"
    severity = Severity.ERROR
    fix_title = "Pin a release that exists"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(with_requirements(*CLEAN_PIP, "cloudpickle==3.1.1"), note="a release PyPI has"),
        Valid(with_requirements(*CLEAN_PIP, "cloudpickle==3.1.*"), note="a prefix some releases match"),
        Valid(with_requirements(*CLEAN_PIP, "cloudpickle==99.0.0"),
              note="newer than the snapshot: a later release may be that version"),
        Valid(with_requirements(*CLEAN_PIP, "urllib3==1.26.99"),
              note="past the newest 1.26.x of the snapshot: the maintenance line may have gone on"),
        Valid(with_requirements(*CLEAN_PIP, "torch==2.5.1+cpu"), note="a local build, from PyTorch's own index"),
        Valid(with_requirements(*CLEAN_PIP, 'cloudpickle==2.5.8; sys_platform == "win32"'),
              note="the marker keeps it off Linux"),
    ))
    INVALID = examples(lambda: (
        Invalid(with_requirements(*CLEAN_PIP, "cloudpickle==2.5.8"), (("requirements.txt", 4), ("conda.yaml", 10)),
                note="the example pin of MLflow's dependency guide"),
        Invalid(with_requirements(*CLEAN_PIP, "cloudpickle==2.5.*"), (("requirements.txt", 4), ("conda.yaml", 10)),
                note="a prefix no release matches"),
        ProjectInvalid({"train.py": _TRAIN}, (("train.py", 4),), note="a training script's pip_requirements"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for pin in model.pinned_releases:
            if is_placeholder_version(pin.pinned):
                continue  # ML104 reports `==0.0`, a placeholder rather than a mistyped release
            if pin.release is None and not pin.newer:
                yield self._missing(pin)
            elif pin.release is not None and not pin.release.has_files and not pin.prefix:
                message = (f"`{pin.line.text}`: PyPI lists release {pin.release.version} of `{pin.releases.name}` "
                           f"but no file of it (snapshot of {pin.releases.snapshot_date}): pip finds nothing to "
                           f"install{_neighbours(pin)}")
                yield self.finding(pin.line.path, message, pin.line.span)

    def _missing(self, pin: PinnedRelease) -> Finding:
        what = "no release matching" if pin.prefix else "no release"
        message = (f"`{pin.line.text}`: PyPI has {what} {pin.pinned} of `{pin.releases.name}` "
                   f"(snapshot of {pin.releases.snapshot_date}), so pip finds no matching distribution"
                   f"{_neighbours(pin)}")
        return self.finding(pin.line.path, message, pin.line.span)


def _neighbours(pin: PinnedRelease) -> str:
    """``; the nearest releases are 2.2.1 and 3.0.0``, or "" when there are none to name."""
    from packaging.version import InvalidVersion, Version

    try:
        anchor = Version(pin.pinned.removesuffix(".*"))
    except InvalidVersion:
        return ""
    before: Release | None = None
    after: Release | None = None
    for release in pin.releases.releases:
        try:
            version = Version(release.version)
        except InvalidVersion:
            continue
        if not release.has_files or release.yanked or version.is_prerelease and not anchor.is_prerelease:
            continue
        if version < anchor:
            before = release
        elif version > anchor and after is None:
            after = release
    names = [release.version for release in (before, after) if release is not None]
    if not names:
        return ""
    return f"; the nearest {'releases are' if len(names) == 2 else 'release is'} {' and '.join(names)}"
