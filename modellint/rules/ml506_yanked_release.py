from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP
from modellint.rules._release_examples import with_requirements


class YankedRelease(Rule):
    """## What it does
    Flags a requirement pinned to a release its project has yanked from PyPI, with the reason the
    project gave.

    ## Why is this bad?
    A project yanks a release that is broken: it installs something that fails at import, breaks
    a dependency, or was published by mistake. pip still installs a yanked release for an exact
    `==` pin (PEP 592), printing only `WARNING: The candidate selected for download or install is
    a yanked version`, so the environment builds with the release its own authors withdrew.

    The yanked releases and their reasons come from modellint's per-release data (`releases.dat`,
    a dated PyPI snapshot); a prefix pin (`==1.2.*`) gets no finding, since pip skips yanked
    releases when choosing among several.

    ## Example
    ```text
    requests==2.32.1
    ```

    ## Fix
    Pin the release the project published in its place (the reason often names it), after
    checking that the model loads with it.
    """

    code = "ML506"
    name = "yanked-release"
    severity = Severity.WARNING
    fix_title = "Pin a release that is not yanked"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(with_requirements(*CLEAN_PIP, "requests==2.32.3"), note="the release that replaced it"),
        Valid(with_requirements(*CLEAN_PIP, "requests==2.32.*"), note="a prefix: pip skips the yanked releases"),
    ))
    INVALID = examples(lambda: (
        Invalid(with_requirements(*CLEAN_PIP, "requests==2.32.1"), (("requirements.txt", 4), ("conda.yaml", 10)),
                note="a release withdrawn by its project"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for pin in model.pinned_releases:
            release = pin.release
            if release is None or pin.prefix or not release.yanked:
                continue
            reason = f": {_shortened(release.yank_reason)}" if release.yank_reason else " (no reason given)"
            message = (f"`{pin.line.text}` pins a release {pin.releases.name} yanked from PyPI"
                       f"{reason}; pip installs it for an exact pin, with only a warning")
            yield self.finding(pin.line.path, message, pin.line.span)


def _shortened(reason: str, limit: int = 200) -> str:
    return reason if len(reason) <= limit else reason[:limit].rsplit(" ", 1)[0] + " ..."
