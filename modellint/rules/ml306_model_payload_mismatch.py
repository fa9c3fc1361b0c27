from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, model_files

LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 268797340\n"
)
_SIZED_MLMODEL = MLMODEL + "model_size_bytes: 4718592\n"


class ModelPayloadMismatch(Rule):
    """## What it does
    Checks that the payloads MLmodel names (flavor `data`, `model_path`, `pickled_model`,
    `python_model`, `model_data`, `saved_model_dir`, ..., and `artifacts.*.path`) hold a model: it
    reports a Git LFS pointer where the file (or a file below the dir) should be, a named file that
    is empty, a named dir that holds no bytes, and a model dir that holds less than half of the
    `model_size_bytes` MLmodel recorded at save (files MLflow writes after taking that size, such as
    MLmodel and the env files, are not counted; the check is off while ML003 reports a payload missing).

    ## Why is this bad?
    The load fails, usually far from the cause: a pickle loader reports "invalid load key, 'v'", a
    weights reader a corrupt header. A repository that tracks model files with Git LFS checks out
    pointers unless `git lfs pull` ran (CI checkouts and Docker builds often skip it); an interrupted
    download or copy leaves a file empty or truncated.

    ## Example
    ```text
    model.pkl:
    version https://git-lfs.github.com/spec/v1
    oid sha256:4d7a2146...
    size 268797340
    ```

    ## Fix
    Fetch the real files (`git lfs pull`, or download the model again), then check the model again.
    """

    code = "ML306"
    name = "model-payload-mismatch"
    severity = Severity.ERROR
    fix_title = "Fetch the real model files (`git lfs pull`, or download the model again)"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(MLmodel=MLMODEL + "model_size_bytes: 22\n"), note="the payload is the size recorded"),
        Valid(model_files(**{"code/__init__.py": ""}), note="an empty file below a path no payload key names"),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(model__skops=LFS_POINTER), (("model.skops", 1),),
                note="a Git LFS pointer checked out in place of the weights"),
        Invalid(model_files(model__skops=b""), (("model.skops", 1),),
                note="an empty payload file"),
        Invalid(model_files(MLmodel=_SIZED_MLMODEL, model__skops=b"PK"),
                (("MLmodel", _SIZED_MLMODEL.count("\n")),),
                note="2 bytes of payload where MLmodel records 4.5 MiB"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        # a declared pickle that is no pickle is already ML303's error, which names an LFS pointer too
        unscanned = {serialized.relative for serialized in model.serialized_files if serialized.scan.kind is None}
        for problem in model.payload_problems:
            if problem.relative in unscanned:
                continue
            if problem.key is not None:
                yield self.finding(model.mlmodel_path, problem.message, model.mlmodel_span(*problem.key))
            else:
                yield self.finding(model.path(problem.relative), problem.message)
