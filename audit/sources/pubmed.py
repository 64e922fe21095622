"""PubMed: a PMID's record, from NCBI E-utilities, as a DOI's is from Crossref; and PubMed's
search, for references without identifiers.

:class:`PubMed` asks NCBI E-utilities' ``esummary`` for document summaries in
JSON, up to 200 PMIDs a request::

    GET {base}/entrez/eutils/esummary.fcgi?db=pubmed&id=1,2,3&retmode=json
        &tool=manuscript-audit&email=…&api_key=…

and answers ``{"result": {"uids": [...], "<pmid>": {document summary}, ...}}``; an
unknown PMID gets ``{"uid": "<pmid>", "error": "cannot get document summary"}``.
Every PMID ends as an :class:`~audit.model.Outcome` (``ok`` with a CSL JSON record,
``not-found`` for that ``error``, ``unverified`` for anything else), never as an
exception. The HTTP policy is the shared one (:mod:`audit.sources.http`), paced at
NCBI's documented limit: 3 requests a second, 10 with an
API key (one request of it left unused, as for every limit the client paces to).

A search (:meth:`PubMed.search_many`) asks ``esearch`` for the PMIDs of a query, best
first, then their summaries::

    GET {base}/entrez/eutils/esearch.fcgi?db=pubmed&term=spine[ti]+AND+cryoablation[ti]+AND+tomasian[1au]
        &retmode=json&retmax=5&sort=relevance

which answers ``{"esearchresult": {"count": "1", "idlist": ["26427837"], …}}``.

:func:`esummary_to_csl` turns a document summary into CSL JSON (so that
:mod:`audit.compare` grades it as it grades a registrar's record), and
:func:`csl_to_esummary` does the reverse (for the fake server of the tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from audit.identifiers import normalize_doi, normalize_pmcid, normalize_pmid
from audit.model import Outcome, Status, now_iso
from audit.names import is_initials, is_suffix
from audit.sources.http import Client, Trace, load_json, run_sync

__all__ = ["PubMed", "csl_to_esummary", "esummary_to_csl", "parse_esearch"]

DEFAULT_URL = "https://eutils.ncbi.nlm.nih.gov"
ESUMMARY_PATH = "/entrez/eutils/esummary.fcgi"
ESEARCH_PATH = "/entrez/eutils/esearch.fcgi"
SEARCH_ROWS = 5  # the PMIDs a search keeps, best first
TOOL = "manuscript-audit"
MAX_BATCH = 200  # NCBI: up to 200 UIDs in one GET
LIMIT, KEYED_LIMIT = 3, 10  # requests per second, without and with an API key
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SOURCE = "pubmed"


# --------------------------------------------------------------------------- conversion


def _clean_title(title: str) -> str:
    """PubMed's title without its closing period; a translated title without its brackets."""
    title = title.strip()
    if title.startswith("[") and "]" in title:
        end = title.rindex("]")
        title = title[1:end] + title[end + 1:]
    return title[:-1] if title.endswith(".") and not title.endswith("..") else title


def _person(name: str) -> dict[str, str]:
    """CSL name parts from PubMed's ``Family AB`` (``Family AB Jr``) form."""
    tokens = name.split()
    suffix = tokens.pop() if len(tokens) > 2 and is_suffix(tokens[-1]) else None
    if len(tokens) >= 2 and is_initials(tokens[-1]):
        initials = tokens[-1]  # four are spelt out (C. M. D. S.): four capitals may be a name
        given = initials if len(initials) < 4 else " ".join(f"{c}." for c in initials)
        person = {"family": " ".join(tokens[:-1]), "given": given}
    else:
        person = {"family": " ".join(tokens)}
    if suffix:
        person["suffix"] = suffix
    return person


def _author(entry: Any) -> dict[str, str] | None:
    if not isinstance(entry, Mapping) or not str(entry.get("name") or "").strip():
        return None
    name, kind = str(entry["name"]).strip(), str(entry.get("authtype") or "Author")
    if kind == "CollectiveName":
        return {"literal": name}
    return _person(name) if kind == "Author" else None


def _year(summary: Mapping[str, Any]) -> int | None:
    for key in ("pubdate", "sortpubdate", "epubdate"):
        match = re.match(r"\s*(\d{4})", str(summary.get(key) or ""))
        if match:
            return int(match.group(1))
    return None


