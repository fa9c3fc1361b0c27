from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.environment.environment_settings import EnvironmentSettings
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN_PIP
from modellint.rules._resolve_examples import with_index


class ResolutionFailed(Rule):
    """## What it does
    With `--resolve`, hands the model's requirements to uv's resolver (`uv pip compile`) for the
    target Python and platform (`--python-version`, `--platform`; by default the declared Python
    on Linux x86_64) and flags a list that does not resolve, at the requirement uv blames, with
    uv's explanation. Without `--resolve` it never runs: every other check is offline.

    ## Why is this bad?
    When no set of releases satisfies the requirements for that Python and platform, pip (or uv)
    stops with `No matching distribution found` or `ResolutionImpossible` and the environment is
    never built: the model never serves. The offline rules (ML503-ML507) catch what modellint's
    per-release data can answer; a real resolver also sees every release's full dependency tree,
    private indexes the requirements name and releases newer than the data.

    The list resolved is the one a fresh environment installs: requirements.txt (with its `-r`/`-c`
    files and index options), else the conda file's `pip:` list. Nothing is installed and nothing
    is built (`--no-build`): no `setup.py`, of the model's own projects or of any package an index
    serves, runs while modellint checks. A pinned release only a source build can answer (it has
    only an sdist for the platform) gets a **warning**: a serving image without a compiler cannot
    install it either. A requirement that names a project or archive directly (`-e .`, a source
    folder, an sdist or a `git+https://` URL; a wheel is fine) is not handed to uv at all, since
    uv builds an editable project even under `--no-build`: the list is then not checked. uv runs with `--no-config`, in a folder of its
    own outside the model, on a copy of the requirements: a `uv.toml` or `pyproject.toml` in the
    model configures nothing, and a path that leads out of the model (`-r /etc/passwd`,
    `../x.whl`) is not handed over. `--index-url` and `--extra-index-url` lines are honoured,
    so `--resolve` contacts the indexes the model's requirements name; the user's own `UV_*`
    environment (a mirror's `UV_INDEX_URL`, `UV_OFFLINE`) is kept.

    A list that could not be checked (uv gave no answer within 120 s, an index was unreachable, a
    path leads out of the model, a requirement names a source tree, no Python 3 is declared nor
    given) is an **error** saying why: never reported as resolving.

    ## Example
    ```text
    # requirements.txt of a model that declares python: 3.11.7
    pandas==2.2.3
    numpy==1.21.0
    ```

    ## Fix
    Pin releases that install together for the target Python and platform: the training
    environment's own versions (`pip freeze` there), or the releases uv names in its explanation.
    """

    code = "ML508"
    name = "resolution-failed"
    severity = Severity.ERROR
    fix_title = "Pin releases that resolve together for the target Python and platform"

    VALID = examples(lambda: (
        Valid(with_index(*CLEAN_PIP), note="every pin resolves against the model's own wheels"),
    ))
    INVALID = examples(lambda: (
        Invalid(with_index(*CLEAN_PIP, "cloudpickle==2.5.8"), (("requirements.txt", 6),),
                note="a release the index does not have"),
        Invalid(with_index(*CLEAN_PIP, "pandas==2.2.3", "numpy==1.21.0"), (("requirements.txt", 6),),
                note="pins that contradict a Requires-Dist: uv blames the first requirement of its chain"),
    ))

    @classmethod
    def example_settings(cls) -> EnvironmentSettings:
        from modellint.resolve import find_uv

        return EnvironmentSettings(resolver=find_uv())

    def check(self, model: ModelDir) -> Iterator[Finding]:
        uv = model.settings.resolver if model.settings is not None else None
        if uv is None:
            return
        from modellint.resolve.model_resolution import FAILED, resolve_model

        resolution = resolve_model(model, uv)
        if resolution is None or resolution.status == "resolved":
            return
        said = _said(resolution.explanation)
        span = resolution.line.span if resolution.line is not None else None
        where = f"`{resolution.line.text}`: " if resolution.line is not None else ""
        if resolution.status in FAILED:
            message = f"{where}the requirements do not resolve for {resolution.target}: {said}"
            severity = Severity.ERROR
        elif resolution.status == "needs_build":
            message = (f"{where}the requirements resolve for {resolution.target} only by building from source, "
                       f"which a serving image without a compiler cannot do (and --resolve never does): {said}")
            severity = Severity.WARNING
        else:
            message = f"{where}not checked: --resolve could not resolve the requirements for {resolution.target}: {said}"
            severity = Severity.ERROR
        if span is None:
            yield self.finding(resolution.path, message, severity=severity)
        else:
            yield self.finding(resolution.path, message, span, severity=severity)


_HEADLINE = "No solution found when resolving dependencies"


def _said(explanation: tuple[str, ...]) -> str:
    """uv's explanation on one line, without its headline and ``error:``/``cause:`` labels."""
    parts = []
    for line in explanation:
        text = line.strip().removeprefix("error:").strip().removeprefix("cause:").strip()
        if text and text != _HEADLINE:
            parts.append(text)
    return " ".join(parts).rstrip(".") or "uv gave no explanation"
