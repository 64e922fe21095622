"""A DOI's record from Crossref, then doi.org, against a real HTTP server on 127.0.0.1
(:mod:`audit.sources.fake`); the shared HTTP policy (retries, Retry-After, deadline, pacing)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import Outcome
from audit.sources import Settings
from audit.sources.crossref import MAX_BATCH, MAX_URL, SELECT, crossref_to_csl, csl_to_crossref
from audit.sources.doi_org import CSL_JSON
from audit.sources.fake import (
    RETRACTION_NOTICE,
    FakeRegistrar,
    aliases_from_citations_tsv,
    records_from_csl,
)
from audit.sources.http import FAIL_FAST_AFTER, MAX_REDIRECTS, Client
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
    "partial-json": ("unverified", "invalid JSON in response", 1),  # whole, but not JSON
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


def client_for(server: FakeRegistrar | str, batch_size: int = MAX_BATCH, **options: Any
               ) -> Registrar:
    """The registrar client at ``server`` (a fake, or a URL); ``batch_size`` 1: every DOI singly."""
    policy: dict[str, Any] = {
        "mailto": MAILTO,
        "timeout": 1.0,
        "max_retries": 3,
        "total_deadline": 10.0,
        "backoff_base": 0.01,
    }
    url = server if isinstance(server, str) else server.url
    return Registrar(Client(**{**policy, **options}), url, url, batch_size=batch_size)


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
    # A generous advertised limit, so concurrency (not the rate limiter) is the bottleneck;
    # every DOI asked singly, so that there are requests to run side by side.
    calls: list[tuple[int, int]] = []
    with FakeRegistrar(records, latency=0.05, rate_limit=1000) as server:
        client = client_for(server, batch_size=1, max_concurrency=4)
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
    # asked singly (in one list query the slow DOI would hold the other back)
    client = client_for(fake, batch_size=1, timeout=10.0, total_deadline=1.0)
    start = time.monotonic()
    outcomes = client.fetch_many([slow, plain])
    assert time.monotonic() - start < 4.0  # the server would take 5 s
    assert outcomes[slow].status == "unverified"
    assert outcomes[slow].reason is not None and "deadline exceeded" in outcomes[slow].reason
    assert outcomes[plain].status == "ok"


def test_rate_limit_is_respected(records: dict[str, dict[str, Any]]) -> None:
    dois = [d for d in records if d.startswith("10.")][:40]
    with FakeRegistrar(records, rate_limit=20, rate_interval=1.0) as server:
        outcomes = client_for(server, batch_size=1, max_concurrency=8).fetch_many(dois)
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


# --------------------------------------------------------------------------- list queries


def test_a_list_query_selects_every_field_the_conversion_reads() -> None:
    """``select=`` keeps whatever :func:`crossref_to_csl` reads: a work with every field it
    knows (and some it does not) converts the same with only the selected fields, and
    leaving out any one field that changes the conversion is leaving out a selected one."""
    message = {
        "DOI": "10.1234/abc", "type": "journal-article", "title": ["Main"], "subtitle": ["sub"],
        "author": [{"given": "Ada", "family": "Lovelace"}], "editor": [{"name": "A Board"}],
        "container-title": ["Journal"], "short-container-title": ["J"], "ISSN": ["1234-5678"],
        "issn-type": [{"value": "8765-4321", "type": "electronic"}],
        "issued": {"date-parts": [[2020, 1]]}, "published-print": {"date-parts": [[2020, 2]]},
        "published-online": {"date-parts": [[2020, 3]]}, "published": {"date-parts": [[2020, 4]]},
        "indexed": {"date-parts": [[2024, 5, 6]]},
        "volume": "7", "issue": "2", "page": "1-9", "publisher": "P", "URL": "https://doi.org/x",
        "ISBN": ["9780306406157"], "updated-by": [{"type": "retraction", "DOI": "10.1/n"}],
        "update-to": [{"type": "correction", "DOI": "10.1/m"}],
        "reference": [{"key": "r1"}], "abstract": "<jats:p>Text</jats:p>", "license": [],
        "is-referenced-by-count": 3, "relation": {"is-preprint-of": [{"id": "10.1/p"}]},
    }
    selected = {k: v for k, v in message.items() if k in SELECT}
    # without "issued", the conversion reads the other dates (each in turn)
    variants = [message, {k: v for k, v in message.items() if k != "issued"},
                {k: v for k, v in message.items() if k not in ("issued", "published-print")},
                {k: v for k, v in message.items() if k not in ("ISSN",)}]
    for full in variants:
        assert crossref_to_csl({k: v for k, v in full.items() if k in SELECT}) == crossref_to_csl(full)
        for key in full:
            without = crossref_to_csl({k: v for k, v in full.items() if k != key})
            if without != crossref_to_csl(full):
                assert key in SELECT, key
    assert set(selected) == set(SELECT)  # and every selected field is one a work has


@pytest.fixture(scope="module")
def synthetic() -> dict[str, dict[str, Any]]:
    """300 works with long DOIs: lists bounded by the URL's length rather than their count."""
    return {f"10.5555/{'long-suffix-' * 5}{i:04d}": {
        "DOI": f"10.5555/{'Long-Suffix-' * 5}{i:04d}",  # registered in another case than asked
        "type": "article-journal", "title": f"Work {i}", "author": [{"family": "Doe", "given": "J"}],
        "issued": {"date-parts": [[2000 + i % 20]]}, "container-title": "Journal"} for i in range(300)}


