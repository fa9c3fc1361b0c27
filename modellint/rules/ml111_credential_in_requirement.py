from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from modellint.analyzer.model_dir import ModelDir
from modellint.credentials import find_credentials, redact
from modellint.findings import Finding, Severity, Span
from modellint.fixes.requirement_lists import pip_lines
from modellint.rules._base import Invalid, Rule, Valid, examples
from modellint.rules._examples import CLEAN, CLEAN_PIP, PYTHON_ENV, conda, model_files, requirements

_WHAT = {
    "password": "a password",
    "token": "an access token as the URL's user name",
    "conda token": "an anaconda.org token",
    "query": "a secret URL parameter (a signed or token-bearing URL)",
}


class CredentialInRequirement(Rule):
    """## What it does
    Finds passwords and tokens written into the model's environment files: `requirements.txt`,
    the conda file (channels, specs and the `pip:` list) and `python_env.yaml`.

    It reports a password or token in an index URL (`--extra-index-url https://user:token@host/simple`),
    a `--find-links` URL, a direct reference (`pkg @ https://user:pass@host/pkg.whl`,
    `git+https://token@github.com/...`), an anaconda.org channel with a `/t/<token>/` path, and a
    signed download URL (`?X-Amz-Signature=...`). The message shows the credential redacted
    (`https://user:****@host`), as every modellint report does.

    ## Why is this bad?
    A model artifact is copied to registries, buckets and serving images, and anyone who can read
    the model can read the secret and use it on the index it opens. MLflow writes the
    environment files verbatim from what was logged, so a token used at training time ships with
    every copy of the model, and lands in CI logs whenever the requirements are printed.

    ## Example
    ```text
    --extra-index-url https://ci-bot:s3cr3t@pypi.example.com/simple
    ```

    ## Fix
    Revoke the credential, then write an environment-variable reference that pip expands when it
    reads the file (`https://${PIP_USER}:${PIP_TOKEN}@pypi.example.com/simple`), or move the index
    to the serving environment's pip configuration (`PIP_EXTRA_INDEX_URL`, `pip.conf`) or
    `~/.netrc`. `${VAR}` references are not reported.
    """

    code = "ML111"
    name = "credential-in-requirement"
    severity = Severity.ERROR
    fix_title = ("Revoke it and use an environment variable (`https://${USER}:${TOKEN}@host`), "
                 "a pip config or a netrc instead")

    VALID = examples(lambda: (
        Valid(CLEAN),
        Valid(model_files(
            requirements__txt=requirements("--extra-index-url https://${PIP_USER}:${PIP_TOKEN}@pypi.example.com/simple",
                                           *CLEAN_PIP),
            conda__yaml=conda("--extra-index-url https://${PIP_USER}:${PIP_TOKEN}@pypi.example.com/simple", *CLEAN_PIP)),
            note="environment-variable references are expanded by pip, not secrets"),
        Valid(model_files(requirements__txt=requirements(
            *CLEAN_PIP, "tools @ git+ssh://git@github.com/acme/tools.git@v1.2"),
            conda__yaml=conda(*CLEAN_PIP, "tools @ git+ssh://git@github.com/acme/tools.git@v1.2")),
            note="`git@` is the SSH account, not a secret"),
    ))
    INVALID = examples(lambda: (
        Invalid(model_files(
            requirements__txt=requirements("--extra-index-url https://ci-bot:s3cr3t@pypi.example.com/simple",
                                           *CLEAN_PIP),
            conda__yaml=conda("--extra-index-url https://ci-bot:s3cr3t@pypi.example.com/simple", *CLEAN_PIP)),
            (("conda.yaml", 7), ("requirements.txt", 1))),
        Invalid(model_files(conda__yaml=conda(*CLEAN_PIP, channels=(
            "https://conda.anaconda.org/t/ab-12345678-90ab-cdef-1234-567890abcdef/acme", "conda-forge"))),
            (("conda.yaml", 2),)),
        Invalid(model_files(conda__yaml=conda(*CLEAN_PIP).replace(
            "- pip<=23.2.1\n", "- https://conda.anaconda.org/t/ab-12345678-90ab-cdef/acme::numpy=1.26\n- pip<=23.2.1\n")),
            (("conda.yaml", 5),), note="a conda spec's channel"),
        Invalid(model_files(python_env__yaml=PYTHON_ENV + "- tools @ git+https://ghp_0123456789abcdefABCDEF@github.com/acme/tools\n"),
                (("python_env.yaml", 8),)),
    ))

    def check(self, model: ModelDir) -> Iterator[Finding]:
        for path, text, span in _written_values(model):
            credentials = [credential for credential in find_credentials(text) if credential.is_secret]
            if not credentials:
                continue
            kinds = sorted({_WHAT[credential.kind] for credential in credentials})
            yield self.finding(
                path,
                f"`{redact(text)}` holds {' and '.join(kinds)} in plain text: anyone who can read the model can use it",
                span,
            )


def _written_values(model: ModelDir) -> Iterator[tuple[Path, str, Span]]:
    """Every requirement line, conda channel and conda spec the environment files hold."""
    for line in pip_lines(model):
        yield line.path, line.text, line.span
    if model.conda is not None:
        for channel, span in model.conda.channels:
            yield model.conda.path, channel, span
        for spec in model.conda.specs:
            yield model.conda.path, spec.text, spec.span
    if model.python_env is not None:
        for requirements_list in (model.python_env.build_dependencies, model.python_env.dependencies):
            for line in requirements_list.lines:
                yield line.path, line.text, line.span
