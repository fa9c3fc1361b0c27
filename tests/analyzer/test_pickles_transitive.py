"""ML301 judges a module a pickle imports as ML201 judges the same module imported by code: what
the knowledge base's closure installs (through a dependency, MLflow, or a declared extra) is never
"missing". ML207's warning for a module that comes only through another package's dependency has no
ML301 counterpart: the pickle's import is provided, so it is silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from modellint import lint
from modellint.findings import Severity
from modellint.rules._code_examples import code_model, requirement_files
from modellint.rules._examples import CLEAN_PIP
from modellint.rules._serialized_examples import instance_pickle, pickled_model
from tests.conftest import write_files


def import_findings(root: Path) -> set[tuple[str, Severity]]:
    return {(finding.code, finding.severity) for finding in lint(root).findings
            if finding.code in ("ML201", "ML207", "ML301")}


CASES = {
    # module, requirement, what code's import gets -> what the pickle's import gets
    "through-a-dependency": ("botocore.client", "boto3==1.35.60", {("ML207", Severity.WARNING)}, set()),
    "through-mlflow": ("yaml", "mlflow==3.17.2", set(), set()),
    "through-a-declared-extra": ("lightgbm.sklearn", "flaml[automl]==2.1.2", set(), set()),
    "not-provided": ("lightgbm.sklearn", "flaml==2.1.2", {("ML201", Severity.ERROR)}, {("ML301", Severity.ERROR)}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_pickle_import_is_judged_as_the_same_import_in_code(tmp_path, case):
    module, requirement, in_code, in_pickle = CASES[case]
    code = write_files(tmp_path / "code", code_model({"use.py": f"import {module}\n"}, requirement))
    pickled = write_files(tmp_path / "pickle", {**pickled_model(instance_pickle(module, "Thing")),
                                          **requirement_files(*CLEAN_PIP, requirement)})
    assert import_findings(code) == in_code
    assert import_findings(pickled) == in_pickle
