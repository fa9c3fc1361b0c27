"""Legacy Keras HDF5 files written by real keras 3.15.1 and h5py 3.16.0
(scripts/build_format_fixtures.py), read without h5py: the root group's ``model_config`` is judged
as a ``.keras`` archive's config is; a weights-only file is clean; what the reader cannot reach is
a problem, never clean."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.serialized.pickles import scan_file
from modellint.findings import Severity
from modellint.rules._format_examples import keras_files
from tests.conftest import write_files

KERAS = Path(__file__).resolve().parent.parent / "data" / "formats" / "keras"
LAMBDAS = ["lambda.h5", "lambda-fixed-string.h5", "lambda-latest-format.h5"]


@pytest.mark.parametrize("name", ["benign.h5", "benign.weights.h5", "custom_layer.h5"])
def test_files_keras_saves_without_code_are_clean(name):
    scan = scan_file(KERAS / name)
    assert scan.kind == "hdf5" and scan.hazards == () and scan.problems == () and scan.globals == ()


@pytest.mark.parametrize("name", LAMBDAS)
def test_a_lambda_layer_is_code_that_runs_at_load(name):
    # Keras 3's variable-length string, tf.keras 2's fixed-length one, and h5py's newest format.
    scan = scan_file(KERAS / name)
    assert [hazard.kind for hazard in scan.hazards] == ["runs-code"] and scan.problems == ()
    assert "`Lambda` layer `lambda`" in scan.hazards[0].detail and scan.hazards[0].member == "model_config"


def test_a_class_outside_keras_is_an_import_the_load_needs(tmp_path):
    # The same fixed-length config with one module renamed (same length: the string's size holds).
    data = (KERAS / "lambda-fixed-string.h5").read_bytes()
    edited = data.replace(b'"module": "keras.initializers", "class_name": "Zeros"',
                          b'"module": "my_initializers.xy", "class_name": "Zeros"')
    assert edited != data
    path = tmp_path / "model.h5"
    path.write_bytes(edited)
    assert [(ref.module, ref.name) for ref in scan_file(path).globals] == [("my_initializers.xy", "Zeros")]


def test_attributes_in_dense_storage_are_not_read_and_say_so():
    scan = scan_file(KERAS / "dense-attributes.h5")
    assert ["dense storage" in problem.reason for problem in scan.problems] == [True]


def test_keras_model_dirs_with_an_h5_report_through_ml302(tmp_path):
    for name in ("benign.h5", "lambda.h5"):
        files = keras_files(b"")
        del files["data/model.keras"]
        write_files(tmp_path / name, {**files, "data/model.h5": (KERAS / name).read_bytes()})
    found = {name: [(f.code, f.severity) for f in lint(tmp_path / name).findings if f.severity >= Severity.WARNING]
             for name in ("benign.h5", "lambda.h5")}
    assert found == {"benign.h5": [], "lambda.h5": [("ML302", Severity.ERROR)]}


@pytest.mark.parametrize("name", LAMBDAS + ["benign.weights.h5"])
def test_every_truncation_is_a_problem_or_a_finding_never_an_exception(tmp_path, name):
    data = (KERAS / name).read_bytes()
    path = tmp_path / "cut.h5"
    for length in range(8, len(data), 61):
        path.write_bytes(data[:length])
        scan = scan_file(path)  # raises nothing
        assert scan.kind == "hdf5"


@pytest.mark.parametrize("name", LAMBDAS)
def test_random_corruption_never_raises_and_almost_never_reads_clean(tmp_path, name):
    # 300 mutants of the first KiB (superblock, root object header, attribute messages). A mutant
    # read as clean lost what Keras looks for (measured: an attribute name's NUL or a message type
    # changed, a continuation no longer followed), so its load fails as well; every other one
    # still shows the Lambda or says what could not be read. Measured: 2-10 clean of 300.
    data = bytearray((KERAS / name).read_bytes())
    generator = random.Random(name)
    path = tmp_path / "mutant.h5"
    clean = 0
    for _ in range(300):
        mutant = bytearray(data)
        for _ in range(generator.randint(1, 4)):
            mutant[generator.randrange(8, 1024)] = generator.randrange(256)
        path.write_bytes(bytes(mutant))
        scan = scan_file(path)
        clean += not (scan.hazards or scan.problems)
    assert clean <= 15
