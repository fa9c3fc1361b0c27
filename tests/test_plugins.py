"""Rule plugins: distributions whose `modellint.rules` entry points add rules with their own prefix.

Unit tests hand the registry fake entry points (through `installed_entry_points`, the one place
that asks importlib-metadata); one test installs the plugin under tests/data/plugins/acme-rules
into a temporary venv with pip, offline, and runs modellint there.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

import modellint.rules as registry
from modellint.cli import main
from modellint.findings import Finding, Severity
from modellint.rules import ENTRIES_BY_CODE, Rule, rule_class
from modellint.rules import _plugins as plugins
from modellint.rules._base import SerializedFileRule
from modellint.rules._examples import CLEAN, CLEAN_PIP, MLMODEL, conda, model_files
from modellint.rules._plugins import PluginError, load
from modellint.selection import RuleSelection, SelectorError, expand, names
from tests.conftest import REPO, write_files

PLUGIN_SOURCE = REPO / "tests" / "data" / "plugins" / "acme-rules"


class OwnerTag(Rule):
    """## What it does
    Checks that MLmodel's `metadata` names an `owner`.

    ## Why is this bad?
    Nobody is paged when the model fails.

    ## Example
    ```yaml
    metadata: {}
    ```

    ## Fix
    Log the model with `metadata={"owner": ...}`.
    """

    code = "ACME001"
    name = "missing-owner-tag"
    severity = Severity.WARNING

    def check(self, model) -> Iterator[Finding]:
        if not model.mlmodel.get("metadata", "owner"):
            yield self.finding(model.mlmodel_path, "no owner", model.mlmodel.key_span("flavors"))


class Exploding(Rule):
    """## What it does
    Crashes, as a plugin's bug would."""

    code = "ACME002"
    name = "always-crashes"
    severity = Severity.ERROR

    def check(self, model) -> Iterator[Finding]:
        raise RuntimeError("boom in the plugin")


class Impostor(Rule):
    """## What it does
    Reports under a code that is not its own, as a plugin's slip would."""

    code = "ACME003"
    name = "reports-another-code"
    severity = Severity.WARNING

    def check(self, model) -> Iterator[Finding]:
        yield Finding("ML103", "defaults-channel", self.severity, "not mine to report", model.mlmodel_path)


class Distribution:
    """What the registry reads of an importlib-metadata ``Distribution``."""

    def __init__(self, name: str = "acme-rules", version: str = "1.0", urls: tuple[str, ...] = ()) -> None:
        self.name, self.version = name, version
        self.metadata = types.SimpleNamespace(get_all=lambda key: list(urls) if key == "Project-URL" else None,
                                              get=lambda key, default=None: default)


class EntryPoint:
    """What the registry reads of an importlib-metadata ``EntryPoint``."""

    def __init__(self, name: str, value: str, loaded: object, dist: Distribution | None = None) -> None:
        self.name, self.value, self._loaded = name, value, loaded
        self.dist = Distribution() if dist is None else dist

    def load(self) -> object:
        if isinstance(self._loaded, BaseException):
            raise self._loaded
        return self._loaded


def rule(base: type[Rule] = OwnerTag, **attributes: object) -> type[Rule]:
    """A variant of ``base`` (its docstring kept unless ``__doc__`` is given)."""
    attributes.setdefault("__doc__", base.__doc__)
    return type(base.__name__, (base,), attributes)


def _load(*entry_points: EntryPoint):
    return load(entry_points, registry.BUILTIN_PREFIX, {entry.name for entry in registry.RULE_TABLE})


@pytest.fixture
def installed(monkeypatch) -> Iterator[list[EntryPoint]]:
    """The entry points the registry finds installed: append to the list before it reads them."""
    found: list[EntryPoint] = []
    monkeypatch.setattr(plugins, "installed_entry_points", lambda: list(found))
    registry._installed_plugins.cache_clear()
    yield found
    registry._installed_plugins.cache_clear()


