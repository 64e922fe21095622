"""The audit's cases: the offline audit (bibliography cache warm, and without it), and
``--refresh`` of N DOIs against the fake registrar at two sets of limits, beside the same DOIs
asked singly (one at a time, and at the limits); and the same refresh with every registrar
unreachable (nothing listening)."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.sources.fake import FakeRegistrar, records_from_csl
from benchmarks.harness import Sample, Series, Tools, run

# the fake registrar answers after 100 ms and advertises its limits (X-Rate-Limit-*,
# X-Concurrency-Limit; 429 beyond them), list queries and single lookups counted apart:
# (a) 10 requests a second, 3 at a time (about Crossref's polite pool since December 2025),
# (b) 50 a second, 5 at a time (its former limit, its concurrency now)
LATENCY, RATE_INTERVAL = 0.1, 1.0
LIMITS = {"a": (10, 3), "b": (50, 5)}  # label: (requests a second, requests in flight)
SINGLES_N = 50  # DOIs asked one per request at the limits, extrapolated

# the package's registrar client asking every DOI singly (one per request, as before list
# queries): argv[2] requests in flight (1: one at a time)
SINGLES_CHILD = """
import json, sys, time
from audit.sources import Settings
from audit.sources.http import Client
from audit.sources.registrar import Registrar
dois, concurrency = json.loads(sys.argv[1]), int(sys.argv[2])
settings = Settings.from_env()
client = Registrar(Client(max_concurrency=concurrency, total_deadline=3600), settings.crossref_url,
                   settings.doi_url, batch_size=1)
t = time.perf_counter()
out = client.fetch_many(dois)
print(json.dumps({"seconds": time.perf_counter() - t,
                  "ok": sum(1 for o in out.values() if o.status == "ok")}))
