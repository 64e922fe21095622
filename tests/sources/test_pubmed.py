"""PMIDs against PubMed: a real HTTP server on 127.0.0.1 speaking E-utilities' esummary JSON.

PubMed's records are made from real data: the meta-review corpus's registrar records
(Manubot) and the public records of the review's own references
(``../shared/references/public-records.json``), converted to esummary's shape by
:mod:`audit.sources.fake`. The review's bibliography (``manuscript/references.json``) is
what is audited.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from audit.compare import compare_works
from audit.sources import Settings, Sources
from audit.sources.fake import FakeRegistrar, records_from_csl
from audit.sources.http import Client
from audit.sources.pubmed import (
    KEYED_LIMIT,
    LIMIT,
    PubMed,
    csl_to_esummary,
    esummary_to_csl,
    parse_esearch,
)
from audit.works import pubmed_terms
from tests.conftest import ROOT, about, findings_of, manuscript, need_shared, public_records, run_audit

MAILTO = "audit-tests@example.org"
API_KEY = "not-a-real-key-0123"
CSL_FIELDS = ("type", "title", "author", "container-title", "container-title-short", "volume",
              "issue", "page", "DOI", "PMID", "PMCID")


# --------------------------------------------------------------------------- data


def corpus() -> list[dict[str, Any]]:
    path = need_shared("corpora", "meta-review", "output", "references.json")
    return json.loads(path.read_text("utf-8"))


def public_pubmed() -> dict[str, dict[str, Any]]:
    """PubMed's records for the review's references: the public records that show a PMID,
    as CSL items by PMID (the fake serves each as an esummary document summary)."""
    served = {}
    for rec in json.loads(need_shared("references", "public-records.json").read_text("utf-8")):
        if not rec.get("PMID"):
            continue
        item = {k: v for k, v in rec.items() if v and k in CSL_FIELDS}
        item["author"] = [a for a in item.get("author", [])
                          if "et al" not in str(a.get("family") or a.get("literal") or "")]
        if rec.get("issued"):
            item["issued"] = {"date-parts": [[rec["issued"]]]}
        served[str(rec["PMID"])] = item
    return served


def review_entries() -> dict[str, dict[str, Any]]:
    """The review's bibliography entries that carry a PMID, by key."""
    items = json.loads((ROOT / "manuscript" / "references.json").read_text("utf-8"))
    return {item["id"]: item for item in items if item.get("PMID")}


def client_for(server: FakeRegistrar, **options: Any) -> PubMed:
    client = Client(mailto=MAILTO, timeout=2.0, backoff_base=0.01, total_deadline=30.0)
    return PubMed(client, url=server.url, **options)




# --------------------------------------------------------------------------- conversion


def test_esummary_round_trip_keeps_the_comparison_silent() -> None:
    """Every real record with a PMID, through esummary's shape and back, compares clean
    with itself (names as ``Family AB``, PubMed's closing period, the NLM abbreviation)."""
    items = [item for item in corpus() if item.get("PMID")] + list(public_pubmed().values())
    assert len(items) == 38 + 6
    for item in items:
        record = esummary_to_csl(csl_to_esummary(item, str(item["PMID"])))
        assert compare_works(item, record) == [], item.get("id") or item["PMID"]
        assert record["PMID"] == str(item["PMID"])
        assert record.get("DOI") == (item["DOI"].lower() if item.get("DOI") else None)
        assert record.get("PMCID") == item.get("PMCID")