@pytest.fixture
def never_read(monkeypatch) -> Iterator[None]:
    """Fails the test if anything reads the installed plugins."""
    def read():
        raise AssertionError("the installed plugins were read")

    monkeypatch.setattr(plugins, "installed_entry_points", read)
    registry._installed_plugins.cache_clear()
    yield
    registry._installed_plugins.cache_clear()


@pytest.fixture
def acme(installed) -> list[EntryPoint]:
    installed.append(EntryPoint("ACME", "acme_rules", _module("acme_rules", RULES=(OwnerTag,))))
    return installed


def _module(name: str, **attributes: object) -> types.ModuleType:
    module = types.ModuleType(name)
    vars(module).update(attributes)
    return module


# --- loading and checking a plugin ------------------------------------------------------------


def test_an_entry_point_names_a_class_a_sequence_or_a_module_with_rules():
    other = rule(code="ACME003", name="missing-team-tag")
    found = _load(EntryPoint("team", "acme.team:RULES", [other]),
                  EntryPoint("ACME001", "acme.owner:OwnerTag", OwnerTag),
                  EntryPoint("zz", "acme", _module("acme", RULES=(OwnerTag, other))))  # the same classes again
    # Entry points are read in (distribution, name) order: the first to name a class is its origin.
    assert [(found_rule.rule, found_rule.origin.entry_point) for found_rule in found] == [
        (OwnerTag, "ACME001 = acme.owner:OwnerTag"), (other, "team = acme.team:RULES")]


def test_the_documentation_url_comes_from_the_distribution():
    dist = Distribution(urls=("Homepage, https://acme.example", "Documentation, https://acme.example/rules"))
    (found,) = _load(EntryPoint("ACME", "acme", OwnerTag, dist))
    assert found.origin.help_uri == "https://acme.example/rules"
    (found,) = _load(EntryPoint("ACME", "acme", OwnerTag))
    assert found.origin.help_uri is None
    # One that a SARIF validator or a Markdown link would not take is passed over.
    for unusable in ("https://acme.example/a b", "https://acme.example/a|b", "https://acme.example/(a", "javascript:x",
                     "https://acme.example/%zz", "https://acme.example/\x1b[2J"):
        dist = Distribution(urls=(f"Documentation, {unusable}", "Homepage, https://acme.example"))
        (found,) = _load(EntryPoint("ACME", "acme", OwnerTag, dist))
        assert found.origin.help_uri == "https://acme.example", unusable


