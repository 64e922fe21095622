"""Crossref's REST API: a DOI's record (``GET /works/{doi}``), many DOIs' records at once
(``GET /works?filter=doi:A,doi:B&rows=N&select=…``, a ``work-list``), bibliographic search
(``GET /works?query.bibliographic=…``), and Crossref's ``work`` format as CSL JSON.

List queries (the DOIs' and the searches') are paced apart from single lookups: Crossref
may limit them apart (:meth:`~audit.sources.http.Client.limiter`, ``lists=True``).

:func:`crossref_to_csl` turns a Crossref ``work`` message into the CSL JSON item the
checks compare (update relations kept: retractions, expressions of concern,
corrections, Retraction Watch's among them); :func:`csl_to_crossref` is its inverse,
for the fake registrar (:mod:`audit.sources.fake`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx

from audit.model import Outcome
from audit.sources.http import Client, Trace, load_json, run_sync

__all__ = ["DEFAULT_URL", "Crossref", "crossref_to_csl", "csl_to_crossref", "parse_work"]

DEFAULT_URL = "https://api.crossref.org"
SOURCE = "crossref"
# The fields of a work a list query asks for (``select=``): those :func:`crossref_to_csl`
# reads, the notices (``updated-by``, ``update-to``) among them, so that a record from a list
# is the record ``/works/{doi}`` gives (a test holds the two to it). Only long-standing
# elements: Crossref answers 400 to a select= naming one it does not know, and a list query
# that fails leaves every DOI in it to a single lookup (newer fields such as ``published``
# are left out; ``issued``, which every work has, is the earliest of its publication dates)
SELECT = ("DOI", "type", "title", "subtitle", "author", "editor", "container-title",
          "short-container-title", "ISSN", "issn-type", "issued", "published-print",
          "published-online", "volume", "issue", "page", "publisher", "URL",
          "ISBN", "updated-by", "update-to")
# A list query's URL, as sent (percent-encoded, the mailto included), stays within this many
# characters: half the 8,000 that RFC 9110 asks servers to accept (and the 8 KiB request line
# of common proxies and servers), room for about 100 DOIs
MAX_URL = 4000
MAX_BATCH = 100  # DOIs in one list query (rows=), whatever their length


# --------------------------------------------------------------------------- conversion

_CROSSREF_TO_CSL_TYPE = {
    "journal-article": "article-journal",
    "proceedings-article": "paper-conference",
    "book-chapter": "chapter",
    "book-section": "chapter",
    "book-part": "chapter",
    "book-track": "chapter",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "book-set": "book",
    "book-series": "book",
    "proceedings": "book",
    "posted-content": "article",
    "component": "article",
    "dataset": "dataset",
    "database": "dataset",
    "report": "report",
    "report-series": "report",
    "report-component": "report",
    "dissertation": "thesis",
    "reference-entry": "entry",
    "standard": "standard",
    "peer-review": "review",
    "journal": "periodical",
    "journal-issue": "periodical",
    "journal-volume": "periodical",
}
_CSL_TO_CROSSREF_TYPE = {
    "article-journal": "journal-article",
    "paper-conference": "proceedings-article",
    "chapter": "book-chapter",
    "book": "book",
    "article": "posted-content",
    "dataset": "dataset",
    "report": "report",
    "thesis": "dissertation",
    "entry": "reference-entry",
    "entry-dictionary": "reference-entry",
    "entry-encyclopedia": "reference-entry",
    "standard": "standard",
    "review": "peer-review",
    "periodical": "journal",
}


def _first(value: Any) -> str | None:
    """The first non-empty string of a Crossref list field (or the string itself)."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _date_parts(date: Any) -> list[int] | None:
    """``[y, m, d]`` (as long as known) from a ``{"date-parts": [[...]]}`` object."""
    try:
        parts = date["date-parts"][0]
        out = [int(p) for p in parts if p is not None]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return out or None


def _iso_date(date: Any) -> str | None:
    parts = _date_parts(date)
    return "-".join(f"{p:02d}" for p in parts) if parts else None


