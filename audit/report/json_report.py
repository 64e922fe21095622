"""The JSON report: one stable schema, ``{"summary", "findings", "suppressed"}``."""

from __future__ import annotations

import json

from audit.model import Finding, summarize
from audit.report.common import ReportContext, finding_json, sort_findings, sort_pairs, sorted_dict
from audit.report.references import side_by_side


def render(findings: list[Finding], context: ReportContext) -> str:
    pairs = side_by_side(findings, context)
    items = []
    for finding in sort_findings(findings):
        data = finding_json(finding)
        if finding.code == "metadata-mismatch" and finding.key in pairs:
            data["side_by_side"] = pairs[finding.key]
        items.append(data)
    suppressed = [
        {**finding_json(finding), "reason": reason}
        for finding, reason in sort_pairs(context.suppressed)
    ]
    document = {
        "summary": sorted_dict(summarize(findings)),
        "findings": items,
        "suppressed": suppressed,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


