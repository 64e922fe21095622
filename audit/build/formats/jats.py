"""JATS 1.3 Journal Publishing XML (``pandoc/jats.yaml``), tidied and validated against the
JATS DTD (the copy in ``jats-1.3/`` beside this module, or the ``jats-schema`` setting).

pandoc writes JATS 1.2 with ``<element-citation>``s; the tidy step removes the empty
elements it leaves, tags group authors as ``<collab>``, declares JATS 1.3 and makes the
file what PubMed Central's Style Checker accepts (ISSNs with ``pub-type``, every ``xref``
with a ``ref-type``, references with JATS4R's ``publication-type`` values). It is a step
of its own in the manifest: ``python -m audit.build.formats.jats FILE``.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import Any

from lxml import etree

from audit import safexml
from audit.build.formats import Format
from audit.build.run import BuildError, Run
from audit.errors import InputError

BUNDLED_SCHEMA = Path(__file__).parent / "jats-1.3"
DTD_FILE = Path("dtd") / "JATS-journalpublishing1-3-mathml3.dtd"


def write(run: Run, ast: Path) -> Path:
    out = run.work / FORMAT.filename
    run.pandoc("jats", "jats.yaml", ast, out)
    run.record("jats", ["python", "-m", "audit.build.formats.jats", run.rel(out)])
    tree, removed = tidy_jats(out)
    if removed:
        run.note("jats", f"jats: removed {removed} empty element(s) pandoc wrote")
    dtd_path = (run.config.jats_schema or BUNDLED_SCHEMA) / DTD_FILE
    dtd = load_dtd(run, dtd_path)
    if dtd is not None:
        errors = dtd_errors(tree, dtd)
        if errors:
            raise BuildError("jats: invalid against the JATS 1.3 Journal Publishing DTD:\n  "
                             + "\n  ".join(errors[:20]))
        run.note("jats", f"jats: valid against {run.rel(dtd_path)}")
    return out


FORMAT = Format("jats", "manuscript.xml", write)


def load_dtd(run: Run, path: Path) -> Any:
    """The JATS DTD at ``path``, or ``None`` (with a note saying why nothing is validated)."""
    if not path.is_file():
        run.note("jats", f"jats: NOT validated: schema not found at {path}")
        return None
    try:
        st = path.stat()
        return parsed_dtd(str(path), st.st_size, st.st_mtime_ns)
    except etree.DTDParseError as exc:
        run.note("jats", f"jats: NOT validated: {path} could not be read ({exc})")
        return None


# pandoc writes JATS 1.2's Journal Publishing DOCTYPE. The build validates against 1.3 with
# MathML 3 (which accepts every 1.2 document: the validation checks it for each build), so
# the tidy step declares what the file is checked against.
PANDOC_JATS_PUBLIC_ID = "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD v1.2 20190208//EN"
JATS_DOCTYPE = ('<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD '
                'with MathML3 v1.3 20210610//EN" "JATS-journalpublishing1-3-mathml3.dtd">')


def tidy_jats(path: Path) -> tuple[Any, int]:
    """Remove the empty elements pandoc writes (``<lpage></lpage>``, ``<issn></issn>``…),
    tag group authors as ``<collab>``, declare JATS 1.3 where pandoc declared 1.2
    (DOCTYPE and ``dtd-version``), and give PubMed Central what its Style Checker asks
    for (:func:`pmc_style`).

    pandoc writes a reference's CSL ``literal`` name (CSL's form for institutions,
    committees and consortia: "American Cancer Society") as ``<string-name>``, which
    JATS means for a person's name not broken into parts; JATS (and JATS4R) tag a
    group author as ``<collab>``. Person names always come as ``<name>``. The article's
    own authors marked ``collective: true`` arrive wrapped by the JATS step's filter
    (``pandoc/filters/group-authors.lua``) in ``<named-content content-type="collab">``.

    Returns the tidied tree (as written) and how many elements were removed.
    Refuses documents with an internal DTD subset (pandoc never writes one):
    rewriting such a file could drop entity declarations it relies on.
    """
    try:
        tree = safexml.parse(path)
    except InputError as exc:
        raise BuildError(f"jats: {exc}") from None
    subset = tree.docinfo.internalDTD
    if subset is not None and (list(subset.entities()) or list(subset.iterelements())):
        raise BuildError(f"jats: {path}: has an internal DTD subset (entity declarations); refused")
    removed = 0
    # empty leaves; removing them can empty their parents: repeat
    while leaves := [el for el in tree.getroot().iterdescendants(etree.Element) if _empty_leaf(el)]:
        for el in leaves:
            parent = el.getparent()
            if el.tail and el.tail.strip():
                prev = el.getprevious()
                if prev is not None:
                    prev.tail = (prev.tail or "") + el.tail
                else:
                    parent.text = (parent.text or "") + el.tail
            parent.remove(el)
            removed += 1
    for el in tree.getroot().iterfind(".//ref//person-group/string-name"):
        if not any(isinstance(child.tag, str) for child in el):  # text only, as pandoc writes it
            el.tag = "collab"
    for el in tree.getroot().iterfind(".//contrib/string-name"):
        _collab_from_marker(el)
    pmc_style(tree.getroot())
    doctype = tree.docinfo.doctype
    if tree.docinfo.public_id == PANDOC_JATS_PUBLIC_ID:
        doctype = JATS_DOCTYPE
        if tree.getroot().get("dtd-version") == "1.2":
            tree.getroot().set("dtd-version", "1.3")
    tree.write(str(path), xml_declaration=True, encoding="utf-8", doctype=doctype)
    return tree, removed


COLLAB_MARKER = "collab"  # the content-type pandoc/filters/group-authors.lua gives a group's name


def _collab_from_marker(name: Any) -> None:
    """``<string-name><named-content content-type="collab">X</named-content></string-name>``
    (and nothing else in it) becomes ``<collab>X</collab>``, X's markup kept."""
    kids = list(name)
    if (len(kids) != 1 or kids[0].tag != "named-content"
            or kids[0].get("content-type") != COLLAB_MARKER
            or (name.text or "").strip() or (kids[0].tail or "").strip()):
        return
    marker = kids[0]
    name.tag, name.text = "collab", marker.text
    for child in list(marker):
        name.append(child)
    name.remove(marker)
    # pandoc wrapped the name's line inside the span: a name reads as one line
    for el in name.iter():
        if not isinstance(el.tag, str):  # a comment or processing instruction: as it was
            continue
        el.text = re.sub(r"\s+", " ", el.text) if el.text else el.text
        if el is not name and el.tail:
            el.tail = re.sub(r"\s+", " ", el.tail)
    name.text = (name.text or "").lstrip() or None
    last = name[-1] if len(name) else None
    if last is None:
        name.text = (name.text or "").rstrip() or None
    elif last.tail:
        last.tail = last.tail.rstrip() or None


