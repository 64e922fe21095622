"""arXiv: an arXiv identifier's record, from arXiv's export API, as a DOI's is from Crossref.

:class:`ArXiv` asks the API for several identifiers at once (Atom XML)::

    GET {base}/api/query?id_list=2101.01234,hep-th/9901001v2&max_results=2

and reads one ``<entry>`` per article: ``<id>http://arxiv.org/abs/2101.01234v2</id>``
(the identifier with the version answered: the one asked for, else the latest),
``<title>``, ``<author><name>``, ``<published>`` (version 1) and ``<updated>`` (this
version), ``<arxiv:doi>`` (the DOI of the published version, when the authors gave one)
and ``<arxiv:journal_ref>``.

What arXiv answers that is not a record (see the API user manual, "Errors"):

- a request it cannot read (a malformed identifier, a bad parameter) is a feed holding
  one entry whose ``<id>`` is ``http://arxiv.org/api/errors#…`` and whose title is
  ``Error``, with status 400 (200 in older answers): ``unverified``, arXiv's message given;
- an identifier of the right form that arXiv does not have gets no entry (an empty feed,
  or the others' entries only; in older answers an entry without an ``<id>``): that is
  arXiv's "no such article", ``not-found``;
- throttling (``Rate exceeded.``, 429 or 503), HTML pages, broken XML: ``unverified``.

Every identifier ends as an :class:`~audit.model.Outcome`, never as an exception. The
HTTP policy is the shared one (:mod:`audit.sources.http`), paced at arXiv's documented
limit: one request every 3 seconds, one connection at a time.

:func:`entry_to_csl` turns an entry into CSL JSON (type ``article``, ``container-title``
``arXiv``, ``number`` the identifier with its version; the published version's DOI in
``published-doi`` and its reference in ``journal-ref``, never in ``DOI``: arXiv's own DOI
is ``10.48550/arXiv.<id>``), and :func:`csl_to_entry` does the reverse (for the fake
server of the tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from lxml import etree

from audit.identifiers import normalize_arxiv, normalize_doi
from audit.model import Outcome, Status, now_iso
from audit.names import is_suffix
from audit.safexml import parser
from audit.sources.http import Client, Trace, run_sync

__all__ = ["ArXiv", "csl_to_entry", "entry_to_csl", "feed", "parse_feed", "split_version"]

DEFAULT_URL = "https://export.arxiv.org"
QUERY_PATH = "/api/query"
SOURCE = "arxiv"
LIMIT = (1, 3.0)  # arXiv's terms of use: at most one request every 3 seconds
MAX_BATCH = 100  # identifiers a request (the URL stays short)
ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
ERRORS = "arxiv.org/api/errors"  # the <id> of an error entry
ARXIV_DOI = "10.48550/arxiv."  # the DOI arXiv registers for every article (DataCite)
_ABS = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/abs/(?P<id>.+?)/?$", re.IGNORECASE)
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "dos",
                        "das", "la", "le", "ter", "ten", "zu", "al", "el", "bin", "ibn"})
_GROUP = re.compile(r"(?i)\b(?:collaboration|consortium|group|team|project|initiative)\b")


def split_version(arxiv_id: str) -> tuple[str, int | None]:
    """``2101.01234v2`` -> ``("2101.01234", 2)``; ``hep-th/9901001`` -> ``("hep-th/9901001", None)``."""
    match = re.fullmatch(r"(.+?)v(\d+)", arxiv_id)
    return (match.group(1), int(match.group(2))) if match else (arxiv_id, None)


# --------------------------------------------------------------------------- conversion


def _text(element: etree._Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _person(name: str) -> dict[str, str]:
    """CSL name parts from arXiv's ``Given Family`` (``Given van Family Jr.``); a
    collaboration as ``literal``."""
    tokens = name.split()
    if _GROUP.search(name) or len(tokens) < 2:
        return {"literal": name}
    suffix = tokens.pop().rstrip(",") if len(tokens) > 2 and is_suffix(tokens[-1].rstrip(",")) else None
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1].lower() in _PARTICLES:
        start -= 1
    person = {"family": " ".join(tokens[start:]), "given": " ".join(tokens[:start]).rstrip(",")}
    if suffix:
        person["suffix"] = suffix.rstrip(".")
    return person


def _year(value: str) -> int | None:
    match = re.match(r"\s*(\d{4})-", value)
    return int(match.group(1)) if match else None


def entry_to_csl(entry: etree._Element) -> dict[str, Any]:
    """An arXiv API ``<entry>`` as a CSL JSON item (see the module docstring).

    :class:`ValueError` if the entry names no arXiv article (an error entry, or none)."""
    answered = _abs_id(_text(entry.find(f"{{{ATOM}}}id")))
    if answered is None:
        raise ValueError("the entry names no arXiv article")
    version = split_version(answered)[1]
    item: dict[str, Any] = {"type": "article", "container-title": "arXiv", "publisher": "arXiv",
                            "number": answered, "URL": f"https://arxiv.org/abs/{answered}"}
    if version is not None:
        item["version"] = str(version)
    if title := _text(entry.find(f"{{{ATOM}}}title")):
        item["title"] = title
    names = [_text(a.find(f"{{{ATOM}}}name")) for a in entry.findall(f"{{{ATOM}}}author")]
    if authors := [_person(n) for n in names if n]:
        item["author"] = authors
    published = _year(_text(entry.find(f"{{{ATOM}}}published")))
    updated = _year(_text(entry.find(f"{{{ATOM}}}updated")))
    if published is not None:
        item["issued"] = {"date-parts": [[published]]}
    if updated is not None:  # this version's date
        item["available-date"] = {"date-parts": [[updated]]}
    doi = normalize_doi(_text(entry.find(f"{{{ARXIV}}}doi"))).doi
    if doi and not doi.startswith(ARXIV_DOI):
        item["published-doi"] = doi
    if journal := _text(entry.find(f"{{{ARXIV}}}journal_ref")):
        item["journal-ref"] = journal
    return item


def _abs_id(text: str) -> str | None:
    """The arXiv identifier of an entry's ``<id>`` (``http://arxiv.org/abs/2101.01234v2``)."""
    match = _ABS.match(text.strip())
    return normalize_arxiv(match.group("id")) if match else None


