"""Stage 2: the works to verify, and the identifier each is checked under.

:func:`works_from` makes one :class:`~audit.model.Work` per bibliography entry, per
identifier key cited without an entry (Manubot's ``@doi:…``, ``@pmid:…``) and per
printed reference. A work's DOI is the one written, normalised; three things can
establish one it was not written with, each returning new works and saying so:

- :func:`with_short_dois`: a shortDOI (``10/abcd``) stands for the full DOI doi.org gives;
- :func:`matched_printed`: a printed reference without a DOI is a record in hand (the lock's);
- :func:`with_searches`: a reference without identifiers is a candidate of the registrars'
  searches (Crossref's, then PubMed's) that agrees with it (that work's DOI, or PMID).

A work's arXiv identifier (:func:`arxiv_id`) and PMCID (:func:`pmcid`) are read from its key
(``@arxiv:…``, ``@pmcid:…``) or its item (CSL ``PMCID``; an arXiv identifier in ``URL``,
``number`` or an arXiv DOI, when they agree).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from audit.compare import best_agreement, normalize_text, title_similarity, year_of
from audit.identifiers import (
    normalize_arxiv,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    normalize_short_doi,
    parse_citekey,
)
from audit.model import Entry, Finding, Inputs, Outcome, Searched, Severity, Work

# CSL types that are expected to carry a DOI (doi-missing is reported for these).
DOI_EXPECTED_TYPES = frozenset({"article-journal", "article", "paper-conference", "review"})


# --- building ---------------------------------------------------------------------------

def _work(key: str, item: dict[str, Any], file: str | None, line: int | None, origin: Any,
          raw: object = None, **extra: Any) -> Work:
    """A work with its DOI fields read from ``raw`` (its DOI as written) and its PMID from
    its item (unless given)."""
    extra.setdefault("pmid", normalize_pmid(str(item.get("PMID") or "")))
    if raw:
        written = str(raw)
        if short := normalize_short_doi(written):  # an alias that only doi.org expands
            return Work(key, item, file, line, origin, raw_doi=written, short_doi=short, **extra)
        result = normalize_doi(written)
        return Work(key, item, file, line, origin, doi=result.doi, raw_doi=written,
                    doi_problem=None if result.doi else (result.problem or "not a DOI"),
                    doi_changed=result.changed, **extra)
    return Work(key, item, file, line, origin, **extra)


def bibliography_works(entries: Iterable[Entry]) -> list[Work]:
    """The works of the bibliography entries."""
    return [_work(entry.key, entry.item, entry.file, entry.line, "bibliography", entry.item.get("DOI"),
                  excerpt=entry.excerpt) for entry in entries]


def name_of(key: str) -> str:
    """What a key names: the standard id of an identifier key (``doi:10.1/x`` for
    ``DOI:10.1/X`` and ``@10.1/X``, as Manubot standardises it), else the key itself."""
    return parse_citekey(key).standard or key


def dealiased(key: str, aliases: Mapping[str, str]) -> str:
    """The key a citation stands for: an alias's target, else the key itself."""
    return aliases.get(key, key)


def works_from(inputs: Inputs) -> list[Work]:
    """Bibliography entries, identifier keys with no entry, and printed references.

    An identifier key is one work per standard id, however many keys cite it (an alias,
    its DOI, the DOI in two cases); a bibliography entry whose key is that standard id
    (Manubot's manual references) is the work.
    """
    works = bibliography_works(inputs.entries)
    names = {name_of(e.key) for e in inputs.entries}
    if inputs.manuscript is not None:
        for cit in inputs.manuscript.citations:
            key = dealiased(cit.key, inputs.aliases)
            parsed = parse_citekey(key)
            name = name_of(key)
            if name in names:
                continue
            if parsed.scheme == "doi":
                names.add(name)
                written = key.split(":", 1)[1] if key.lower().startswith("doi:") else key
                works.append(_work(cit.key, {"id": cit.key}, cit.file, cit.line, "citekey",
                                   written, excerpt=cit.excerpt))
            elif parsed.scheme == "pmid" and parsed.problem is None:
                names.add(name)
                works.append(Work(cit.key, {"id": cit.key}, cit.file, cit.line, "citekey",
                                  pmid=parsed.identifier, excerpt=cit.excerpt))
            elif parsed.scheme in ("arxiv", "pmcid") and parsed.problem is None:
                names.add(name)  # its identifier is its key's (see arxiv_id and pmcid)
                works.append(Work(cit.key, {"id": cit.key}, cit.file, cit.line, "citekey",
                                  excerpt=cit.excerpt))
    for ref in inputs.printed:
        item = ref.item
        if ref.et_al:  # as printed: the comparison reads a literal "et al." as a truncated list
            item = {**item, "author": [*item.get("author", []), {"literal": "et al."}]}
        works.append(_work(ref.name, item, ref.file, ref.line, "printed", item.get("DOI"),
                           et_al=ref.et_al, query=ref.raw, excerpt=ref.excerpt))
    return works


