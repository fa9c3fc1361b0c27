"""Regenerate docs/rules.md and the README's rule table from the rules' docstrings.

    python scripts/generate_docs.py          # write both
    python scripts/generate_docs.py --check  # exit 1 when either is out of date

tests/test_docs.py runs the check, so a rule change without regenerated docs fails the tests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modellint.rules._catalogue import replace_readme_table, rules_markdown

REPO = Path(__file__).resolve().parent.parent
OUTPUTS = {
    REPO / "docs" / "rules.md": lambda current: rules_markdown(),
    REPO / "README.md": replace_readme_table,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    check = parser.parse_args().check
    stale = []
    for path, render in OUTPUTS.items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        wanted = render(current)
        if wanted == current:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted, encoding="utf-8")
    for path in stale:
        print(f"{'out of date' if check else 'wrote'}: {path.relative_to(REPO)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