# --- what PubMed Central's Style Checker (5.31) asks of the markup pandoc writes ------------

# pandoc's template tags a journal's ISSNs with JATS 1.3's ``publication-format``; PMC
# requires the older ``pub-type`` (``ppub`` or ``epub``) on every ``<issn>`` of the
# ``journal-meta``. Both are kept: JATS 1.3 allows them side by side on ``<issn>``.
ISSN_PUB_TYPES = {"print": "ppub", "electronic": "epub"}

# An ``xref``'s ``ref-type`` is the kind of thing its ``rid`` names (PMC's xref check: "must
# have @ref-type", and a ``ref-type`` must agree with its target). pandoc writes one only for
# citations (``bibr``); a link to a figure, table or section (``[Fig. 1](#fig-x)``) has none.
REF_TYPES = {
    "ref": "bibr", "element-citation": "bibr", "mixed-citation": "bibr",
    "fig": "fig", "fig-group": "fig",
    "table-wrap": "table", "table-wrap-group": "table",
    "sec": "sec", "ack": "sec", "notes": "sec", "ref-list": "sec",
    "app": "app", "app-group": "app",
    "boxed-text": "boxed-text",
    "disp-formula": "disp-formula", "disp-formula-group": "disp-formula",
    "fn": "fn",
    "list": "list", "list-item": "list", "def-list": "list", "def-item": "list",
    "aff": "aff", "contrib": "contrib", "corresp": "corresp",
    "statement": "statement",
    "supplementary-material": "supplementary-material",
    "chem-struct-wrap": "chem",
    "kwd": "kwd", "kwd-group": "kwd",
}

