from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from modellint.analyzer.environment.requirements import MLFLOW_REQUIREMENT_NAMES
from modellint.analyzer.environment.vulnerable_pins import VulnerablePin
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Applicability, Finding, Fix, Severity
from modellint.fixes.requirement_lists import pinned, rewrite_fix
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP
from modellint.rules._release_examples import with_requirements

if TYPE_CHECKING:
    from modellint.analyzer.knowledge.advisories import Advisory

_LISTED_ADVISORIES = 3  # a long-lived old pin can have dozens: the first few and a count


class KnownVulnerablePin(Rule):
    """## What it does
    Flags a requirement pinned (`==`) to a release that a published security advisory affects,
    naming the advisories (PYSEC id and CVE/GHSA aliases) and the first release that fixes them
    all.

    ## Why is this bad?
    The serving environment installs exactly the pinned release, so the model serves with code
    that has a known vulnerability: `pillow==9.0.0` mishandles highly compressed GIF data
    (CVE-2022-45198) and its wheels bundle a libwebp with a heap overflow (CVE-2023-4863);
    `torch==1.13.0` runs `eval` on a TorchScript type annotation (CVE-2022-45907). Security
    reviews and image scanners (pip-audit, Trivy) reject such an image, often only at deploy
    time. Old pins collect advisories: this is a warning to act on, not a sign the model fails.

    The advisories come from the PyPA advisory database, PyPI's own vulnerability data, on a
    recorded snapshot date (`modellint/analyzer/knowledge/advisories.dat`, built by
    `scripts/build_advisories.py`; `modellint --version` says how old it is): an advisory
    published since is not known, and one the database withdrew is not reported. A prefix pin
    (`==9.0.*`) and a range get no finding: pip installs the newest release they allow. An
    advisory of a component a scoring process never runs (MLflow's tracking server and its auth
    app) is left out: `serving_irrelevant_advisories.tsv` beside the data names each, with the
    reason read from the advisory.

    ## Example
    ```text
    pillow==9.0.0
    ```

    ## Fix
    Pin the release the message names (the first one none of the advisories affects), in
    requirements.txt and the conda `pip:` list, and check that the model still loads and predicts
    with it. For `mlflow` itself, when the fixed release is of another minor series, save the model
    again with that MLflow instead (MLmodel's `mlflow_version` must agree with the pin, ML105): the
    finding then carries no fix.

    ## Fix safety
    The new pin is an unsafe fix: another release of a library the model was pickled with may not
    load the model, and it may need other pins to move too.
    """

    code = "ML510"
    name = "known-vulnerable-pin"
    severity = Severity.WARNING
    fix_title = "Pin a release that fixes the advisories"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(with_requirements(*CLEAN_PIP, "pillow==11.0.0"), note="a release no advisory affects"),
        Valid(with_requirements(*CLEAN_PIP, "pillow>=9.0"), note="a range: pip installs the newest release"),
        Valid(with_requirements(*CLEAN_PIP, 'pillow==9.0.0; sys_platform == "win32"'),
              note="the marker keeps it off Linux"),
    ))
    INVALID = examples(lambda: (
        Invalid(with_requirements(*CLEAN_PIP, "torch==1.13.0"), (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed=_fixed_requirements("torch==1.13.0", "torch==1.13.1"),
                note="a release one advisory affects"),
        Invalid(with_requirements(*CLEAN_PIP, "pillow==9.0.0"), (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed=_fixed_requirements("pillow==9.0.0", "pillow==10.0.1"),
                note="four advisories, fixed in different releases: the first release that fixes them all"),
        Invalid(with_requirements(*CLEAN_PIP, "numpy==1.16.0"), (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed=_fixed_requirements("numpy==1.16.0", "numpy==1.19.1"),
                note="advisories the database marks as disputed are reported too"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for pin in model.vulnerable_pins:
            yield self._finding(pin)

    def _finding(self, pin: VulnerablePin) -> Finding:
        count = len(pin.advisories)
        listed = "; ".join(_described(advisory) for advisory in pin.advisories[:_LISTED_ADVISORIES])
        more = f"; and {count - _LISTED_ADVISORIES} more" if count > _LISTED_ADVISORIES else ""
        noun = "an advisory affects" if count == 1 else f"{count} advisories affect"
        message = (f"`{pin.line.text}`: {noun} {pin.name} {pin.version} (PyPA advisory database of "
                   f"{pin.snapshot_date}): {listed}{more}")
        fix: Fix | None = None
        if pin.fixed is None:
            message += f"; no release that fixes {'it' if count == 1 else 'all of them'} is known"
            return self.finding(pin.line.path, message, pin.line.span)
        message += f"; {pin.fixed} is the first release that fixes {'it' if count == 1 else 'them all'}"
        if pin.name in MLFLOW_REQUIREMENT_NAMES and _series(pin.fixed) != _series(pin.version):
            # MLmodel's mlflow_version pins MLflow's major.minor (ML105): moving the pin alone
            # trades this warning for that one, so the advice is to save the model again.
            message += " (save the model again with it: MLmodel records the MLflow that wrote it)"
        else:
            written = pin.line.requirement.name if pin.line.requirement else pin.name
            replacement = pinned(pin.line, written, pin.fixed)
            fix = rewrite_fix(pin.line, replacement, f"Pin `{replacement}`", Applicability.UNSAFE)
        return self.finding(pin.line.path, message, pin.line.span, fix=fix)


def _series(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def _described(advisory: Advisory) -> str:
    aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
    return f"{advisory.id}{aliases}: {advisory.summary}"


def _fixed_requirements(old: str, new: str) -> dict[str, str | bytes]:
    from modellint.rules._code_examples import requirement_files

    return {name: text.replace(old, new) for name, text in requirement_files(*CLEAN_PIP, old).items()}