def test_many_dois_are_asked_in_list_queries_within_a_safe_url(
        synthetic: dict[str, dict[str, Any]]) -> None:
    dois = list(synthetic)
    with FakeRegistrar(synthetic) as server:
        outcomes = client_for(server).fetch_many(dois)
        lists, paths = server.listed_dois, [p for p, _ in server.requests]
    assert {o.status for o in outcomes.values()} == {"ok"}
    # matched to the DOIs asked whatever the case of the registered DOI
    assert all(o.record and o.record["DOI"].lower() == d for d, o in outcomes.items())
    assert all(o.url == f"{server.url}/works/{d}" and o.source == "crossref"
               for d, o in outcomes.items())
    assert sorted(d for batch in lists for d in batch) == sorted(dois)  # each asked once, no single
    assert len(paths) == len(lists) > 1
    assert all(len(server.url + p) <= MAX_URL for p in paths)
    assert all(len(batch) <= MAX_BATCH for batch in lists)
    assert all(f"rows={len(batch)}" in p and "select=" in p and "mailto=" in p
               for batch, p in zip(lists, paths, strict=True))


def test_a_record_from_a_list_is_the_record_a_single_lookup_gives(
        records: dict[str, dict[str, Any]]) -> None:
    """The corpus's records through list queries (with ``select=``) and through
    ``/works/{doi}``: the same CSL records, retractions included, hence the same findings."""
    dois = [d for d in records if d.startswith("10.")]
    retracted = dois[3]
    with FakeRegistrar(records, scenarios={retracted: "retracted"}, rate_limit=1000) as server:
        listed = client_for(server, batch_size=8).fetch_many(dois)  # 71: 8 lists, none of one
        asked_singly = [p for p, _ in server.requests if p.startswith("/works/")]
        single = client_for(server, batch_size=1).fetch_many(dois)
    assert asked_singly == []  # every one was in a list's answer
    assert {d: o.record for d, o in listed.items()} == {d: o.record for d, o in single.items()}
    assert {d: (o.status, o.source, o.url) for d, o in listed.items()} == {
        d: (o.status, o.source, o.url) for d, o in single.items()}
    assert [u["type"] for u in listed[retracted].record["updates"]] == ["retraction"]  # type: ignore[index]


def test_a_doi_missing_from_a_list_is_asked_singly_before_any_verdict(
        records: dict[str, dict[str, Any]]) -> None:
    plain = [d for d in records if d.startswith("10.")][:6]
    elsewhere, unknown = plain[4], "10.9999/no-such-work"  # doi.org's, nobody's
    comma = "10.5555/a,b"  # a comma cannot be one of a filter's values: asked singly
    served = {**records, comma: {"DOI": comma, "type": "article", "title": "Comma"}}
    with FakeRegistrar(served, scenarios={elsewhere: "crossref-404"}) as server:
        outcomes = client_for(server).fetch_many([*plain, unknown, comma.upper()])
        lists = server.listed_dois
        singles = [p for p, _ in server.requests if not p.startswith("/works?")]
    assert lists == [[*plain, unknown]]
    assert [o.status for o in outcomes.values()] == ["ok"] * 6 + ["not-found", "ok"]
    assert outcomes[elsewhere].source == "doi.org"
    assert outcomes[unknown].reason == (f"HTTP 404 from {server.url}/works/{unknown} and from "
                                        f"{server.url}/{unknown}")
    assert outcomes[comma.upper()].asked == comma.upper()
    assert outcomes[comma.upper()].record == {**served[comma]}
    asked = {unquote(p.split("?")[0]) for p in singles}
    assert asked == {f"/works/{elsewhere}", f"/{elsewhere}", f"/doi/{elsewhere}",
                     f"/works/{unknown}", f"/{unknown}", f"/doi/{unknown}", "/works/10.5555/a,b"}


