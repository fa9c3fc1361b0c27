"""What the model's bytes can do to the report, and what a failure reads as.

- Escape sequences, control characters and bidi overrides in requirement lines, conda channels,
  MLmodel values, file names and pickle global names never reach stdout or stderr raw: the
  human formats show them as `\\x1b` / `\\u202e`, JSON and SARIF escape them.
- Credentials written into the environment files (index URLs, find-links, direct references,
  git URLs, anaconda.org `/t/<token>/` channels, signed URLs) are redacted in every format, and
  ML111 reports each one.
- A target that crashes inside modellint is an error in every format, never "All checks passed!".
"""

from __future__ import annotations

import json
import re

import pytest

from modellint.credentials import find_credentials, redact
from modellint.reports import FORMATS, printable
from modellint.rules._examples import CLEAN, MLMODEL, PYTHON_ENV
from tests.conftest import REPO
from tests.hostile.harness import Sandbox, assert_promises, run_cli

# Every way to ask for a report: the formats the CLI offers (a new one is tested here unasked), and
# --statistics on the human ones.
REPORTS = [["--format", name] for name in FORMATS] + [["--format", "concise", "--statistics"]]

SECRETS = {
    "extra-index-url": "PASSWORD-AAA-111",
    "index-url token": "ghp_TOKENBBB0123456789",
    "find-links": "PASSWORD-CCC-333",
    "direct reference": "PASSWORD-EEE-555",
    "git token": "ghp_TOKENFFF0123456789",
    "signed url": "SIGNATURE-GGG-777",
    "conda channel": "ab-TOKENHHH-8888",
    "conda pip list": "PASSWORD-III-999",
    "python_env": "PASSWORD-JJJ-000",
    "pickle global": "PASSWORD-KKK-123",
}

REQUIREMENTS = (
    f"--extra-index-url https://ci-bot:{SECRETS['extra-index-url']}@pypi.example.com/simple\n"
    f"-i https://{SECRETS['index-url token']}@pypi.example.com/simple\n"
    f"--find-links https://fl-user:{SECRETS['find-links']}@files.example.com/links\n"
    f"private-pkg @ https://dl-user:{SECRETS['direct reference']}@files.example.com/private_pkg-1.0-py3-none-any.whl\n"
    f"tools @ git+https://{SECRETS['git token']}@github.com/acme/tools.git\n"
    "signed @ https://bucket.s3.amazonaws.com/signed-1.0-py3-none-any.whl"
    f"?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature={SECRETS['signed url']}\n"
    "mlflow==3.17.2 # \x1b[2J\x1b[1A\x1b]0;owned\x07 \u202e hidden \u2066\n"
    "numpy==1.0\x1b[31m\u202e\x9b2K\n"
    "scikit-learn==1.9.1\n"
    "skops==0.16.0\r\x1b[2K# all clear\n"
)

CONDA = (
    "channels:\n"
    f"- \"https://conda.anaconda.org/t/{SECRETS['conda channel']}/acme\"\n"
    "- \"\\e[2Jconda-forge\\u202e\"\n"
    "dependencies:\n"
    "- python=3.11.7\n"
    "- pip<=23.2.1\n"
    "- pip:\n"
    f"  - \"--extra-index-url https://ci-bot:{SECRETS['conda pip list']}@pypi.example.com/simple\"\n"
    "  - \"mlflow==3.17.2\\e[8m\\u2067\"\n"
    "  - scikit-learn==1.9.1\n"
    "  - skops==0.16.0\n"
    "name: \"\\e]8;;http://evil.example\\e\\\\link\\e]8;;\\e\\\\\"\n"
)

PYTHON_ENV_HOSTILE = PYTHON_ENV + f"- \"--index-url https://pe-user:{SECRETS['python_env']}@pypi.example.com/simple\"\n"

EVIL_NAME = "evil\x1b[2J\u202e.pkl"


def _pickle_calling(module: str, name: str) -> bytes:
    """A protocol-2 pickle that calls ``module.name()``: GLOBAL, EMPTY_TUPLE, REDUCE, STOP."""
    return b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n)R."


