"""``--resolve``: hand a model's requirements to a real resolver (uv) for the target Python and
platform, without installing or building anything.

Everything else modellint checks offline; this asks an index (PyPI, or the ones the
requirements and the user's ``UV_*`` environment name), so it runs only with the option. uv comes
from the optional extra ``modellint[resolve]`` (the PyPI package ``uv`` ships the binary).
:mod:`~modellint.resolve.uv_output` reads uv's answer, :mod:`~modellint.resolve.inputs` prepares
what uv reads, :mod:`~modellint.resolve.runner` runs it, bounded in time and output.
"""

from __future__ import annotations

HOW_TO_INSTALL = "--resolve needs uv: pip install 'modellint[resolve]' (or put `uv` on PATH)"


class ResolverMissing(Exception):
    """uv is neither installed with modellint nor on PATH."""


def find_uv() -> str:
    """The uv executable: the one the ``uv`` package installed beside modellint, else ``uv`` on PATH."""
    try:
        from uv import find_uv_bin
    except ImportError:
        pass
    else:
        try:
            return find_uv_bin()
        except FileNotFoundError:
            pass
    import shutil

    found = shutil.which("uv")
    if found is None:
        raise ResolverMissing(HOW_TO_INSTALL)
    return found