def test_a_failed_list_query_leaves_each_doi_to_its_single_lookup(
        records: dict[str, dict[str, Any]]) -> None:
    dois = [d for d in records if d.startswith("10.")][:5]
    with FakeRegistrar(records, scenarios={dois[0]: "500"}) as server:
        outcomes = client_for(server).fetch_many(dois)
        statuses = server.statuses
    assert outcomes[dois[0]].status == "unverified"
    assert "HTTP 500" in (outcomes[dois[0]].reason or "")
    assert [outcomes[d].status for d in dois[1:]] == ["ok"] * 4
    assert statuses.count(500) == 3 + 3  # the list query's attempts, then the DOI's own
    assert outcomes[dois[0]].attempts == 6


def test_the_fake_answers_a_list_query_in_crossrefs_format(
        records: dict[str, dict[str, Any]]) -> None:
    import httpx

    dois = [d for d in records if d.startswith("10.")][:3]
    with FakeRegistrar(records) as server:
        answer = httpx.get(f"{server.url}/works", params={
            "filter": ",".join(f"doi:{d.upper()}" for d in [*dois, "10.9999/none"]),
            "rows": "2", "select": "DOI,title"}).json()
        refused = httpx.get(f"{server.url}/works", params={"filter": "from-pub-date:2020"})
    assert (answer["status"], answer["message-type"]) == ("ok", "work-list")
    message = answer["message"]
    assert message["total-results"] == 3 and message["items-per-page"] == 2
    assert [set(item) for item in message["items"]] == [{"DOI", "title"}] * 2
    assert [item["DOI"].lower() for item in message["items"]] == dois[:2]
    assert refused.status_code == 400
    assert refused.json()["message-type"] == "validation-failure"


# --------------------------------------------------------------------------- limits


def test_list_queries_and_single_lookups_are_paced_apart(
        records: dict[str, dict[str, Any]]) -> None:
    """The fake limits list queries to 5 a second and single lookups to 50, each advertised
    with its own answers: the client learns each limit apart and stays within both."""
    dois = [d for d in records if d.startswith("10.")][:30]
    unknown = [f"10.9999/none-{i}" for i in range(6)]  # asked singly, after the lists
    with FakeRegistrar(records, rate_limit=50, list_rate_limit=5) as server:
        registrar = client_for(server, batch_size=5)
        outcomes = registrar.fetch_many([*dois, *unknown])
        statuses = server.statuses
    assert [o.status for o in outcomes.values()] == ["ok"] * 30 + ["not-found"] * 6
    assert len(server.listed_dois) == 7  # the last one, alone, was asked singly
    assert statuses.count(429) <= 1  # a stray one (a busy machine) is recovered from
    assert registrar.client.limiter(server.url, lists=True).advertised == (5, 1.0)
    assert registrar.client.limiter(server.url).advertised == (50, 1.0)


def test_an_advertised_concurrency_limit_is_kept(records: dict[str, dict[str, Any]]) -> None:
    dois = [d for d in records if d.startswith("10.")][:20]
    with FakeRegistrar(records, latency=0.05, rate_limit=1000, concurrency_limit=2) as server:
        registrar = client_for(server, batch_size=1, max_concurrency=5)
        outcomes = registrar.fetch_many(dois)
        statuses = server.statuses
    assert {o.status for o in outcomes.values()} == {"ok"}
    assert registrar.client.host(server.url).cap == 2
    # at most the requests sent before the first answer told the limit went beyond it
    assert statuses.count(429) <= 3


def test_each_429_lowers_the_concurrency_cap(records: dict[str, dict[str, Any]]) -> None:
    doi = next(d for d in records if d.startswith("10."))
    with FakeRegistrar(records, scenarios={doi: "429x2@0"}) as server:
        registrar = client_for(server, max_concurrency=3)
        outcome = registrar.fetch(doi)
    assert (outcome.status, outcome.attempts) == ("ok", 3)
    assert registrar.client.host(server.url).cap == 1


# --------------------------------------------------------------------------- fail fast


@pytest.mark.parametrize("batch_size", [MAX_BATCH, 1])
def test_an_unreachable_registrar_is_given_up_after_a_few_connection_failures(
        synthetic: dict[str, dict[str, Any]], batch_size: int) -> None:
    with FakeRegistrar({}) as server:
        url = server.url  # closed after this block: connections are refused
    registrar = client_for(url, batch_size=batch_size, total_deadline=600.0)
    outcomes = registrar.fetch_many(list(synthetic))
    host = registrar.client.host(url)
    assert host.down is not None and "unreachable" in host.down
    assert {o.status for o in outcomes.values()} == {"unverified"}
    assert {o.reason for o in outcomes.values()} == {host.down}
    assert host.down.startswith(f"could not connect to {url.removeprefix('http://')}: unreachable")
    # the connections tried: the few that failed in a row, and those already under way
    assert host.attempts <= FAIL_FAST_AFTER + registrar.client.max_concurrency