def _convert_name(person: Mapping[str, Any], literal_from: str, literal_to: str
                  ) -> dict[str, str] | None:
    """One person between Crossref (``name``) and CSL (``literal``) naming of literal names."""
    if not isinstance(person, Mapping):
        return None
    if person.get("family"):
        name = {"family": str(person["family"])}
        for key in ("given", "suffix"):
            if person.get(key):
                name[key] = str(person[key])
        return name
    literal = person.get(literal_from) or person.get("given")
    return {literal_to: str(literal)} if literal else None


def _crossref_name(person: Mapping[str, Any]) -> dict[str, str] | None:
    return _convert_name(person, "name", "literal")


def _csl_name(person: Mapping[str, Any]) -> dict[str, str] | None:
    return _convert_name(person, "literal", "name")


def _update(relation: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(relation.get("type") or "update").strip().lower().replace("-", "_")
    update: dict[str, Any] = {"type": kind.replace(" ", "_"), "DOI": relation.get("DOI")}
    update["source"] = relation.get("source") or "publisher"
    update["date"] = _iso_date(relation.get("updated"))
    update["label"] = relation.get("label") or kind.replace("_", " ").capitalize()
    return update


def _relation(update: Mapping[str, Any]) -> dict[str, Any]:
    relation: dict[str, Any] = {
        "type": update.get("type"),
        "DOI": update.get("DOI"),
        "source": update.get("source") or "publisher",
        "label": update.get("label"),
    }
    if update.get("date"):
        parts = [int(p) for p in str(update["date"]).split("-") if p.isdigit()]
        relation["updated"] = {"date-parts": [parts]}
    return {k: v for k, v in relation.items() if v is not None}


def crossref_to_csl(message: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a Crossref ``work`` message into a CSL JSON item.

    Update relations are kept: ``updates`` lists the notices that update *this* work
    (Crossref's ``updated-by``: retractions, expressions of concern, corrections,
    including Retraction Watch entries with ``"source": "retraction-watch"``), each
    ``{"type", "DOI", "source", "date", "label"}``; ``notice-for`` lists, in the same
    shape, the works that this record is itself a notice for (``update-to``).
    """
    item: dict[str, Any] = {"type": _CROSSREF_TO_CSL_TYPE.get(message.get("type", ""), "article")}
    if message.get("DOI"):
        item["DOI"] = str(message["DOI"])
    title, subtitle = _first(message.get("title")), _first(message.get("subtitle"))
    if title and subtitle and subtitle.lower() not in title.lower():
        title = f"{title}: {subtitle}"
    if title or subtitle:
        item["title"] = title or subtitle
    for role in ("author", "editor"):
        names = [n for n in map(_crossref_name, message.get(role) or []) if n]
        if names:
            item[role] = names
    if container := _first(message.get("container-title")):
        item["container-title"] = container
    if short := _first(message.get("short-container-title")):
        item["container-title-short"] = short
    issns = message.get("ISSN") or [
        t.get("value") for t in message.get("issn-type") or [] if isinstance(t, Mapping)
    ]
    issns = [str(i) for i in ([issns] if isinstance(issns, str) else issns) if i]
    if issns:
        item["ISSN"] = list(dict.fromkeys(issns))
    for key in ("issued", "published-print", "published-online"):
        if parts := _date_parts(message.get(key)):
            item["issued"] = {"date-parts": [parts]}
            break
    for key in ("volume", "issue", "page", "publisher", "URL"):
        if message.get(key) not in (None, ""):
            item[key] = str(message[key])
    if isbn := _first(message.get("ISBN")):
        item["ISBN"] = isbn
    if updates := [_update(u) for u in message.get("updated-by") or [] if isinstance(u, Mapping)]:
        item["updates"] = updates
    if notices := [_update(u) for u in message.get("update-to") or [] if isinstance(u, Mapping)]:
        item["notice-for"] = notices
    return item


def csl_to_crossref(item: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`crossref_to_csl`: a Crossref ``work`` message from CSL JSON."""
    message: dict[str, Any] = {"type": _CSL_TO_CROSSREF_TYPE.get(item.get("type", ""), "other")}
    if item.get("DOI"):
        message["DOI"] = str(item["DOI"])
    message["title"] = [str(item["title"])] if item.get("title") else []
    for role in ("author", "editor"):
        names = [n for n in map(_csl_name, item.get(role) or []) if n]
        if names:
            message[role] = [
                {**n, "sequence": "first" if i == 0 else "additional", "affiliation": []}
                for i, n in enumerate(names)
            ]
    message["container-title"] = (
        [str(item["container-title"])] if item.get("container-title") else []
    )
    short = item.get("container-title-short") or item.get("journalAbbreviation")
    message["short-container-title"] = [str(short)] if short else []
    issn = item.get("ISSN")
    if issn:
        message["ISSN"] = [str(i) for i in (issn if isinstance(issn, list) else [issn])]
    if parts := _date_parts(item.get("issued")):
        message["issued"] = {"date-parts": [parts]}
        message["published"] = {"date-parts": [parts]}
    for key in ("volume", "issue", "page", "publisher", "URL"):
        if item.get(key) not in (None, ""):
            message[key] = str(item[key])
    if item.get("ISBN"):
        message["ISBN"] = [str(item["ISBN"])]
    if item.get("updates"):
        message["updated-by"] = [_relation(u) for u in item["updates"]]
    if item.get("notice-for"):
        message["update-to"] = [_relation(u) for u in item["notice-for"]]
    return message



# --------------------------------------------------------------------------- answers


def parse_work(response: httpx.Response) -> tuple[dict[str, Any] | None, str | None]:
    """The CSL record in a 200 answer to ``/works/{doi}``, or why there is none."""
    data, problem = load_json(response)
    if problem is not None:
        return None, problem
    if not (
        isinstance(data, dict)
        and data.get("status") == "ok"
        and data.get("message-type") == "work"
        and isinstance(data.get("message"), dict)
    ):
        return None, "unexpected Crossref answer (not a work message)"
    try:
        return crossref_to_csl(data["message"]), None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return None, f"unexpected Crossref answer ({type(exc).__name__}: {exc})"


def parse_work_list(response: httpx.Response) -> tuple[dict[str, dict[str, Any]], str | None]:
    """The CSL records in a 200 answer to a list query (a ``work-list``), by lower-case DOI,
    or why there are none. An item that is not a usable work is left out (its DOI is then
    asked singly)."""
    data, problem = load_json(response)
    if problem is not None:
        return {}, problem
    message = data.get("message") if isinstance(data, dict) else None
    items = message.get("items") if isinstance(message, dict) else None
    if not (isinstance(data, dict) and data.get("status") == "ok"
            and data.get("message-type") == "work-list" and isinstance(items, list)):
        return {}, "unexpected Crossref answer (not a work-list message)"
    records: dict[str, dict[str, Any]] = {}
    for item in items:
        if not (isinstance(item, dict) and isinstance(item.get("DOI"), str)):
            continue
        try:
            records[item["DOI"].strip().lower()] = crossref_to_csl(item)
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return records, None


def _search_items(response: httpx.Response) -> tuple[list[dict[str, Any]] | None, str | None]:
    content_type = response.headers.get("content-type", "").lower()
    if "html" in content_type:
        return None, f"HTML page instead of JSON (Content-Type {content_type})"
    try:
        data = response.json()
        items = data["message"]["items"]
        if data.get("message-type") != "work-list" or not isinstance(items, list):
            raise TypeError("not a work-list")
        records = []
        for item in items:
            record = crossref_to_csl(item)
            record["score"] = float(item.get("score") or 0.0)
            records.append(record)
        return records, None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return None, f"unexpected Crossref search answer ({type(exc).__name__}: {exc})"


# --------------------------------------------------------------------------- requests


class Crossref:
    """Crossref's REST API at ``url``, with ``client``'s HTTP policy. Crossref's polite pool
    wants the contact address as ``mailto=`` on every request (and in the User-Agent)."""

    def __init__(self, client: Client, url: str = DEFAULT_URL) -> None:
        self.client = client
        self.url = url.rstrip("/")

    def session(self) -> httpx.AsyncClient:
        return self.client.session({"mailto": self.client.mailto} if self.client.mailto else None)

    def work_url(self, doi: str) -> str:
        return f"{self.url}/works/{quote(doi, safe='/')}"

    async def work(self, session: httpx.AsyncClient, doi: str, trace: Trace
                   ) -> tuple[httpx.Response | None, str | None]:
        """Crossref's answer for one DOI (any status), or why there is none."""
        return await self.client.get(session, self.client.limiter(self.url), self.work_url(doi),
                                     "application/json", trace)

    def list_url(self, dois: list[str]) -> str:
        """The list query for these DOIs' records (``filter=doi:A,doi:B``, ``rows``,
        ``select``), as sent but for the session's mailto."""
        return str(httpx.URL(f"{self.url}/works", params={
            "filter": ",".join(f"doi:{doi}" for doi in dois), "rows": str(len(dois)),
            "select": ",".join(SELECT)}))

    def batches(self, dois: Iterable[str], size: int = MAX_BATCH) -> list[list[str]]:
        """``dois`` in list queries of at most ``size`` DOIs whose URLs, as sent, stay within
        :data:`MAX_URL` characters. A DOI with a comma cannot be one of a filter's values: it
        is left out (to be asked singly)."""
        mailto = f"mailto={quote_plus(self.client.mailto, safe='')}&" if self.client.mailto else ""
        # the URL's length with no DOI, rows at its longest; then each DOI adds its own
        fixed = len(self.list_url([])) + len(mailto) + len(str(size))
        out: list[list[str]] = []
        batch: list[str] = []
        length = fixed
        for doi in dois:
            if "," in doi:
                continue
            more = len(quote_plus(f"doi:{doi}", safe="")) + len(quote_plus(",", safe=""))
            if batch and (len(batch) >= size or length + more > MAX_URL):
                out.append(batch)
                batch, length = [], fixed
            batch.append(doi)
            length += more
        return [*out, batch] if batch else out

    async def works(self, session: httpx.AsyncClient, dois: list[str], trace: Trace
                    ) -> tuple[dict[str, dict[str, Any]], str | None]:
        """Crossref's records for these DOIs from one list query, by lower-case DOI (those it
        has; the others are not in its answer), or why there is no answer."""
        url = self.list_url(dois)
        response, problem = await self.client.get(session, self.client.limiter(self.url, lists=True),
                                                  url, "application/json", trace)
        if response is None:
            return {}, problem or "no response"
        if response.status_code != 200:
            return {}, f"HTTP {response.status_code} from {url}"
        return parse_work_list(response)

    def search_many(self, queries: Iterable[str], rows: int = 5) -> list[Outcome]:
        """One bibliographic query per reference (``/works?query.bibliographic=``): each
        an outcome whose ``candidates`` are Crossref's records, best first."""
        return run_sync(self._search_many(list(queries), rows))

    async def _search_many(self, queries: list[str], rows: int) -> list[Outcome]:
        limiter = self.client.limiter(self.url, lists=True)
        async with self.session() as session:

            async def one(query: str, trace: Trace) -> Outcome:
                url = f"{self.url}/works?" + urlencode({"query.bibliographic": query, "rows": rows})
                response, problem = await self.client.get(session, limiter, url,
                                                          "application/json", trace)
                if response is None or response.status_code != 200:
                    status = response.status_code if response is not None else None
                    return Outcome(query, "unverified", source=SOURCE, url=url,
                                   reason=problem or f"HTTP {status} from {url}")
                records, problem = _search_items(response)
                if records is None:
                    return Outcome(query, "unverified", reason=problem, source=SOURCE, url=url)
                return Outcome(query, "ok", candidates=tuple(records), source=SOURCE, url=url)

            def late(query: str, reason: str, trace: Trace) -> Outcome:
                return Outcome(query, "unverified", reason=reason, source=SOURCE)

            return await self.client.each(queries, one, late)
