"""Stage 4: checks. Citations, bibliography entries and registrar records in; findings out.

Each check is a small function returning a list of :class:`~audit.findings.Finding`.
The checks never fetch anything: registrar answers arrive as :class:`Resolution`s,
made from the lock (offline) or from a refresh (online) by :mod:`audit.cli`.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from audit.bibliography import Entry
from audit.compare import compare_works, normalize_text, title_similarity, year_of
from audit.findings import Finding, Severity
from audit.identifiers import normalize_doi, normalize_pmcid, normalize_pmid, parse_citekey
from audit.manuscript import Manuscript
from audit.reftext import PrintedReference

# CSL types that are expected to carry a DOI (doi-missing is reported for these).
DOI_EXPECTED_TYPES = frozenset({"article-journal", "article", "paper-conference", "review"})
IDENTIFIER_SCHEMES = frozenset({"doi", "pmid", "pmcid", "arxiv", "url", "isbn", "wikidata", "raw"})


@dataclass
class Work:
    """One work to verify: a bibliography entry, a printed reference, or an identifier key."""

    key: str
    item: dict[str, Any]
    file: str | None
    line: int | None
    origin: str  # "bibliography", "printed" or "citekey"
    doi: str | None = None
    doi_problem: str | None = None
    doi_changed: bool = False
    raw_doi: str | None = None
    short_doi: str | None = None  # the shortDOI it gives (``10/abcd``, lower case), if any
    # online, what doi.org said of a shortDOI: "ok" (``doi`` is then the full DOI it stands
    # for), "not-found" or "unverified", with the reason for the last two
    short_status: str | None = None
    short_reason: str | None = None
    query: str | None = None  # the reference as printed, for a bibliographic search
    et_al: bool = False
    pmid: str | None = None  # its PMID (bare digits), checked against PubMed

    def finding(self, code: str, severity: Severity, message: str, **kw: Any) -> Finding:
        return Finding(code=code, severity=severity, message=message, key=self.key,
                       file=self.file, line=self.line, **kw)


@dataclass(frozen=True)
class Resolution:
    """What the registrar says about one DOI: a record, a true 404, or no usable answer."""

    status: str  # "ok", "not-found", "unverified"
    record: dict[str, Any] | None = None
    reason: str | None = None
    source: str | None = None


@dataclass
class Inputs:
    """Everything the checks look at."""

    manuscript: Manuscript | None = None
    entries: list[Entry] = field(default_factory=list)
    printed: list[PrintedReference] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


# --- building the works ------------------------------------------------------

_SHORT_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10/[a-z0-9]+)$", re.I)


def _identifier_fields(work: Work, raw: str | None) -> Work:
    """The work's DOI fields from ``raw`` (its DOI as written), and its PMID from its item."""
    work.pmid = normalize_pmid(str(work.item.get("PMID") or ""))
    if raw:
        work.raw_doi = str(raw)
        if short := _SHORT_DOI.match(work.raw_doi.strip()):
            work.short_doi = short.group(1).lower()  # an alias that only doi.org expands
            return work
        result = normalize_doi(str(raw))
        work.doi, work.doi_problem, work.doi_changed = result.doi, result.problem, result.changed
        if result.doi is None:
            work.doi_problem = result.problem or "not a DOI"
    return work


def bibliography_works(entries: Iterable[Entry]) -> list[Work]:
    """The works of the bibliography entries (the first part of :func:`works_from`)."""
    return [_identifier_fields(Work(entry.key, entry.item, entry.file, entry.line, "bibliography"),
                               entry.item.get("DOI")) for entry in entries]


def works_from(inputs: Inputs, bibliography: list[Work] | None = None) -> list[Work]:
    """Bibliography entries, identifier keys with no entry, and printed references.

    ``bibliography``: the works of ``inputs.entries`` if already made
    (:func:`bibliography_works`); they are used as they are.
    """
    works = list(bibliography) if bibliography is not None else bibliography_works(inputs.entries)
    keys = {e.key for e in inputs.entries}
    if inputs.manuscript is not None:
        seen: set[str] = set()
        for cit in inputs.manuscript.citations:
            key = resolve_tag(cit.key, inputs.tags)
            if key in keys or key in seen:
                continue
            parsed = parse_citekey(key)
            if parsed.scheme == "doi":
                seen.add(key)
                work = Work(cit.key, {"id": cit.key}, cit.file, cit.line, "citekey")
                works.append(_identifier_fields(work, key.split(":", 1)[1]))
            elif parsed.scheme == "pmid" and parsed.problem is None:
                seen.add(key)
                works.append(Work(cit.key, {"id": cit.key}, cit.file, cit.line, "citekey",
                                  pmid=parsed.identifier))
    for ref in inputs.printed:
        item = ref.item
        if ref.et_al:  # as printed: compare.py reads a literal "et al." as a truncated list
            item = {**item, "author": [*item.get("author", []), {"literal": "et al."}]}
        works.append(_identifier_fields(Work(f"#{ref.number}", item, None, ref.line, "printed",
                                             et_al=ref.et_al, query=ref.raw), item.get("DOI")))
    return works


