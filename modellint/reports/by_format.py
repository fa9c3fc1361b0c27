"""A report in the format asked for: each format is a module of this package, imported when asked."""

from __future__ import annotations

from importlib import import_module

from modellint.findings import Finding
from modellint.reports import FORMATS, ReportContext, Writer

# Formats written as they are made (:class:`~modellint.reports.Writer`): all but the SBOM, which
# describes the one model it was asked for and reads it whole.
STREAMED = ("full", "concise", "json", "github", "sarif", "markdown", "statistics")


def render(output_format: str, findings: list[Finding], context: ReportContext) -> str:
    """The report in one of :data:`FORMATS` (or ``statistics``, which --statistics picks)."""
    _known(output_format)
    return import_module(f"modellint.reports.{output_format}").render(findings, context)


def writer(output_format: str, context: ReportContext) -> Writer:
    """The :class:`~modellint.reports.Writer` of a format of :data:`STREAMED`."""
    _known(output_format)
    if output_format not in STREAMED:
        raise ValueError(f"the {output_format} format is not written as it is made")
    made: Writer = import_module(f"modellint.reports.{output_format}").Writer(context)
    return made


def _known(output_format: str) -> None:
    if output_format not in (*FORMATS, "statistics"):
        raise ValueError(f"unknown output format `{output_format}` (expected one of {', '.join(FORMATS)})")
