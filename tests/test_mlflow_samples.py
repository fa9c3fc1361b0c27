"""Real MLflow output (shared/research/mlflow-samples): correct models give no error or warning."""

from __future__ import annotations

import pytest

from modellint import lint
from modellint.findings import Severity
from tests.conftest import MLFLOW_SAMPLES, needs_shared

# The samples that load and predict from a neutral cwd (mlflow-samples/README.md), except the
# `e-conda-defaults` ones, which load but deliberately list Anaconda's `defaults` channel.
LOADING = ["a-sklearn", "c-codepaths-dir", "d-models-from-code", "g-parent-codepath-constraints",
           "h-infer-code-paths-toplevel", "j-loader-module-code-paths", "k-logged-sklearn-3x",
           "mlflow2/a-sklearn", "mlflow2/c-codepaths-dir", "mlflow2/d-models-from-code", "mlflow2/logged-sklearn-2x"]


@needs_shared(MLFLOW_SAMPLES)
@pytest.mark.parametrize("sample", LOADING)
def test_loading_sample_has_no_error_or_warning(sample):
    report = lint(MLFLOW_SAMPLES / sample)
    loud = [(f.code, f.message) for f in report.findings if f.severity >= Severity.WARNING]
    assert loud == []
    assert report.failures == []


@needs_shared(MLFLOW_SAMPLES)
def test_defaults_channel_sample_warns_only_about_the_channel():
    report = lint(MLFLOW_SAMPLES / "e-conda-defaults")
    assert {(f.code, f.severity) for f in report.findings if f.severity >= Severity.WARNING} == {("ML103", Severity.WARNING)}
