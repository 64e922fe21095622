"""ISBNs are checked for their check digit (CSL ``ISBN``, ``@isbn:`` keys), and ``@arxiv:`` and
``@pmcid:`` keys for their form: one that is not such an identifier is an error, offline,
where it is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main
from tests.conftest import need_shared

# the meta-review corpus's book (Manubot's record of @isbn:9780262517638)
SUBER = "9780262517638"


TITLES = {"suber": "Open access", "hyphens": "Reinventing discovery", "two": "The access principle",
          "typo": "Open science by design", "short": "Free culture"}


def book(key: str, isbn: object) -> dict[str, Any]:
    """A book with Suber's ISBN written another way under each key (titles apart: no duplicates)."""
    return {"id": key, "type": "book", "title": TITLES[key], "publisher": "MIT Press",
            "issued": {"date-parts": [[2012]]}, "ISBN": isbn}


def audit(tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str,
          items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    (tmp_path / "refs.json").write_text(json.dumps(items))
    md = tmp_path / "paper.md"
    md.write_text(f"---\nbibliography: refs.json\n---\n\n{body}\n")
    main([str(md), "--format", "json"])
    findings: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["findings"]
    return findings


def test_the_corpus_isbns_are_valid() -> None:
    from audit.checks.identifiers import invalid_isbn

    items = json.loads(need_shared("corpora", "meta-review", "output", "references.json").read_text())
    isbns = [item["ISBN"] for item in items if item.get("ISBN")]
    assert SUBER in isbns and len(isbns) == 3
    assert [invalid_isbn(i) for i in isbns] == [None] * 3


def test_isbns_and_identifier_keys_that_are_not_one(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    items = [book("suber", SUBER), book("hyphens", "978-0-262-51763-8"),
             book("two", "9780262517638 0262517639 (pbk.)"), book("typo", "978-0-262-51763-0"),
             book("short", "978026251763")]
    body = ("[@suber; @hyphens; @two; @typo; @short]\n\n"
            f"Keys: [@isbn:{SUBER}; @isbn:9780262517630; @arxiv:1502.1329; @pmcid:PMCX1].\n\n"
            "Again [@isbn:9780262517630].")
    found = audit(tmp_path, capsys, body, items)
    malformed = sorted((f["key"], f["field"], f["found"], f["line"]) for f in found
                       if f["code"] == "doi-malformed")
    lines = (tmp_path / "refs.json").read_text().count("\n")  # one line: the entries are on line 1
    assert lines == 0
    assert malformed == [
        ("arxiv:1502.1329", "arXiv", "1502.1329", 7),
        ("isbn:9780262517630", "ISBN", "9780262517630", 7),  # once, at its first citation
        ("pmcid:PMCX1", "PMCID", "PMCX1", 7),
        ("short", "ISBN", "978026251763", 1),
        ("typo", "ISBN", "978-0-262-51763-0", 1),
    ]
    assert all(f["severity"] == "error" for f in found if f["code"] == "doi-malformed")
    (typo,) = [f for f in found if f["key"] == "typo"]
    assert "check digit" in typo["message"]
    # the valid ones pass: nothing about them at all (books need no DOI; no ISBN lookup)
    assert not [f for f in found if f["key"] in ("suber", "hyphens", "two", f"isbn:{SUBER}")]