def test_esummary_to_csl_reads_pubmed_forms() -> None:
    summary = {
        "uid": "28265654", "pubdate": "2017 Mar 7", "epubdate": "", "source": "Ann Intern Med",
        "authors": [{"name": "Briatore L", "authtype": "Author", "clusterid": ""},
                    {"name": "van der Berg KAJM", "authtype": "Author", "clusterid": ""},
                    {"name": "Pozzi I Jr", "authtype": "Author", "clusterid": ""},
                    {"name": "SPINE Study Group", "authtype": "CollectiveName", "clusterid": ""}],
        "title": "[Annals graphic medicine - something strange].", "volume": "166", "issue": "5",
        "pages": "W5-W6", "issn": "0003-4819", "essn": "1539-3704",
        "articleids": [{"idtype": "pubmed", "idtypen": 1, "value": "28265654"},
                       {"idtype": "pmcid", "idtypen": 5,
                        "value": "pmc-id: PMC4339370;manuscript-id: NIHMS639294;embargo-date:2016/03/01;"}],
        "fulljournalname": "Annals of internal medicine", "elocationid": "doi: 10.7326/G16-0026",
        "sortpubdate": "2017/03/07 00:00",
    }
    assert esummary_to_csl(summary) == {
        "type": "article-journal", "PMID": "28265654",
        "title": "Annals graphic medicine - something strange",
        "author": [{"family": "Briatore", "given": "L"},
                   {"family": "van der Berg", "given": "K. A. J. M."},
                   {"family": "Pozzi", "given": "I", "suffix": "Jr"},
                   {"literal": "SPINE Study Group"}],
        "container-title": "Annals of internal medicine", "container-title-short": "Ann Intern Med",
        "volume": "166", "issue": "5", "page": "W5-W6", "ISSN": ["0003-4819", "1539-3704"],
        "issued": {"date-parts": [[2017]]}, "DOI": "10.7326/g16-0026", "PMCID": "PMC4339370",
    }


def test_from_env_and_explicit_arguments() -> None:
    env = {"AUDIT_PUBMED_URL": "http://127.0.0.1:1/", "NCBI_API_KEY": "k1", "AUDIT_MAILTO": "env@example.org"}
    client = Sources(Settings.from_env(env)).pubmed
    assert (client.url, client.api_key, client.limit) == ("http://127.0.0.1:1", "k1", KEYED_LIMIT)
    assert client.credentials == {"tool": "manuscript-audit", "email": "env@example.org", "api_key": "k1"}
    plain = Sources(Settings.from_env({}, pubmed_url="http://127.0.0.1:2")).pubmed
    assert (plain.url, plain.api_key, plain.limit) == ("http://127.0.0.1:2", None, LIMIT)
    assert plain.credentials == {"tool": "manuscript-audit"}
    assert Sources(Settings.from_env({})).pubmed.url == "https://eutils.ncbi.nlm.nih.gov"


# --------------------------------------------------------------------------- the client


def test_batches_unknown_pmids_and_credentials() -> None:
    items = corpus()
    known = [str(item["PMID"]) for item in items if item.get("PMID")]
    unknown = ["39999991", "39999992"]
    with FakeRegistrar(records_from_csl(items)) as server:
        outcomes = client_for(server, api_key=API_KEY, batch_size=10).fetch_many(
            [*known, *unknown, "not-a-pmid"])
        batches = server.esummary_ids
        paths = [path for path, _ in server.requests]
    # 40 PMIDs, 10 to a request; every PMID asked once
    assert [len(b) for b in batches] == [10, 10, 10, 10]
    assert sorted(p for b in batches for p in b) == sorted([*known, *unknown])
    by_pmid = {str(item["PMID"]): item for item in items if item.get("PMID")}
    for pmid in known:
        outcome = outcomes[pmid]
        assert outcome.status == "ok", outcome.reason
        assert outcome.record is not None and outcome.record["PMID"] == pmid
        assert outcome.record["DOI"] == by_pmid[pmid]["DOI"].lower()
        assert outcome.fetched is not None and outcome.fetched.endswith("Z")
    for pmid in unknown:
        assert outcomes[pmid].status == "not-found"
        assert "cannot get document summary" in (outcomes[pmid].reason or "")
    assert outcomes["not-a-pmid"].status == "unverified"
    # NCBI's tool, email and key go with every request, and never into what is shown or locked
    assert all("tool=manuscript-audit" in p and "email=audit-tests%40example.org" in p
               and f"api_key={API_KEY}" in p for p in paths)
    for outcome in outcomes.values():
        assert API_KEY not in f"{outcome.reason} {outcome.url}"
    assert outcomes[known[0]].url == (
        f"{server.url}/entrez/eutils/esummary.fcgi?db=pubmed&id={known[0]}&retmode=json")


