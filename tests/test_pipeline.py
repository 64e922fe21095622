"""The citation audit end to end on small fixtures (issue 3): every check, true negatives too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main
from tests.conftest import ROOT

ARTICLE = {
    "id": "smith2020",
    "type": "article-journal",
    "title": "Radiofrequency ablation of painful spinal metastases: a prospective study",
    "author": [{"family": "Smith", "given": "J. A."}, {"family": "van der Berg", "given": "K."}],
    "container-title": "J Vasc Interv Radiol",
    "issued": {"date-parts": [[2020]]},
    "volume": "31",
    "issue": "11",
    "page": "1745-1752",
    "DOI": "10.1016/j.jvir.2020.07.014",
}
REGISTERED = {
    "DOI": "10.1016/j.jvir.2020.07.014",
    "type": "article-journal",
    "title": "Radiofrequency Ablation of Painful Spinal Metastases: A Prospective Study",
    "author": [{"family": "Smith", "given": "John Andrew"},
               {"family": "Berg", "given": "Karin", "non-dropping-particle": "van der"}],
    "container-title": "Journal of Vascular and Interventional Radiology",
    "container-title-short": "J Vasc Interv Radiol",
    "ISSN": ["1051-0443"],
    "issued": {"date-parts": [[2020, 11]]},
    "volume": "31",
    "issue": "11",
    "page": "1745-1752",
}


def write_project(tmp: Path, body: str, items: list[dict[str, Any]],
                  records: dict[str, dict[str, Any]] | None = None, bib_name: str = "refs.json",
                  bib_text: str | None = None) -> Path:
    (tmp / bib_name).write_text(bib_text if bib_text is not None else json.dumps(items, indent=2))
    md = tmp / "paper.md"
    md.write_text(f"---\ntitle: Test\nbibliography: {bib_name}\n---\n\n{body}\n")
    lock = {"lock-version": 1, "records": {
        doi: {"fetched": "2026-11-01T00:00:00Z", "provenance": {"source": "test"}, "record": rec}
        for doi, rec in (records or {}).items()}}
    (tmp / "references.lock.json").write_text(json.dumps(lock))
    return md


def audit_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def codes(report: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return sorted((f["code"], f["severity"], f["key"]) for f in report["findings"])


def test_style_only_differences_give_no_finding(tmp_path: Path, capsys) -> None:
    md = write_project(tmp_path, "Text [@smith2020].", [ARTICLE], {ARTICLE["DOI"]: REGISTERED})
    code, report = audit_json(capsys, str(md))
    assert report["findings"] == []
    assert code == 0


def test_undefined_and_uncited_with_file_and_line(tmp_path: Path, capsys) -> None:
    other = {**ARTICLE, "id": "unused2019", "DOI": "10.1000/unused", "title": "Another work"}
    md = write_project(tmp_path, "Intro.\n\nSee [@smith2020; @ghost2021].", [ARTICLE, other],
                       {ARTICLE["DOI"]: REGISTERED})
    code, report = audit_json(capsys, str(md))
    undefined = [f for f in report["findings"] if f["code"] == "undefined-citation"]
    assert len(undefined) == 1
    assert undefined[0]["key"] == "ghost2021"
    assert undefined[0]["file"] == str(md)
    assert undefined[0]["line"] == 8
    assert undefined[0]["severity"] == "error"
    uncited = [f for f in report["findings"] if f["code"] == "uncited-reference"]
    assert [f["key"] for f in uncited] == ["unused2019"]
    bib_lines = (tmp_path / "refs.json").read_text().split("\n")
    assert uncited[0]["line"] == bib_lines.index('    "id": "unused2019",') + 1
    assert code == 1


def test_citations_in_footnotes_tables_captions_count_but_not_code(tmp_path: Path, capsys) -> None:
    items = [{**ARTICLE, "id": k, "DOI": None} for k in ("note1", "table1", "cap1", "code1", "mail1")]
    for item in items:
        item.pop("DOI")
    body = ("Text.^[A footnote citing @note1.]\n\n| a |\n|---|\n| [@table1] |\n\n"
            "![A caption [@cap1]](x.png)\n\nInline `[@code1]` and mail me at a@mail1.org.\n\n"
            "```\n[@code1]\n```\n")
    md = write_project(tmp_path, body, items)
    _, report = audit_json(capsys, str(md))
    uncited = sorted(f["key"] for f in report["findings"] if f["code"] == "uncited-reference")
    assert uncited == ["code1", "mail1"]


def test_duplicate_keys_in_bibtex(tmp_path: Path, capsys) -> None:
    bib = ("@article{dup1,\n  title={First},\n  year=2020,\n  doi={10.1000/a}\n}\n\n"
           "@article{dup1,\n  title={Second},\n  year=2021,\n  doi={10.1000/b}\n}\n")
    md = write_project(tmp_path, "[@dup1]", [], bib_name="refs.bib", bib_text=bib)
    _, report = audit_json(capsys, str(md))
    dup = [f for f in report["findings"] if f["code"] == "duplicate-key"]
    assert len(dup) == 1 and dup[0]["line"] == 7 and dup[0]["file"].endswith("refs.bib")


def test_duplicate_work_by_doi_and_by_title(tmp_path: Path, capsys) -> None:
    same_doi = {**ARTICLE, "id": "smith2020b", "DOI": "https://doi.org/10.1016/J.JVIR.2020.07.014"}
    same_title = {**ARTICLE, "id": "smith2020c", "DOI": "10.1000/other",
                  "title": "Radiofrequency ablation of painful spinal metastases - a prospective study"}
    md = write_project(tmp_path, "[@smith2020; @smith2020b; @smith2020c]",
                       [ARTICLE, same_doi, same_title], {ARTICLE["DOI"]: REGISTERED})
    _, report = audit_json(capsys, str(md))
    dups = sorted((f["key"], f["severity"]) for f in report["findings"] if f["code"] == "duplicate-work")
    assert ("smith2020b", "error") in dups
    assert ("smith2020c", "warning") in dups
    # the URL form of the DOI is harmless: normalised, reported as info
    normalised = [f for f in report["findings"] if f["code"] == "doi-malformed"]
    assert [(f["key"], f["severity"]) for f in normalised] == [("smith2020b", "info")]


def test_malformed_and_missing_doi(tmp_path: Path, capsys) -> None:
    bad = {**ARTICLE, "id": "bad", "DOI": "10.1016 j.jvir.2020"}
    missing = {k: v for k, v in ARTICLE.items() if k != "DOI"} | {"id": "nodoi"}
    book = {"id": "book1", "type": "book", "title": "A Book", "issued": {"date-parts": [[2001]]}}
    md = write_project(tmp_path, "[@bad; @nodoi; @book1]", [bad, missing, book])
    code, report = audit_json(capsys, str(md))
    got = codes(report)
    assert ("doi-malformed", "error", "bad") in got
    assert ("doi-missing", "warning", "nodoi") in got
    assert not any(c[2] == "book1" for c in got)  # books are not expected to carry a DOI
    assert code == 1


@pytest.mark.parametrize(("field", "value", "severity"), [
    ("title", "Radiofrequency ablaton of painful spinal metastases: a prospective study", "warning"),
    ("title", "Cryoablation of renal tumours in the elderly", "error"),
    ("container-title", "J Vasc Intervent Radiol", None),
    ("container-title", "J Vasc Intrev Radiol", "warning"),
    ("container-title", "Radiology", "error"),
    ("volume", "13", "error"),
    ("page", "1745-52", None),
    ("issued", {"date-parts": [[2021]]}, "warning"),
    ("issued", {"date-parts": [[2015]]}, "error"),
])
def test_metadata_mismatch_is_graded(tmp_path: Path, capsys, field: str, value: Any,
                                     severity: str | None) -> None:
    md = write_project(tmp_path, "[@smith2020]", [{**ARTICLE, field: value}],
                       {ARTICLE["DOI"]: REGISTERED})
    _, report = audit_json(capsys, str(md))
    mismatches = [f for f in report["findings"] if f["code"] == "metadata-mismatch"]
    if severity is None:
        assert mismatches == []
    else:
        assert [f["severity"] for f in mismatches] == [severity], mismatches
        assert mismatches[0]["expected"] and mismatches[0]["found"]


@pytest.mark.parametrize(("kind", "code", "severity"), [
    ("retraction", "retracted", "error"),
    ("expression_of_concern", "expression-of-concern", "warning"),
    ("correction", "corrected", "info"),
])
def test_update_notices(tmp_path: Path, capsys, kind: str, code: str, severity: str) -> None:
    record = {**REGISTERED, "updates": [{"type": kind, "DOI": "10.1016/j.notice.2021.1",
                                         "source": "retraction-watch"}]}
    md = write_project(tmp_path, "[@smith2020]", [ARTICLE], {ARTICLE["DOI"]: record})
    _, report = audit_json(capsys, str(md))
    assert [(f["code"], f["severity"]) for f in report["findings"]] == [(code, severity)]
    assert "10.1016/j.notice.2021.1" in report["findings"][0]["message"]


def test_offline_without_a_locked_record_is_unverified_never_a_pass(tmp_path: Path, capsys) -> None:
    md = write_project(tmp_path, "[@smith2020]", [ARTICLE], {})
    code, report = audit_json(capsys, str(md))
    assert codes(report) == [("unverified", "unverified", "smith2020")]
    assert "--refresh" in report["findings"][0]["message"]
    assert code == 0  # below the default --fail-on error
    assert main([str(md), "--fail-on", "unverified", "--format", "json"]) == 1


def test_suppression_keeps_a_finding_accepted(tmp_path: Path, capsys) -> None:
    missing = {k: v for k, v in ARTICLE.items() if k != "DOI"}
    md = write_project(tmp_path, "[@smith2020]", [missing])
    (tmp_path / ".audit-suppressions.yaml").write_text(
        "suppressions:\n  - code: doi-missing\n    key: smith2020\n    reason: no DOI was ever registered\n")
    code, report = audit_json(capsys, str(md), "--fail-on", "warning")
    assert report["findings"] == []
    assert report["suppressed"][0]["reason"] == "no DOI was ever registered"
    assert code == 0


@pytest.mark.parametrize(("setup", "message"), [
    (lambda p: p.write_text("---\ntitle: [unclosed\nbibliography: refs.json\n---\n"), "YAML"),
    (lambda p: p.write_bytes(b"---\ntitle: x\n---\n\ncaf\xe9 [@a]\n"), "UTF-8"),
    (lambda p: p.write_text(""), "empty"),
    (lambda p: p.write_text("---\nbibliography: nowhere.json\n---\n\n[@a]\n"), "not found"),
])
def test_unusable_input_exits_2_with_file_and_no_traceback(tmp_path: Path, setup, message: str) -> None:
    md = tmp_path / "paper.md"
    setup(md)
    proc = subprocess.run([sys.executable, "-m", "audit", str(md)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "paper.md" in proc.stderr or "nowhere.json" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_malformed_csl_json_names_file_and_line(tmp_path: Path) -> None:
    md = write_project(tmp_path, "[@a]", [], bib_text='[\n  {"id": "a",\n   "title": }\n]\n')
    proc = subprocess.run([sys.executable, "-m", "audit", str(md)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"{tmp_path / 'refs.json'}:3:" in proc.stderr


def test_every_report_format_renders_the_same_findings(tmp_path: Path, capsys) -> None:
    md = write_project(tmp_path, "[@smith2020; @ghost]", [{**ARTICLE, "volume": "13"}],
                       {ARTICLE["DOI"]: REGISTERED})
    for fmt in ("table", "junit", "sarif", "markdown"):
        assert main([str(md), "--format", fmt]) == 1
        out = capsys.readouterr().out
        assert "ghost" in out, fmt
    main([str(md), "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert {"undefined-citation", "metadata-mismatch"} <= rules


def test_the_review_passes_its_own_audit(built: Path, capsys) -> None:

    code, report = audit_json(capsys, str(ROOT / "manuscript" / "review.md"),
                              "--html", str(built / "manuscript.html"),
                              "--jats", str(built / "manuscript.xml"))
    assert code == 0
    assert report["summary"]["by_severity"]["error"] == 0
    # what remains are references without a DOI, which cannot be checked; the PMIDs are
    # checked from the lock's pubmed section, which holds every one of them
    assert {f["code"] for f in report["findings"]} <= {"doi-missing"}
    locked = json.loads((ROOT / "manuscript" / "references.lock.json").read_text())["pubmed"]
    assert set(locked) == {str(item["PMID"]) for item in json.loads(
        (ROOT / "manuscript" / "references.json").read_text()) if item.get("PMID")}
    bib = json.loads((ROOT / "manuscript" / "references.json").read_text())
    assert len(report["findings"]) == sum(1 for item in bib
                                          if "DOI" not in item and item["type"] == "article-journal")


def test_output_checks_catch_a_broken_link_and_a_missing_entry(built: Path, tmp_path: Path,
                                                               capsys) -> None:

    html_text = (built / "manuscript.html").read_text()
    broken_html = tmp_path / "broken.html"
    # one citation points nowhere, and one reference entry is gone
    html_text = html_text.replace('href="#ref-tomasian2023"', 'href="#ref-nowhere"', 1)
    start = html_text.index('<div id="ref-buy2009"')
    html_text = html_text[:start] + html_text[html_text.index("</div>", start) + 6:]
    broken_html.write_text(html_text)
    xml_text = (built / "manuscript.xml").read_text()
    broken_xml = tmp_path / "broken.xml"
    broken_xml.write_text(xml_text.replace('rid="ref-macedo2017"', 'rid="ref-nowhere"', 1))
    code, report = audit_json(capsys, str(ROOT / "manuscript" / "review.md"),
                              "--html", str(broken_html), "--jats", str(broken_xml))
    assert code == 1
    links = [f for f in report["findings"] if f["code"] == "output-missing-link"]
    assert {(f["file"], f["key"]) for f in links} >= {(str(broken_html), "nowhere"),
                                                      (str(broken_xml), "nowhere")}
    assert all(f["line"] for f in links)
    counts = [f for f in report["findings"] if f["code"] == "output-reference-count"]
    assert [(f["file"], f["found"], f["expected"]) for f in counts] == [(str(broken_html), "40", "41")]


def test_duplicates_in_a_printed_list_are_found_beside_a_bibliography(tmp_path: Path,
                                                                      capsys) -> None:
    """The bibliography's duplicates are found while pandoc parses; a printed list's works
    join the comparison afterwards."""
    md = write_project(tmp_path, "Text [@smith2020].", [ARTICLE], {ARTICLE["DOI"]: REGISTERED})
    printed = tmp_path / "printed.txt"
    printed.write_text(
        "1. Jones B. Cryoablation of spinal metastases. Radiology. 2019;290(2):100-8. "
        "doi:10.1000/same.1\n"
        "2. Jones B. Cryoablation of spinal metastases again. Radiology. 2019;290(3):200-8. "
        "doi:10.1000/same.1\n")
    _, report = audit_json(capsys, str(md), "--reference-text", str(printed))
    dups = [(f["key"], f.get("found")) for f in report["findings"] if f["code"] == "duplicate-work"]
    assert ("#2", "10.1000/same.1") in dups


def test_a_citation_in_a_figure_caption_counts_once(tmp_path: Path, capsys) -> None:
    """pandoc repeats a figure's caption as its image's description: the citation there is
    one citation, at the caption's line, not two (the second located at another line)."""
    (tmp_path / "refs.json").write_text(json.dumps([dict(ARTICLE, id="b")]))
    md = tmp_path / "paper.md"
    md.write_text("---\nbibliography: refs.json\n---\n\n![A caption [@b].](x.png)\n\n"
                  "Later, the same work again [@b] and one nobody lists [@nope].\n")
    from audit.inputs.markdown import read_manuscript

    assert [(c.key, c.line) for c in read_manuscript([md]).citations] == [
        ("b", 5), ("b", 7), ("nope", 7)]