def _article_ids(summary: Mapping[str, Any]) -> dict[str, str]:
    """``{idtype: value}`` of ``articleids`` (the first of each type)."""
    ids: dict[str, str] = {}
    for entry in summary.get("articleids") or []:
        if isinstance(entry, Mapping) and entry.get("idtype") and entry.get("value"):
            ids.setdefault(str(entry["idtype"]), str(entry["value"]))
    return ids


def _doi(summary: Mapping[str, Any], ids: Mapping[str, str]) -> str | None:
    candidates = [ids.get("doi"), re.sub(r"^\s*doi:\s*", "", str(summary.get("elocationid") or ""))]
    for candidate in candidates:
        if candidate and (doi := normalize_doi(candidate).doi):
            return doi
    return None


def _pmcid(ids: Mapping[str, str]) -> str | None:
    """``pmc`` (``PMC123``), else the ``pmcid`` (``pmc-id: PMC123;embargo-date: …;``)."""
    if ids.get("pmc") and (pmcid := normalize_pmcid(ids["pmc"])):
        return pmcid
    match = re.search(r"PMC\d+", ids.get("pmcid", ""))
    return normalize_pmcid(match.group(0)) if match else None


# PubMed's links to a notice about the article (esummary ``references``, ``reftype``), as
# the update types of a registrar's record (``updates``, see :func:`audit.checks.check_updates`)
_REFTYPES = {"retraction": "Retraction in", "expression_of_concern": "Expression of concern in",
             "correction": "Erratum in"}
_NOTICES = {reftype.lower(): kind for kind, reftype in _REFTYPES.items()}
RETRACTED_TYPE = "Retracted Publication"  # the publication type PubMed gives a retracted article