@pytest.mark.parametrize(("scenario", "words"), [
    ("503", "HTTP 503"), ("500x3", "HTTP 500"), ("html200", "HTML page"),
    ("invalid-json", "invalid JSON"), ("reset", "connection reset")])
def test_outages_are_unverified_never_not_found(scenario: str, words: str) -> None:
    items = [item for item in corpus() if item.get("PMID")][:3]
    pmids = [str(item["PMID"]) for item in items]
    with FakeRegistrar(records_from_csl(items), scenarios={pmids[0]: scenario}) as server:
        outcomes = client_for(server).fetch_many(pmids)
        attempts = len(server.esummary_ids)
    assert {o.status for o in outcomes.values()} == {"unverified"}  # one request for all three
    assert all(words in (o.reason or "") for o in outcomes.values()), outcomes
    assert attempts <= 3  # retries are bounded


def test_a_429_is_waited_out_and_retried() -> None:
    items = [item for item in corpus() if item.get("PMID")][:5]
    pmids = [str(item["PMID"]) for item in items]
    with FakeRegistrar(records_from_csl(items), scenarios={pmids[2]: "429x1"}) as server:
        outcomes = client_for(server).fetch_many(pmids)
        statuses = server.statuses
    assert statuses == [429, 200]
    assert {o.status for o in outcomes.values()} == {"ok"}


@pytest.mark.parametrize("api_key", [None, API_KEY])
def test_requests_keep_within_ncbis_limit(api_key: str | None) -> None:
    """The fake enforces NCBI's limit (3 requests a second, 10 with a key) with 429s; the
    client, asking for one PMID a request, never meets one."""
    items = [item for item in corpus() if item.get("PMID")][:12]
    pmids = [str(item["PMID"]) for item in items]
    limit = 10 if api_key else 3  # NCBI's documented limits
    with FakeRegistrar(records_from_csl(items), rate_limit=limit, rate_interval=1.0) as server:
        outcomes = client_for(server, api_key=api_key, batch_size=1).fetch_many(pmids)
        statuses = server.statuses
    assert statuses == [200] * 12
    assert {o.status for o in outcomes.values()} == {"ok"}


# --------------------------------------------------------------------------- the audit


def test_correct_pmids_pass_and_the_offline_audit_agrees(tmp_path: Path) -> None:
    """The review's six entries with a PMID: PubMed agrees with each (PMID, DOI, PMCID);
    the records are locked, without the API key, and the audit from the lock says the same."""
    entries = list(review_entries().values())
    assert len(entries) == 6
    md = manuscript(tmp_path, entries)
    with FakeRegistrar(public_records(), pubmed=public_pubmed()) as server:
        online = run_audit([str(md), "--refresh", "--format", "json"], server,
                           env={"NCBI_API_KEY": API_KEY})
        batches = server.esummary_ids
    assert online.returncode == 0, online.stderr
    assert findings_of(online) == []
    assert sorted(batches[0]) == sorted(str(e["PMID"]) for e in entries) and len(batches) == 1
    text = (tmp_path / "references.lock.json").read_text()
    assert API_KEY not in text
    locked = json.loads(text)["pubmed"]
    assert sorted(locked) == sorted(str(e["PMID"]) for e in entries)
    assert all(entry["provenance"]["source"] == "pubmed" and entry["fetched"]
               for entry in locked.values())
    assert locked["28584570"]["record"]["PMCID"] == "PMC5444408"
    offline = run_audit([str(md), "--format", "json"])
    assert offline.returncode == 0 and findings_of(offline) == []


