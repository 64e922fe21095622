"""The build (issue 2): four outputs, linked citations, valid JATS, reproducible bytes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree, html

from audit.build.formats.jats import tidy_jats
from audit.pandoc import pandoc_path
from tests.conftest import JATS_SCHEMA, ROOT, SHARED, copy_project, need_shared, render

OUTPUTS = ("manuscript.html", "manuscript.pdf", "manuscript.xml", "manuscript.docx")


def bibliography_ids() -> list[str]:
    return [item["id"] for item in json.loads((ROOT / "manuscript/references.json").read_text())]


def test_all_four_outputs_are_produced_and_non_empty(built: Path) -> None:
    for name in OUTPUTS:
        assert (built / name).stat().st_size > 1000, name
    assert (built / "manuscript.pdf").read_bytes().startswith(b"%PDF-")
    with zipfile.ZipFile(built / "manuscript.docx") as zf:
        assert "word/document.xml" in zf.namelist()
        document = zf.read("word/document.xml").decode()
        # the figure as a PNG (rendered by typst), which every Word version shows
        pngs = [n for n in zf.namelist() if n.startswith("word/media/") and n.endswith(".png")]
        assert len(pngs) == 1 and zf.read(pngs[0]).startswith(b"\x89PNG")
    assert "References" in document


def test_manifest_records_hashes_versions_style_and_commands(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    for target, name in zip(("html", "pdf", "jats", "docx"), OUTPUTS, strict=True):
        entry = manifest["outputs"][target]
        assert entry["sha256"] == hashlib.sha256((built / name).read_bytes()).hexdigest()
        assert entry["commands"], target
    assert re.fullmatch(r"\d+(\.\d+)+", manifest["pandoc_version"])
    import typst  # the version the manifest names is the one that compiles

    assert manifest["typst_version"] == typst.__version__
    style = manifest["style"]
    assert style["id"] == "skeletal-radiology"
    assert style["parent"] == "springer-vancouver-brackets"
    style_file = (built.parent / style["file"]).resolve()
    assert hashlib.sha256(style_file.read_bytes()).hexdigest() == style["sha256"]
    pdf_steps = [step["argv"][0] for step in manifest["outputs"]["pdf"]["commands"]]
    assert pdf_steps == ["pandoc", "typst"]


def test_html_links_every_citation_and_lists_each_work_once(built: Path) -> None:
    doc = html.parse(str(built / "manuscript.html")).getroot()
    entries = doc.xpath('//div[@id="refs"]/div[contains(@class, "csl-entry")]')
    entry_ids = [e.get("id") for e in entries]
    assert sorted(entry_ids) == sorted(f"ref-{k}" for k in bibliography_ids())
    assert len(entry_ids) == 41
    citations = doc.xpath('//span[@class="citation"]')
    assert len(citations) >= 41
    for span in citations:
        links = span.xpath(".//a/@href")
        assert links, etree.tostring(span, encoding=str)
        for href in links:
            assert href.startswith("#ref-") and href[1:] in entry_ids, href
    # every reference that has a DOI shows it as a link
    bib = {item["id"]: item for item in json.loads((ROOT / "manuscript/references.json").read_text())}
    for entry in entries:
        doi = bib[entry.get("id")[4:]].get("DOI")
        if doi:
            assert f"https://doi.org/{doi}" in entry.xpath(".//a/@href"), entry.get("id")
    # the author is shown by name (pandoc renders an author map as "true" unless told)
    assert [p.text_content() for p in doc.xpath('//p[@class="author"]')] == [
        "Manuscript Audit Contributors"]
    # the figure is embedded, not linked, and keeps its accessible name
    images = doc.xpath("//figure//img")
    assert images and all(img.get("src").startswith("data:image/svg+xml;base64,") for img in images)
    assert all(img.get("role") == "img" and img.get("aria-label", "").startswith("Figure 1.")
               for img in images)
    # the page stands alone: the stylesheet is inlined, nothing is fetched
    css = " ".join((ROOT / "pandoc" / "manuscript.css").read_text().split())
    assert any(css in " ".join((style.text or "").split()) for style in doc.xpath("//head/style"))
    assert not doc.xpath("//link[@rel='stylesheet'] | //script[@src]"
                         " | //img[not(starts-with(@src, 'data:'))]")


def test_jats_is_valid_and_every_xref_resolves(built: Path) -> None:
    dtd_path = need_shared("jats-schema", "jats-1.3", "dtd", "JATS-journalpublishing1-3-mathml3.dtd")
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    doc = etree.parse(str(built / "manuscript.xml"), parser)
    dtd = etree.DTD(str(dtd_path))
    assert dtd.validate(doc), [f"{e.line}: {e.message}" for e in dtd.error_log]
    # declared as what it is checked against: JATS 1.3 Journal Publishing with MathML 3
    assert doc.docinfo.public_id == ("-//NLM//DTD JATS (Z39.96) Journal Publishing DTD with "
                                     "MathML3 v1.3 20210610//EN")
    assert doc.docinfo.system_url == dtd_path.name
    assert doc.getroot().get("dtd-version") == "1.3"
    ref_ids = set(doc.xpath("//ref-list/ref/@id"))
    assert len(ref_ids) == 41
    xrefs = doc.xpath('//xref[@ref-type="bibr"]/@rid')
    assert xrefs
    for rid in xrefs:
        for one in rid.split():
            assert one in ref_ids, one
    meta = doc.find("front/article-meta")
    assert meta.find("title-group/article-title").text
    contrib = meta.find("contrib-group/contrib")
    # the review's author is marked `collective: true` in its front matter: a group
    assert contrib.findtext("collab") == "Manuscript Audit Contributors"
    assert contrib.find("string-name") is None
    assert contrib.findtext("aff/institution-wrap/institution") == (
        "The manuscript-audit open-source project")
    assert meta.find("abstract") is not None
    assert len(meta.findall("kwd-group/kwd")) >= 3
    assert meta.find("permissions") is not None
    # element citations with DOI (and PMID) where the bibliography has them
    bib = {item["id"]: item for item in json.loads((ROOT / "manuscript/references.json").read_text())}
    for ref in doc.xpath("//ref-list/ref"):
        item = bib[ref.get("id")[4:]]
        assert ref.find("element-citation") is not None
        if item.get("DOI"):
            assert ref.xpath('string(.//pub-id[@pub-id-type="doi"])') == item["DOI"]
        if item.get("PMID"):
            assert ref.xpath('string(.//pub-id[@pub-id-type="pmid"])') == item["PMID"]
        # CSL's literal names (institutions, panels) are group authors: <collab>, not a person
        literal = [a["literal"] for a in item.get("author", []) if "literal" in a]
        assert ref.xpath("element-citation/person-group/collab/text()") == literal
        assert not ref.xpath(".//string-name")
    empty = [el.tag for el in doc.iter() if isinstance(el.tag, str) and len(el) == 0
             and not (el.text or "").strip() and not el.attrib]
    assert empty == []


def test_pdf_text_contains_the_reference_list(built: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(built / "manuscript.pdf"))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert "References" in flat
    for item in json.loads((ROOT / "manuscript/references.json").read_text()):
        first = item["author"][0]
        name = first.get("family") or first.get("literal")
        assert name.split()[0] in flat, name
    assert len(reader.pages) >= 5
    # the figure and the table, numbered once (by their captions, as in the other formats)
    assert "Figure 1. Simplified" in flat and "Table 1. Comparison" in flat
    assert "Figure 1: Figure" not in flat and "Table 1: Table" not in flat


def test_two_builds_in_different_directories_are_byte_identical(built: Path,
                                                                tmp_path: Path) -> None:
    other = copy_project(tmp_path / "elsewhere" / "project")
    proc = render(other)
    assert proc.returncode == 0, proc.stderr
    for name in OUTPUTS:
        assert (other / "output" / name).read_bytes() == (built / name).read_bytes(), name


def test_docx_dates_come_from_source_date_epoch(built: Path) -> None:
    with zipfile.ZipFile(built / "manuscript.docx") as zf:
        stamps = {info.date_time for info in zf.infolist()}
    assert stamps == {(2023, 11, 14, 22, 13, 20)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def test_missing_citation_key_fails_with_key_file_and_line(project: Path) -> None:
    source = project / "manuscript" / "review.md"
    lines = source.read_text().split("\n")
    body = lines.index("---", 1) + 1  # after the front matter
    target = next(i for i, line in enumerate(lines) if line.startswith("# ") and i > body) + 2
    lines.insert(target, "A claim that cites nothing real [@nosuchkey2099].")
    source.write_text("\n".join(lines))
    (project / "output").mkdir()
    (project / "output" / "manuscript.html").write_text("previous build")
    proc = render(project)
    assert proc.returncode != 0
    assert f"manuscript/review.md:{target + 1}" in proc.stderr
    assert "nosuchkey2099" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (project / "output" / "manuscript.html").read_text() == "previous build"


def test_unknown_style_is_a_clear_error(project: Path) -> None:
    proc = render(project, "--style", "skeletal-radiolgy", "html")
    assert proc.returncode != 0
    assert "unknown CSL style 'skeletal-radiolgy'" in proc.stderr
    assert "skeletal-radiology" in proc.stderr  # the suggestion
    assert "Traceback" not in proc.stderr


def test_another_style_by_name_changes_the_citations(project: Path) -> None:
    proc = render(project, "--style", "apa", "html")
    assert proc.returncode == 0, proc.stderr
    text = (project / "output" / "manuscript.html").read_text()
    assert re.search(r"Tomasian &amp; Jennings, 2023|Tomasian and Jennings, 2023", text)
    manifest = json.loads((project / "output" / "manifest.json").read_text())
    assert manifest["style"]["id"] == "apa"


def test_a_project_with_nothing_beside_it_validates_its_jats(project: Path) -> None:
    """The DTD ships with the package: a project anywhere (here a folder with no ../shared
    beside it) has its JATS validated, and a broken JATS would fail the build."""
    assert not (project.parent / "shared").exists()
    proc = render(project, "jats")
    assert proc.returncode == 0, proc.stderr
    shipped = JATS_SCHEMA / "dtd" / "JATS-journalpublishing1-3-mathml3.dtd"
    assert f"jats: valid against {os.path.relpath(shipped, project)}" in proc.stderr


def test_the_shipped_jats_schema_is_the_niso_dtd_unmodified() -> None:
    """Every file the DTD loads is there, byte for byte as listed (and as in ../shared's copy
    of the NISO distribution, when it is beside the repository)."""
    listed = dict(reversed(line.split("  ", 1)) for line in
                  (JATS_SCHEMA / "MANIFEST.sha256").read_text().splitlines())
    shipped = {str(p.relative_to(JATS_SCHEMA)) for p in (JATS_SCHEMA / "dtd").rglob("*") if p.is_file()}
    assert shipped == set(listed)
    assert "dtd/JATS-journalpublishing1-3-mathml3.dtd" in shipped and len(shipped) == 62
    for name, digest in listed.items():
        assert hashlib.sha256((JATS_SCHEMA / name).read_bytes()).hexdigest() == digest, name
    original = SHARED / "jats-schema" / "jats-1.3"
    if original.is_dir():
        for name in listed:
            assert (JATS_SCHEMA / name).read_bytes() == (original / name).read_bytes(), name
    # the notices stay in the files
    assert "This DTD is in the public domain" in (
        JATS_SCHEMA / "dtd" / "JATS-journalpublishing1-3-mathml3.dtd").read_text()


def test_jats_without_schema_still_builds_and_says_so(project: Path) -> None:
    proc = render(project, "jats", env={"JATS_SCHEMA_DIR": str(project / "no-such-schema")})
    assert proc.returncode == 0, proc.stderr
    assert "NOT validated" in proc.stderr
    assert (project / "output" / "manuscript.xml").is_file()


def test_unchanged_inputs_skip_the_build_and_changes_rebuild(project: Path) -> None:
    first = render(project, "html")
    assert first.returncode == 0, first.stderr
    html_path = project / "output" / "manuscript.html"
    before = html_path.read_bytes()
    again = render(project, "html")
    assert again.returncode == 0
    assert "up to date" in again.stderr
    assert html_path.read_bytes() == before
    source = project / "manuscript" / "review.md"
    source.write_text(source.read_text().replace("# Key points", "# Key points and summary"))
    changed = render(project, "html")
    assert changed.returncode == 0
    assert "up to date" not in changed.stderr
    assert b"Key points and summary" in html_path.read_bytes()


def _previous_outputs(project: Path) -> dict[str, bytes]:
    out = project / "output"
    out.mkdir(exist_ok=True)
    previous = {}
    for name in OUTPUTS:
        (out / name).write_bytes(f"previous {name}".encode())
        previous[name] = (out / name).read_bytes()
    return previous


def test_pandoc_error_names_the_step_and_keeps_previous_outputs(project: Path) -> None:
    previous = _previous_outputs(project)
    broken = project / "csl" / "broken.csl"
    broken.parent.mkdir(exist_ok=True)
    broken.write_text('<?xml version="1.0"?>\n<style xmlns="http://purl.org/net/xbiblio/csl" '
                      'version="1.0" class="in-text"><info><title>Broken</title></info></style>\n')
    proc = render(project, "--style", "csl/broken.csl")
    assert proc.returncode != 0
    assert "ast: pandoc failed" in proc.stderr
    assert "Traceback" not in proc.stderr
    for name, data in previous.items():
        assert (project / "output" / name).read_bytes() == data, name


def test_typst_error_names_the_step_and_keeps_previous_outputs(project: Path) -> None:
    previous = _previous_outputs(project)
    source = project / "manuscript" / "review.md"
    source.write_text(source.read_text() + "\n```{=typst}\n#let broken = (\n```\n")
    proc = render(project)
    assert proc.returncode != 0
    assert "pdf: typst failed" in proc.stderr
    assert "Traceback" not in proc.stderr
    for name, data in previous.items():
        assert (project / "output" / name).read_bytes() == data, name


def replay_step(step: dict[str, Any], root: Path, env: dict[str, str]) -> None:
    """Run one recorded command as a user would: pandoc, the typst CLI's options, our Python."""
    argv, cwd = step["argv"], root / step["cwd"]
    if argv[0] == "typst":  # typst compile [--opt value]... INPUT OUTPUT, through the typst package
        import typst

        opts = dict(zip(argv[2:-2:2], argv[3:-2:2], strict=True))
        kwargs: dict[str, Any] = {"root": str(cwd / opts.pop("--root"))}
        if "--creation-timestamp" in opts:
            kwargs["timestamp"] = int(opts.pop("--creation-timestamp"))
        if "--format" in opts:
            kwargs["format"] = opts.pop("--format")
        if "--ppi" in opts:
            kwargs["ppi"] = float(opts.pop("--ppi"))
        assert not opts, f"an option the replay does not know: {opts}"
        typst.compile(str(cwd / argv[-2]), output=str(cwd / argv[-1]), **kwargs)
        return
    program = {"pandoc": [pandoc_path()], "python": [sys.executable]}[argv[0]]
    proc = subprocess.run([*program, *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, (argv, proc.stderr)


def test_the_manifest_commands_replayed_reproduce_every_output(built: Path, tmp_path: Path) -> None:
    """The manifest's command lines are the whole recipe: run in order, they give the same bytes."""
    root = tmp_path / "project"
    shutil.copytree(built.parent, root)
    shutil.rmtree(root / "output" / ".build")
    manifest = json.loads((root / "output" / "manifest.json").read_text())
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(manifest["source_date_epoch"])}
    for step in manifest["ast"]["commands"]:
        replay_step(step, root, env)
    for target, name in zip(("html", "pdf", "jats", "docx"), OUTPUTS, strict=True):
        for step in manifest["outputs"][target]["commands"]:
            replay_step(step, root, env)
        replayed = root / "output" / ".build" / name
        assert replayed.read_bytes() == (built / name).read_bytes(), target


# --- the JATS tidy ----------------------------------------------------------------------

def tidied(tmp_path: Path, article: str) -> tuple[Any, int]:
    """The ``<article>`` given, written to a file and tidied: (its tree as read back, removed)."""
    path = tmp_path / "t.xml"
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n{article}\n', "utf-8")
    _, removed = tidy_jats(path)
    return etree.parse(str(path)), removed


def test_tidy_tags_group_authors_of_references_as_collab_and_nothing_else(tmp_path: Path) -> None:
    doc, _ = tidied(tmp_path, "<article><front><article-meta><contrib-group><contrib>"
                              "<string-name>A Person</string-name></contrib></contrib-group>"
                              '</article-meta></front><back><ref-list><ref id="r1">'
                              '<element-citation><person-group person-group-type="author">'
                              "<string-name>American Cancer Society</string-name>"
                              "<name><surname>Doe</surname><given-names>J</given-names></name>"
                              "<string-name><surname>Odd</surname></string-name>"
                              "</person-group></element-citation></ref></ref-list></back></article>")
    group = doc.find(".//person-group")
    assert [el.tag for el in group] == ["collab", "name", "string-name"]  # structured: kept
    assert group[0].text == "American Cancer Society"
    # the article's own contributors are not references: not for the tidy to decide
    assert doc.findtext(".//contrib/string-name") == "A Person"


def test_tidy_turns_a_marked_collective_author_into_collab_keeping_its_markup(tmp_path: Path) -> None:
    doc, _ = tidied(tmp_path, "<article><front><article-meta><contrib-group>"
                              '<contrib><string-name><named-content content-type="collab">The '
                              "<italic>CAFE</italic>\n  Investigators</named-content></string-name>"
                              '</contrib><contrib><string-name>Dr <named-content content-type="collab">'
                              "X</named-content></string-name></contrib>"
                              '<contrib><string-name><named-content content-type="other">Y'
                              "</named-content></string-name></contrib>"
                              "</contrib-group></article-meta></front></article>")
    contribs = doc.findall(".//contrib")
    group = contribs[0].find("collab")
    assert group is not None and contribs[0].find("string-name") is None
    assert etree.tostring(group, encoding="unicode") == (
        "<collab>The <italic>CAFE</italic> Investigators</collab>")
    # not the marker alone: a person's name with a span in it, or another span, stays
    assert [c[0].tag for c in contribs[1:]] == ["string-name", "string-name"]


def test_tidy_removes_empty_leaves_and_the_parents_they_leave_empty(tmp_path: Path) -> None:
    doc, removed = tidied(tmp_path, "<article><front><a><b></b><c> \n </c></a><d>&#160;</d>"
                                    '<e x="1"/><f><!-- a note --></f><g>text</g>tail<h/> after'
                                    "<i><j/>kept</i></front></article>")
    front = doc.find("front")
    # b, c, then a (emptied by them), f (a comment is not content), h and j
    assert removed == 6
    assert [el.tag for el in front] == ["d", "e", "g", "i"]
    assert front.find("d").text == "\u00a0"  # a no-break space is content, not XML whitespace
    assert front.find("g").tail == "tail after"  # the removed element's tail is kept
    assert front.find("i").text == "kept"