def _updates(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    """The notices PubMed links to the article (``Retraction in``, ``Expression of concern
    in``, ``Erratum in``), and a retraction for the publication type ``Retracted
    Publication`` when no notice is linked."""
    updates = []
    for ref in summary.get("references") or []:
        if not isinstance(ref, Mapping):
            continue
        kind = _NOTICES.get(str(ref.get("reftype") or "").strip().lower())
        if kind:
            update = {"type": kind, "source": "PubMed"}
            if str(ref.get("pmid") or "").strip().isdigit():
                update["PMID"] = str(ref["pmid"]).strip()
            updates.append(update)
    types = summary.get("pubtype") or []
    if RETRACTED_TYPE in types and not any(u["type"] == "retraction" for u in updates):
        updates.append({"type": "retraction", "source": "PubMed"})
    return updates


def esummary_to_csl(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A PubMed document summary (``esummary``, JSON) as a CSL JSON item.

    ``title`` (without PubMed's closing period), ``author`` (``Family AB`` read as
    family and initials; collective names as ``literal``), ``container-title``
    (``fulljournalname``), ``container-title-short`` (``source``, the NLM abbreviation),
    ``ISSN``, ``issued`` (the year), ``volume``, ``issue``, ``page``, and the
    identifiers ``PMID``, ``DOI`` and ``PMCID`` (from ``articleids``); and ``updates``,
    the retractions, expressions of concern and errata PubMed links to it, in the shape
    of a registrar's update relations.
    """
    item: dict[str, Any] = {"type": "article-journal", "PMID": str(summary.get("uid") or "")}
    if title := _clean_title(str(summary.get("title") or "")):
        item["title"] = title
    if authors := [a for a in map(_author, summary.get("authors") or []) if a]:
        item["author"] = authors
    for key, field in (("fulljournalname", "container-title"), ("source", "container-title-short"),
                       ("volume", "volume"), ("issue", "issue"), ("pages", "page")):
        if str(summary.get(key) or "").strip():
            item[field] = str(summary[key]).strip()
    if issns := [str(summary[k]) for k in ("issn", "essn") if summary.get(k)]:
        item["ISSN"] = issns
    if (year := _year(summary)) is not None:
        item["issued"] = {"date-parts": [[year]]}
    ids = _article_ids(summary)
    if doi := _doi(summary, ids):
        item["DOI"] = doi
    if pmcid := _pmcid(ids):
        item["PMCID"] = pmcid
    if updates := _updates(summary):
        item["updates"] = updates
    return item


def _initials(given: str) -> str:
    """``Daniel S.`` → ``DS``; ``JW`` (initials already) stays ``JW``."""
    words = re.findall(r"[^\W\d_]+", given)
    return "".join(w if is_initials(w) else w[0].upper() for w in words)


def _pubmed_name(person: Mapping[str, Any]) -> dict[str, str] | None:
    if person.get("literal") and not person.get("family"):
        return {"name": str(person["literal"]), "authtype": "CollectiveName", "clusterid": ""}
    if not person.get("family"):
        return None
    particle = " ".join(str(person[k]) for k in ("non-dropping-particle",) if person.get(k))
    family = f"{particle} {person['family']}".strip()
    name = " ".join(p for p in (family, _initials(str(person.get("given") or "")),
                                str(person.get("suffix") or "").rstrip(".")) if p)
    return {"name": name, "authtype": "Author", "clusterid": ""}


def _date_fields(item: Mapping[str, Any]) -> dict[str, str]:
    try:
        parts = [int(p) for p in item["issued"]["date-parts"][0]]
    except (KeyError, IndexError, TypeError, ValueError):
        return {"pubdate": "", "sortpubdate": ""}
    if not parts:
        return {"pubdate": "", "sortpubdate": ""}
    year, month, day = [*parts, 1, 1][:3]
    shown = f"{year} {_MONTHS[month - 1]}" if len(parts) > 1 and 1 <= month <= 12 else str(year)
    return {"pubdate": shown, "sortpubdate": f"{year:04d}/{month:02d}/{day:02d} 00:00"}


def csl_to_esummary(item: Mapping[str, Any], pmid: str) -> dict[str, Any]:
    """The inverse of :func:`esummary_to_csl`: a PubMed document summary from CSL JSON,
    in esummary's shape (PubMed's closing period on the title, ``Family AB`` names)."""
    authors = [n for n in map(_pubmed_name, item.get("author") or []) if n]
    title = str(item.get("title") or "")
    doi, pmcid = item.get("DOI"), normalize_pmcid(str(item.get("PMCID") or ""))
    ids = [{"idtype": "pubmed", "idtypen": 1, "value": pmid}]
    if doi:
        ids.append({"idtype": "doi", "idtypen": 3, "value": str(doi)})
    if pmcid:
        ids += [{"idtype": "pmc", "idtypen": 8, "value": pmcid},
                {"idtype": "pmcid", "idtypen": 5, "value": f"pmc-id: {pmcid};"}]
    issn = item.get("ISSN")
    issns = [str(i) for i in (issn if isinstance(issn, list) else [issn] if issn else [])]
    short = item.get("container-title-short") or item.get("journalAbbreviation")
    return {
        "uid": pmid,
        **_date_fields(item),
        "epubdate": "",
        "source": str(short or item.get("container-title") or ""),
        "authors": authors,
        "lastauthor": authors[-1]["name"] if authors else "",
        "title": title + ("." if title and not title.endswith((".", "?", "!")) else ""),
        "sorttitle": title.lower(),
        "volume": str(item.get("volume") or ""),
        "issue": str(item.get("issue") or ""),
        "pages": str(item.get("page") or ""),
        "lang": ["eng"],
        "issn": issns[0] if issns else "",
        "essn": issns[1] if len(issns) > 1 else "",
        "pubtype": ["Journal Article", *([RETRACTED_TYPE] if any(
            u.get("type") == "retraction" for u in item.get("updates") or []) else [])],
        "references": [{"refsource": "", "reftype": _REFTYPES[u["type"]], "pmid": int(u["PMID"]),
                        "note": ""} for u in item.get("updates") or []
                       if u.get("type") in _REFTYPES and str(u.get("PMID") or "").isdigit()],
        "recordstatus": "PubMed - indexed for MEDLINE",
        "pubstatus": "4",
        "articleids": ids,
        "fulljournalname": str(item.get("container-title") or ""),
        "elocationid": f"doi: {doi}" if doi else "",
        "doctype": "citation",
        "sortfirstauthor": authors[0]["name"] if authors else "",
    }


# --------------------------------------------------------------------------- answers


def _outcome(pmid: str, status: Status, url: str, reason: str | None = None,
             record: dict[str, Any] | None = None, fetched: str | None = None) -> Outcome:
    return Outcome(pmid, status, record=record, reason=reason, source=SOURCE, url=url,
                   fetched=fetched)


def _each(pmids: Iterable[str], status: Status, reason: str, url_of: Callable[[str], str]
          ) -> dict[str, Outcome]:
    return {p: _outcome(p, status, url_of(p), reason) for p in pmids}


def _one(pmid: str, result: Mapping[str, Any], url: str, fetched: str) -> Outcome:
    summary = result.get(pmid)
    if not isinstance(summary, Mapping):
        return _outcome(pmid, "unverified", url,
                        f"PubMed's answer has no summary for PMID {pmid} ({url})")
    if summary.get("error"):
        # only PubMed's word for "no such record" is a verdict; any other error is not
        unknown = re.search(r"cannot get document summary|invalid uid", str(summary["error"]), re.I)
        return _outcome(pmid, "not-found" if unknown else "unverified", url,
                        f"PubMed: {summary['error']} ({url})", fetched=fetched if unknown else None)
    if str(summary.get("uid") or pmid) != pmid:
        return _outcome(pmid, "unverified", url,
                        f"PubMed answered for a different PMID ({summary.get('uid')}) ({url})")
    try:
        record = esummary_to_csl(summary)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return _outcome(pmid, "unverified", url,
                        f"unexpected esummary answer ({type(exc).__name__}: {exc}) ({url})")
    return _outcome(pmid, "ok", url, record=record, fetched=fetched)


def parse_esummary(response: httpx.Response, pmids: list[str], url_of: Callable[[str], str],
                   shown: str) -> dict[str, Outcome]:
    """Each PMID's outcome from one esummary answer (status 200) for ``pmids``;
    ``url_of(pmid)`` is a PMID's own URL, ``shown`` the request's (for messages)."""
    data, problem = load_json(response)
    result = data.get("result") if isinstance(data, dict) else None
    if problem is None and not isinstance(result, dict):
        said = data.get("error") or data.get("esummaryresult") if isinstance(data, dict) else None
        problem = "unexpected esummary answer" + (f" ({said})" if said else " (no 'result')")
    if problem is not None or not isinstance(result, dict):
        return _each(pmids, "unverified", f"{problem} from {shown}", url_of)
    fetched = now_iso()
    return {p: _one(p, result, url_of(p), fetched) for p in pmids}


def parse_esearch(response: httpx.Response, url: str) -> tuple[list[str] | None, str]:
    """The PMIDs of one esearch answer (status 200), best first, or why there are none:
    ``{"header": …, "esearchresult": {"count": "2", "idlist": ["1", "2"], …}}``; a query
    PubMed cannot run is ``{"esearchresult": {"ERROR": "…"}}``."""
    data, problem = load_json(response)
    result = data.get("esearchresult") if isinstance(data, dict) else None
    if problem is None and not isinstance(result, dict):
        said = data.get("error") if isinstance(data, dict) else None
        problem = "unexpected esearch answer" + (f" ({said})" if said else " (no 'esearchresult')")
    if problem is not None or not isinstance(result, dict):
        return None, f"{problem} from {url}"
    if result.get("ERROR"):
        return None, f"PubMed: {result['ERROR']} ({url})"
    ids = result.get("idlist")
    if not isinstance(ids, list) or not all(normalize_pmid(str(i)) == str(i) for i in ids):
        return None, f"unexpected esearch answer (no list of PMIDs) from {url}"
    return [str(i) for i in ids], ""


# --------------------------------------------------------------------------- requests


def ncbi_credentials(client: Client, api_key: str | None) -> dict[str, str]:
    """NCBI's ``tool`` and ``email`` (the client's mailto) parameters, and ``api_key`` if any:
    what E-utilities (and PMC's ID Converter, without the key) are sent."""
    params = {"tool": TOOL}
    if client.mailto:
        params["email"] = client.mailto
    if api_key:
        params["api_key"] = api_key
    return params



class PubMed:
    """PubMed's document summaries for PMIDs, from E-utilities at ``url``, with ``client``'s
    HTTP policy, paced at NCBI's documented limit (more with an ``api_key``)."""

    def __init__(self, client: Client, url: str = DEFAULT_URL, api_key: str | None = None,
                 batch_size: int = MAX_BATCH) -> None:
        self.client = client
        self.url = url.rstrip("/")
        self.api_key = api_key or None
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.limit = KEYED_LIMIT if self.api_key else LIMIT

    def url_for(self, pmids: Iterable[str]) -> str:
        """The esummary URL for these PMIDs, as shown and locked (no tool, e-mail or key)."""
        query = urlencode({"db": "pubmed", "id": ",".join(pmids), "retmode": "json"}, safe=",")
        return f"{self.url}{ESUMMARY_PATH}?{query}"

    @property
    def credentials(self) -> dict[str, str]:
        """NCBI's ``tool``, ``email`` and ``api_key`` parameters, sent with every request."""
        return ncbi_credentials(self.client, self.api_key)

    def fetch_many(self, pmids: Iterable[str]) -> dict[str, Outcome]:
        """Every PMID's outcome, keyed by the PMID as given."""
        return run_sync(self.afetch_many(pmids))

    async def afetch_many(self, pmids: Iterable[str]) -> dict[str, Outcome]:
        limiter = self.client.limiter(self.url, documented=(self.limit, 1.0))
        async with self.client.session(self.credentials) as session:

            async def one(batch: list[str], trace: Trace) -> dict[str, Outcome]:
                url = self.url_for(batch)
                response, problem = await self.client.get(session, limiter, url, "application/json",
                                                          trace)
                if response is None:
                    return _each(batch, "unverified", problem or f"no response from {url}", self._own)
                if response.status_code != 200:
                    return _each(batch, "unverified", f"HTTP {response.status_code} from {url}",
                                 self._own)
                return parse_esummary(response, batch, self._own, url)

            def late(batch: list[str], reason: str, trace: Trace) -> dict[str, Outcome]:
                return _each(batch, "unverified", reason, self._own)

            return await self.client.each_batch(
                pmids, normalize_pmid, self.batch_size, one, late,
                lambda p: Outcome(p, "unverified", reason=f"not a PMID: {p!r}", source=SOURCE),
                concurrency=min(self.client.max_concurrency, self.limit))

    def search_url(self, term: str, rows: int = SEARCH_ROWS) -> str:
        """The esearch URL for a query, as shown and locked (no tool, e-mail or key)."""
        query = urlencode({"db": "pubmed", "term": term, "retmode": "json", "retmax": rows,
                           "sort": "relevance"})
        return f"{self.url}{ESEARCH_PATH}?{query}"

    def search_many(self, terms: Iterable[str], rows: int = SEARCH_ROWS) -> list[Outcome]:
        """One esearch per query (PubMed's syntax: ``word[ti] AND word[ti] AND family[1au]``): each an
        outcome whose ``candidates`` are PubMed's records of the PMIDs found, best first (their
        document summaries, asked together)."""
        return run_sync(self.asearch_many(list(terms), rows))

    async def asearch_many(self, terms: list[str], rows: int = SEARCH_ROWS) -> list[Outcome]:
        limiter = self.client.limiter(self.url, documented=(self.limit, 1.0))
        async with self.client.session(self.credentials) as session:

            async def one(term: str, trace: Trace) -> tuple[list[str] | None, str]:
                url = self.search_url(term, rows)
                response, problem = await self.client.get(session, limiter, url, "application/json",
                                                          trace)
                if response is None or response.status_code != 200:
                    status = response.status_code if response is not None else None
                    return None, problem or f"HTTP {status} from {url}"
                return parse_esearch(response, url)

            def late(term: str, reason: str, trace: Trace) -> tuple[list[str] | None, str]:
                return None, reason

            found = await self.client.each(terms, one, late,
                                           concurrency=min(self.client.max_concurrency, self.limit))
        pmids = list(dict.fromkeys(p for ids, _ in found for p in ids or []))
        records = await self.afetch_many(pmids) if pmids else {}
        fetched = now_iso()
        out = []
        for term, (ids, why) in zip(terms, found, strict=True):
            url = self.search_url(term, rows)
            failed = next((records[p].reason for p in ids or [] if records[p].status == "unverified"),
                          None)
            if ids is None or failed is not None:
                out.append(Outcome(term, "unverified", reason=failed or why, source=SOURCE, url=url))
                continue
            candidates = tuple(r.record for p in ids if (r := records[p]).record is not None)
            out.append(Outcome(term, "ok", candidates=candidates, source=SOURCE, url=url,
                               fetched=fetched))
        return out

    def _own(self, pmid: str) -> str:
        """A PMID's own esummary URL (what is locked as its source)."""
        return self.url_for([pmid])
