"""Keras v3 ``.keras`` archives (a zip of ``config.json``, ``metadata.json`` and the weights), read
without keras: what rebuilding the model from ``config.json`` runs and imports.

* A ``Lambda`` layer (or any object) whose function was serialized as ``__lambda__`` (or, in the
  legacy form, ``function_type: "lambda"``) carries marshalled Python bytecode. Keras 3 refuses to
  deserialize it under ``safe_mode=True``, its default and what ``mlflow.keras`` 3.x loads with
  (``keras.saving.load_model(path, custom_objects=...)``, no ``safe_mode``): through MLflow the load
  fails; whoever passes ``safe_mode=False`` (or enables unsafe deserialization) runs the bytecode.
  Either way the file is reported (``runs-code``).
* Every other object names the ``module`` and ``class_name`` its class is found by. Keras's own
  packages resolve inside keras; any other module is the code the model needs at load (Keras 3.0-3.8
  imports it; later versions need it imported and registered first): it becomes an import record,
  judged like a pickle global (ML301 for a module the environment lacks, ML302 for a dangerous one).

Bounds: ``config.json`` is read only up to :data:`MAX_CONFIG_BYTES` and walked without recursion;
JSON nested past Python's recursion limit is a problem, as is anything that is not JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modellint.analyzer.serialized.keras_config import walk_config
from modellint.analyzer.serialized.pickles.results import Facts, Unscannable

if TYPE_CHECKING:
    from modellint.analyzer.serialized.pickles.streams import ByteStream

CONFIG = "config.json"
MAX_CONFIG_BYTES = 16 * 2**20  # as skops: json.loads of 16 MiB of `{},` holds 360 MB; real configs are KBs to a few MB


def scan_keras(handle: ByteStream, facts: Facts, within: str | None = None, keras_only: bool = False) -> None:
    """What the Keras archive ``handle`` runs and imports. ``within``: where the archive lies, for the
    messages, when it is not a file of its own (a pickle's payload). ``keras_only``: a zip that is not a
    Keras archive (no ``config.json``) is not this reader's, and passes silently."""
    import json
    import zipfile
    import zlib

    from modellint.analyzer.serialized.pickles.sniffing import member_stream, open_zip

    config = f"{within} > {CONFIG}" if within else CONFIG
    try:
        archive = open_zip(handle)
        info = archive.getinfo(CONFIG)
    except Unscannable as error:
        facts.problem(error.reason, None, within)
        return
    except KeyError:
        if not keras_only:
            facts.problem("Keras archive without config.json", None, within)
        return
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        if not keras_only:
            raise
        facts.problem(f"unreadable zip archive: {error}", None, within)
        return
    if info.file_size > MAX_CONFIG_BYTES:
        facts.problem(f"Keras config.json of {info.file_size:,} bytes: over the {MAX_CONFIG_BYTES:,} bytes read",
                      None, config)
        return
    try:
        with member_stream(handle, info) as stream:
            text = stream.read(info.file_size + 1)
        facts.spend_decompressed(len(text))
        parsed = json.loads(text)
    except (OSError, EOFError, zlib.error, Unscannable) as error:
        facts.problem(f"unreadable Keras config.json: {error}", None, config)
        return
    except (ValueError, RecursionError):
        facts.problem("Keras config.json is not JSON (or nests too deep to read)", None, config)
        return
    walk_config(parsed, facts, config, unsafe_load=within is not None)
