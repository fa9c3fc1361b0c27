from __future__ import annotations

import json
from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import MLMODEL_WITH_EXAMPLE, model_files

# "Payload size | Per request | 16 MB" (Databricks Model Serving limits).
LIMIT_BYTES = 16 * 2**20



def _serving(rows: int) -> dict[str, str | bytes]:
    frame = {"columns": ["a", "b"], "data": [[1.5, 2.0]] * rows}
    return model_files(MLmodel=MLMODEL_WITH_EXAMPLE,
                       input_example__json=json.dumps({"columns": ["a", "b"], "data": [[1.5, 2.0]]}),
                       serving_input_example__json=json.dumps({"dataframe_split": frame}))


class RequestOverSizeLimit(Rule):
    """## What it does
    For `--target databricks`: reports a stored serving payload (`serving_input_example.json`)
    larger than the 16 MB a Databricks Model Serving request may carry.

    ## Why is this bad?
    Databricks Model Serving limits the "Payload size" to "16 MB" "Per request" for custom models
    ([Model Serving limits and regions, "Resource and payload limits"](https://docs.databricks.com/aws/en/machine-learning/model-serving/model-serving-limits#resource-and-payload-limits)).
    The stored example is the request clients copy and the one tools send to test an endpoint:
    one over the limit is refused before it reaches the model, and so is every request of that size.

    ## Example
    A `serving_input_example.json` of 20 MB: 200 000 rows of features logged as `input_example`.

    ## Fix
    Log the model with a few rows as `input_example` (`X[:5]`); send large inputs in batches of
    rows under the limit, or score them with batch inference instead.
    """

    code = "ML603"
    name = "request-over-size-limit"
    severity = Severity.WARNING
    fix_title = "Log the model with a few rows as `input_example`; send big inputs in smaller requests"

    VALID = examples(lambda: (Valid(_serving(3)),))
    INVALID = examples(lambda: (Invalid(_serving(LIMIT_BYTES // 10), (("serving_input_example.json", 1),),
                                        note="a serving payload over 16 MB"),))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        example = model.serving_example
        if example is None or example.size is None or example.size <= LIMIT_BYTES:
            return
        yield self.finding(
            example.path,
            f"the stored serving payload is {example.size / 2**20:.1f} MB: Databricks Model Serving refuses "
            "requests over 16 MB",
        )
