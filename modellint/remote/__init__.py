"""Models named by URI (``models:/fraud/3``, ``runs:/<id>/model``, an artifact store's URI).

This module only recognises such a target and shows paths below it; it imports nothing beyond
the standard library, so that start-up never pays for it. Fetching (:mod:`modellint.remote.fetch`)
goes through MLflow's own client, the optional extra ``modellint[mlflow]``.
"""

from __future__ import annotations

import re

# A scheme of two characters or more, then ``:/``: one letter would be a Windows drive (``C:/``).
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:/")

EXTRA = "modellint[mlflow]"


def is_model_uri(text: str) -> bool:
    """Whether a command-line target names a model by URI rather than a local path."""
    return _URI.match(text) is not None
