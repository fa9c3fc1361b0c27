"""A report in the format asked for: each format is a module of this package, imported when asked."""

from __future__ import annotations

from importlib import import_module

from modellint.findings import Finding
from modellint.reports import FORMATS, ReportContext


def render(output_format: str, findings: list[Finding], context: ReportContext) -> str:
    """The report in one of :data:`FORMATS` (or ``statistics``, which --statistics picks)."""
    if output_format not in (*FORMATS, "statistics"):
        raise ValueError(f"unknown output format `{output_format}` (expected one of {', '.join(FORMATS)})")
    return import_module(f"modellint.reports.{output_format}").render(findings, context)