"""


def bench_audit(tools: Tools, root: Path, runs: int, cache: Path | None,
                timeout: float = 120.0) -> Series:
    """``python -m audit P/manuscript/review.md`` offline, from the lock. With ``cache`` (the
    bibliography cache, ``AUDIT_CACHE_DIR``) one untimed run fills it first; without, pandoc
    reads the whole bibliography every run (as on a fresh machine)."""
    env = {"AUDIT_CACHE_DIR": str(cache) if cache else ""}
    if cache:
        tools.audit(root, env=env, timeout=timeout)
    series = Series()
    for _ in range(runs):
        series.add(tools.audit(root, env=env, timeout=timeout))
    return series


@dataclass
class RefreshResult:
    """One set of limits (``rate`` requests a second, ``concurrency`` in flight): the refresh
    end to end, and single lookups one at a time and at the limits (on fewer DOIs)."""

    n: int  # DOIs refreshed
    rate: int
    concurrency: int
    serial_n: int  # DOIs fetched singly, one at a time
    singles_n: int  # DOIs fetched singly at the limits
    end_to_end: Series = field(default_factory=Series)
    serial: Series = field(default_factory=Series)
    singles: Series = field(default_factory=Series)
    locked: list[int] = field(default_factory=list)  # per run, records in the lock afterwards
    requests: list[int] = field(default_factory=list)  # per run, requests the server saw
    statuses_429: list[int] = field(default_factory=list)
    max_in_flight: list[int] = field(default_factory=list)
    # per run, from the registrar's side: its first request to its last answer, and the
    # command's time before the first request and after the last answer
    spans: list[float] = field(default_factory=list)
    heads: list[float] = field(default_factory=list)
    tails: list[float] = field(default_factory=list)

    @property
    def ceiling(self) -> float:
        """Seconds single lookups take at the least, at the advertised rate: n / rate."""
        return self.n / (self.rate / RATE_INTERVAL)


def _registrar(records: dict[str, Any], rate: int, concurrency: int) -> FakeRegistrar:
    return FakeRegistrar(records, rate_limit=rate, list_rate_limit=rate, rate_interval=RATE_INTERVAL,
                         concurrency_limit=concurrency, latency=LATENCY)


def _urls(fake: FakeRegistrar) -> dict[str, str]:
    return {"AUDIT_CROSSREF_URL": fake.url, "AUDIT_DOI_URL": fake.url, "AUDIT_PUBMED_URL": fake.url}


def _singly(tools: Tools, root: Path, records: dict[str, Any], dois: list[str], rate: int,
            concurrency: int, in_flight: int, timeout: float) -> Sample:
    """``dois`` asked singly, ``in_flight`` at a time, against a fresh server."""
    with _registrar(records, rate, concurrency) as fake:
        sample = run([tools.python, "-c", SINGLES_CHILD, json.dumps(dois), str(in_flight)],
                     cwd=root, env=_urls(fake), timeout=timeout)
    data = json.loads(sample.stdout)
    if data["ok"] != len(dois):
        raise RuntimeError(f"singly: {data['ok']} of {len(dois)} DOIs fetched")
    return Sample(data["seconds"], sample.peak_mb)


def bench_refresh(tools: Tools, root: Path, runs: int, serial_n: int, rate: int, concurrency: int,
                  singles_n: int = SINGLES_N, timeout: float = 600.0) -> RefreshResult:
    """``python -m audit review.md --refresh`` from an empty lock, each run against a fresh
    server (a fresh rate window) limited to ``rate`` requests a second and ``concurrency`` at a
    time; then ``serial_n`` DOIs fetched singly one at a time (each run), and ``singles_n``
    singly at the limits (once)."""
    items = json.loads((root / "manuscript" / "references.json").read_text("utf-8"))
    records = records_from_csl(items)
    lock = root / "manuscript" / "references.lock.json"
    empty = json.dumps({"lock-version": 1, "records": {}}) + "\n"
    res = RefreshResult(n=len(records), rate=rate, concurrency=concurrency,
                        serial_n=min(serial_n, len(records)), singles_n=min(singles_n, len(records)))

    for _ in range(runs):
        lock.write_text(empty, "utf-8")
        with _registrar(records, rate, concurrency) as fake:
            began = time.monotonic()
            sample = tools.audit(root, "--refresh", "--format", "json", "--output", os.devnull,
                                 env=_urls(fake), timeout=timeout)
            ended = time.monotonic()
            statuses, arrivals = fake.statuses, fake.arrivals
            if arrivals:
                last_answer = arrivals[-1] + LATENCY
                res.spans.append(last_answer - arrivals[0])
                res.heads.append(arrivals[0] - began)
                res.tails.append(ended - last_answer)
            res.statuses_429.append(statuses.count(429))
            res.max_in_flight.append(fake.max_in_flight)
            res.requests.append(len(statuses))
        res.locked.append(len(json.loads(lock.read_text("utf-8"))["records"]))
        res.end_to_end.add(sample)

    dois = sorted(records)
    for _ in range(runs):
        res.serial.add(_singly(tools, root, records, dois[: res.serial_n], rate, concurrency, 1,
                               timeout))
    res.singles.add(_singly(tools, root, records, dois[: res.singles_n], rate, concurrency,
                            concurrency, timeout))
    return res


def _closed_url() -> str:
    """An address on this machine where nothing listens: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def bench_unreachable(tools: Tools, root: Path, runs: int, timeout: float = 600.0) -> Series:
    """``python -m audit review.md --refresh`` from an empty lock with every source's address
    refusing connections (the network down): how long until the report says so."""
    lock = root / "manuscript" / "references.lock.json"
    report = root / "unreachable-report.json"
    empty = json.dumps({"lock-version": 1, "records": {}}) + "\n"
    dois = len(records_from_csl(json.loads((root / "manuscript" / "references.json").read_text("utf-8"))))
    series = Series()
    for _ in range(runs):
        lock.write_text(empty, "utf-8")
        url = _closed_url()
        env = {name: url for name in ("AUDIT_CROSSREF_URL", "AUDIT_DOI_URL", "AUDIT_PUBMED_URL",
                                      "AUDIT_PMC_URL", "AUDIT_ARXIV_URL")}
        series.add(tools.audit(root, "--refresh", "--format", "json", "--output", str(report),
                               env=env, timeout=timeout))
        findings = json.loads(report.read_text("utf-8"))["findings"]
        said = sum(f["code"] == "unverified" and f["field"] == "DOI" and "unreachable" in f["message"]
                   for f in findings)
        if said != dois:  # a quick end that does not say why is no pass
            raise RuntimeError(f"unreachable: {said} of {dois} DOIs reported unverified, unreachable")
    return series
