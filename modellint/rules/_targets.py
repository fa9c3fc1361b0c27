"""Deployment targets (`--target`): what each platform that serves a model adds to the checks.

A target is a profile, kept here as data: the rules only it enables (the ML6xx family), the
severities it raises for rules that run anyway (a model without `python_function` is a warning for
`mlflow serve`, which the user can work around, and an error for Azure ML no-code deployment, which
generates its scoring script only for that flavor), and the platform and Python its serving image
implies. `mlflow-serve` is the default and adds nothing: a run without `--target` is what modellint
has always checked. Every constraint names the target document that states it, in the rule's doc.
"""

from __future__ import annotations

from collections.abc import Iterable

from modellint.findings import Severity
from modellint.record import Record

DEFAULT_TARGET = "mlflow-serve"


class TargetProfile(Record):
    """One deployment target: what it enables and raises. Every target builds the model's
    environment on Linux x86_64 with the model's declared Python, the default of
    ``--platform``/``--python-version``, so a target implies neither."""

    __slots__ = ("name", "title", "enables", "raises", "source")

    def __init__(self, name: str, title: str, enables: tuple[str, ...], raises: tuple[tuple[str, Severity], ...],
                 source: str) -> None:
        self.name = name
        self.title = title
        self.enables = enables  # rule codes that run only for this target (and any other that enables them)
        self.raises = raises  # (rule code, the severity its findings get at least)
        self.source = source  # the target's own deployment document


_AZURE_ONLINE_DOC = "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-mlflow-models-online-endpoints"
_AZURE_BATCH_DOC = "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-mlflow-batch"

TARGETS: dict[str, TargetProfile] = {
    profile.name: profile for profile in (
        TargetProfile(DEFAULT_TARGET, "`mlflow models serve` / `build-docker`", (), (),
                      "https://mlflow.org/docs/latest/ml/deployment/"),
        # Scoring script and environment are generated "only for `pyfunc` model's flavor", from the
        # model's conda file; requests go under `input_data`, split-oriented or tensors.
        TargetProfile("azureml-online", "Azure ML managed online endpoint (no-code deployment)",
                      ("ML601", "ML602", "ML604"), (("ML002", Severity.ERROR),), _AZURE_ONLINE_DOC),
        # "Batch deployments only support deploying MLflow models with a `pyfunc` flavor"; without a
        # signature CSV columns are not typed and images are read as uint8 tensors.
        TargetProfile("azureml-batch", "Azure ML batch endpoint (no-code deployment)",
                      ("ML601",), (("ML002", Severity.ERROR), ("ML403", Severity.WARNING)),
                      _AZURE_BATCH_DOC),
        # "Models in Unity Catalog require a signature"; requests are capped at 16 MB.
        TargetProfile("databricks", "Databricks Model Serving / Unity Catalog", ("ML603",),
                      (("ML403", Severity.ERROR),),
                      "https://docs.databricks.com/aws/en/machine-learning/model-serving/model-serving-limits"),
    )
}
# Rules that run only when a target enables them.
TARGET_ONLY_CODES = frozenset(code for profile in TARGETS.values() for code in profile.enables)


class UnknownTarget(ValueError):
    pass


def profiles(names: Iterable[str]) -> tuple[TargetProfile, ...]:
    """The profiles named (each once, in the order given); raises :class:`UnknownTarget`."""
    chosen: dict[str, TargetProfile] = {}
    for name in names:
        profile = TARGETS.get(name.strip().lower())
        if profile is None:
            raise UnknownTarget(f"unknown target `{name}` (expected one of {', '.join(TARGETS)})")
        chosen.setdefault(profile.name, profile)
    return tuple(chosen.values())


def enabled_codes(names: Iterable[str]) -> frozenset[str]:
    """The target-only rules the named targets enable."""
    return frozenset(code for profile in profiles(names) for code in profile.enables)


def raised_severities(names: Iterable[str]) -> dict[str, Severity]:
    """Rule code -> the highest severity any of the named targets raises its findings to."""
    raised: dict[str, Severity] = {}
    for profile in profiles(names):
        for code, severity in profile.raises:
            raised[code] = max(raised.get(code, severity), severity)
    return raised

