"""The compiled standard-library table is what scripts/build_stdlib.py makes of stdlib-list."""

from __future__ import annotations

import sys

from modellint.analyzer.knowledge.stdlib import stdlib_modules
from modellint.analyzer.knowledge.stdlib_data import MINORS
from tests.conftest import REPO, load_script


def test_the_table_matches_the_installed_stdlib_list() -> None:
    built = load_script("build_stdlib").top_level_names()
    shared = built.keys() & set(MINORS)
    assert {8, 9, 10, 11, 12} <= shared
    assert {minor: stdlib_modules((3, minor)) for minor in shared} == {minor: built[minor] for minor in shared}


def test_the_table_is_rendered_as_the_script_renders_it() -> None:
    names = {minor: stdlib_modules((3, minor)) for minor in MINORS}
    rendered = load_script("build_stdlib").render(names).split("\n", 4)[4]  # past the line naming the stdlib-list release
    assert (REPO / "modellint" / "analyzer" / "knowledge" / "stdlib_data.py").read_text().split("\n", 4)[4] == rendered


def test_linting_does_not_import_stdlib_list(tmp_path) -> None:
    import subprocess

    model = REPO / "corpus" / "models" / "ml103-conda-defaults"
    probe = ("import sys; from modellint.cli import main\n"
             "try:\n    main([sys.argv[1], '--exit-zero'])\nexcept SystemExit:\n    pass\n"
             "print('stdlib_list' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe, str(model)], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"
