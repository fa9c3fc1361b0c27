from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Finding, Fix, Severity
from modellint.rules._base import FixAvailability, ProjectInvalid, ProjectValid, Rule, examples

_LAZY_PREDICT = """\
import mlflow
from mlflow.pyfunc import PythonModel


class Table(PythonModel):
    def predict(self, context, model_input, params=None):
        import tabulate

        return [tabulate.tabulate([[v]]) for v in model_input["x"]]


mlflow.pyfunc.save_model("model", python_model=Table(){arguments})
"""


def _train(arguments: str = "") -> dict[str, str]:
    return {"train.py": _LAZY_PREDICT.replace("{arguments}", arguments)}


def _train_wrapped(arguments: str = "", preamble: str = "") -> dict[str, str]:
    """The same script with the call wrapped one argument a line, as black writes a long one."""
    script = _LAZY_PREDICT.replace('("model", python_model=Table(){arguments})',
                                   '(\n    "model",\n    python_model=Table(),{arguments}\n)')
    return {"train.py": preamble + script.replace("{arguments}", arguments)}


class UninferredLazyImport(Rule):
    """## What it does
    In a training project, checks the `PythonModel` code that runs only when the model
    predicts (inside `predict` or the helpers it calls) for third-party imports that the
    save/log call leaves to MLflow's requirement inference without giving it an
    `input_example`.

    ## Why is this bad?
    MLflow infers requirements by loading the model in a subprocess and recording what gets
    imported; it calls `predict` only on the input example. Without one, a module imported
    inside `predict` is never seen, so it is missing from `requirements.txt`: the model works
    in the training environment and fails with `ModuleNotFoundError` when it is served.

    ## Example
    ```python
    class Table(PythonModel):
        def predict(self, context, model_input, params=None):
            import tabulate
            ...

    mlflow.pyfunc.save_model("model", python_model=Table())
    ```

    ## Fix
    Pass `input_example=` so inference runs `predict`, or list the distribution in
    `extra_pip_requirements`. `--fix --unsafe-fixes` adds it there, pinned to the newest
    release modellint knows (unsafe: the training environment may have another version).
    """

    code = "ML209"
    name = "uninferred-lazy-import"
    severity = Severity.WARNING
    fix_title = "Pass `input_example=` to the call, or add the distribution to `extra_pip_requirements`"
    fix_availability = FixAvailability.SOMETIMES  # when the distribution is known and the list is literal

    VALID = examples(lambda: (
        ProjectValid(_train(', input_example={"x": [1, 2]}'), note="inference runs predict on the example"),
        ProjectValid(_train(', extra_pip_requirements=["tabulate==0.9.0"]'), note="declared explicitly"),
        ProjectValid({"train.py": "import tabulate\n" + _LAZY_PREDICT.replace("{arguments}", "").replace(
                          "def predict", "def load_context(self, context):\n        tabulate.tabulate([])\n\n    def predict")},
                     note="imported while loading too, so inference sees it"),
    ))
    INVALID = examples(lambda: (
        ProjectInvalid(_train(), (("train.py", 12),),
                       fixed=_train(', extra_pip_requirements=["tabulate==0.10.0"]')),
        ProjectInvalid(_train(', extra_pip_requirements=["pandas==2.2.3"]'), (("train.py", 12),),
                       fixed=_train(', extra_pip_requirements=["pandas==2.2.3", "tabulate==0.10.0"]'),
                       note="the extra requirements do not cover it"),
        ProjectInvalid(_train_wrapped(), (("train.py", 12),),
                       fixed=_train_wrapped('\n    extra_pip_requirements=["tabulate==0.10.0"],'),
                       note="a wrapped call gets the argument on a line of its own"),
        ProjectInvalid(_train_wrapped("\n    extra_pip_requirements=['pandas==2.2.3'],"), (("train.py", 12),),
                       fixed=_train_wrapped("\n    extra_pip_requirements=['pandas==2.2.3', 'tabulate==0.10.0'],"),
                       note="the list's own quotes"),
        ProjectInvalid(_train_wrapped("\n    extra_pip_requirements=EXTRA,", preamble="EXTRA = ['pandas==2.2.3']\n"),
                       (("train.py", 13),), note="no fix: the list is not written in the call"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        training = model.training
        if training is None or not training.infers_requirements or training.has_input_example:
            return
        if not training.requirements_known:
            return
        environment = model.environment
        reported: set[str] = set()
        for fact in training.predict_time_imports:
            top = fact.module.split(".")[0]
            if top in reported or model.code_module_exists(fact.module) or environment.provision(fact.module):
                continue
            reported.add(top)
            yield self.finding(
                training.call.path,
                f"`{fact.module}` is imported only when the model predicts ({fact.path.name}:{fact.span.line}) and "
                f"the `{training.call.function}` call gives no `input_example`: MLflow's requirement inference "
                "will not see it and no requirement will provide it",
                training.call.span,
                fix=_declare_fix(training.call, fact.module, environment.knowledge),
            )


def _declare_fix(call, module: str, knowledge) -> Fix | None:
    """Add the distribution to the call's ``extra_pip_requirements``, pinned to the newest release
    the knowledge base knows. Unsafe: the training environment may have another version, and an
    input example (which would let MLflow pin the installed one) cannot be made up."""
    distribution = knowledge.suggest(module)
    if distribution is None:
        return None  # never guess a name: an unknown PyPI name may be a squatter
    version = knowledge.version(distribution)
    requirement = f"{distribution}=={version}" if version else distribution
    from modellint.fixes.project_edits import add_extra_requirement  # here: it imports ast

    return add_extra_requirement(call.path, call.span, requirement, f"Add `{requirement}` to `extra_pip_requirements`")
