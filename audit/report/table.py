"""The terminal table (the default report), ending with the summary line."""

from __future__ import annotations

import io

from audit.model import Finding, Severity
from audit.report.common import ReportContext, severity_of, sort_findings, summary_line, where
from audit.report.references import side_by_side

_SEVERITY_STYLE = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.UNVERIFIED: "magenta",
    Severity.INFO: "cyan",
}


def render(findings: list[Finding], context: ReportContext, *,
                  console_width: int | None, color: bool) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=console_width or 120,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )
    ordered = sort_findings(findings)
    if ordered:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
        table.add_column("Severity", no_wrap=True)
        table.add_column("Code", no_wrap=True)
        table.add_column("Key", overflow="fold")
        table.add_column("Where", overflow="fold")
        table.add_column("Message", ratio=1, overflow="fold")
        for finding in ordered:
            severity = severity_of(finding)
            table.add_row(
                Text(severity.value, style=_SEVERITY_STYLE[severity]),
                Text(finding.code),
                Text(finding.key or ""),
                Text(where(finding)),
                Text(finding.message),
            )
        console.print(table)
    else:
        console.print(Text("No findings.", style="green"))

    for key, pair in side_by_side(findings, context).items():
        console.print()
        pair_table = Table(title=Text(f"{key}: as written vs as registered", style="bold"),
                           box=box.SIMPLE_HEAD, show_edge=False, expand=True)
        pair_table.add_column("As written", ratio=1, overflow="fold")
        pair_table.add_column("As registered", ratio=1, overflow="fold")
        pair_table.add_row(Text(pair["written"]), Text(pair["registered"]))
        console.print(pair_table)

    if context.suppressed:
        console.print()
        sup = Table(title=Text("Suppressed", style="dim"), box=box.SIMPLE_HEAD,
                    show_edge=False)
        sup.add_column("Code", no_wrap=True)
        sup.add_column("Key", overflow="fold")
        sup.add_column("Reason", ratio=1, overflow="fold")
        for finding, reason in context.suppressed:
            sup.add_row(Text(finding.code), Text(finding.key or ""), Text(reason))
        console.print(sup)

    console.print()
    worst = max((severity_of(f).rank for f in findings), default=-1)
    style = "bold red" if worst >= Severity.ERROR.rank else (
        "yellow" if worst >= Severity.UNVERIFIED.rank else "green")
    console.print(Text(summary_line(findings, context), style=style))
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