def _given_family(person: Mapping[str, Any]) -> str:
    if person.get("literal"):
        return str(person["literal"])
    parts = [person.get("given"), person.get("non-dropping-particle"), person.get("family")]
    name = " ".join(str(p) for p in parts if p)
    return f"{name} {person['suffix']}" if person.get("suffix") else name


def _date(item: Mapping[str, Any], key: str) -> str:
    try:
        parts = [int(p) for p in item[key]["date-parts"][0]]
    except (KeyError, IndexError, TypeError, ValueError):
        return ""
    year, month, day = [*parts, 1, 1][:3]
    return f"{year:04d}-{month:02d}-{day:02d}T00:00:00Z"


def csl_to_entry(item: Mapping[str, Any], arxiv_id: str) -> str:
    """The inverse of :func:`entry_to_csl`: an arXiv API ``<entry>`` (XML text) from CSL
    JSON, for ``arxiv_id`` as answered (with its version). The published version's DOI is
    the item's ``published-doi``, else its ``DOI`` unless that is arXiv's own."""
    published = _date(item, "issued")
    updated = _date(item, "available-date") or published
    doi = str(item.get("published-doi") or "")
    if not doi and item.get("DOI") and not str(item["DOI"]).lower().startswith(ARXIV_DOI):
        doi = str(item["DOI"])
    authors = "".join(f"<author><name>{escape(_given_family(a))}</name></author>"
                      for a in item.get("author") or [] if _given_family(a))
    extra = (f"<arxiv:doi>{escape(doi)}</arxiv:doi>" if doi else "") + (
        f"<arxiv:journal_ref>{escape(str(item['journal-ref']))}</arxiv:journal_ref>"
        if item.get("journal-ref") else "")
    return (f"<entry><id>http://arxiv.org/abs/{escape(arxiv_id)}</id>"
            f"<updated>{updated}</updated><published>{published}</published>"
            f"<title>{escape(str(item.get('title') or ''))}</title>"
            f"<summary>{escape(str(item.get('abstract') or ''))}</summary>{authors}{extra}"
            f'<link href="http://arxiv.org/abs/{escape(arxiv_id)}" rel="alternate" type="text/html"/>'
            "</entry>")


