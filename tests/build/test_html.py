"""The HTML page, for readers and indexers (issue 15): Highwire/Google Scholar and OpenGraph
tags, a table of contents, a print stylesheet, each citation's references on hover or
focus; and, in Debian's chromium (``tests/browser.py``), that all of it works.

The README's screenshot (``docs/manuscript-html.png``) is made here, from the review's
build: ``UPDATE_README_SCREENSHOT=1 pytest tests/build/test_html.py`` writes it again.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from lxml import html

from tests.conftest import ROOT, copy_project, render
from tests.screenshots import keep_for_readme

if TYPE_CHECKING:  # imported by pytest as a plugin, first, so that its asserts are rewritten
    from tests.browser import Opened, Opener

pytest_plugins = ("tests.browser",)

SCREENSHOT = ROOT / "docs" / "manuscript-html.png"
SCREENSHOT_VIEWPORT = {"width": 1200, "height": 720}
SCREENSHOT_MAX_BYTES = 200_000


def bibliography() -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in json.loads((ROOT / "manuscript/references.json").read_text())}


def metas(doc: html.HtmlElement, name: str, attr: str = "name") -> list[str]:
    return [str(m.get("content")) for m in doc.xpath(f'//head/meta[@{attr}="{name}"]')]


def fields(content: str) -> list[tuple[str, str]]:
    """A ``citation_reference``'s ``citation_…=value`` pairs, in order."""
    return [tuple(part.split("=", 1)) for part in content.split("; ")]  # type: ignore[misc]


# --- the tags in <head> ---------------------------------------------------------------------------

def test_the_head_has_the_highwire_and_opengraph_tags(built: Path) -> None:
    doc = html.parse(str(built / "manuscript.html")).getroot()
    title = "Percutaneous thermal ablation and vertebral augmentation for spinal metastases: a review"
    assert metas(doc, "citation_title") == [title]
    # each author followed by its institutions, as Google Scholar reads them
    names = [(m.get("name"), m.get("content")) for m in doc.xpath(
        '//head/meta[@name="citation_author" or @name="citation_author_institution"]')]
    assert names == [("citation_author", "Manuscript Audit Contributors"),
                     ("citation_author_institution", "The manuscript-audit open-source project")]
    assert metas(doc, "citation_publication_date") == ["2023/11/14"]  # SOURCE_DATE_EPOCH's day
    assert metas(doc, "citation_journal_title") == ["Skeletal Radiology"]
    assert metas(doc, "citation_journal_abbrev") == ["Skeletal Radiol"]
    assert metas(doc, "citation_issn") == ["0364-2348", "1432-2161"]
    assert metas(doc, "citation_publisher") == ["Springer"]
    assert metas(doc, "citation_language") == ["en"]
    assert metas(doc, "citation_doi") == []  # the review has no DOI of its own (yet)
    assert "interventional oncology" in metas(doc, "citation_keywords")[0].split("; ")

    # one citation_reference per work of the reference list, in its order
    refs = metas(doc, "citation_reference")
    order = [e.get("id")[4:] for e in doc.xpath('//div[@id="refs"]/div[contains(@class, "csl-entry")]')]
    assert len(refs) == len(order) == 41
    bib = bibliography()
    for key, content in zip(order, refs, strict=True):
        item, pairs = bib[key], fields(content)
        tags = [tag for tag, _ in pairs]
        assert all(tag.startswith("citation_") for tag in tags), content
        assert pairs[0] == ("citation_title", " ".join(item["title"].split()))
        authors = [value for tag, value in pairs if tag == "citation_author"]
        assert len(authors) == len(item.get("author", [])), content
        first = item["author"][0]
        assert authors[0] == first.get("literal") or authors[0].startswith(first["family"]), content
        year = str(item["issued"]["date-parts"][0][0])
        assert ("citation_publication_date", year) in pairs, content
        for tag, field in (("citation_doi", "DOI"), ("citation_volume", "volume"),
                           ("citation_pmid", "PMID")):
            if item.get(field):
                assert (tag, str(item[field])) in pairs, (tag, content)
        if item["type"] == "article-journal":
            assert ("citation_journal_title", item["container-title"]) in pairs, content
        if item.get("page"):
            first_page = re.split(r"[-–]", item["page"])[0]
            assert ("citation_firstpage", first_page) in pairs, content
    # the Google Scholar form, in the order it documents
    macedo = fields(refs[order.index("macedo2017")])
    assert macedo == [
        ("citation_title", "Bone Metastases: An Overview"),
        *[("citation_author", name) for name in ("Macedo, F.", "Ladeira, K.", "Pinho, F.",
                                                 "Saraiva, N.", "Bonito, N.", "Pinto, L.", "Gonçalves, F.")],
        ("citation_journal_title", "Oncology Reviews"), ("citation_publication_date", "2017"),
        ("citation_volume", "11"), ("citation_issue", "1"), ("citation_firstpage", "321"),
        ("citation_doi", "10.4081/oncol.2017.321"), ("citation_pmid", "28584570")]

    abstract = " ".join(doc.xpath('string(//div[@class="abstract"]/p[1])').split())
    assert metas(doc, "og:title", "property") == [title]
    assert metas(doc, "og:type", "property") == ["article"]
    assert metas(doc, "og:site_name", "property") == ["Skeletal Radiology"]
    (description,) = metas(doc, "og:description", "property")
    assert description.startswith(abstract) and metas(doc, "description") == [description]


