"""Markdown, for a pull-request comment."""

from __future__ import annotations

from typing import Any

from audit.model import Finding
from audit.report.common import (
    TOOL_NAME,
    ReportContext,
    severity_of,
    sort_findings,
    sort_pairs,
    summary_line,
    where,
)
from audit.report.references import side_by_side


def _md_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(line.strip() for line in text.splitlines()) or " "


def render(findings: list[Finding], context: ReportContext) -> str:
    lines = ["## Citation audit", ""]
    if context.inputs:
        lines += ["Audited: " + ", ".join(f"`{p}`" for p in context.inputs), ""]
    lines += [f"**{summary_line(findings, context)}**", ""]
    ordered = sort_findings(findings)
    if ordered:
        lines += ["| Severity | Code | Key | Where | Message |",
                  "| --- | --- | --- | --- | --- |"]
        for f in ordered:
            lines.append("| " + " | ".join(_md_cell(v) for v in (
                severity_of(f).value, f.code, f.key, where(f), f.message)) + " |")
        lines.append("")
    else:
        lines += ["No findings.", ""]
    pairs = side_by_side(findings, context)
    if pairs:
        lines += ["<details>",
                  f"<summary>References as written and as registered ({len(pairs)})</summary>",
                  "", "| As written | As registered |", "| --- | --- |"]
        for key, pair in pairs.items():
            lines.append(f"| **{_md_cell(key)}**<br>{_md_cell(pair['written'])} "
                         f"| {_md_cell(pair['registered'])} |")
        lines += ["", "</details>", ""]
    if context.suppressed:
        lines += ["<details>", f"<summary>Suppressed findings ({len(context.suppressed)})"
                  "</summary>", "", "| Code | Key | Reason |", "| --- | --- | --- |"]
        for f, reason in sort_pairs(context.suppressed):
            lines.append(f"| {_md_cell(f.code)} | {_md_cell(f.key)} | {_md_cell(reason)} |")
        lines += ["", "</details>", ""]
    if context.tool_version:
        lines += [f"<sub>{TOOL_NAME} {_md_cell(context.tool_version)}</sub>", ""]
    return "\n".join(lines)


