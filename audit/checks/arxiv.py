"""Works against arXiv's record for their arXiv identifier: arxiv-not-found, unverified,
preprint-published (arXiv gives the DOI of the published version), and metadata-mismatch
where neither the DOI nor the PMID already establishes the work."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from audit import works as works_
from audit.checks.pmc import established
from audit.checks.registrar import compare
from audit.model import Finding, Outcome, Severity, Work


def check_arxiv(works: Iterable[Work], resolutions: Mapping[str, Outcome], dois: Mapping[str, Outcome],
                pmids: Mapping[str, Outcome], earlier: Iterable[Finding] = ()) -> list[Finding]:
    """The works' arXiv identifiers against arXiv's records (``resolutions``, by identifier).

    arxiv-not-found, unverified, preprint-published (info: arXiv lists the DOI of the
    published version, and the work is not cited by that DOI); where neither the DOI nor
    the PMID established the work, metadata-mismatch against arXiv's record (title,
    authors, and the year unless the entry describes the published version). A finding of a
    code, key and field already among ``earlier`` is not made twice.
    """
    said = {(f.code, f.key, f.field) for f in earlier}
    findings: list[Finding] = []
    for work in works:
        arxiv_id = works_.arxiv_id(work)
        res = resolutions.get(arxiv_id) if arxiv_id else None
        if arxiv_id and res is not None:
            findings += [f for f in _against_arxiv(work, arxiv_id, res, dois, pmids)
                         if (f.code, f.key, f.field) not in said]
    return findings


def _against_arxiv(work: Work, arxiv_id: str, res: Outcome, dois: Mapping[str, Outcome],
                   pmids: Mapping[str, Outcome]) -> list[Finding]:
    if res.status == "not-found":
        return [work.finding("arxiv-not-found", Severity.ERROR,
                             f"arXiv:{arxiv_id} is not an arXiv article ({res.reason})",
                             field="arXiv", found=arxiv_id)]
    if res.status != "ok" or res.record is None:
        return [work.finding("unverified", Severity.UNVERIFIED,
                             f"arXiv:{arxiv_id} could not be checked against arXiv: {res.reason}",
                             field="arXiv", found=arxiv_id)]
    record = res.record
    findings = []
    published = str(record.get("published-doi") or "")
    if published and work.doi != published.lower():
        where = f" ({record['journal-ref']})" if record.get("journal-ref") else ""
        findings.append(work.finding("preprint-published", Severity.INFO,
                                     f"arXiv:{arxiv_id} was published as {published}{where}: "
                                     "cite the published version", field="arXiv",
                                     expected=published, found=arxiv_id))
    if work.origin == "citekey" or established(work, dois, pmids):
        return findings  # the key's own metadata is arXiv's; or the DOI's record was compared
    fields: tuple[str, ...] = ("title", "author", "year")
    container = str(work.item.get("container-title") or "")
    if (published or record.get("journal-ref")) and container and "arxiv" not in container.lower():
        fields = ("title", "author")  # the entry describes the published version: its year may differ
    return findings + compare(work, record, source=f"arXiv ({arxiv_id})", fields=fields)


def confirmed_arxiv(works: Iterable[Work], arxiv: Mapping[str, Outcome]) -> dict[str, str]:
    """``{key: arXiv identifier}`` of the works whose identifier arXiv knows."""
    out = {}
    for work in works:
        arxiv_id = works_.arxiv_id(work)
        res = arxiv.get(arxiv_id) if arxiv_id else None
        if arxiv_id and res is not None and res.status == "ok":
            out[work.key] = arxiv_id
    return out
