"""SARIF 2.1.0, for code-scanning annotations: one rule per finding code."""

from __future__ import annotations

import json
from typing import Any

from audit.model import CODES, Finding, Severity
from audit.report.common import (
    README_SECTION,
    TOOL_NAME,
    UNKNOWN_CODE,
    ReportContext,
    severity_of,
    sort_findings,
    sort_pairs,
)

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.UNVERIFIED: "warning",
    Severity.INFO: "note",
}


def render(findings: list[Finding], context: ReportContext) -> str:
    codes = list(CODES)
    seen = {f.code for f in findings} | {f.code for f, _ in context.suppressed}
    codes += sorted(seen - set(CODES))
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODES.get(code, UNKNOWN_CODE)},
            "help": {"text": f"{CODES.get(code, UNKNOWN_CODE)} See {README_SECTION}."},
        }
        for code in codes
    ]

    def result(finding: Finding, reason: str | None = None) -> dict[str, Any]:
        severity = severity_of(finding)
        item: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": _SARIF_LEVEL[severity],
            "message": {"text": finding.message},
        }
        if finding.file:
            physical: dict[str, Any] = {"artifactLocation": {"uri": finding.file}}
            if finding.line and finding.line >= 1:
                physical["region"] = {"startLine": finding.line}  # a Word file's: its paragraph
            if finding.excerpt:
                physical.setdefault("region", {})["snippet"] = {"text": finding.excerpt}
            item["locations"] = [{"physicalLocation": physical}]
        item["partialFingerprints"] = {
            "citationAudit/v1": ":".join((finding.code, finding.key or "", finding.field or "",
                                          finding.file or "")),
        }
        properties: dict[str, Any] = {"severity": severity.value}
        for name in ("key", "field", "expected", "found"):
            value = getattr(finding, name)
            if value is not None:
                properties[name] = value
        if severity is Severity.UNVERIFIED:
            properties["unverified"] = True
        item["properties"] = properties
        if reason is not None:
            item["suppressions"] = [{"kind": "external", "justification": reason}]
        return item

    results = [result(f) for f in sort_findings(findings)]
    results += [result(f, reason) for f, reason in sort_pairs(context.suppressed)]
    driver: dict[str, Any] = {"name": TOOL_NAME, "rules": rules}
    if context.tool_version:
        driver["version"] = context.tool_version
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


