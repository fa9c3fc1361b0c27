"""When each piece of shipped knowledge was taken, and how old it is: what ``modellint --version``
says, so a user can tell a stale install (advisories published since are unknown to it)."""

from __future__ import annotations

import datetime


def snapshot_dates() -> tuple[tuple[str, str], ...]:
    """(what, date) for each data file: ISO dates, or a month for the PyPI project list."""
    from modellint.analyzer.knowledge.advisories import advisory_data
    from modellint.analyzer.knowledge.conda_forge import names_snapshot, python_snapshot
    from modellint.analyzer.knowledge.distributions import build_date
    from modellint.analyzer.knowledge.pypi_names import snapshot
    from modellint.analyzer.knowledge.releases import release_data

    return (("knowledge base", build_date()), ("releases", release_data().snapshot_date),
            ("PyPI project list", snapshot()), ("advisories", advisory_data().snapshot_date),
            ("conda-forge python builds", python_snapshot()), ("conda-forge packages", names_snapshot()))


def described(today: datetime.date) -> str:
    """``knowledge base 2026-12-01 (6 days old), ..., advisories 2024-10-10 (788 days old)``."""
    return ", ".join(f"{what} {when}{_age(when, today)}" for what, when in snapshot_dates())


def _age(when: str, today: datetime.date) -> str:
    try:
        days = (today - datetime.date.fromisoformat(when)).days
    except ValueError:
        return ""  # a month: no day to count from
    return f" ({days} day{'' if days == 1 else 's'} old)"
