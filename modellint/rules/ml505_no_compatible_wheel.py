from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.environment.pinned_releases import (
    PinnedRelease,
    excludes_python,
    installable,
    nearest_release,
)
from modellint.analyzer.environment.serving_platform import ServingPlatform
from modellint.analyzer.knowledge.platform_only import platform_only
from modellint.analyzer.knowledge.releases import Release
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Applicability, Finding, Fix, Severity
from modellint.fixes.requirement_lists import pinned, rewrite_fix
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP
from modellint.rules._release_examples import with_requirements


class NoCompatibleWheel(Rule):
    """## What it does
    Flags a requirement pinned to a release that has no wheel for the serving platform (Linux
    x86_64) and the model's declared Python, of a project whose code is compiled: the release has
    only an sdist pip would have to build there, or no file for it at all.

    ## Why is this bad?
    When no file of the release installs there (no sdist, and wheels only for other Pythons or
    platforms: `tensorflow==2.15.0` on Python 3.13), pip stops with `No matching distribution
    found` and the environment is never built: an **error**.

    With only an sdist, pip builds it, which needs a C/C++ (or Fortran, Rust) compiler, the Python
    headers and the project's build dependencies at versions that still build against that
    Python. When the release has wheels for the platform, but only for older Pythons
    (`numpy==1.19.0` on Python 3.11), the build is one its maintainers never made and often fails
    (`numpy==1.19.0` does), and a slim serving image has no compiler at all: a **warning**. When
    the release has no wheel for the platform at all (`psutil==5.4.8`, from before the project
    published Linux wheels), building it was the normal route; it works in an image with a
    compiler, such as the ones `mlflow models build-docker` builds, and fails in a slim one: an
    **info**. These pins appear when the declared Python is raised while the pins stay, or when
    pins come from a Mac or Windows machine.

    A project is compiled when it publishes platform wheels (for any release); a pure-Python
    project's sdist builds anywhere and is not flagged. The wheels of each release come from
    modellint's per-release data (`releases.dat`, a dated PyPI snapshot); a distribution it does
    not cover, a list naming another index, a platform-only package (ML502) and a release whose
    Requires-Python excludes the Python (ML504) get no finding here.

    ## Example
    ```text
    # requirements.txt of a model that declares python: 3.11.7
    numpy==1.19.0
    ```

    ## Fix
    Pin the nearest release that has a wheel for the platform and Python (the message names it),
    in requirements.txt and the conda `pip:` list, or declare the Python the pin was made for.

    ## Fix safety
    The new pin is an unsafe fix: another release of a library the model was pickled with may not
    load the model, and it may need other pins to move too.
    """

    code = "ML505"
    name = "no-compatible-wheel"
    severity = Severity.ERROR
    fix_title = "Pin a release with a wheel for the serving platform and Python"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(with_requirements(*CLEAN_PIP, "numpy==2.3.5"), note="a compiled project's release with a wheel"),
        Valid(with_requirements(*CLEAN_PIP, 'numpy==1.19.0; python_version < "3.9"'),
              note="the marker keeps it off Python 3.11"),
        Valid(with_requirements(*CLEAN_PIP, "termcolor==1.1.0"), note="pure Python: its sdist builds anywhere"),
    ))
    INVALID = examples(lambda: (
        Invalid(with_requirements(*CLEAN_PIP, "numpy==1.19.0"), (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed=_fixed_requirements("numpy==1.19.0", "numpy==1.23.2"),
                severity=Severity.WARNING, note="a compiled project's sdist, for a Python its wheels predate"),
        Invalid(with_requirements(*CLEAN_PIP, "tensorflow==2.15.0", python="3.13.1"),
                (("requirements.txt", 4), ("conda.yaml", 10)),
                fixed=_fixed_requirements("tensorflow==2.15.0", "tensorflow==2.20.0", python="3.13.1"),
                note="no sdist and no wheel for the Python: nothing to install"),
        Invalid(with_requirements(*CLEAN_PIP, "psutil==5.4.8"), (("requirements.txt", 4), ("conda.yaml", 10)),
                severity=Severity.INFO, fixed=_fixed_requirements("psutil==5.4.8", "psutil==5.9.4"),
                note="a release from before the project published Linux wheels"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        target = model.serving_platform
        if target is None:
            return
        platform_only_packages = platform_only()
        for pin in model.pinned_releases:
            release = pin.release
            if (release is None or pin.prefix or not release.has_files or release.has_wheel_for(target)
                    or excludes_python(release, target) or pin.releases.name in platform_only_packages):
                continue
            if release.sdist and not pin.releases.compiled:
                continue  # a pure-Python sdist builds anywhere
            yield self._finding(pin, release, target)

    def _finding(self, pin: PinnedRelease, release: Release, target: ServingPlatform) -> Finding:
        name = pin.releases.name
        platform_wheels = _pythons_on(release, target.wheel_platform)
        severity = Severity.ERROR
        if not release.sdist:
            problem = f"no file of {name} {release.version} installs on {target.description}: it has no sdist"
        elif platform_wheels:
            severity = Severity.WARNING
            problem = (f"{name} {release.version} has no wheel for {target.description}, only an sdist, whose "
                       f"compiled code pip must build there, for a Python its wheels predate")
        else:
            severity = Severity.INFO
            problem = (f"{name} {release.version} has no wheel for {target.platform}, only an sdist, whose compiled "
                       f"code pip builds there: the image needs a compiler and {name}'s build dependencies")
        message = f"`{pin.line.text}`: {problem}{_wheels_described(release, target, platform_wheels)}"
        nearest = nearest_release(pin.releases, release,
                                  lambda r: installable(r, target) and (r.compiled or not release.compiled))
        fix: Fix | None = None
        if nearest is not None:
            message += f"; the nearest release with one is {nearest.version}"
            written = pin.line.requirement.name if pin.line.requirement else name
            replacement = pinned(pin.line, written, nearest.version)
            fix = rewrite_fix(pin.line, replacement, f"Pin `{replacement}`", Applicability.UNSAFE)
        return self.finding(pin.line.path, message, pin.line.span, severity=severity, fix=fix)


_PLATFORM_NAMES = {"L": "Linux x86_64", "l": "Linux aarch64", "M": "musl Linux x86_64", "m": "musl Linux aarch64",
                   "X": "macOS x86_64", "A": "macOS arm64", "W": "Windows", "w": "Windows"}


def _pythons_on(release: Release, platform: str) -> list[str]:
    """The CPython minors (``"3.9"``) the release has a wheel of its own ABI for on ``platform``."""
    minors = sorted({int(python[1:]) for group in release.wheels if platform in group.platforms
                     for python in group.pythons if python.isdigit() and python.startswith("3")})
    return [f"3.{minor}" for minor in minors]


def _wheels_described(release: Release, target: ServingPlatform, platform_wheels: list[str]) -> str:
    """`` (its wheels there serve CPython 3.6-3.9)``, or the platforms its wheels are for."""
    if platform_wheels:
        span = platform_wheels[0] if len(platform_wheels) == 1 else f"{platform_wheels[0]}-{platform_wheels[-1]}"
        return f" (its wheels there serve CPython {span})"
    platforms = list(dict.fromkeys(_PLATFORM_NAMES[letter] for group in release.wheels
                                   for letter in sorted(group.platforms) if letter in _PLATFORM_NAMES))
    return f" (its wheels are for {', '.join(platforms)})" if platforms else ""


def _fixed_requirements(old: str, new: str, python: str = "3.11.7") -> dict[str, str | bytes]:
    from modellint.rules._code_examples import requirement_files

    return {name: text.replace(old, new) for name, text in requirement_files(*CLEAN_PIP, old, python=python).items()}