@pytest.mark.parametrize(("loaded", "message"), [
    pytest.param(ModuleNotFoundError("No module named 'acme'"), "cannot be loaded: ModuleNotFoundError: No module named 'acme'",
                 id="import-fails"),
    pytest.param(SyntaxError("invalid syntax"), "cannot be loaded: SyntaxError: invalid syntax", id="syntax-error"),
    pytest.param(SystemExit(0), "cannot be loaded: SystemExit: 0", id="exits"),
    pytest.param(_module("acme"), "module `acme` has no RULES", id="module-without-rules"),
    pytest.param((), "not a rule class, a non-empty sequence of them, or a module with RULES", id="no-rules"),
    pytest.param(len, "not a rule class, a non-empty sequence of them", id="a-function"),
    pytest.param(dict, "is not a subclass of modellint's Rule", id="not-a-rule"),
    pytest.param(Rule, "is not a subclass of modellint's Rule", id="the-base-class"),
    pytest.param(rule(code="ACME1"), "code 'ACME1' is not 1 to 8 capital letters and 3 digits", id="short-code"),
    pytest.param(rule(code="acme001"), "code 'acme001' is not 1 to 8 capital letters", id="lower-case-code"),
    pytest.param(rule(code=None), "code None is not", id="no-code"),
    pytest.param(rule(code="ACME\u0660\u0660\u0661"), "is not 1 to 8 capital letters and 3 digits", id="arabic-digits"),
    pytest.param(rule(code="ALL001"), "code ALL001 has the prefix ALL, which as a selector means every built-in rule",
                 id="prefix-all"),
    pytest.param(rule(code="ML901"), "code ML901 starts with ML, which is reserved for modellint's own rules",
                 id="reserved-prefix"),
    pytest.param(rule(code="MLOPS001"), "code MLOPS001 starts with ML, which is reserved", id="reserved-prefix-longer"),
    pytest.param(rule(name="owner"), "name 'owner' is not two or more lower-case words joined by hyphens",
                 id="one-word-name"),
    pytest.param(rule(name="Owner-Tag"), "name 'Owner-Tag' is not", id="capitalised-name"),
    pytest.param(rule(severity="warning"), "severity must be a modellint.findings.Severity", id="severity-string"),
    pytest.param(rule(fix_title=3), "fix_title must be a string or None", id="fix-title"),
    pytest.param(rule(fix_availability="always"), "fix_availability must be a modellint.rules.FixAvailability",
                 id="fix-availability"),
    pytest.param(rule(__doc__=None), "has no docstring (the documentation `modellint rule ACME001` prints",
                 id="no-docstring"),
    pytest.param(rule(__doc__=OwnerTag.__doc__.replace("`owner`", "`owner` \x1b[2J")),
                 "docstring line 2 holds a control, bidi or zero-width character, which would reach the terminal "
                 "as is: Checks that MLmodel's `metadata` names an `owner` \\x1b[2J.", id="escape-in-docstring"),
    pytest.param(rule(__doc__=OwnerTag.__doc__.replace("paged", "paged\u202e")),
                 "docstring line 5 holds a control, bidi or zero-width character", id="bidi-in-docstring"),
    pytest.param(type("NoCheck", (Rule,), {"__doc__": "Does nothing.", "code": "ACME001", "name": "no-check",
                                           "severity": Severity.INFO}),
                 "does not define check(model)", id="no-check"),
    pytest.param(type("NoCheck", (SerializedFileRule,), {"__doc__": "Does nothing.", "code": "ACME001",
                                                         "name": "no-check", "severity": Severity.INFO}),
                 "does not define check(model)", id="no-check-serialized"),
    pytest.param(rule(name="defaults-channel"), "name `defaults-channel` is a built-in rule's", id="a-built-in-name"),
])
def test_a_broken_plugin_is_an_error_naming_its_distribution_and_entry_point(loaded, message):
    with pytest.raises(PluginError) as raised:
        _load(EntryPoint("ACME", "acme_rules", loaded, Distribution("acme-rules", "2.1")))
    assert str(raised.value).startswith("plugin acme-rules 2.1, entry point `ACME = acme_rules`: ")
    assert message in str(raised.value)


def test_two_plugins_cannot_share_a_code_or_a_name():
    rival = rule(name="owner-required")
    with pytest.raises(PluginError, match=r"plugin b-rules 1.0, entry point `B = b`: rule `OwnerTag`: code ACME001 is "
                                          r"also the code of `OwnerTag` \(plugin a-rules 1.0, entry point `A = a`\)"):
        _load(EntryPoint("B", "b", rival, Distribution("b-rules")), EntryPoint("A", "a", OwnerTag, Distribution("a-rules")))
    namesake = rule(code="BETA001")
    with pytest.raises(PluginError, match="name `missing-owner-tag` is also the name of ACME001"):
        _load(EntryPoint("A", "a", OwnerTag, Distribution("a-rules")), EntryPoint("B", "b", namesake, Distribution("b-rules")))


def test_a_broken_plugin_stops_the_cli_with_a_usage_error(installed, broken_model, capsys):
    installed.append(EntryPoint("ACME", "acme_rules", ImportError("cannot import name 'Rule'"),
                                Distribution("acme-rules", "2.1")))
    for args in (["rules"], ["rule", "ACME001"], ["model", "--select", "ACME"], ["model", "--ignore", "ACME001"]):
        code = main(args)
        out, err = capsys.readouterr()
        assert code == 2, args
        assert err == ("modellint: error: plugin acme-rules 2.1, entry point `ACME = acme_rules`: cannot be loaded: "
                       "ImportError: cannot import name 'Rule'\n"), args