def test_doi_and_institutions_come_from_the_front_matter(tmp_path: Path) -> None:
    """The article's DOI (``article: doi:``, which pandoc's JATS template reads too), authors
    with affiliations given by id or in full, names given in parts, the build's date; the
    works' records from a bibliography that is not CSL JSON (CSL YAML, read by pandoc)."""
    root = copy_project(tmp_path / "project")
    bib = bibliography()
    (root / "manuscript" / "refs.yaml").write_text(yaml.safe_dump(
        {"references": [bib["macedo2017"], bib["urch2004"]]}, allow_unicode=True))
    (root / "manuscript" / "review.md").write_text("""---
title: "A small study"
author:
  - name: Ada Lovelace
    affiliation: [lab, uni]
  - name: Charles Babbage
    surname: Babbage
    given-names: Charles
    affiliation:
      - name: Royal Society
affiliation:
  - id: lab
    name: The Analytical Laboratory
  - id: uni
    name: University of London
article:
  doi: 10.5555/small.2024.1
journal:
  title: Journal of Small Studies
bibliography: refs.yaml
lang: fr
---

# Results

A claim [@macedo2017; @urch2004].
""")
    proc = render(root, "html", env={"SOURCE_DATE_EPOCH": "1717200000"})
    assert proc.returncode == 0, proc.stderr
    doc = html.parse(str(root / "output" / "manuscript.html")).getroot()
    people = [(m.get("name")[9:], m.get("content")) for m in doc.xpath(
        '//head/meta[@name="citation_author" or @name="citation_author_institution"]')]
    assert people == [("author", "Ada Lovelace"), ("author_institution", "The Analytical Laboratory"),
                      ("author_institution", "University of London"),
                      ("author", "Babbage, Charles"), ("author_institution", "Royal Society")]
    assert metas(doc, "citation_doi") == ["10.5555/small.2024.1"]
    assert metas(doc, "citation_publication_date") == ["2024/06/01"]
    assert metas(doc, "citation_language") == ["fr"]
    assert [dict(fields(ref)).get("citation_doi") for ref in metas(doc, "citation_reference")] == [
        "10.4081/oncol.2017.321", None]
    assert ("citation_lastpage", "274") in fields(metas(doc, "citation_reference")[1])
    assert metas(doc, "citation_issn") == [] and metas(doc, "og:description", "property") == []
    # the page shows the authors by name, as before
    assert [p.text_content() for p in doc.xpath('//p[@class="author"]')] == [
        "Ada Lovelace", "Charles Babbage"]


def test_each_citation_link_is_described_by_its_citations_entries(built: Path) -> None:
    """Without the script too: a screen reader reads the references on focus."""
    doc = html.parse(str(built / "manuscript.html")).getroot()
    entries = set(doc.xpath('//div[@id="refs"]/div/@id'))
    order = doc.xpath('//div[@id="refs"]/div/@id')
    described: set[str] = set()
    for span in doc.xpath('//span[@class="citation"]'):
        keys = {f"ref-{k}" for k in span.get("data-cites").split()}
        for link in span.xpath(".//a"):
            ids = link.get("aria-describedby").split()
            assert link.get("href")[1:] in ids
            assert set(ids) == keys <= entries  # every work of the citation, the unlinked too
            assert ids == sorted(ids, key=order.index)  # in the reference list's order
            described.update(ids)
    assert described == entries
    # the script is in the page (no src): nothing to fetch
    scripts = doc.xpath("//script")
    assert len(scripts) == 1 and not scripts[0].get("src") and "citation-popover" in scripts[0].text


def test_the_page_has_a_table_of_contents(built: Path) -> None:
    doc = html.parse(str(built / "manuscript.html")).getroot()
    (nav,) = doc.xpath('//nav[@id="TOC"]')
    hrefs = nav.xpath(".//a/@href")
    assert "#introduction" in hrefs and "#bibliography" in hrefs
    for href in hrefs:
        assert doc.xpath(f'//*[@id="{href[1:]}"]'), href


# --- in the browser ----------------------------------------------------------------------------

