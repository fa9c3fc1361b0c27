from __future__ import annotations

from collections.abc import Iterator

from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Applicability, Finding, Severity
from modellint.fixes.edits import delete_list_item, make_fix, replace_span
from modellint.rules._base import FixAvailability, Invalid, ProjectInvalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP, conda, model_files

# Channels served by Anaconda, Inc. under its terms of service (the `defaults` multichannel and
# its members), per MLflow's "How to migrate Anaconda dependency" guide.
ANACONDA_CHANNELS = frozenset({"defaults", "anaconda", "main", "r", "msys2", "free", "pro"})
_ANACONDA_HOSTS = ("repo.anaconda.com", "repo.continuum.io", "conda.anaconda.org/anaconda")


def is_anaconda_channel(channel: str) -> bool:
    lowered = channel.strip().lower().rstrip("/")
    return lowered in ANACONDA_CHANNELS or any(host in lowered for host in _ANACONDA_HOSTS)


# Training scripts whose save call gives the conda environment (project mode reports on their lines).
_TRAIN_WITH_ENV = ("import mlflow\n\nenv = {'channels': ['defaults'], 'dependencies': ['python=3.11', 'pip', "
                   "{'pip': ['scikit-learn==1.9.1', 'skops==0.16.0']}]}\n"
                   "mlflow.sklearn.save_model(clf, 'model', conda_env=env)\n")
_TRAIN_WITH_ENV_FILE = "import mlflow\n\nmlflow.sklearn.save_model(clf, 'model', conda_env='env.yaml')\n"
_ENV_FILE = ("channels:\n  - defaults  # from the template\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
             "    - scikit-learn==1.9.1\n    - skops==0.16.0\n")


class DefaultsChannel(Rule):
    """## What it does
    Checks the conda environment for Anaconda's channels: `defaults`, `anaconda`, `main`, `r`,
    `msys2`, or a `repo.anaconda.com` URL.

    ## Why is this bad?
    Anaconda's terms of service may require a commercial licence to use these channels in an
    organisation of more than 200 people, and the environment `mlflow models serve --env-manager
    conda` builds pulls from them. MLflow itself moved to `conda-forge` in 1.18; models saved
    before that, or with a hand-written `conda_env`, still list `defaults`.

    ## Example
    ```yaml
    channels:
    - defaults
    ```

    ## Fix
    Replace the channel with `conda-forge`, or remove it when `conda-forge` is already listed.
    This fix is unsafe (`--unsafe-fixes`): the solver may then pick other builds of the conda
    packages.
    """

    code = "ML103"
    name = "defaults-channel"
    severity = Severity.WARNING
    fix_title = "Replace the channel with `conda-forge`"
    fix_availability = FixAvailability.SOMETIMES

    VALID = examples(lambda: (Valid(CLEAN), Valid(model_files(conda__yaml=conda(*CLEAN_PIP, channels=("conda-forge", "nodefaults"))))))
    INVALID = examples(lambda: (
        Invalid(model_files(conda__yaml=conda(*CLEAN_PIP, channels=("defaults",))), (("conda.yaml", 2),),
                fixed={"conda.yaml": conda(*CLEAN_PIP, channels=("conda-forge",))}),
        Invalid(model_files(conda__yaml=conda(*CLEAN_PIP, channels=("conda-forge", "anaconda"))), (("conda.yaml", 3),),
                fixed={"conda.yaml": conda(*CLEAN_PIP, channels=("conda-forge",))}),
        Invalid(model_files(conda__yaml=conda(*CLEAN_PIP, channels=("defaults", "anaconda"))),
                (("conda.yaml", 2), ("conda.yaml", 3)),
                fixed={"conda.yaml": conda(*CLEAN_PIP, channels=("conda-forge",))},
                note="the first becomes conda-forge, the second is removed"),
        Invalid(model_files(conda__yaml="channels: [defaults]  # keep\ndependencies:\n- python=3.11.7\n"
                                        "- pip:\n  - mlflow==3.17.2\n  - scikit-learn==1.9.1\n  - skops==0.16.0\n"),
                (("conda.yaml", 1),),
                fixed={"conda.yaml": "channels: [conda-forge]  # keep\ndependencies:\n- python=3.11.7\n"
                                     "- pip:\n  - mlflow==3.17.2\n  - scikit-learn==1.9.1\n  - skops==0.16.0\n"},
                note="flow style and comments survive the fix"),
        Invalid(model_files(conda__yaml=conda(*CLEAN_PIP, channels=("https://repo.anaconda.com/pkgs/main",))),
                (("conda.yaml", 2),), fixed={"conda.yaml": conda(*CLEAN_PIP, channels=("conda-forge",))}),
        ProjectInvalid({"train.py": _TRAIN_WITH_ENV}, (("train.py", 3),),
                       fixed={"train.py": _TRAIN_WITH_ENV.replace("defaults", "conda-forge")},
                       note="the call's `conda_env` dict: the fix edits the Python string the line came from"),
        ProjectInvalid({"train.py": _TRAIN_WITH_ENV_FILE, "env.yaml": _ENV_FILE}, (("env.yaml", 2),),
                       fixed={"env.yaml": _ENV_FILE.replace("defaults", "conda-forge")},
                       note="a conda file the call names: the fix edits that file"),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        if model.conda is None:
            return
        path = model.conda.path
        # One conda-forge is enough: the first Anaconda channel becomes it, the others go.
        forge_listed = any(channel.strip().lower() == "conda-forge" for channel, _ in model.conda.channels)
        for channel, span in model.conda.channels:
            if not is_anaconda_channel(channel):
                continue
            literal = (channel, f'"{channel}"', f"'{channel}'")
            if forge_listed:
                fix = make_fix(f"Remove `{channel}`", delete_list_item(path, span, expected=literal), Applicability.UNSAFE)
            else:
                fix = make_fix(f"Replace `{channel}` with `conda-forge`",
                               replace_span(path, span, "conda-forge", expected=literal), Applicability.UNSAFE)
                forge_listed = fix is not None
            yield self.finding(
                path,
                f"conda channel `{channel}` is Anaconda's: its terms of service may require a commercial licence",
                span,
                fix=fix,
            )