def disagreeing_entries() -> list[dict[str, Any]]:
    """Real entries, each with one thing wrong that only PubMed can tell."""
    review = review_entries()
    wrong_pmid = {**review["mcmenomy2013"], "id": "wrong-pmid",
                  "PMID": review["wallace2015palliation"]["PMID"]}
    other_pmcid = {**review["macedo2017"], "id": "other-pmcid", "PMCID": "PMC3508556"}  # ref. 23's
    unlinked_pmcid = {**review["tomasian2016"], "id": "unlinked-pmcid", "PMCID": "PMC5444408"}
    no_doi = {k: v for k, v in review["patchell2005"].items() if k != "DOI"}
    wrong_title_year = {**no_doi, "id": "wrong-title-year", "issued": {"date-parts": [[1998]]},
                        "title": "Whole-brain radiotherapy for single cerebral metastases"}
    return [wrong_pmid, other_pmcid, unlinked_pmcid, wrong_title_year, review["sorensen2019"]]


def test_pubmed_disagreements_online_and_the_same_offline(tmp_path: Path) -> None:
    md = manuscript(tmp_path, disagreeing_entries(), "And [@pmid:30822527].")
    with FakeRegistrar(public_records(), pubmed=public_pubmed()) as server:
        online = run_audit([str(md), "--refresh", "--format", "json"], server)
    found = findings_of(online)
    assert online.returncode == 1, online.stderr
    # the PMID of another article: PubMed's DOI for it says so, and nothing more is compared
    assert about(found, "wrong-pmid") == [("pmid-doi-mismatch", "error", "DOI")]
    (mismatch,) = [f for f in found if f["key"] == "wrong-pmid"]
    assert (mismatch["expected"], mismatch["found"]) == ("10.1007/s11060-015-1813-2",
                                                         "10.1016/j.jvir.2012.10.019")
    assert "J Neurooncol" in mismatch["message"] and "2015" in mismatch["message"]
    # another article's PMCID (error); a PMCID PubMed does not link to the PMID is a warning
    # where PubMed alone tells, an error once PMC says whose it is (macedo2017's: see test_pmc)
    assert about(found, "other-pmcid") == [("pmcid-mismatch", "error", "PMCID")]
    assert about(found, "unlinked-pmcid") == [("pmcid-mismatch", "error", "PMCID")]
    (unlinked,) = [f for f in found if f["key"] == "unlinked-pmcid"]
    assert "in PMC, which gives it PMID 28584570" in unlinked["message"]
    # no DOI: PubMed's record is compared field by field, and its DOI suggested; the entry
    # was checked after all, so its missing DOI is a note, not a "cannot be checked" warning
    assert about(found, "wrong-title-year") == [
        ("doi-missing", "info", None), ("doi-suggested", "info", "DOI"),
        ("metadata-mismatch", "error", "title"), ("metadata-mismatch", "error", "year")]
    (missing,) = [f for f in found if f["key"] == "wrong-title-year" and f["code"] == "doi-missing"]
    assert missing["message"] == ("journal article without a DOI: checked against PubMed's record "
                                  "for PMID 16112300 instead")
    year = next(f for f in found if f["key"] == "wrong-title-year" and f["field"] == "year")
    assert (year["expected"], year["found"]) == ("2005", "1998")
    assert year["message"].startswith("PubMed (PMID 16112300): year")
    # right ones are passed, as entries and as citation keys
    assert about(found, "sorensen2019") == about(found, "pmid:30822527") == []
    # offline, from the lock: the very same findings
    offline = run_audit([str(md), "--format", "json"])
    assert offline.returncode == 1
    assert findings_of(offline) == found


def test_an_unknown_pmid_is_an_error_online_and_offline_from_the_lock(tmp_path: Path) -> None:
    entry = {**review_entries()["sorensen2019"], "PMID": "39999993"}
    no_doi = {k: v for k, v in review_entries()["patchell2005"].items() if k != "DOI"}
    no_doi.update(id="no-doi-unknown-pmid", PMID="39999995")
    md = manuscript(tmp_path, [entry, no_doi], "And [@pmid:39999994].")
    with FakeRegistrar(public_records(), pubmed=public_pubmed()) as server:
        online = run_audit([str(md), "--refresh", "--format", "json"], server)
    found = findings_of(online)
    assert online.returncode == 1
    assert about(found, "sorensen2019") == [("pmid-not-found", "error", "PMID")]
    assert about(found, "pmid:39999994") == [("pmid-not-found", "error", "PMID")]
    # not checked through its PMID either: the missing DOI stays a warning
    assert ("doi-missing", "warning", None) in about(found, "no-doi-unknown-pmid")
    assert "cannot get document summary" in found[0]["message"]
    locked = json.loads((tmp_path / "references.lock.json").read_text())
    assert "pubmed" not in locked  # no record; PubMed's word that there is none, by PMID:
    assert list(locked["not-found"]["pubmed"]) == ["39999993", "39999994", "39999995"]
    assert all(e["provenance"]["source"] == "pubmed" and "cannot get document summary" in e["reason"]
               for e in locked["not-found"]["pubmed"].values())
    # as for a DOI the registrar does not know: the same verdicts offline, from the lock
    offline = findings_of(run_audit([str(md), "--format", "json"]))
    assert offline == found