# --- identifying ------------------------------------------------------------------------

ARXIV_DOI = "10.48550/arxiv."  # the DOI arXiv registers for an article: 10.48550/arXiv.<id>
_ARXIV_WORDS = ("container-title", "publisher", "archive", "collection-title", "genre", "source")


def _key_identifier(work: Work, scheme: str) -> str | None:
    """The identifier a work's key names, if it is a ``scheme:`` key (a citation key, or a
    bibliography entry keyed by its standard id)."""
    parsed = parse_citekey(work.key)
    return parsed.identifier if parsed.scheme == scheme and parsed.problem is None else None


def arxiv_in_item(item: Mapping[str, Any]) -> str | None:
    """The arXiv identifier a CSL item gives, if it gives one unambiguously: an arxiv.org
    ``URL``, an arXiv DOI (``10.48550/arXiv.<id>``), or a ``number`` of an item that says it
    is arXiv's (its container, publisher or archive). Several that name different articles,
    or different versions, give none."""
    found = []
    if normalize_arxiv(str(item.get("URL") or "")) and "arxiv.org/" in str(item["URL"]).lower():
        found.append(normalize_arxiv(str(item["URL"])))
    doi = normalize_doi(str(item.get("DOI") or "")).doi if item.get("DOI") else None
    if doi and doi.startswith(ARXIV_DOI):
        found.append(normalize_arxiv(doi[len(ARXIV_DOI):]))
    if item.get("number") and any("arxiv" in str(item.get(k) or "").lower() for k in _ARXIV_WORDS):
        found.append(normalize_arxiv(str(item["number"])))
    ids = {i for i in found if i}
    versioned = {i for i in ids if re.search(r"v\d+$", i)}
    if len({re.sub(r"v\d+$", "", i) for i in ids}) != 1 or len(versioned) > 1:
        return None  # none, or different articles, or different versions
    return next(iter(versioned or ids))


def arxiv_id(work: Work) -> str | None:
    """The arXiv identifier a work is checked under: its key's (``@arxiv:…``), else its item's
    (:func:`arxiv_in_item`)."""
    return _key_identifier(work, "arxiv") or (
        arxiv_in_item(work.item) if work.origin != "citekey" else None)


def pmcid(work: Work) -> str | None:
    """The PMCID a work is checked under: its key's (``@pmcid:…``, ``@pmc:…``), else its
    item's ``PMCID``."""
    if from_key := _key_identifier(work, "pmcid"):
        return from_key
    written = work.item.get("PMCID") if work.origin != "citekey" else None
    return normalize_pmcid(str(written)) if written else None

def with_short_dois(works: list[Work], outcomes: Mapping[str, Outcome]) -> list[Work]:
    """The works, each shortDOI with what doi.org (or the lock) said of it, ``{short:
    outcome}``: a work whose shortDOI stands for a DOI is then checked as that DOI."""
    out = []
    for work in works:
        said = outcomes.get(work.short_doi) if work.short_doi else None
        if said is None:
            out.append(work)
            continue
        full = said.record.get("DOI") if said.status == "ok" and said.record else None
        out.append(dataclasses.replace(work, short=said, doi=str(full) if full else work.doi))
    return out


