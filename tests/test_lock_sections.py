"""The lock's sections for arXiv's and PMC's records (``arxiv``, ``pmc``): written only when
they hold something, in order, kept through merges, and checked when read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from audit.lock import Lock, LockedRecord, merge
from tests.conftest import ROOT

FETCHED = "2026-11-25T00:00:00Z"


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
    assert loaded.is_fresh_arxiv("1502.01329", None) and not loaded.is_fresh_pmcid("PMC9", None)
    assert loaded.dumps() + "\n" == text
    # a later merge of DOI records alone, by another process (the file is re-read), keeps them
    merge(path, {"10.1/x": locked({"DOI": "10.1/x"}, "crossref")})
    again = Lock.load(path)
    assert again.arxiv == arxiv and again.pmc == pmc and set(again.records) == {"10.1/x"}


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
    lock = tmp_path / "references.lock.json"
    lock.write_text(text + "\n")
    (tmp_path / "paper.md").write_text("Text.\n")
    proc = subprocess.run([sys.executable, "-m", "audit", "paper.md"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (message,) = proc.stderr.strip().splitlines()
    assert message.startswith(f"error: {lock.name}:{line}: "), message
    assert words in message
