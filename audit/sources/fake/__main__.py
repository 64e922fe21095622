"""``python -m audit.sources.fake``: the fake registrar, by hand (see the package); also
``nox -s fake-registrar``."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from audit.sources.fake.data import arxiv_from_csl, records_from_csl
from audit.sources.fake.server import FakeRegistrar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m audit.sources.fake",
        description="A local server speaking Crossref's, doi.org's, PubMed's, PMC's and arXiv's formats.")
    parser.add_argument(
        "--records", type=Path, required=True, help="CSL JSON array (or {doi: item})"
    )
    parser.add_argument("--scenarios", type=Path, help='JSON object {doi: "503x2", ...}')
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rate-limit", type=int, default=None,
                        help="requests per interval, advertised (X-Rate-Limit-*); 429 beyond it")
    parser.add_argument("--list-rate-limit", type=int, default=None,
                        help="Crossref's list queries (/works?filter=…, ?query…) per interval, "
                             "counted apart (default: --rate-limit)")
    parser.add_argument("--rate-interval", type=float, default=1.0, help="seconds")
    parser.add_argument("--concurrency-limit", type=int, default=None,
                        help="requests in flight at most, advertised (X-Concurrency-Limit); "
                             "429 beyond it")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    args = parser.parse_args(argv)

    data = json.loads(args.records.read_text(encoding="utf-8"))
    records = records_from_csl(data) if isinstance(data, list) else data
    preprints = arxiv_from_csl(data if isinstance(data, list) else data.values())
    scenarios = json.loads(args.scenarios.read_text(encoding="utf-8")) if args.scenarios else {}
    fake = FakeRegistrar(
        records,
        scenarios=scenarios,
        rate_limit=args.rate_limit,
        rate_interval=args.rate_interval,
        latency=args.latency,
        list_rate_limit=args.list_rate_limit,
        concurrency_limit=args.concurrency_limit,
        host=args.host,
        port=args.port,
        arxiv=preprints,
    )
    with fake:
        print(f"fake registrar: {len(records)} records at {fake.url} (Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0




if __name__ == "__main__":
    raise SystemExit(main())