def test_pubmed_outage_is_unverified_and_locks_nothing(tmp_path: Path) -> None:
    entries = list(review_entries().values())[:2]
    md = manuscript(tmp_path, entries)
    with FakeRegistrar(public_records(), pubmed=public_pubmed(),
                       scenarios={str(entries[0]["PMID"]): "503"}) as server:
        proc = run_audit([str(md), "--refresh", "--format", "json"], server)
    found = findings_of(proc)
    assert proc.returncode == 0  # unverified does not fail the audit by default
    assert [(f["key"], f["code"], f["field"]) for f in found] == [
        (e["id"], "unverified", "PMID") for e in entries]
    assert all("HTTP 503" in f["message"] for f in found)
    locked = json.loads((tmp_path / "references.lock.json").read_text())
    assert "pubmed" not in locked and len(locked["records"]) == 2


# --------------------------------------------------------------------------- the lock


def test_the_lock_keeps_pubmed_records_through_dumps_load_and_merge(tmp_path: Path) -> None:
    from audit.lock import Lock, LockedRecord, merge

    path = tmp_path / "references.lock.json"
    served = public_pubmed()
    pubmed = {pmid: LockedRecord(record=esummary_to_csl(csl_to_esummary(item, pmid)),
                                 fetched="2026-11-25T00:00:00Z",
                                 provenance={"source": "pubmed", "url": f"http://x/?id={pmid}"})
              for pmid, item in served.items()}
    doi = "10.4081/oncol.2017.321"
    record = LockedRecord(record={"DOI": doi, "title": "Bone Metastases: An Overview"},
                          fetched="2026-11-25T00:00:00Z", provenance={"source": "test"})
    merge(path, {doi: record}, pubmed=pubmed)
    loaded = Lock.load(path)
    assert loaded.pubmed == pubmed and loaded.get_pmid("28584570") == pubmed["28584570"]
    assert loaded.dumps() == json.dumps(loaded.to_json(), indent=2, ensure_ascii=False)
    assert list(json.loads(path.read_text())["pubmed"]) == sorted(served, key=int)  # by number
    # a later merge of DOI records alone, by another process (the file is re-read), keeps them
    other = LockedRecord(record={"DOI": "10.1/x"}, fetched="2026-11-25T00:00:00Z",
                         provenance={"source": "test"})
    merge(path, {"10.1/x": other})
    again = Lock.load(path)
    assert again.pubmed == pubmed and set(again.records) == {doi, "10.1/x"}