def resolve_tag(key: str, tags: dict[str, str]) -> str:
    if key.lower().startswith("tag:"):
        return tags.get(key[4:], key)
    return key


# --- citations against the bibliography ---------------------------------------

def check_citations(inputs: Inputs) -> list[Finding]:
    """undefined-citation, uncited-reference, duplicate-key."""
    findings: list[Finding] = []
    by_key: dict[str, list[Entry]] = defaultdict(list)
    for entry in inputs.entries:
        by_key[entry.key].append(entry)
    for key, entries in by_key.items():
        for dup in entries[1:]:
            first = entries[0]
            findings.append(Finding(
                "duplicate-key", Severity.ERROR,
                f"key '{key}' is defined more than once (first at {first.file}:{first.line or '?'})",
                key=key, file=dup.file, line=dup.line))
    manuscript = inputs.manuscript
    if manuscript is None:
        return findings
    cited: set[str] = set()
    reported: set[str] = set()
    for cit in manuscript.citations:
        key = resolve_tag(cit.key, inputs.tags)
        cited.add(key)
        if key in by_key:
            continue
        parsed = parse_citekey(key)
        if cit.key.lower().startswith("tag:") and key == cit.key:
            message = f"tag '{cit.key[4:]}' is not defined in the tags file"
        elif parsed.scheme in IDENTIFIER_SCHEMES:
            continue  # the key is its own identifier (Manubot style)
        else:
            message = f"citation key '{cit.key}' is not in the bibliography"
        if (cit.key, cit.line) in reported:
            continue
        reported.add(cit.key)
        findings.append(Finding("undefined-citation", Severity.ERROR, message, key=cit.key,
                                file=cit.file, line=cit.line))
    if not manuscript.nocite_all:
        for key, entries in by_key.items():
            if key not in cited:
                e = entries[0]
                findings.append(Finding("uncited-reference", Severity.WARNING,
                                        f"'{key}' is in the bibliography but never cited",
                                        key=key, file=e.file, line=e.line))
    return findings


# --- identifiers ----------------------------------------------------------------

def expand_short_dois(works: Iterable[Work], outcomes: dict[str, tuple[str, str | None, str | None]]
                      ) -> None:
    """Apply what doi.org said of each shortDOI, ``{short: (status, full DOI, reason)}``:
    a work whose shortDOI stands for a DOI is then checked against that DOI."""
    for work in works:
        if work.short_doi is None or work.short_doi not in outcomes:
            continue
        work.short_status, target, work.short_reason = outcomes[work.short_doi]
        if work.short_status == "ok" and target:
            work.doi = target


