"""Works against PMC's record for their PMCID: pmcid-not-found, unverified, pmcid-mismatch
(the PMCID names another article than the entry's PMID or DOI), and metadata-mismatch where
neither the DOI nor the PMID already establishes the work."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from audit import works as works_
from audit.checks.pubmed import _described
from audit.checks.registrar import compare
from audit.identifiers import normalize_doi
from audit.model import Finding, Outcome, Severity, Work


def established(work: Work, dois: Mapping[str, Outcome], pmids: Mapping[str, Outcome]) -> bool:
    """The work's DOI or PMID has a record (the registrar's, PubMed's): it was compared with
    the entry already."""
    for said in (dois.get(work.doi) if work.doi else None, pmids.get(work.pmid) if work.pmid else None):
        if said is not None and said.status == "ok":
            return True
    return False


def check_pmc(works: Iterable[Work], resolutions: Mapping[str, Outcome], dois: Mapping[str, Outcome],
              pmids: Mapping[str, Outcome], earlier: Iterable[Finding] = ()) -> list[Finding]:
    """The works' PMCIDs against PMC's records (``resolutions``, by PMCID).

    pmcid-not-found, unverified, pmcid-mismatch (PMC gives the PMCID another PMID or DOI
    than the entry's: an error, and nothing more is compared); where neither the DOI nor
    the PMID established the work, metadata-mismatch against PMC's record and
    doi-suggested. A finding of a code, key and field already among ``earlier`` is not
    made twice.
    """
    # PubMed's "cannot be confirmed" warning is PMC's to settle (see settled_by_pmc)
    said = {(f.code, f.key, f.field) for f in earlier
            if not (f.code == "pmcid-mismatch" and f.severity == Severity.WARNING)}
    findings: list[Finding] = []
    for work in works:
        pmcid = works_.pmcid(work)
        res = resolutions.get(pmcid) if pmcid else None
        if pmcid and res is not None:
            findings += [f for f in _against_pmc(work, pmcid, res, dois, pmids)
                         if (f.code, f.key, f.field) not in said]
    return findings


def _against_pmc(work: Work, pmcid: str, res: Outcome, dois: Mapping[str, Outcome],
                 pmids: Mapping[str, Outcome]) -> list[Finding]:
    if res.status == "not-found":
        return [work.finding("pmcid-not-found", Severity.ERROR,
                             f"{pmcid} is not in PubMed Central ({res.reason})", field="PMCID",
                             found=pmcid)]
    if res.status != "ok" or res.record is None:
        return [work.finding("unverified", Severity.UNVERIFIED,
                             f"{pmcid} could not be checked against PMC: {res.reason}",
                             field="PMCID", found=pmcid)]
    if work.origin == "citekey":
        return []  # the key's own metadata is PMC's
    record = res.record
    listed_doi = normalize_doi(str(record.get("DOI") or "")).doi if record.get("DOI") else None
    listed_pmid = str(record.get("PMID") or "") or None
    for kind, ours, theirs in (("PMID", work.pmid, listed_pmid), ("DOI", work.doi, listed_doi)):
        if ours and theirs and ours != theirs:
            return [work.finding("pmcid-mismatch", Severity.ERROR,
                                 f"{pmcid} is {_described(record)} in PMC, which gives it {kind} "
                                 f"{theirs}, not {ours}: the PMCID and the {kind} name different "
                                 "articles", field="PMCID", expected=None, found=pmcid)]
    if established(work, dois, pmids):
        return []  # one work: its DOI's (or PMID's) record was compared with the entry
    findings = []
    if listed_doi and not work.raw_doi and work.origin == "bibliography":
        findings.append(work.finding("doi-suggested", Severity.INFO,
                                     f"PMC lists DOI {listed_doi} for {pmcid}: add the DOI",
                                     field="DOI", expected=listed_doi))
    return findings + compare(work, record, source=f"PMC ({pmcid})")


def confirmed_pmcids(works: Iterable[Work], pmc: Mapping[str, Outcome]) -> dict[str, str]:
    """``{key: PMCID}`` of the works whose PMCID PMC knows (its record in hand)."""
    out = {}
    for work in works:
        pmcid = works_.pmcid(work)
        res = pmc.get(pmcid) if pmcid else None
        if pmcid and res is not None and res.status == "ok":
            out[work.key] = pmcid
    return out


def settled_by_pmc(findings: list[Finding], works: Iterable[Work], pmc: Mapping[str, Outcome]
                   ) -> list[Finding]:
    """PubMed's warning that a PMCID "cannot be confirmed" (PubMed links the PMID to no PMC
    article) is dropped where PMC's record for the PMCID answered the question: it agreed
    with the entry, or PMC's pmcid-mismatch error says it did not."""
    settled = confirmed_pmcids(works, pmc)
    return [f for f in findings
            if not (f.code == "pmcid-mismatch" and f.severity == Severity.WARNING
                    and f.key in settled and "PubMed" in f.message)]