def lacks_doi(work: Work) -> bool:
    """A reference without any DOI, of a kind that should have one, with a title to find it by."""
    return (not work.doi and not work.raw_doi and work.item.get("type") in DOI_EXPECTED_TYPES
            and work.origin in ("bibliography", "printed") and bool(work.item.get("title")))


def needs_search(work: Work) -> bool:
    """A reference without any identifier (DOI, PMID, PMCID, arXiv), of a kind that should have
    one: the registrars' searches decide whether it exists (one with a PMID, PMCID or arXiv
    identifier is checked under that)."""
    return lacks_doi(work) and not work.pmid and not pmcid(work) and not arxiv_id(work)


def query_text(work: Work) -> str:
    """The text of a bibliographic query for ``work``: as printed, or composed from its fields."""
    if work.query:
        return work.query
    item = work.item
    names = ", ".join(str(a.get("family") or a.get("literal") or "") for a in item.get("author") or [])
    parts = [names, str(item.get("title") or ""), str(item.get("container-title") or ""),
             str(year_of(item) or ""), str(item.get("volume") or ""), str(item.get("page") or "")]
    return ". ".join(p for p in parts if p)


def first_family(item: Mapping[str, Any]) -> str:
    """The first author's family name (or a group's name), normalised."""
    authors = item.get("author") or []
    if not authors:
        return ""
    first = authors[0]
    return normalize_text(str(first.get("family") or first.get("literal") or ""))


def match_record(item: Mapping[str, Any], candidates: Mapping[str, dict[str, Any]],
                 threshold: float = 0.9) -> tuple[str, float] | None:
    """The candidate record (by DOI) that is clearly the same work as ``item``, if any.

    Agreement is required on the title (similarity >= ``threshold``), the first author
    and the year; the best match must also beat the runner-up clearly.
    """
    title = item.get("title")
    if not title:
        return None
    scored = []
    for doi, record in candidates.items():
        if not record.get("title"):
            continue
        score = title_similarity(str(title), str(record["title"]))
        if (score >= threshold and first_family(item) == first_family(record)
                and year_of(item) is not None and year_of(item) == year_of(record)):
            scored.append((score, doi))
    if not scored:
        return None
    scored.sort(reverse=True)
    if len(scored) > 1 and scored[0][0] - scored[1][0] < 0.05:
        return None
    return scored[0][1], scored[0][0]


def matched_printed(works: list[Work], candidates: Mapping[str, dict[str, Any]]
                    ) -> tuple[list[Work], list[Finding]]:
    """Printed references without a DOI, matched to a record among ``candidates`` (by DOI:
    the lock's records): such a reference is then compared field by field."""
    out, findings = [], []
    for work in works:
        match = (match_record(work.item, candidates) if work.origin == "printed"
                 and lacks_doi(work) and work.searched is None else None)
        if match is None:
            out.append(work)
            continue
        out.append(dataclasses.replace(work, doi=match[0]))
        findings.append(work.finding("doi-missing", Severity.INFO,
                                     f"no DOI printed; matched to {match[0]} by title, "
                                     "author and year", field="DOI", expected=match[0]))
    return out, findings


# --- searching ------------------------------------------------------------------------

CROSSREF, PUBMED = "crossref", "pubmed"
SEARCH_ROWS = 5  # the candidates a search keeps, best first
# words PubMed does not search for (a few of its stopwords; "and", "or", "not" are operators)
_PUBMED_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it",
    "its", "of", "on", "or", "not", "our", "than", "that", "the", "their", "these", "this",
    "to", "via", "vs", "versus", "was", "were", "what", "when", "which", "with", "within",
    "without"})
_PUBMED_TITLE_WORDS = 20  # enough to tell a title, short enough for a URL