def open_review(browser_page: Opener, built: Path, **options: Any) -> Opened:
    opened = browser_page(built / "manuscript.html", **options)
    opened.page.wait_for_function("document.getElementById('citation-popover') !== null")
    return opened


def citation_links(opened: Opened) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = opened.page.eval_on_selector_all(
        ".citation a[href^='#ref-']",
        "links => links.map(a => ({href: a.getAttribute('href'),"
        " ids: a.getAttribute('aria-describedby').split(' ')}))")
    return links


def text_of(opened: Opened, element_id: str) -> str:
    return " ".join(opened.page.inner_text(f"[id='{element_id}']").split())


def test_every_citation_link_lands_on_its_reference(browser_page: Opener, built: Path) -> None:
    opened = open_review(browser_page, built)
    page = opened.page
    links = page.locator(".citation a[href^='#ref-']")
    assert links.count() >= 41
    for i in range(links.count()):
        link = links.nth(i)
        href = link.get_attribute("href")
        link.click()
        assert page.evaluate("location.hash") == href
        assert page.evaluate("document.querySelector(':target').id") == href[1:]
        # the entry is in view and marked
        box = page.evaluate(f"document.getElementById('{href[1:]}').getBoundingClientRect().toJSON()")
        assert -1 < box["top"] < page.viewport_size["height"], (href, box)  # type: ignore[index]
        assert page.evaluate(f"getComputedStyle(document.getElementById('{href[1:]}'))"
                             ".backgroundColor") != "rgba(0, 0, 0, 0)"
    opened.assert_clean()


def test_hover_and_focus_show_each_citations_references(browser_page: Opener, built: Path) -> None:
    opened = open_review(browser_page, built)
    page = opened.page
    popover = page.locator("#citation-popover")
    assert popover.get_attribute("role") == "tooltip" and popover.is_hidden()
    layout = ("[document.documentElement.scrollHeight, document.documentElement.scrollWidth,"
              " ...[...document.querySelectorAll('section')].map(s => s.offsetTop)]")
    before = page.evaluate(layout)
    links = page.locator(".citation a[href^='#ref-']")
    seen: set[str] = set()
    for i, info in enumerate(citation_links(opened)):
        link = links.nth(i)
        for how in ("hover", "focus"):
            if how == "hover":
                link.hover()
            else:
                page.mouse.move(0, 0)
                link.focus()
            popover.wait_for(state="visible")
            shown = " ".join(popover.inner_text().split())
            for entry in info["ids"]:  # each reference of the citation, the linked one marked
                assert text_of(opened, entry) in shown, (how, info, shown)
            assert page.locator("#citation-popover .is-linked").count() == 1
            linked = " ".join(page.inner_text("#citation-popover .is-linked").split())
            assert linked == text_of(opened, info["href"][1:])
            # next to the link, inside the window, and nothing on the page moved
            near = page.evaluate("""([a, p]) => {
                const l = a.getBoundingClientRect(), b = p.getBoundingClientRect();
                return {above: l.top - b.bottom, below: b.top - l.bottom, left: b.left,
                        right: b.right, width: document.documentElement.clientWidth}; }""",
                                 [link.element_handle(), popover.element_handle()])
            assert 0 <= near["below"] <= 12 or 0 <= near["above"] <= 12, (info, near)
            assert near["left"] >= 0 and near["right"] <= near["width"], (info, near)
            assert page.evaluate(layout) == before, info
            page.keyboard.press("Escape")
            assert popover.is_hidden(), (how, info)
        seen.update(info["ids"])
    assert len(seen) == 41
    # a range names works it does not link: [23–25] links 23 and 25, and shows 24 too
    (span,) = page.locator(".citation[data-cites='pusceddu2016 khan2018 chen2022']").all()
    span.locator("a").first.hover()
    popover.wait_for(state="visible")
    assert "Chen L" in popover.inner_text() and len(popover.locator(".citation-popover-entry").all()) == 3
    # the pointer can move onto the popover (to follow its DOI link) without it closing
    box = popover.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 10, box["y"] + 10, steps=4)
    page.wait_for_timeout(400)
    assert popover.is_visible()
    page.mouse.move(0, 0)
    popover.wait_for(state="hidden")
    opened.assert_clean()


def test_the_page_fetches_nothing_logs_no_error_and_shows_its_figure(browser_page: Opener,
                                                                    built: Path) -> None:
    opened = open_review(browser_page, built)
    page = opened.page
    page.mouse.wheel(0, 20000)  # everything scrolled past, nothing lazy left to load
    page.wait_for_timeout(200)
    figures = page.evaluate("[...document.querySelectorAll('figure img')].map("
                            "i => ({complete: i.complete, width: i.naturalWidth, shown: i.width}))")
    assert figures and all(f["complete"] and f["width"] > 0 and f["shown"] > 0 for f in figures)
    assert opened.requests == [opened.url]  # the page itself, and nothing else
    opened.assert_clean()
    assert page.evaluate("document.querySelectorAll('meta[name=citation_reference]').length") == 41


