"""Build the small MLflow model dirs under tests/data/pickles/models/ with REAL MLflow (committed).

The ML3xx tests lint them; nothing in the test-suite loads them. Run with the corpus venv
(mlflow 3.17.2, scikit-learn 1.9.1, skops 0.16.0, cloudpickle 3.1.2) plus lightgbm:

    /tmp/corpus-venv/bin/pip install lightgbm
    /tmp/corpus-venv/bin/python scripts/build_pickle_models.py

Cases (each ``requirements.txt`` is given explicitly, so the omission is the point of the case):

* ``lgbm-cloudpickle-no-lightgbm`` / ``lgbm-skops-no-lightgbm``: an sklearn ``Pipeline`` whose
  estimator is LightGBM's ``LGBMClassifier``, requirements without lightgbm -> ML301.
* ``lgbm-cloudpickle``: the same with lightgbm declared -> clean.
* ``pyfunc-module-no-codepaths`` / ``pyfunc-module-codepaths``: a ``PythonModel`` imported from
  ``my_model.py``, saved without / with ``code_paths`` -> ML301 / clean.
* ``pyfunc-by-value-tabulate``: a ``PythonModel`` defined in ``__main__`` whose ``predict`` does
  ``import tabulate`` -> ML304 info naming tabulate; the model's code scans hold that import.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "pickles" / "models"
BASE = ["mlflow==3.17.2", "scikit-learn==1.9.1", "cloudpickle==3.1.2"]

MY_MODEL = textwrap.dedent(
    """
    import mlflow.pyfunc


    class MyModel(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input
    """
)


def lightgbm_pipeline():
    import lightgbm
    import numpy as np
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(60, 4)), rng.integers(0, 2, size=60)
    classifier = lightgbm.LGBMClassifier(n_estimators=3, num_leaves=4, verbose=-1)
    return Pipeline([("scale", StandardScaler()), ("model", classifier)]).fit(features, labels)


def sklearn_cases() -> None:
    import mlflow.sklearn
    import skops.io

    pipeline = lightgbm_pipeline()
    mlflow.sklearn.save_model(pipeline, OUT / "lgbm-cloudpickle-no-lightgbm", serialization_format="cloudpickle",
                              pip_requirements=BASE)
    mlflow.sklearn.save_model(pipeline, OUT / "lgbm-cloudpickle", serialization_format="cloudpickle",
                              pip_requirements=[*BASE, "lightgbm==4.7.0"])
    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / "probe.skops"
        skops.io.dump(pipeline, probe)
        trusted = skops.io.get_untrusted_types(file=probe)
    mlflow.sklearn.save_model(pipeline, OUT / "lgbm-skops-no-lightgbm", serialization_format="skops",
                              skops_trusted_types=trusted, pip_requirements=[*BASE, "skops==0.16.0"])


def pyfunc_cases() -> None:
    import mlflow.pyfunc

    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "my_model.py").write_text(MY_MODEL)
        sys.path.insert(0, scratch)
        import my_model

        mlflow.pyfunc.save_model(OUT / "pyfunc-module-no-codepaths", python_model=my_model.MyModel(),
                                 pip_requirements=BASE)
        mlflow.pyfunc.save_model(OUT / "pyfunc-module-codepaths", python_model=my_model.MyModel(),
                                 code_paths=[str(Path(scratch) / "my_model.py")], pip_requirements=BASE)

    class Tabulate(mlflow.pyfunc.PythonModel):  # defined in __main__: cloudpickle stores it by value
        def predict(self, context, model_input, params=None):
            import tabulate

            return tabulate.tabulate(model_input)

    mlflow.pyfunc.save_model(OUT / "pyfunc-by-value-tabulate", python_model=Tabulate(),
                             pip_requirements=[*BASE, "tabulate==0.10.0"])


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    sklearn_cases()
    pyfunc_cases()


if __name__ == "__main__":
    main()
