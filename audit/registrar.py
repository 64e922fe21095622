"""Fetch registrar metadata for DOIs as CSL JSON: Crossref first, then doi.org.

``RegistrarClient.fetch_many`` asks Crossref's REST API (``GET /works/{doi}``) for
each DOI and, on a Crossref 404 only, doi.org content negotiation for CSL JSON.
Every DOI ends as a :class:`FetchOutcome`:

- ``ok``: a CSL JSON record whose DOI matches the one asked for;
- ``not-found``: a true 404 from *both* Crossref and doi.org;
- ``unverified``: anything else (HTTP errors after bounded retries, time-outs,
  resets, truncated or non-JSON bodies, another DOI's record, redirect loops,
  the run's total deadline). Network and protocol problems never raise.

Politeness: a ``User-Agent`` with a ``mailto``, one rate limiter per host (shared by
every run of a client, across threads) that follows ``X-Rate-Limit-Limit`` /
``X-Rate-Limit-Interval``, ``Retry-After`` on 429/503, exponential back-off with
jitter, and at most ``max_concurrency`` requests in flight per run.

:class:`BackgroundFetch` runs a fetch in a worker thread and takes DOIs as they
become known, so that fetching starts before the whole input has been read.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httpx

from audit import __version__

__all__ = ["BackgroundFetch", "FetchOutcome", "RegistrarClient", "crossref_to_csl", "csl_to_crossref"]

CSL_JSON = "application/vnd.citationstyles.csl+json"
MAX_REDIRECTS = 5
T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0  # never sleep longer than this on one Retry-After
INITIAL_LIMIT = (5, 1.0)  # (requests, per seconds) until a response advertises a limit
UNADVERTISED_LIMIT = (20, 1.0)  # when the server answers without advertising a limit
SCHEDULE_GUARD = 0.03  # the schedule's L-1 requests take this much longer than the window
CATCH_UP = 2  # slots a late schedule may make up at once
MAX_SPARE = 5  # at most this many requests of a window left unused after 429s
RESCHEDULE_CHECK = 0.05  # seconds: how often a request waiting for its slot looks for a new limit

Status = Literal["ok", "not-found", "unverified"]


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
    for key in ("issued", "published-print", "published-online", "published"):
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


# --------------------------------------------------------------------------- outcome


@dataclass(frozen=True)
class FetchOutcome:
    """What the registrar said about one DOI (``reason`` explains anything but ``ok``)."""

    doi: str
    status: Status
    record: dict[str, Any] | None = None
    reason: str | None = None
    source_url: str | None = None
    fetched: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class ShortDOIOutcome:
    """What doi.org said about one shortDOI (``10/abcd``): the DOI it stands for, or why not.

    ``ok``: ``doi`` is the full DOI; ``not-found``: no such handle, or a handle that is
    not an alias; ``unverified``: no usable answer (``reason``).
    """

    short: str
    status: Status
    doi: str | None = None
    reason: str | None = None
    source_url: str | None = None


def _alias(response: httpx.Response) -> tuple[Status, str | None, str | None]:
    """(status, full DOI, why not) from a handle-API answer: the DOI proxy's
    ``{"responseCode": 1, "values": [{"type": "HS_ALIAS", "data": {"value": DOI}}]}``;
    response code 100 is "no such handle", 200 "no value of that type"."""
    try:
        body = response.json()
    except ValueError:
        return "unverified", None, "not JSON"
    if not isinstance(body, dict):
        return "unverified", None, "not a handle record"
    code = body.get("responseCode")
    if code in (100, 200):
        return "not-found", None, f"response code {code}: no such handle, or not an alias"
    if code != 1:
        return "unverified", None, f"response code {code!r}"
    for value in body.get("values") or []:
        data = value.get("data") if isinstance(value, dict) else None
        if value.get("type") == "HS_ALIAS" and isinstance(data, dict):
            target = normalize_doi(str(data.get("value") or ""))
            if target.startswith("10.") and "/" in target:
                return "ok", target, None
    return "not-found", None, "a handle that is not an alias of a DOI"


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on an event loop of its own (in a worker thread when called from
    inside a running loop) and return its result."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_doi(doi: str) -> str:
    """``10.x/y`` from a DOI, a ``doi:`` string or a doi.org URL (case kept)."""
    doi = doi.strip()
    return re.sub(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", "", doi, flags=re.IGNORECASE)


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), MAX_RETRY_AFTER)


def _interval_seconds(value: str) -> float | None:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", value or "")
    if not match:
        return None
    scale = {"ms": 0.001, "s": 1.0, None: 1.0, "m": 60.0, "h": 3600.0}[match.group(2)]
    seconds = float(match.group(1)) * scale
    return seconds if seconds > 0 else None


class _RateLimiter:
    """Paces the requests to one host; shared by every run of a client, across threads.

    For an advertised limit of L requests per W seconds, requests go out on an
    absolute schedule, one every 1.03·W/(L-1) seconds (95 % of the limit for
    L = 50), and never more than L-1 within W seconds. The schedule does not drift
    when a request goes out late: its successors keep their slots, and a schedule
    fallen behind by up to ``CATCH_UP`` slots catches up. The cap holds the
    catching up, or a burst after a stall of the event loop, below the server's own
    limit with one request to spare for jitter on the way there (the server sees L
    in one window only when a request is delayed by a whole slot). Each 429 (the
    jitter was larger: a busy machine) spares one request more, up to ``MAX_SPARE``.
    """

    def __init__(self, limit: int, interval: float, known: bool) -> None:
        self._mutex = threading.Lock()
        self._sent: deque[float] = deque()  # when the last requests went out
        self.next_slot = 0.0
        self.paused_until = 0.0
        self.limit, self.window, self.spacing = 1, interval, interval
        self.advertised: tuple[int, float] | None = None
        self.generation = 0  # counts the changes of limit
        self.spare = 1  # requests of the advertised limit left unused per window
        self._set(limit, interval)
        self.known = known

    def _set(self, limit: int, interval: float, force: bool = False) -> None:
        if (limit, interval) == self.advertised and not force:
            return
        self.advertised = (limit, interval)
        self.generation += 1
        self.limit = max(1, limit - self.spare)
        self.window = interval
        spacing = interval * (1 + SCHEDULE_GUARD) / self.limit
        if self._sent:  # a new limit applies from the last request on
            self.next_slot = min(self.next_slot, self._sent[-1] + spacing)
        self.spacing = spacing

    def _reserve(self, now: float) -> float:
        """The next free slot (now or later), taken."""
        with self._mutex:
            behind = now - self.next_slot
            # behind by a few slots: catch up; by more (idle, or the first request): start now
            slot = max(self.next_slot if behind <= CATCH_UP * self.spacing else now,
                       self.paused_until)
            self.next_slot = slot + self.spacing
            return slot

    def _admit(self, now: float) -> float:
        """0 if a request may go out now (and it is counted), else how long to wait."""
        with self._mutex:
            while self._sent and self._sent[0] <= now - self.window:
                self._sent.popleft()
            wait = self.paused_until - now
            if len(self._sent) >= self.limit:
                wait = max(wait, self._sent[0] + self.window - now)
            if wait > 0:
                return wait
            self._sent.append(now)
            return 0.0

    async def acquire(self) -> None:
        while True:
            generation = self.generation
            now = time.monotonic()
            slot = self._reserve(now)
            while now < slot and generation == self.generation:
                # a slot reserved at a slower rate is given up once a faster one is learned
                await asyncio.sleep(min(slot - now, RESCHEDULE_CHECK))
                now = time.monotonic()
            if generation != self.generation:
                continue
            wait = self._admit(now)
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def observe(self, headers: httpx.Headers) -> None:
        try:
            limit = float(headers["x-rate-limit-limit"])
            interval = _interval_seconds(headers["x-rate-limit-interval"])
        except (KeyError, ValueError):
            if not self.known:  # the server does not advertise a limit
                with self._mutex:
                    self._set(*UNADVERTISED_LIMIT)
                    self.known = True
            return
        if limit >= 1 and interval:
            with self._mutex:
                self._set(int(limit), interval)
                self.known = True

    def pause(self, seconds: float) -> None:
        with self._mutex:
            self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def rejected(self) -> None:
        """The server answered 429: leave one request more of its limit unused."""
        with self._mutex:
            if self.advertised is not None and self.spare < MAX_SPARE:
                self.spare += 1
                self._set(*self.advertised, force=True)


@dataclass
class _Trace:
    attempts: int = 0


# --------------------------------------------------------------------------- client


class RegistrarClient:
    """Fetches CSL JSON for DOIs from Crossref, falling back to doi.org on a Crossref 404.

    ``timeout`` bounds connecting and each read (seconds); ``max_retries`` is the
    number of attempts per URL (the first included); ``total_deadline`` plus
    ``deadline_per_doi`` for each DOI bounds a whole :meth:`fetch_many` run, after
    which the DOIs still pending are ``unverified``.
    """

    def __init__(
        self,
        crossref_url: str = "https://api.crossref.org",
        doi_url: str = "https://doi.org",
        mailto: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        max_concurrency: int = 8,
        total_deadline: float = 120.0,
        backoff_base: float = 0.5,
        deadline_per_doi: float = 0.0,
    ) -> None:
        self.crossref_url = crossref_url.rstrip("/")
        self.doi_url = doi_url.rstrip("/")
        self.mailto = mailto
        self.timeout = timeout
        self.max_retries = max(1, max_retries)
        self.max_concurrency = max(1, max_concurrency)
        self.total_deadline = total_deadline
        self.backoff_base = backoff_base
        self.deadline_per_doi = deadline_per_doi
        self._limiters: dict[str, _RateLimiter] = {}  # by host, for every run of this client
        self._limiters_mutex = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> RegistrarClient:
        """A client configured from ``AUDIT_CROSSREF_URL``, ``AUDIT_DOI_URL``, ``AUDIT_MAILTO``.

        Explicit keyword arguments win over the environment.
        """
        env = os.environ if env is None else env
        settings: dict[str, Any] = {}
        for name, key in (
            ("crossref_url", "AUDIT_CROSSREF_URL"),
            ("doi_url", "AUDIT_DOI_URL"),
            ("mailto", "AUDIT_MAILTO"),
        ):
            if env.get(key):
                settings[name] = env[key]
        settings.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**settings)

    @property
    def user_agent(self) -> str:
        contact = f"; mailto:{self.mailto}" if self.mailto else ""
        return f"manuscript-audit/{__version__} (python-httpx{contact})"

    # -- public, synchronous

    def fetch(self, doi: str) -> FetchOutcome:
        """Fetch one DOI (see :meth:`fetch_many`)."""
        return self.fetch_many([doi])[doi]

    def fetch_many(
        self,
        dois: Iterable[str],
        progress: Callable[[int, int], None] | None = None,
        on_result: Callable[[FetchOutcome], None] | None = None,
    ) -> dict[str, FetchOutcome]:
        """Fetch every DOI; the result maps each DOI as given to its outcome.

        ``progress(done, total)`` is called after each DOI, and ``on_result(outcome)``
        as soon as each outcome is known (so a caller can save work as it goes).
        Runs its own event loop (in a worker thread when called from inside a running loop).
        """
        return run_sync(self.afetch_many(dois, progress, on_result))

    # -- public, asynchronous

    async def afetch_many(
        self,
        dois: Iterable[str],
        progress: Callable[[int, int], None] | None = None,
        on_result: Callable[[FetchOutcome], None] | None = None,
    ) -> dict[str, FetchOutcome]:
        """The asynchronous form of :meth:`fetch_many`."""
        run = _FetchRun(self, progress, on_result)
        run.add(dois)
        return await run.finish()

    def _session(self, mailto: bool = True, params: Mapping[str, str] | None = None
                 ) -> httpx.AsyncClient:
        """The HTTP client of a run; ``mailto``: Crossref's polite-pool parameter on every
        request (the User-Agent carries the address either way); ``params``: other query
        parameters sent with every request, kept out of the URLs that messages show (an
        API key among them)."""
        every = {"mailto": self.mailto} if self.mailto and mailto else {}
        return httpx.AsyncClient(
            headers={"User-Agent": self.user_agent},
            params={**every, **(params or {})} or None,
            timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=self.max_concurrency),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
        )

    def search_many(self, queries: Iterable[str], rows: int = 5) -> list[SearchOutcome]:
        """Crossref bibliographic queries (``/works?query.bibliographic=``), one per reference."""
        return asyncio.run(self._asearch_many(list(queries), rows))

    async def _asearch_many(self, queries: list[str], rows: int) -> list[SearchOutcome]:
        limiter = self._limiter(self.crossref_url)
        semaphore = asyncio.Semaphore(self.max_concurrency)

        async def one(client: httpx.AsyncClient, query: str) -> SearchOutcome:
            url = f"{self.crossref_url}/works?" + urlencode({"query.bibliographic": query,
                                                             "rows": rows})
            async with semaphore:
                response, problem = await self._get(client, limiter, url, "application/json",
                                                    _Trace())
            if response is None or response.status_code != 200:
                status = response.status_code if response is not None else None
                return SearchOutcome(query, "unverified",
                                     reason=problem or f"HTTP {status} from {url}")
            records, problem = _search_items(response)
            if records is None:
                return SearchOutcome(query, "unverified", reason=problem)
            return SearchOutcome(query, "ok", tuple(records))

        async with self._session() as client:
            return list(await asyncio.gather(*(one(client, q) for q in queries)))

    def expand_short_dois(self, shorts: Iterable[str]) -> dict[str, ShortDOIOutcome]:
        """The full DOIs of shortDOIs (``10/abcd``), from doi.org's handle API
        (``/api/handles/10/abcd?type=HS_ALIAS``), keyed by the shortDOI as given."""
        return asyncio.run(self._aexpand(list(dict.fromkeys(shorts))))

    async def _aexpand(self, shorts: list[str]) -> dict[str, ShortDOIOutcome]:
        limiter = self._limiter(self.doi_url)
        semaphore = asyncio.Semaphore(self.max_concurrency)

        async def one(client: httpx.AsyncClient, short: str) -> ShortDOIOutcome:
            handle = normalize_doi(short).lower()
            url = f"{self.doi_url}/api/handles/{quote(handle, safe='/')}?type=HS_ALIAS"
            async with semaphore:
                response, problem = await self._get(client, limiter, url, "application/json",
                                                    _Trace())
            if response is None:
                return ShortDOIOutcome(short, "unverified", reason=problem, source_url=url)
            if response.status_code == 404:
                return ShortDOIOutcome(short, "not-found", reason=f"HTTP 404 from {url}",
                                       source_url=url)
            if response.status_code != 200:
                return ShortDOIOutcome(short, "unverified", source_url=url,
                                       reason=f"HTTP {response.status_code} from {url}")
            status, target, problem = _alias(response)
            return ShortDOIOutcome(short, status, doi=target, source_url=url,
                                   reason=f"{problem} ({url})" if problem else None)

        async with self._session(mailto=False) as client:  # the handle API takes no mailto
            outcomes = await asyncio.gather(*(one(client, s) for s in shorts))
        return {o.short: o for o in outcomes}

    # -- internals

    def _limiter(self, base: str) -> _RateLimiter:
        host = urlsplit(base).netloc
        with self._limiters_mutex:
            if host not in self._limiters:
                self._limiters[host] = _RateLimiter(*INITIAL_LIMIT, known=False)
            return self._limiters[host]

    async def _fetch_one(
        self,
        client: httpx.AsyncClient,
        limiters: dict[str, _RateLimiter],
        given: str,
        trace: _Trace,
    ) -> FetchOutcome:
        doi = normalize_doi(given)
        if not doi.startswith("10."):
            return FetchOutcome(given, "unverified", reason=f"not a DOI: {given!r}")
        path = quote(doi, safe="/")

        def unverified(reason: str, url: str) -> FetchOutcome:
            return FetchOutcome(
                given, "unverified", reason=reason, source_url=url, attempts=trace.attempts
            )

        crossref = f"{self.crossref_url}/works/{path}"
        response, problem = await self._get(
            client, limiters[self.crossref_url], crossref, "application/json", trace
        )
        if response is None:
            return unverified(problem or "no response", crossref)
        if response.status_code == 200:
            return self._accept(given, doi, response, crossref, trace, crossref_format=True)
        if response.status_code != 404:
            return unverified(f"HTTP {response.status_code} from {crossref}", crossref)

        negotiated = f"{self.doi_url}/{path}"
        response, problem = await self._get(
            client, limiters[self.doi_url], negotiated, CSL_JSON, trace
        )
        if response is None:
            return unverified(f"{problem} (after a Crossref 404)", negotiated)
        if response.status_code == 404:
            return FetchOutcome(
                given,
                "not-found",
                reason=f"HTTP 404 from {crossref} and from {negotiated}",
                source_url=negotiated,
                fetched=_utcnow(),
                attempts=trace.attempts,
            )
        if response.status_code != 200:
            return unverified(
                f"HTTP {response.status_code} from {negotiated} (after a Crossref 404)", negotiated
            )
        return self._accept(given, doi, response, negotiated, trace, crossref_format=False)

    async def _get(
        self,
        client: httpx.AsyncClient,
        limiter: _RateLimiter,
        url: str,
        accept: str,
        trace: _Trace,
    ) -> tuple[httpx.Response | None, str | None]:
        """GET with bounded retries: a final response (any status) or a reason."""
        problem = ""
        for attempt in range(1, self.max_retries + 1):
            await limiter.acquire()
            trace.attempts += 1
            wait: float | None = None
            try:
                # the URL's own query goes as parameters: httpx would otherwise replace it
                # with the session's (Crossref's mailto, NCBI's tool, email and api_key)
                target = httpx.URL(url)
                response = await client.get(target.copy_with(query=None), params=target.params,
                                            headers={"Accept": accept})
            except httpx.TooManyRedirects:
                return None, f"redirect loop (more than {MAX_REDIRECTS} redirects) from {url}"
            except httpx.TimeoutException as exc:
                what = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting"
                problem = f"timed out after {self.timeout:g} s {what} for {url}"
            except httpx.RemoteProtocolError as exc:
                text = str(exc)
                if "body" in text or "incomplete" in text.lower():
                    problem = f"truncated response from {url} ({text})"
                else:
                    problem = f"connection reset by {url} ({text})"
            except (httpx.ReadError, httpx.WriteError) as exc:
                problem = f"connection reset by {url} ({str(exc) or type(exc).__name__})"
            except httpx.ConnectError as exc:
                problem = f"could not connect to {url} ({exc})"
            except httpx.HTTPError as exc:
                problem = f"request to {url} failed ({type(exc).__name__}: {exc})"
            else:
                limiter.observe(response.headers)
                if response.status_code not in RETRY_STATUSES:
                    return response, None
                problem = f"HTTP {response.status_code} from {url}"
                wait = _retry_after(response.headers)
                if response.status_code == 429:
                    limiter.pause(wait if wait is not None else self._backoff(attempt))
                    limiter.rejected()
            if attempt < self.max_retries:
                await asyncio.sleep(wait if wait is not None else self._backoff(attempt))
        plural = "s" if self.max_retries != 1 else ""
        return None, f"{problem} after {self.max_retries} attempt{plural}"

    def _backoff(self, attempt: int) -> float:
        """Exponential back-off with "equal jitter": between d/2 and d, d = base·2^(n-1)."""
        delay = min(30.0, self.backoff_base * 2 ** (attempt - 1))
        return delay / 2 + random.uniform(0, delay / 2)

    def _accept(
        self,
        given: str,
        doi: str,
        response: httpx.Response,
        url: str,
        trace: _Trace,
        *,
        crossref_format: bool,
    ) -> FetchOutcome:
        record, problem = _parse(response, crossref_format)
        if record is not None:
            answered = str(record.get("DOI") or "")
            if not answered:
                problem = "registrar answered without a DOI"
            elif answered.lower() != doi.lower():
                problem = f"registrar answered for a different DOI ({answered})"
        if problem is not None or record is None:
            return FetchOutcome(
                given,
                "unverified",
                reason=f"{problem} from {url}",
                source_url=url,
                attempts=trace.attempts,
            )
        return FetchOutcome(
            given, "ok", record=record, source_url=url, fetched=_utcnow(), attempts=trace.attempts
        )


class _FetchRun:
    """One run of fetches in the running event loop; DOIs may be added while it runs.

    The deadline is ``total_deadline`` plus ``deadline_per_doi`` for each DOI added,
    from the start of the run (adding DOIs extends it for every pending one).
    """

    def __init__(
        self,
        client: RegistrarClient,
        progress: Callable[[int, int], None] | None,
        on_result: Callable[[FetchOutcome], None] | None,
    ) -> None:
        self.client, self.progress, self.on_result = client, progress, on_result
        loop = asyncio.get_running_loop()
        self.start = loop.time()
        self.deadline = self.start + client.total_deadline
        bases = (client.crossref_url, client.doi_url)
        self.limiters = {base: client._limiter(base) for base in bases}
        self.semaphore = asyncio.Semaphore(client.max_concurrency)
        self.session = client._session()
        self.wanted: dict[str, None] = {}
        self.results: dict[str, FetchOutcome] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.timeouts: set[asyncio.Timeout] = set()
        self.done = asyncio.Event()
        self.cancelled = False

    def add(self, dois: Iterable[str]) -> None:
        new = [d for d in dict.fromkeys(dois) if d not in self.wanted]
        if not new or self.cancelled:
            return
        for doi in new:
            self.wanted[doi] = None
        self.deadline = (self.start + self.client.total_deadline
                         + self.client.deadline_per_doi * len(self.wanted))
        for timeout in self.timeouts:
            if not timeout.expired():
                timeout.reschedule(self.deadline)
        for doi in new:
            task = asyncio.ensure_future(self._one(doi))
            self.tasks.add(task)
            task.add_done_callback(self._finished)

    def cancel(self) -> None:
        """Drop every pending DOI (and any added later)."""
        self.cancelled = True
        for task in self.tasks:
            task.cancel()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not self.tasks:
            self.done.set()

    async def _one(self, doi: str) -> None:
        trace = _Trace()
        try:
            async with asyncio.timeout_at(self.deadline) as timeout:
                self.timeouts.add(timeout)
                try:
                    async with self.semaphore:
                        outcome = await self.client._fetch_one(self.session, self.limiters, doi, trace)
                finally:
                    self.timeouts.discard(timeout)
        except TimeoutError:
            total = self.deadline - self.start
            outcome = FetchOutcome(
                doi,
                "unverified",
                reason=f"deadline exceeded ({total:g} s for the whole run)",
                attempts=trace.attempts,
            )
        self.results[doi] = outcome
        if self.on_result is not None:
            self.on_result(outcome)
        if self.progress is not None:
            self.progress(len(self.results), len(self.wanted))

    async def finish(self) -> dict[str, FetchOutcome]:
        """Wait for every DOI added (no more may be added), then close the connections."""
        try:
            if self.tasks:
                self.done.clear()
                await self.done.wait()
        finally:
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            await self.session.aclose()
        return {doi: self.results[doi] for doi in self.wanted if doi in self.results}


class BackgroundFetch:
    """:meth:`RegistrarClient.fetch_many` in a worker thread, fed DOIs as they become known.

    ``add`` may be called any number of times; ``finish`` waits for every DOI added
    and returns the outcomes (as ``fetch_many`` does); ``cancel`` stops at once,
    dropping what is still pending. ``progress`` and ``on_result`` are called from
    the worker thread.
    """

    def __init__(
        self,
        client: RegistrarClient,
        progress: Callable[[int, int], None] | None = None,
        on_result: Callable[[FetchOutcome], None] | None = None,
    ) -> None:
        self._client, self._progress, self._on_result = client, progress, on_result
        self._loop = asyncio.new_event_loop()
        self._run: _FetchRun | None = None
        self._future: concurrent.futures.Future[dict[str, FetchOutcome]] | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="registrar-fetch",
                                        daemon=True)
        self._thread.start()
        self._started = asyncio.run_coroutine_threadsafe(self._begin(), self._loop)
        self._started.result()

    async def _begin(self) -> None:
        self._run = _FetchRun(self._client, self._progress, self._on_result)

    def add(self, dois: Iterable[str]) -> None:
        """Fetch these DOIs too (those already added are fetched once)."""
        assert self._run is not None
        self._loop.call_soon_threadsafe(self._run.add, list(dois))

    def finish(self) -> dict[str, FetchOutcome]:
        """Every outcome, by DOI in the order added, once all are known."""
        try:
            return self._finish().result()
        finally:
            self._stop()

    def cancel(self) -> None:
        """Stop fetching; outcomes already handed to ``on_result`` stay handed over."""
        if self._run is not None and self._future is None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._run.cancel)
            with contextlib.suppress(Exception):
                self._finish().result()
        self._stop()

    def _finish(self) -> concurrent.futures.Future[dict[str, FetchOutcome]]:
        if self._future is None:
            assert self._run is not None
            self._future = asyncio.run_coroutine_threadsafe(self._run.finish(), self._loop)
        return self._future

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


@dataclass(frozen=True)
class SearchOutcome:
    """Crossref's answer to one bibliographic query: candidate records, best first."""

    query: str
    status: Status
    candidates: tuple[dict[str, Any], ...] = ()
    reason: str | None = None


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


def load_json(response: httpx.Response) -> tuple[Any, str | None]:
    """The JSON value of a 200 answer, or why there is none (an HTML page, a truncated
    body, invalid JSON)."""
    content_type = response.headers.get("content-type", "").lower()
    text = response.text
    if "html" in content_type or text.lstrip()[:1] == "<":
        return None, f"HTML page instead of JSON (Content-Type {content_type or 'missing'})"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        if text.strip() and exc.pos >= len(text.rstrip()):
            return None, f"truncated response ({len(response.content)} bytes)"
        return None, f"invalid JSON in response ({exc.msg} at char {exc.pos})"


def _parse(
    response: httpx.Response, crossref_format: bool
) -> tuple[dict[str, Any] | None, str | None]:
    """The CSL record in a 200 answer, or why there is none."""
    data, problem = load_json(response)
    if problem is not None:
        return None, problem
    if crossref_format:
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
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        return None, "unexpected CSL JSON (not an object)"
    return data, None
