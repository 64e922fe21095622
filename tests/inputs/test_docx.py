"""Tests for :mod:`audit.inputs.docx`: Word manuscripts, with reference managers' fields
or typed citations, and Word files the audit must refuse in one line.

Real files: the two Word files of ``../shared/corpora/docx-citations`` (saved by Word with
the Zotero and Mendeley plugins), and files written by :mod:`tests.inputs.make_docx` from
the review's own CSL data (``manuscript/references.json``) and the meta-review corpus'.
"""

from __future__ import annotations

import json
import random
import shutil
import struct
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from audit.errors import InputError
from audit.inputs import read_inputs
from audit.inputs.docx import read
from tests.conftest import ROOT, need_shared, run_audit
from tests.inputs import make_docx
from tests.inputs.spec import Spec, write_markdown

CORPUS = ("corpora", "docx-citations")


def review_items(*keys: str) -> list[dict[str, Any]]:
    items = {i["id"]: i for i in json.loads((ROOT / "manuscript" / "references.json").read_text())}
    return [items[k] for k in keys]


def meta_review_items(*keys: str) -> list[dict[str, Any]]:
    path = need_shared("corpora", "meta-review", "output", "references.json")
    items = {i["id"]: i for i in json.loads(path.read_text())}
    return [items[k] for k in keys]


