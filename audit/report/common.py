"""What every report format shares: the context, the order of findings, the summary line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.model import CODES, Finding, Severity, summarize

#: Where each code is documented (the project's README has one row per code).
README_SECTION = "README.md, section 'Finding codes'"
TOOL_NAME = "manuscript-audit"
UNKNOWN_CODE = "Finding code not described in the registry."
_FINDING_FIELDS = ("code", "severity", "key", "field", "expected", "found", "file", "line",
                   "excerpt", "message")
WORD_SUFFIXES = (".docx",)  # files whose "line" is a paragraph


@dataclass
class ReportContext:
    """What a report needs beyond the findings.

    ``references`` maps a key to the CSL item as written in the bibliography,
    ``registered`` a key to the registrar's CSL record; both feed the
    side-by-side view of ``metadata-mismatch`` findings, formatted in the CSL
    style at ``style_path``. ``suppressed`` holds findings accepted by the
    suppressions file, each with its reason. Findings at or above ``fail_on``
    are failures (JUnit).
    """

    tool_version: str = ""
    inputs: list[str] = field(default_factory=list)
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)
    references: dict[str, dict[str, Any]] = field(default_factory=dict)
    registered: dict[str, dict[str, Any]] = field(default_factory=dict)
    style_path: Path | None = None
    fail_on: Severity = Severity.ERROR
    n_references: int | None = None
    n_citations: int | None = None


def severity_of(finding: Finding) -> Severity:
    return Severity(finding.severity)


def _order(f: Finding) -> tuple[str, int, str, str, str]:
    return (f.file or "", f.line or 0, f.code, f.key or "", f.field or "")


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order: by file, line, code, key (missing values first)."""
    return sorted(findings, key=_order)


def sort_pairs(pairs: Iterable[tuple[Finding, str]]) -> list[tuple[Finding, str]]:
    """Suppressed (finding, reason) pairs in report order."""
    return sorted(pairs, key=lambda pair: _order(pair[0]))


def where(finding: Finding) -> str:
    """``file:line``; in a Word file, ``file, paragraph N: "quote"``."""
    if not finding.file:
        return f"line {finding.line}" if finding.line else ""
    if finding.file.lower().endswith(WORD_SUFFIXES):
        place = f"{finding.file}, paragraph {finding.line}" if finding.line else finding.file
        return f"{place}: \"{finding.excerpt}\"" if finding.excerpt else place
    return f"{finding.file}:{finding.line}" if finding.line else finding.file


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(findings: list[Finding], context: ReportContext) -> str:
    """The one-line summary, e.g.
    ``41 references, 120 citations: 0 errors, 3 warnings, 0 unverified, 2 info (1 suppressed)``.
    """
    counts = summarize(findings)["by_severity"]
    parts = [
        _plural(counts.get("error", 0), "error"),
        _plural(counts.get("warning", 0), "warning"),
        f"{counts.get('unverified', 0)} unverified",
        f"{counts.get('info', 0)} info",
    ]
    text = ", ".join(parts)
    scope = []
    if context.n_references is not None:
        scope.append(_plural(context.n_references, "reference"))
    if context.n_citations is not None:
        scope.append(_plural(context.n_citations, "citation"))
    if scope:
        text = f"{', '.join(scope)}: {text}"
    if context.suppressed:
        text += f" ({len(context.suppressed)} suppressed)"
    return text


def finding_json(finding: Finding) -> dict[str, Any]:
    data = {name: getattr(finding, name) for name in _FINDING_FIELDS}
    data["severity"] = severity_of(finding).value
    return data


def sorted_dict(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: sorted_dict(value[k]) for k in sorted(value)}
    return value




def details(finding: Finding) -> str:
    """Everything a finding says, one ``label: value`` per line."""
    lines = [
        f"severity: {severity_of(finding).value}",
        f"code: {finding.code} ({CODES.get(finding.code, UNKNOWN_CODE)})",
    ]
    for label, value in (("key", finding.key), ("where", where(finding)),
                         ("field", finding.field), ("expected", finding.expected),
                         ("found", finding.found)):
        if value:
            lines.append(f"{label}: {value}")
    lines.append(f"message: {finding.message}")
    return "\n".join(lines)