def test_only_pubmeds_no_such_record_is_a_verdict() -> None:
    """Of esummary's per-PMID answers, only "cannot get document summary" says not-found;
    any other error, a missing summary or another PMID's is unverified."""
    import httpx

    from audit.sources.pubmed import parse_esummary

    item = public_pubmed()["30822527"]
    body = {"header": {"type": "esummary", "version": "0.3"}, "result": {
        "uids": ["30822527", "39999995", "39999996", "39999998"],
        "30822527": csl_to_esummary(item, "30822527"),
        "39999995": {"uid": "39999995", "error": "cannot get document summary"},
        "39999996": {"uid": "39999996", "error": "Database is not supported"},
        "39999998": {**csl_to_esummary(item, "30822527"), "uid": "30822527"}}}
    response = httpx.Response(200, json=body)
    pmids = ["30822527", "39999995", "39999996", "39999997", "39999998"]
    outcomes = parse_esummary(response, pmids, lambda p: f"u/{p}", "u")
    assert [outcomes[p].status for p in pmids] == [
        "ok", "not-found", "unverified", "unverified", "unverified"]
    assert outcomes["30822527"].record is not None
    assert outcomes["30822527"].record["DOI"] == "10.1016/j.spinee.2019.02.012"
    assert "different PMID" in (outcomes["39999998"].reason or "")
    broken = parse_esummary(httpx.Response(200, json={"esummaryresult": ["Empty id list"]}),
                            ["1"], lambda p: p, "u")
    assert broken["1"].status == "unverified" and "Empty id list" in (broken["1"].reason or "")


def test_notices_pubmed_links_are_reported_once_online_and_offline(tmp_path: Path) -> None:
    """PubMed's retraction and expression-of-concern links (esummary ``references``) and its
    ``Retracted Publication`` type are findings; a retraction the DOI's record already shows
    is not reported twice."""
    review = review_entries()
    pubmed = public_pubmed()
    registrar = public_records()
    sorensen, macedo, tomasian = (str(review[k]["PMID"]) for k in
                                  ("sorensen2019", "macedo2017", "tomasian2016"))
    pubmed[sorensen]["updates"] = [{"type": "retraction", "PMID": "39999991"}]
    pubmed[macedo]["updates"] = [{"type": "expression_of_concern", "PMID": "39999992"}]
    pubmed[tomasian]["updates"] = [{"type": "retraction"}]  # the publication type only
    doi = str(review["tomasian2016"]["DOI"]).lower()
    registrar[doi] = {**registrar[doi], "updates": [{"type": "retraction", "DOI": "10.3174/notice.1",
                                                    "source": "publisher"}]}
    no_doi = {k: v for k, v in review["sorensen2019"].items() if k != "DOI"}
    entries = [no_doi, review["macedo2017"], review["tomasian2016"], review["patchell2005"]]
    md = manuscript(tmp_path, entries)
    with FakeRegistrar(registrar, pubmed=pubmed) as server:
        online = run_audit([str(md), "--refresh", "--format", "json"], server)
    found = findings_of(online)
    assert online.returncode == 1, online.stderr
    retracted = [f for f in found if f["key"] == "sorensen2019" and f["code"] == "retracted"]
    assert [(f["severity"], f["field"], f["found"], f["expected"]) for f in retracted] == [
        ("error", "PMID", sorensen, "PMID 39999991")]
    assert "PubMed" in retracted[0]["message"]
    assert about(found, "macedo2017") == [("expression-of-concern", "warning", "PMID")]
    # the registrar's retraction of the DOI, and not PubMed's of the same article again
    assert about(found, "tomasian2016") == [("retracted", "error", "DOI")]
    assert about(found, "patchell2005") == []
    # offline, from the lock, the same; only the DOI suggestion for the entry without one is
    # worded from PubMed's record, as online Crossref's search (never locked) made it
    offline = findings_of(run_audit([str(md), "--format", "json"]))
    assert [f for f in offline if f["code"] != "doi-suggested"] == [
        f for f in found if f["code"] != "doi-suggested"]
    assert [(f["key"], f["expected"]) for f in offline if f["code"] == "doi-suggested"] == [
        (f["key"], f["expected"]) for f in found if f["code"] == "doi-suggested"]


def test_a_retracted_publication_type_is_a_retraction_once() -> None:
    """PubMed marks a retracted article by its type, and usually links the notice too:
    one retraction either way, with the notice's PMID when PubMed gives it."""
    typed = {"uid": "1", "title": "A.", "pubtype": ["Journal Article", "Retracted Publication"]}
    assert esummary_to_csl(typed)["updates"] == [{"type": "retraction", "source": "PubMed"}]
    linked = {**typed, "references": [
        {"refsource": "Lancet. 2010;375:445", "reftype": "Retraction in", "pmid": 20137807, "note": ""},
        {"refsource": "x", "reftype": "Comment in", "pmid": 5, "note": ""}]}
    assert esummary_to_csl(linked)["updates"] == [
        {"type": "retraction", "source": "PubMed", "PMID": "20137807"}]
    assert "updates" not in esummary_to_csl({"uid": "1", "title": "A.", "pubtype": ["Review"]})


