"""JATS 1.3 Journal Publishing XML (``pandoc/jats.yaml``), tidied and validated against the
JATS DTD (the copy in ``jats-1.3/`` beside this module, or the ``jats-schema`` setting).

pandoc writes JATS 1.2 with ``<element-citation>``s; the tidy step removes the empty
elements it leaves, tags group authors as ``<collab>`` and declares JATS 1.3. It is a
step of its own in the manifest: ``python -m audit.build.formats.jats FILE``.
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
    tag group authors as ``<collab>``, and declare JATS 1.3 where pandoc declared 1.2
    (DOCTYPE and ``dtd-version``).

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
