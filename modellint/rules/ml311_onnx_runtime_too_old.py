from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Applicability, Finding, Fix, Severity
from modellint.rules._base import FixAvailability, Invalid, Rule, Valid, examples, in_member

if TYPE_CHECKING:
    from modellint.analyzer.environment.requirements import RequirementLine
    from modellint.analyzer.knowledge.onnxruntime_limits import SeriesLimits
    from modellint.analyzer.serialized.inventory import SerializedFile
    from modellint.analyzer.serialized.pickles.results import OnnxStamp


class OnnxRuntimeTooOld(Rule):
    """## What it does
    Compares the format versions an ONNX model file is stamped with (its `ir_version` and the
    version of each operator set it imports, `ai.onnx` and `ai.onnx.ml`) with what the release
    of onnxruntime that the requirements pin (`==`) can load, and reports a pin too old for the
    file. The limits of each onnxruntime series from 1.15 on were measured by loading probe
    models with that release (`scripts/measure_onnxruntime_limits.py`); for older series only
    the `ai.onnx` opset of onnxruntime's compatibility table is judged.

    ## Why is this bad?
    onnxruntime refuses a model stamped with a newer IR version ("Unsupported model IR version:
    10, max supported IR version: 9") or operator set ("Opset 21 is under development and support
    for this is limited ... Current official support for domain ai.onnx is till opset 20") than
    it knows: no session is created, so `mlflow.pyfunc.load_model` fails. It happens when the
    model was exported with a newer `onnx`/`torch` than the one that chose the serving pin, or
    when an old requirements file is reused for a re-exported model.

    ## Example
    ```text
    model.onnx: ir_version 10, opset_import ai.onnx 21
    requirements.txt: onnxruntime==1.17.3
    ```

    ## Fix
    Pin the first onnxruntime release that loads the file (the message names it), or export the
    model for an older opset (`torch.onnx.export(..., opset_version=...)`,
    `onnx.version_converter`) and IR version.

    ## Fix safety
    The new pin is an unsafe fix: a newer onnxruntime can change numerical results, and the
    other pins (numpy, the Python version) must suit it.
    """

    code = "ML311"
    name = "onnx-runtime-too-old"
    severity = Severity.ERROR
    fix_title = "Pin an onnxruntime release that loads the model file"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: _examples()[0])
    INVALID = examples(lambda: _examples()[1])

    def check(self, model: ModelDir) -> Iterator[Finding]:
        stamped = [(serialized, stamp) for serialized in model.serialized_files for stamp in serialized.scan.onnx_stamps]
        if not stamped:
            return
        from modellint.analyzer.environment.pinned_releases import applies_on
        from modellint.analyzer.knowledge.onnxruntime_limits import ONNXRUNTIME_DISTRIBUTIONS, limits_of

        for line in model.declared_requirements:
            series = _pinned_series(line)
            if line.name not in ONNXRUNTIME_DISTRIBUTIONS or series is None or not applies_on(line, model.serving_platform):
                continue
            limits = limits_of(series)
            if limits is None:
                continue  # a release newer than the table: not known to refuse anything
            refused = [(serialized, stamp, reason) for serialized, stamp in stamped
                       if (reason := limits.refusal(stamp.ir_version, stamp.opsets)) is not None]
            if refused:
                yield self._finding(model, line, limits, refused)

    def _finding(self, model: ModelDir, line: RequirementLine, limits: SeriesLimits,
                 refused: list[tuple[SerializedFile, OnnxStamp, str]]) -> Finding:
        from modellint.analyzer.knowledge.onnxruntime_limits import first_loading
        from modellint.fixes.requirement_lists import pinned, rewrite_fix

        serialized, stamp, reason = refused[0]
        others = f" (and {len(refused) - 1} more ONNX files)" if len(refused) > 1 else ""
        loaded = "" if model.loaded_by_mlflow(serialized.relative) else " (a file no flavor or artifact in MLmodel names)"
        series = ".".join(map(str, limits.series))
        message = (f"`{line.text}`: onnxruntime {series} cannot load `{serialized.relative}`{in_member(stamp.member)}"
                   f"{loaded}, stamped with {reason}{others}")
        loading = first_loading(*_newest_stamp([stamp for _, stamp, _ in refused]), after=limits.series)
        fix: Fix | None = None
        if loading is None or loading.release is None:
            message += "; no onnxruntime release measured loads it"
        else:
            message += f"; onnxruntime {loading.release} is the first measured release that loads it"
            written = line.requirement.name if line.requirement else str(line.name)
            replacement = pinned(line, written, loading.release)
            fix = rewrite_fix(line, replacement, f"Pin `{replacement}`", Applicability.UNSAFE)
        return self.finding(line.path, message, line.span, fix=fix)


def _pinned_series(line: RequirementLine) -> tuple[int, int] | None:
    """The release series (major, minor) an exact pin installs; None for a range, a prefix or junk."""
    pinned = line.pinned_version
    if pinned is None:
        return None
    from packaging.version import InvalidVersion, Version

    try:
        release = Version(pinned).release
    except InvalidVersion:
        return None
    return (release[0], release[1] if len(release) > 1 else 0)


def _newest_stamp(stamps: list[OnnxStamp]) -> tuple[int | None, tuple[tuple[str, int], ...]]:
    """One stamp that asks for the most of every kind the files ask for: a release that loads it loads them all."""
    versions = [stamp.ir_version for stamp in stamps if stamp.ir_version is not None]
    opsets: dict[str, int] = {}
    for stamp in stamps:
        for domain, version in stamp.opsets:
            opsets[domain] = max(version, opsets.get(domain, version))
    return (max(versions) if versions else None), tuple(opsets.items())


def _examples() -> tuple[tuple[Valid, ...], tuple[Invalid, ...]]:
    """VALID and INVALID (their builders are imported only when examples are read)."""
    from modellint.rules._format_examples import ONNX_PIP, onnx_files, onnx_model, onnx_node

    old_runtime = tuple("onnxruntime==1.17.3" if pin.startswith("onnxruntime==") else pin for pin in ONNX_PIP)
    new_model = onnx_model(onnx_node("Relu"), ir_version=10, opset=21)
    valid = (
        Valid(onnx_files(new_model), note="IR 10 and opset 21: onnxruntime 1.23 loads both"),
        Valid(onnx_files(onnx_model(onnx_node("Relu"), ir_version=9, opset=20), pip=old_runtime),
              note="the newest IR and opset onnxruntime 1.17 loads"),
        Valid(onnx_files(new_model, pip=tuple(pin.replace("onnxruntime==1.23.2", "onnxruntime>=1.17")
                                               for pin in ONNX_PIP)),
              note="a range: pip installs the newest release"),
    )
    def pinned_118(files: dict[str, str | bytes]) -> dict[str, str | bytes]:
        return {name: text.replace("onnxruntime==1.17.3", "onnxruntime==1.18.1") for name, text in files.items()
                if name in ("requirements.txt", "conda.yaml") and isinstance(text, str)}

    ir_10 = onnx_files(new_model, pip=old_runtime)
    ml_5 = onnx_files(onnx_model(onnx_node("Relu"), opsets=(("ai.onnx.ml", 5),)), pip=old_runtime)
    invalid = (
        Invalid(ir_10, (("requirements.txt", 3), ("conda.yaml", 9)), fixed=pinned_118(ir_10),
                note="IR 10 needs onnxruntime 1.18"),
        Invalid(ml_5, (("requirements.txt", 3), ("conda.yaml", 9)), fixed=pinned_118(ml_5),
                note="opset 5 of ai.onnx.ml needs onnxruntime 1.18"),
    )
    return valid, invalid
