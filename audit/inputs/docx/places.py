"""Where a citation is: its paragraph and a short quote.

``line`` is the paragraph of the body (1-based); a position in a footnote or an endnote
is placed at the body's paragraph that holds the note's mark, its quote labelled
"footnote 3: …". ``excerpt`` quotes the sentence around the citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audit.inputs.docx.paragraphs import Field, Walker

EXCERPT = 70  # characters of a quote

_SENTENCE = re.compile(r"([.!?][\"”’)\]]?)\s+(?=[A-Z\"“‘(\[])")


def squash(text: str) -> str:
    """``text`` with each run of whitespace one space."""
    return re.sub(r"\s+", " ", text)


def excerpt(text: str, start: int, end: int, width: int = EXCERPT) -> str:
    """The sentence of ``text`` around ``text[start:end]``, whitespace collapsed, cut to
    about ``width`` characters ("…" where cut)."""
    s0 = 0
    for m in _SENTENCE.finditer(text, 0, start):
        s0 = m.end()
    after_end = _SENTENCE.search(text, end)
    s1 = after_end.end(1) if after_end else len(text)
    before, cite, after = squash(text[s0:start]), squash(text[start:end]), squash(text[end:s1])
    before, after = before.lstrip(), after.rstrip()
    if len(before) + len(cite) + len(after) > width:
        room = max(width - len(cite), 12)
        keep_after = min(len(after), room // 3)
        keep_before = min(len(before), room - keep_after)
        keep_after = min(len(after), room - keep_before)
        if keep_before < len(before):
            cut = before[len(before) - keep_before:]
            space = cut.find(" ")
            before = "…" + (cut[space + 1:] if 0 <= space < len(cut) - 1 else cut)
        if keep_after < len(after):
            cut = after[:keep_after]
            space = cut.rfind(" ")
            after = (cut[:space] if space > 0 else cut) + "…"
        if len(cite) > width:
            cite = cite[: width - 1] + "…"
    return (before + cite + after).strip()


def quote(text: str, width: int = EXCERPT) -> str:
    """The start of ``text`` (a reference, a paragraph), cut at a word ("…")."""
    text = squash(text).strip()
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    return (cut[: cut.rfind(" ")] if " " in cut else cut).rstrip(" ,;:") + "…"


@dataclass
class Place:
    line: int | None
    excerpt: str
    order: tuple[int, int, int]  # sorts places in document order, notes at their marks


class Places:
    """Where a position of the body or of a note is, as a paragraph and a quote."""

    def __init__(self, body: Walker, notes: dict[str, Walker]):
        self.body = {p.number: p for p in body.paras}
        self.notes = {k: {p.number: p for p in w.paras} for k, w in notes.items()}
        self.anchors: dict[tuple[str, str], tuple[int, int, int]] = {}
        counts = {"footnote": 0, "endnote": 0}
        for kind, ident, para, offset in body.anchors:
            counts[kind] += 1
            self.anchors.setdefault((kind, ident), (para, offset, counts[kind]))

    def at(self, note: tuple[str, str] | None, para: int, start: int, end: int,
           seq: int) -> Place:
        if note is None:
            p = self.body.get(para)
            quoted = excerpt(p.shown, start, end) if p else ""
            return Place(para or None, quoted, (para, start, seq))
        p = self.notes.get(note[0], {}).get(para)
        anchor = self.anchors.get(note)
        label = f"{note[0]} {anchor[2]}: " if anchor else f"{note[0]}: "
        quoted = label + (excerpt(p.shown, start, end, EXCERPT - len(label)) if p else "")
        if anchor is None:
            return Place(None, quoted, (10**9, para, seq))
        return Place(anchor[0], quoted, (anchor[0], anchor[1], seq))

    def of_field(self, frame: Field, seq: int) -> Place:
        para, start = frame.start
        end_para, end = frame.end or frame.start
        if end_para != para:
            end = 10**9
        paras = self.notes.get(frame.note[0], {}) if frame.note else self.body
        length = paras[para].length if para in paras else 0
        return self.at(frame.note, para, start, min(end, length), seq)
