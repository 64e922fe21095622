"""Reading a JATS article: real eLife articles (and copies with defects injected), articles
pandoc writes from real CSL data (element and mixed citations), and input the audit must
refuse with one line."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from audit.compare.numbers import expand_page_range
from audit.errors import InputError
from audit.inputs import detect
from audit.inputs.jats import read
from audit.model import Document, Entry, PrintedReference
from tests.conftest import ROOT, need_shared, run_audit
from tests.inputs.make_jats import jats_key, write_jats
from tests.inputs.spec import Spec

ELIFE_SHORT = "elife09853.xml"  # an Insight: 10 refs, all with DOIs
ELIFE_LONG = "elife-02833-v2.xml"  # a research article: 50 refs, 42 with DOIs
CITATION_CODES = ("undefined-citation", "uncited-reference", "duplicate-key")


def elife(name: str) -> Path:
    return need_shared("corpora", "jats", name)


def copy_of(name: str, folder: Path) -> Path:
    dest = folder / name
    shutil.copyfile(elife(name), dest)
    return dest


def audit_json(path: Path) -> tuple[int, list[dict[str, Any]]]:
    """The audit of ``path`` offline, with no lock (registrar checks are ``unverified``)."""
    proc = run_audit([path.name, "--format", "json"], cwd=path.parent)
    assert proc.returncode in (0, 1), proc.stderr
    assert not (path.parent / "references.lock.json").exists()
    return proc.returncode, json.loads(proc.stdout)["findings"]


# --- an independent reading of the eLife files: regular expressions on the text --------------

def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def _first(pattern: str, text: str) -> str | None:
    m = re.search(pattern, text, re.S)
    return _plain(m.group(1)) if m else None


def expected_refs(text: str) -> dict[str, dict[str, Any]]:
    """Each ``<ref id>`` of an eLife file (flat markup, one element-citation each) read
    with regular expressions: what the reader must find."""
    refs = {}
    for key, body in re.findall(r'<ref id="([^"]+)">(.*?)</ref>', text, re.S):
        groups = dict(re.findall(r'<person-group person-group-type="(\w+)">(.*?)</person-group>',
                                 body, re.S))
        authors = [{"family": _plain(s), "given": _plain(g)} for s, g in re.findall(
            r"<surname>(.*?)</surname><given-names>(.*?)</given-names>", groups.get("author", ""))]
        fpage, lpage = _first(r"<fpage>(.*?)</fpage>", body), _first(r"<lpage>(.*?)</lpage>", body)
        refs[key] = {
            "author": authors,
            "title": _first(r"<article-title>(.*?)</article-title>", body),
            "source": _first(r"<source>(.*?)</source>", body),
            "year": int(_first(r"<year>(\d{4})", body) or 0),
            "volume": _first(r"<volume>(.*?)</volume>", body),
            "page": f"{fpage}-{lpage}" if lpage else fpage,
            "DOI": _first(r'<pub-id pub-id-type="doi">(.*?)</pub-id>', body),
        }
    return refs


def expected_rids(text: str) -> list[str]:
    return [rid for rids in re.findall(r'<xref ref-type="bibr" rid="([^"]*)"', text)
            for rid in rids.split()]


# --- the real eLife articles -------------------------------------------------------------------

@pytest.mark.parametrize(("name", "n_refs", "n_dois", "n_xrefs"),
                         [(ELIFE_SHORT, 10, 10, 10), (ELIFE_LONG, 50, 42, 73)])
def test_elife_article_citations_and_references(name: str, n_refs: int, n_dois: int,
                                                n_xrefs: int) -> None:
    path = elife(name)
    text = path.read_text("utf-8")
    doc = read([path])
    # every bibr xref is a citation, in document order (the files are one line each)
    assert [c.key for c in doc.manuscript.citations] == expected_rids(text)
    assert len(doc.manuscript.citations) == n_xrefs
    assert all(c.file == str(path) and c.line == 1 for c in doc.manuscript.citations)
    assert doc.printed == [] and doc.findings == []
    refs = expected_refs(text)
    assert [e.key for e in doc.entries] == list(refs) == [f"bib{i}" for i in range(1, n_refs + 1)]
    assert sum(1 for e in doc.entries if e.item.get("DOI")) == n_dois
    for entry in doc.entries:
        want, item = refs[entry.key], entry.item
        assert entry.file == str(path) and entry.line == 1
        assert item["author"] == want["author"], entry.key
        assert item["issued"] == {"date-parts": [[want["year"]]]}
        for field in ("volume", "page", "DOI"):
            assert item.get(field) == want[field], (entry.key, field)
        if item["type"] == "article-journal":  # journal articles: title, and the journal
            assert (item["title"], item["container-title"]) == (want["title"], want["source"])
    title = doc.manuscript.metadata["title"]
    assert title == ("It's all starting to come together" if name == ELIFE_SHORT else
                     "H3K27 modifications define segmental regulatory domains in the "
                     "Drosophila bithorax complex")  # not a sub-article's "Decision letter"


def test_elife_markup_in_titles_and_a_chapter_in_a_book() -> None:
    doc = read([elife(ELIFE_LONG)])
    items = {e.key: e.item for e in doc.entries}
    assert items["bib1"]["title"] == ("Characterization of the intergenic RNA profile at "
                                      "abdominal-A and Abdominal-B in the Drosophila bithorax "
                                      "complex")  # <italic> flattened
    assert items["bib24"] == {
        "id": "bib24", "type": "chapter",  # publication-type="book" with an article-title
        "author": [{"family": "Lewis", "given": "EB"}],
        "editor": [{"family": "Brown", "given": "DD"}, {"family": "Fox", "given": "CF"}],
        "title": "Developmental genetics of the bithorax complex in Drosophila",
        "container-title": "Developmental Biology Using Purified Genes ICN-UCLA Symposia on "
                           "Molecular and Cellular Biology XXIII",
        "issued": {"date-parts": [[1981]]}, "publisher": "Academic Press",
        "publisher-place": "New York"}


@pytest.mark.parametrize("name", [ELIFE_SHORT, ELIFE_LONG])
def test_audit_of_an_elife_article_has_no_citation_finding(tmp_path: Path, name: str) -> None:
    path = copy_of(name, tmp_path)
    _, findings = audit_json(path)
    assert [f for f in findings if f["code"] in CITATION_CODES] == []
    dois = {e.key for e in read([path]).entries if e.item.get("DOI")}
    assert {f["key"] for f in findings if f["code"] == "unverified"} >= dois
    assert all(f["file"] == name for f in findings)


def test_a_dangling_rid_and_an_uncited_ref_are_the_two_findings(tmp_path: Path) -> None:
    path = copy_of(ELIFE_SHORT, tmp_path)
    text = path.read_text("utf-8")
    text = text.replace("</p></body>", '</p>\n<p>A claim (<xref ref-type="bibr" rid="bib99">'
                        "Nobody, 2020</xref>).</p></body>", 1)  # line 2
    text = text.replace("</ref-list>", '\n<ref id="bib11"><element-citation publication-type='
                        '"journal"><person-group person-group-type="author"><name><surname>Uncited'
                        "</surname><given-names>A</given-names></name></person-group><year>2020"
                        "</year><article-title>Never cited</article-title><source>Cell</source>"
                        "<volume>1</volume><fpage>1</fpage></element-citation></ref></ref-list>", 1)
    path.write_text(text, "utf-8")
    code, findings = audit_json(path)
    found = sorted((f["code"], f["key"], f["line"]) for f in findings if f["code"] in CITATION_CODES)
    assert found == [("uncited-reference", "bib11", 3), ("undefined-citation", "bib99", 2)]
    assert code == 1


def test_jats_variants_in_a_real_article(tmp_path: Path) -> None:
    """A copy of a real article rewritten with what other tools write: a multi-id rid, a
    mixed-citation, an NLM 2.x citation (structured, and text only), ``etal``, a group
    author, a nested ref-list, named entities the DTD defines, comments, a ref with no
    citation element, citation-alternatives."""
    path = copy_of(ELIFE_SHORT, tmp_path)
    text = path.read_text("utf-8")
    two = ('<xref ref-type="bibr" rid="bib3">Han et al., 2012</xref>; '
           '<xref ref-type="bibr" rid="bib4">Kato et al., 2012</xref>')
    assert two in text
    text = text.replace(two, '\n<xref ref-type="bibr" rid="bib3  bib4">Han et al., 2012; Kato et '
                        'al., 2012</xref>\n<xref ref-type="fig" rid="fig1">Figure 1</xref>', 1)

    def ref(key: str) -> str:
        return re.search(rf'<ref id="{key}">.*?</ref>', text, re.S).group(0)  # type: ignore[union-attr]

    replaced = {
        # the printed form, with its DOI tagged but printed without a label
        "bib1": '<ref id="bib1">\n<mixed-citation publication-type="journal"><string-name><surname>'
                "Brangwynne</surname> <given-names>CP</given-names></string-name>, <string-name>"
                "<surname>Eckmann</surname> <given-names>CR</given-names></string-name>, "
                "<string-name><surname>Courson</surname> <given-names>DS</given-names></string-name>"
                ", et al. <article-title>Germline P granules are liquid droplets that localize by "
                "controlled dissolution&#x2F;condensation</article-title>. <source>Science</source>"
                ". <year>2009</year>;<volume>324</volume>:<fpage>1729</fpage>&ndash;<lpage>32"
                '</lpage>. <pub-id pub-id-type="doi">10.1126/science.1172046</pub-id> '
                '<pub-id pub-id-type="pmid">19460965</pub-id></mixed-citation></ref>',
        # NLM 2.x: a structured citation, names straight inside it, et al., a group author
        "bib2": '<ref id="bib2"><citation citation-type="journal"><name><surname>Cherkasov'
                "</surname><given-names>V</given-names></name><name><surname>Hofmann</surname>"
                "<given-names>S</given-names></name><etal/><collab>The Heat <!-- sic -->Shock "
                "Consortium</collab><article-title>Coordination of translational control "
                "&mdash; and protein homeostasis</article-title><source>Current Biology</source>"
                "<year>2013</year><month>Dec</month><volume>23</volume><page-range>2452&ndash;62"
                "</page-range></citation></ref>",
        # NLM 2.x text only: printed
        "bib5": '<ref id="bib5"><label>5</label><nlm-citation citation-type="journal">Kedersha N, '
                "Anderson P. Stress granules: sites of mRNA triage that regulate mRNA stability "
                "and translatability. Biochem Soc Trans. 2002;30(Pt 6):963-9.</nlm-citation></ref>",
        # no citation element at all: its text
        "bib9": '<ref id="bib9">Parker R, Sheth U. P bodies and the control of mRNA translation '
                "and degradation. Mol Cell. 2007;25(5):635-46. doi:10.1016/j.molcel.2007.02.011"
                "</ref>",
        # both forms: the element-citation is read
        "bib10": '<ref id="bib10"><citation-alternatives>'
                 + ref("bib10").split("<ref id=\"bib10\">")[1].split("</ref>")[0]
                 + "<mixed-citation>Ramaswami M. Printed. Cell. 2013;154:727.</mixed-citation>"
                 "</citation-alternatives></ref>",
    }
    for key, new in replaced.items():
        text = text.replace(ref(key), new, 1)
    # bib6-bib8 in a nested ref-list
    nested = "".join(ref(k) for k in ("bib6", "bib7", "bib8"))
    text = text.replace(nested, f"\n<ref-list><title>Older work</title>{nested}</ref-list>\n", 1)
    path.write_text(text, "utf-8")

    doc = read([path])
    keys = [c.key for c in doc.manuscript.citations]
    assert keys == expected_rids(text) and len(keys) == 10  # fig xrefs are not citations
    split = [c for c in doc.manuscript.citations if c.key in ("bib3", "bib4")]
    assert [(c.key, c.line) for c in split] == [("bib3", 2), ("bib4", 2)]
    entries = {e.key: e for e in doc.entries}
    printed = {str(p.key): p for p in doc.printed}
    assert sorted(entries) == ["bib10", "bib2", "bib3", "bib4", "bib6", "bib7", "bib8"]
    assert sorted(printed) == ["bib1", "bib5", "bib9"]
    assert entries["bib2"].item == {
        "id": "bib2", "type": "article-journal",
        "author": [{"family": "Cherkasov", "given": "V"}, {"family": "Hofmann", "given": "S"},
                   {"literal": "et al."}, {"literal": "The Heat Shock Consortium"}],
        "title": "Coordination of translational control — and protein homeostasis",
        "container-title": "Current Biology", "issued": {"date-parts": [[2013, 12]]},
        "volume": "23", "page": "2452-62"}
    assert entries["bib10"].item["DOI"] == "10.1016/j.cell.2013.07.038"
    assert entries["bib6"].line == entries["bib8"].line == 5  # after the four new lines
    one = printed["bib1"]
    assert one.listed and one.file == str(path) and one.line == 3 and one.number == 1
    assert one.et_al and [a["family"] for a in one.item["author"]] == [
        "Brangwynne", "Eckmann", "Courson"]
    assert one.item["title"] == ("Germline P granules are liquid droplets that localize by "
                                 "controlled dissolution/condensation")
    assert (one.item["container-title"], one.item["volume"], one.item["page"]) == (
        "Science", "324", "1729-32")
    assert (one.item["DOI"], one.item["PMID"]) == ("10.1126/science.1172046", "19460965")
    assert one.problems == ()
    five = printed["bib5"]
    assert five.number == 5 and five.item["container-title"] == "Biochem Soc Trans"
    assert five.item["issue"] == "Pt 6" and five.item["page"] == "963-9"
    nine = printed["bib9"]
    assert nine.item["DOI"] == "10.1016/j.molcel.2007.02.011" and nine.item["volume"] == "25"
    _, findings = audit_json(path)
    assert [f for f in findings if f["code"] in CITATION_CODES] == []


# --- articles pandoc writes from real CSL data --------------------------------------------

QUOTES = str.maketrans({"“": '"', "”": '"', "‘": '"', "’": '"', "'": '"'})


def _norm(value: Any) -> Any:
    """A CSL value as JATS can carry it: markup stripped, quotes all one (pandoc writes smart
    quotes, and single ones as double), spaces collapsed, none after an apostrophe in a family
    name (pandoc writes the particle of "d’Enterria" as "d’ Enterria"), date parts numbers,
    empty names and dates dropped."""
    if isinstance(value, str):
        return " ".join(re.sub(r"<[^>]+>", "", value).translate(QUOTES).split())
    if isinstance(value, list):
        return [n for n in (_norm(v) for v in value) if n not in ({}, [], "")]
    if isinstance(value, dict):
        if "date-parts" in value:
            return {"date-parts": [[int(p) for p in value["date-parts"][0]]]}
        out = {k: _norm(v) for k, v in value.items()}
        if isinstance(out.get("family"), str):
            out["family"] = out["family"].replace('" ', '"')
        return out
    return value


def _pages(page: str | None) -> tuple[str, str | None] | None:
    if not page:
        return None
    first, last = expand_page_range(page)
    return first, None if last == first else last


def real_items() -> list[dict[str, Any]]:
    """Our review's references and the meta-review's registrar records: journal articles,
    books, chapters, reports, preprints, datasets, web pages, group authors, 5,000 authors."""
    corpus = need_shared("corpora", "meta-review", "output", "references.json")
    ours: list[dict[str, Any]] = json.loads((ROOT / "manuscript" / "references.json").read_text())
    theirs: list[dict[str, Any]] = json.loads(corpus.read_text("utf-8"))
    return ours + theirs


def spec_of(items: list[dict[str, Any]]) -> Spec:
    """One or two citations a paragraph (never three numbers in a row: no collapsed range)."""
    paragraphs = []
    for i in range(0, len(items), 2):
        keys = "; ".join(f"@{it['id']}" for it in items[i:i + 2])
        paragraphs.append(f"Paragraph {i} on this [{keys}].")
    return Spec("A manuscript — in JATS", tuple(paragraphs), tuple(items))


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _check_citations(doc: Document, spec: Spec, path: Path) -> None:
    text = path.read_text("utf-8")
    keys = [c.key for c in doc.manuscript.citations]
    assert keys == [jats_key(k) for k in spec.cited()]
    for cit in doc.manuscript.citations:
        assert cit.file == str(path) and cit.line == _line_of(text, f'rid="{cit.key}"')
    assert doc.manuscript.metadata == {"title": spec.title}


ELEMENT_FIELDS = ("type", "title", "container-title", "author", "editor", "issued", "volume",
                  "issue", "DOI", "PMID", "publisher")


def test_element_citations_written_by_pandoc_are_the_items(tmp_path: Path) -> None:
    items = real_items()
    spec = spec_of(items)
    path = write_jats(spec, tmp_path)
    doc = read([path])
    _check_citations(doc, spec, path)
    assert doc.printed == []
    text = path.read_text("utf-8")
    by_key = {jats_key(item["id"]): item for item in items}
    assert sorted(e.key for e in doc.entries) == sorted(by_key)
    compared = 0
    for entry in doc.entries:
        item = by_key[entry.key]
        assert entry.line == _line_of(text, f'<ref id="{entry.key}">')
        for field in ELEMENT_FIELDS:
            if _norm(item.get(field)) not in (None, {}, [], ""):
                assert _norm(entry.item.get(field)) == _norm(item[field]), (entry.key, field)
                compared += 1
        assert _pages(entry.item.get("page")) == _pages(item.get("page")), entry.key
    assert compared > 1000
    _, findings = audit_json(path)
    assert [f for f in findings if f["code"] in CITATION_CODES] == []


def test_mixed_citations_written_by_pandoc_parse_to_the_items(tmp_path: Path) -> None:
    """Our review's references printed in Vancouver (NLM) style: each mixed-citation's text
    parsed back to the fields of its item."""
    items = json.loads((ROOT / "manuscript" / "references.json").read_text("utf-8"))
    spec = spec_of(items)
    path = write_jats(spec, tmp_path, mixed=True)
    doc = read([path])
    _check_citations(doc, spec, path)
    assert doc.entries == []
    text = path.read_text("utf-8")
    by_key = {jats_key(item["id"]): item for item in items}
    assert sorted(p.name for p in doc.printed) == sorted(by_key)
    journal = 0
    for number, ref in enumerate(doc.printed, 1):
        item, parsed = by_key[ref.name], ref.item
        assert ref.listed and ref.file == str(path) and ref.number == number
        assert ref.line == _line_of(text, f'<ref id="{ref.key}">')
        assert parsed["issued"]["date-parts"][0][0] == item["issued"]["date-parts"][0][0]
        if item["type"] != "article-journal":
            continue
        journal += 1
        assert _norm(parsed["title"]) == _norm(item["title"])
        families = [a.get("family") or a["literal"] for a in parsed["author"]]
        assert families == [a.get("family") or a["literal"] for a in item["author"]][: len(families)]
        assert ref.et_al == (len(families) < len(item["author"]))
        assert parsed["container-title"] in (item["container-title"], item.get("container-title-short"))
        for field in ("volume", "issue", "PMID"):
            assert parsed.get(field) == item.get(field), (ref.key, field)
        assert (parsed.get("DOI") or "").lower() == (item.get("DOI") or "").lower()
        assert _pages(parsed["page"]) == _pages(item["page"]), ref.key
    assert journal == 39


def test_the_writer_refuses_a_range_that_links_only_its_ends(tmp_path: Path) -> None:
    items = json.loads((ROOT / "manuscript" / "references.json").read_text("utf-8"))[:3]
    spec = Spec("T", ("[@" + "; @".join(i["id"] for i in items) + "]",), tuple(items))
    with pytest.raises(RuntimeError, match="range"):
        write_jats(spec, tmp_path, mixed=True)


# --- input the audit refuses ----------------------------------------------------------------

ARTICLE = ('<article xmlns:xlink="http://www.w3.org/1999/xlink"><front><article-meta><title-group>'
           "<article-title>{title}</article-title></title-group></article-meta></front><body>\n"
           '<p>Text<xref ref-type="bibr" rid="r1">1</xref>.</p>\n</body><back><ref-list>\n'
           '<ref id="r1"><mixed-citation>Smith J. {ref}. Cell. 2020;1:1-2.</mixed-citation></ref>\n'
           "</ref-list></back></article>\n")
PASSWD_MARK = "root:x:0:0"
SECRET = "TOPSECRET-jats-reader-4b1d"


def bad_inputs(folder: Path) -> dict[str, tuple[bytes, str, int | None]]:
    """name -> (file bytes, what the one-line error says, its line)."""
    secret = folder / "secret.txt"
    secret.write_text(SECRET + "\n")
    lol = "\n".join(['<!ENTITY lol0 "lol">', *(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'
                                               for i in range(1, 10))])
    decl = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return {
        "malformed": ((decl + ARTICLE.format(title="T", ref="R").replace("</p>", "", 1)).encode(),
                      "not well-formed XML: Opening and ending tag mismatch", 4),
        "xxe-file": ((decl + f'<!DOCTYPE article [\n<!ENTITY xxe SYSTEM "{secret.as_uri()}">\n'
                      '<!ENTITY pw SYSTEM "file:///etc/passwd">\n]>\n'
                      + ARTICLE.format(title="&xxe;", ref="&pw;")).encode(),
                     "its DOCTYPE declares entities: refused", 3),
        "billion-laughs": ((decl + f"<!DOCTYPE article [\n{lol}\n]>\n"
                            + ARTICLE.format(title="&lol9;", ref="&lol9;")).encode(),
                           "its DOCTYPE declares entities: refused", 3),
        "parameter-entity": ((decl + '<!DOCTYPE article [\n<!ENTITY % ext SYSTEM '
                              '"http://127.0.0.1:9/evil.dtd">\n%ext;\n]>\n'
                              + ARTICLE.format(title="T", ref="R")).encode(),
                             "its DOCTYPE declares entities: refused", 3),
        "not-jats": (b'<?xml version="1.0"?>\n<html><body><p>Hello</p></body></html>\n',
                     "not a JATS article (root element <html>)", 2),
        "empty": (b"", "the file is empty", None),
        "latin1-bytes": ((decl + ARTICLE.format(title="Étude", ref="R")).encode("latin-1"),
                         "not valid UTF-8 (byte 0xc9", 2),
        "declared-latin1-but-utf8": ((decl.replace("UTF-8", "ISO-8859-1")
                                      + ARTICLE.format(title="Étude", ref="R")).encode(),
                                     "declares encoding 'ISO-8859-1' but its bytes are UTF-8", 1),
        "unknown-encoding": ((decl.replace("UTF-8", "x-klingon")
                              + ARTICLE.format(title="T", ref="R")).encode(),
                             "declares an unknown encoding 'x-klingon'", 1),
    }


BAD = ["malformed", "xxe-file", "billion-laughs", "parameter-entity", "not-jats", "empty",
       "latin1-bytes", "declared-latin1-but-utf8", "unknown-encoding"]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    data, message, line = bad_inputs(tmp_path)[case]
    path = tmp_path / "article.xml"
    path.write_bytes(data)
    proc = run_audit([path.name, "--format", "json"], cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    where = f"article.xml:{line}" if line else "article.xml"
    assert proc.stderr.startswith(f"error: {where}: {message}"), proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    for leak in (SECRET, PASSWD_MARK, "lollollol"):
        assert leak not in proc.stderr


@pytest.mark.parametrize("case", [c for c in BAD if c != "empty"])
def test_bad_input_read_directly_is_an_input_error(tmp_path: Path, case: str) -> None:
    data, message, line = bad_inputs(tmp_path)[case]
    path = tmp_path / "article.xml"
    path.write_bytes(data)
    with pytest.raises(InputError) as raised:
        read([path])
    assert raised.value.file == str(path) and raised.value.line == line
    assert raised.value.message.startswith(message)


def test_an_empty_file_read_directly(tmp_path: Path) -> None:
    path = tmp_path / "article.xml"
    for data in (b"", b"  \n\t\n", b"\xef\xbb\xbf\n"):
        path.write_bytes(data)
        with pytest.raises(InputError, match="the file is empty"):
            read([path])


def test_declared_encodings_are_read(tmp_path: Path) -> None:
    article = ARTICLE.format(title="Étude &mdash; ça", ref="Réf")
    for name, data in {
        "latin1.xml": ('<?xml version="1.0" encoding="ISO-8859-1"?>\n' + article).encode("latin-1"),
        "utf16.xml": ('<?xml version="1.0" encoding="UTF-16"?>\n' + article).encode("utf-16"),
        "bom.xml": b"\xef\xbb\xbf" + ('<?xml version="1.0"?>\n' + article).encode(),
    }.items():
        path = tmp_path / name
        path.write_bytes(data)
        doc = read([path])
        assert doc.manuscript.metadata["title"] == "Étude — ça", name
        assert doc.printed[0].item["title"] == "Réf" and doc.printed[0].line == 5
        assert [(c.key, c.line) for c in doc.manuscript.citations] == [("r1", 3)]




def test_a_dtd_at_a_network_address_is_never_fetched(tmp_path: Path,
                                                     listener: tuple[str, list[str]]) -> None:
    """A DOCTYPE naming an external DTD (as every published JATS file does) is read without
    it: an entity only that DTD defines stays as written."""
    url, seen = listener
    path = tmp_path / "article.xml"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE article SYSTEM "{url}">\n'
                    + ARTICLE.format(title="A &remote; title", ref="R"), "utf-8")
    assert detect(path) == "jats"
    doc = read([path])
    assert doc.manuscript.metadata["title"] == "A &remote; title"
    proc = run_audit([path.name, "--format", "json"], cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert "FETCHED-FROM-NETWORK" not in proc.stdout + proc.stderr
    assert seen == [], f"the network was used: {seen}"


def test_a_ref_without_text_is_listed_with_its_problem(tmp_path: Path) -> None:
    path = tmp_path / "article.xml"
    path.write_text(ARTICLE.replace("Smith J. {ref}. Cell. 2020;1:1-2.", ""
                                    ).format(title="T"), "utf-8")
    doc = read([path])
    ref = doc.printed[0]
    assert isinstance(ref, PrintedReference) and ref.key == "r1" and ref.listed
    assert ref.problems and ref.line == 4
    assert not any(isinstance(e, Entry) for e in doc.entries)
