"""``python -m modellint``: the command line, with the working directory off the import path.

Run inside a model dir, ``python -m`` would import the model's ``yaml.py`` or ``rich/`` in place
of the real ones (see :mod:`modellint.import_path`); like pip's ``__main__``, drop that entry
before anything else is imported. Only ``modellint`` itself was found there first: a model dir
that ships a ``modellint`` package is imported under ``python -m``, never under the ``modellint``
command or ``python -I -m modellint``. (``modellint/__init__.py`` ran before this file: it imports
only what the interpreter has already loaded.)
"""

import sys

from modellint.import_path import without_working_directory

sys.path[:] = without_working_directory(sys.path)

from modellint.cli import main  # noqa: E402 - after the path is made safe

sys.exit(main())
