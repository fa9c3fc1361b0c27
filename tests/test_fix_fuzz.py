"""Fuzzing the requirement and conda editors: random but valid files, every fix applied once.

After any fix the file still parses, keeps its newline style, and every line the fix did not
target is byte-identical (up to the final-newline handling of an appended or removed last line).
"""

from __future__ import annotations

import random

import pytest
import yaml

from modellint import lint
from modellint.analyzer.environment.requirements import parse_requirements_text
from modellint.fix_runner import apply_fixes
from modellint.rules._examples import MLMODEL, PYTHON_ENV
from tests.conftest import write_files

FIXABLE = ["ML103", "ML104", "ML105", "ML107"]
NAMES = ["numpy", "pandas", "scikit-learn", "requests", "PyYAML", "skops", "scipy", "cloudpickle"]
EXTRAS = ["", "", "[socks]", "[excel,performance]"]
SPECS = ["==1.2.3", ">=2,<3", "~=1.4", "==2.0.0rc1", ""]
MARKERS = ["", "", '; python_version >= "3.9"', "; sys_platform == 'linux'"]
COMMENTS = ["", "", "  # pinned", "\t# tab then comment", "    #"]
YAML_COMMENTS = ["", "", "  # pinned", " # one space", "    #"]  # PyYAML rejects a tab there
CHANNELS = ["conda-forge", "defaults", "anaconda", "nodefaults", "https://repo.anaconda.com/pkgs/main"]


def _requirement(rng: random.Random) -> str:
    return f"{rng.choice(NAMES)}{rng.choice(EXTRAS)}{rng.choice(SPECS)}{rng.choice(MARKERS)}"


def _case(seed: int) -> tuple[str, str]:
    rng = random.Random(seed)
    newline = rng.choice(["\n", "\r\n"])
    seen, body = set(), []
    for _ in range(rng.randint(1, 6)):
        requirement = _requirement(rng)
        name = requirement.split("[")[0].split("=")[0].split(">")[0].split("~")[0].split(";")[0]
        if name in seen:
            continue
        seen.add(name)
        body.append(requirement)
    targets = rng.sample(["mlflow", "mlflow==3.17.2", "sklearn", "dup"], k=rng.randint(1, 3))
    if "mlflow" not in targets and "mlflow==3.17.2" not in targets:
        targets.append("mlflow==3.17.2")
    if "mlflow" in targets and "mlflow==3.17.2" in targets:
        targets.remove("mlflow==3.17.2")
    for target in targets:
        if target == "dup" and body:
            body.append(body[0])
        elif target != "dup":
            body.insert(rng.randrange(len(body) + 1), target)
    lines = []
    for requirement in body:
        if rng.random() < 0.2:
            lines.append("# a comment line")
        if rng.random() < 0.1:
            lines.append("")
        lines.append(requirement + rng.choice(COMMENTS))
    requirements_txt = newline.join(lines) + (newline if rng.random() < 0.5 else "")
    channels = rng.sample(CHANNELS, k=rng.randint(1, 3))
    quote = rng.choice(["", "'", '"'])
    conda_lines = ["name: mlflow-env", "channels:"] + [f"- {channel}{rng.choice(YAML_COMMENTS)}" for channel in channels]
    conda_lines += ["dependencies:", "- python=3.11.7", "- pip<=23.2.1", "- pip:"]
    for requirement in body:
        text = requirement.replace("'", "''") if quote == "'" else requirement.replace('"', '\\"') if quote == '"' else requirement
        conda_lines.append(f"  - {quote}{text}{quote}{rng.choice(YAML_COMMENTS)}")
    return requirements_txt, newline.join(conda_lines) + newline


def _is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    position = 0
    for needle in needles:
        while position < len(haystack) and haystack[position] != needle:
            position += 1
        if position == len(haystack):
            return False
        position += 1
    return True


@pytest.mark.parametrize("seed", range(200))
def test_fixes_keep_every_untargeted_line(seed, tmp_path):
    requirements_txt, conda_yaml = _case(seed)
    model = write_files(tmp_path / "model", {
        "MLmodel": MLMODEL, "python_env.yaml": PYTHON_ENV, "model.skops": b"PK\x05\x06" + b"\x00" * 18,
        "requirements.txt": requirements_txt, "conda.yaml": conda_yaml,
    })
    before = {name: (model / name).read_bytes().decode() for name in ("requirements.txt", "conda.yaml")}
    findings = [f for f in lint(model, select=FIXABLE).findings if f.fix is not None]
    targeted: dict[str, set[int]] = {}
    for finding in findings:
        targeted.setdefault(finding.path.name, set()).add(finding.span.line)
    apply_fixes(findings, unsafe=True)
    for name, old in before.items():
        new = (model / name).read_bytes().decode()
        newline = "\r\n" if "\r\n" in old else "\n"
        assert all(line.endswith(newline) for line in new.splitlines(keepends=True)[:-1]), "newline style changed"
        # Split on the newline itself: "A\nB" minus its last line is "A\n", i.e. ["A", ""].
        kept = [line for number, line in enumerate(old.split(newline), 1) if number not in targeted.get(name, set())]
        if kept and kept[-1] == "" and not new.endswith(newline):
            kept.pop()  # the final newline went with a removed last line
        assert _is_subsequence(kept, new.split(newline)), name
        if name == "requirements.txt":
            assert all(line.kind != "invalid" for line in parse_requirements_text(new, model / name).lines)
        else:
            document = yaml.safe_load(new)
            pip = next(item["pip"] for item in document["dependencies"] if isinstance(item, dict))
            assert all(isinstance(item, str) for item in pip)
    # One pass may leave work for the next (a duplicate of a line that was itself fixed); a few
    # passes must converge to no fixable finding of these rules.
    for _ in range(4):
        remaining = [f for f in lint(model, select=FIXABLE).findings if f.fix is not None]
        if not apply_fixes(remaining, unsafe=True).applied:
            break
    assert not [f for f in lint(model, select=FIXABLE).findings if f.fix is not None]


