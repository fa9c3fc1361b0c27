"""ACME's modellint rules: each is a class, and RULES lists them for the entry point."""

from __future__ import annotations

from collections.abc import Iterator

from modellint.findings import Finding, Severity
from modellint.rules import Rule


class MissingOwnerTag(Rule):
    """## What it does
    Checks that MLmodel's `metadata` names the team that owns the model (`owner`).

    ## Why is this bad?
    ACME's on-call rota pages the owner of a model that misbehaves in production; a model
    without one is paged to nobody.

    ## Example
    ```yaml
    flavors:
      python_function: ...
    ```

    ## Fix
    Log the model with `metadata={"owner": "team-name"}`.
    """

    code = "ACME001"
    name = "missing-owner-tag"
    severity = Severity.WARNING
    fix_title = "Log the model with `metadata={\"owner\": ...}`"

    def check(self, model) -> Iterator[Finding]:
        owner = model.mlmodel.get("metadata", "owner")
        if not isinstance(owner, str) or not owner.strip():
            yield self.finding(model.mlmodel_path, "MLmodel's `metadata` has no `owner`: nobody is paged when it fails",
                               model.mlmodel.key_span("metadata"))


RULES = (MissingOwnerTag,)
