"""Works against PubMed's record for their PMID: pmid-not-found, unverified,
pmid-doi-mismatch, pmcid-mismatch, PubMed's notices, and metadata-mismatch where the DOI
does not already establish the work."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from audit.checks.registrar import NOTICE_CODES, check_updates, compare
from audit.compare import year_of
from audit.identifiers import normalize_doi, normalize_pmcid
from audit.model import Finding, Outcome, Severity, Work, shown


def check_pubmed(works: Iterable[Work], resolutions: Mapping[str, Outcome],
                 dois: Mapping[str, Outcome], earlier: Iterable[Finding] = ()) -> list[Finding]:
    """The works' PMIDs against PubMed's records (``resolutions``, by PMID).

    pmid-not-found, unverified, pmid-doi-mismatch, pmcid-mismatch and the notices PubMed links
    (retracted, expression-of-concern, corrected); and where the entry's
    DOI does not already establish the work (no DOI, PubMed lists none, or the DOI has no
    registrar record in ``dois``), metadata-mismatch against PubMed's record and
    doi-suggested. A finding of a code, key and field already among ``earlier`` (a field
    that differs from the DOI's record too) is not made twice.
    """
    said = {(f.code, f.key, f.field) for f in earlier}
    notices = {(f.code, f.key) for f in earlier if f.code in NOTICE_CODES}  # the DOI's record's
    findings: list[Finding] = []
    for work in works:
        res = resolutions.get(work.pmid) if work.pmid else None
        if res is not None:
            findings += [f for f in _against_pubmed(work, res, dois)
                         if (f.code, f.key, f.field) not in said and (f.code, f.key) not in notices]
    return findings


def _against_pubmed(work: Work, res: Outcome, dois: Mapping[str, Outcome]) -> list[Finding]:
    pmid = work.pmid
    if res.status == "not-found":
        return [work.finding("pmid-not-found", Severity.ERROR,
                             f"PMID {pmid} is not in PubMed ({res.reason})", field="PMID", found=pmid)]
    if res.status != "ok" or res.record is None:
        return [work.finding("unverified", Severity.UNVERIFIED,
                             f"PMID {pmid} could not be checked against PubMed: {res.reason}",
                             field="PMID", found=pmid)]
    if work.origin == "citekey":
        return []  # the key's own metadata is PubMed's
    record = res.record
    written = str(record.get("DOI") or "")
    # PubMed's DOI is usually the entry's as it stands (normalised, lower case): no parse then
    listed = work.doi if written.lower() == work.doi else normalize_doi(written).doi
    if work.doi and listed and work.doi != listed:
        return [_pmid_doi_mismatch(work, record, listed)]
    findings = _pmcid_mismatch(work, record) + check_updates(work, record, pmid=True)
    doi_res = dois.get(work.doi) if work.doi else None
    if listed and doi_res is not None and doi_res.status == "ok":
        return findings  # one work: its DOI's record was compared with the entry
    if listed and not work.raw_doi and work.origin == "bibliography":
        findings.append(work.finding("doi-suggested", Severity.INFO,
                                     f"PubMed lists DOI {listed} for PMID {pmid}: add the DOI",
                                     field="DOI", expected=listed))
    return findings + compare(work, record, source=f"PubMed (PMID {pmid})")


def _described(record: dict[str, Any]) -> str:
    """A record in a few words: 'title' (journal, year)."""
    where = ", ".join(str(v) for v in (record.get("container-title-short")
                                       or record.get("container-title"), year_of(record)) if v)
    return shown(record.get("title") or "an untitled record") + (f" ({where})" if where else "")


def _pmid_doi_mismatch(work: Work, record: dict[str, Any], listed: str) -> Finding:
    return work.finding("pmid-doi-mismatch", Severity.ERROR,
                        f"PMID {work.pmid} is {_described(record)} in PubMed, which gives it DOI "
                        f"{listed}, not {work.doi}: the PMID and the DOI name different articles",
                        field="DOI", expected=listed, found=work.doi)


def _pmcid_mismatch(work: Work, record: dict[str, Any]) -> list[Finding]:
    """A PMCID names one article: another one for the PMID is an error; none is a warning
    (PubMed may not link the PMC copy yet, or the PMCID names another article)."""
    written = work.item.get("PMCID")
    pmcid = normalize_pmcid(str(written)) if written else None
    listed = record.get("PMCID")
    if pmcid is None or pmcid == listed:
        return []
    if listed:
        return [work.finding("pmcid-mismatch", Severity.ERROR,
                             f"PubMed links PMID {work.pmid} to {listed}, not {pmcid}: the PMCID "
                             "names another article", field="PMCID", expected=str(listed),
                             found=str(written))]
    return [work.finding("pmcid-mismatch", Severity.WARNING,
                         f"PubMed links PMID {work.pmid} to no PMC article, so {pmcid} cannot be "
                         "confirmed (not linked yet, or another article's PMCID)",
                         field="PMCID", found=str(written))]


def checked_through_pmid(findings: list[Finding], works: Iterable[Work],
                         pubmed: Mapping[str, Outcome]) -> list[Finding]:
    """A work without a DOI whose PMID PubMed knows was checked after all, against
    PubMed's record: its doi-missing warning ("cannot be checked") becomes info."""
    confirmed = {w.key: w.pmid for w in works
                 if w.pmid and (r := pubmed.get(w.pmid)) is not None and r.status == "ok"}
    return [dataclasses.replace(f, severity=Severity.INFO,
                                message=f"{f.message.split(':')[0]}: checked against PubMed's record "
                                        f"for PMID {confirmed[f.key]} instead")
            if f.code == "doi-missing" and f.severity == Severity.WARNING and f.key in confirmed
            else f for f in findings]
