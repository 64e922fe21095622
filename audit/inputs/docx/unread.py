"""Citations inserted by tools the audit does not read (Word's own, Citavi, RefWorks…,
Zotero's bookmarks, EndNote's unformatted temporary citations): an ``input-error``, so
that a manuscript whose citations were not checked never looks clean."""

from __future__ import annotations

import re
from pathlib import Path

from audit.inputs.docx.paragraphs import Field, Walker
from audit.inputs.docx.places import Places
from audit.model import Finding, Severity

# citation fields of tools whose data the audit does not read
_UNREAD = (("CITATION ", "Word's own citation tool"), ("CITAVIPLACEHOLDER", "Citavi"),
           ("RW.CITE", "RefWorks"), ("PAPERS2_CITATIONS", "Papers"), ("NE.REF", "NoteExpress"),
           ("REFMGR.CITE", "Reference Manager"), ("F1000_CSL_CITATION", "F1000"))

_TEMPORARY = re.compile(r"\{[^{}#]{1,80}?,?\s(?:\d{4}[a-z]?|n\.d\.)\s?#\d+\}")  # {Smith, 2013 #12}


def _tool(frame: Field) -> str | None:
    up = re.sub(r"^ADDIN\s+", "", frame.code.upper()) if not frame.sdt else ""
    return next((tool for prefix, tool in _UNREAD if up.startswith(prefix)), None)


def findings(path: Path, body: Walker, fields: list[Field], places: Places) -> list[Finding]:
    """One ``input-error`` per tool whose citations the document holds, at the first."""
    unread: list[tuple[str, int | None]] = [
        *body.unread, *((tool, places.of_field(f, 0).line) for f in fields
                        if (tool := _tool(f)) is not None)]
    unread += [("EndNote (temporary citations, never formatted)", p.number) for p in body.paras
               if _TEMPORARY.search(p.text)]
    out = []
    for tool in dict.fromkeys(t for t, _ in unread):
        lines = [line for t, line in unread if t == tool]
        out.append(Finding(
            "input-error", Severity.ERROR,
            f"{len(lines)} citation(s) inserted by {tool}, which the audit does not read (it "
            "reads Zotero, Mendeley and EndNote fields and typed numbers): they were not checked",
            file=str(path), line=lines[0]))
    return out
