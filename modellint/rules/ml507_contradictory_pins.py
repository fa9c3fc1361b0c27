from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.environment.pin_conflicts import PinConflict, pin_conflicts
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP
from modellint.rules._release_examples import with_requirements


class ContradictoryPins(Rule):
    """## What it does
    Flags a requirement pinned to a version that another exact pin of the same list excludes: the
    pinned release of one distribution requires a version range of another, and the list pins that
    other one outside the range.

    ## Why is this bad?
    No environment satisfies both pins, so the serving environment never builds: pip stops with
    `ResolutionImpossible` ("The conflict is caused by: ..."), uv with "your requirements are
    unsatisfiable". It happens when one pin is edited by hand, or a requirements list is assembled
    from two environments.

    The requirement ranges come from modellint's per-release data (`release_requires.dat`: the
    Requires-Dist of each recorded release, read from its wheel), with markers evaluated for the
    model's declared Python on Linux x86_64 and the extras the requirement asks for. Only certain
    clashes are reported: both pins exact (`==`), the requiring release recorded, and the list
    names no other index (`--extra-index-url`, `--find-links`...), which may serve other metadata.

    ## Example
    ```text
    numpy==1.21.0
    pandas==2.2.3
    ```
    pandas 2.2.3 requires `numpy>=1.23.2` on Python 3.11.

    ## Fix
    Pin the versions the model was trained with, together (`pip freeze` of the training
    environment), or move the older pin to a release inside the range.
    """

    code = "ML507"
    name = "contradictory-pins"
    severity = Severity.ERROR
    fix_title = "Pin versions that can be installed together"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(with_requirements(*CLEAN_PIP, "numpy==1.26.4", "pandas==2.2.3"), note="numpy inside pandas' range"),
        Valid(with_requirements(*CLEAN_PIP, "numpy>=1.21", "pandas==2.2.3"),
              note="a range, not a pin: the resolver picks a version pandas accepts"),
    ))
    INVALID = examples(lambda: (
        Invalid(with_requirements(*CLEAN_PIP, "numpy==1.21.0", "pandas==2.2.3"),
                (("requirements.txt", 4), ("conda.yaml", 10)),
                note="the pinned pandas release requires a newer numpy"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        lists = (model.requirements, model.conda.pip if model.conda is not None else None)
        for requirements in lists:
            for conflict in pin_conflicts(requirements, model.declared_python):
                yield self.finding(conflict.pinned.path, _message(conflict), conflict.pinned.span)


def _message(conflict: PinConflict) -> str:
    first, others = conflict.clashes[0], conflict.clashes[1:]
    message = (f"`{first.requirer.text.strip()}` (line {first.requirer.span.line}) requires "
               f"`{conflict.name}{first.specifier}`; {conflict.name} is pinned to {conflict.version}")
    if others:
        shown = ", ".join(f"`{clash.requirer.text.strip()}` (line {clash.requirer.span.line})" for clash in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        message += f"; {shown}{more} exclude it too"
    return message + ": no environment satisfies these pins"
