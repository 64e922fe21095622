"""The lock's sections for arXiv's and PMC's records (``arxiv``, ``pmc``) and for what the
sources said names nothing (``not-found``): written only when they hold something, in order,
kept through merges, and checked when read."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit.lock import Lock, LockedAbsence, LockedRecord, merge
from audit.model import Outcome
from tests.conftest import ROOT

FETCHED = "2026-11-25T00:00:00Z"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def locked(record: dict[str, object], source: str) -> LockedRecord:
    return LockedRecord(record=record, fetched=FETCHED, provenance={"source": source, "url": "u"})


def test_the_reviews_lock_is_written_back_byte_for_byte(tmp_path: Path) -> None:
    """A lock (the review's) read and written again is the same file; so is one without any
    arXiv or PMC record: no empty sections appear."""
    review = ROOT / "manuscript" / "references.lock.json"
    assert Lock.load(review).dumps() + "\n" == review.read_text("utf-8")
    data = json.loads(review.read_text("utf-8"))
    del data["pmc"]
    older = tmp_path / "references.lock.json"
    older.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    before = older.read_bytes()
    merge(older, {})
    assert older.read_bytes() == before


def test_arxiv_and_pmc_records_through_dumps_load_and_merge(tmp_path: Path) -> None:
    path = tmp_path / "references.lock.json"
    arxiv = {"1502.01329": locked({"number": "1502.01329v2", "title": "Perpetual Reviews"}, "arxiv"),
             "hep-th/9901001v2": locked({"number": "hep-th/9901001v2"}, "arxiv"),
             "1304.7151v1": locked({"number": "1304.7151v1"}, "arxiv")}
    pmc = {"PMC4719068": locked({"PMCID": "PMC4719068"}, "pmc"),
           "PMC123": locked({"PMCID": "PMC123"}, "pmc")}
    merge(path, {}, arxiv=arxiv, pmc=pmc)
    text = path.read_text("utf-8")
    assert list(json.loads(text)) == ["lock-version", "records", "arxiv", "pmc"]
    assert list(json.loads(text)["arxiv"]) == ["1304.7151v1", "1502.01329", "hep-th/9901001v2"]
    assert list(json.loads(text)["pmc"]) == ["PMC123", "PMC4719068"]  # by number
    loaded = Lock.load(path)
    assert loaded.arxiv == arxiv and loaded.pmc == pmc
    assert loaded.get_arxiv("1502.01329") == arxiv["1502.01329"]
    assert loaded.get_pmcid("PMC123") == pmc["PMC123"] and loaded.get_pmcid("PMC9") is None
    assert loaded.settled("arxiv", "1502.01329", None) and not loaded.settled("pmc", "PMC9", None)
    assert loaded.dumps() + "\n" == text
    # a later merge of DOI records alone, by another process (the file is re-read), keeps them
    merge(path, {"10.1/x": locked({"DOI": "10.1/x"}, "crossref")})
    again = Lock.load(path)
    assert again.arxiv == arxiv and again.pmc == pmc and set(again.records) == {"10.1/x"}


def lock_error(folder: Path, text: str) -> str:
    """The audit of a one-line manuscript beside a lock holding ``text``: its one-line error
    (exit 2, no traceback)."""
    (folder / "references.lock.json").write_text(text + "\n")
    (folder / "paper.md").write_text("Text.\n")
    proc = subprocess.run([sys.executable, "-m", "audit", "paper.md"], cwd=folder,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (message,) = proc.stderr.strip().splitlines()
    return message


@pytest.mark.parametrize(("section", "words", "line"), [
    ('"arxiv": ["1502.01329"]', "'arxiv' must map each arXiv identifier", 4),
    ('"arxiv": {"arXiv:1502.01329": {"record": {}}}', "'arXiv:1502.01329', which is not an arXiv "
                                                      "identifier", 5),
    ('"arxiv": {"1502.01329": {"fetched": "2026"}}', "'record'", 4),
    ('"pmc": {"4719068": {"record": {}}}', "'4719068', which is not a PMCID (PMC and digits)", 5),
    ('"pmc": {"PMC4719068": {"record": "Crowdsourcing"}}', "'pmc' must map each PMCID", 4),
])
def test_a_malformed_section_is_a_located_one_line_error(tmp_path: Path, section: str, words: str,
                                                         line: int) -> None:
    name, _, body = section.partition(": ")
    text = json.dumps({"lock-version": 1, "records": {}, name.strip('"'): json.loads(body)}, indent=2)
    message = lock_error(tmp_path, text)
    assert message.startswith(f"error: references.lock.json:{line}: "), message
    assert words in message


def absence(source: str, reason: str = "HTTP 404") -> LockedAbsence:
    return LockedAbsence(fetched=FETCHED, provenance={"source": source, "url": "u"}, reason=reason)


def test_not_found_answers_through_dumps_load_and_merge(tmp_path: Path) -> None:
    """A source's word that an identifier names nothing: kept by kind, in order, read back as
    the answer it was; the latest answer for an identifier wins, a record or an absence."""
    path = tmp_path / "references.lock.json"
    merge(path, {"10.1/found": locked({"DOI": "10.1/found"}, "crossref")},
          pubmed={"123": locked({"PMID": "123"}, "pubmed")})
    merge(path, {}, not_found={"doi": {"10.1/B": absence("doi.org"), "10.1/a": absence("doi.org"),
                                       "10.1/found": absence("doi.org")},
                               "pubmed": {"99": absence("pubmed"), "123": absence("pubmed"),
                                          "1000": absence("pubmed")},
                               "pmc": {"PMC5": absence("pmc")}})
    text = path.read_text("utf-8")
    data = json.loads(text)
    assert list(data) == ["lock-version", "records", "not-found"]  # the records it replaced: gone
    assert list(data["not-found"]) == ["doi", "pubmed", "pmc"]
    assert list(data["not-found"]["doi"]) == ["10.1/a", "10.1/b", "10.1/found"]  # lower case
    assert list(data["not-found"]["pubmed"]) == ["99", "123", "1000"]  # by number
    assert data["not-found"]["pubmed"]["99"] == {"fetched": FETCHED, "provenance": {
        "source": "pubmed", "url": "u"}, "reason": "HTTP 404"}
    loaded = Lock.load(path)
    assert loaded.dumps() + "\n" == text
    assert loaded.absent("doi", "10.1/A") == absence("doi.org")
    assert loaded.absent("pubmed", "123") == absence("pubmed") and loaded.get_pmid("123") is None
    said = loaded.absent("doi", "10.1/a")
    assert said is not None and said.outcome("10.1/a") == Outcome(
        "10.1/a", "not-found", reason="HTTP 404", source="doi.org", url="u", fetched=FETCHED)
    # settled for as long as --max-age allows, never with --recheck-missing
    assert loaded.settled("doi", "10.1/a", timedelta(days=365), now=NOW)
    assert not loaded.settled("doi", "10.1/a", timedelta(days=365), recheck_missing=True, now=NOW)
    assert not loaded.settled("doi", "10.1/a", timedelta(days=1), now=NOW + timedelta(days=2))
    assert not loaded.settled("arxiv", "2101.01234", None)
    # a record found later replaces the absence
    merge(path, {"10.1/A": locked({"DOI": "10.1/A"}, "crossref")}, pmc={"PMC5": locked({}, "pmc")})
    again = Lock.load(path)
    assert again.absent("doi", "10.1/a") is None and again.get("10.1/a") is not None
    assert again.absent("pmc", "PMC5") is None and "pmc" not in json.loads(path.read_text())[
        "not-found"]


@pytest.mark.parametrize(("section", "words"), [
    ('"not-found": ["10.1/a"]', "'not-found' must map each of doi, pubmed, arxiv, pmc"),
    ('"not-found": {"dois": {}}', "'not-found' must map each of doi, pubmed, arxiv, pmc"),
    ('"not-found": {"pubmed": {"99": {"reason": "gone"}}}', "the date it was 'fetched'"),
    ('"not-found": {"pubmed": {"PMID:99": {"fetched": "2026"}}}',
     "'not-found' 'pubmed' has 'PMID:99', which is not a PMID (digits only)"),
])
def test_a_malformed_not_found_section_is_a_located_one_line_error(
        tmp_path: Path, section: str, words: str) -> None:
    name, _, body = section.partition(": ")
    text = json.dumps({"lock-version": 1, "records": {}, name.strip('"'): json.loads(body)}, indent=2)
    message = lock_error(tmp_path, text)
    assert message.startswith("error: references.lock.json:"), message
    assert words in message, message
