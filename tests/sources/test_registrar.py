"""A DOI's record from Crossref, then doi.org, against a real HTTP server on 127.0.0.1
(:mod:`audit.sources.fake`); the shared HTTP policy (retries, Retry-After, deadline, pacing)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import Outcome
from audit.sources import Settings
from audit.sources.crossref import crossref_to_csl, csl_to_crossref
from audit.sources.doi_org import CSL_JSON
from audit.sources.fake import (
    RETRACTION_NOTICE,
    FakeRegistrar,
    aliases_from_citations_tsv,
    records_from_csl,
)
from audit.sources.http import MAX_REDIRECTS, Client
from audit.sources.registrar import Registrar
from tests.conftest import SHARED

REFERENCES = SHARED / "corpora" / "meta-review" / "output" / "references.json"
MAILTO = "audit-tests@example.org"

# Scenario -> (status, words in the reason, requests the server should see).
# Fault scenarios run with timeout=1 s, max_retries=3: retried kinds show 3 requests.
FAULTS: dict[str, tuple[str, str | None, int]] = {
    "500": ("unverified", "HTTP 500", 3),
    "502": ("unverified", "HTTP 502", 3),
    "503@0": ("unverified", "HTTP 503", 3),
    "502x1": ("ok", None, 2),
    "429@date": ("ok", None, 2),
    "reset": ("unverified", "connection reset", 3),
    "hang": ("unverified", "timed out", 3),
    "truncated": ("unverified", "truncated response", 3),
    "invalid-json": ("unverified", "invalid JSON", 1),
    "html200": ("unverified", "HTML page instead of JSON", 1),
    "wrong-doi": ("unverified", "different DOI", 1),
    "redirect-loop": ("unverified", "redirect loop", MAX_REDIRECTS + 1),
    "404": ("not-found", "HTTP 404", 3),  # Crossref, then doi.org: redirect hop + /doi/
    "latency:0.2": ("ok", None, 1),
}
# Scenarios whose Retry-After (1 s) must be waited out before the successful attempt.
RETRY_AFTER = {"429x1": 2, "503x2": 3}
OTHERS = ("crossref-404", "retracted", "ua", "deadline")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    if not REFERENCES.exists():
        pytest.skip(f"{REFERENCES} is not available (../shared beside the repository)")
    items = json.loads(REFERENCES.read_text(encoding="utf-8"))
    return [item for item in items if item.get("DOI")]


@pytest.fixture(scope="module")
def records(corpus: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return records_from_csl(corpus)


@pytest.fixture(scope="module")
def dois_by_scenario(records: dict[str, dict[str, Any]]) -> dict[str, str]:
    """One corpus DOI per scenario (every DOI different, so counts stay per scenario)."""
    names = [*FAULTS, *RETRY_AFTER, *OTHERS, "plain"]
    return dict(zip(names, [d for d in records if d.startswith("10.")], strict=False))


@pytest.fixture(scope="module")
def fake(
    records: dict[str, dict[str, Any]], dois_by_scenario: dict[str, str]
) -> Iterator[FakeRegistrar]:
    scenarios = {doi: name for name, doi in dois_by_scenario.items() if name not in ("ua", "plain")}
    scenarios[dois_by_scenario["deadline"]] = "latency:5"
    with FakeRegistrar(records, scenarios=scenarios) as server:
        yield server


def client_for(server: FakeRegistrar, **options: Any) -> Registrar:
    policy: dict[str, Any] = {
        "mailto": MAILTO,
        "timeout": 1.0,
        "max_retries": 3,
        "total_deadline": 10.0,
        "backoff_base": 0.01,
    }
    return Registrar(Client(**{**policy, **options}), server.url, server.url)


def names(item: dict[str, Any]) -> list[dict[str, str]]:
    keep = ("family", "given", "literal", "suffix")
    return [{k: a[k] for k in keep if a.get(k)} for a in item.get("author", []) if a]


def essentials(item: dict[str, Any]) -> dict[str, Any]:
    """The fields a fetch must preserve (ISSN as a list, issued as the year)."""
    issn = item.get("ISSN")
    parts = (item.get("issued") or {}).get("date-parts") or [[None]]
    year = int(parts[0][0]) if parts[0] and parts[0][0] is not None else None
    return {
        "DOI": item.get("DOI"),
        "title": item.get("title"),
        "author": names(item),
        "container-title": item.get("container-title"),
        "container-title-short": item.get("container-title-short")
        or item.get("journalAbbreviation"),
        "year": year,
        "volume": item.get("volume"),
        "issue": item.get("issue"),
        "page": item.get("page"),
        "ISSN": [issn] if isinstance(issn, str) else issn,
    }


# --------------------------------------------------------------------------- conversion


def test_round_trip_preserves_the_essentials(corpus: list[dict[str, Any]]) -> None:
    for item in corpus:
        assert essentials(crossref_to_csl(csl_to_crossref(item))) == essentials(item), item["DOI"]


def test_crossref_message_conversion() -> None:
    message = {
        "DOI": "10.1234/ABC",
        "type": "journal-article",
        "title": ["Main title"],
        "subtitle": ["a subtitle"],
        "author": [
            {"given": "Ada", "family": "Lovelace", "sequence": "first", "affiliation": []},
            {"name": "The Consortium", "sequence": "additional", "affiliation": []},
        ],
        "container-title": ["Journal of Things"],
        "short-container-title": ["J Things"],
        "ISSN": ["1234-5678", "8765-4321"],
        "published-online": {"date-parts": [[2020, 3, 4]]},
        "volume": "7",
        "issue": "2",
        "page": "1-9",
        "updated-by": [
            {
                "type": "retraction",
                "DOI": "10.1234/notice",
                "source": "retraction-watch",
                "label": "Retraction",
                "updated": {"date-parts": [[2021, 5, 6]]},
            }
        ],
        "update-to": [{"type": "expression_of_concern", "DOI": "10.1234/other"}],
    }
    item = crossref_to_csl(message)
    assert item["type"] == "article-journal"
    assert item["title"] == "Main title: a subtitle"
    assert item["author"] == [{"family": "Lovelace", "given": "Ada"}, {"literal": "The Consortium"}]
    assert item["container-title-short"] == "J Things"
    assert item["ISSN"] == ["1234-5678", "8765-4321"]
    assert item["issued"] == {"date-parts": [[2020, 3, 4]]}
    assert item["updates"] == [
        {
            "type": "retraction",
            "DOI": "10.1234/notice",
            "source": "retraction-watch",
            "date": "2021-05-06",
            "label": "Retraction",
        }
    ]
    assert item["notice-for"][0]["type"] == "expression_of_concern"
    assert item["notice-for"][0]["DOI"] == "10.1234/other"


text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1).filter(str.strip)


@settings(max_examples=60, deadline=None)
@given(
    title=text,
    people=st.lists(st.tuples(text, text), max_size=4),
    year=st.integers(1500, 2100),
    volume=st.from_regex(r"[0-9]{1,4}", fullmatch=True),
)
def test_round_trip_property(
    title: str, people: list[tuple[str, str]], year: int, volume: str
) -> None:
    item = {
        "DOI": "10.5555/x",
        "type": "article-journal",
        "title": title.strip(),
        "author": [{"family": f.strip(), "given": g.strip()} for f, g in people],
        "issued": {"date-parts": [[year]]},
        "volume": volume,
    }
    back = crossref_to_csl(csl_to_crossref(item))
    assert essentials(back) == essentials(item)
    assert back["type"] == "article-journal"


def test_from_env_explicit_arguments_win() -> None:
    env = {"AUDIT_CROSSREF_URL": "http://127.0.0.1:1", "AUDIT_MAILTO": "env@example.org"}
    settings = Settings.from_env(env, mailto="arg@example.org", doi_url=None)
    assert settings.crossref_url == "http://127.0.0.1:1"
    assert settings.doi_url == "https://doi.org"
    assert settings.mailto == "arg@example.org"
    assert "mailto:arg@example.org" in Client(mailto=settings.mailto).user_agent


# --------------------------------------------------------------------------- fetching


def test_fetch_returns_the_record(
    fake: FakeRegistrar, records: dict[str, dict[str, Any]], dois_by_scenario: dict[str, str]
) -> None:
    doi = dois_by_scenario["plain"]
    outcome = client_for(fake).fetch(doi)
    assert outcome.status == "ok", outcome.reason
    assert outcome.record is not None
    assert essentials(outcome.record) == essentials(records[doi])
    assert outcome.url == f"{fake.url}/works/{doi}"
    assert outcome.fetched is not None and outcome.fetched.endswith("Z")
    assert outcome.attempts == 1
    with pytest.raises(AttributeError):
        outcome.status = "not-found"  # type: ignore[misc]


def test_fetch_many_all_ok_within_max_concurrency(records: dict[str, dict[str, Any]]) -> None:
    # A generous advertised limit, so concurrency (not the rate limiter) is the bottleneck.
    calls: list[tuple[int, int]] = []
    with FakeRegistrar(records, latency=0.05, rate_limit=1000) as server:
        client = client_for(server, max_concurrency=4)
        outcomes = client.fetch_many(list(records), progress=lambda d, t: calls.append((d, t)))
        assert server.max_in_flight <= 4
        assert server.max_in_flight >= 2  # it did run requests side by side
    assert len(outcomes) == len(records) == 72
    # One corpus "DOI" is a Manubot artefact (a blog path): not sent, and said so.
    bogus = {d for d in records if not d.startswith("10.")}
    assert bogus == {"/2014/03/10/continuous-publishing"}
    for doi in bogus:
        assert outcomes[doi].status == "unverified"
        assert outcomes[doi].reason is not None and "not a DOI" in outcomes[doi].reason
    ok = {d: o for d, o in outcomes.items() if d not in bogus}
    assert len(ok) == 71 and {o.status for o in ok.values()} == {"ok"}
    assert all(isinstance(o, Outcome) for o in outcomes.values())
    assert all(o.record and o.record["DOI"].lower() == d.lower() for d, o in ok.items())
    assert calls == [(i, 72) for i in range(1, 73)]


def test_retracted_record_carries_the_update(
    fake: FakeRegistrar, dois_by_scenario: dict[str, str]
) -> None:
    outcome = client_for(fake).fetch(dois_by_scenario["retracted"])
    assert outcome.status == "ok", outcome.reason
    assert outcome.record is not None
    (update,) = outcome.record["updates"]
    assert update["type"] == "retraction"
    assert update["source"] == "retraction-watch"
    assert update["DOI"] == RETRACTION_NOTICE


@pytest.mark.parametrize("scenario", list(FAULTS))
def test_fault_scenarios(
    fake: FakeRegistrar, dois_by_scenario: dict[str, str], scenario: str
) -> None:
    status, reason, requests = FAULTS[scenario]
    doi = dois_by_scenario[scenario]
    outcome = client_for(fake).fetch(doi)
    assert outcome.status == status, outcome.reason
    if reason is not None:
        assert outcome.reason is not None and reason in outcome.reason
        assert outcome.record is None
    else:
        assert outcome.record is not None and outcome.record["DOI"] == doi
    assert fake.count(doi) == requests
    assert outcome.attempts <= requests


@pytest.mark.parametrize("scenario", list(RETRY_AFTER))
def test_retry_after_is_honoured(
    fake: FakeRegistrar, dois_by_scenario: dict[str, str], scenario: str
) -> None:
    doi = dois_by_scenario[scenario]
    start = time.monotonic()
    outcome = client_for(fake).fetch(doi)
    waited = time.monotonic() - start
    assert outcome.status == "ok", outcome.reason
    assert fake.count(doi) == outcome.attempts == RETRY_AFTER[scenario]
    # Back-off alone (base 0.01 s) would retry at once; Retry-After: 1 makes it wait.
    assert waited >= 0.9 * (RETRY_AFTER[scenario] - 1)


def test_unknown_doi_is_not_found(fake: FakeRegistrar) -> None:
    outcome = client_for(fake).fetch("10.9999/no-such-work")
    assert outcome.status == "not-found"
    assert outcome.url == f"{fake.url}/10.9999/no-such-work"


def test_short_dois_expand_through_the_doi_proxy_handle_api(records: dict[str, dict[str, Any]]) -> None:
    """Real data: the shortDOI the meta-review cites, as Manubot expanded it."""
    aliases = aliases_from_citations_tsv((REFERENCES.parent / "citations.tsv").read_text("utf-8"))
    short, full = next(iter(aliases.items()))
    with FakeRegistrar(records, aliases=aliases, scenarios={"10/broken": "500"}) as server:
        got = client_for(server).doi_org.expand_many(
            [f"doi:{short.upper()}", "10/zzzz9", "10/broken"])
        asked = [path for path, _ in server.requests]
    ok = got[f"doi:{short.upper()}"]
    assert (ok.status, ok.record) == ("ok", {"DOI": full})  # keyed as given; asked in lower case
    assert f"/api/handles/{short}?type=HS_ALIAS" in asked
    assert got["10/zzzz9"].status == "not-found" and got["10/zzzz9"].record is None
    assert got["10/broken"].status == "unverified" and "500" in (got["10/broken"].reason or "")


def test_a_search_keeps_its_query_beside_the_mailto(
    fake: FakeRegistrar, records: dict[str, dict[str, Any]], dois_by_scenario: dict[str, str]
) -> None:
    """The session's ``mailto`` parameter is added to a URL's own query, never put in its place."""
    doi = dois_by_scenario["plain"]
    (outcome,) = client_for(fake).crossref.search_many([str(records[doi]["title"])])
    assert outcome.status == "ok", outcome.reason
    assert outcome.candidates and outcome.candidates[0]["DOI"].lower() == doi.lower()
    asked = [p for p, _ in fake.requests if p.startswith("/works?")]
    assert asked and all("query.bibliographic=" in p and "mailto=" in p for p in asked)


def test_crossref_404_falls_back_to_doi_org(
    fake: FakeRegistrar, records: dict[str, dict[str, Any]], dois_by_scenario: dict[str, str]
) -> None:
    doi = dois_by_scenario["crossref-404"]
    outcome = client_for(fake).fetch(doi)
    assert outcome.status == "ok", outcome.reason
    assert outcome.url == f"{fake.url}/{doi}"
    assert outcome.record is not None
    assert essentials(outcome.record) == essentials(records[doi])
    negotiated = [h for p, h in fake.requests if p.startswith(f"/doi/{doi}")]
    assert negotiated and negotiated[0]["Accept"] == CSL_JSON


def test_user_agent_and_query_carry_the_mailto(
    fake: FakeRegistrar, dois_by_scenario: dict[str, str]
) -> None:
    doi = dois_by_scenario["ua"]
    assert client_for(fake).fetch(doi).status == "ok"
    path, headers = next((p, h) for p, h in fake.requests if p.startswith(f"/works/{doi}"))
    assert headers["User-Agent"].startswith("manuscript-audit/")
    assert f"mailto:{MAILTO}" in headers["User-Agent"]
    assert "mailto=audit-tests%40example.org" in path


def test_total_deadline_bounds_the_run(
    fake: FakeRegistrar, dois_by_scenario: dict[str, str]
) -> None:
    slow, plain = dois_by_scenario["deadline"], dois_by_scenario["plain"]
    client = client_for(fake, timeout=10.0, total_deadline=1.0)
    start = time.monotonic()
    outcomes = client.fetch_many([slow, plain])
    assert time.monotonic() - start < 4.0  # the server would take 5 s
    assert outcomes[slow].status == "unverified"
    assert outcomes[slow].reason is not None and "deadline exceeded" in outcomes[slow].reason
    assert outcomes[plain].status == "ok"


def test_rate_limit_is_respected(records: dict[str, dict[str, Any]]) -> None:
    dois = [d for d in records if d.startswith("10.")][:40]
    with FakeRegistrar(records, rate_limit=20, rate_interval=1.0) as server:
        outcomes = client_for(server, max_concurrency=8).fetch_many(dois)
        statuses = server.statuses
    assert [o.status for o in outcomes.values()] == ["ok"] * 40
    # The client paces itself below the advertised limit; a stray 429 is recovered from.
    assert statuses.count(429) <= 2
    assert statuses.count(200) == 40


def test_fetch_many_inside_a_running_loop(
    fake: FakeRegistrar, dois_by_scenario: dict[str, str]
) -> None:
    doi = dois_by_scenario["plain"]

    async def main() -> Outcome:
        return client_for(fake).fetch(doi)

    assert asyncio.run(main()).status == "ok"


def test_unreachable_registrar_is_unverified() -> None:
    with FakeRegistrar({}) as server:
        url = server.url  # closed after this block: nothing listens there any more
    outcome = Registrar(Client(timeout=1.0, backoff_base=0.01), url, url).fetch("10.1234/x")
    assert outcome.status == "unverified"
    assert outcome.reason is not None and "could not connect" in outcome.reason