def feed(entries: Iterable[str], query: str = "", total: int | None = None) -> bytes:
    """An arXiv API answer (an Atom feed) holding these entries (XML text)."""
    body = list(entries)
    count = len(body) if total is None else total
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<feed xmlns="{ATOM}" xmlns:arxiv="{ARXIV}" xmlns:opensearch="{OPENSEARCH}">'
            f'<link href="http://arxiv.org/api/query?{escape(query)}" rel="self" '
            'type="application/atom+xml"/>'
            f'<title type="html">ArXiv Query: {escape(query)}</title>'
            f"<opensearch:totalResults>{count}</opensearch:totalResults>"
            "<opensearch:startIndex>0</opensearch:startIndex>"
            f"<opensearch:itemsPerPage>{count}</opensearch:itemsPerPage>"
            + "".join(body) + "</feed>").encode()


def error_feed(message: str, fragment: str) -> bytes:
    """arXiv's answer to a request it cannot read: one entry, titled ``Error``."""
    link = f"http://arxiv.org/api/errors#{escape(fragment)}"
    return feed([f"<entry><id>{link}</id><title>Error</title><summary>{escape(message)}</summary>"
                 f'<link href="{link}" rel="alternate" type="text/html"/>'
                 "<author><name>arXiv api core</name></author></entry>"])


# --------------------------------------------------------------------------- answers


@dataclass
class Feed:
    """What one answer holds: the entries by identifier (with version), arXiv's error
    message if the answer is one, or why it could not be read."""

    entries: dict[str, etree._Element] = field(default_factory=dict)
    error: str | None = None
    problem: str | None = None


def parse_feed(content: bytes) -> Feed:
    """The entries of an arXiv API answer, by the identifier each names (with its version).

    An error entry (``<id>`` on ``arxiv.org/api/errors``, or titled ``Error``) makes the
    answer an error (``error``, arXiv's message); an answer that is not an Atom feed of
    arXiv's API (no ``opensearch:totalResults``), or not XML, is a ``problem``."""
    text = content.lstrip()
    if not text.startswith(b"<"):
        shown = content[:60].decode("utf-8", "replace").strip()
        return Feed(problem=f"not an Atom feed ({shown!r})")
    try:
        root = etree.fromstring(content, parser())
    except etree.XMLSyntaxError as exc:
        return Feed(problem=f"not well-formed XML ({exc.msg})")
    if root.tag != f"{{{ATOM}}}feed":
        return Feed(problem=f"not an Atom feed (<{etree.QName(root).localname}>)")
    out = Feed()
    for entry in root.iterfind(f"{{{ATOM}}}entry"):
        ident = _text(entry.find(f"{{{ATOM}}}id"))
        title = _text(entry.find(f"{{{ATOM}}}title"))
        if ERRORS in ident or title == "Error":
            out.error = _text(entry.find(f"{{{ATOM}}}summary")) or title or "error"
            continue
        answered = _abs_id(ident)
        if answered is not None:
            out.entries[answered] = entry
        elif ident:  # an entry for something else than an article: not arXiv's API speaking
            out.problem = f"an entry that names no arXiv article ({ident!r})"
        # an entry without an <id>: arXiv's placeholder for an identifier it does not have
    if out.error is None and out.problem is None and root.find(f"{{{OPENSEARCH}}}totalResults") is None:
        out.problem = "an Atom feed that is not an arXiv API answer (no opensearch:totalResults)"
    return out


def _outcome(asked: str, status: Status, url: str, reason: str | None = None,
             record: dict[str, Any] | None = None, fetched: str | None = None) -> Outcome:
    return Outcome(asked, status, record=record, reason=reason, source=SOURCE, url=url,
                   fetched=fetched)


def _each(ids: Iterable[str], status: Status, reason: str, url_of: Callable[[str], str]
          ) -> dict[str, Outcome]:
    return {i: _outcome(i, status, url_of(i), reason) for i in ids}


