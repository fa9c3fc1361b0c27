from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import PYFUNC, ModelDir, parse_version_tuple
from modellint.findings import Finding, Severity
from modellint.record import Record
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, MLMODEL, conda, model_files, requirements

_CLOUDPICKLE_MLMODEL = MLMODEL.replace("serialization_format: skops", "serialization_format: cloudpickle").replace(
    "model.skops", "model.pkl")
_OLD_SKLEARN = ("mlflow==3.17.2", "scikit-learn==1.5.2", "skops==0.16.0")
_NO_SKOPS = ("mlflow-skinny==3.17.2", "scikit-learn==1.9.1")  # mlflow itself brings skops


class _Serializer(Record):
    """A library whose version MLmodel records (or implies) and that the load needs at that version."""

    __slots__ = ("distribution", "recorded", "key")

    def __init__(self, distribution: str, recorded: str | None, key: tuple[str, ...]) -> None:
        self.distribution = distribution
        self.recorded = recorded  # "3.1.2"; None when only the format is known (skops)
        self.key = key  # where MLmodel says so


class SerializerVersionMismatch(Rule):
    """## What it does
    Compares the serializer versions MLmodel records with the requirements: the pyfunc
    `cloudpickle_version`, the sklearn flavor's `sklearn_version`, and its `serialization_format`
    (`cloudpickle` and `skops` need those libraries). It warns when a requirement pins a
    different major.minor, or when nothing the requirements install provides the library.

    ## Why is this bad?
    Pickles are not portable across library versions: scikit-learn warns and may mis-predict
    across minors, estimators pickled by 1.3 miss attributes in 1.5, cloudpickle's by-value
    functions change layout between majors, and `mlflow.sklearn` imports `skops.io` to read a
    skops model. A requirement that drifts from the saving version breaks the load or, worse,
    silently changes predictions.

    ## Example
    ```yaml
    sklearn:
      sklearn_version: 1.9.1      # but requirements.txt pins scikit-learn==1.5.2
    ```

    ## Fix
    Pin the version MLmodel records (or re-save the model with the version you pin).
    """

    code = "ML305"
    name = "serializer-version-mismatch"
    severity = Severity.WARNING
    fix_title = "Pin the library at the version MLmodel records"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(MLmodel=_CLOUDPICKLE_MLMODEL.replace("skops_trusted_types: null\n", ""),
                          requirements__txt=requirements("mlflow==3.17.2", "scikit-learn==1.9.1", "cloudpickle==3.1.2"),
                          conda__yaml=conda("mlflow==3.17.2", "scikit-learn==1.9.1", "cloudpickle==3.1.2"),
                          model__skops=None, model__pkl=b"\x80\x04N."),
              note="cloudpickle format, cloudpickle declared (also via mlflow)"),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(requirements__txt=requirements(*_OLD_SKLEARN), conda__yaml=conda(*_OLD_SKLEARN)),
                (("conda.yaml", 8), ("requirements.txt", 2))),
        Invalid(model_files(requirements__txt=requirements(*_NO_SKOPS), conda__yaml=conda(*_NO_SKOPS)),
                (("MLmodel", 13),), note="skops format, skops not installed"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for serializer in _serializers(model):
            lines = [line for line in model.declared_requirements if line.name == serializer.distribution]
            if not lines:
                if model.environment.provision(_MODULES[serializer.distribution]) is None:
                    yield self.finding(
                        model.mlmodel_path,
                        f"the model was saved with {_saved_with(serializer)}, and no requirement installs "
                        f"`{serializer.distribution}`",
                        model.mlmodel_span(*serializer.key),
                    )
                continue
            recorded = parse_version_tuple(serializer.recorded)
            for line in lines:
                pinned = parse_version_tuple(line.pinned_version)
                if pinned and recorded and pinned[:2] != recorded[:2]:
                    yield self.finding(
                        line.path,
                        f"`{line.text}` pins another major.minor than the {serializer.distribution} "
                        f"{serializer.recorded} the model was saved with (MLmodel `{'.'.join(serializer.key[1:])}`)",
                        line.span,
                    )


_MODULES = {"cloudpickle": "cloudpickle", "scikit-learn": "sklearn", "skops": "skops.io"}


def _saved_with(serializer: _Serializer) -> str:
    if serializer.recorded is None:
        return f"`{serializer.distribution}` (MLmodel `{'.'.join(serializer.key[1:])}`)"
    return f"`{serializer.distribution}` {serializer.recorded}"


def _serializers(model: ModelDir) -> list[_Serializer]:
    found = []
    cloudpickle = (model.pyfunc or {}).get("cloudpickle_version")
    if cloudpickle is not None:
        found.append(_Serializer("cloudpickle", str(cloudpickle), ("flavors", PYFUNC, "cloudpickle_version")))
    sklearn = model.flavors.get("sklearn")
    if sklearn:
        if sklearn.get("sklearn_version") is not None:
            found.append(_Serializer("scikit-learn", str(sklearn["sklearn_version"]), ("flavors", "sklearn", "sklearn_version")))
        fmt = sklearn.get("serialization_format")
        if fmt in ("cloudpickle", "skops") and not any(s.distribution == fmt for s in found):
            found.append(_Serializer(str(fmt), None, ("flavors", "sklearn", "serialization_format")))
    return found

