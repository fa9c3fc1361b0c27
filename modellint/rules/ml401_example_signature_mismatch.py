from __future__ import annotations

import json
from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity, Span
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import MLMODEL_WITH_EXAMPLE, model_files

_WITH_EXAMPLE = MLMODEL_WITH_EXAMPLE


def _example(columns: list, rows: list) -> dict[str, str | bytes]:
    """The two example files as MLflow writes a data frame example (serving file indented)."""
    frame = {"columns": columns, "data": rows}
    return model_files(
        MLmodel=_WITH_EXAMPLE,
        input_example__json=json.dumps(frame),
        serving_input_example__json=json.dumps({"dataframe_split": frame}, indent=2),
    )


class ExampleSignatureMismatch(Rule):
    """## What it does
    Checks the stored input example (`input_example.json`, `serving_input_example.json`)
    against the stored signature with MLflow's own enforcement rules: every required column
    present (extra columns are fine), and every value convertible the way MLflow converts it
    (text is no `double`, `1.5` is no `long` in a JSON object example, a tensor keeps its dtype
    and its fixed dimensions, params keep their type and shape).

    ## Why is this bad?
    The example is the request users and tools copy: serving runs the same enforcement on every
    request, so a payload shaped like the example is rejected with "Model is missing inputs" or
    "Incompatible input types". It usually means the signature or the example went stale
    after a feature was renamed or retyped.

    ## Example
    ```json
    {"columns": ["a", "bb"], "data": [[1.5, 1]]}
    ```
    for a signature with columns `a: double` and `b: double`.

    ## Fix
    Log the model again with an input example taken from the data the signature was inferred
    from (`infer_signature(X, model.predict(X))` and `input_example=X[:5]`).
    """

    code = "ML401"
    name = "example-signature-mismatch"
    severity = Severity.ERROR
    fix_title = "Log the model again with an example that matches the signature"

    VALID = examples(lambda: (
        Valid(_example(["a", "b"], [[1.5, 2.0], [3, 4]]), note="integers are fine for a double column"),
        Valid(_example(["b", "a", "extra"], [[2.0, 1.0, "x"]]), note="extra columns are ignored"),
    ))
    INVALID = examples(lambda: (
        Invalid(_example(["a", "bb"], [[1.5, 2.0]]), (("input_example.json", 1), ("serving_input_example.json", 3)),
                note="a renamed column: the finding points at the column names"),
        Invalid(_example(["a", "b"], [[1.5, 2.0], ["high", 4.0]]),
                (("input_example.json", 1), ("serving_input_example.json", 13)),
                note="text in a double column: the finding points at the value"),
        Invalid({**_example(["a", "b"], [[1.5, 2.0]]), "serving_input_example.json": "{\"dataframe_split\": "},
                (("serving_input_example.json", 1),), note="a serving payload that is not JSON"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        facts = model.signature
        for mismatch in facts.mismatches:
            yield self.finding(
                mismatch.file,
                f"`{mismatch.file.name}` does not match the signature: {mismatch.message}",
                Span(mismatch.line),
            )
        for problem in facts.example_problems:
            if problem.missing:
                continue  # a named example file that is absent is ML003's finding
            span = model.mlmodel_span(*problem.mlmodel_key) if problem.mlmodel_key else Span(problem.line)
            # Over modellint's budget is modellint's limit, not MLflow's: unchecked, never clean.
            severity = Severity.WARNING if problem.over_budget else None
            yield self.finding(problem.file, f"the input example cannot be checked: {problem.message}", span,
                               severity=severity)