def test_what_a_plugin_says_about_itself_is_printed_escaped(installed, broken_model, capsys):
    """A distribution's metadata and whatever its import raised reach the terminal through the
    same boundary as a model's text."""
    installed.append(EntryPoint("ACME", "acme_rules", ImportError("no \x1b[2J module"),
                                Distribution("acme\x1b]0;owned\x07", "1.0\u202e")))
    assert main(["rules"]) == 2
    assert capsys.readouterr().err == ("modellint: error: plugin acme\\x1b]0;owned\\x07 1.0\\u202e, entry point "
                                       "`ACME = acme_rules`: cannot be loaded: ImportError: no \\x1b[2J module\n")
    installed[:] = [EntryPoint("ACME\x1b[31m", "acme_rules", OwnerTag, Distribution("acme\u202erules"))]
    registry._installed_plugins.cache_clear()
    assert main(["rule", "ACME001"]) == 0
    assert capsys.readouterr().out.endswith(
        "\nFrom the plugin acme\\u202erules 1.0, entry point `ACME\\x1b[31m = acme_rules`.\n")


# --- when the plugins are read ------------------------------------------------------------------


def test_a_run_naming_only_built_in_rules_never_reads_the_plugins(never_read, broken_model, capsys, tmp_path):
    for args in (["model"], ["model", "--select", "ML1,defaults-channel", "--ignore", "ML2", "--format", "sarif"],
                 ["model", "--select", "ALL", "--format", "markdown", "--statistics"], ["rule", "ML103"],
                 ["rule", "defaults-channel"], ["model", "--select", "MLX1"]):
        assert main(args) in (0, 1, 2), args
    assert expand("ML10") == {f"ML10{digit}" for digit in range(1, 10)}
    assert "ML103" in RuleSelection().enabled_codes()
    assert ENTRIES_BY_CODE["ML103"].plugin is None


def test_a_suppression_comment_in_the_model_cannot_make_a_run_read_the_plugins(never_read, tmp_path, monkeypatch, capsys):
    """The comment is the model author's: it names a plugin code on a line with a built-in finding."""
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "model", model_files(conda__yaml=conda(*CLEAN_PIP, channels=("defaults",)).replace(
        "- defaults\n", "- defaults  # modellint: ignore[ACME001, missing-owner-tag, ML103]\n")))
    assert main(["model"]) == 0
    assert names("ACME", "ML103") is False


def test_a_start_without_plugins_imports_neither_the_loader_nor_importlib_metadata(broken_model, tmp_path):
    probe = ("import sys\nfrom modellint.cli import main\n"
             "codes = [main(['model', '--format', 'json', '--output-file', 'out.json']), main(['--version'])]\n"
             "print(repr([codes, sorted(sys.modules)]))\n")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                               env={**os.environ, "PYTHONPATH": str(REPO)}, check=True)
    codes, modules = ast.literal_eval(completed.stdout.splitlines()[-1])
    assert codes == [1, 0]
    assert [name for name in modules if name.startswith("importlib_metadata") or name == "modellint.rules._plugins"] == []


# --- selecting a plugin's rules ----------------------------------------------------------------


def test_a_plugin_rule_is_selected_by_prefix_code_or_name_never_by_all(acme):
    for selector in ("ACME", "acme", "ACME0", "ACME001", "missing-owner-tag", " Missing-Owner-Tag "):
        assert expand(selector) == {"ACME001"}, selector
    assert "ACME001" not in expand("ALL")
    assert "ACME001" not in RuleSelection().enabled_codes()
    for selector in ("AC", "ACME2", "ACMEX", "no-such-rule"):  # a prefix is all of the letters
        with pytest.raises(SelectorError, match="no installed plugin has a rule it names"):
            expand(selector)
    with pytest.raises(SelectorError, match=r"`ACME0011` \(expected a code such as ML103"):
        expand("ACME0011")


