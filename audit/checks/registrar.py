"""Works against their DOI's registered record: doi-not-found, unverified,
metadata-mismatch (one per field that differs), and the notices a record carries
(retracted, expression-of-concern, corrected)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from audit.compare import FIELDS, compare_works
from audit.model import Finding, Outcome, Severity, Work

UPDATE_CODES = {
    "retraction": ("retracted", Severity.ERROR, "has been RETRACTED"),
    "removal": ("retracted", Severity.ERROR, "has been removed (withdrawn)"),
    "withdrawal": ("retracted", Severity.ERROR, "has been withdrawn"),
    "expression_of_concern": ("expression-of-concern", Severity.WARNING,
                              "carries an expression of concern"),
    "expression-of-concern": ("expression-of-concern", Severity.WARNING,
                              "carries an expression of concern"),
    "correction": ("corrected", Severity.INFO, "has a published correction"),
    "erratum": ("corrected", Severity.INFO, "has a published erratum"),
    "corrigendum": ("corrected", Severity.INFO, "has a published corrigendum"),
}


NOTICE_CODES = frozenset(code for code, _, _ in UPDATE_CODES.values())


def check_updates(work: Work, record: dict[str, Any], pmid: bool = False) -> list[Finding]:
    """retracted, expression-of-concern, corrected, from the record's update relations
    (``pmid``: the record is PubMed's, for the work's PMID)."""
    field, found = ("PMID", work.pmid) if pmid else ("DOI", work.doi)
    named = f"PMID {work.pmid}" if pmid else work.doi
    findings = []
    for update in record.get("updates") or []:
        kind = str(update.get("type", "")).lower().replace(" ", "_")
        if kind not in UPDATE_CODES:
            continue
        code, severity, text = UPDATE_CODES[kind]
        notice = update.get("DOI") or (f"PMID {update['PMID']}" if update.get("PMID") else None)
        source = update.get("source")
        said = [*([f"notice {notice}"] if notice else []), *([f"source: {source}"] if source else [])]
        detail = f" ({', '.join(said)})" if said else ""
        findings.append(work.finding(code, severity, f"{named} {text}{detail}",
                                     field=field, found=found, expected=notice))
    return findings


def check_registrar(works: Iterable[Work], resolutions: Mapping[str, Outcome]) -> list[Finding]:
    """doi-not-found, unverified, metadata-mismatch and the update notices."""
    findings: list[Finding] = []
    for work in works:
        if not work.doi:
            continue
        res = resolutions.get(work.doi)
        if res is None:
            continue
        if res.status == "not-found":
            findings.append(work.finding("doi-not-found", Severity.ERROR,
                                         f"{work.doi} is not registered (the registrar answered 404)",
                                         field="DOI", found=work.doi))
            continue
        if res.status != "ok" or res.record is None:
            findings.append(work.finding("unverified", Severity.UNVERIFIED,
                                         f"{work.doi} could not be checked: {res.reason}",
                                         field="DOI", found=work.doi))
            continue
        findings += check_updates(work, res.record)
        if work.origin == "citekey":
            continue  # the key's own metadata is the registrar's
        findings += compare(work, res.record)
    return findings


def compare(work: Work, record: dict[str, Any], source: str | None = None,
            fields: Iterable[str] = FIELDS) -> list[Finding]:
    """metadata-mismatch, one per field that differs (of ``fields``); ``source`` names a
    record that is not the DOI registrar's (in the message)."""
    findings = []
    said = f"{source}: " if source else ""
    for diff in compare_works(work.item, record, fields=fields):
        severity = Severity.ERROR if diff.grade == "error" else Severity.WARNING
        findings.append(work.finding(
            "metadata-mismatch", severity,
            f"{said}{diff.field}: {diff.detail}", field=diff.field,
            expected=diff.expected, found=diff.found))
    return findings
