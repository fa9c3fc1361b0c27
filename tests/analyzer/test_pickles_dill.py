"""dill's by-value code (tests/data/formats/dill, written by dill 0.4.1 with ``recurse=True`` from
scripts/build_format_fixtures.py): ``_create_code``/``_create_function`` build functions as cloudpickle's
``_make_function`` does, so their bytecode is audited the same way. Before, they were plain imports of
the ``dill`` distribution: a dill pickle whose load called a by-value ``os.system`` was silent."""

from __future__ import annotations

from pathlib import Path

from modellint import lint
from modellint.analyzer.serialized.pickle_policy import Verdict, classify
from modellint.analyzer.serialized.pickles import scan_file
from modellint.findings import Severity
from tests.conftest import REPO, write_files

DILL = REPO / "tests" / "data" / "formats" / "dill"


def test_dill_functions_are_embedded_code_read_like_cloudpickles():
    scan = scan_file(DILL / "functions.pkl")
    assert {"dill_pickles.<locals>.<lambda>", "scale"} <= {code.qualname for code in scan.embedded_code}
    assert scan.hazards == () and scan.problems == ()


def test_a_dill_function_the_load_calls_is_audited():
    scan = scan_file(DILL / "runs-command.pkl")
    assert [code.qualname for code in scan.embedded_code] == ["fetch_payload"]
    assert len(scan.hazards) == 1 and "`os.system`" in scan.hazards[0].detail


def test_only_dills_code_constructors_are_embedded_code():
    assert classify("dill._dill", "_create_code") == Verdict.EMBEDDED
    assert classify("dill._dill", "_create_function") == Verdict.EMBEDDED
    # importing modules, walking attributes and evaluating text stay imports judged as such
    assert classify("dill._dill", "_import_module") != Verdict.EMBEDDED
    assert classify("dill._dill", "_eval_repr") != Verdict.EMBEDDED


def test_a_dill_pickled_model_running_a_command_at_load_is_an_error(tmp_path: Path):
    model = write_files(tmp_path / "model", {
        "MLmodel": "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
                   "  sklearn:\n    pickled_model: model.pkl\n    serialization_format: pickle\n",
        "requirements.txt": "mlflow==3.17.2\nscikit-learn==1.9.1\ndill==0.4.1\n",
        "model.pkl": (DILL / "runs-command.pkl").read_bytes()})
    errors = [finding for finding in lint(model).findings if finding.severity == Severity.ERROR]
    assert [finding.code for finding in errors] == ["ML302"] and "`os.system`" in errors[0].message


def _model_with(tmp_path: Path, name: str, data: bytes) -> Path:
    return write_files(tmp_path / name, {
        "MLmodel": "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
                   "  sklearn:\n    pickled_model: model.pkl\n    serialization_format: pickle\n",
        "requirements.txt": "mlflow==3.17.2\nscikit-learn==1.9.1\ndill==0.4.1\n",
        "model.pkl": data})


def test_dills_getattr_is_judged_as_getattr(tmp_path: Path):
    # dill._dill._get_attr(dill._dill._import_module("os"), "system")("id"): runs `id` under pickle.load
    # (checked with dill 0.4.1 installed); before, both helpers were plain imports of the dill distribution
    command = (b"\x80\x04cdill._dill\n_get_attr\ncdill._dill\n_import_module\nX\x02\x00\x00\x00os\x85R"
               b"X\x06\x00\x00\x00system\x86RX\x02\x00\x00\x00id\x85R.")
    errors = [f for f in lint(_model_with(tmp_path, "command", command)).findings if f.severity == Severity.ERROR]
    assert [f.code for f in errors] == ["ML302"] and "`dill._dill._get_attr`" in errors[0].message
    # a literal attribute of a class the pickle imports is that attribute, as with getattr
    method = (b"\x80\x04cdill._dill\n_get_attr\ncsklearn.preprocessing\nStandardScaler\n"
              b"X\x09\x00\x00\x00transform\x86R.")
    assert [f.code for f in lint(_model_with(tmp_path, "method", method)).findings
            if f.severity >= Severity.WARNING] == []