def audit_json(path: Path) -> tuple[int, dict[str, Any]]:
    """``python -m audit FILE --format json`` (offline, no lock), beside the file."""
    proc = run_audit([path.name, "--format", "json"], cwd=path.parent)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def codes(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"] == code]


def edit_docx(path: Path, old: str, new: str, dest: Path | None = None) -> Path:
    """A copy of a .docx with ``old`` replaced once in ``word/document.xml``, as an edit by
    hand in Word would leave it."""
    dest = dest or path.with_name(f"edited-{path.name}")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                text = data.decode()
                assert text.count(old) >= 1, old
                data = text.replace(old, new, 1).encode()
            out.writestr(info, data)
    return dest


# --------------------------------------------------------------------------- real files

def test_zotero_file_saved_by_word(tmp_path: Path) -> None:
    path = shutil.copy(need_shared(*CORPUS, "zotero_citations.docx"), tmp_path / "zotero.docx")
    doc = read([Path(path)])
    cites = [(c.key, c.line) for c in doc.manuscript.citations]
    assert cites == [("3GKMD43T", 1), ("EIZFK2E5", 2), ("3GKMD43T", 2), ("7LTQT8XK", 3)]
    first, _, _, last = doc.manuscript.citations
    assert first.excerpt == "This is a citation (Smith et al., 2013)"
    assert last.prefix == "prefix" and last.suffix == "2, suffix"
    assert last.excerpt is not None and last.excerpt.endswith("(prefix Bellomo et al., 2016, p. 2 suffix).")
    assert all(len(c.excerpt or "") <= 72 for c in doc.manuscript.citations)
    entries = {e.key: e for e in doc.entries}
    assert list(entries) == ["3GKMD43T", "EIZFK2E5", "7LTQT8XK"]  # one entry per item
    assert entries["3GKMD43T"].item["DOI"] == "10.1007/s00382-013-1683-2"
    assert entries["3GKMD43T"].item["id"] == "3GKMD43T"  # Zotero's own id (109) is dropped
    assert entries["EIZFK2E5"].item["title"] == "The Decadal Climate Prediction Project (DCPP)"
    assert entries["7LTQT8XK"].item["DOI"] == "10.1002/2016GL069961"
    assert (entries["EIZFK2E5"].line, entries["7LTQT8XK"].line) == (2, 3)
    # the bibliography field (paragraphs 6-8, APA) agrees with the items' data
    assert doc.findings == [] and doc.printed == []


def test_mendeley_file_saved_by_word(tmp_path: Path) -> None:
    path = shutil.copy(need_shared(*CORPUS, "mendeley_citations.docx"), tmp_path / "mendeley.docx")
    doc = read([Path(path)])
    # every field numbers its items ITEM-1, ITEM-2…: the key is the document's uuid
    cites = [(c.key, c.line) for c in doc.manuscript.citations]
    assert cites == [("3acf31b7-f77b-4e8c-81b6-2f2c22f05564", 1),
                     ("bdfc0dee-5009-4cb1-98d3-47446ec051cb", 3),
                     ("58a9cc5b-579b-4301-b6af-0e831ba441f3", 5),
                     ("caf17f5a-487d-4046-9559-3919037a16fc", 5)]
    assert doc.manuscript.citations[1].excerpt == "Another test (prefix Seo, 2019, pp. 10–20 suffix)."
    assert doc.manuscript.citations[0].suffix == "123, suffix"
    dois = {e.key: e.item.get("DOI") for e in doc.entries}
    assert dois == {"3acf31b7-f77b-4e8c-81b6-2f2c22f05564": None,
                    "bdfc0dee-5009-4cb1-98d3-47446ec051cb": "10.1007/s11528-019-00377-3",
                    "58a9cc5b-579b-4301-b6af-0e831ba441f3": "10.1145/1929887.1929902",
                    "caf17f5a-487d-4046-9559-3919037a16fc": None}
    titles = [e.item["title"] for e in doc.entries]
    assert len(set(titles)) == 4  # four works, not one "ITEM-1"
    assert doc.findings == []


@pytest.mark.parametrize("name", ["zotero_citations.docx", "mendeley_citations.docx"])
def test_real_files_through_the_command(tmp_path: Path, name: str) -> None:
    path = Path(shutil.copy(need_shared(*CORPUS, name), tmp_path / name))
    _, report = audit_json(path)
    unverified = codes(report, "unverified")
    assert unverified and all(f["file"] == name and f["line"] for f in unverified)
    assert not codes(report, "undefined-citation") and not codes(report, "uncited-reference")
    assert not codes(report, "bibliography-mismatch")


# --------------------------------------------------------------------------- fields written

FIELD_KEYS = ("macedo2017", "urch2004", "tomasian2016", "mcmenomy2013", "acs2022", "patchell2005")


@pytest.fixture(scope="module")
def spec() -> Spec:
    """Six of the review's references and a chapter and a book of the meta-review's,
    cited in groups; the list's order is the order of first citation."""
    items = [*review_items(*FIELD_KEYS), *meta_review_items("9KfVIq3s", "1DiVJ3t6P")]
    return Spec(
        title="Bone metastases: a test manuscript",
        paragraphs=(
            "Bone metastases are common in advanced cancer [@macedo2017]. Pain is treated with "
            "drugs and radiotherapy [@urch2004; @tomasian2016; @mcmenomy2013].",
            "Incidence figures [@acs2022] agree with earlier reviews [@macedo2017; @tomasian2016].",
            "Reference managers are described elsewhere [@9KfVIq3s; @1DiVJ3t6P].",
            "Surgery helps some patients [@patchell2005].",
        ),
        items=tuple(items))


WRITERS = {"zotero": make_docx.write_zotero, "mendeley": make_docx.write_mendeley,
           "endnote": make_docx.write_endnote, "mendeley-cite": make_docx.write_mendeley_cite}


def key_of(manager: str, spec: Spec, key: str) -> str:
    if manager == "zotero":
        return make_docx.zotero_key(key)
    if manager == "endnote":
        return make_docx.endnote_number(spec, key)
    return make_docx.mendeley_key(key)


@pytest.fixture(scope="module")
def written(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("written")
    return {name: write(spec, folder / name) for name, write in WRITERS.items()}


@pytest.mark.parametrize("manager", list(WRITERS))
def test_fields_give_citations_and_entries(spec: Spec, written: dict[str, Path],
                                           manager: str) -> None:
    doc = read([written[manager]])
    expected = []
    for line, text in enumerate(spec.paragraphs, 2):  # paragraph 1 is the title
        expected += [(key_of(manager, spec, k), line) for p in spec.pieces(text)
                     if isinstance(p, list) for k in p]
    assert [(c.key, c.line) for c in doc.manuscript.citations] == expected
    assert doc.manuscript.citations[1].excerpt == "Pain is treated with drugs and radiotherapy [2–4]."
    assert doc.manuscript.citations[0].excerpt == "Bone metastases are common in advanced cancer [1]."
    entries = {e.key: e for e in doc.entries}
    assert list(entries) == [key_of(manager, spec, k) for k in spec.cited()]
    for key in spec.cited():
        item, entry = spec.item(key), entries[key_of(manager, spec, key)]
        assert entry.item["id"] == entry.key
        assert entry.item.get("DOI") == item.get("DOI"), key
        assert entry.item["title"] == item["title"].replace("\n", " ") or manager != "endnote"
        assert entry.line == next(line for line, text in enumerate(spec.paragraphs, 2)
                                  if f"@{key}" in text)
    macedo = entries[key_of(manager, spec, "macedo2017")].item
    assert macedo["container-title"] == "Oncology Reviews" and macedo["volume"] == "11"
    assert [a["family"] for a in macedo["author"]][:2] == ["Macedo", "Ladeira"]
    assert doc.findings == []  # the bibliography printed is what the items say
    assert doc.printed == []


def test_endnote_records_become_csl(spec: Spec, written: dict[str, Path]) -> None:
    entries = {e.key: e.item for e in read([written["endnote"]]).entries}
    macedo = entries[make_docx.endnote_number(spec, "macedo2017")]
    assert macedo["type"] == "article-journal"
    assert macedo["author"][0] == spec.item("macedo2017")["author"][0]
    assert macedo["issued"] == {"date-parts": [[2017]]} and macedo["PMID"] == "28584570"
    assert macedo["container-title-short"] == "Oncol Rev" and macedo["issue"] == "1"
    acs = entries[make_docx.endnote_number(spec, "acs2022")]
    assert acs["type"] == "report" and acs["author"] == [{"literal": "American Cancer Society"}]
    chapter = entries[make_docx.endnote_number(spec, "9KfVIq3s")]
    assert chapter["type"] == "chapter" and chapter["DOI"] == "10.1007/978-3-319-00026-8_8"


@pytest.mark.parametrize("manager", ["zotero", "mendeley", "endnote"])
def test_fields_through_the_command(written: dict[str, Path], manager: str) -> None:
    _, report = audit_json(written[manager])
    assert report["summary"]["by_code"].get("undefined-citation") is None
    assert report["summary"]["by_code"].get("uncited-reference") is None
    assert {f["line"] for f in codes(report, "unverified")} <= {2, 3, 4, 5}


@pytest.mark.parametrize("manager", ["zotero", "mendeley", "endnote"])
def test_bibliography_edited_by_hand(spec: Spec, written: dict[str, Path], manager: str) -> None:
    """A year changed in the printed list (Urch 2004 is reference 2, paragraph 8), and a
    volume in the last entry (paragraph 14): the list no longer says what the reference manager's data say."""
    path = edit_docx(written[manager], "2004;18:267", "2005;18:267")
    path = edit_docx(path, "2005;366(9486)", "2005;266(9486)", path.with_name("twice.docx"))
    found = read([path]).findings
    assert [(f.code, f.field, f.severity.value, f.line) for f in found] == [
        ("bibliography-mismatch", "year", "warning", 8),
        ("bibliography-mismatch", "volume", "error", 14)]
    year = found[0]
    assert year.key == key_of(manager, spec, "urch2004")
    assert (year.found, year.expected) == ("2005", "2004")
    assert "shows '2005'" in year.message and "say '2004'" in year.message
    assert year.excerpt is not None and year.excerpt.startswith("2.")
    assert found[1].key == key_of(manager, spec, "patchell2005")
    _, report = audit_json(path)
    assert len(codes(report, "bibliography-mismatch")) == 2


def test_two_items_with_one_doi_are_two_entries(tmp_path: Path) -> None:
    a, b = review_items("tomasian2016", "khan2018")
    spec = Spec("Same DOI", ("One [@tomasian2016], another [@khan2018].",),
                (a, {**b, "DOI": a["DOI"]}))
    path = make_docx.write_zotero(spec, tmp_path)
    assert len(read([path]).entries) == 2
    _, report = audit_json(path)
    dup = codes(report, "duplicate-work")
    assert [f["key"] for f in dup] == [make_docx.zotero_key("khan2018")]


# --------------------------------------------------------------------------- typed citations

TYPED_KEYS = ("macedo2017", "urch2004", "strander2003", "vanderlinden2006", "paice2018",
              "anchala2014", "bagla2016", "tomasian2016")


@pytest.fixture(scope="module")
def typed_spec() -> Spec:
    """Eight references in list order; the text cites 1, 2–4, (1,3), then 7 before 5 and 6,
    never 8, and types a number past the list; years, a confidence interval, a sample
    size, a unit's power and a figure number are not citations."""
    return Spec(
        title="Typed citations",
        paragraphs=(
            "In 2019, bone metastases affected many patients [@macedo2017]. Pain is treated "
            "[@urch2004; @strander2003; @vanderlinden2006].",
            "A trial (n = 12) found a benefit [95% CI 1.2–3.4] in 2020 (2021) over 4 m^2^ "
            "areas [@macedo2017; @strander2003], see Figure (2).",
            "Ablation is newer [@bagla2016], as reviewed [@paice2018; @anchala2014].",
            "Our aims were: (1) to assess pain, (2) to compare. As noted [9].",
        ),
        items=tuple(review_items(*TYPED_KEYS)))


@pytest.mark.parametrize("numbering", ["text", "word"])
def test_typed_citations(typed_spec: Spec, tmp_path: Path, numbering: str) -> None:
    path = make_docx.write_typed(typed_spec, tmp_path, numbering=numbering,
                                 marks=("brackets", "brackets", "parens", "superscript"))
    doc = read([path])
    cites = [(c.key, c.line) for c in doc.manuscript.citations]
    assert cites == [("#1", 2), ("#2", 2), ("#3", 2), ("#4", 2), ("#1", 3), ("#3", 3),
                     ("#7", 4), ("#5", 4), ("#6", 4), ("#9", 5)]
    cite = doc.manuscript.citations
    assert cite[1].excerpt == "Pain is treated [2–4]."
    assert cite[4].excerpt is not None and "(1,3)" in cite[4].excerpt
    assert cite[6].excerpt == "Ablation is newer ⁷, as reviewed [5,6]."
    assert [(r.name, r.line, r.listed) for r in doc.printed] == [
        (f"#{n}", 6 + n, True) for n in range(1, 9)]
    assert doc.printed[0].item["DOI"] == "10.4081/oncol.2017.321"
    assert (doc.printed[1].excerpt or "").startswith("2. Urch C. The pathophysiology")
    assert [(f.code, f.key, f.line) for f in doc.findings] == [("citation-order", "#7", 4)]
    assert doc.findings[0].message.startswith("reference 7 is cited before reference 5;")


def test_typed_through_the_command(typed_spec: Spec, tmp_path: Path) -> None:
    path = make_docx.write_typed(typed_spec, tmp_path, marks=("superscript",))
    assert [c.key for c in read([path]).manuscript.citations][:4] == ["#1", "#2", "#3", "#4"]
    _, report = audit_json(path)
    assert [(f["key"], f["line"]) for f in codes(report, "undefined-citation")] == [("#9", 5)]
    assert [(f["key"], f["line"]) for f in codes(report, "uncited-reference")] == [("#8", 14)]
    assert [f["key"] for f in codes(report, "citation-order")] == ["#7"]


def test_pandoc_citeproc_output_is_read(typed_spec: Spec, tmp_path: Path) -> None:
    """The Markdown version converted by pandoc with citeproc (Vancouver), as authors do:
    numbers by first citation, "(1)", the list in Bibliography paragraphs."""
    from audit import pandoc
    from audit.styles import resolve_style

    md = write_markdown(Spec(typed_spec.title, (*typed_spec.paragraphs[:3], "# References"),
                             typed_spec.items), tmp_path)
    out = tmp_path / "pandoc.docx"
    pandoc.run([md.name, "--citeproc", "--csl", str(resolve_style("vancouver").path),
                "-o", out.name], cwd=tmp_path)
    doc = read([out])
    assert [c.key for c in doc.manuscript.citations] == [
        "#1", "#2", "#3", "#4", "#1", "#3", "#5", "#6", "#7"]
    assert len(doc.printed) == 7 and doc.findings == []
    assert doc.printed[6].item["title"] == typed_spec.item("anchala2014")["title"]


@pytest.mark.parametrize("style", ["vancouver", "american-medical-association", "ieee"])
def test_the_review_converted_by_pandoc(tmp_path: Path, style: str) -> None:
    """The review itself, converted to Word by pandoc's citeproc in three numeric styles
    ("(1)", superscripts with page locators, "[1]"): every citation is read, none more."""
    from audit import pandoc
    from audit.inputs.markdown import read_manuscript
    from audit.styles import resolve_style

    review = ROOT / "manuscript" / "review.md"
    out = tmp_path / "review.docx"
    pandoc.run([review.name, "--citeproc", "--csl", str(resolve_style(style).path), "-o", str(out)],
               cwd=review.parent)
    doc = read([out])
    cited = [c.key for c in read_manuscript([review]).citations if c.mode != "nocite"]
    order = list(dict.fromkeys(cited))
    assert Counter(c.key for c in doc.manuscript.citations) == Counter(
        f"#{order.index(k) + 1}" for k in cited)
    assert [r.name for r in doc.printed] == [f"#{n}" for n in range(1, len(order) + 1)]
    assert doc.findings == []


def test_no_citations_no_list_is_a_manuscript_without_citations(tmp_path: Path) -> None:
    path = make_docx.package(tmp_path, "plain.docx", [make_docx.paragraph(make_docx.run(
        "In 2019 we counted 12 (n = 12) patients [95% CI 1.2-3.4]."))])
    doc = read([path])
    assert doc.manuscript.citations == [] and doc.printed == [] and doc.findings == []
    code, report = audit_json(path)
    assert code == 0 and report["findings"] == []


def test_numbers_without_a_list_are_not_clean(tmp_path: Path) -> None:
    path = make_docx.package(tmp_path, "nolist.docx", [
        make_docx.paragraph(make_docx.run(t)) for t in ("Known [1].", "Also [2, 3].")])
    doc = read([path])
    assert [(f.code, f.line) for f in doc.findings] == [("input-error", 1)]


def test_hand_made_list_ieee_ranges_and_other_tools(tmp_path: Path) -> None:
    """A list typed by hand ("[1] …" in plain paragraphs under a bold "REFERENCES"),
    IEEE's "[1]–[3]", hidden text, a table, a citation by Word's own tool and an EndNote
    citation never formatted, which the audit does not read and says so."""
    p, r = make_docx.paragraph, make_docx.run
    entries = [f"[{n}] {e.split('. ', 1)[1]}" for n, e in enumerate(
        make_docx.render_list(review_items(*TYPED_KEYS[:4]), tmp_path / "render"), 1)]
    cell = "<w:tbl><w:tr><w:tc>" + p(r("Table note [4].")) + "</w:tc></w:tr></w:tbl>"
    hidden = '<w:r><w:rPr><w:vanish/></w:rPr><w:t>[9]</w:t></w:r>'
    path = make_docx.package(tmp_path, "ieee.docx", [
        p(r("As shown [1]–[3]") + hidden + r(".") + make_docx.field(" CITATION Smi13 \\l 1033 ",
                                                                    "(Smith, 2013)")
          + r(" Not formatted yet {Urch, 2004 #12}.")),
        cell,
        p('<w:r><w:rPr><w:b/></w:rPr><w:t>REFERENCES</w:t></w:r>'),
        *(p(r(e)) for e in entries)])
    doc = read([path])
    assert [(c.key, c.line) for c in doc.manuscript.citations] == [
        ("#1", 1), ("#2", 1), ("#3", 1), ("#4", 2)]
    assert doc.manuscript.citations[0].excerpt == ("As shown [1]–[3].(Smith, 2013) Not formatted "
                                                   "yet {Urch, 2004 #12}.")
    assert [(r.name, r.line) for r in doc.printed] == [("#1", 4), ("#2", 5), ("#3", 6), ("#4", 7)]
    assert [(f.code, f.line) for f in doc.findings] == [("input-error", 1), ("input-error", 1)]
    assert "Word's own citation tool" in doc.findings[0].message
    assert "EndNote (temporary citations" in doc.findings[1].message


def test_footnote_citations_are_placed_at_their_mark(tmp_path: Path) -> None:
    """Zotero in a note style puts its fields in footnotes: a citation is placed at the
    paragraph holding the footnote's mark."""
    item = {**review_items("urch2004")[0], "id": 7}
    code = json.dumps({"citationItems": [{"id": 7, "uris": ["http://zotero.org/users/1/items/ABCD2345"],
                                          "itemData": item}]})
    notes = (f'<w:footnotes xmlns:w="{make_docx.W}"><w:footnote w:id="1"><w:p>'
             + make_docx.run("See ") + make_docx.field(f" ADDIN ZOTERO_ITEM CSL_CITATION {code} ",
                                                       "Urch, Palliat Med 2004")
             + "</w:p></w:footnote></w:footnotes>")
    path = make_docx.package(tmp_path, "notes.docx", [
        make_docx.paragraph(make_docx.run("Intro.")),
        make_docx.paragraph(make_docx.run("Pain is common.")
                            + '<w:r><w:footnoteReference w:id="1"/></w:r>')])
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("word/footnotes.xml", notes)
    doc = read([path])
    (cite,) = doc.manuscript.citations
    assert (cite.key, cite.line) == ("ABCD2345", 2)
    assert cite.excerpt == "footnote 1: See Urch, Palliat Med 2004"


def test_read_inputs_takes_a_docx(spec: Spec, written: dict[str, Path]) -> None:
    inputs = read_inputs([written["zotero"]])
    assert inputs.manuscript is not None and len(inputs.entries) == 8
    assert inputs.manuscript.files == [written["zotero"]]


# --------------------------------------------------------------------------- bad input

def _zip(path: Path, parts: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _declared_size(path: Path, member: str, size: int) -> Path:
    """The archive with ``member``'s uncompressed size, as its central directory declares
    it, set to ``size`` (what a ZIP bomb's header may claim)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")  # a central directory header: the name at 46, the size at 24
    while at >= 0 and data[at + 46: at + 46 + len(name)] != name:
        at = data.find(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", data, at + 24, size)
    path.write_bytes(bytes(data))
    return path


def _document(body: str, prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<w:document xmlns:w="{make_docx.W}">'
            f"<w:body>{body}</w:body></w:document>")


def _bad_inputs(tmp: Path, spec: Spec, written: dict[str, Path]) -> dict[str, tuple[Path, str]]:
    """Each bad file, and a piece of the one-line message it must give."""
    ok = written["zotero"]
    corrupt = tmp / "corrupt.docx"
    corrupt.write_bytes(ok.read_bytes()[:1500])
    no_doc = _zip(tmp / "nodoc.docx", {"[Content_Types].xml": "<Types/>", "word/styles.xml": "<a/>"})
    encrypted = _zip(tmp / "encrypted.docx", {"EncryptedPackage": b"\x00" * 64,
                                              "EncryptionInfo": b"\x00" * 64})
    bomb = _zip(tmp / "bomb.docx", {"word/document.xml": _document("<w:p/>" * 2_000_000)})
    declared = _declared_size(_zip(tmp / "declared.docx", {"word/document.xml": _document("")}),
                              "word/document.xml", 300 * 2**20)
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    laughs = _zip(tmp / "laughs.docx", {"word/document.xml": _document(
        "<w:p><w:r><w:t>&l9;</w:t></w:r></w:p>", f'<!DOCTYPE d [<!ENTITY l0 "lol">{lol}]>')})
    xxe = _zip(tmp / "xxe.docx", {"word/document.xml": _document(
        "<w:p><w:r><w:t>&x;</w:t></w:r></w:p>", '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>')})
    malformed = _zip(tmp / "malformed.docx", {"word/document.xml": _document("<w:p>\n<w:r></w:p>")})
    broken_json = edit_docx(ok, '"citationItems": [', '"citationItems": [,', tmp / "json.docx")
    broken_b64 = edit_docx(written["endnote"], '<w:fldData xml:space="preserve">',
                           '<w:fldData xml:space="preserve">*', tmp / "b64.docx")
    endnote_dtd = edit_docx(written["endnote"], " ADDIN EN.CITE &lt;EndNote&gt;",
                            ' ADDIN EN.CITE &lt;!DOCTYPE e [&lt;!ENTITY a "b"&gt;]&gt;&lt;EndNote&gt;',
                            tmp / "endnote-dtd.docx")
    return {
        "corrupt": (corrupt, "the ZIP archive is corrupt"),
        "not Word": (no_doc, "not a Word document (the archive has no word/document.xml)"),
        "encrypted": (encrypted, "encrypted Word file"),
        "bomb": (bomb, "times when uncompressed (a ZIP bomb?)"),
        "declared size": (declared, "word/document.xml is 300 MB uncompressed"),
        "billion laughs": (laughs, "declares a DTD or entities"),
        "xxe": (xxe, "declares a DTD or entities"),
        "malformed": (malformed, "word/document.xml is not well-formed XML (line 2:"),
        "broken JSON": (broken_json, "the Zotero citation field in paragraph 2 is not valid JSON"),
        "EndNote DTD": (endnote_dtd, "the EndNote citation field in paragraph 2 declares a DTD"),
        "broken base64": (broken_b64, "the EndNote citation field in paragraph 2 has data that "
                                      "is not base64"),
    }


def test_bad_input_is_one_line(spec: Spec, written: dict[str, Path], tmp_path: Path) -> None:
    for case, (path, message) in _bad_inputs(tmp_path, spec, written).items():
        proc = run_audit([path.name], cwd=tmp_path)
        err = proc.stderr.strip()
        assert proc.returncode == 2, (case, err)
        assert "Traceback" not in err and len(err.splitlines()) == 1, (case, err)
        assert err.startswith(f"error: {path.name}"), (case, err)
        assert message in err, (case, err)
    assert not any(tmp_path.glob("*.lock.json"))


def test_damaged_files_are_input_errors(written: dict[str, Path], tmp_path: Path) -> None:
    """Bytes of the archive, or of its document.xml, damaged at random (seeded): the reader
    reads the file or refuses it with an InputError, nothing else."""
    rng = random.Random(13)
    sources = [written["zotero"], written["endnote"], written["mendeley-cite"]]
    damaged = tmp_path / "damaged.docx"
    refused = 0
    for n in range(400):
        source = rng.choice(sources)
        if n % 2:
            data = bytearray(source.read_bytes())
            for _ in range(rng.randint(1, 6)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            damaged.write_bytes(bytes(data))
        else:
            with zipfile.ZipFile(source) as z:
                xml = bytearray(z.read("word/document.xml"))
            at = rng.randrange(len(xml))
            xml[at: at + rng.randint(1, 40)] = rng.choice([b"", b"<", b'"', b"{", b"]", b"&"])
            _zip(damaged, {"word/document.xml": bytes(xml)})
        try:
            read([damaged])
        except InputError:
            refused += 1
    assert 100 < refused < 400  # some damage is harmless (inside text), most is not


def test_broken_field_names_its_paragraph(written: dict[str, Path], tmp_path: Path) -> None:
    path = edit_docx(written["mendeley"], '"citationItems": [', '"citationItems": {', tmp_path / "m.docx")
    proc = run_audit([path.name], cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: m.docx:2: the Mendeley citation field in paragraph 2")


def test_reader_never_expands_entities(tmp_path: Path) -> None:
    """Even read directly, a DTD is refused before anything is expanded."""
    path = _zip(tmp_path / "dtd.docx", {"word/document.xml": _document(
        "<w:p/>", '<!DOCTYPE d [<!ENTITY x "boom">]>')})
    with pytest.raises(InputError, match="declares a DTD"):
        read([path])

