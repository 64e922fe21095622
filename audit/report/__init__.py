"""Stage 5, reports: the audit's findings as a terminal table, JSON, JUnit XML, SARIF,
Markdown or an HTML page, one module per format.

:func:`render` is the single entry point::

    render(findings, "json", context=ReportContext(tool_version="0.1.0"))

Every format lists the findings in the same order (file, line, code, key). For each
``metadata-mismatch`` whose key has both a written and a registered record, the reports
show the reference as written beside the reference as registered, both formatted by
citeproc-py in the manuscript's CSL style (:func:`format_reference`).
"""

from __future__ import annotations

from collections.abc import Callable

from audit.model import CODES, Finding
from audit.report import html_report, json_report, junit, markdown, sarif, table
from audit.report.common import ReportContext, sort_findings, summary_line
from audit.report.references import format_reference, plain_reference, side_by_side

__all__ = [
    "CODES",
    "FORMATS",
    "ReportContext",
    "format_reference",
    "plain_reference",
    "render",
    "side_by_side",
    "sort_findings",
    "summary_line",
]

FORMATS: tuple[str, ...] = ("table", "json", "junit", "sarif", "markdown", "html")

_RENDERERS: dict[str, Callable[[list[Finding], ReportContext], str]] = {
    "json": json_report.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
    "html": html_report.render,
}


def render(findings: list[Finding], fmt: str, *, context: ReportContext | None = None,
           console_width: int | None = None, color: bool = False) -> str:
    """The report of ``findings`` in ``fmt`` (one of :data:`FORMATS`) as a string.

    ``findings`` are the kept findings (after suppressions); the suppressed
    ones travel in ``context.suppressed``. ``console_width`` and ``color``
    only affect ``table`` (colour escapes only when ``color`` is true, which
    the CLI sets when stdout is a terminal).
    """
    context = context or ReportContext()
    if fmt == "table":
        return table.render(findings, context, console_width=console_width, color=color)
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    return renderer(findings, context)