def pubmed_terms(item: Mapping[str, Any]) -> list[str]:
    """PubMed queries for a reference (E-utilities' ``term``): each of its title's words in the
    title field (``w1[ti] AND w2[ti] …``), then with its first author (``… AND family[1au]``).
    Each word is tagged on its own: PubMed reads several words under one tag as a phrase,
    which a title without its stopwords would not be. PubMed leaves out a word it does not
    know at all (a typo), naming it in the answer, so a title written a little differently is
    still found. The second query narrows the first: it is made only when the first found
    more records than a search keeps (:func:`searched`), as for a short title many articles
    share."""
    words = [w for w in normalize_text(str(item.get("title") or "")).split()
             if w not in _PUBMED_STOPWORDS][:_PUBMED_TITLE_WORDS]
    if not words:
        return []
    authors = item.get("author") or [{}]
    family = normalize_text(" ".join(str(authors[0].get(k) or "") for k in (
        "non-dropping-particle", "family")))  # PubMed's: "van der Linden YM"
    title = " AND ".join(f"{word}[ti]" for word in words)
    return [title, f"{title} AND {family}[1au]"] if family not in ("", "et al") else [title]


def search_plan(work: Work) -> list[tuple[str, str]]:
    """The searches that decide whether a reference without identifiers exists, in order, as
    ``(source, query)``: Crossref's bibliographic search for its text, then PubMed's
    (:func:`pubmed_terms`); each is made only if the ones before found nothing that agrees."""
    return [(CROSSREF, " ".join(query_text(work).split())),
            *((PUBMED, term) for term in pubmed_terms(work.item))]


def _records(source: str, outcome: Outcome) -> list[dict[str, Any]]:
    """A search's candidates that name a work (Crossref's by DOI, PubMed's by PMID)."""
    return [dict(c) for c in outcome.candidates if c.get("DOI" if source == CROSSREF else "PMID")]


def _every_match(outcome: Outcome | None) -> bool:
    """A search answered with fewer candidates than it keeps: every match, not the best few."""
    return outcome is not None and outcome.status == "ok" and len(outcome.candidates) < SEARCH_ROWS


def searched(work: Work, answers: Mapping[tuple[str, str], Outcome]) -> Searched:
    """What the searches of :func:`search_plan` said of ``work`` (``answers`` by ``(source,
    query)``; a search without one was not made): the first candidate that agrees with it
    (:func:`audit.compare.agreement`), searching on while none does."""
    asked: list[tuple[str, str, Outcome | None]] = []
    for source, query in search_plan(work):
        if asked and asked[-1][0] == source == PUBMED and _every_match(asked[-1][2]):
            break  # PubMed gave every record with the title's words: the author can add none
        outcome = answers.get((source, query))
        asked.append((source, query, outcome))
        if outcome is not None and outcome.status == "ok":
            best = best_agreement(work.item, _records(source, outcome))
            if best is not None:
                return Searched(tuple(asked), best.record, source)
    return Searched(tuple(asked))


def next_searches(works: Iterable[Work], answers: Mapping[tuple[str, str], Outcome]
                  ) -> list[tuple[str, str]]:
    """The searches still to make: for each reference that needs one and that the answers so
    far have not found, the first search of its plan not yet answered."""
    wanted: dict[tuple[str, str], None] = {}
    for work in works:
        if not needs_search(work):
            continue
        said = searched(work, answers)
        if said.found is None:
            step = next(((s, q) for s, q, o in said.asked if o is None), None)
            if step is not None:
                wanted[step] = None
    return list(wanted)


def with_searches(works: list[Work], answers: Mapping[tuple[str, str], Outcome]) -> list[Work]:
    """The works, each reference without identifiers with what the searches (``answers``, by
    ``(source, query)``: this run's, or the lock's) said of it; one found is then checked as
    the DOI (Crossref's record) or the PMID (PubMed's) of the candidate that agrees with it.
    A reference none of whose searches was made (offline, nothing locked) is left as it is."""
    if not answers:
        return works  # nothing searched (offline, a lock without searches): the common case
    out = []
    for work in works:
        said = searched(work, answers) if needs_search(work) else None
        if said is None or all(o is None for _, _, o in said.asked):
            out.append(work)
        elif said.found is not None and said.source == CROSSREF:
            out.append(dataclasses.replace(work, searched=said, doi=str(said.found["DOI"]).lower()))
        elif said.found is not None:
            out.append(dataclasses.replace(work, searched=said, pmid=str(said.found["PMID"])))
        else:
            out.append(dataclasses.replace(work, searched=said))
    return out
