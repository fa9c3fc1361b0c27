"""Static facts about serialized model files: what loading them would import and call.

Nothing here unpickles, imports a name a file mentions, or runs code from it. An own
opcode reader (not ``pickletools.genops``, which materialises payloads) drives an
exact stack + memo machine with CPython's ``Unpickler`` semantics, so every
``STACK_GLOBAL`` operand is known or reported as computed.

Public API::

    sniff(path) -> str | None
        "pickle", "joblib", "torch-legacy", "zip" (PyTorch and other zips holding
        pickles), "npz", "skops", "npy", or a compressed joblib kind "zlib", "gzip",
        "bz2", "xz", "lzma", "lz4", "zfile"; "safetensors" or "gguf" for the weight files
        :mod:`~modellint.analyzer.serialized.weight_files` reads; None if the content is not a
        serialized model (decided by content, never by extension).
    scan_file(path, limits=Limits()) -> ScanResult   (never raises on bad input)

``ScanResult`` fields:

* ``globals``: every ``find_class`` a load performs (GLOBAL, INST, STACK_GLOBAL, and
  skops types with opcode ``"skops"``), after ``_compat_pickle`` mapping below
  protocol 3. ``name`` may be dotted (``os.system`` reached from ``pathlib``): it is
  resolved by attribute walk, so judge every segment. Any global can end up called
  (``getattr``, ``__reduce__`` chains), so rules should judge globals, not only calls.
* ``calls``: every call a load makes, with the global it originates from: REDUCE,
  NEWOBJ, NEWOBJ_EX, OBJ, INST; BUILD (``__setstate__`` of the instance's class);
  APPEND(S)/SETITEM(S)/ADDITEMS on instances (their methods run). A BUILD on an
  imported object itself mutates module state and is reported as ``builtins.setattr``.
  Calls on values produced by other calls are attributed to the innermost global
  (``getattr(x, 'y')(...)`` -> ``builtins.getattr``).
* ``subimports``: module arguments of cloudpickle ``subimport`` (load-time imports
  of by-value functions' globals); ``dynamic_subimport`` builds a module and is not listed.
* ``embedded_code``: one ``EmbeddedCode`` per ``CodeType(...)`` call (cloudpickle
  by-value functions): the modules its bytecode imports, ``co_names``, and the
  Python minor(s) it was compiled for (``python_minor`` when exactly one fits).
* ``skops_types``: every ``module.Class`` a skops file names; ``skops_untrusted``:
  those skops would refuse without ``trusted=``. The trust test mirrors skops
  0.16's per-node defaults by rule (sklearn estimators, numpy, builtins); skops
  computes its lists from the installed libraries, so this is an approximation.
* ``problems``: why (part of) the file could not be proven: unknown opcode,
  truncated stream, stack underflow, memo miss, computed import or call, EXT code,
  size limit, unreadable container, trailing data, a joblib array whose raw bytes
  pickle would read as opcodes. Fail closed: a file with problems is not clean.

``offset`` is the byte offset of the opcode in the (decompressed) stream it was
read from; ``member`` names the container member, nested members joined by ``/``
(``outer.zip/archive/data.pkl``), None for the file itself.

Modules: ``results`` (the types above and the collector), ``streams`` (byte sources,
decompression), ``machine`` (the opcode machine), ``sniffing`` (kind by content),
``containers`` (zip, npy, skops, ``scan_file``).
"""

from typing import TYPE_CHECKING, Any

from modellint.analyzer.serialized.pickles.results import CallSite, EmbeddedCode, GlobalRef, Limits, Problem, ScanResult

if TYPE_CHECKING:
    from modellint.analyzer.serialized.pickles.containers import scan_file
    from modellint.analyzer.serialized.pickles.sniffing import sniff

__all__ = ["CallSite", "EmbeddedCode", "GlobalRef", "Limits", "Problem", "ScanResult", "scan_file", "sniff"]


def __getattr__(name: str) -> Any:
    # The readers (the opcode machine, the containers) are imported when a file is read: a
    # training project's run only builds results (the would-be python_model.pkl, rule types).
    # Each is kept in the module once imported, so later reads do not come here again.
    if name == "scan_file":
        from modellint.analyzer.serialized.pickles.containers import scan_file

        globals()[name] = scan_file
        return scan_file
    if name == "sniff":
        from modellint.analyzer.serialized.pickles.sniffing import sniff

        globals()[name] = sniff
        return sniff
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