def _dependency_case(seed: int) -> tuple[str, str, bool]:
    """requirements.txt and conda.yaml listing the same requirements, MLflow's way (mlflow
    first, the rest sorted) or in any order, with comments, blank lines, CRLF, quoted YAML
    items and either final-newline shape; and whether the list after mlflow is sorted."""
    rng = random.Random(seed)
    newline = rng.choice(["\n", "\r\n"])
    names = rng.sample(NAMES, k=rng.randint(1, 5))
    keep_sorted = rng.random() < 0.5
    names = sorted(names, key=str.lower) if keep_sorted else names
    body = ["mlflow==3.17.2", *(f"{name}{rng.choice(SPECS)}{rng.choice(MARKERS)}" for name in names)]
    lines = []
    for requirement in body:
        if rng.random() < 0.2:
            lines.append("# a comment line")
        lines.append(requirement + rng.choice(COMMENTS))
    if rng.random() < 0.3:
        lines.append("# trailing note")
    requirements_txt = newline.join(lines) + (newline if rng.random() < 0.5 else "")
    indent, quote = rng.choice(["  ", "    "]), rng.choice(["", "'", '"'])
    conda_lines = ["channels:", "- conda-forge", "dependencies:", "- python=3.11.7", "- pip:"]
    for requirement in body:
        text = requirement.replace("'", "''") if quote == "'" else requirement.replace('"', '\\"') if quote == '"' else requirement
        conda_lines.append(f"{indent}- {quote}{text}{quote}{rng.choice(YAML_COMMENTS)}")
    conda_lines.append("name: mlflow-env")
    return requirements_txt, newline.join(conda_lines) + newline, keep_sorted and len(names) >= 2


@pytest.mark.parametrize("seed", range(100))
def test_added_dependencies_keep_every_line_and_the_order(seed, tmp_path):
    """ML201 adds opencv-python and tabulate in one pass: every old line stays, in order, both
    lists get the same two lines, a sorted list stays sorted, and the finding is gone."""
    from modellint.rules._code_examples import MLMODEL_WITH_CODE

    requirements_txt, conda_yaml, was_sorted = _dependency_case(seed)
    model = write_files(tmp_path / "model", {
        "MLmodel": MLMODEL_WITH_CODE, "python_env.yaml": PYTHON_ENV, "model.skops": b"PK\x05\x06" + b"\x00" * 18,
        "requirements.txt": requirements_txt, "conda.yaml": conda_yaml,
        "code/vision.py": "import cv2\n\n\ndef table(rows):\n    import tabulate\n\n    return tabulate.tabulate(rows)\n",
    })
    findings = lint(model, select=["ML201"]).findings
    assert len(findings) == 2 and all(f.fix is not None for f in findings)
    assert apply_fixes(findings, unsafe=True).applied == 2
    added = {}
    for name, old in (("requirements.txt", requirements_txt), ("conda.yaml", conda_yaml)):
        new = (model / name).read_bytes().decode()
        newline = "\r\n" if "\r\n" in old else "\n"
        assert all(line.endswith(newline) for line in new.splitlines(keepends=True)[:-1]), "newline style changed"
        assert new.endswith(newline) == old.endswith(newline)
        assert _is_subsequence(old.split(newline), new.split(newline)), name
        assert len(new.split(newline)) == len(old.split(newline)) + 2
        if name == "requirements.txt":
            parsed = parse_requirements_text(new, model / name).requirements
        else:
            document = yaml.safe_load(new)
            pip = next(item["pip"] for item in document["dependencies"] if isinstance(item, dict))
            parsed = parse_requirements_text("\n".join(pip), model / name).requirements
        names = [line.name for line in parsed]
        added[name] = {"opencv-python", "tabulate"} & set(names)
        if was_sorted:
            assert names[1:] == sorted(names[1:]), name
    assert added == {"requirements.txt": {"opencv-python", "tabulate"}, "conda.yaml": {"opencv-python", "tabulate"}}
    assert lint(model, select=["ML201"]).findings == []
