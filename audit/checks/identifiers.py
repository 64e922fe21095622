"""Identifiers as written: doi-malformed (DOIs, PMIDs, ISBNs, and the arXiv, PMCID and
ISBN keys), doi-missing, and what a shortDOI stands for."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

from audit.identifiers import normalize_isbn, normalize_pmid, parse_citekey
from audit.model import Finding, Inputs, Severity, Work, shown
from audit.works import DOI_EXPECTED_TYPES, dealiased

# the identifier keys checked for their form here, and the field a finding names
KEY_FIELDS = {"isbn": "ISBN", "arxiv": "arXiv", "pmcid": "PMCID"}


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
        isbn = work.item.get("ISBN")
        if isbn and work.origin != "citekey" and (bad := invalid_isbn(isbn)) is not None:
            findings.append(work.finding("doi-malformed", Severity.ERROR,
                                         f"ISBN {shown(bad)} is not an ISBN (its check digit, or "
                                         "its length, is wrong)", field="ISBN", found=str(bad)))
    return findings


def invalid_isbn(value: object) -> str | None:
    """The ISBN written in a CSL ``ISBN`` field that is not one (wrong check digit or
    length), else None. A field may hold several (``9780262517638 0262517639``, a list) and
    qualifiers (``(pbk.)``)."""
    for text in value if isinstance(value, list) else [value]:
        text = str(text).strip()
        if not text or normalize_isbn(text):
            continue
        tokens = [t for t in re.split(r"[\s,;]+", re.sub(r"\([^)]*\)", " ", text))
                  if any(c.isdigit() for c in t)]
        bad = [t for t in tokens if not normalize_isbn(t)]
        if bad or not tokens:
            return bad[0] if bad else text
    return None


def check_identifier_keys(inputs: Inputs) -> list[Finding]:
    """doi-malformed for a cited ``@isbn:``, ``@arxiv:`` or ``@pmcid:`` key that is not such an
    identifier (an ISBN's check digit, an arXiv identifier's or a PMCID's form), once per key,
    at its first citation."""
    if inputs.manuscript is None:
        return []
    findings = []
    seen: set[str] = set()
    for cit in inputs.manuscript.citations:
        key = dealiased(cit.key, inputs.aliases)
        parsed = parse_citekey(key)
        if parsed.scheme not in KEY_FIELDS or parsed.problem is None or key in seen:
            continue
        seen.add(key)
        findings.append(Finding("doi-malformed", Severity.ERROR,
                                f"citation key {shown(cit.key)}: {parsed.problem}", key=cit.key,
                                file=cit.file, line=cit.line, excerpt=cit.excerpt,
                                field=KEY_FIELDS[parsed.scheme], found=parsed.identifier))
    return findings


def checked_instead(findings: list[Finding], confirmed: Mapping[str, str]) -> list[Finding]:
    """A work without a DOI that was checked after all, against another record
    (``confirmed``: ``{key: whose record}``, e.g. "arXiv's record for 2101.01234"): its
    doi-missing warning ("cannot be checked") becomes info."""
    return [dataclasses.replace(f, severity=Severity.INFO,
                                message=f"{f.message.split(':')[0]}: checked against "
                                        f"{confirmed[f.key]} instead")
            if f.code == "doi-missing" and f.severity == Severity.WARNING and f.key is not None
            and f.key in confirmed else f for f in findings]
