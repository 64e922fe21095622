"""A Word manuscript (.docx): its citations, read from reference managers' fields or typed.

The flow of :func:`read`, a module per step (imports point down this list):

1. :mod:`.package`: the ZIP opened and its parts read through size and ratio limits,
   parsed with the one safe parser (no DTD, no entities); the main document found;
2. :mod:`.styles` and :mod:`.paragraphs`: the body's paragraphs (then the footnotes' and
   endnotes'), their text, and the fields in them, nested, in document order;
3. :mod:`.places`: where each citation is, as a paragraph of the body (a note's citation
   at its mark) and a short quote;
4. either the **reference managers' fields** (:mod:`.managers`, EndNote's records by
   :mod:`.endnote`: Zotero, Mendeley Desktop and Cite, EndNote) as citations and the
   cited items' CSL data, their printed bibliography compared with that data
   (:mod:`.bibliography`, ``bibliography-mismatch``); or, with no citation field, the
   **typed** numbered citations and the reference list they point at (:mod:`.typed`,
   entries read by :mod:`.printed`);
5. :mod:`.unread`: citations by tools the audit does not read, an ``input-error``.

Locations: ``line`` is the paragraph (1-based, every ``w:p`` of the body in document
order, tables' included); ``excerpt`` a short quote of the sentence. A citation in a
footnote is placed at the paragraph that holds the footnote's mark.
"""

from __future__ import annotations

from pathlib import Path

from audit.inputs.docx import bibliography, managers, typed, unread
from audit.inputs.docx.package import Package
from audit.inputs.docx.paragraphs import walk
from audit.inputs.docx.places import Places
from audit.inputs.docx.styles import Styles
from audit.model import Document, Manuscript

__all__ = ["read"]


def read(paths: list[Path]) -> Document:
    """A Word manuscript (one file) as its citations and the references it carries or prints."""
    path = paths[0]
    pkg = Package(path)
    try:
        root, w, parts = pkg.main_document()
        styles = Styles(pkg.xml(parts["styles"]), w)
        body = walk(root, w, styles)
        notes = {kind: walk(note, w, styles) for kind in ("footnote", "endnote")
                 if (note := pkg.xml(parts[f"{kind}s"])) is not None}
    finally:
        pkg.close()
    places = Places(body, notes)
    fields = [*body.fields, *(f for walker in notes.values() for f in walker.fields)]
    document = Document(Manuscript(files=[path], metadata={}))
    if any(managers.is_citation(f) for f in fields):
        citations, entries, manager = managers.citations(path, fields, places)
        document.manuscript.citations = citations
        document.entries = entries
        document.findings = bibliography.mismatches(
            path, [f for f in body.fields if managers.kind_of(f) == managers.BIBLIOGRAPHY],
            entries, manager)
    else:
        citations, printed, findings = typed.citations(path, body, notes, places)
        document.manuscript.citations = citations
        document.printed = printed
        document.findings = findings
    document.findings += unread.findings(path, body, fields, places)
    return document
