"""The fake registrar's HTTP server: one handler, a route per source, the scenarios'
faults, rate limiting and the record of what it was asked."""

from __future__ import annotations

import json
import math
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Mapping
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from audit.identifiers import normalize_arxiv, normalize_pmcid
from audit.sources import arxiv as arxiv_api
from audit.sources import pmc as pmc_api
from audit.sources.crossref import csl_to_crossref
from audit.sources.fake.data import (
    CSL_JSON,
    RETRACTION_NOTICE,
    STATUS_KINDS,
    Scenario,
    arxiv_entry,
    arxiv_from_csl,
    esearch,
    esummary,
    ids_in,
    pmc_esummary,
    pmc_from_csl,
    pubmed_from_csl,
    search,
)
from audit.sources.pubmed import ESEARCH_PATH, ESUMMARY_PATH, MAX_BATCH


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    fake: FakeRegistrar

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (time-outs, resets) are expected here: stay quiet."""


class FakeRegistrar:
    """The server; use as a context manager, then point the client at :attr:`url`."""

    def __init__(
        self,
        records: Mapping[str, Mapping[str, Any]],
        *,
        scenarios: Mapping[str, Scenario | str] | None = None,
        rate_limit: int | None = None,
        rate_interval: float = 1.0,
        latency: float = 0.0,
        list_rate_limit: int | None = None,
        concurrency_limit: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        aliases: Mapping[str, str] | None = None,
        pubmed: Mapping[str, Mapping[str, Any]] | None = None,
        pmc: Mapping[str, Mapping[str, Any]] | None = None,
        arxiv: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.records = {doi.lower(): dict(item) for doi, item in records.items()}
        self.pubmed = pubmed_from_csl(records.values()) if pubmed is None else {
            pmid: dict(item) for pmid, item in pubmed.items()}
        self.pmc = pmc_from_csl([*self.pubmed.values(), *self.records.values()]) if pmc is None \
            else {str(normalize_pmcid(k) or k): dict(item) for k, item in pmc.items()}
        self.arxiv = arxiv_from_csl(self.records.values()) if arxiv is None else {
            arxiv_api.split_version(normalize_arxiv(k) or k)[0]: dict(item)
            for k, item in arxiv.items()}
        self.aliases = {short.lower(): doi for short, doi in (aliases or {}).items()}
        self.scenarios = {
            doi.lower(): Scenario.parse(spec) for doi, spec in (scenarios or {}).items()
        }
        self.rate_limit, self.rate_interval, self.latency = rate_limit, rate_interval, latency
        # Crossref's list queries (/works?filter=…, ?query…) have a limit (and a count) of their
        # own, the rate limit's unless given; all requests count towards the concurrency limit
        self.list_rate_limit = list_rate_limit or rate_limit
        self.concurrency_limit = concurrency_limit
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._log: list[tuple[str, dict[str, str], str | None, int | None]] = []
        self._arrivals: list[float] = []  # time.monotonic() of each request, as logged
        self._failures: dict[str, int] = {}
        self._stamps: deque[float] = deque()
        self._list_stamps: deque[float] = deque()
        self._in_flight = 0
        self._stopping = threading.Event()
        self._server = _Server((host, port), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    # -- lifecycle

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host if isinstance(host, str) else host.decode()}:{port}"

    def start(self) -> FakeRegistrar:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()  # wakes stalled handlers (latency, hang)
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeRegistrar:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the server saw

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        """Every request received, in order, as ``(path, headers)``."""
        with self._lock:
            return [(path, dict(headers)) for path, headers, _, _ in self._log]

    @property
    def statuses(self) -> list[int]:
        """The status of every response sent (0 for none: reset, hang)."""
        with self._lock:
            return [status or 0 for *_, status in self._log]

    @property
    def arrivals(self) -> list[float]:
        """When each request arrived (``time.monotonic()``), in order."""
        with self._lock:
            return list(self._arrivals)

    def _asked(self, path: str, param: str, **wanted: str) -> list[list[str]]:
        with self._lock:
            paths = [urlsplit(p) for p, *_ in self._log]
        return [ids_in(p.query, param) for p in paths if p.path == path
                and all(parse_qs(p.query).get(k) == [v] for k, v in wanted.items())]

    @property
    def esummary_ids(self) -> list[list[str]]:
        """The PMIDs each PubMed esummary request asked for, in order."""
        return self._asked(ESUMMARY_PATH, "id", db="pubmed")

    @property
    def pmc_summary_ids(self) -> list[list[str]]:
        """The PMCIDs' digits each PMC esummary request (``db=pmc``) asked for, in order."""
        return self._asked(ESUMMARY_PATH, "id", db="pmc")

    @property
    def idconv_ids(self) -> list[list[str]]:
        """The ids each ID Converter request asked for, in order."""
        return self._asked(pmc_api.IDCONV_PATH, "ids")

    @property
    def arxiv_ids(self) -> list[list[str]]:
        """The identifiers each arXiv request asked for, in order."""
        return self._asked(arxiv_api.QUERY_PATH, "id_list")

    @property
    def listed_dois(self) -> list[list[str]]:
        """The DOIs each Crossref list query (``/works?filter=doi:…``) asked for, in order."""
        with self._lock:
            paths = [urlsplit(p) for p, *_ in self._log]
        return [_filter_dois(p.query) for p in paths
                if p.path.rstrip("/") == "/works" and "filter" in parse_qs(p.query)]

    def count(self, doi: str) -> int:
        """How many requests (all routes, redirect hops and list queries included) named this
        DOI."""
        with self._lock:
            single = sum(1 for _, _, d, _ in self._log if d == doi.lower())
        return single + sum(doi.lower() in asked for asked in self.listed_dois)

    # -- used by the handler

    def _record(self, path: str, headers: Mapping[str, str], doi: str | None) -> int:
        with self._lock:
            self._log.append((path, dict(headers), doi, None))
            self._arrivals.append(time.monotonic())
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return len(self._log) - 1

    def _done(self, index: int, status: int) -> None:
        """Log the status; the request stops counting as in flight (once)."""
        with self._lock:
            path, headers, doi, logged = self._log[index]
            if logged is None:
                self._log[index] = (path, headers, doi, status)
                self._in_flight -= 1

    def _admit(self, lists: bool = False) -> float | None:
        """None if the rate limit (of list queries, with ``lists``) and the concurrency limit
        admit a request now, else the seconds until it would (a second, for concurrency)."""
        limit, stamps = ((self.list_rate_limit, self._list_stamps) if lists
                         else (self.rate_limit, self._stamps))
        with self._lock:
            if self.concurrency_limit and self._in_flight > self.concurrency_limit:
                return 1.0
            if not limit:
                return None
            now = time.monotonic()
            while stamps and stamps[0] <= now - self.rate_interval:
                stamps.popleft()
            if len(stamps) >= limit:
                return stamps[0] + self.rate_interval - now
            stamps.append(now)
            return None

    def _should_fail(self, doi: str, scenario: Scenario) -> bool:
        with self._lock:
            seen = self._failures.get(doi, 0)
            self._failures[doi] = seen + 1
            return scenario.times is None or seen < scenario.times

    def _other_record(self, doi: str) -> dict[str, Any]:
        other = next((r for d, r in self.records.items() if d != doi), None)
        return dict(other) if other else {"DOI": f"10.9999/not-{doi}", "title": "Another work"}

    def _rate_headers(self, lists: bool = False) -> dict[str, str]:
        """The limits advertised with every answer (of list queries, with ``lists``)."""
        limit = self.list_rate_limit if lists else self.rate_limit
        headers = {"X-Rate-Limit-Limit": str(limit),
                   "X-Rate-Limit-Interval": f"{self.rate_interval:g}s"} if limit else {}
        if self.concurrency_limit:
            headers["X-Concurrency-Limit"] = str(self.concurrency_limit)
        return headers