def test_the_selection_runs_a_plugin_rule_after_the_built_in_ones(acme):
    rules = RuleSelection(select=["ML103", "ACME"]).enabled_rules()
    assert rules == [rule_class("ML103"), OwnerTag]
    assert RuleSelection(select=["ML1"], extend_select=["acme"], ignore=["ACME001"]).enabled_codes() == expand("ML1")
    assert RuleSelection(select=["ACME"]).enabled_rules(standalone_files_only=True) == []  # model dirs only
    selection = RuleSelection(extend_select=["ACME"], per_path_ignores={"legacy/**": ["ACME"]})
    selection.validate()
    assert selection.ignored_for("legacy/model/MLmodel") == {"ACME001"}


def test_a_plugin_rule_has_an_entry_like_a_built_in_one(acme):
    entry = ENTRIES_BY_CODE["ACME001"]
    assert (entry.code, entry.name, entry.requires_mlmodel, entry.standalone_file, entry.training_project,
            entry.inline_suppression, entry.security_severity) == ("ACME001", "missing-owner-tag", True, False, False,
                                                                   True, None)
    assert entry.plugin.distribution == "acme-rules" and registry.ENTRIES_BY_NAME["missing-owner-tag"] is entry
    assert rule_class("ACME001") is OwnerTag
    assert registry.plugin_rules() == (OwnerTag,)


# --- the CLI with a plugin ---------------------------------------------------------------------


@pytest.fixture
def broken_model(tmp_path, monkeypatch) -> Path:
    """A model dir `model` (ML103, no owner) in the working directory."""
    monkeypatch.chdir(tmp_path)
    return write_files(tmp_path / "model", model_files(conda__yaml=conda(*CLEAN_PIP, channels=("defaults",))))


