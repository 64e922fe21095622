"""Identifiers as written: doi-malformed, doi-missing, and what a shortDOI stands for."""

from __future__ import annotations

from collections.abc import Iterable

from audit.identifiers import normalize_pmid
from audit.model import Finding, Severity, Work, shown
from audit.works import DOI_EXPECTED_TYPES


def _short_doi_finding(work: Work) -> Finding:
    raw = work.raw_doi
    said = work.short
    if said is not None and said.status == "ok":
        # a citation key may well be a shortDOI (Manubot's @doi:10/abcd); a DOI field should not
        severity = Severity.INFO if work.origin == "citekey" else Severity.WARNING
        return work.finding("doi-short", severity,
                            f"{shown(raw)} is a shortDOI for {work.doi} (doi.org), checked as "
                            "that DOI" + ("" if work.origin == "citekey" else
                                          ": write the full DOI, which readers and the JATS need"),
                            field="DOI", found=raw, expected=work.doi)
    if said is not None and said.status == "not-found":
        return work.finding("doi-not-found", Severity.ERROR,
                            f"{shown(raw)} is not a shortDOI that doi.org knows ({said.reason})",
                            field="DOI", found=raw)
    why = (f"doi.org did not answer usably ({said.reason})" if said is not None
           else "the audit expands it only online: run with --refresh")
    return work.finding("unverified", Severity.UNVERIFIED,
                        f"{shown(raw)} is a shortDOI, not checked: {why}", field="DOI", found=raw)


def check_identifiers(works: Iterable[Work]) -> list[Finding]:
    """doi-malformed (error, or info when only normalised) and doi-missing."""
    findings: list[Finding] = []
    for work in works:
        raw = work.raw_doi
        if work.short_doi:
            findings.append(_short_doi_finding(work))
        elif raw and work.doi is None:
            findings.append(work.finding("doi-malformed", Severity.ERROR,
                                         f"{shown(raw)} is not a DOI: {work.doi_problem}",
                                         field="DOI", found=str(raw)))
        elif raw and work.doi_changed:
            findings.append(work.finding("doi-malformed", Severity.INFO,
                                         f"DOI written as {shown(raw)}, read as '{work.doi}'",
                                         field="DOI", found=str(raw), expected=work.doi))
        elif not raw and work.origin == "bibliography" and work.item.get("type") in DOI_EXPECTED_TYPES:
            findings.append(work.finding("doi-missing", Severity.WARNING,
                                         "journal article without a DOI: it cannot be checked "
                                         "against the registrar"))
        pmid = work.item.get("PMID")
        if pmid and normalize_pmid(str(pmid)) is None:
            findings.append(work.finding("doi-malformed", Severity.ERROR,
                                         f"PMID {shown(pmid)} is not a PubMed identifier",
                                         field="PMID", found=str(pmid)))
    return findings
