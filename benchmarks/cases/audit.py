"""The audit's cases: the offline audit (bibliography cache warm, and without it), and
``--refresh`` of N DOIs against the fake registrar, concurrent and one at a time."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.sources.fake import FakeRegistrar, records_from_csl
from benchmarks.harness import Sample, Series, Tools, run

# the fake registrar: 100 ms to answer, 50 requests a second advertised (X-Rate-Limit-*),
# 429 beyond it; ideal for N DOIs: N / 50 s
RATE_LIMIT, RATE_INTERVAL, LATENCY = 50, 1.0, 0.1

# one at a time: the package's registrar client with one request in flight
SERIAL_CHILD = """
import json, sys, time
from audit.sources import Settings
from audit.sources.http import Client
from audit.sources.registrar import Registrar
dois = json.loads(sys.argv[1])
settings = Settings.from_env()
client = Registrar(Client(max_concurrency=1, total_deadline=3600), settings.crossref_url,
                   settings.doi_url)
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
    n: int  # DOIs refreshed
    serial_n: int  # DOIs fetched one at a time
    end_to_end: Series = field(default_factory=Series)
    serial: Series = field(default_factory=Series)
    locked: list[int] = field(default_factory=list)  # per run, records in the lock afterwards
    requests: list[int] = field(default_factory=list)  # per run, requests the server saw
    statuses_429: list[int] = field(default_factory=list)
    max_in_flight: list[int] = field(default_factory=list)
    # per run, from the registrar's side: its first request to its last answer, and the
    # command's time before the first request and after the last answer
    spans: list[float] = field(default_factory=list)
    heads: list[float] = field(default_factory=list)
    tails: list[float] = field(default_factory=list)


def _registrar(records: dict[str, Any]) -> FakeRegistrar:
    return FakeRegistrar(records, rate_limit=RATE_LIMIT, rate_interval=RATE_INTERVAL, latency=LATENCY)


def _urls(fake: FakeRegistrar) -> dict[str, str]:
    return {"AUDIT_CROSSREF_URL": fake.url, "AUDIT_DOI_URL": fake.url, "AUDIT_PUBMED_URL": fake.url}


def bench_refresh(tools: Tools, root: Path, runs: int, serial_n: int,
                  timeout: float = 600.0) -> RefreshResult:
    """``python -m audit review.md --refresh`` from an empty lock, each run against a fresh
    server (a fresh rate window); then ``serial_n`` DOIs fetched one at a time."""
    items = json.loads((root / "manuscript" / "references.json").read_text("utf-8"))
    records = records_from_csl(items)
    lock = root / "manuscript" / "references.lock.json"
    empty = json.dumps({"lock-version": 1, "records": {}}) + "\n"
    res = RefreshResult(n=len(records), serial_n=min(serial_n, len(records)))

    for _ in range(runs):
        lock.write_text(empty, "utf-8")
        with _registrar(records) as fake:
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

    subset = json.dumps(sorted(records)[: res.serial_n])
    for _ in range(runs):
        with _registrar(records) as fake:
            sample = run([tools.python, "-c", SERIAL_CHILD, subset], cwd=root, env=_urls(fake),
                         timeout=timeout)
        data = json.loads(sample.stdout)
        if data["ok"] != res.serial_n:
            raise RuntimeError(f"one at a time: {data['ok']} of {res.serial_n} DOIs fetched")
        res.serial.add(Sample(data["seconds"], sample.peak_mb))
    return res
