"""``--resolve``: a real uv resolution, offline, against stand-in wheels the test writes.

Each model ships ``wheels/`` (tiny wheels holding only metadata) and its requirements say
``--no-index --find-links wheels``: uv answers from that folder exactly as from an index.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import zipfile

import pytest

from modellint.cli import main
from modellint.resolve import HOW_TO_INSTALL, ResolverMissing, find_uv
from modellint.rules._examples import CLEAN_PIP, model_files
from modellint.rules._resolve_examples import with_index
from tests.conftest import write_files

CHECK = ["check", "m", "--isolated", "--no-cache", "--select", "ML508", "--format", "concise"]


def _wheel(name: str, version: str, tag: str = "py3-none-any", requires_python: str | None = None) -> tuple[str, bytes]:
    """A wheel of ``name`` for ``tag`` (``cp311-cp311-manylinux_2_17_x86_64``), metadata only."""
    project = name.replace("-", "_")
    info = f"{project}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if requires_python:
        metadata += f"Requires-Python: {requires_python}\n"
    files = {f"{info}/METADATA": metadata,
             f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: {tag}\n"}
    buffer = io.BytesIO()
    record = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(text)}")
        archive.writestr(f"{info}/RECORD", "\n".join([*record, f"{info}/RECORD,,"]) + "\n")
    return f"{project}-{version}-{tag}.whl", buffer.getvalue()


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_requirements_that_resolve_are_clean(in_tmp, capsys):
    write_files(in_tmp / "m", with_index(*CLEAN_PIP))
    assert main(CHECK + ["--resolve"]) == 0, capsys.readouterr()


def test_an_unsatisfiable_pin_is_blamed_at_its_line_with_uvs_explanation(in_tmp, capsys):
    write_files(in_tmp / "m", with_index(*CLEAN_PIP, "cloudpickle==2.5.8"))
    assert main(CHECK + ["--resolve"]) == 1
    out = capsys.readouterr().out
    assert "m/requirements.txt:6:1: ML508 [error] `cloudpickle==2.5.8`: the requirements do not resolve for " \
           "Python 3.11.7 on linux/x86_64: Because there is no version of cloudpickle==2.5.8" in out


def test_without_the_option_nothing_is_resolved(in_tmp, capsys):
    write_files(in_tmp / "m", with_index(*CLEAN_PIP, "cloudpickle==2.5.8"))
    assert main(CHECK) == 0


def test_the_conda_pip_list_when_there_is_no_requirements_txt(in_tmp, capsys):
    files = with_index(*CLEAN_PIP, "cloudpickle==2.5.8")
    del files["requirements.txt"]
    write_files(in_tmp / "m", files)
    assert main(CHECK + ["--resolve"]) == 1
    assert "m/conda.yaml:12:5: ML508 [error] `cloudpickle==2.5.8`" in capsys.readouterr().out


def test_included_files_are_followed_and_blamed_where_they_say_it(in_tmp, capsys):
    files = model_files(requirements__txt="-r sub/base.txt\nmlflow==3.17.2\n")
    files.update({name: data for name, data in with_index().items() if name.startswith("wheels/")})
    files["sub/base.txt"] = "--no-index\n--find-links ../wheels\nscikit-learn==1.9.1\ncloudpickle==2.5.8\n"
    write_files(in_tmp / "m", files)
    assert main(CHECK + ["--resolve"]) == 1
    assert "m/sub/base.txt:4:1: ML508 [error] `cloudpickle==2.5.8`" in capsys.readouterr().out


def test_the_platform_reaches_uv(in_tmp, capsys):
    files = with_index(*CLEAN_PIP, "fastmath==1.0")
    name, data = _wheel("fastmath", "1.0", "cp311-cp311-manylinux_2_17_x86_64")
    files[f"wheels/{name}"] = data
    write_files(in_tmp / "m", files)
    assert main(CHECK + ["--resolve"]) == 0
    assert main(CHECK + ["--resolve", "--platform", "linux/aarch64"]) == 1
    out = capsys.readouterr().out
    assert "m/requirements.txt:6:1: ML508 [error] `fastmath==1.0`: the requirements do not resolve for " \
           "Python 3.11.7 on linux/aarch64" in out


def test_the_python_version_reaches_uv(in_tmp, capsys):
    files = with_index(*CLEAN_PIP, "newish==1.0")
    name, data = _wheel("newish", "1.0", requires_python=">=3.12")
    files[f"wheels/{name}"] = data
    write_files(in_tmp / "m", files)
    assert main(CHECK + ["--resolve"]) == 1
    assert "`newish==1.0`: the requirements do not resolve for Python 3.11.7" in capsys.readouterr().out
    assert main(CHECK + ["--resolve", "--python-version", "3.12"]) == 0


def test_an_sdist_only_release_needs_a_build_which_is_never_run(in_tmp, capsys):
    files = with_index(*CLEAN_PIP, "sourceonly==1.0")
    files["wheels/sourceonly-1.0.tar.gz"] = b"not even a real archive: uv must never open it to build"
    write_files(in_tmp / "m", files)
    assert main(CHECK + ["--resolve"]) == 1
    out = capsys.readouterr().out
    assert "ML508 [warning] `sourceonly==1.0`: the requirements resolve for Python 3.11.7 on linux/x86_64 " \
           "only by building from source" in out


def test_no_uv_is_a_usage_error_saying_how_to_get_it(in_tmp, capsys, monkeypatch):
    write_files(in_tmp / "m", with_index(*CLEAN_PIP))

    def missing() -> str:
        raise ResolverMissing(HOW_TO_INSTALL)

    monkeypatch.setattr("modellint.resolve.find_uv", missing)
    assert main(CHECK + ["--resolve"]) == 2
    assert "modellint: error: --resolve needs uv: pip install 'modellint[resolve]'" in capsys.readouterr().err


def test_find_uv_without_the_package_looks_on_path(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "uv", None)  # the extra is not installed
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ResolverMissing, match="modellint\\[resolve\\]"):
        find_uv()
    uv = tmp_path / "uv"
    uv.write_text("#!/bin/sh\n")
    uv.chmod(0o755)
    assert find_uv() == str(uv)

