"""What to say when a module is missing because the pinned release of the distribution that
provides its package does not install it (ML201 for code, ML301 for pickles): adding the
distribution again would change nothing, so the message names the releases that have it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modellint.analyzer.environment.requirements import normalize_name

if TYPE_CHECKING:
    from modellint.analyzer.environment.declared import DeclaredEnvironment


def pinned_release_lacks(environment: DeclaredEnvironment, distribution: str | None, module: str) -> str | None:
    """"the declared `name==version` does not install it (...)", or None when ``distribution`` is not
    pinned to a release known to lack ``module``."""
    if not distribution:
        return None
    pinned = environment.pinned_releases.get(normalize_name(distribution))
    if pinned is None or not environment.release_lacks(distribution, module):
        return None
    having = environment.releases_installing(distribution, module)
    if not having:
        where = "it is not among that release's files"
    elif len(having) == 1:
        where = f"of the releases read, only {distribution} {having[0]} has `{module}`"
    else:
        where = f"of the releases read, {distribution} {having[0]} to {having[-1]} have `{module}`"
    return f"the declared `{distribution}=={pinned.version}` does not install it ({where})"
