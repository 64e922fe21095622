"""arXiv identifiers against arXiv: a real HTTP server on 127.0.0.1 speaking arXiv's export API
(Atom XML).

arXiv's records are made from real data: the meta-review corpus cites three arXiv preprints
(``@arxiv:1304.7151v1``, ``@arxiv:1502.01329``, ``@arxiv:1502.04015v1``), whose records Manubot
fetched from arXiv (``output/references.json``); and its Higgs boson article
(``10.1103/PhysRevLett.114.191803``) was first the preprint arXiv:1503.07589, whose record
gives the journal's DOI. :mod:`audit.sources.fake` serves them as arXiv's entries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audit.compare import compare_works
from audit.sources import Settings, Sources
from audit.sources.arxiv import (
    LIMIT,
    ArXiv,
    csl_to_entry,
    entry_to_csl,
    error_feed,
    feed,
    outcomes,
    parse_feed,
)
from audit.sources.fake import FakeRegistrar, arxiv_from_csl
from audit.sources.http import Client
from tests.conftest import about, findings_of, manuscript, need_shared, run_audit

MAILTO = "audit-tests@example.org"
HIGGS_DOI = "10.1103/physrevlett.114.191803"
FAST = (20, 1.0)  # a faster pace than arXiv's, for the tests that are not about pacing


# --------------------------------------------------------------------------- data


def corpus() -> list[dict[str, Any]]:
    path = need_shared("corpora", "meta-review", "output", "references.json")
    return json.loads(path.read_text("utf-8"))


def preprints() -> dict[str, dict[str, Any]]:
    """arXiv's records: the corpus's three preprints (as Manubot fetched them) and the Higgs
    article's preprint, whose record names the journal's DOI (as arXiv's does)."""
    served = arxiv_from_csl(corpus())
    higgs = next(item for item in corpus() if item.get("DOI") == HIGGS_DOI)
    served["1503.07589"] = {
        "type": "article", "number": "1503.07589v1", "container-title": "arXiv",
        "title": higgs["title"].replace("sqrt[s]", "\u221as"), "author": higgs["author"][:3],
        "issued": {"date-parts": [[2015, 3, 26]]}, "published-doi": HIGGS_DOI,
        "journal-ref": "Phys. Rev. Lett. 114, 191803 (2015)"}
    return served


def client_for(server: FakeRegistrar, **options: Any) -> ArXiv:
    client = Client(mailto=MAILTO, timeout=2.0, backoff_base=0.01, total_deadline=30.0)
    return ArXiv(client, url=server.url, **{"pace": FAST, **options})




# --------------------------------------------------------------------------- conversion


def test_atom_round_trip_keeps_the_comparison_silent() -> None:
    """Every preprint, through arXiv's entry and back, compares clean with itself and keeps
    its identifier (with its version), year, the published DOI and journal reference."""
    for base, item in preprints().items():
        answered = str(item["number"])
        (entry,) = parse_feed(feed([csl_to_entry(item, answered)])).entries.values()
        record = entry_to_csl(entry)
        assert compare_works(item, record) == [], base
        assert (record["type"], record["container-title"], record["number"]) == (
            "article", "arXiv", answered)
        assert record["URL"] == f"https://arxiv.org/abs/{answered}"
        assert record.get("published-doi") == item.get("published-doi")
        assert "DOI" not in record  # arXiv's own DOI names the preprint, not the article
    higgs = preprints()["1503.07589"]
    (entry,) = parse_feed(feed([csl_to_entry(higgs, "1503.07589v1")])).entries.values()
    assert entry_to_csl(entry)["journal-ref"] == "Phys. Rev. Lett. 114, 191803 (2015)"


ARXIV_ANSWER = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query%3D%26id_list%3D1503.07589%26start%3D0%26\
max_results%3D1" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=&amp;id_list=1503.07589&amp;start=0&amp;max_results=1</title>
  <id>http://arxiv.org/api/cHxbiOdZaP56ODnBPIenZhzg5f8</id>
  <updated>2026-11-25T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/1503.07589v1</id>
    <updated>2015-03-26T17:27:35Z</updated>
    <published>2015-03-26T17:27:35Z</published>
    <title>Combined Measurement of the Higgs Boson Mass in $pp$ Collisions at
  $\\sqrt{s}=7$ and 8 TeV with the ATLAS and CMS Experiments</title>
    <summary>  A measurement of the Higgs boson mass is presented ...
</summary>
    <author>
      <name>ATLAS Collaboration</name>
    </author>
    <author>
      <name>CMS Collaboration</name>
    </author>
    <author>
      <name>Ludwig van der Berg Jr.</name>
    </author>
    <arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">10.1103/PhysRevLett.114.191803</arxiv:doi>
    <link title="doi" href="http://dx.doi.org/10.1103/PhysRevLett.114.191803" rel="related"/>
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">Submitted to Phys. Rev. Lett</arxiv:comment>
    <arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">Phys. Rev. Lett. 114, \
191803 (2015)</arxiv:journal_ref>
    <link href="http://arxiv.org/abs/1503.07589v1" rel="alternate" type="text/html"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="hep-ex" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
"""


def test_entry_to_csl_reads_arxivs_forms() -> None:
    """An answer as arXiv writes it: namespaces declared on each element, a title wrapped
    over two lines, collaborations as authors, the published version's DOI in upper case."""
    (entry,) = parse_feed(ARXIV_ANSWER).entries.values()
    assert entry_to_csl(entry) == {
        "type": "article", "container-title": "arXiv", "publisher": "arXiv",
        "number": "1503.07589v1", "URL": "https://arxiv.org/abs/1503.07589v1", "version": "1",
        "title": "Combined Measurement of the Higgs Boson Mass in $pp$ Collisions at "
                 "$\\sqrt{s}=7$ and 8 TeV with the ATLAS and CMS Experiments",
        "author": [{"literal": "ATLAS Collaboration"}, {"literal": "CMS Collaboration"},
                   {"family": "van der Berg", "given": "Ludwig", "suffix": "Jr"}],
        "issued": {"date-parts": [[2015]]}, "available-date": {"date-parts": [[2015]]},
        "published-doi": HIGGS_DOI, "journal-ref": "Phys. Rev. Lett. 114, 191803 (2015)",
    }


def test_only_arxivs_no_such_article_is_a_verdict() -> None:
    """No entry for a well-formed identifier (or the old placeholder entry without an id) is
    not-found; an error entry (a malformed request), a page that is not arXiv's Atom answer,
    throttling, or another version than the one asked are unverified."""
    item = preprints()["1304.7151"]
    good = csl_to_entry(item, "1304.7151v1")
    ids = ["1304.7151v1", "2101.99999", "1304.7151v2"]

    def said(body: bytes, asked: list[str] = ids) -> list[str]:
        answer = outcomes(parse_feed(body), asked, lambda i: f"u/{i}", "u")
        return [answer[i].status for i in asked]

    # the version asked for too: v1 is v1's answer, v2 has none
    assert said(feed([good], total=3)) == ["ok", "not-found", "not-found"]
    assert said(feed([good, "<entry><title/></entry>"])) == ["ok", "not-found", "not-found"]
    assert said(feed([])) == ["not-found", "not-found", "not-found"]
    assert said(feed([good]), ["1304.7151v2"]) == ["unverified"]  # another version than asked
    error = error_feed("incorrect id format for 2101.9", "incorrect_id_format_for_2101.9")
    assert said(error) == ["unverified"] * 3
    assert "incorrect id format for 2101.9" in str(
        outcomes(parse_feed(error), ids, str, "u")["2101.99999"].reason)
    for page in (b"Rate exceeded.", b"<!DOCTYPE html><html><body>busy</body></html>",
                 b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>',
                 b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>'):  # no opensearch: not the API
        assert said(page) == ["unverified"] * 3, page
    # an entity in the answer is not expanded (the one safe XML parser)
    hostile = feed([good]).replace(b"<feed", b'<!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                   b"<feed", 1).replace(b"<title>", b"<title>&x;", 1)
    assert "root:" not in json.dumps(outcomes(parse_feed(hostile), ids, str, "u")["1304.7151v1"].record)


def test_from_env() -> None:
    env = {"AUDIT_ARXIV_URL": "http://127.0.0.1:1/"}
    client = Sources(Settings.from_env(env)).arxiv
    assert (client.url, client.pace) == ("http://127.0.0.1:1", LIMIT)
    assert Sources(Settings.from_env({})).arxiv.url == "https://export.arxiv.org"


# --------------------------------------------------------------------------- the client


def test_batches_versions_and_unknown_ids() -> None:
    served = preprints()
    asked = ["1304.7151v1", "1502.01329", "1502.04015v1", "1503.07589", "2101.99999", "1304.7151v9",
             "not-an-id"]
    with FakeRegistrar({}, arxiv=served) as server:
        answers = client_for(server, batch_size=2).fetch_many(asked)
        batches = server.arxiv_ids
        paths = [path for path, _ in server.requests]
        agents = [headers.get("User-Agent", "") for _, headers in server.requests]
    assert [len(b) for b in batches] == [2, 2, 2]  # "not-an-id" is never sent
    assert all(f"max_results={len(b)}" in p for b, p in zip(batches, paths, strict=True))
    assert all(MAILTO in agent for agent in agents)
    assert [answers[i].status for i in asked] == [
        "ok", "ok", "ok", "ok", "not-found", "not-found", "unverified"]
    record = answers["1502.01329"].record
    assert record is not None and record["number"] == "1502.01329v2"  # the latest version
    assert answers["1503.07589"].record is not None
    assert answers["1503.07589"].record["published-doi"] == HIGGS_DOI
    assert answers["1304.7151v1"].url == f"{server.url}/api/query?id_list=1304.7151v1&max_results=1"
    assert answers["1304.7151v1"].fetched and answers["1304.7151v1"].source == "arxiv"


@pytest.mark.parametrize(("scenario", "words"), [
    ("503@0", "HTTP 503"), ("html200", "not an Atom feed"), ("invalid-json", "not well-formed XML"),
    ("reset", "connection reset")])
def test_outages_are_unverified_never_not_found(scenario: str, words: str) -> None:
    served = preprints()
    with FakeRegistrar({}, arxiv=served, scenarios={"1304.7151": scenario}) as server:
        answers = client_for(server).fetch_many(["1304.7151v1", "1502.01329", "2101.99999"])
        attempts = len(server.arxiv_ids)
    assert {o.status for o in answers.values()} == {"unverified"}  # one request for all three
    assert all(words in (o.reason or "") for o in answers.values()), answers
    assert attempts <= 3  # retries are bounded


def test_requests_keep_within_arxivs_limit() -> None:
    """The fake enforces arXiv's limit (one request every 3 seconds) with 429s; the client,
    at arXiv's documented pace, never meets one."""
    with FakeRegistrar({}, arxiv=preprints(), rate_limit=1, rate_interval=3.0) as server:
        answers = client_for(server, batch_size=2, pace=LIMIT).fetch_many(
            ["1304.7151v1", "1502.01329", "1502.04015v1"])
        statuses = server.statuses
    assert statuses == [200, 200]
    assert {o.status for o in answers.values()} == {"ok"}


# --------------------------------------------------------------------------- the audit


def test_preprints_online_then_offline_from_the_lock(tmp_path: Path) -> None:
    """The corpus's preprints as entries (Manubot's records) and as keys, one entry with a
    typo in its title, the Higgs preprint by its key and as an entry: checked against arXiv,
    locked, and the offline audit says the same."""
    items = {item["id"]: item for item in corpus() if item.get("container-title") == "arXiv"}
    typo = {**items["Y2XyzLMc"], "id": "typo",
            "title": "Decentralized Trusted Timestamping using the Crypto Curency Bitcoin"}
    higgs = {"id": "higgs-preprint", "type": "article", "container-title": "arXiv",
             "URL": "https://arxiv.org/abs/1503.07589", **{
                 k: preprints()["1503.07589"][k] for k in ("title", "author", "issued")}}
    entries = [items["GKPtRdAw"], items["Xs2yPQcr"], typo, higgs]
    md = manuscript(tmp_path, entries, "Also [@arxiv:1502.04015v1; @arxiv:1503.07589].")
    with FakeRegistrar({}, arxiv=preprints()) as server:
        online = run_audit([str(md), "--refresh", "--format", "json"], server)
        batches = server.arxiv_ids
    found = findings_of(online)
    assert online.returncode == 0, online.stderr
    assert len(batches) == 1  # every identifier in one request
    assert about(found, "GKPtRdAw") == about(found, "Xs2yPQcr") == []
    assert about(found, "arxiv:1502.04015v1") == []
    assert about(found, "typo") == [("metadata-mismatch", "warning", "title")]
    (mismatch,) = [f for f in found if f["key"] == "typo"]
    assert mismatch["message"].startswith("arXiv (1502.04015v1): title")
    published = [f for f in found if f["code"] == "preprint-published"]
    assert sorted((f["key"], f["severity"], f["expected"]) for f in published) == [
        ("arxiv:1503.07589", "info", HIGGS_DOI), ("higgs-preprint", "info", HIGGS_DOI)]
    assert all(f"published as {HIGGS_DOI} (Phys. Rev. Lett. 114, 191803 (2015))" in f["message"]
               for f in published)
    # an article without a DOI, checked after all: its missing DOI is a note
    assert about(found, "higgs-preprint") == [("doi-missing", "info", None),
                                              ("preprint-published", "info", "arXiv")]
    locked = json.loads((tmp_path / "references.lock.json").read_text())
    assert locked["records"] == {}
    assert sorted(locked["arxiv"]) == ["1304.7151v1", "1502.01329v2", "1502.04015v1", "1503.07589"]
    assert all(e["provenance"]["source"] == "arxiv" and e["fetched"] for e in locked["arxiv"].values())
    offline = run_audit([str(md), "--format", "json"])
    assert offline.returncode == 0 and findings_of(offline) == found


def test_an_unknown_preprint_is_an_error_online_and_offline_from_the_lock(
        tmp_path: Path) -> None:
    items = {item["id"]: item for item in corpus() if item.get("container-title") == "arXiv"}
    md = manuscript(tmp_path, [items["GKPtRdAw"]], "And [@arxiv:2101.99999; @arxiv:1502.01329].")
    with FakeRegistrar({}, arxiv=preprints()) as server:
        online = run_audit([str(md), "--refresh", "--format", "json"], server)
    found = findings_of(online)
    assert online.returncode == 1
    assert about(found, "arxiv:2101.99999") == [("arxiv-not-found", "error", "arXiv")]
    assert about(found, "GKPtRdAw") == about(found, "arxiv:1502.01329") == []
    locked = json.loads((tmp_path / "references.lock.json").read_text())
    assert sorted(locked["arxiv"]) == ["1304.7151v1", "1502.01329"]
    # arXiv's word that there is no such article is locked, with its date and source
    assert list(locked["not-found"]) == ["arxiv"] and list(locked["not-found"]["arxiv"]) == [
        "2101.99999"]
    offline = run_audit([str(md), "--format", "json"])
    assert offline.returncode == 1
    assert findings_of(offline) == found


def test_an_arxiv_outage_is_unverified_and_locks_nothing(tmp_path: Path) -> None:
    items = {item["id"]: item for item in corpus() if item.get("container-title") == "arXiv"}
    md = manuscript(tmp_path, [items["GKPtRdAw"], items["Xs2yPQcr"]])
    with FakeRegistrar({}, arxiv=preprints(), scenarios={"1502.01329": "html200"}) as server:
        proc = run_audit([str(md), "--refresh", "--format", "json"], server)
    found = findings_of(proc)
    assert proc.returncode == 0  # unverified does not fail the audit by default
    assert [(f["key"], f["code"], f["field"]) for f in found] == [
        ("GKPtRdAw", "unverified", "arXiv"), ("Xs2yPQcr", "unverified", "arXiv")]
    assert all("not an Atom feed" in f["message"] for f in found)
    assert not (tmp_path / "references.lock.json").exists()  # nothing good: nothing written