def hostile_model() -> dict[str, str | bytes]:
    mlmodel = MLMODEL.replace("model_path: model.skops", "model_path: \"model\\e[2J\\u202e.skops\"")
    mlmodel += "artifact_path: \"/home/ci/\\e[2J\\u202emodel\\r\\e[1A\"\n"
    mlmodel += "metadata: {\"\\e[31mkey\\u202e\": \"\\e[5mvalue\\u2066\"}\n"
    return {
        **CLEAN,
        "MLmodel": mlmodel,
        "requirements.txt": REQUIREMENTS,
        "conda.yaml": CONDA,
        "python_env.yaml": PYTHON_ENV_HOSTILE,
        EVIL_NAME: _pickle_calling("os\x1b[1A\x1b[2K\u202e", "system"),
        "creds.pkl": _pickle_calling(f"https://u:{SECRETS['pickle global']}@evil.example/x", "run"),
    }


# Raw bytes a report may never carry: C0 controls but the newline and the tab, DEL, C1 controls, bidi
# embeddings/overrides/isolates and marks, line/paragraph separators.
_RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def assert_no_raw_controls(text: str, where: str) -> None:
    found = _RAW.search(text)
    assert found is None, f"raw {found.group()!r} in {where}: ...{text[max(found.start() - 80, 0):found.end() + 80]!r}"


def assert_no_secret(text: str) -> None:
    for place, secret in SECRETS.items():
        assert secret not in text, f"the {place} secret was printed"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    sandbox = Sandbox(tmp_path_factory.mktemp("output-safety"))
    sandbox.write(hostile_model())
    return sandbox


@pytest.mark.parametrize("report", REPORTS, ids=lambda args: "-".join(arg.lstrip("-") for arg in args[1:]))
def test_model_text_is_escaped_and_credentials_redacted_in_every_format(hostile, report):
    before = hostile.snapshot()
    run = run_cli(["check", str(hostile.target), "--no-progress", *report], hostile)
    assert_promises(run, hostile, before)
    assert run.returncode == 1, run
    assert_no_raw_controls(run.stdout, "stdout")
    assert_no_raw_controls(run.stderr, "stderr")
    assert_no_secret(run.stdout + run.stderr)
    if report[1] in ("full", "concise", "github", "markdown") and "--statistics" not in report:
        assert "\\x1b[" in run.stdout and "\\u202e" in run.stdout  # shown, not dropped
        assert ":****@pypi.example.com" in run.stdout and "/t/****/acme" in run.stdout
    if report[1] == "github":
        commands = [line for line in run.stdout.splitlines() if line.startswith("::")]
        assert len(commands) == len(run.stdout.splitlines())  # no line of model text starts a command
    if report[1] in ("json", "sarif"):
        json.loads(run.stdout)
        assert run.stdout.isascii()


def test_every_credential_is_reported_by_ml111_and_shown_redacted(hostile):
    run = run_cli(["check", str(hostile.target), "--format", "json", "--select", "ML111"], hostile)
    document = json.loads(run.stdout)
    found = {(finding["path"].rsplit("/", 1)[-1], finding["line"]) for finding in document["findings"]}
    assert found == {("requirements.txt", line) for line in range(1, 7)} | {
        ("conda.yaml", 2), ("conda.yaml", 8), ("python_env.yaml", 8)}
    for finding in document["findings"]:
        assert finding["code"] == "ML111" and finding["severity"] == "error"
        assert "****" in finding["message"]
    assert_no_secret(run.stdout + run.stderr)


def test_sarif_messages_are_printable(hostile):
    run = run_cli(["check", str(hostile.target), "--format", "sarif"], hostile)
    for result in json.loads(run.stdout)["runs"][0]["results"]:
        assert_no_raw_controls(result["message"]["text"], f"SARIF message of {result['ruleId']}")


def test_a_file_named_with_escapes_is_shown_escaped(hostile):
    run = run_cli(["check", str(hostile.target), "--format", "concise"], hostile)
    assert "evil\\x1b[2J\\u202e.pkl" in run.stdout, run


def test_fix_edits_in_json_carry_no_credential(tmp_path):
    # ML102 copies requirements.txt lines into conda.yaml: the edit's content would hold the secret
    sandbox = Sandbox(tmp_path)
    sandbox.write({**CLEAN, "requirements.txt": f"private-pkg @ https://u:{SECRETS['direct reference']}@h.example/"
                                                "private_pkg-1.0-py3-none-any.whl\n"
                                                "mlflow==3.17.2\nscikit-learn==1.9.1\nskops==0.16.0\n"})
    run = run_cli(["check", str(sandbox.target), "--format", "json", "--unsafe-fixes"], sandbox)
    assert_no_secret(run.stdout)
    edits = [edit for finding in json.loads(run.stdout)["findings"] if finding["fix"]
             for edit in finding["fix"]["edits"]]
    assert any("u:****@h.example" in edit["content"] for edit in edits), edits