# --------------------------------------------------------------------------- search


def test_a_search_finds_by_title_and_first_author_as_pubmed_does() -> None:
    """esearch over the review's PubMed records, then their summaries: a title's words in the
    title field (a misspelt one, which PubMed does not know, dropped), alone or with the
    first author; a title nobody wrote finds nothing."""
    printed = {"title": "Direct decompresive surgical resection in the treatment of spinal cord "
                        "compression caused by metastatic cancer: a randomised trial",
               "author": [{"family": "Patchell", "given": "RA"}]}
    title_alone, with_author = pubmed_terms(printed)
    words = ("direct decompresive surgical resection treatment spinal cord compression caused "
             "metastatic cancer randomised trial")
    assert title_alone == " AND ".join(f"{w}[ti]" for w in words.split(" "))
    assert with_author == f"{title_alone} AND patchell[1au]"
    invented = pubmed_terms({"title": "Deep convolutional priors for vertebral cement leakage "
                                      "prediction"})[0]
    with FakeRegistrar(public_records(), pubmed=public_pubmed()) as server:
        found = client_for(server, api_key=API_KEY).search_many(
            [with_author, title_alone, f"{title_alone} AND urch[1au]", invented])
        asked = [p for p, _ in server.requests]
    assert [o.status for o in found] == ["ok"] * 4, [o.reason for o in found]
    assert [[c["PMID"] for c in o.candidates] for o in found] == [["16112300"], ["16112300"], [], []]
    assert found[0].candidates[0]["title"].startswith("Direct decompressive surgical resection")
    assert found[0].source == "pubmed" and found[0].fetched
    assert found[0].url is not None and "esearch.fcgi" in found[0].url and API_KEY not in found[0].url
    searches = [p for p in asked if "/esearch.fcgi" in p]
    assert len(searches) == 4 and all("sort=relevance" in p and "retmax=5" in p
                                      and f"api_key={API_KEY}" in p for p in searches)
    assert [p for p in asked if "/esummary.fcgi" in p] == [
        f"/entrez/eutils/esummary.fcgi?tool=manuscript-audit&email={MAILTO.replace('@', '%40')}"
        f"&api_key={API_KEY}&db=pubmed&id=16112300&retmode=json"]  # the PMIDs found, asked once


def test_esearch_answers_are_read_as_pubmed_writes_them() -> None:
    def answer(body: object, status: int = 200) -> tuple[list[str] | None, str]:
        return parse_esearch(httpx.Response(status, json=body), "u")

    real = {"header": {"type": "esearch", "version": "0.3"},
            "esearchresult": {"count": "2", "retmax": "2", "retstart": "0",
                              "idlist": ["26427837", "29618526"], "translationset": [],
                              "querytranslation": "spine[ti] AND tomasian[1au]",
                              "errorlist": {"phrasesnotfound": ["metastsaes"], "fieldsnotfound": []}}}
    assert answer(real) == (["26427837", "29618526"], "")
    assert answer({"esearchresult": {"count": "0", "idlist": []}}) == ([], "")
    assert answer({"esearchresult": {"ERROR": "Invalid query"}})[1] == "PubMed: Invalid query (u)"
    assert "API rate limit exceeded" in answer({"error": "API rate limit exceeded"})[1]
    assert answer({"esearchresult": {"idlist": ["not a PMID"]}})[0] is None


def test_a_search_pubmed_cannot_answer_is_unverified() -> None:
    client = Client(mailto=MAILTO, timeout=1.0, backoff_base=0.01, total_deadline=10.0)
    (outcome,) = PubMed(client, url="http://127.0.0.1:9").search_many(["spine[ti]"])
    assert outcome.status == "unverified" and outcome.reason and not outcome.candidates
