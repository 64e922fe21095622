"""PMCIDs against PubMed Central: a real HTTP server on 127.0.0.1 speaking NCBI's PMC ID
Converter (JSON) and E-utilities' esummary (``db=pmc``).

PMC's records are made from real data: the meta-review corpus's 23 records with a PMCID
(Manubot's, from PubMed) and the review's two public records with one (``macedo2017``,
``dalton2012``, ``../shared/references/public-records.json``), converted to each answer's
shape by :mod:`audit.sources.fake`. The review's bibliography is what is audited.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from audit.compare import compare_works
from audit.sources import Settings, Sources
from audit.sources.fake import FakeRegistrar, pmc_from_csl, pubmed_from_csl
from audit.sources.http import Client
from audit.sources.pmc import PMC, csl_to_summary, parse_idconv, summary_to_csl
from audit.sources.pubmed import PubMed
from tests.conftest import ROOT, about, findings_of, manuscript, need_shared, run_audit

MAILTO = "audit-tests@example.org"
API_KEY = "not-a-real-key-0123"


# --------------------------------------------------------------------------- data


def corpus() -> list[dict[str, Any]]:
    path = need_shared("corpora", "meta-review", "output", "references.json")
    return json.loads(path.read_text("utf-8"))


def public() -> list[dict[str, Any]]:
    """The review's public records as CSL items (PMID, PMCID and DOI as the record gives them)."""
    items = []
    for rec in json.loads(need_shared("references", "public-records.json").read_text("utf-8")):
        item = {k: v for k, v in rec.items() if v and k in (
            "type", "title", "author", "container-title", "container-title-short", "volume",
            "issue", "page", "DOI", "PMID", "PMCID")}
        if rec.get("issued"):
            item["issued"] = {"date-parts": [[rec["issued"]]]}
        items.append(item)
    return items


def served() -> dict[str, Any]:
    """What the fake serves: the public records (DOIs, PMIDs) and PMC's records."""
    records = {str(i["DOI"]).lower(): i for i in public() if i.get("DOI")}
    return {"records": records, "pubmed": pubmed_from_csl(public()),
            "pmc": {**pmc_from_csl(corpus()), **pmc_from_csl(public())}}


def review() -> dict[str, dict[str, Any]]:
    items = json.loads((ROOT / "manuscript" / "references.json").read_text("utf-8"))
    return {item["id"]: item for item in items}


def client_for(server: FakeRegistrar, **options: Any) -> PMC:
    client = Client(mailto=MAILTO, timeout=2.0, backoff_base=0.01, total_deadline=30.0)
    return PMC(client, url=server.url, eutils_url=server.url, **options)




# --------------------------------------------------------------------------- conversion


def test_pmc_round_trip_keeps_the_comparison_silent() -> None:
    """Every real record with a PMCID, through PMC's esummary shape and back, compares clean
    with itself and keeps its PMCID, PMID and DOI."""
    items = [item for item in [*corpus(), *public()] if item.get("PMCID")]
    assert len(items) == 23 + 2
    for item in items:
        record = summary_to_csl(csl_to_summary(item, item["PMCID"]), item["PMCID"])
        assert compare_works(item, record) == [], item.get("id") or item["PMCID"]
        assert record["PMCID"] == item["PMCID"]
        assert record.get("PMID") == (str(item["PMID"]) if item.get("PMID") else None)
        assert record.get("DOI") == (item["DOI"].lower() if item.get("DOI") else None)