def test_the_table_of_contents_links_land_on_their_sections(browser_page: Opener, built: Path) -> None:
    opened = open_review(browser_page, built)
    page = opened.page
    toc = page.locator("nav#TOC")
    assert toc.is_visible()
    links = toc.locator("a")
    assert links.count() >= 10
    for i in range(links.count()):
        link = links.nth(i)
        href = link.get_attribute("href")
        assert href and href.startswith("#")
        link.click()
        assert page.evaluate("location.hash") == href
        assert page.evaluate("document.querySelector(':target').id") == href[1:]
        top = page.evaluate(f"document.getElementById('{href[1:]}').getBoundingClientRect().top")
        assert abs(top) < 2 or (top > 0 and page.evaluate(  # at the top, or the page ends first
            "Math.ceil(scrollY + innerHeight) >= document.documentElement.scrollHeight")), (href, top)
    # on a narrow screen the contents come after the title block, in the text's column
    narrow = browser_page(built / "manuscript.html", viewport={"width": 700, "height": 900})
    assert narrow.page.evaluate("getComputedStyle(document.getElementById('TOC')).position") == "static"
    opened.assert_clean()


def test_printing_hides_the_contents_and_keeps_figures_and_entries_whole(browser_page: Opener,
                                                                        built: Path) -> None:
    opened = open_review(browser_page, built)
    page = opened.page
    page.locator(".citation a").first.hover()  # a popover open when printing is not printed
    page.locator("#citation-popover").wait_for(state="visible")
    page.emulate_media(media="print")
    assert page.locator("nav#TOC").is_hidden()
    assert page.locator("#citation-popover").is_hidden()
    assert page.locator("#refs").is_visible() and page.locator("figure img").is_visible()
    style = ("(sel) => { const s = getComputedStyle(document.querySelector(sel));"
             " return [s.breakInside, s.color]; }")
    assert page.evaluate(style, "figure")[0] == "avoid"
    assert page.evaluate(style, "table")[0] == "avoid"
    assert page.evaluate(style, ".csl-entry")[0] == "avoid"
    colours = page.evaluate("[...document.querySelectorAll('.citation a')].map(a =>"
                            " getComputedStyle(a).color === getComputedStyle(a.closest('p, li')).color)")
    assert all(colours)  # links print as the text around them
    # the reference list prints its DOIs once (they are the links' text), with no address added
    assert page.evaluate("getComputedStyle(document.querySelector('#refs a[href^=\"http\"]'),"
                         " '::after').content") in ("none", "normal")
    page.emulate_media(media="screen")
    assert page.locator("nav#TOC").is_visible()
    opened.assert_clean()


# --- the browser fixture itself ------------------------------------------------------------------

def test_the_fixture_reports_console_errors_and_failed_or_remote_requests(browser_page: Opener,
                                                                         tmp_path: Path) -> None:
    page_file = tmp_path / "broken.html"
    page_file.write_text("<!DOCTYPE html><title>t</title><p>x</p>"
                         '<img src="missing.png"><img src="https://example.invalid/remote.png">'
                         "<script>console.error('boom'); undefinedFunction();</script>")
    opened = browser_page(page_file)
    opened.page.wait_for_load_state("load")
    assert any("boom" in e for e in opened.console_errors)
    assert any("undefinedFunction" in e for e in opened.console_errors)
    assert any("missing.png" in r for r in opened.failed_requests)
    assert any("example.invalid" in r and "BLOCKED" in r.upper() for r in opened.failed_requests)
    shot = opened.screenshot("now")
    assert shot.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(AssertionError):
        opened.assert_clean()


# --- the README's screenshot ---------------------------------------------------------------------

def test_the_readme_shows_a_screenshot_of_the_built_page(browser_page: Opener, built: Path) -> None:
    """The page as a reader sees it: the contents beside the text, a citation's references
    open. Made from the review's build here every time (into the artifacts folder); written
    to docs/ with UPDATE_README_SCREENSHOT=1."""
    opened = open_review(browser_page, built, viewport=SCREENSHOT_VIEWPORT)
    page = opened.page
    page.evaluate("window.scrollTo(0, document.getElementById('introduction').offsetTop - 24)")
    page.locator("a[href='#ref-macedo2017']").first.hover()
    page.locator("#citation-popover").wait_for(state="visible")
    shot = opened.screenshot("readme")
    keep_for_readme(shot, SCREENSHOT, SCREENSHOT_VIEWPORT, SCREENSHOT_MAX_BYTES, "## Outputs")
    opened.assert_clean()