# scenarios whose body is broken (see ``_Handler._broken``), and those that are a list query's
# whole answer when one of its DOIs has them
BROKEN_BODIES = ("hang", "truncated", "partial-json")
LIST_FAULTS = (*STATUS_KINDS, *BROKEN_BODIES, "reset", "invalid-json", "html200", "latency")


def _retracted(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with a Retraction Watch retraction among its updates."""
    notice = {"type": "retraction", "DOI": RETRACTION_NOTICE, "source": "retraction-watch",
              "date": "2020-01-15", "label": "Retraction"}
    return {**record, "updates": [*record.get("updates", []), notice]}


def _filter_dois(query: str) -> list[str]:
    """The DOIs of a list query's ``filter=doi:A,doi:B`` (lower case), in order."""
    values = ",".join(parse_qs(query).get("filter", []))
    return [v[len("doi:"):].strip().lower() for v in values.split(",") if v.startswith("doi:")]



def _route(path: str) -> tuple[str | None, str | None]:
    """(route, doi) for a request path: route is "works", "cn", "cn-redirect", "handle",
    "esummary" or None."""
    if path.rstrip("/") == "/works":
        return "search", None
    if path == ESUMMARY_PATH:
        return "esummary", None
    if path == ESEARCH_PATH:
        return "esearch", None
    if path == pmc_api.IDCONV_PATH:
        return "idconv", None
    if path == arxiv_api.QUERY_PATH:
        return "arxiv", None
    if path.startswith("/api/handles/"):
        handle = unquote(path[len("/api/handles/"):]).lower()
        return ("handle", handle) if handle.startswith("10/") else (None, None)
    for prefix, route in (("/works/", "works"), ("/doi/", "cn"), ("/", "cn-redirect")):
        if path.startswith(prefix):
            doi = unquote(path[len(prefix) :])
            return (route, doi.lower()) if doi.startswith("10.") else (None, None)
    return None, None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "FakeRegistrar/1.0"
    _index = -1
    _lists = False  # a Crossref list query (its own rate limit)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        route, doi = _route(parts.path)
        self._lists = route == "search"
        self._index = fake._record(self.path, dict(self.headers.items()), doi)
        status = 0
        try:
            status = self._serve(fake, route, doi, parts.query)
        finally:
            fake._done(self._index, status)

    # -- responses

    def _send(
        self,
        status: int,
        body: bytes | str,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> int:
        headers = headers or {}
        data = body.encode() if isinstance(body, str) else body
        # Out of flight before the client can see the answer (and send its next request).
        self.server.fake._done(self._index, status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in {**self.server.fake._rate_headers(self._lists), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        return status

    def _not_found(self) -> int:
        return self._send(404, "Resource not found.", "text/plain")

    def _reset(self) -> int:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
        return 0

    def _serve(self, fake: FakeRegistrar, route: str | None, doi: str | None, query: str) -> int:
        wait = fake._admit(self._lists)
        if wait is not None:
            after = str(max(1, math.ceil(wait)))
            return self._send(429, "Too many requests", "text/plain", {"Retry-After": after})
        if route == "search" and "filter" in parse_qs(query):
            return self._list(fake, query)
        if route == "search":
            params = parse_qs(query)
            text = (params.get("query.bibliographic") or [""])[0]
            rows = int((params.get("rows") or ["20"])[0])
            items = search(fake.records, text, rows)
            body = json.dumps({"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                               "message": {"total-results": len(items), "items": items}})
            return self._send(200, body, "application/json;charset=utf-8")
        if route == "esummary":
            return self._esummary(fake, query)
        if route == "esearch":
            return self._esearch(fake, query)
        if route == "idconv":
            return self._idconv(fake, query)
        if route == "arxiv":
            return self._arxiv(fake, query)
        if route is None or doi is None:
            return self._not_found()
        if route == "cn-redirect":
            return self._send(302, "", "text/plain", {"Location": f"/doi/{quote(doi, safe='/')}"})
        if fake.latency:
            fake._stopping.wait(fake.latency)
        scenario = fake.scenarios.get(doi, Scenario("ok"))
        record = fake.records.get(doi)
        kind = scenario.kind
        if kind == "latency":
            fake._stopping.wait(scenario.seconds)
        elif kind in STATUS_KINDS and fake._should_fail(doi, scenario):
            headers = {}
            if scenario.retry_after == "date":
                headers["Retry-After"] = formatdate(time.time() + 1, usegmt=True)
            elif scenario.retry_after is not None:
                headers["Retry-After"] = scenario.retry_after
            return self._send(int(kind), f"Error {kind}", "text/plain", headers)
        elif kind == "reset":
            return self._reset()
        elif kind == "invalid-json":
            body = '{"status": "ok", "message-type": "work", "message": {"DOI": oops}}'
            return self._send(200, body, "application/json")
        elif kind == "html200":
            page = "<!DOCTYPE html><html><body><h1>Temporarily unavailable</h1></body></html>"
            return self._send(200, page, "text/html; charset=utf-8")
        elif kind == "redirect-loop":
            hop = int(parse_qs(query).get("hop", ["0"])[0]) + 1
            location = f"{urlsplit(self.path).path}?hop={hop}"
            return self._send(302, "", "text/plain", {"Location": location})
        elif kind == "404" or (kind == "crossref-404" and route == "works"):
            return self._not_found()
        elif kind == "wrong-doi" and record is not None:
            record = fake._other_record(doi)
        elif kind == "retracted" and record is not None:
            record = _retracted(record)
        if route == "handle":
            target = fake.aliases.get(doi)
            if target is None:
                return self._send(404, json.dumps({"responseCode": 100, "handle": doi}),
                                  "application/json;charset=utf-8")
            value = {"index": 1, "type": "HS_ALIAS", "data": {"format": "string", "value": target},
                     "ttl": 86400, "timestamp": "2018-02-13T00:00:00Z"}
            body = json.dumps({"responseCode": 1, "handle": doi, "values": [value]})
            return self._send(200, body, "application/json;charset=utf-8")
        if record is None:
            return self._not_found()

        if route == "works":
            payload = json.dumps(
                {
                    "status": "ok",
                    "message-type": "work",
                    "message-version": "1.0.0",
                    "message": csl_to_crossref(record),
                }
            ).encode()
            content_type = "application/json;charset=utf-8"
        else:
            accept = self.headers.get("Accept", "")
            if CSL_JSON not in accept and "application/json" not in accept:
                return self._send(406, "Not acceptable", "text/plain")
            payload, content_type = json.dumps(record).encode(), CSL_JSON

        if kind in BROKEN_BODIES:
            return self._broken(fake, scenario, payload, content_type)
        return self._send(200, payload, content_type)

    def _broken(self, fake: FakeRegistrar, scenario: Scenario, payload: bytes,
                content_type: str) -> int:
        """Half of ``payload``: as a whole answer (``partial-json``), or with a Content-Length
        that promises more, then closing (``truncated``) or stalling (``hang``)."""
        if scenario.kind == "partial-json":
            return self._send(200, payload[: len(payload) // 2], content_type)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length",
                         str(len(payload) + (0 if scenario.kind == "hang" else 100)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        if scenario.kind == "hang":
            fake._stopping.wait(scenario.seconds)
        self.close_connection = True
        return 0

    def _list(self, fake: FakeRegistrar, query: str) -> int:
        """Crossref's list query for DOIs (``filter=doi:A,doi:B``): a ``work-list`` of the
        records it has, at most ``rows``, each with only the fields ``select`` names. A DOI's
        fault (a status, a reset, a broken body, latency) is the whole answer's; a DOI that
        Crossref does not answer for (``404``, ``crossref-404``, ``wrong-doi``,
        ``redirect-loop``) is not in it, and its scenario applies when it is asked singly."""
        params = parse_qs(query)
        wrong = [f for f in ",".join(params.get("filter", [])).split(",") if not f.startswith("doi:")]
        if wrong:
            body = json.dumps({"status": "failed", "message-type": "validation-failure",
                               "message": [{"type": "filter-not-available", "value": wrong[0],
                                            "message": "This server filters works by doi only"}]})
            return self._send(400, body, "application/json;charset=utf-8")
        dois = list(dict.fromkeys(_filter_dois(query)))
        rows = int((params.get("rows") or ["20"])[0])
        select = {f for value in params.get("select", []) for f in value.split(",") if f}
        if fake.latency:
            fake._stopping.wait(fake.latency)
        named = next(((d, fake.scenarios[d]) for d in dois
                      if d in fake.scenarios and fake.scenarios[d].kind in LIST_FAULTS), None)
        if named is not None and named[1].kind not in BROKEN_BODIES \
                and (status := self._fault(fake, *named)) is not None:
            return status
        items = []
        for doi in dois:
            record = fake.records.get(doi)
            kind = fake.scenarios.get(doi, Scenario("ok")).kind
            if record is None or kind in ("404", "crossref-404", "wrong-doi", "redirect-loop"):
                continue
            message = csl_to_crossref(_retracted(record) if kind == "retracted" else record)
            items.append({k: v for k, v in message.items() if k in select} if select else message)
        payload = json.dumps({
            "status": "ok", "message-type": "work-list", "message-version": "1.0.0",
            "message": {"facets": {}, "total-results": len(items), "items": items[:rows],
                        "items-per-page": rows, "query": {"start-index": 0, "search-terms": None}},
        }).encode()
        if named is not None and named[1].kind in BROKEN_BODIES:
            return self._broken(fake, named[1], payload, "application/json;charset=utf-8")
        return self._send(200, payload, "application/json;charset=utf-8")


    def _esummary(self, fake: FakeRegistrar, query: str) -> int:
        params, ids = parse_qs(query), ids_in(query)
        if params.get("db") not in (["pubmed"], ["pmc"]) or params.get("retmode") != ["json"] \
                or len(ids) > MAX_BATCH:
            body = json.dumps({"error": "this server answers db=pubmed or pmc, retmode=json, up to "
                                        f"{MAX_BATCH} ids"})
            return self._send(400, body, "application/json")
        if fake.latency:
            fake._stopping.wait(fake.latency)
        pmc = params.get("db") == ["pmc"]
        keys = [f"pmc{uid}" for uid in ids] if pmc else ids  # PMC's scenarios are keyed by PMCID
        named = next(((key, fake.scenarios[key]) for key in keys if key in fake.scenarios), None)
        if named is not None and (status := self._fault(fake, *named)) is not None:
            return status
        answer = pmc_esummary(fake.pmc, ids) if pmc else esummary(fake.pubmed, ids)
        return self._send(200, json.dumps(answer), "application/json; charset=UTF-8")

    def _esearch(self, fake: FakeRegistrar, query: str) -> int:
        params = parse_qs(query)
        if params.get("db") != ["pubmed"] or params.get("retmode") != ["json"] \
                or not params.get("term"):
            body = json.dumps({"error": "this server searches db=pubmed, retmode=json, a term"})
            return self._send(400, body, "application/json")
        if fake.latency:
            fake._stopping.wait(fake.latency)
        answer = esearch(fake.pubmed, params["term"][0], int((params.get("retmax") or ["20"])[0]))
        return self._send(200, json.dumps(answer), "application/json; charset=UTF-8")

    def _idconv(self, fake: FakeRegistrar, query: str) -> int:
        params, ids = parse_qs(query), ids_in(query, "ids")
        if params.get("format") != ["json"] or not ids or len(ids) > pmc_api.MAX_BATCH:
            body = json.dumps({"status": "error", "message": "this server answers format=json, "
                                                             f"1 to {pmc_api.MAX_BATCH} ids"})
            return self._send(400, body, "application/json")
        if fake.latency:
            fake._stopping.wait(fake.latency)
        keys = [str(normalize_pmcid(i) or i).lower() for i in ids]
        named = next(((key, fake.scenarios[key]) for key in keys if key in fake.scenarios), None)
        if named is not None and (status := self._fault(fake, *named)) is not None:
            return status
        records = []
        for asked in ids:
            pmcid = normalize_pmcid(asked)
            records.append(pmc_api.idconv_record(fake.pmc.get(pmcid) if pmcid else None,
                                                 pmcid or asked))
        body = json.dumps({"status": "ok", "responseDate": "2026-11-25 00:00:00",
                           "request": query, "records": records})
        return self._send(200, body, "application/json; charset=UTF-8")

    def _arxiv(self, fake: FakeRegistrar, query: str) -> int:
        params, ids = parse_qs(query), ids_in(query, "id_list")
        bad = next((i for i in ids if normalize_arxiv(i) != i), None)
        if bad is not None:
            body = arxiv_api.error_feed(f"incorrect id format for {bad}", f"incorrect_id_format_for_{bad}")
            return self._send(400, body, "application/atom+xml; charset=utf-8")
        if fake.latency:
            fake._stopping.wait(fake.latency)
        keys = [arxiv_api.split_version(i)[0].lower() for i in ids]
        named = next(((key, fake.scenarios[key]) for key in keys if key in fake.scenarios), None)
        broken = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>'
        if named is not None and (status := self._fault(fake, *named, broken=broken)) is not None:
            return status
        limit = int((params.get("max_results") or ["10"])[0])
        entries = [e for i in ids if (e := arxiv_entry(fake.arxiv, i)) is not None][:limit]
        return self._send(200, arxiv_api.feed(entries, query, total=len(ids)),
                          "application/atom+xml; charset=utf-8")

    def _fault(self, fake: FakeRegistrar, key: str, scenario: Scenario,
               broken: bytes | None = None) -> int | None:
        """The status sent for a scenario that answers in place of the record, else None
        (``broken``: the body of ``invalid-json``, when the format is not JSON)."""
        kind = scenario.kind
        if kind == "latency":
            fake._stopping.wait(scenario.seconds)
        elif kind in STATUS_KINDS and fake._should_fail(key, scenario):
            after = {"Retry-After": scenario.retry_after} if scenario.retry_after not in (None, "date") \
                else {}
            return self._send(int(kind), f"Error {kind}", "text/plain", after)
        elif kind == "reset":
            return self._reset()
        elif kind == "invalid-json":
            if broken is not None:
                return self._send(200, broken, "application/atom+xml; charset=utf-8")
            return self._send(200, '{"header": {"type": "esummary"}, "result": {oops}}',
                              "application/json")
        elif kind == "html200":
            page = "<!DOCTYPE html><html><body><h1>Temporarily unavailable</h1></body></html>"
            return self._send(200, page, "text/html; charset=utf-8")
        return None

