"""A Keras model inside a pickle: Keras pickles a model as ``KerasSaveable._unpickle_model(BytesIO(<.keras
bytes>))``, loaded with ``safe_mode=False``. MLflow 3 writes one whenever a PythonModel's ``load_context`` sets
a Keras model attribute and the model is saved with an input example (``load_context`` runs at save, then the
instance is cloudpickled). The buffer runs nothing; the archive in it is judged as a ``.keras`` file."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

from modellint import lint
from modellint.analyzer.serialized.pickles import scan_file
from modellint.analyzer.serialized.pickles.results import Limits
from modellint.findings import Severity
from modellint.rules._format_examples import keras_archive, keras_layer
from tests.conftest import REPO, write_files

KERAS = REPO / "tests" / "data" / "formats" / "keras"
UNPICKLE = b"ckeras.src.saving.keras_saveable\nKerasSaveable._unpickle_model\n"


def keras_pickle(archive: bytes, buffer_module: bytes = b"_io") -> bytes:
    """The opcodes Keras's ``__reduce__`` makes: NEWOBJ of an empty ``BytesIO``, BUILD with its
    ``__getstate__`` (content, position, dict), the unpickler called with it."""
    content = b"B" + struct.pack("<I", len(archive)) + archive
    return (b"\x80\x04" + UNPICKLE + b"c" + buffer_module + b"\nBytesIO\n)\x81" + content + b"K\x00N\x87b\x85R.")


def scan_pickle(tmp_path: Path, data: bytes):
    path = tmp_path / "model.pkl"
    path.write_bytes(data)
    return scan_file(path)


def test_a_pickled_keras_model_is_judged_by_its_archive(tmp_path: Path):
    scan = scan_pickle(tmp_path, keras_pickle((KERAS / "benign.keras").read_bytes()))
    # Keras's unpickler, handed the buffer whose archive was read, is judged by that archive: no call of
    # the gadget, but its module is still one the load imports
    assert [(ref.module, ref.name) for ref in scan.globals] == [("_io", "BytesIO")]
    assert scan.subimports == ("keras.src.saving.keras_saveable",)
    assert not [call for call in scan.calls if "keras" in call.callable.module]
    assert scan.hazards == () and scan.problems == ()


def test_a_lambda_layer_in_a_pickled_keras_model_runs_code(tmp_path: Path):
    for module in (b"_io", b"io"):
        scan = scan_pickle(tmp_path, keras_pickle((KERAS / "lambda.keras").read_bytes(), module))
        assert [hazard.kind for hazard in scan.hazards] == ["runs-code"]
        assert "unpickling this file runs the bytecode" in scan.hazards[0].detail
        member = scan.hazards[0].member
        assert member.startswith("Keras archive in io.BytesIO at byte ") and member.endswith(" > config.json")


def test_a_custom_class_in_a_pickled_keras_model_is_an_import_the_load_needs(tmp_path: Path):
    scan = scan_pickle(tmp_path, keras_pickle((KERAS / "custom_layer.keras").read_bytes()))
    assert ("fixture_layers.layers", "Doubling") in [(ref.module, ref.name) for ref in scan.globals]


def test_a_large_archive_skipped_by_the_opcode_reader_is_read_where_it_lies(tmp_path: Path):
    padding = keras_layer("Dense", units=1, name="x" * 4096)  # a config past the bytes the reader keeps
    archive = keras_archive(keras_layer("Lambda", function={"class_name": "__lambda__", "config": {"code": "4wEA"}}),
                            padding)
    path = tmp_path / "model.pkl"
    path.write_bytes(keras_pickle(archive))
    scan = scan_file(path, limits=Limits(max_kept_value_bytes=1024))
    assert [hazard.kind for hazard in scan.hazards] == ["runs-code"]


def test_a_buffer_of_anything_else_is_inert(tmp_path: Path):
    for content in (b"plain bytes", pickle.dumps({"a": 1}), b"PK\x03\x04 not a zip", KERAS.joinpath(
            "benign.keras").read_bytes()[:100]):
        scan = scan_pickle(tmp_path, keras_pickle(content))
        assert scan.hazards == (), content[:20]


def test_a_keras_pickle_in_a_model_is_an_error_only_with_a_lambda(tmp_path: Path):
    files = {"MLmodel": "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
                        "    python_model: python_model.pkl\n",
             "requirements.txt": "mlflow==3.17.2\nkeras==3.15.1\n"}
    benign = write_files(tmp_path / "benign", {**files, "python_model.pkl": keras_pickle(
        (KERAS / "benign.keras").read_bytes())})
    hostile = write_files(tmp_path / "hostile", {**files, "python_model.pkl": keras_pickle(
        (KERAS / "lambda.keras").read_bytes())})
    assert [f.code for f in lint(benign).findings if f.code.startswith("ML3") and f.severity >= Severity.WARNING] == []
    assert [f.code for f in lint(hostile).findings if f.severity == Severity.ERROR] == ["ML302"]


def test_the_keras_unpickler_handed_anything_but_a_read_archive_stays_a_gadget_call(tmp_path: Path):
    """A buffer whose content is not a zip, or an argument made at load time, is not judged by content."""
    not_an_archive = keras_pickle(b"not a zip at all")
    scan = scan_pickle(tmp_path, not_an_archive)
    unpickler = ("keras.src.saving.keras_saveable", "KerasSaveable._unpickle_model")
    assert unpickler in [(ref.module, ref.name) for ref in scan.globals]
    assert unpickler in [(call.callable.module, call.callable.name) for call in scan.calls]