def test_summary_to_csl_reads_pmcs_forms() -> None:
    """A PMC document summary as esummary gives it: the uid is the PMCID's digits, the PMID
    is among the article ids (``pmid``), and the ID Converter's PMID and DOI come first."""
    summary = {
        "uid": "4719068", "pubdate": "2016 Jan", "epubdate": "2015 Apr 17",
        "printpubdate": "2016 Jan 01", "source": "Brief Bioinform",
        "authors": [{"name": "Khare R", "authtype": "Author"}, {"name": "Good BM", "authtype": "Author"},
                    {"name": "Leaman R", "authtype": "Author"}, {"name": "Su AI", "authtype": "Author"},
                    {"name": "Lu Z", "authtype": "Author"}],
        "title": "Crowdsourcing in biomedicine: challenges and opportunities",
        "volume": "17", "issue": "1", "pages": "23-32",
        "articleids": [{"idtype": "pmid", "value": "25888696"},
                       {"idtype": "doi", "value": "10.1093/bib/bbv021"},
                       {"idtype": "pmcid", "value": "PMC4719068"}],
        "fulljournalname": "Briefings in Bioinformatics", "sortdate": "2016/01/01 00:00",
        "pmclivedate": "2016/01/20",
    }
    expected = {
        "type": "article-journal", "title": "Crowdsourcing in biomedicine: challenges and opportunities",
        "author": [{"family": "Khare", "given": "R"}, {"family": "Good", "given": "BM"},
                   {"family": "Leaman", "given": "R"}, {"family": "Su", "given": "AI"},
                   {"family": "Lu", "given": "Z"}],
        "container-title": "Briefings in Bioinformatics", "container-title-short": "Brief Bioinform",
        "volume": "17", "issue": "1", "page": "23-32", "issued": {"date-parts": [[2016]]},
        "PMID": "25888696", "DOI": "10.1093/bib/bbv021", "PMCID": "PMC4719068",
    }
    assert summary_to_csl(summary, "PMC4719068") == expected
    assert summary_to_csl(summary, "PMC4719068", pmid="1", doi="10.1/x") == {
        **expected, "PMID": "1", "DOI": "10.1/x"}
    zpi = next(item for item in corpus() if item.get("id") == "ZPiRHuLc")  # Manubot's record of it
    assert compare_works(zpi, summary_to_csl(summary, "PMC4719068")) == []


def test_only_the_id_converters_no_such_article_is_a_verdict() -> None:
    records = [{"pmcid": "PMC4719068", "pmid": "25888696", "doi": "10.1093/bib/bbv021"},
               {"pmcid": "PMC99999991", "live": "false", "status": "error", "errmsg": "invalid article id"},
               {"requested-id": "PMC99999992", "status": "error", "errmsg": "Identifier not found in PMC"},
               {"pmcid": "PMC99999993", "status": "error", "errmsg": "internal error, try again"}]
    asked = ["PMC4719068", "PMC99999991", "PMC99999992", "PMC99999993", "PMC99999994"]
    known, failed = parse_idconv(httpx.Response(200, json={"status": "ok", "records": records}),
                                 asked, lambda p: f"u/{p}", "u")
    assert known == {"PMC4719068": ("25888696", "10.1093/bib/bbv021")}
    assert [failed[p].status for p in asked[1:]] == ["not-found", "not-found", "unverified", "unverified"]
    assert "invalid article id" in (failed["PMC99999991"].reason or "")
    assert "no record for PMC99999994" in (failed["PMC99999994"].reason or "")
    broken, failed = parse_idconv(httpx.Response(200, json={"status": "error", "message": "bad ids"}),
                                  asked, str, "u")
    assert broken == {} and {o.status for o in failed.values()} == {"unverified"}
    assert "bad ids" in (failed["PMC4719068"].reason or "")


def test_from_env_shares_ncbis_settings() -> None:
    env = {"AUDIT_PMC_URL": "http://127.0.0.1:1/", "AUDIT_PUBMED_URL": "http://127.0.0.1:2",
           "NCBI_API_KEY": "k1", "AUDIT_MAILTO": "env@example.org"}
    sources = Sources(Settings.from_env(env))
    pmc = sources.pmc
    assert (pmc.url, pmc.eutils_url, pmc.api_key, pmc.limit) == (
        "http://127.0.0.1:1", "http://127.0.0.1:2", "k1", sources.pubmed.limit)
    assert pmc.credentials == {"tool": "manuscript-audit", "email": "env@example.org", "api_key": "k1"}
    # one limiter for PubMed's requests and PMC's: the one NCBI limit, not twice it
    assert sources.client.limiter(pmc.eutils_url, documented=(pmc.limit, 1.0)) is \
        sources.client.limiter(sources.pubmed.url, documented=(sources.pubmed.limit, 1.0))
    assert Sources(Settings.from_env({})).pmc.url == "https://www.ncbi.nlm.nih.gov"


