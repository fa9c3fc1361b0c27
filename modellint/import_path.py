"""The working directory on ``sys.path``: where the model under check could shadow a module.

``python -m``, ``-c`` and the REPL put the working directory first on ``sys.path`` (not with
``-P`` or ``PYTHONSAFEPATH``), and modellint is often run inside the model dir it checks. There a
``yaml.py`` would be imported in place of PyYAML and a ``*.dist-info`` folder would be an
installed plugin: the model's code run by the checker. The ``modellint`` command never puts the
working directory on the path.
"""

# Imported by __main__ while the working directory is still on sys.path: `os` and `sys` only,
# which the interpreter has already loaded (no `from __future__`, which it has not).
import os
import sys


def without_working_directory(path: list[str]) -> list[str]:
    """``path`` (``sys.path``) without the entry Python put first for the working directory."""
    if path and not getattr(sys.flags, "safe_path", False) and _is_working_directory(path[0]):
        return path[1:]
    return list(path)


def _is_working_directory(entry: str) -> bool:
    try:
        return entry in ("", ".") or os.path.samefile(entry, os.getcwd())
    except OSError:  # a working directory removed since: nothing can be imported from it
        return False
