from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, SerializedFileRule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, model_files

if TYPE_CHECKING:
    from modellint.analyzer.serialized.facts import SerializedFacts

_PICKLE_MLMODEL = MLMODEL.replace("model.skops", "model.pkl").replace("serialization_format: skops",
                                                                   "serialization_format: cloudpickle")

_TENSOR = b'{"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}'
_LYING_HEADER = b'{"weight": ' + _TENSOR + b', "bias": ' + _TENSOR + b"}"
_LYING_SAFETENSORS = len(_LYING_HEADER).to_bytes(8, "little") + _LYING_HEADER + b"\x00" * 8

# A hostile file can hold thousands of anomalies; past this many the rest add nothing.
_MAX_PER_FILE = 5


class UnscannableModelFile(SerializedFileRule):
    """## What it does
    Reports serialized files (pickle, joblib, PyTorch, numpy, skops) whose loading behaviour the
    static scanner cannot establish: an unknown opcode, a truncated stream, a memo miss, a stack
    underflow, an import whose module or name is computed at load time, an `EXT` extension code
    (resolved through process state), data after the last pickle, an unreadable container, a
    budget exceeded (decompressed bytes per file and per model dir, opcodes, stack, MARK nesting,
    memo entries, stored values, recorded imports and calls). For weight files that hold no
    pickle: a safetensors header that is not what the library accepts (offsets out of the file,
    overlapping or leaving gaps, a size that is not dtype size x shape, an unknown dtype, a header
    that is not a JSON mapping or gives a key twice), a GGUF header that is truncated or whose
    counts cannot fit in the file, and a GGUF chat template that computes an attribute name.
    Also files that were not read at
    all: a file of the model dir that cannot be read, a FIFO, device or socket (never opened), a
    file MLmodel declares as a pickle (sklearn `pickled_model` in the pickle or cloudpickle
    format, pyfunc `python_model`, pytorch `model.pth`) whose content is not one, and a file of a
    model named by URI (`models:/fraud/3`) that was not downloaded: over `--max-download`, or sent
    bigger than the server listed it.

    ## Why is this bad?
    What was not read cannot be called clean: scanners that stop at the first oddity and report
    "no issues" are how payloads hide behind joblib arrays, compressed streams, unusual integer
    literals or nested archives. Either the file is damaged (and the load fails too), or it was
    crafted to mislead scanners.

    ## Example
    ```text
    model.pkl: PROTO 4; EXT1 127; REDUCE    # the callable comes from copyreg's runtime registry
    ```

    ## Fix
    Re-save the model with a supported library version, or do not load the file until its
    origin is established.
    """

    code = "ML303"
    name = "unscannable-model-file"
    severity = Severity.ERROR
    fix_title = "Re-save the model, or do not load a file whose behaviour cannot be established"

    VALID = examples(lambda: (Valid(CLEAN),))
    INVALID = examples(lambda: (
        Invalid(model_files(**{"artifacts/state.pkl": b"\x80\x04\x82\x7f\x8c\x01x\x85R."}),
                (("artifacts/state.pkl", 1), ("artifacts/state.pkl", 1)),
                note="EXT1: an import through copyreg's registry, then a call of what it returned"),
        Invalid(model_files(**{"artifacts/state.pkl": b"\x80\x04\x8c\x02os\x8c\x06sys"}),
                (("artifacts/state.pkl", 1),), note="truncated: no STOP"),
        Invalid(model_files(**{"artifacts/model.safetensors": _LYING_SAFETENSORS}), (("artifacts/model.safetensors", 1),),
                note="a safetensors header whose two tensors claim the same bytes"),
        Invalid(model_files(MLmodel=_PICKLE_MLMODEL, model__skops=None, model__pkl=b"\x00" * 64),
                (("model.pkl", 1),), note="declared as a cloudpickle, but zeros: a load fails"),
    ))

    def check(self, model: SerializedFacts) -> Iterator[Finding]:
        for serialized in model.serialized_files:
            problems = serialized.scan.problems
            if serialized.scan.kind is None:  # not scanned at all: unreadable, special, not what MLmodel says
                for problem in problems:
                    yield self.finding(serialized.path, f"`{serialized.relative}` {problem.reason}")
                continue
            for problem in problems[:_MAX_PER_FILE]:
                where = f" at byte {problem.offset}" if problem.offset is not None else ""
                if problem.member:
                    where += f" of `{problem.member}`"
                yield self.finding(
                    serialized.path,
                    f"`{serialized.relative}` cannot be fully scanned{where}: {problem.reason}",
                )
            if len(problems) > _MAX_PER_FILE:
                yield self.finding(
                    serialized.path,
                    f"`{serialized.relative}` has {len(problems) - _MAX_PER_FILE} more unscannable spots",
                )
