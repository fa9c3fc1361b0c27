"""A clean MLflow 3.x sklearn model as in-memory files, for the rules' VALID/INVALID examples.

The files are what ``mlflow.sklearn.save_model`` 3.17.2 writes (see
``shared/research/mlflow-samples/a-sklearn``), minus the input example and metadata keys no
rule reads. The signature is kept, in flow style on one line where ``model_uuid`` was, so that
the line numbers other examples point at stay put. Rule examples derive their broken variants
from it with :func:`model_files`, so each example shows the one edit that makes the rule fire.
"""

from __future__ import annotations

SIGNATURE = (
    """signature: {inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "double", """
    """"name": "b", "required": true}]', outputs: '[{"type": "long", "required": true}]', params: null}\n"""
)

MLMODEL = """\
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.skops
    serialization_format: skops
    sklearn_version: 1.9.1
    skops_trusted_types: null
mlflow_version: 3.17.2
""" + SIGNATURE + """\
utc_time_created: '2026-11-21 22:28:09.782711'
"""

# What MLflow writes for a models-from-code model (`python_model="model_code.py"`): the file, copied to
# the model root by its basename, is what the loader runs.
MODELS_FROM_CODE_MLMODEL = """\
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.loaders.code_model
    model_code_path: /home/me/project/model_code.py
    python_version: 3.11.7
mlflow_version: 3.17.2
"""

# MLMODEL as MLflow writes it for a data frame input example (saved beside it with its serving payload).
MLMODEL_WITH_EXAMPLE = MLMODEL.replace(SIGNATURE, """\
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
""" + SIGNATURE)

CONDA = """\
channels:
- conda-forge
dependencies:
- python=3.11.7
- pip<=23.2.1
- pip:
  - mlflow==3.17.2
  - scikit-learn==1.9.1
  - skops==0.16.0
name: mlflow-env
"""

PYTHON_ENV = """\
python: 3.11.7
build_dependencies:
- pip==23.2.1
- setuptools==65.5.0
- wheel
dependencies:
- -r requirements.txt
"""

REQUIREMENTS = "mlflow==3.17.2\nscikit-learn==1.9.1\nskops==0.16.0"

CLEAN: dict[str, str | bytes] = {
    "MLmodel": MLMODEL,
    "conda.yaml": CONDA,
    "python_env.yaml": PYTHON_ENV,
    "requirements.txt": REQUIREMENTS,
    "model.skops": b"PK\x05\x06" + b"\x00" * 18,  # an empty zip: skops files are zip archives
}


def model_files(**changes: str | bytes | None) -> dict[str, str | bytes]:
    """The clean model with files replaced (``name=text``) or removed (``name=None``).

    File names with dots are passed with ``__`` for the dot: ``conda__yaml=...``.
    """
    files = dict(CLEAN)
    for key, content in changes.items():
        name = key.replace("__", ".")
        if content is None:
            files.pop(name, None)
        else:
            files[name] = content
    return files


def requirements(*lines: str) -> str:
    """requirements.txt text as MLflow writes it: no trailing newline."""
    return "\n".join(lines)


def conda(*pip: str, channels: tuple[str, ...] = ("conda-forge",), python: str = "3.11.7") -> str:
    channel_lines = "".join(f"- {channel}\n" for channel in channels)
    pip_lines = "".join(f"  - {line}\n" for line in pip)
    return (
        f"channels:\n{channel_lines}dependencies:\n- python={python}\n- pip<=23.2.1\n- pip:\n{pip_lines}"
        "name: mlflow-env\n"
    )


CLEAN_PIP = ("mlflow==3.17.2", "scikit-learn==1.9.1", "skops==0.16.0")