# A reference's ``publication-type``: pandoc writes the CSL type (``article-journal``);
# JATS and JATS4R name the kind of work (``journal``), the names PubMed Central and
# Crossref read. Each CSL type maps to the JATS value read back by the audit's JATS reader
# (audit/inputs/jats.py) as that CSL type again, where there is one; anything else is
# ``other``. A JATS value (the file tidied before) is kept as it is.
PUBLICATION_TYPES = {
    "article": "preprint",  # CSL's type for preprints and working papers
    "article-journal": "journal",
    "periodical": "journal",
    "review": "journal",  # a review of a work, in a journal
    "review-book": "journal",
    "article-magazine": "magazine",
    "article-newspaper": "newspaper",
    "book": "book",
    "classic": "book",
    "collection": "book",
    "chapter": "chapter",
    "entry": "chapter",
    "entry-dictionary": "chapter",
    "entry-encyclopedia": "chapter",
    "paper-conference": "confproc",
    "report": "report",
    "thesis": "thesis",
    "dataset": "data",
    "software": "software",
    "patent": "patent",
    "standard": "standard",
    "webpage": "web",
    "post": "web",
    "post-weblog": "web",
}
JATS_PUBLICATION_TYPES = frozenset({*PUBLICATION_TYPES.values(), "other"})


def pmc_style(root: Any) -> None:
    """Make what pandoc wrote what PubMed Central's Style Checker accepts: ``pub-type`` on
    the journal's ISSNs, a ``ref-type`` on every ``xref`` (from the element its ``rid``
    names), and JATS4R's ``publication-type`` values on the references.

    Metadata the checker needs that only the author knows (an ``elocation-id`` for an
    article without pages) comes from the front matter, not from here.
    """
    for issn in root.iterfind("front/journal-meta/issn"):
        kind = ISSN_PUB_TYPES.get(issn.get("publication-format", ""))
        if kind and not issn.get("pub-type"):
            issn.set("pub-type", kind)
    xrefs = [x for x in root.iter("xref") if not x.get("ref-type") and x.get("rid")]
    if xrefs:
        ids = {el.get("id"): el for el in root.iter(etree.Element) if el.get("id")}
        for xref in xrefs:
            target = ids.get(xref.get("rid").split()[0])
            if target is not None:
                xref.set("ref-type", _ref_type(target))
    for citation in root.xpath("back/ref-list//ref/*[self::element-citation or "
                               "self::mixed-citation][@publication-type]"):
        kind = citation.get("publication-type")
        if kind in PUBLICATION_TYPES:
            citation.set("publication-type", PUBLICATION_TYPES[kind])
        elif kind not in JATS_PUBLICATION_TYPES:
            citation.set("publication-type", "other")


def _ref_type(target: Any) -> str:
    """The ``ref-type`` of an ``xref`` to ``target``: its kind; a ``<target>`` (an anchor in
    running text) takes its nearest container's, as PMC reads it; anything else ``other``."""
    if target.tag == "fn" and any(a.tag == "table-wrap-foot" for a in target.iterancestors()):
        return "table-fn"
    if target.tag in REF_TYPES:
        return REF_TYPES[target.tag]
    if target.tag == "target":
        for ancestor in target.iterancestors():
            if ancestor.tag in REF_TYPES:
                return REF_TYPES[ancestor.tag]
    return "other"


def _empty_leaf(el: Any) -> bool:
    """No attributes, no child elements, no text but XML whitespace: XPath's
    ``*[not(*) and not(@*) and not(normalize-space())]``, tested in this order because
    an XPath engine walking every element is twice as slow on a 5 MB JATS file."""
    if el.attrib:
        return False
    if len(el) == 0:  # no children of any kind: the text is all there is
        return not (el.text and el.text.strip(" \t\r\n"))
    if any(isinstance(child.tag, str) for child in el):
        return False
    return not el.xpath("normalize-space()")  # text split by comments or processing instructions


@functools.lru_cache(maxsize=4)
def parsed_dtd(path: str, size: int, mtime_ns: int) -> Any:
    """The DTD at ``path`` (as it was at that size and time), parsed once per process.

    Parsing the JATS DTD takes 20-30 ms; so does freeing it, which a build that kept it
    only for itself would pay on its way out. Kept, it costs neither more than once.
    """
    return etree.DTD(path)


def dtd_errors(tree: Any, dtd: Any) -> list[str]:
    """DTD validation (which, unlike the XSD, reports ``rid``s that point nowhere)."""
    if dtd.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in dtd.error_log]


def validate_jats(path: Path, dtd_path: Path) -> list[str]:
    """Validate the file at ``path`` against the DTD at ``dtd_path``; the errors, if any."""
    dtd = etree.DTD(str(dtd_path))
    try:
        doc = etree.parse(str(path), safexml.parser())
    except etree.XMLSyntaxError as exc:
        return [f"line {exc.lineno}: {exc.msg}"]
    return dtd_errors(doc, dtd)


def main(argv: list[str] | None = None) -> int:
    """``python -m audit.build.formats.jats FILE``: the tidy step, as the build runs it."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m audit.build.formats.jats FILE", file=sys.stderr)
        return 2
    try:
        tidy_jats(Path(args[0]))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