def _short_doi_finding(work: Work) -> Finding:
    raw = work.raw_doi
    if work.short_status == "ok":
        # a citation key may well be a shortDOI (Manubot's @doi:10/abcd); a DOI field should not
        severity = Severity.INFO if work.origin == "citekey" else Severity.WARNING
        return work.finding("doi-short", severity,
                            f"{shown(raw)} is a shortDOI for {work.doi} (doi.org), checked as "
                            "that DOI" + ("" if work.origin == "citekey" else
                                          ": write the full DOI, which readers and the JATS need"),
                            field="DOI", found=raw, expected=work.doi)
    if work.short_status == "not-found":
        return work.finding("doi-not-found", Severity.ERROR,
                            f"{shown(raw)} is not a shortDOI that doi.org knows ({work.short_reason})",
                            field="DOI", found=raw)
    why = (f"doi.org did not answer usably ({work.short_reason})" if work.short_status
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


def check_duplicates(works: list[Work]) -> list[Finding]:
    """duplicate-work: the same DOI or PMID twice, or the same title, year and first author."""
    findings: list[Finding] = []
    bib = [w for w in works if w.origin != "citekey"]
    groups: dict[tuple[str, str], list[Work]] = defaultdict(list)
    for work in bib:
        if work.doi:
            groups[("DOI", work.doi)].append(work)
        pmid = normalize_pmid(str(work.item.get("PMID") or ""))
        if pmid:
            groups[("PMID", pmid)].append(work)
    flagged: set[tuple[str, str]] = set()
    for (kind, value), members in groups.items():
        for dup in members[1:]:
            pair = (members[0].key, dup.key)
            if pair in flagged:
                continue
            flagged.add(pair)
            findings.append(dup.finding("duplicate-work", Severity.ERROR,
                                        f"same {kind} ({value}) as '{members[0].key}'",
                                        field=kind, found=value))
    # Near-identical titles, among works of one year and one first author. Candidates
    # share their first or their last five title words (a typo spares one end), which
    # keeps this linear on bibliographies with tens of thousands of entries.
    blocks: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    titled = [w for w in bib if w.item.get("title")]
    titles = [normalize_text(str(w.item["title"])) for w in titled]
    for n, (work, title) in enumerate(zip(titled, titles, strict=True)):
        words = title.split()
        head = (year_of(work.item), _first_family(work.item))
        blocks[(*head, "first", *words[:5])].append(n)
        blocks[(*head, "last", *words[-5:])].append(n)
    for members in blocks.values():
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                a, b = titled[i], titled[j]
                if (a.key, b.key) in flagged or fuzz.ratio(titles[i], titles[j]) < 95:
                    continue
                flagged.add((a.key, b.key))
                findings.append(b.finding(
                    "duplicate-work", Severity.WARNING,
                    f"looks like the same work as '{a.key}' (title, year {year_of(a.item)}, "
                    "first author)", field="title", found=b.item["title"], expected=a.item["title"]))
    return findings


def _first_family(item: dict[str, Any]) -> str:
    authors = item.get("author") or []
    if not authors:
        return ""
    first = authors[0]
    return normalize_text(str(first.get("family") or first.get("literal") or ""))


def _same_first_author(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _first_family(a) == _first_family(b)


def shown(text: object) -> str:
    """``text`` quoted for a message, with control characters escaped (terminal-safe)."""
    return repr(str(text))


# --- against the registrar ------------------------------------------------------

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


_NOTICE_CODES = frozenset(code for code, _, _ in UPDATE_CODES.values())


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


def check_registrar(works: Iterable[Work], resolutions: dict[str, Resolution]) -> list[Finding]:
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


def compare(work: Work, record: dict[str, Any], source: str | None = None) -> list[Finding]:
    """metadata-mismatch, one per field that differs; ``source`` names a record that is not
    the DOI registrar's (in the message)."""
    findings = []
    said = f"{source}: " if source else ""
    for diff in compare_works(work.item, record):
        severity = Severity.ERROR if diff.grade == "error" else Severity.WARNING
        findings.append(work.finding(
            "metadata-mismatch", severity,
            f"{said}{diff.field}: {diff.detail}", field=diff.field,
            expected=diff.expected, found=diff.found))
    return findings


# --- against PubMed ---------------------------------------------------------------

def check_pubmed(works: Iterable[Work], resolutions: dict[str, Resolution],
                 dois: dict[str, Resolution], earlier: Iterable[Finding] = ()) -> list[Finding]:
    """The works' PMIDs against PubMed's records (``resolutions``, by PMID).

    pmid-not-found, unverified, pmid-doi-mismatch, pmcid-mismatch and the notices PubMed links
    (retracted, expression-of-concern, corrected); and where the entry's
    DOI does not already establish the work (no DOI, PubMed lists none, or the DOI has no
    registrar record in ``dois``), metadata-mismatch against PubMed's record and
    doi-suggested. A finding of a code, key and field already among ``earlier`` (a field
    that differs from the DOI's record too) is not made twice.
    """
    said = {(f.code, f.key, f.field) for f in earlier}
    notices = {(f.code, f.key) for f in earlier if f.code in _NOTICE_CODES}  # the DOI's record's
    findings: list[Finding] = []
    for work in works:
        res = resolutions.get(work.pmid) if work.pmid else None
        if res is not None:
            findings += [f for f in _against_pubmed(work, res, dois)
                         if (f.code, f.key, f.field) not in said and (f.code, f.key) not in notices]
    return findings


def _against_pubmed(work: Work, res: Resolution, dois: dict[str, Resolution]) -> list[Finding]:
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


# --- printed references without a DOI ---------------------------------------------

def match_record(item: dict[str, Any], candidates: dict[str, dict[str, Any]],
                 threshold: float = 0.9) -> tuple[str, float] | None:
    """The candidate record (by DOI) that is clearly the same work as ``item``, if any.

    Agreement is required on the title (similarity >= ``threshold``), the
    first author and the year; the best match must also beat the runner-up clearly.
    """
    title = item.get("title")
    if not title:
        return None
    scored = []
    for doi, record in candidates.items():
        if not record.get("title"):
            continue
        score = title_similarity(str(title), str(record["title"]))
        if (score >= threshold and _same_first_author(item, record)
                and year_of(item) is not None and year_of(item) == year_of(record)):
            scored.append((score, doi))
    if not scored:
        return None
    scored.sort(reverse=True)
    if len(scored) > 1 and scored[0][0] - scored[1][0] < 0.05:
        return None
    return scored[0][1], scored[0][0]


def attach_printed_dois(works: list[Work], candidates: dict[str, dict[str, Any]]) -> list[Finding]:
    """Printed references without a DOI: find their record among ``candidates`` (lock or registrar).

    A match lets the reference be compared field by field; references still
    without a DOI after this (and after an online search) get
    :func:`unmatched_printed`.
    """
    findings = []
    for work in works:
        if work.origin != "printed" or not needs_search(work):
            continue
        match = match_record(work.item, candidates)
        if match is None:
            continue
        work.doi = match[0]
        findings.append(work.finding("doi-missing", Severity.INFO,
                                     f"no DOI printed; matched to {match[0]} by title, "
                                     "author and year", field="DOI", expected=match[0]))
    return findings


def unmatched_printed(works: list[Work]) -> list[Finding]:
    return [work.finding("doi-missing", Severity.WARNING,
                         "no DOI printed and no registered record matches: cannot be verified")
            for work in works if work.origin == "printed" and needs_search(work)]


def query_text(work: Work) -> str:
    """The text of a bibliographic query for ``work``: as printed, or composed from its fields."""
    if work.query:
        return work.query
    item = work.item
    names = ", ".join(str(a.get("family") or a.get("literal") or "") for a in item.get("author") or [])
    parts = [names, str(item.get("title") or ""), str(item.get("container-title") or ""),
             str(year_of(item) or ""), str(item.get("volume") or ""), str(item.get("page") or "")]
    return ". ".join(p for p in parts if p)


def suggest_dois(works: list[Work], searches: dict[str, list[dict[str, Any]]]) -> list[Finding]:
    """Online: a DOI for a reference without one, when the registrar's top hit is clearly it.

    Printed references take the DOI (and are then checked field by field);
    bibliography entries get a ``doi-suggested`` finding to act on.
    """
    findings = []
    for work in works:
        hits = searches.get(work.key)
        if not hits:
            continue
        match = match_record(work.item, {str(h.get("DOI", "")).lower(): h for h in hits if h.get("DOI")})
        if match is None:
            continue
        doi = match[0]
        if work.origin == "printed":
            work.doi = doi
            findings.append(work.finding("doi-missing", Severity.INFO,
                                         f"no DOI printed; the registrar's search found {doi} "
                                         "(title, first author and year agree)",
                                         field="DOI", expected=doi))
        else:
            findings.append(work.finding("doi-suggested", Severity.INFO,
                                         f"registered as {doi} (title, first author and year "
                                         "agree): add the DOI", field="DOI", expected=doi))
    return findings


def needs_search(work: Work) -> bool:
    return (not work.doi and not work.raw_doi and work.item.get("type") in DOI_EXPECTED_TYPES
            and work.origin in ("bibliography", "printed") and bool(work.item.get("title")))


def run_checks(inputs: Inputs, works: list[Work], resolutions: dict[str, Resolution],
               extra: Iterable[Finding] = (), registrar: list[Finding] | None = None,
               duplicates: list[Finding] | None = None,
               pubmed: dict[str, Resolution] | None = None) -> list[Finding]:
    """Every check, in report order. ``registrar`` and ``duplicates``: what
    :func:`check_registrar` (for ``works`` with ``resolutions``) and
    :func:`check_duplicates` (for ``works``) find, when already found (beside the parse);
    ``pubmed``: PubMed's answers by PMID (:func:`check_pubmed`)."""
    if registrar is None:
        registrar = check_registrar(works, resolutions)
    if duplicates is None:
        duplicates = check_duplicates(works)
    extra = list(extra)
    against_pubmed = check_pubmed(works, pubmed or {}, resolutions, [*extra, *registrar])
    found = [*check_citations(inputs), *check_identifiers(works), *duplicates,
             *extra, *registrar, *against_pubmed]
    return checked_through_pmid(found, works, pubmed or {})


def checked_through_pmid(findings: list[Finding], works: Iterable[Work],
                         pubmed: dict[str, Resolution]) -> list[Finding]:
    """A work without a DOI whose PMID PubMed knows was checked after all, against
    PubMed's record: its doi-missing warning ("cannot be checked") becomes info."""
    confirmed = {w.key: w.pmid for w in works
                 if w.pmid and (r := pubmed.get(w.pmid)) is not None and r.status == "ok"}
    return [dataclasses.replace(f, severity=Severity.INFO,
                                message=f"{f.message.split(':')[0]}: checked against PubMed's record "
                                        f"for PMID {confirmed[f.key]} instead")
            if f.code == "doi-missing" and f.severity == Severity.WARNING and f.key in confirmed
            else f for f in findings]
