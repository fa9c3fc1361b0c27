"""docs/rules.md and the README's rule table are generated from the rules and must be current."""

from __future__ import annotations

import re
import subprocess
import sys

from modellint.reports import HELP_URI
from modellint.rules import ALL_RULES
from modellint.rules._catalogue import replace_readme_table, rules_markdown
from tests.conftest import REPO


def test_docs_rules_md_is_up_to_date():
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(), "run `python scripts/generate_docs.py`"


def test_readme_rule_table_is_up_to_date():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert replace_readme_table(readme) == readme, "run `python scripts/generate_docs.py`"


def test_every_rule_has_the_anchor_sarif_help_links_to():
    anchors = set(re.findall(r'<a id="([a-z0-9]+)"></a>', rules_markdown()))
    for rule in ALL_RULES:
        fragment = HELP_URI.format(code=rule.code.lower()).rsplit("#", 1)[1]
        assert fragment in anchors, rule.code
        assert HELP_URI.format(code=rule.code.lower()).split("#")[0].endswith("docs/rules.md")


def test_generator_check_mode_agrees():
    result = subprocess.run([sys.executable, "scripts/generate_docs.py", "--check"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
