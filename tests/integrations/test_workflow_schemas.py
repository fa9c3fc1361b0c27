"""`action.yml`, the README's example workflows and the pre-commit files are what GitHub and
pre-commit accept: SchemaStore's schemas (tests/data/schemas/) and pre-commit's own loaders.
actionlint would also check expressions; it cannot be installed offline here."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.conftest import REPO

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test extra")


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1, where `on:` (every workflow's trigger key) is the boolean True;
    GitHub reads `on`, `yes`, `off` as strings, and only `true`/`false` as booleans."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), [_first])


def load_yaml(text: str):
    return yaml.load(text, Loader=Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


SCHEMAS = REPO / "tests" / "data" / "schemas"
README = (REPO / "README.md").read_text(encoding="utf-8")
ACTION = load_yaml((REPO / "action.yml").read_text(encoding="utf-8"))


def errors(document, schema_name: str) -> list[str]:
    schema = json.loads((SCHEMAS / schema_name).read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def readme_section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no `## {title}` section"
    return match.group(1)


def yaml_blocks(text: str) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```", text, re.M | re.S)


def test_action_metadata_validates():
    assert errors(ACTION, "github-action.json") == []


def test_action_never_splices_an_expression_into_a_script():
    """Inputs reach scripts through `env:` only (GitHub's script-injection advice)."""
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]
    used = {name for step in ACTION["runs"]["steps"] for value in step.get("env", {}).values()
            for name in re.findall(r"inputs\.([\w-]+)", value)}
    assert used == set(ACTION["inputs"])


def test_action_uploads_sarif_with_the_modellint_category():
    upload = next(step for step in ACTION["runs"]["steps"] if step.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["uses"] == "github/codeql-action/upload-sarif@v4"
    assert upload["with"]["category"] == "modellint"
    assert ACTION["runs"]["steps"][-1]["run"].startswith("exit ")  # the failure comes after the upload


def test_readme_workflows_validate():
    workflows = [load_yaml(block) for block in yaml_blocks(readme_section("GitHub Action"))]
    assert len(workflows) == 2
    for workflow in workflows:
        assert errors(workflow, "github-workflows.json") == []
        steps = [step.get("uses", "") for job in workflow["jobs"].values() for step in job["steps"]]
        assert any(uses.startswith("modellint/modellint@") for uses in steps)
    sarif_job = next(iter(workflows[1]["jobs"].values()))
    assert sarif_job["permissions"]["security-events"] == "write"
    assert next(step for step in sarif_job["steps"] if "with" in step)["with"]["sarif"] is True


def test_readme_workflow_inputs_exist_in_the_action():
    for block in yaml_blocks(readme_section("GitHub Action")):
        for job in load_yaml(block)["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("modellint/modellint@"):
                    assert set(step.get("with", {})) <= set(ACTION["inputs"])


def test_hook_manifest_and_readme_config_load_in_pre_commit(tmp_path):
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pre-commit is a test extra")
    hooks = {hook["id"]: hook for hook in clientlib.load_manifest(str(REPO / ".pre-commit-hooks.yaml"))}
    assert hooks["modellint"]["require_serial"] and hooks["modellint"]["language"] == "python"
    assert hooks["modellint"]["entry"] == "modellint hook"
    assert not hooks["modellint-all"]["pass_filenames"] and hooks["modellint-all"]["always_run"]
    (config_block,) = yaml_blocks(readme_section("pre-commit"))
    config_file = tmp_path / ".pre-commit-config.yaml"
    config_file.write_text(config_block)
    (repo,) = clientlib.load_config(str(config_file))["repos"]  # pre-commit's own validation
    assert repo["repo"] == "https://github.com/modellint/modellint" and repo["rev"] == "v0.1.0"
    assert {hook["id"] for hook in repo["hooks"]} <= set(hooks)
