"""The JATS PubMed Central accepts as it is (issue 15): the review's built JATS passes PMC's own
Style Checker (5.31, ``../shared/pmc-stylechecker``) with no error and no warning, and is valid
against the JATS 1.3 DTD; each rule the build once broke is shown fixed where it is fixed
(the tidy step, or the front matter for what only the author knows)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from audit.build.formats.jats import JATS_DOCTYPE, PUBLICATION_TYPES, tidy_jats
from tests.conftest import JATS_DTD, ROOT, copy_project, need_shared, render

# What PMC's checker says for each rule the build once broke (its messages, as 5.31 words them)
ISSN_RULE = "issn must have a pub-type attribute"
FPAGE_RULE = "Either <fpage> or <elocation-id> must be present in <article-meta>"
XREF_RULE = "xref element must have @ref-type."


class LocalJats(etree.Resolver):
    """The article's DOCTYPE (``JATS-journalpublishing1-3-mathml3.dtd``) read from the copy of
    the DTD the package ships, never from the network."""

    def resolve(self, url: str | None, public_id: str | None, context: Any) -> Any:
        if url and url.rsplit("/", 1)[-1] == JATS_DTD.name:
            return self.resolve_filename(str(JATS_DTD), context)
        return None


def parse_with_dtd(path: Path) -> Any:
    """The article parsed with its DTD, so that XPath's ``id()`` finds what an ``rid`` names
    (as the Style Checker's README says: no network, no entity expansion)."""
    parser = etree.XMLParser(load_dtd=True, no_network=True, resolve_entities=False)
    parser.resolvers.add(LocalJats())
    return etree.parse(str(path), parser)


@pytest.fixture(scope="module")
def stylechecker() -> Any:
    """PMC's Style Checker 5.31 (XSLT 1.0), compiled once."""
    xsl = need_shared("pmc-stylechecker", "nlm-stylechecker.xsl")
    return etree.XSLT(etree.parse(str(xsl)))


def check(stylechecker: Any, path: Path) -> tuple[list[str], list[str]]:
    """The checker's errors and warnings for the article at ``path``, each as its text."""
    result = stylechecker(parse_with_dtd(path))
    def said(kind: str) -> list[str]:
        return [" ".join("".join(el.itertext()).split()) for el in result.getroot().iter(kind)]
    return said("error"), said("warning")


def test_the_review_passes_pmc_style_checker_with_no_error_and_no_warning(
        built: Path, stylechecker: Any) -> None:
    errors, warnings = check(stylechecker, built / "manuscript.xml")
    assert errors == []
    assert warnings == []


def test_the_review_is_valid_against_the_jats_dtd(built: Path) -> None:
    doc = parse_with_dtd(built / "manuscript.xml")
    dtd = etree.DTD(str(JATS_DTD))
    assert dtd.validate(doc), [f"{e.line}: {e.message}" for e in dtd.error_log]


def test_the_review_carries_what_pmc_asked_for(built: Path) -> None:
    """The three rules the review broke, each now kept: its ISSNs typed, an elocation-id
    (from the front matter), every xref typed; and its references typed as JATS4R types them."""
    doc = parse_with_dtd(built / "manuscript.xml")
    issns = {i.get("pub-type"): i.text for i in doc.iterfind("front/journal-meta/issn")}
    assert issns == {"ppub": "0364-2348", "epub": "1432-2161"}
    assert doc.findtext("front/article-meta/elocation-id") == "e1"
    assert not doc.xpath("//xref[not(@ref-type)]")
    assert doc.xpath('//xref[@rid="fig-selection"]/@ref-type') == ["fig", "fig"]
    bib = {item["id"]: item for item in json.loads((ROOT / "manuscript/references.json").read_text())}
    types = {ref.get("id")[4:]: ref.find("element-citation").get("publication-type")
             for ref in doc.iterfind("back/ref-list/ref")}
    assert types == {key: PUBLICATION_TYPES[item["type"]] for key, item in bib.items()}
    assert set(types.values()) == {"journal", "report", "web"}


# --- each rule, fixed: what pandoc writes, and the same tidied ----------------------------

def article(front: str = "", body: str = "", back: str = "") -> str:
    """A small article as pandoc writes one, declared as the build declares it."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + JATS_DOCTYPE + "\n"
            '<article xmlns:mml="http://www.w3.org/1998/Math/MathML" '
            'xmlns:xlink="http://www.w3.org/1999/xlink" dtd-version="1.3" article-type="review-article">'
            "<front><journal-meta><journal-id journal-id-type=\"nlm-ta\">J</journal-id>"
            "<journal-title-group><journal-title>J</journal-title></journal-title-group>"
            '<issn publication-format="print">0364-2348</issn>'
            '<issn publication-format="electronic">1432-2161</issn>'
            "<publisher><publisher-name>P</publisher-name></publisher></journal-meta>"
            "<article-meta><title-group><article-title>T</article-title></title-group>"
            f"{front}</article-meta></front><body>{body}</body><back>{back}</back></article>\n")


def written(tmp_path: Path, text: str, name: str = "a.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def tidied(tmp_path: Path, text: str) -> Any:
    path = written(tmp_path, text, "tidied.xml")
    tidy_jats(path)
    return parse_with_dtd(path)


def test_tidy_types_the_journal_issns_as_pmc_asks(tmp_path: Path) -> None:
    doc = tidied(tmp_path, article())
    assert [(i.get("publication-format"), i.get("pub-type")) for i in doc.iterfind(".//issn")] == [
        ("print", "ppub"), ("electronic", "epub")]


def test_tidy_keeps_an_issns_own_pub_type(tmp_path: Path) -> None:
    text = article().replace('<issn publication-format="print">', '<issn pub-type="epub">')
    doc = tidied(tmp_path, text)
    assert [i.get("pub-type") for i in doc.iterfind(".//issn")] == ["epub", "epub"]


FIGURE = ('<fig id="fig-a"><caption><p>Figure 1.</p></caption>'
          '<graphic xlink:href="a.svg" mimetype="image" mime-subtype="svg+xml"/></fig>')
TABLE = ('<table-wrap id="tbl-a"><caption><p>Table 1.</p></caption><table><tr><td>x'
         '<xref rid="tfn-a">a</xref></td></tr></table><table-wrap-foot><fn id="tfn-a"><p>note</p>'
         "</fn></table-wrap-foot></table-wrap>")


def test_tidy_types_each_xref_by_what_its_rid_names(tmp_path: Path) -> None:
    body = ('<sec id="intro"><title>Intro</title><p>See <xref alt="Fig. 1" rid="fig-a">Fig. 1</xref>,'
            ' <xref rid="tbl-a">Table 1</xref>, <xref rid="methods">Methods</xref>, '
            '<xref rid="here">here</xref>, <xref rid="ref-x" ref-type="bibr">1</xref> and '
            '<xref rid="ref-x">[1]</xref>; <xref rid="para">this</xref>.</p>'
            f'{FIGURE}{TABLE}</sec><sec id="methods"><title>Methods</title>'
            '<p id="para">A <target id="here"/>place.</p></sec>')
    back = ('<ref-list><ref id="ref-x"><element-citation publication-type="article-journal">'
            "<article-title>X</article-title></element-citation></ref></ref-list>")
    doc = tidied(tmp_path, article(body=body, back=back))
    assert {x.get("rid") + " " + x.text: x.get("ref-type") for x in doc.iter("xref")} == {
        "fig-a Fig. 1": "fig", "tbl-a Table 1": "table", "methods Methods": "sec",
        "here here": "sec",  # an anchor in running text: the section it is in
        "ref-x 1": "bibr", "ref-x [1]": "bibr",
        "para this": "other",  # a paragraph is not a kind JATS has for xrefs
        "tfn-a a": "table-fn"}


@pytest.mark.parametrize(("csl", "jats"), [
    ("article-journal", "journal"), ("book", "book"), ("chapter", "chapter"),
    ("report", "report"), ("webpage", "web"), ("article", "preprint"), ("dataset", "data"),
    ("software", "software"), ("paper-conference", "confproc"), ("thesis", "thesis"),
    ("patent", "patent"), ("motion_picture", "other"),
    ("journal", "journal"),  # tidied before: a JATS value is kept
])
def test_tidy_gives_references_jats4r_publication_types(tmp_path: Path, csl: str, jats: str) -> None:
    back = (f'<ref-list><ref id="r1"><element-citation publication-type="{csl}">'
            "<source>S</source></element-citation></ref></ref-list>")
    doc = tidied(tmp_path, article(back=back))
    assert doc.find(".//element-citation").get("publication-type") == jats


def test_the_publication_types_read_back_as_the_csl_types_they_came_from() -> None:
    """The audit reads the built JATS (``--jats``): each JATS value maps back to its CSL type
    where the CSL type has a JATS name of its own."""
    from audit.inputs.jats import PUBLICATION_TYPES as READ_BACK

    for csl, jats in PUBLICATION_TYPES.items():
        if csl in ("article-journal", "article", "webpage", "dataset", "paper-conference",
                   "article-magazine", "article-newspaper", "book", "chapter", "report",
                   "thesis", "software", "patent", "standard"):
            assert READ_BACK[jats] == csl, (csl, jats)


@pytest.mark.parametrize(("rule", "body"), [
    (ISSN_RULE, ""),  # the journal's ISSNs, as pandoc's template writes them
    (XREF_RULE, f'<sec id="s"><title>S</title><p><xref rid="fig-a">Fig. 1</xref></p>{FIGURE}</sec>'),
])
def test_pmc_says_the_rule_is_broken_before_the_tidy_and_kept_after(
        tmp_path: Path, stylechecker: Any, rule: str, body: str) -> None:
    text = article(front="<elocation-id>e1</elocation-id>", body=body)
    errors, warnings = check(stylechecker, written(tmp_path, text))
    assert any(rule in said for said in errors + warnings), (errors, warnings)
    path = written(tmp_path, text, "tidied.xml")
    tidy_jats(path)
    errors, warnings = check(stylechecker, path)
    assert not any(rule in said for said in errors + warnings), (errors, warnings)


def test_an_elocation_id_comes_from_the_front_matter(tmp_path: Path, stylechecker: Any) -> None:
    """An article with no pages needs an elocation-id, which only its author (or journal)
    knows: pandoc's JATS template writes ``article: elocation-id:`` from the front matter."""
    project = copy_project(tmp_path / "project")
    source = project / "manuscript" / "review.md"
    text = source.read_text("utf-8")
    assert "  elocation-id: e1\n" in text
    source.write_text(text.replace("  elocation-id: e1\n", ""), "utf-8")
    proc = render(project, "jats")
    assert proc.returncode == 0, proc.stderr
    errors, _ = check(stylechecker, project / "output" / "manuscript.xml")
    assert any(FPAGE_RULE in said for said in errors), errors
    source.write_text(text.replace("  elocation-id: e1\n", "  elocation-id: e2024001\n"), "utf-8")
    proc = render(project, "jats")
    assert proc.returncode == 0, proc.stderr
    doc = parse_with_dtd(project / "output" / "manuscript.xml")
    assert doc.findtext("front/article-meta/elocation-id") == "e2024001"
    errors, _ = check(stylechecker, project / "output" / "manuscript.xml")
    assert not any(FPAGE_RULE in said for said in errors), errors
