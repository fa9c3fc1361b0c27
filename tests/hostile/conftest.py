"""The hostile suite's tiers: every hostile case has its first variant in the fast tier
(``pytest -m "not slow"``) and all its variants in the full run.

Each case runs the real CLI in a subprocess (a quarter of a second each), and the parametrized
matrices (every escape in every format, every budget in every file) are several hundred of them:
one variant per case keeps the fast tier under a minute while still running every kind of attack.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    seen: set[tuple[str, str]] = set()
    for item in items:
        if "tests/hostile/" not in item.nodeid.replace("\\", "/") or not hasattr(item, "callspec"):
            continue
        case = (str(item.path), item.originalname)
        if case in seen:
            item.add_marker(pytest.mark.slow)
        seen.add(case)
