"""TorchScript archives written by real torch 2.13.0 (scripts/build_format_fixtures.py), read without
torch: the pickles through the zip scan (TorchScript's `__torch__` classes are no imports), the
`code/` sources for operator namespaces torch does not register."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.serialized.pickles import scan_file, sniff
from modellint.analyzer.serialized.pickles.results import Facts, Limits
from modellint.analyzer.serialized.pickles.sniffing import is_torchscript
from modellint.analyzer.serialized.torchscript import scan_torchscript_code
from modellint.findings import Severity
from modellint.rules._format_examples import torchscript_archive, torchscript_files
from modellint.rules._serialized_examples import call_pickle
from tests.conftest import write_files

TORCHSCRIPT = Path(__file__).resolve().parent.parent / "data" / "formats" / "torchscript"


def replaced(archive: bytes, name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(info, content if info.filename == name else source.read(info))
    return buffer.getvalue()


def test_a_scripted_module_saved_by_torch_is_clean_and_imports_no_compiled_class():
    scan = scan_file(TORCHSCRIPT / "benign.pt")
    assert scan.kind == "torchscript" and scan.problems == () and scan.hazards == ()
    assert {ref.module for ref in scan.globals} == {"collections", "torch", "torch._utils", "torch.jit._pickle"}
    assert not any(site.callable.module.startswith("__torch__") for site in scan.calls)


def test_a_custom_operator_namespace_is_a_hazard_naming_the_op_and_the_source():
    scan = scan_file(TORCHSCRIPT / "custom_ops.pt")
    assert [hazard.kind for hazard in scan.hazards] == ["custom-ops"]
    assert "`torch.ops.evil_ops` (`steal`)" in scan.hazards[0].detail
    assert scan.hazards[0].member == "custom_ops/code/__torch__.py"


def test_a_hostile_data_pkl_in_a_real_archive_is_still_judged(tmp_path):
    archive = replaced((TORCHSCRIPT / "benign.pt").read_bytes(), "benign/data.pkl",
                       call_pickle("os", "system", "echo pwned"))
    path = tmp_path / "model.pt"
    path.write_bytes(archive)
    scan = scan_file(path)
    assert scan.kind == "torchscript" and ("os", "system") in {(ref.module, ref.name) for ref in scan.globals}


def test_a_model_dir_with_the_real_archive_is_clean_and_its_custom_twin_an_error(tmp_path):
    write_files(tmp_path / "benign", torchscript_files((TORCHSCRIPT / "benign.pt").read_bytes()))
    write_files(tmp_path / "custom", torchscript_files((TORCHSCRIPT / "custom_ops.pt").read_bytes()))
    assert [f for f in lint(tmp_path / "benign").findings if f.severity >= Severity.WARNING] == []
    found = [(f.code, f.severity) for f in lint(tmp_path / "custom").findings if f.severity >= Severity.WARNING]
    assert found == [("ML310", Severity.ERROR)]


def test_a_long_traced_source_is_read_as_text(tmp_path):
    line = "    _0 = torch.add(x, x)\n"
    code = "class M(Module):\n  def forward(self, x):\n" + line * 40_000 + "    return ops.my_ext.fused(_0)\n"
    path = tmp_path / "model.pt"
    path.write_bytes(torchscript_archive(code))
    scan = scan_file(path)
    assert [hazard.kind for hazard in scan.hazards] == ["custom-ops"] and "my_ext" in scan.hazards[0].detail


def test_source_that_does_not_parse_is_a_problem(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(torchscript_archive("class M(Module):\n  def forward(self, x:\n"))
    scan = scan_file(path)
    assert any("does not parse" in problem.reason for problem in scan.problems)


@pytest.mark.parametrize(("names", "expected"), [
    (["m/data.pkl", "m/constants.pkl", "m/code/__torch__.py"], True),
    (["m/data.pkl", "m/code/__torch__.py"], False),  # torch.load reads it as a checkpoint
    (["archive/data.pkl", "archive/data/0"], False),
    (["constants.pkl", "code/x.py"], False),
])
def test_an_archive_is_torchscript_by_its_constants_and_code(names, expected):
    assert is_torchscript(names) is expected


def test_the_checkpoints_of_torch_save_stay_plain_zips():
    pickles = Path(__file__).resolve().parent.parent / "data" / "pickles"
    assert sniff(pickles / "torch_module.pth") == "zip"


def test_a_code_budget_stops_the_read(monkeypatch):
    monkeypatch.setattr("modellint.analyzer.serialized.torchscript.MAX_CODE_BYTES", 10)
    facts = Facts(Limits())
    scan_torchscript_code(io.BytesIO(torchscript_archive("x = 1\n" * 10)), facts)
    assert any("TorchScript code over" in problem.reason for problem in facts.problems)
