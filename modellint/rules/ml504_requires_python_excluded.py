from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.environment.pinned_releases import excludes_python, nearest_release
from modellint.analyzer.knowledge.stdlib_backports import stdlib_backports
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP
from modellint.rules._release_examples import with_requirements


class RequiresPythonExcluded(Rule):
    """## What it does
    Flags a requirement pinned to a release whose `Requires-Python` excludes the model's declared
    Python (python_env.yaml, else conda's `python=`, else MLmodel's `python_version`).

    ## Why is this bad?
    pip skips every file of a release whose `Requires-Python` excludes the running Python, so an
    exact pin of it ends in `ERROR: Could not find a version that satisfies the requirement
    scikit-learn==1.9.1 (from versions: ...)` and `No matching distribution found`: the
    environment is never built. It happens when a model's Python is edited by hand (to an older
    image's Python) while its pins stay, or pins are copied from a newer environment.

    A Python declared without its patch release (`3.10`) is excluded only when every 3.10.x is
    (a `>=3.10.1` does not exclude it). The Requires-Python of each release comes from modellint's
    per-release data (`releases.dat`, a dated PyPI snapshot); a distribution it does not cover, a
    list naming another index and a standard-library backport (ML501 reports those) get no
    finding here.

    ## Example
    ```text
    # requirements.txt of a model that declares python: 3.8.18
    scikit-learn==1.9.1
    ```

    ## Fix
    Pin a release whose Requires-Python admits the declared Python (the message names the nearest
    one), or declare the Python the pins were made for. Keep the pins of the libraries that wrote
    the model's files at the training versions: a model pickled with one scikit-learn may not load
    with another.
    """

    code = "ML504"
    name = "requires-python-excluded"
    severity = Severity.ERROR
    fix_title = "Pin a release for the declared Python, or declare the Python the pins need"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(with_requirements(*CLEAN_PIP, "numpy==2.3.5"), note="a release for Python 3.11 and later"),
        Valid(with_requirements(*CLEAN_PIP, 'pandas==1.3.5; python_version < "3.11"'),
              note="the marker keeps it off Python 3.11"),
    ))
    INVALID = examples(lambda: (
        Invalid(with_requirements("mlflow==2.11.3", "scikit-learn==1.9.1", python="3.8.18"),
                (("requirements.txt", 2), ("conda.yaml", 8)),
                note="a Python edited down to an older image's, the pins left as they were"),
        Invalid(with_requirements("pandas==1.3.5", python="3.7.0"), (("requirements.txt", 1), ("conda.yaml", 7)),
                note="a patch release the pin excludes: pandas 1.3.5 needs 3.7.1"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        target = model.serving_platform
        if target is None:
            return
        backports = stdlib_backports()
        for pin in model.pinned_releases:
            release = pin.release
            if release is None or pin.prefix or not release.has_files or not excludes_python(release, target):
                continue
            backport = backports.get(pin.releases.name)
            if backport is not None and target.minor >= backport.since:
                continue  # ML501: the declared Python ships the module anyway
            message = (f"`{pin.line.text}` cannot install on Python {target.python_text}: "
                       f"{pin.releases.name} {release.version} declares Requires-Python `{release.requires_python}`")
            nearest = nearest_release(pin.releases, release,
                                      lambda r: r.has_files and not r.yanked and not excludes_python(r, target))
            if nearest is not None:
                message += f"; the nearest release that admits it is {nearest.version}"
            yield self.finding(pin.line.path, message, pin.line.span)
