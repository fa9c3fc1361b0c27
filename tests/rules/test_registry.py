from __future__ import annotations

import importlib
import pkgutil
import re

import modellint.rules as rules_package
from modellint.findings import Severity
from modellint.rules import ALL_RULES, Rule


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


def test_a_lone_serialized_file_imports_only_the_rules_that_judge_it(tmp_path):
    """`check model.pkl` must not pay for YAML, PEP 508, the other rules' analyzers, or anything
    else it does not use: start-up is most of the time a lone pickle takes."""
    import ast
    import subprocess
    import sys

    from tests.conftest import REPO

    pickle_file = tmp_path / "model.pkl"
    pickle_file.write_bytes(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01K\x02\x86\x94.")
    probe = (
        "import sys\n"
        "from modellint.cli import main\n"
        f"code = main(['check', {str(pickle_file)!r}, '--format', 'concise', '--output-file', {str(tmp_path / 'out.txt')!r}])\n"
        "print(repr([code, sorted(sys.modules)]))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                               env={"PYTHONPATH": str(REPO)}, check=True)
    code, modules = ast.literal_eval(completed.stdout)
    assert code == 0
    rule_modules = {name for name in modules if name.startswith("modellint.rules.ml")}
    assert rule_modules == {"modellint.rules.ml302_unsafe_pickle", "modellint.rules.ml303_unscannable_model_file",
                            "modellint.rules.ml304_embedded_code"}
    unused = ("yaml", "packaging", "modellint.analyzer.model_dir", "modellint.analyzer.knowledge", "libcst", "rich",
              "tomllib", "shutil", "bz2", "lzma", "zipfile", "json", "ast", "inspect", "dataclasses")
    assert [name for name in unused if name in modules] == []
