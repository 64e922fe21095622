"""References without identifiers, against the registrars' searches (Crossref's bibliographic
search, then PubMed's): found (doi-suggested; a printed one's doi-missing as a note), not
found (reference-not-found), or not judged for want of an answer (unverified).

A reference is *not found* only when every search was answered and no candidate agrees with
it (:func:`audit.compare.agreement`: title, first author, year, journal). How sure that is
depends on the kind of work: Crossref and PubMed hold nearly every journal article, but not
many conference proceedings (NeurIPS's, ICML's…) or arXiv preprints, nor a work of this year
yet (registration and indexing lag): for those, not finding it is a note (info).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from audit.compare import Agreement, agreement, normalize_text, year_of
from audit.compare.text import as_text
from audit.model import Finding, Outcome, Searched, Severity, Work, shown

# how a finding names each source's search
_SEARCHES = {"crossref": "Crossref's bibliographic search", "pubmed": "PubMed"}
_FIELDS = {"title": "title", "author": "first author", "year": "year", "container": "journal"}
# kinds of work the registrars hold only in part: not finding one is a note (not "proceedings":
# journals are named so, as PNAS is)
_PARTLY_HELD_TYPES = frozenset({"paper-conference", "article"})
_PARTLY_HELD = re.compile(r"\b(conference|symposium|workshop|congress|meeting|arxiv)\b")
CLOSEST = 2  # candidates named in a reference-not-found message


def check_existence(works: Iterable[Work], strict: bool = False) -> list[Finding]:
    """doi-suggested (or a printed reference's doi-missing, info) for a reference found,
    reference-not-found for one not found (a warning; an error when ``strict``; a note for a
    kind the registrars hold only in part), unverified for one some search could not answer."""
    findings: list[Finding] = []
    for work in works:
        said = work.searched
        if said is None:
            continue
        if said.found is not None:
            findings.append(_found(work, said, said.found))
        elif not said.complete:
            findings.append(_unverified(work, said))
        else:
            findings.append(_not_found(work, said, strict))
    return findings


def _named(source: str | None, record: dict[str, Any]) -> tuple[str, str, str]:
    """(the field, the identifier, how it is written) of a search's candidate."""
    if source == "pubmed":
        return "PMID", str(record["PMID"]), f"PMID {record['PMID']}"
    return "DOI", str(record["DOI"]).lower(), str(record["DOI"]).lower()


def _agreeing(graded: Agreement) -> str:
    """'title, first author and year agree' (and what differs, to be reported field by field)."""
    same = [_FIELDS[f] for f in graded.compared if f not in graded.differing]
    text = _listed(same) + (" agree" if len(same) > 1 else " agrees")
    if graded.differing:
        wrong = [_FIELDS[f] for f in graded.differing]
        text += f"; {_listed(wrong)} {'differ' if len(wrong) > 1 else 'differs'}"
    return text


def _found(work: Work, said: Searched, record: dict[str, Any]) -> Finding:
    field, identifier, written = _named(said.source, record)
    by = _SEARCHES.get(str(said.source), str(said.source))
    why = _agreeing(agreement(work.item, record))
    if work.origin == "printed":
        return work.finding("doi-missing", Severity.INFO,
                            f"no DOI printed; {by} found {written} ({why})",
                            field=field, expected=identifier)
    wanted = "the DOI" if field == "DOI" else "the PMID"
    return work.finding("doi-suggested", Severity.INFO,
                        f"{by} found it: {written} ({why}): add {wanted}",
                        field=field, expected=identifier)


def _unverified(work: Work, said: Searched) -> Finding:
    reasons = [o.reason if o is not None else "not in the metadata lock (run with --refresh)"
               for _, _, o in said.asked if o is None or o.status != "ok"]
    return work.finding("unverified", Severity.UNVERIFIED,
                        "no identifier, and the registrars could not be searched for it, so "
                        f"whether it exists is not known: {reasons[0]}")


def _searched(said: Searched) -> str:
    """What was searched, and found nothing: 'neither Crossref's bibliographic search nor
    PubMed (by title) has a work with …'."""
    pubmed = ["by title and first author" if "[1au]" in q else "by title"
              for s, q, _ in said.asked if s == "pubmed"]
    parts = [f"{p} ({', then '.join(pubmed)})" if p == "PubMed" and pubmed else p
             for p in (_SEARCHES.get(s, s) for s in dict.fromkeys(s for s, _, _ in said.asked))]
    wanted = "a work with this title, first author, year and journal"
    if len(parts) > 1:
        return f"neither {', '.join(parts[:-1])} nor {parts[-1]} has {wanted}"
    return f"{''.join(parts)} has no {wanted[2:]}"


def _listed(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _candidates(said: Searched) -> list[dict[str, Any]]:
    """Every candidate the searches gave, once each (by DOI, PMID, or title)."""
    seen: set[str] = set()
    out = []
    for _, _, outcome in said.asked:
        for record in outcome.candidates if isinstance(outcome, Outcome) else ():
            key = str(record.get("DOI") or record.get("PMID") or normalize_text(
                as_text(record.get("title"))))
            if key not in seen:
                seen.add(key)
                out.append(dict(record))
    return out


def _described(graded: Agreement) -> str:
    """A candidate in a few words, and what differs: 'Title…' (Family 2015, Journal: first
    author differs)."""
    record = graded.record
    title = as_text(record.get("title"))
    title = title if len(title) <= 70 else title[:69].rstrip() + "…"
    authors = record.get("author") or [{}]
    who = as_text(authors[0].get("family") or authors[0].get("literal"))
    journal = as_text(record.get("container-title-short") or record.get("container-title"))
    about = " ".join(str(p) for p in (who, year_of(record)) if p)
    about = ", ".join(p for p in (about, journal) if p)
    wrong = [_FIELDS[f] for f in graded.differing]
    differs = f"{_listed(wrong)} {'differ' if len(wrong) > 1 else 'differs'}" if wrong else ""
    detail = ": ".join(p for p in (about, differs) if p)
    return shown(title) + (f" ({detail})" if detail else "")


def _partly_held(work: Work, said: Searched) -> str | None:
    """Why not finding ``work`` proves little, if it is a kind the registrars hold in part, or
    a work of the year it was searched for (or later)."""
    item = work.item
    where = normalize_text(" ".join(as_text(item.get(k)) for k in (
        "container-title", "collection-title", "event", "event-title", "publisher", "genre")))
    if item.get("type") in _PARTLY_HELD_TYPES or _PARTLY_HELD.search(where):
        return ("Crossref and PubMed hold only part of the conference proceedings and preprints: "
                "check it by hand")
    fetched = [o.fetched for _, _, o in said.asked if o is not None and o.fetched]
    year = year_of(item)
    if year is not None and fetched and year >= int(max(fetched)[:4]):
        return (f"a work of {year} may not be registered or indexed yet: search again later "
                "(--refresh)")
    return None


def _not_found(work: Work, said: Searched, strict: bool) -> Finding:
    graded = sorted((agreement(work.item, r) for r in _candidates(said)), key=lambda a: a.rank)
    # the nearest by the fields, and the nearest by the title alone (a chimera's other half)
    nearest = graded[:1] + sorted(graded[1:], key=lambda a: -a.similarity)[:CLOSEST - 1]
    closest = "; closest: " + ", ".join(_described(g) for g in nearest) if graded else \
        "; they gave no candidate"
    caveat = _partly_held(work, said)
    severity = Severity.INFO if caveat else Severity.ERROR if strict else Severity.WARNING
    message = f"not found: {_searched(said)}{closest}" + (f" ({caveat})" if caveat else "")
    return work.finding("reference-not-found", severity, message)


def settled_by_search(findings: list[Finding], works: Iterable[Work]) -> list[Finding]:
    """A reference the searches did not find has its reference-not-found: no "cannot be
    checked" doi-missing warning besides."""
    not_found = {w.key for w in works if w.searched is not None and w.searched.found is None
                 and w.searched.complete}
    return [f for f in findings if not (f.code == "doi-missing" and f.severity == Severity.WARNING
                                        and f.key in not_found)]


def found_by_search(works: Iterable[Work]) -> dict[str, str]:
    """``{key: DOI}`` of the references that Crossref's search found (checked as that DOI)."""
    return {w.key: str(w.doi) for w in works if w.searched is not None
            and w.searched.found is not None and w.searched.source == "crossref" and w.doi}