# --- a target that crashes inside modellint -------------------------------------------------------

CRASH_SITECUSTOMIZE = """\
import modellint.engine as engine

def _crash(model, rules):
    raise PermissionError(13, "Permission denied \\x1b[2J\\u202e https://u:{secret}@h.example/x", str(model.root))
    yield

engine._check_model = _crash
"""
CRASH_SECRET = "PASSWORD-CRASH-42"


def crashing_env(sandbox: Sandbox) -> dict[str, str]:
    """PYTHONPATH with a sitecustomize that makes linting a model dir raise (test instrumentation,
    not the target's code: the canary stays unimported)."""
    hook = sandbox.root / "crash-hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(CRASH_SITECUSTOMIZE.format(secret=CRASH_SECRET))
    return {"PYTHONPATH": f"{REPO}:{hook}:{sandbox.canary_dir}"}


@pytest.fixture(scope="module")
def crashing(tmp_path_factory):
    sandbox = Sandbox(tmp_path_factory.mktemp("crash"))
    sandbox.write(CLEAN)
    crashing_env(sandbox)  # the hook is written before any snapshot
    return sandbox


@pytest.mark.parametrize("report", REPORTS, ids=lambda args: "-".join(arg.lstrip("-") for arg in args[1:]))
def test_a_crashing_target_is_an_error_in_every_format(crashing, report):
    before = crashing.snapshot()
    run = run_cli(["check", str(crashing.target), "--no-progress", *report], crashing, env=crashing_env(crashing))
    assert_promises(run, crashing, before)
    assert run.returncode == 2, run
    assert ": internal error: " in run.stderr and "modellint: error: " in run.stderr
    assert CRASH_SECRET not in run.stdout + run.stderr
    assert_no_raw_controls(run.stdout, "stdout")
    assert_no_raw_controls(run.stderr, "stderr")
    name = report[1]
    if name in ("full", "concise"):
        assert "1 target could not be checked." in run.stdout, run
    elif name == "markdown":
        assert "1 target could not be checked." in run.stdout and "No findings (0 model dirs" in run.stdout, run
    elif name == "github":
        target = str(crashing.target).replace(":", "%3A").replace(",", "%2C")
        assert re.search(rf"^::error file={re.escape(target)},title=modellint%3A target not checked::internal error",
                         run.stdout, re.M), run
    elif name == "json":
        document = json.loads(run.stdout)
        assert document["findings"] == [] and document["summary"]["failed_targets"] == 1
        assert [error["path"] for error in document["errors"]] == [str(crashing.target)]
        assert "PermissionError" in document["errors"][0]["message"]
    elif name == "sarif":
        document = json.loads(run.stdout)
        invocation = document["runs"][0]["invocations"][0]
        assert invocation["executionSuccessful"] is False
        notification, = invocation["toolExecutionNotifications"]
        assert notification["level"] == "error" and "PermissionError" in notification["message"]["text"]
        schema = pytest.importorskip("tests.integrations.test_sarif_schema")
        assert schema.schema_errors(document) == [] and schema.github_problems(document) == []


def test_a_crash_beside_findings_is_counted_in_the_summary(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write(CLEAN, under="target/good")
    sandbox.write({**CLEAN, "requirements.txt": "mlflow\nscikit-learn==1.9.1\nskops==0.16.0\n"}, under="target/loose")
    hook = sandbox.root / "crash-hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import modellint.engine as engine\n_real = engine._check_model\n"
        "def _check(model, rules):\n"
        "    if model.root.name == 'good':\n        raise MemoryError()\n"
        "    return _real(model, rules)\n"
        "engine._check_model = _check\n")
    env = {"PYTHONPATH": f"{REPO}:{hook}:{sandbox.canary_dir}"}
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox, env=env)
    assert run.returncode == 2
    lines = run.stdout.splitlines()
    assert lines.index("1 target could not be checked.") == 1 + next(
        index for index, line in enumerate(lines) if line.startswith("Found "))
    assert "target/good: error: internal error: " in run.stdout


