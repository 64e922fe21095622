"""The lock's ``searches``: each search for a reference without identifiers, with its
candidates (cut to what grading needs), when and from where; kept through merges, checked
when read."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from audit.lock import Lock, LockedRecord, LockedSearch, merge
from audit.model import Outcome
from tests.test_lock_sections import lock_error

FETCHED = "2026-11-25T00:00:00Z"


def test_searches_through_dumps_load_and_merge(tmp_path: Path) -> None:
    people = [{"family": f"Author{i}", "given": "A"} for i in range(40)]
    candidate = {"DOI": "10.1/x", "title": "T", "author": people, "issued": {"date-parts": [[2016]]},
                 "score": 93.5, "abstract": "not needed", "reference": [{"key": "r1"}]}
    said = Outcome("Urch C. Pain. 2004", "ok", candidates=(candidate,), source="crossref",
                   url="https://api.crossref.org/works?query.bibliographic=…", fetched=FETCHED)
    path = tmp_path / "references.lock.json"
    merge(path, {}, searches={("crossref", said.asked): LockedSearch.of(said),
                              ("pubmed", "pain[ti] AND urch[1au]"): LockedSearch(
                                  [], FETCHED, {"source": "pubmed", "url": "u"})})
    text = path.read_text("utf-8")
    assert list(json.loads(text)) == ["lock-version", "records", "searches"]
    assert list(json.loads(text)["searches"]) == ["crossref", "pubmed"]
    loaded = Lock.load(path)
    assert loaded.dumps() + "\n" == text
    answers = loaded.search_answers()
    again = answers[("crossref", said.asked)]
    assert (again.status, again.source, again.fetched, again.url) == ("ok", "crossref", FETCHED,
                                                                       said.url)
    (kept,) = again.candidates  # three authors, and only the fields a reference is graded on
    assert kept == {"DOI": "10.1/x", "title": "T", "author": people[:3],
                    "issued": {"date-parts": [[2016]]}, "score": 93.5}
    assert answers[("pubmed", "pain[ti] AND urch[1au]")].candidates == ()
    assert loaded.search_answers(max_age=timedelta(0)) == {}  # older than --max-age: none
    # a later merge of DOI records, by another process (the file is re-read), keeps them
    merge(path, {"10.1/x": LockedRecord({"DOI": "10.1/x"}, FETCHED, {"source": "crossref"})})
    assert Lock.load(path).searches == loaded.searches


def test_a_malformed_searches_section_is_a_located_one_line_error(tmp_path: Path) -> None:
    message = lock_error(tmp_path, json.dumps({"lock-version": 1, "records": {}, "searches": {
        "crossref": {"Urch C. Pain. 2004": {"fetched": FETCHED}}}}, indent=2))
    assert message.startswith("error: references.lock.json:4: "), message
    assert "'searches' must map each source to its queries" in message