# --------------------------------------------------------------------------- the client


def test_batches_unknown_pmcids_and_credentials() -> None:
    data = served()
    known = sorted(pmc_from_csl(corpus()))
    unknown = ["PMC99999991", "PMC99999992"]
    with FakeRegistrar({}, pmc=data["pmc"]) as server:
        answers = client_for(server, api_key=API_KEY, batch_size=10).fetch_many(
            [*known, *unknown, "not-a-pmcid"])
        idconv, summaries = server.idconv_ids, server.pmc_summary_ids
        paths = [path for path, _ in server.requests]
    # 25 PMCIDs, 10 to a request; the records of those the ID Converter knows
    assert [len(b) for b in idconv] == [10, 10, 5]
    assert sorted(p for b in idconv for p in b) == sorted([*known, *unknown])
    assert sorted(f"PMC{uid}" for b in summaries for uid in b) == known
    by_pmcid = pmc_from_csl(corpus())
    for pmcid in known:
        answer = answers[pmcid]
        assert answer.status == "ok", answer.reason
        assert answer.record is not None and answer.record["PMCID"] == pmcid
        assert answer.record["PMID"] == str(by_pmcid[pmcid]["PMID"])
        assert answer.record["DOI"] == str(by_pmcid[pmcid]["DOI"]).lower()
    assert [answers[p].status for p in unknown] == ["not-found", "not-found"]
    assert answers["not-a-pmcid"].status == "unverified"
    # NCBI's tool and email with every request, the key with E-utilities' only; never shown
    assert all("tool=manuscript-audit" in p and "email=audit-tests%40example.org" in p for p in paths)
    assert [f"api_key={API_KEY}" in p for p in paths] == ["esummary" in p for p in paths]
    for answer in answers.values():
        assert API_KEY not in f"{answer.reason} {answer.url}"
    assert answers[known[0]].url == (
        f"{server.url}/entrez/eutils/esummary.fcgi?db=pmc&id={known[0][3:]}&retmode=json")


@pytest.mark.parametrize(("scenario", "words"), [
    ("503@0", "HTTP 503"), ("html200", "HTML page"), ("invalid-json", "invalid JSON"),
    ("reset", "connection reset")])
def test_outages_are_unverified_never_not_found(scenario: str, words: str) -> None:
    pmcids = [*sorted(pmc_from_csl(corpus()))[:2], "PMC99999991"]
    with FakeRegistrar({}, pmc=served()["pmc"], scenarios={pmcids[0]: scenario}) as server:
        answers = client_for(server).fetch_many(pmcids)
        attempts = len(server.idconv_ids)
    assert {o.status for o in answers.values()} == {"unverified"}
    assert all(words in (o.reason or "") for o in answers.values()), answers
    assert attempts <= 3  # retries are bounded


def test_pubmed_and_pmc_together_keep_within_ncbis_limit() -> None:
    """The fake enforces NCBI's limit (3 requests a second) with 429s; PubMed's client and
    PMC's, asking side by side, share one limiter and never meet one."""
    items = [item for item in corpus() if item.get("PMCID")][:3]
    with FakeRegistrar({}, pubmed=pubmed_from_csl(items), pmc=pmc_from_csl(items), rate_limit=3,
                       rate_interval=1.0) as server:
        client = Client(mailto=MAILTO, timeout=2.0, backoff_base=0.01, total_deadline=30.0)
        pubmed = PubMed(client, server.url, batch_size=1)
        pmc = PMC(client, server.url, eutils_url=server.url)

        async def both() -> tuple[dict[str, Any], dict[str, Any]]:
            return await asyncio.gather(pubmed.afetch_many(str(i["PMID"]) for i in items),
                                        pmc.afetch_many(i["PMCID"] for i in items))

        by_pmid, by_pmcid = asyncio.run(both())
        statuses = server.statuses
    assert statuses == [200] * 5  # three esummary requests, the ID Converter, PMC's esummary
    assert {o.status for o in [*by_pmid.values(), *by_pmcid.values()]} == {"ok"}