# --- the boundary itself --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "shown"), [
    ("--extra-index-url https://user:tok@host/simple", "--extra-index-url https://user:****@host/simple"),
    ("-i https://ghp_0123456789abcdef@host", "-i https://****@host"),
    ("pkg @ https://user:pass@host/pkg.whl", "pkg @ https://user:****@host/pkg.whl"),
    ("git+https://ghp_0123456789abcdef@github.com/a/b", "git+https://****@github.com/a/b"),
    ("https://conda.anaconda.org/t/ab-1234abcd-ef/chan", "https://conda.anaconda.org/t/****/chan"),
    ("https://u:p@ss:word@host/x", "https://u:****@host/x"),  # an `@` in the password
    ("https://h/p.whl?X-Amz-Signature=abc&sig=d&design=1", "https://h/p.whl?X-Amz-Signature=****&sig=****&design=1"),
    ("`https://user:tok@host`", "`https://user:****@host`"),
    ("HTTPS://USER:TOK@HOST", "HTTPS://USER:****@HOST"),
])
def test_redaction_forms(text, shown):
    assert redact(text) == shown
    assert redact(shown) == shown  # idempotent: a report read back and printed again stays redacted


@pytest.mark.parametrize("text", [
    "https://${PIP_USER}:${PIP_TOKEN}@host/simple",
    "https://${TOKEN}@host/simple",
    "https://conda.anaconda.org/t/${CONDA_TOKEN}/chan",
    "git+ssh://git@github.com/acme/tools.git",
    "https://__token__@host/simple",
    "https://alice@host/simple",  # an account name: redacted in reports, not reported by ML111
    "./t/localbuild/pkg.whl",
])
def test_not_credentials(text):
    assert not [credential for credential in find_credentials(text) if credential.is_secret]


@pytest.mark.parametrize("size", [40_000, 400_000])
@pytest.mark.parametrize("unit", ["a", "://", "https://a", "/t/aaaaaaaaa", "?tokentoken", "a:@", "https://x/?a=b&"])
def test_redaction_is_linear(unit, size):
    import time

    text = unit * (size // len(unit))
    started = time.perf_counter()
    redact(text)
    printable(text + "\x1b" * 1000)
    assert time.perf_counter() - started < 1.0


def test_printable_shows_what_would_move_or_hide_text():
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("x\u202ey\u2066z\u200fw\ufeff") == "x\\u202ey\\u2066z\\u200fw\\ufeff"
    assert printable("l1\nl2\rl3\x85\u2028") == "l1\\nl2\\rl3\\x85\\u2028"
    assert printable("\udcff") == "\\udcff"  # a byte that was not UTF-8, kept by surrogateescape
    assert printable("tab\tand é, 模型, 🙂") == "tab\tand é, 模型, 🙂"
    assert printable("\U000e0041") == "\\U000e0041"  # tag characters are invisible


def test_a_project_with_nothing_to_check_does_not_read_as_passed(tmp_path):
    sandbox = Sandbox(tmp_path)
    sandbox.write({"pyproject.toml": "[project]\nname = 'x'\n", "train.py": "print('no mlflow here')\n"})
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox)
    assert run.returncode == 0, run
    assert run.stdout == "Nothing checked: 1 training project without an mlflow save_model/log_model call.\n"


def test_a_credential_split_by_a_continuation_is_masked_in_the_full_frame(tmp_path):
    sandbox = Sandbox(tmp_path)
    secret = "PASSWORD-SPLIT-" + "9" * 20
    half = len(secret) // 2
    sandbox.write({**CLEAN, "requirements.txt": f"--extra-index-url https://bob:{secret[:half]}\\\n{secret[half:]}@h.example/s\n"
                                                "mlflow==3.17.2\nscikit-learn==1.9.1\nskops==0.16.0\n"})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "full"], sandbox)
    assert_promises(run, sandbox, before)
    assert secret[:half] not in run.stdout and secret[half:] not in run.stdout, run
    assert "https://bob:****\\\n" in run.stdout


@pytest.mark.parametrize("name", [*FORMATS, "statistics"])
def test_every_reporter_fails_closed_in_process(name, tmp_path):
    """The reporters alone (no subprocess): an unchecked target and no findings never read as clean."""
    from importlib import import_module

    from modellint.reports import ReportContext, UncheckedTarget

    error = UncheckedTarget(tmp_path / "m\x1b[2J", "internal error: MemoryError \u202e https://u:SECRET-X@h/")
    context = ReportContext(base=tmp_path, version="0", targets=1, errors=[error])
    text = import_module(f"modellint.reports.{name}").render([], context)
    assert "All checks passed" not in text and "SECRET-X" not in text
    assert_no_raw_controls(text, name)
    if name in ("full", "concise", "statistics", "markdown"):
        assert "1 target could not be checked." in text
