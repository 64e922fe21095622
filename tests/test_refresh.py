"""The audit against a registrar: a real HTTP server on 127.0.0.1 speaking Crossref's format.

Records are real registrar-derived CSL JSON (the meta-review corpus, retrieved by
Manubot); faults are injected per DOI by audit.sources.fake.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from audit import lock as lock_module
from audit import refresh
from audit.sources import Settings, Sources
from audit.sources.fake import (
    FakeRegistrar,
    aliases_from_citations_tsv,
    arxiv_from_csl,
    records_from_csl,
)
from audit.sources.http import FAIL_FAST_AFTER
from tests.conftest import ROOT, SOURCE_URLS, need_shared, public_records, run_audit

CORPUS = ("corpora", "meta-review")


def meta_review() -> tuple[Path, dict[str, dict[str, Any]]]:
    base = need_shared(*CORPUS)
    items = json.loads((base / "output" / "references.json").read_text())
    return base, records_from_csl(items)


def corpus_aliases() -> dict[str, str]:
    """The shortDOIs the meta-review cites, with the DOIs Manubot expanded them to."""
    base = need_shared(*CORPUS)
    return aliases_from_citations_tsv((base / "output" / "citations.tsv").read_text("utf-8"))


def corpus_preprints() -> dict[str, dict[str, Any]]:
    """The arXiv preprints the meta-review cites (Manubot's records of them), by identifier."""
    base = need_shared(*CORPUS)
    return arxiv_from_csl(json.loads((base / "output" / "references.json").read_text()))


def valid_dois(records: dict[str, dict[str, Any]]) -> list[str]:
    """The corpus's real DOIs (one Manubot item carries a URL path in its DOI field)."""
    return sorted(doi for doi in records if doi.startswith("10."))


def meta_review_args(base: Path, lock: Path) -> list[str]:
    content = base / "content"
    return [str(content / "01.abstract.md"), str(content / "02.main-text.md"),
            "--bibliography", str(content / "manual-references.json"),
            "--tags", str(base / "output" / "citations.tsv"), "--lock", str(lock),
            "--format", "json"]


def test_meta_review_end_to_end_with_refresh_then_offline(tmp_path: Path) -> None:
    base, records = meta_review()
    retracted = "10.7554/elife.16800"
    assert retracted in records
    lock = tmp_path / "lock.json"
    with FakeRegistrar(records, scenarios={retracted: "retracted"},
                       aliases=corpus_aliases(), arxiv=corpus_preprints()) as server:
        online = run_audit([*meta_review_args(base, lock), "--refresh"], server)
        fetched = {path for path, _ in server.requests}
        listed = {doi for batch in server.listed_dois for doi in batch}  # asked many at a time
    assert online.returncode == 1, online.stderr  # the retraction is an error
    report = json.loads(online.stdout)
    codes = {(f["code"], f["key"]) for f in report["findings"]}
    assert ("retracted", "doi:10.7554/eLife.16800") in codes
    assert ("doi-short", "doi:10/gddkhn") in codes  # its cited shortDOI, expanded and checked
    assert not [f for f in report["findings"] if f["code"] == "undefined-citation"]
    assert not [f for f in report["findings"] if f["code"] == "metadata-mismatch"
                and f["severity"] == "error"]
    locked = json.loads(lock.read_text())["records"]
    singly = {unquote(f.split("?")[0]).removeprefix("/works/").lower() for f in fetched
              if f.startswith("/works/")}
    assert len(locked) >= 60 and set(locked) <= listed | singly and len(listed) >= 60
    assert all(entry["provenance"]["source"] in ("crossref", "doi.org") for entry in locked.values())
    # its arXiv preprints and PMCIDs, as cited (with or without a version), locked too
    sections = json.loads(lock.read_text())
    assert list(sections["arxiv"]) == ["1304.7151v1", "1502.01329", "1502.04015v1"]
    assert sections["arxiv"]["1502.01329"]["record"]["number"] == "1502.01329v2"  # the latest
    assert {"PMC4719068", "PMC4426361"} <= set(sections["pmc"])
    assert not [f for f in report["findings"] if f["field"] in ("arXiv", "PMCID")]
    # offline: same verdicts from the lock, no network at all
    offline = run_audit(meta_review_args(base, lock))
    assert offline.returncode == 1
    assert json.loads(offline.stdout)["findings"] == report["findings"]


def _bib(tmp_path: Path, dois: list[str]) -> Path:
    """A manuscript citing these DOIs, its bibliography copied from the corpus's records."""
    _, records = meta_review()
    items = [{**records[doi], "id": f"w{i}"} for i, doi in enumerate(dois)]
    (tmp_path / "refs.json").write_text(json.dumps(items))
    md = tmp_path / "paper.md"
    md.write_text("---\nbibliography: refs.json\n---\n\n"
                  + " ".join(f"[@w{i}]" for i in range(len(dois))) + "\n")
    return md


@pytest.mark.parametrize(("scenario", "code", "reason"), [
    ("503", "unverified", "503"),
    ("500", "unverified", "500"),
    ("reset", "unverified", ""),
    ("hang:20", "unverified", "time"),
    ("truncated", "unverified", ""),
    ("invalid-json", "unverified", "JSON"),
    ("html200", "unverified", "HTML"),
    ("wrong-doi", "unverified", "different DOI"),
    ("redirect-loop", "unverified", "redirect"),
    ("404", "doi-not-found", "404"),
])
def test_faults_end_as_documented_and_lock_nothing(tmp_path: Path, scenario: str, code: str,
                                                  reason: str) -> None:
    _, records = meta_review()
    good, bad = valid_dois(records)[:2]
    md = _bib(tmp_path, [good, bad])
    lock = tmp_path / "references.lock.json"
    with FakeRegistrar(records, scenarios={bad: scenario}) as server:
        proc = run_audit([str(md), "--refresh", "--timeout", "2", "--format", "json"], server)
        attempts = server.count(bad)
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    about_bad = [f for f in report["findings"] if f["key"] == "w1" and f["field"] == "DOI"]
    assert [f["code"] for f in about_bad] == [code]
    assert reason.lower() in about_bad[0]["message"].lower()
    assert proc.returncode == (1 if code == "doi-not-found" else 0)
    assert attempts <= 8  # retries are bounded
    assert set(json.loads(lock.read_text())["records"]) == {good}


def test_short_dois_are_expanded_online_checked_as_their_doi_and_locked(tmp_path: Path) -> None:
    _, records = meta_review()
    (short, full), = corpus_aliases().items()
    other = next(d for d in valid_dois(records) if d != full.lower())
    items = [{**records[full.lower()], "id": "w0", "DOI": f"https://doi.org/{short.upper()}"},
             {**records[other], "id": "w1", "DOI": "10/zzzz9"}]
    (tmp_path / "refs.json").write_text(json.dumps(items))
    md = tmp_path / "paper.md"
    md.write_text(f"---\nbibliography: refs.json\n---\n\nOne [@w0], two [@w1], three [@doi:{short}].\n")
    with FakeRegistrar(records, aliases={short: full}) as server:
        online = run_audit([str(md), "--refresh", "--format", "json"], server)
    assert "Traceback" not in online.stderr
    found = {(f["key"], f["code"]): f for f in json.loads(online.stdout)["findings"]}
    # a DOI field should carry the full DOI: a warning that names it; a citation key may be short
    assert found[("w0", "doi-short")]["severity"] == "warning"
    assert found[("w0", "doi-short")]["expected"] == full
    assert found[(f"doi:{short}", "doi-short")]["severity"] == "info"
    assert found[("w1", "doi-not-found")]["severity"] == "error"
    # checked as the full DOI: the record agrees, so nothing else about w0
    assert [code for key, code in found if key == "w0"] == ["doi-short"]
    assert online.returncode == 1  # the unknown shortDOI
    locked = json.loads((tmp_path / "references.lock.json").read_text())
    assert set(locked["records"]) == {full.lower()}
    assert locked["aliases"][short]["doi"] == full
    # offline, from the lock: the same verdicts; the unknown one was not locked
    offline = run_audit([str(md), "--format", "json"])
    again = {(f["key"], f["code"]): f for f in json.loads(offline.stdout)["findings"]}
    assert again[("w0", "doi-short")] == found[("w0", "doi-short")]
    assert again[(f"doi:{short}", "doi-short")] == found[(f"doi:{short}", "doi-short")]
    assert "--refresh" in again[("w1", "unverified")]["message"]


def test_rate_limited_registrar_recovers(tmp_path: Path) -> None:
    _, records = meta_review()
    dois = valid_dois(records)[:30]
    md = _bib(tmp_path, dois)
    with FakeRegistrar(records, rate_limit=10) as server:
        proc = run_audit([str(md), "--refresh", "--format", "json"], server)
    assert proc.returncode == 0, proc.stderr
    assert not [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "unverified"]
    assert len(json.loads((tmp_path / "references.lock.json").read_text())["records"]) == 30


def test_user_agent_carries_the_contact_address(tmp_path: Path) -> None:
    _, records = meta_review()
    md = _bib(tmp_path, valid_dois(records)[:1])
    with FakeRegistrar(records) as server:
        proc = run_audit([str(md), "--refresh", "--mailto", "editor@example.org"], server)
        agents = [headers.get("User-Agent", "") for _, headers in server.requests]
    assert proc.returncode == 0, proc.stderr
    assert agents and all("mailto:editor@example.org" in ua for ua in agents)


def test_sigkill_during_refresh_never_corrupts_the_lock(tmp_path: Path) -> None:
    _, records = meta_review()
    dois = valid_dois(records)
    md = _bib(tmp_path, dois)
    lock = tmp_path / "references.lock.json"
    env = {**os.environ}
    import random

    rng = random.Random(20261124)
    sizes: list[int] = []
    running = 0  # kills that landed on a refresh still at work
    # Crossref knows half of them (one list query brings those at once); the others are asked
    # singly, Crossref then doi.org, and saved as they come: kills land mid-refresh, while
    # the lock is being written, not only after one answer has brought everything
    elsewhere = dict.fromkeys(dois[::2], "crossref-404")
    with FakeRegistrar(records, latency=0.02, scenarios=elsewhere) as server:
        env |= dict.fromkeys(SOURCE_URLS, server.url)
        for _ in range(12):
            proc = subprocess.Popen([sys.executable, "-m", "audit", str(md), "--refresh",
                                     "--max-age", "0", "--format", "json"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            time.sleep(rng.uniform(0.8, 3.5))
            running += proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if lock.exists():
                data = json.loads(lock.read_text())  # always valid JSON
                for doi, entry in data["records"].items():
                    assert entry["record"]["DOI"].lower() == doi
                    assert entry["fetched"] and entry["provenance"]["source"]
                sizes.append(len(data["records"]))
    # the kills landed while records were being written, not only before or after
    assert sizes and max(sizes) > 0 and running >= 6, (running, sizes)


def test_two_refreshes_at_once_keep_the_lock_whole(tmp_path: Path) -> None:
    _, records = meta_review()
    dois = valid_dois(records)
    first = tmp_path / "a"
    second = tmp_path / "b"
    first.mkdir()
    second.mkdir()
    md_a = _bib(first, dois[: len(dois) // 2])
    md_b = _bib(second, dois[len(dois) // 2:])
    lock = tmp_path / "shared.lock.json"
    with FakeRegistrar(records, latency=0.01) as server:
        env = {**os.environ, **dict.fromkeys(SOURCE_URLS, server.url)}
        procs = [subprocess.Popen([sys.executable, "-m", "audit", str(md), "--refresh", "--lock",
                                   str(lock)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  env=env) for md in (md_a, md_b)]
        for proc in procs:
            proc.wait(timeout=120)
    assert set(json.loads(lock.read_text())["records"]) == set(dois)


def test_printed_reference_list_surfaces_its_real_errors(tmp_path: Path) -> None:
    printed = need_shared("references", "reference-list-as-printed.txt")
    served = public_records()
    with FakeRegistrar(served) as server:
        proc = run_audit(["--reference-text", str(printed), "--refresh", "--lock",
                          str(tmp_path / "lock.json"), "--format", "json"], server,
                         env={"NCBI_API_KEY": "fake"})  # PubMed's pace with a key: 10 a second
        searches = [p for p, _ in server.requests if p.startswith("/works?")]
    assert proc.returncode == 0, proc.stderr  # typos are warnings, not errors
    report = json.loads(proc.stdout)
    mismatches = {(f["key"], f["field"]): f for f in report["findings"]
                  if f["code"] == "metadata-mismatch"}
    # the printed list's real errors, each found and shown exactly
    assert "CardiovascIntervent Radiol" in mismatches[("#25", "container")]["found"]
    assert mismatches[("#33", "container")]["found"] == "Spin (Phila Pa 1976)"
    assert "Spine (Phila Pa 1976)" in mismatches[("#33", "container")]["message"]
    assert mismatches[("#38", "page")]["found"] == "1067-107"
    assert "1075" in mismatches[("#38", "page")]["expected"]
    assert "CAFE" in mismatches[("#39", "author")]["message"]
    assert all(f["severity"] == "warning" for f in mismatches.values())
    assert set(mismatches) == {("#25", "container"), ("#33", "container"), ("#38", "page"),
                               ("#39", "author")}
    # every printed reference that has a registered DOI was found by the bibliographic search
    matched = {f["key"] for f in report["findings"]
               if f["code"] == "doi-missing" and f["severity"] == "info"}
    assert len(matched) == len(served) == 16
    assert len(searches) >= 16
    # and this registrar holds none of the rest (the review's public records give no DOI for
    # them): each is said to be not found, naming what was searched, not passed silently
    not_found = [f for f in report["findings"] if f["code"] == "reference-not-found"]
    assert len(not_found) == 40 - 16 - 2  # 1 and 30 are web pages, not articles
    assert not {f["key"] for f in not_found} & matched
    assert all(f["severity"] == "warning" and "Crossref" in f["message"] for f in not_found)
    assert not [f for f in report["findings"] if f["code"] == "doi-missing"
                and f["severity"] == "warning"]  # no "cannot be checked" besides
    assert len(json.loads((tmp_path / "lock.json").read_text())["records"]) == 16


def test_doi_suggested_only_for_a_clear_match(tmp_path: Path) -> None:
    served = public_records()
    target = served["10.1016/j.spinee.2019.02.012"]
    entry = {k: v for k, v in target.items() if k != "DOI"} | {"id": "sorensen2019"}
    vague = {"id": "vague", "type": "article-journal", "title": "Spinal metastases",
             "author": [{"family": "Nobody", "given": "A."}], "issued": {"date-parts": [[2019]]}}
    (tmp_path / "refs.json").write_text(json.dumps([entry, vague]))
    md = tmp_path / "paper.md"
    md.write_text("---\nbibliography: refs.json\n---\n\n[@sorensen2019; @vague]\n")
    with FakeRegistrar(served) as server:
        proc = run_audit([str(md), "--refresh", "--format", "json"], server)
    report = json.loads(proc.stdout)
    suggested = [(f["key"], f["expected"]) for f in report["findings"] if f["code"] == "doi-suggested"]
    assert suggested == [("sorensen2019", "10.1016/j.spinee.2019.02.012")]


def test_manuscript_error_while_fetching_beside_exits_2_and_locks_nothing(tmp_path: Path) -> None:
    """The bibliography's DOIs are fetched while pandoc parses the manuscript; when pandoc
    then rejects the manuscript, the error names its file and line, the exit status is 2,
    and nothing fetched on the bibliography's behalf enters the lock."""
    _, records = meta_review()
    dois = valid_dois(records)[:20]
    md = _bib(tmp_path, dois)
    text = md.read_text()
    # a front matter that pandoc rejects after the YAML block we read ourselves
    md.write_text(text + "\n---\ntitle: [unclosed\n---\n")
    with FakeRegistrar(records, latency=0.2) as server:
        proc = run_audit([str(md), "--refresh", "--format", "json"], server)
        asked = len(server.requests)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"error: {md}:") and "YAML" in proc.stderr
    assert "Traceback" not in proc.stderr
    lock = tmp_path / "references.lock.json"
    assert not lock.exists() or json.loads(lock.read_text())["records"] == {}
    assert asked <= len(dois)


def test_bibliography_other_than_the_front_matter_guess_is_fetched_alone(tmp_path: Path) -> None:
    """The front matter is read without pandoc to start fetching early; where pandoc reads
    it otherwise (Markdown in the YAML value: ``refs\\_a.json`` is ``refs_a.json`` to pandoc),
    what was fetched on the guess is not locked, and the right bibliography is."""
    _, records = meta_review()
    dois = valid_dois(records)
    guess, right = dois[:10], dois[10:14]
    for name, chosen in (("refs\\_a.json", guess), ("refs_a.json", right)):
        (tmp_path / name).write_text(json.dumps(
            [{**records[doi], "id": f"w{i}"} for i, doi in enumerate(chosen)]))
    md = tmp_path / "paper.md"
    md.write_text("---\nbibliography: refs\\_a.json\n---\n\n"
                  + " ".join(f"[@w{i}]" for i in range(len(right))) + "\n")
    with FakeRegistrar(records, latency=0.05) as server:
        proc = run_audit([str(md), "--refresh", "--format", "json"], server)
    assert proc.returncode == 0, proc.stderr
    locked = set(json.loads((tmp_path / "references.lock.json").read_text())["records"])
    assert locked == set(right)


def test_manuscript_error_while_comparing_beside_exits_2(tmp_path: Path) -> None:
    """Offline, the bibliography is compared with the lock while pandoc parses the
    manuscript; pandoc's error still names the file and line, with exit status 2."""
    _, records = meta_review()
    dois = valid_dois(records)[:20]
    md = _bib(tmp_path, dois)
    (tmp_path / "references.lock.json").write_text(json.dumps({"lock-version": 1, "records": {
        doi: {"fetched": "2026-01-01T00:00:00Z", "provenance": {"source": "test"},
              "record": {**records[doi], "title": "Another title altogether"}}
        for doi in dois}}))
    md.write_text(md.read_text() + "\n---\ntitle: [unclosed\n---\n")
    proc = run_audit([str(md), "--format", "json"])
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"error: {md}:") and "YAML" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


# --- negative answers in the lock; offline verdicts equal online ones ---------------------

UNKNOWN_DOI, UNKNOWN_PMID = "10.9999/never-registered", "39999999"


def _not_found_case(tmp_path: Path) -> tuple[Path, dict[str, dict[str, Any]], dict[str, Any]]:
    """A manuscript whose references include DOIs and PMIDs that no source knows (alone, and
    side by side), one DOI that only doi.org knows, a PMID PubMed knows, and a typo; with the
    registrar's records and PubMed's."""
    _, records = meta_review()
    good = valid_dois(records)[:5]
    known = {**records[good[4]], "PMID": "31000001"}
    items = [{**records[doi], "id": f"w{i}"} for i, doi in enumerate(good[:4])]
    items[1]["title"] = "A title altogether different from the registered one"
    items += [
        {**records[good[4]], "id": "w4", "PMID": "31000001"},
        {"id": "w5", "type": "article-journal", "title": "Never registered", "DOI": UNKNOWN_DOI,
         "author": [{"family": "Nobody", "given": "A."}], "issued": {"date-parts": [[2020]]}},
        {"id": "w6", "type": "article-journal", "title": "Never indexed", "PMID": UNKNOWN_PMID,
         "author": [{"family": "Nobody", "given": "B."}], "issued": {"date-parts": [[2021]]}},
        {"id": "w7", "type": "article-journal", "title": "Neither", "DOI": "10.9999/never-either",
         "PMID": "39999998", "author": [{"family": "Nobody", "given": "C."}],
         "issued": {"date-parts": [[2022]]}},
    ]
    (tmp_path / "refs.json").write_text(json.dumps(items))
    md = tmp_path / "paper.md"
    md.write_text("---\nbibliography: refs.json\n---\n\n"
                  + " ".join(f"[@w{i}]" for i in range(len(items))) + "\n")
    return md, records, {"31000001": known}


def test_offline_from_a_fresh_lock_equals_the_online_audit_code_by_code(tmp_path: Path) -> None:
    md, records, pubmed = _not_found_case(tmp_path)
    _, _, elsewhere = valid_dois(records)[:3]  # w2's DOI: doi.org's record, not Crossref's
    with FakeRegistrar(records, pubmed=pubmed, scenarios={elsewhere: "crossref-404"}) as server:
        online = run_audit([str(md), "--refresh", "--format", "json"], server)
    assert online.returncode == 1, online.stderr
    offline = run_audit([str(md), "--format", "json"])  # no network at all
    assert offline.returncode == 1, offline.stderr
    found_online = json.loads(online.stdout)["findings"]
    found_offline = json.loads(offline.stdout)["findings"]
    codes = {(f["key"], f["code"]) for f in found_online}
    assert {("w5", "doi-not-found"), ("w6", "pmid-not-found"), ("w7", "doi-not-found"),
            ("w7", "pmid-not-found"), ("w1", "metadata-mismatch")} <= codes
    assert not [f for f in found_online if f["code"] == "unverified"]
    assert Counter((f["key"], f["code"]) for f in found_offline) == Counter(
        (f["key"], f["code"]) for f in found_online)
    assert found_offline == found_online  # messages, fields and places too
    # what the lock says of them: when, from where, what the source said
    absent = json.loads((tmp_path / "references.lock.json").read_text())["not-found"]
    assert set(absent) == {"doi", "pubmed"}
    assert set(absent["doi"]) == {UNKNOWN_DOI, "10.9999/never-either"}
    assert {UNKNOWN_PMID, "39999998"} <= set(absent["pubmed"])
    entry = absent["doi"][UNKNOWN_DOI]
    assert entry["provenance"] == {"source": "doi.org", "url": f"{server.url}/{UNKNOWN_DOI}"}
    assert entry["reason"].startswith("HTTP 404 from") and entry["fetched"].endswith("Z")
    assert "cannot get document summary" in absent["pubmed"][UNKNOWN_PMID]["reason"]


def test_a_locked_absence_is_asked_again_after_max_age_or_with_recheck_missing(
        tmp_path: Path) -> None:
    md, records, pubmed = _not_found_case(tmp_path)
    lock = tmp_path / "references.lock.json"
    args = [str(md), "--refresh", "--format", "json"]
    with FakeRegistrar(records, pubmed=pubmed) as server:
        assert run_audit(args, server).returncode == 1
    # the DOI has been registered since, and PubMed has indexed the PMID
    registered = {**records, UNKNOWN_DOI: {"DOI": UNKNOWN_DOI, "type": "article-journal",
                                           "title": "Never registered",
                                           "author": [{"family": "Nobody", "given": "A."}],
                                           "issued": {"date-parts": [[2020]]}}}
    indexed = {**pubmed, UNKNOWN_PMID: {"type": "article-journal", "title": "Never indexed",
                                        "author": [{"family": "Nobody", "given": "B."}],
                                        "issued": {"date-parts": [[2021]]}}}
    with FakeRegistrar(registered, pubmed=indexed) as server:
        again = run_audit(args, server)  # within --max-age: the lock's word stands
        asked_again = server.count(UNKNOWN_DOI) + sum(UNKNOWN_PMID in ids for ids in server.esummary_ids)
    assert asked_again == 0
    assert {(f["key"], f["code"]) for f in json.loads(again.stdout)["findings"]} >= {
        ("w5", "doi-not-found"), ("w6", "pmid-not-found")}
    # the PMID's answer is a year and more old: asked again, now a record
    data = json.loads(lock.read_text())
    data["not-found"]["pubmed"][UNKNOWN_PMID]["fetched"] = "2000-01-01T00:00:00Z"
    lock.write_text(json.dumps(data, indent=2))
    with FakeRegistrar(registered, pubmed=indexed) as server:
        aged = run_audit(args, server)
        pmids_asked = [p for ids in server.esummary_ids for p in ids]
        dois_asked = server.count(UNKNOWN_DOI)
    assert UNKNOWN_PMID in pmids_asked and "39999998" not in pmids_asked and dois_asked == 0
    codes = {(f["key"], f["code"]) for f in json.loads(aged.stdout)["findings"]}
    assert ("w6", "pmid-not-found") not in codes and ("w5", "doi-not-found") in codes
    data = json.loads(lock.read_text())
    assert UNKNOWN_PMID in data["pubmed"] and UNKNOWN_PMID not in data["not-found"]["pubmed"]
    # --recheck-missing: every locked absence asked again at once
    with FakeRegistrar(registered, pubmed=indexed) as server:
        rechecked = run_audit([*args, "--recheck-missing"], server)
        dois_asked = server.count(UNKNOWN_DOI)
        pmids_asked = [p for ids in server.esummary_ids for p in ids]
    assert dois_asked >= 1 and "39999998" in pmids_asked and UNKNOWN_PMID not in pmids_asked
    codes = {(f["key"], f["code"]) for f in json.loads(rechecked.stdout)["findings"]}
    assert ("w5", "doi-not-found") not in codes and ("w7", "doi-not-found") in codes
    data = json.loads(lock.read_text())
    assert UNKNOWN_DOI in data["records"]
    assert set(data["not-found"]) == {"doi", "pubmed"}
    assert set(data["not-found"]["doi"]) == {"10.9999/never-either"}


def test_recheck_missing_without_refresh_is_a_one_line_error(tmp_path: Path) -> None:
    md, _, _ = _not_found_case(tmp_path)
    proc = run_audit([str(md), "--recheck-missing"])
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: --recheck-missing") and "--refresh" in line


# --- an unreachable registrar ---------------------------------------------------------------


def test_a_thousand_dois_with_every_registrar_unreachable_end_at_once(tmp_path: Path) -> None:
    """Nothing listens: after a few refused connections the host is given up, and every DOI
    and PMID still waiting is unverified at once, "unreachable"; nothing is locked."""
    with FakeRegistrar({}) as server:
        url = server.url  # closed after this block: connections are refused
    sources = Sources(Settings(crossref_url=url, doi_url=url, pubmed_url=url, pmc_url=url,
                               arxiv_url=url), total_deadline=60.0, deadline_per_item=1.0)
    dois = [f"10.5555/work.{i:04d}" for i in range(1000)]
    pmids = [str(30000000 + i) for i in range(50)]
    lockfile = lock_module.Lock.load(tmp_path / "references.lock.json")
    failed = refresh.fetch(dois, pmids, lockfile, sources, timedelta(days=365),
                           arxiv_ids=["2101.01234"], pmcids=["PMC123"])
    host = sources.client.host(url)
    assert host.down is not None and "unreachable" in host.down
    for answers, asked in ((failed.dois, dois), (failed.pmids, pmids),
                           (failed.arxiv, ["2101.01234"]), (failed.pmcids, ["PMC123"])):
        assert set(answers) == set(asked)
        assert {o.status for o in answers.values()} == {"unverified"}
        assert all("could not connect" in (o.reason or "") for o in answers.values())
    # the connections tried: the few that failed in a row, and those already under way
    assert host.attempts <= FAIL_FAST_AFTER + sources.client.max_concurrency
    assert not (tmp_path / "references.lock.json").exists()


def test_the_review_with_the_network_down_says_the_registrar_was_unreachable(
        tmp_path: Path) -> None:
    lock = tmp_path / "references.lock.json"
    proc = run_audit([str(ROOT / "manuscript" / "review.md"), "--refresh", "--lock", str(lock),
                      "--format", "json"])  # no server: every source's address refuses
    assert proc.returncode == 0, proc.stderr  # unverified does not fail by default
    report = json.loads(proc.stdout)
    about_ids = [f for f in report["findings"] if f["field"] in ("DOI", "PMID")
                 and f["code"] not in ("doi-malformed", "doi-short")]
    assert about_ids and {f["code"] for f in about_ids} == {"unverified"}
    assert all("unreachable" in f["message"] and "not asked again" in f["message"]
               for f in about_ids)
    assert not lock.exists()