# --------------------------------------------------------------------------- the audit


def entries() -> list[dict[str, Any]]:
    """The review's two entries with a PMCID, and three with something only PMC can tell."""
    ours = review()
    no_pmid = {k: v for k, v in ours["tomasian2016"].items() if k != "PMID"}
    other = {**no_pmid, "id": "other-article-pmcid", "PMCID": "PMC3508556"}  # dalton2012's
    no_doi = {k: v for k, v in ours["dalton2012"].items() if k != "DOI"}
    wrong_year = {**no_doi, "id": "no-doi-wrong-year", "issued": {"date-parts": [[2013]]}}
    return [ours["dalton2012"], ours["macedo2017"], other, wrong_year]


def test_pmcids_online_then_the_same_offline(tmp_path: Path) -> None:
    md = manuscript(tmp_path, entries(), "And [@pmcid:PMC4719068; @pmc:PMC99999991].")
    data = served()
    with FakeRegistrar(data["records"], pubmed=data["pubmed"], pmc=data["pmc"]) as server:
        online = run_audit([str(md), "--refresh", "--format", "json"], server,
                           env={"NCBI_API_KEY": API_KEY})
        asked = server.idconv_ids
    found = findings_of(online)
    assert online.returncode == 1, online.stderr
    assert len(asked) == 1  # every PMCID in one request
    assert about(found, "dalton2012") == about(found, "macedo2017") == []
    assert about(found, "pmcid:PMC4719068") == []
    # another article's PMCID: PMC gives it another DOI, and nothing more is compared
    assert about(found, "other-article-pmcid") == [("pmcid-mismatch", "error", "PMCID")]
    (other,) = [f for f in found if f["key"] == "other-article-pmcid"]
    assert "in PMC, which gives it DOI 10.2147/cia.s37025, not 10.3174/ajnr.a4521" in other["message"]
    # no DOI, no PMID: PMC's record is compared, its DOI suggested, the missing DOI a note
    assert about(found, "no-doi-wrong-year") == [
        ("doi-missing", "info", None), ("doi-suggested", "info", "DOI"),
        ("metadata-mismatch", "warning", "year")]
    year = next(f for f in found if f["key"] == "no-doi-wrong-year" and f["field"] == "year")
    assert year["message"].startswith("PMC (PMC3508556): year")
    assert about(found, "pmc:PMC99999991") == [("pmcid-not-found", "error", "PMCID")]
    text = (tmp_path / "references.lock.json").read_text()
    assert API_KEY not in text
    locked = json.loads(text)
    assert list(locked["pmc"]) == ["PMC3508556", "PMC4719068", "PMC5444408"]  # by number
    assert locked["pmc"]["PMC5444408"]["record"]["PMID"] == "28584570"
    assert all(e["provenance"]["source"] == "pmc" for e in locked["pmc"].values())
    # PMC's word that there is no such article is locked, with its date and source (not the key)
    absent = locked["not-found"]["pmc"]["PMC99999991"]
    assert absent["provenance"]["source"] == "pmc" and absent["fetched"].endswith("Z")
    # offline, from the lock: the same findings, the unknown PMCID's included
    offline = findings_of(run_audit([str(md), "--format", "json"]))
    assert offline == found


def test_a_pmc_outage_is_unverified_and_locks_nothing(tmp_path: Path) -> None:
    ours = review()
    md = manuscript(tmp_path, [ours["dalton2012"]])
    data = served()
    with FakeRegistrar(data["records"], pubmed=data["pubmed"], pmc=data["pmc"],
                       scenarios={"PMC3508556": "html200"}) as server:
        proc = run_audit([str(md), "--refresh", "--format", "json"], server)
    found = findings_of(proc)
    assert proc.returncode == 0
    assert [(f["key"], f["code"], f["field"]) for f in found] == [("dalton2012", "unverified", "PMCID")]
    assert "HTML page" in found[0]["message"]
    locked = json.loads((tmp_path / "references.lock.json").read_text())
    assert "pmc" not in locked and list(locked["records"]) == ["10.2147/cia.s37025"]