def _match(asked: str, entries: Mapping[str, etree._Element], claimed: set[str]
           ) -> tuple[str | None, str | None]:
    """The answered identifier for ``asked`` (that version, or any when none is asked), and
    else the versions of its article answered that no other identifier asked for."""
    base, version = split_version(asked)
    found = [a for a in entries if split_version(a)[0] == base]
    for answered in found:
        if version is None or split_version(answered)[1] == version:
            return answered, None
    return None, ", ".join(a for a in found if a not in claimed) or None


def outcomes(data: Feed, ids: list[str], url_of: Callable[[str], str], shown: str
             ) -> dict[str, Outcome]:
    """Each identifier's outcome from one parsed answer for ``ids``; ``url_of(id)`` is an
    identifier's own URL, ``shown`` the request's (for messages)."""
    if data.problem is not None:
        return _each(ids, "unverified", f"{data.problem} from {shown}", url_of)
    fetched = now_iso()
    out = {}
    claimed = {i for i in ids if i in data.entries}  # versions asked for as such
    for asked in ids:
        answered, others = _match(asked, data.entries, claimed)
        url = url_of(asked)
        if answered is not None:
            try:
                record = entry_to_csl(data.entries[answered])
            except ValueError as exc:
                out[asked] = _outcome(asked, "unverified", url, f"{exc} ({url})")
                continue
            out[asked] = _outcome(asked, "ok", url, record=record, fetched=fetched)
        elif data.error is not None:
            out[asked] = _outcome(asked, "unverified", url, f"arXiv: {data.error} ({shown})")
        elif others:
            out[asked] = _outcome(asked, "unverified", url,
                                  f"arXiv answered for another version ({others}) ({url})")
        else:
            out[asked] = _outcome(asked, "not-found", url,
                                  f"arXiv has no article {asked} ({url})", fetched=fetched)
    return out


# --------------------------------------------------------------------------- requests


class ArXiv:
    """arXiv's records for arXiv identifiers, from the export API at ``url``, with
    ``client``'s HTTP policy, paced at arXiv's documented limit (``pace``: requests per
    seconds), one request at a time."""

    def __init__(self, client: Client, url: str = DEFAULT_URL, batch_size: int = MAX_BATCH,
                 pace: tuple[int, float] = LIMIT) -> None:
        self.client = client
        self.url = url.rstrip("/")
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.pace = pace

    def url_for(self, ids: Iterable[str]) -> str:
        """The query URL for these identifiers, as shown and locked."""
        wanted = list(ids)
        query = urlencode({"id_list": ",".join(wanted), "max_results": str(len(wanted))},
                          safe=",/")
        return f"{self.url}{QUERY_PATH}?{query}"

    def fetch_many(self, ids: Iterable[str]) -> dict[str, Outcome]:
        """Every identifier's outcome, keyed by the identifier as given."""
        return run_sync(self.afetch_many(ids))

    async def afetch_many(self, ids: Iterable[str]) -> dict[str, Outcome]:
        limiter = self.client.limiter(self.url, documented=self.pace)
        async with self.client.session() as session:

            async def one(batch: list[str], trace: Trace) -> dict[str, Outcome]:
                url = self.url_for(batch)
                response, problem = await self.client.get(
                    session, limiter, url, "application/atom+xml", trace)
                if response is None:
                    return _each(batch, "unverified", problem or f"no response from {url}", self._own)
                data = parse_feed(response.content)
                if response.status_code != 200:
                    said = f" (arXiv: {data.error})" if data.error else ""
                    return _each(batch, "unverified", f"HTTP {response.status_code}{said} from {url}",
                                 self._own)
                return outcomes(data, batch, self._own, url)

            def late(batch: list[str], reason: str, trace: Trace) -> dict[str, Outcome]:
                return _each(batch, "unverified", reason, self._own)

            return await self.client.each_batch(
                ids, normalize_arxiv, self.batch_size, one, late,
                lambda i: Outcome(i, "unverified", reason=f"not an arXiv identifier: {i!r}",
                                  source=SOURCE),
                concurrency=1)

    def _own(self, arxiv_id: str) -> str:
        """An identifier's own query URL (what is locked as its source)."""
        return self.url_for([arxiv_id])
