"""Models named by URI (``models:/fraud/3``, ``runs:/<id>/model``, an artifact store's URI).

This module only recognises such a target; it imports nothing, so that start-up never pays for it. Fetching (:mod:`modellint.remote.fetch`)
goes through MLflow's own client, the optional extra ``modellint[mlflow]``.
"""

from __future__ import annotations

EXTRA = "modellint[mlflow]"
_SCHEME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


def is_model_uri(text: str) -> bool:
    """Whether a command-line target names a model by URI rather than a local path: a scheme
    (RFC 3986) of two characters or more, then ``:/``; one letter would be a Windows drive (``C:/``)."""
    scheme, colon, rest = text.partition(":")
    return (bool(colon) and len(scheme) >= 2 and rest.startswith("/") and scheme[0].isascii() and scheme[0].isalpha()
            and set(scheme) <= _SCHEME_CHARACTERS)
