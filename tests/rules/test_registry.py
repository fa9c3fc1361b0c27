from __future__ import annotations

import importlib
import pkgutil
import re

import modellint.rules as rules_package
from modellint.findings import Severity
from modellint.rules import ALL_RULES, Rule, RuleEntry
from modellint.rules._base import ProjectInvalid, ProjectValid


def test_codes_and_names_are_unique():
    codes = [rule.code for rule in ALL_RULES]
    names = [rule.name for rule in ALL_RULES]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))


def test_every_rule_module_is_registered():
    registered = {rule.__module__ for rule in ALL_RULES}
    for module_info in pkgutil.iter_modules(rules_package.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"modellint.rules.{module_info.name}")
        assert module.__name__ in registered, f"{module.__name__} is not in ALL_RULES"
        defined = [value for value in vars(module).values()
                   if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and value.__module__ == module.__name__]
        assert len(defined) == 1, f"{module.__name__} must define exactly one rule"
        assert module_info.name.startswith(defined[0].code.lower() + "_")


def test_registry_is_in_code_order():
    assert [rule.code for rule in ALL_RULES] == sorted(rule.code for rule in ALL_RULES)


def test_every_rule_documents_and_tests_itself():
    for rule in ALL_RULES:
        assert re.fullmatch(r"ML\d{3}", rule.code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
        assert isinstance(rule.severity, Severity)
        doc = rule.documentation()
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
            assert section in doc, f"{rule.code} lacks {section}"
        assert rule.summary()
        assert rule.VALID and rule.INVALID, f"{rule.code} needs VALID and INVALID examples"


def test_the_table_matches_the_rule_modules():
    from modellint.rules import RULE_TABLE, rule_class

    for entry in RULE_TABLE:
        rule = rule_class(entry.code)
        assert (rule.code, rule.name, rule.__name__, rule.__module__) == (entry.code, entry.name, entry.class_name, entry.module)


# The facts a rule's RULE_TABLE entry declares: read by the engine, project mode, selection and the
# reporters from the entry alone, never from an attribute of the class or a test of the code.
_ENTRY_FACTS = tuple(field for field in RuleEntry._fields if field not in ("code", "name", "class_name"))


def test_every_fact_about_a_rule_has_one_home():
    """A class attribute of the same name would be a second answer nothing reads."""
    for rule in ALL_RULES:
        assert [fact for fact in _ENTRY_FACTS if hasattr(rule, fact)] == [], rule.code


def test_the_table_facts_agree_with_the_classes():
    from modellint.rules import RULE_TABLE, rule_class

    for entry in RULE_TABLE:
        rule = rule_class(entry.code)
        assert isinstance(entry.requires_mlmodel, bool) and isinstance(entry.standalone_file, bool), entry.code
        assert isinstance(entry.inline_suppression, bool), entry.code
        # The qualifiers of project mode only mean something for a rule that runs there.
        if entry.environment_free or entry.project_lines_only or entry.reports_unparseable_project_file:
            assert entry.training_project, entry.code
        # Examples that are training projects only show a rule that runs on them.
        if any(isinstance(case, (ProjectValid, ProjectInvalid)) for case in (*rule.VALID, *rule.INVALID)):
            assert entry.training_project, entry.code
        # A security rule's score: a CVSS number GitHub maps to a level; no reliability rule has one.
        if entry.security_severity is not None:
            assert re.fullmatch(r"\d{1,2}\.\d", entry.security_severity), entry.code
            assert 0.0 < float(entry.security_severity) <= 10.0, entry.code
            assert not entry.inline_suppression, f"{entry.code}: a model's author must not silence a security rule"
        # A lone serialized file has no MLmodel and no environment: what judges one is a security rule.
        if entry.standalone_file:
            assert entry.security_severity is not None, entry.code
    assert [entry.code for entry in RULE_TABLE if not entry.requires_mlmodel] == ["ML001"]  # it says why
    assert len([entry for entry in RULE_TABLE if entry.reports_unparseable_project_file]) == 1


def test_what_judges_a_lone_file_takes_what_a_lone_file_has():
    """A lone serialized file is no ModelDir: the rules run on one take the SerializedFacts it shares
    with a model dir (a SerializedFileRule's ``check``), and the type checker holds them to it."""
    from modellint.rules import RULE_TABLE, rule_class
    from modellint.rules._base import SerializedFileRule

    for entry in RULE_TABLE:
        assert entry.standalone_file == issubclass(rule_class(entry.code), SerializedFileRule), entry.code


def test_project_mode_runs_the_rules_the_table_declares(tmp_path):
    """Only rules declared ``training_project`` run on a would-be model; with requirement
    arguments that are not literal, only the ``environment_free`` ones."""
    from modellint.project_mode import lint_project
    from tests.conftest import write_files

    ran: list[str] = []

    def spy(rule):
        return type(rule.__name__, (rule,), {"check": lambda self, model: ran.append(rule.code) or iter(())})

    literal = "import mlflow\nmlflow.pyfunc.save_model('m', python_model=M(), pip_requirements=['numpy==1.26.4'])\n"
    computed = "import mlflow\nmlflow.pyfunc.save_model('m', python_model=M(), pip_requirements=REQS)\n"
    preamble = "import mlflow.pyfunc\nclass M(mlflow.pyfunc.PythonModel):\n    def predict(self, context, x):\n        return x\n"
    from modellint.rules import RULE_TABLE

    for source, wanted in ((literal, {entry.code for entry in RULE_TABLE if entry.training_project}),
                           (computed, {entry.code for entry in RULE_TABLE if entry.environment_free})):
        ran.clear()
        root = write_files(tmp_path / str(len(source)), {"train.py": preamble + source})
        lint_project(root, [spy(rule) for rule in ALL_RULES])
        assert set(ran) == wanted


def _behaviour_deciding_code_literals(path):
    """String constants that are a rule code or code prefix (`"ML201"`, `"ML2"`) in ``path``, left
    out docstrings: messages and comments name codes inside sentences, which never match."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [f"{path.name}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and re.fullmatch(r"\s*ML\d{0,3}\s*", node.value)]


def test_no_code_outside_the_registry_decides_by_a_rule_code():
    """What a rule is and where it runs is declared in modellint/rules (the class or its RULE_TABLE
    entry): a code or prefix compared, looked up or matched anywhere else is a second home a new rule
    silently misses (a rule added to ML1 that never ran in project mode). The equivalent of
    ``git grep -n '"ML[0-9]' modellint/ -- ':!modellint/rules/'`` without git."""
    from pathlib import Path

    package = Path(rules_package.__file__).parent.parent
    found = [hit for path in sorted(package.rglob("*.py")) if package / "rules" not in path.parents
             for hit in _behaviour_deciding_code_literals(path)]
    assert found == []


def test_the_code_literal_scan_sees_what_it_must(tmp_path):
    source = tmp_path / "module.py"
    source.write_text('"""About ML201."""\n'
                      'CODES = ("ML203", "ML2")\n'
                      'def f(finding):\n'
                      '    """ML1 rules."""\n'
                      '    if finding.code.startswith("ML1") or finding.code == f"ML{3}01":\n'
                      '        raise ValueError(f"unknown code {finding.code} (expected ML103)")\n', encoding="utf-8")
    assert _behaviour_deciding_code_literals(source) == [
        "module.py:2: 'ML203'", "module.py:2: 'ML2'", "module.py:5: 'ML1'", "module.py:5: 'ML'"]


def _check_in_fresh_interpreter(arguments: list[str], cwd) -> tuple[int, list[str]]:
    """``modellint`` run with ``arguments`` in a new interpreter in ``cwd``: its exit code and every
    module it had imported by the end."""
    import ast
    import subprocess
    import sys

    from tests.conftest import REPO

    probe = (
        "import sys\n"
        "from modellint.cli import main\n"
        f"code = main({arguments!r})\n"
        "print(repr([code, sorted(sys.modules)]))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd,
                               env={"PYTHONPATH": str(REPO)}, check=True)
    code, modules = ast.literal_eval(completed.stdout)
    return code, modules


def test_a_lone_serialized_file_imports_only_the_rules_that_judge_it(tmp_path):
    """`check model.pkl` must not pay for YAML, PEP 508, the other rules' analyzers, or anything
    else it does not use: start-up is most of the time a lone pickle takes."""
    pickle_file = tmp_path / "model.pkl"
    pickle_file.write_bytes(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01K\x02\x86\x94.")
    code, modules = _check_in_fresh_interpreter(
        ["check", str(pickle_file), "--format", "concise", "--output-file", str(tmp_path / "out.txt")], tmp_path)
    assert code == 0
    rule_modules = {name for name in modules if name.startswith("modellint.rules.ml")}
    assert rule_modules == {"modellint.rules.ml302_unsafe_pickle", "modellint.rules.ml303_unscannable_model_file",
                            "modellint.rules.ml304_embedded_code", "modellint.rules.ml310_custom_op_library"}
    unused = ("yaml", "packaging", "modellint.analyzer.model_dir", "modellint.analyzer.knowledge.distributions", "libcst", "rich",
              "tomllib", "shutil", "bz2", "lzma", "zipfile", "json", "ast", "inspect", "dataclasses")
    assert [name for name in unused if name in modules] == []


def test_a_model_dir_without_code_imports_no_yaml_toml_or_source_parser(tmp_path):
    """`check model/` on what MLflow writes (a project that depends on modellint above it) must not pay
    for PyYAML (the block reader reads MLflow's YAML), the TOML parser, ast/tokenize (no code to scan)
    or OpenSSL's hashlib: together they were a third of the run's instructions."""
    import shutil

    from tests.conftest import REPO

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "serving"\ndependencies = ["modellint"]\n')
    shutil.copytree(REPO / "corpus" / "models" / "logged-sklearn-3x", tmp_path / "model")  # as MLflow wrote it
    code, modules = _check_in_fresh_interpreter(
        ["check", "model", "--no-cache", "--output-file", str(tmp_path / "out.txt")], tmp_path)
    assert code == 0, (tmp_path / "out.txt").read_text()
    assert "error" not in (tmp_path / "out.txt").read_text()
    unused = ("yaml", "tomllib", "ast", "tokenize", "hashlib", "base64", "modellint.analyzer.code.source_imports",
              "modellint.analyzer.code.scans", "modellint.fixes.project_edits", "libcst", "inspect", "dataclasses")
    assert [name for name in unused if name in modules] == []


def test_a_training_project_imports_no_pickle_reader_tempfile_or_packaging_requirements(tmp_path):
    """A project's run (train.py shipping a code dir, MLflow's own `name==version` pins) must not pay
    for what it never uses: the pickle readers (the would-be python_model.pkl is built, not read),
    tempfile (shutil, bz2, lzma, random), packaging.requirements (markers, tags, logging, subprocess,
    inspect, dataclasses) or threading. Together they were 3 MB of a vendored project's peak memory."""
    import shutil

    from tests.conftest import REPO

    shutil.copytree(REPO / "corpus" / "projects" / "pyfunc-codepaths-dir", tmp_path / "project")
    code, modules = _check_in_fresh_interpreter(
        ["check", "project", "--no-cache", "--output-file", str(tmp_path / "out.txt")], tmp_path)
    assert code == 0, (tmp_path / "out.txt").read_text()
    assert "modellint.analyzer.project.would_be_model" in modules  # the run did check the project
    unused = ("modellint.analyzer.serialized.pickles.machine", "modellint.analyzer.serialized.pickles.containers",
              "tempfile", "shutil", "bz2", "lzma", "random", "packaging.requirements", "packaging.markers",
              "logging", "subprocess", "inspect", "dataclasses", "threading")
    assert [name for name in unused if name in modules] == []