def test_rules_and_rule_show_a_plugin_rule(acme, capsys):
    assert main(["rules"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[-1] == ("ACME001     missing-owner-tag            warning  "
                          "Checks that MLmodel's `metadata` names an `owner`.")
    assert listed[0].startswith("ML001       mlmodel-unreadable")
    assert main(["rule", "acme001"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("# missing-owner-tag (ACME001)\n\nDefault severity: **warning**.")
    assert "## Why is this bad?\nNobody is paged" in page
    assert page.endswith("\nFrom the plugin acme-rules 1.0, entry point `ACME = acme_rules`.\n")
    assert main(["rule", "missing-owner-tag"]) == 0 and capsys.readouterr().out == page


@pytest.mark.parametrize("output_format", ["full", "concise", "json", "github", "sarif", "markdown"])
def test_every_format_reports_a_plugin_finding(acme, broken_model, capsys, output_format):
    assert main(["model", "--extend-select", "ACME", "--format", output_format]) == 1
    out = capsys.readouterr().out
    assert "ACME001" in out and "ML103" in out
    if output_format == "sarif":
        (run,) = json.loads(out)["runs"]
        descriptor = next(rule for rule in run["tool"]["driver"]["rules"] if rule["id"] == "ACME001")
        assert descriptor["name"] == "missing-owner-tag" and "helpUri" not in descriptor  # the plugin has no URL
        assert descriptor["help"]["markdown"].startswith("# missing-owner-tag (ACME001)")
        assert [result["ruleId"] for result in run["results"]] == ["ACME001", "ML103"]
    if output_format == "markdown":
        assert "| warning | ACME001 |" in out


def test_config_selects_and_ignores_a_plugin_rule(acme, broken_model, capsys, tmp_path):
    (tmp_path / "modellint.toml").write_text('extend-select = ["ACME"]\nignore = ["ML1"]\n')
    assert main(["model", "--format", "concise"]) == 1
    assert "ACME001" in capsys.readouterr().out
    (tmp_path / "modellint.toml").write_text('extend-select = ["ACME"]\nignore = ["ML1"]\n'
                                             '[per-path-ignores]\n"model/MLmodel" = ["missing-owner-tag"]\n')
    assert main(["model"]) == 0


def test_a_suppression_comment_silences_a_plugin_finding(acme, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    suppressed = MLMODEL.replace("flavors:\n", "flavors:  # modellint: ignore[ACME]\n", 1)
    write_files(tmp_path / "model", model_files(MLmodel=suppressed))
    assert main(["model", "--select", "ACME"]) == 0
    write_files(tmp_path / "unsuppressed", CLEAN)
    assert main(["unsuppressed", "--select", "ACME", "--format", "concise"]) == 1


def test_a_plugin_rule_that_crashes_is_reported_like_a_built_in_one(installed, tmp_path, monkeypatch, capsys):
    installed.append(EntryPoint("ACME", "acme_rules", [OwnerTag, Exploding]))
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "models" / "a", CLEAN)
    write_files(tmp_path / "models" / "b", CLEAN)
    code = main(["models", "--select", "ACME", "--format", "concise"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "models/a: internal error: RuntimeError: boom in the plugin (at test_plugins.py:" in err
    assert "models/b: internal error: RuntimeError: boom in the plugin" in err


def test_a_plugin_rule_reporting_another_code_is_an_internal_error_naming_it(installed, tmp_path, monkeypatch,
                                                                            capsys):
    """A finding is judged by its code's registry entry: one under a code the rule does not own
    would be suppressed, selected and shown as another rule's (or crash on an unknown code)."""
    installed.append(EntryPoint("ACME", "acme_rules", [OwnerTag, Impostor]))
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "model", CLEAN)
    assert main(["model", "--select", "ACME003", "--format", "concise"]) == 2
    out, err = capsys.readouterr()
    assert "not mine to report" not in out + err
    assert ("model: internal error: RuleContractError: rule ACME003 reported a finding under the code 'ML103', "
            "not its own") in err


def test_the_working_directory_cannot_add_a_plugin(tmp_path):
    """`python -c` / `python -m` put the working directory first on sys.path; a model dir
    modellint runs in must not be able to install a rule (and have its code imported) that way."""
    folder = tmp_path / "model"
    write_files(folder, {
        "evil-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
        "evil-1.0.dist-info/entry_points.txt": "[modellint.rules]\nEVIL = evil_rules\n",
        "evil_rules.py": "raise SystemExit('imported the model code')\n",
    })
    probe = "from modellint.rules._plugins import installed_entry_points\nprint([ep.name for ep in installed_entry_points()])\n"
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    from_cwd = subprocess.run([sys.executable, "-c", probe], cwd=folder, env=environment, capture_output=True, text=True)
    assert (from_cwd.returncode, from_cwd.stdout) == (0, "[]\n")
    # The same folder, put on the path by the user, is part of the environment.
    environment["PYTHONPATH"] += os.pathsep + str(folder)
    declared = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=environment, capture_output=True, text=True)
    assert declared.stdout == "['EVIL']\n"


def test_python_m_modellint_inside_a_hostile_model_dir_runs_none_of_its_code(tmp_path):
    """The model dir is the working directory: its `yaml.py` must not replace PyYAML, its
    `*.dist-info` must not add a rule, its `.pth` file is not processed (it is no site dir), and
    its own config cannot name the rule it ships."""
    marker = tmp_path / "ran"
    run_code = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    model = shutil.copytree(REPO / "corpus" / "models" / "ml103-conda-defaults", tmp_path / "model")
    write_files(model, {
        # What modellint imports before and after __main__ takes the working directory off sys.path.
        **{f"{module}.py": run_code for module in ("__future__", "typing", "pathlib", "enum", "yaml")},
        "evil_rules.py": run_code,
        "evil.pth": f"import os; {run_code}",
        "evil-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
        "evil-1.0.dist-info/entry_points.txt": "[modellint.rules]\nEVIL = evil_rules\n",
        "modellint.toml": 'extend-select = ["EVIL"]\nignore = ["ML"]\n',
    })

    def modellint(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "modellint", *args], cwd=model, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)})

    listed = modellint("rules")
    assert listed.returncode == 0 and "EVIL" not in listed.stdout, listed.stderr
    checked = modellint(".", "--format", "concise")
    assert (checked.returncode, checked.stdout.split(":")[:2]) == (1, ["conda.yaml", "2"]), checked.stderr
    assert "ML103" in checked.stdout
    named = modellint(".", "--extend-select", "EVIL")
    assert named.returncode == 2 and "unknown rule selector `EVIL`" in named.stderr
    assert not marker.exists(), marker.read_text()


def test_a_distribution_whose_entry_points_cannot_be_read_is_an_error(tmp_path):
    """It may be the plugin a run is configured with: reading on without it could pass a model that fails."""
    write_files(tmp_path / "site", {
        "bad-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: bad\nVersion: 1.0\n",
        "bad-1.0.dist-info/entry_points.txt": "[modellint.rules]\nnot an entry point\n",
    })
    completed = subprocess.run([sys.executable, "-m", "modellint", "rules"], cwd=tmp_path, capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(tmp_path / "site")])})
    assert completed.returncode == 2
    assert completed.stderr.startswith(f"modellint: error: distribution {tmp_path / 'site' / 'bad-1.0.dist-info'}: "
                                       "cannot read its entry points: ")
    assert completed.stderr.count("\n") == 1


