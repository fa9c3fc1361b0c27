"""A throwaway interpreter with chosen distributions installed, for ``--python`` tests.

``python -m venv --without-pip`` (tens of milliseconds), then each distribution as a wheel
assembled here from a few strings and installed from a temporary directory by the test
runner's own pip (``--no-index``, ``--target`` the venv's site-packages): nothing touches the
network, nothing is built, and the venv gets real ``.dist-info`` metadata with a RECORD,
exactly what importlib.metadata reads in the interpreter modellint asks.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(directory: Path, name: str, version: str, modules: Sequence[str]) -> Path:
    """A pure-Python wheel of ``name`` ``version`` with one package per top-level module."""
    stem = name.replace("-", "_")
    info = f"{stem}-{version}.dist-info"
    files = {f"{module}/__init__.py": f"__version__ = {version!r}\n".encode() for module in modules}
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: modellint-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/top_level.txt"] = "".join(f"{module}\n" for module in modules).encode()
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    wheel = directory / f"{stem}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def interpreter_with(root: Path, distributions: Mapping[str, tuple[str, Sequence[str]]]) -> Path:
    """A venv at ``root`` whose site-packages holds ``{name: (version, modules)}``; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    wheels = root.parent / f"{root.name}-wheels"
    wheels.mkdir(exist_ok=True)
    built = [build_wheel(wheels, name, version, modules) for name, (version, modules) in distributions.items()]
    if built:
        # The runner's pip installs into the venv's site-packages (`--target`): one pip process
        # instead of `pip --python`'s two, and the venv needs no pip of its own.
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                        "--disable-pip-version-check", "--target", site, *map(str, built)], check=True)
    return python
