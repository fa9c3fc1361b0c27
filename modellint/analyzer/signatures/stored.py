"""One model's signature and input example, read together: the facts the ML4xx rules judge.

``ModelDir.signature`` builds this once per model dir, so ML401, ML402 and ML403 share one
parse of the signature JSON and one read of the example files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modellint.analyzer.signatures.schema import Signature, SignatureError, parse_signature
from modellint.record import Record

if TYPE_CHECKING:
    from modellint.analyzer.signatures.input_examples import Example, ExampleProblem, Mismatch


class ModelSignature(Record):
    __slots__ = ("declared", "signature", "errors", "example", "example_problems", "mismatches")

    def __init__(self, declared: bool, signature: Signature | None, errors: list[SignatureError] | None = None,
                 example: Example | None = None, example_problems: list[ExampleProblem] | None = None,
                 mismatches: list[Mismatch] | None = None) -> None:
        self.declared = declared  # MLmodel has a non-null `signature`, readable or not
        self.signature = signature  # None when absent or unreadable (see ``errors``)
        self.errors = [] if errors is None else errors
        self.example = example
        self.example_problems = [] if example_problems is None else example_problems
        self.mismatches = [] if mismatches is None else mismatches


def read_model_signature(root: Path, mlmodel: Mapping[str, Any]) -> ModelSignature:
    """Parse the signature and, when it is valid, check the stored example against it."""
    raw = mlmodel.get("signature")
    signature, errors = parse_signature(raw)
    if signature is None:
        return ModelSignature(raw is not None, None, errors)
    if mlmodel.get("saved_input_example_info") is None:
        return ModelSignature(True, signature)  # no example: most models, and input_examples is not cheap to import
    from modellint.analyzer.signatures.input_examples import ExampleProblem, check_example, load_example

    try:
        example, problems = load_example(root, mlmodel)
        mismatches = check_example(signature, example) if example is not None else []
    except RecursionError:  # JSON nested deeper than the checker walks; MLflow would choke too
        problem = ExampleProblem("the input example is nested too deeply to check", root / "MLmodel",
                                 mlmodel_key=("saved_input_example_info",))
        return ModelSignature(True, signature, [], None, [problem])
    return ModelSignature(True, signature, [], example, problems, mismatches)