# --- a real plugin distribution in a real venv ---------------------------------------------------


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory) -> Path:
    """A venv seeing this repository's modellint and its dependencies (through a .pth file), with
    the plugin under tests/data/plugins/acme-rules installed by pip, offline."""
    root = tmp_path_factory.mktemp("plugin-venv")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site_packages = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        capture_output=True, text=True, check=True).stdout.strip())
    ours = sysconfig.get_paths()["purelib"]  # pip, setuptools and modellint's dependencies
    (site_packages / "modellint-under-test.pth").write_text(f"{REPO}\nimport site; site.addsitedir({ours!r})\n")
    source = shutil.copytree(PLUGIN_SOURCE, root / "acme-rules")  # the build writes beside the sources
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-build-isolation", "--no-deps",
                    str(source)], check=True, env=_clean_environment(), capture_output=True)
    return python


def _clean_environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "PIP_"))}
    return {**environment, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def _modellint(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-m", "modellint", *args], capture_output=True, text=True, cwd=cwd,
                          env=_clean_environment())


def test_an_installed_plugin_distribution_adds_a_rule(plugin_venv, tmp_path):
    """About 2.5 s (the venv, pip building and installing the plugin, six runs): in the fast tier."""
    model = shutil.copytree(REPO / "corpus" / "models" / "ml103-conda-defaults", tmp_path / "model")

    listed = _modellint(plugin_venv, "rules", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "ACME001     missing-owner-tag" in listed.stdout

    page = _modellint(plugin_venv, "rule", "ACME001", cwd=tmp_path)
    assert page.returncode == 0 and page.stdout.startswith("# missing-owner-tag (ACME001)")
    assert "## Why is this bad?" in page.stdout
    assert "From the plugin acme-modellint-rules 1.0.0, entry point `ACME = acme_modellint_rules`." in page.stdout

    checked = _modellint(plugin_venv, "check", "model", "--extend-select", "ACME", "--format", "json", cwd=tmp_path)
    assert checked.returncode == 1, checked.stderr
    findings = json.loads(checked.stdout)["findings"]
    assert [(finding["code"], finding["path"]) for finding in findings] == [("ACME001", "model/MLmodel"),
                                                                            ("ML103", "model/conda.yaml")]

    sarif = _modellint(plugin_venv, "check", "model", "--select", "ACME", "--format", "sarif", cwd=tmp_path)
    (run,) = json.loads(sarif.stdout)["runs"]
    (descriptor,) = run["tool"]["driver"]["rules"]
    assert (descriptor["id"], descriptor["helpUri"]) == ("ACME001", "https://acme.example/modellint-rules")
    assert [result["ruleId"] for result in run["results"]] == ["ACME001"]

    silenced = _modellint(plugin_venv, "check", "model", "--extend-select", "ACME", "--ignore", "ACME",
                          "--format", "json", cwd=tmp_path)
    assert [finding["code"] for finding in json.loads(silenced.stdout)["findings"]] == ["ML103"]

    default = _modellint(plugin_venv, "check", str(model), "--format", "json", cwd=tmp_path)
    assert [finding["code"] for finding in json.loads(default.stdout)["findings"]] == ["ML103"]  # not unless named
