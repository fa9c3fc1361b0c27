"""Examples for ``--resolve`` that resolve offline: the model ships a ``wheels/`` folder of tiny
stand-in wheels (metadata only) and its requirements say ``--no-index --find-links wheels``, so
uv answers from that folder as it would from an index."""

from __future__ import annotations

from modellint.rules._code_examples import requirement_files
from modellint.rules._examples import model_files

INDEX_LINES = ("--no-index", "--find-links wheels")
# The stand-in index: (name, version, Requires-Dist).
INDEX: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("mlflow", "3.17.2", ()),
    ("scikit-learn", "1.9.1", ()),
    ("skops", "0.16.0", ("scikit-learn>=1.1",)),
    ("numpy", "1.21.0", ()),
    ("numpy", "2.3.5", ()),
    ("pandas", "2.2.3", ("numpy>=1.23.2",)),
    ("cloudpickle", "3.1.1", ()),
)


def tiny_wheel(name: str, version: str, requires: tuple[str, ...] = ()) -> tuple[str, bytes]:
    """``(file name, bytes)`` of a pure-Python wheel holding only its metadata and an empty package."""
    # Imported here: every lint imports the rule modules, and zipfile brings bz2 and lzma.
    import base64
    import hashlib
    import io
    import zipfile

    project = name.replace("-", "_")
    info = f"{project}-{version}.dist-info"
    files = {
        f"{project}/__init__.py": "",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                            + "".join(f"Requires-Dist: {requirement}\n" for requirement in requires),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: modellint-examples\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            data = text.encode()
            archive.writestr(zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0)), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        archive.writestr(zipfile.ZipInfo(f"{info}/RECORD", date_time=(2026, 1, 1, 0, 0, 0)), "\n".join(record) + "\n")
    return f"{project}-{version}-py3-none-any.whl", buffer.getvalue()


def with_index(*pip: str) -> dict[str, str | bytes]:
    """The clean model with ``pip`` as its requirements, resolved against the stand-in index."""
    files = model_files(**{name.replace(".", "__"): text
                           for name, text in requirement_files(*INDEX_LINES, *pip).items()})
    for name, version, requires in INDEX:
        file_name, data = tiny_wheel(name, version, requires)
        files[f"wheels/{file_name}"] = data
    return files
