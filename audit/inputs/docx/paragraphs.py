"""The paragraphs and fields of one part (the body, the footnotes, the endnotes), in
document order.

Paragraphs are numbered 1, 2… (every ``w:p`` of the part, tables' included) and hold the
text they show: deleted text, hidden runs and what ``mc:Fallback`` duplicates are left
out; superscript spans are kept (typed citations), and so are the places of footnote
marks. Fields are read into one :class:`Field` each: simple ones (``w:fldSimple``),
complex ones (``w:fldChar`` begin … ``w:instrText`` … separate … result … end, nested,
split across runs and paragraphs) and Mendeley Cite's content controls; a field holds
its instruction, its ``w:fldData``, the text it shows by paragraph, and the fields nested
in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from audit.inputs.docx.styles import Styles, numbered, on, outline, superscript

_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_TO_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass
class Para:
    number: int
    style: str
    heading: bool
    numbered: bool
    in_table: bool
    note: tuple[str, str] | None  # (footnote|endnote, id) in a notes part
    style_id: str | None = None
    pieces: list[str] = field(default_factory=list)
    sup: list[list[int]] = field(default_factory=list)  # superscript spans
    bold: bool = True  # every visible character bold
    length: int = 0
    text: str = ""  # what the paragraph shows
    shown: str = ""  # the same, superscript digits as Unicode superscripts (for quotes)

    def add(self, text: str, sup: bool, bold: bool) -> None:
        if sup and self.sup and self.sup[-1][1] == self.length:
            self.sup[-1][1] += len(text)
        elif sup:
            self.sup.append([self.length, self.length + len(text)])
        if text.strip() and not bold:
            self.bold = False
        self.pieces.append(text)
        self.length += len(text)


@dataclass
class Field:
    """One field (or a Mendeley Cite content control) and the text it shows."""

    sdt: bool
    start: tuple[int, int]  # (paragraph, offset in its text)
    note: tuple[str, str] | None
    instr: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)  # w:fldData (base64)
    separated: bool = False
    end: tuple[int, int] | None = None
    result: dict[int, list[str]] = field(default_factory=dict)  # paragraph -> text shown
    children: list[Field] = field(default_factory=list)

    @property
    def code(self) -> str:
        return "".join(self.instr).strip()


def walk(root: Any, w: str, styles: Styles) -> Walker:
    """The paragraphs and fields of a part (``root``), fields left open ending with it."""
    walker = Walker(w, styles)
    walker.walk(root)
    walker.finish()
    return walker


class Walker:
    """Paragraphs and fields of one part, in document order."""

    def __init__(self, w: str, styles: Styles):
        self.w, self.styles = w, styles
        self.paras: list[Para] = []
        self.stack: list[Para] = []
        self.open: list[Field] = []
        self.fields: list[Field] = []
        self.anchors: list[tuple[str, str, int, int]] = []  # (kind, id, paragraph, offset)
        self.tables = 0
        self.note: tuple[str, str] | None = None
        self.unread: list[tuple[str, int]] = []  # (citation tool, paragraph) not read

    def walk(self, el: Any) -> None:
        w = self.w
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments, processing instructions
            if tag == f"{w}p":
                self._paragraph(child)
            elif tag == f"{w}r":
                self._run(child)
            elif tag == f"{w}fldSimple":
                self._begin([])
                self._instr(child.get(f"{w}instr") or "")
                self._separate()
                self.walk(child)
                self._end()
            elif tag == f"{w}sdt":
                self._sdt(child)
            elif tag == f"{w}bookmarkStart":
                if (child.get(f"{w}name") or "").startswith("ZOTERO_BREF_"):
                    self.unread.append(("Zotero (citations stored as bookmarks)", self._where()[0]))
            elif tag in (f"{w}del", f"{w}moveFrom", f"{w}pPr", f"{w}rPr", f"{w}sectPr",
                         f"{w}tblPr", f"{w}tcPr", f"{w}trPr", f"{_MC}Fallback"):
                continue  # deleted text, properties, a duplicate of what mc:Choice shows
            elif tag == f"{w}tbl":
                self.tables += 1
                self.walk(child)
                self.tables -= 1
            elif tag in (f"{w}footnote", f"{w}endnote"):
                self.note = (tag.rsplit("}", 1)[1], child.get(f"{w}id") or "")
                self.walk(child)
                self.note = None
            elif tag == f"{_MC}AlternateContent":
                choice = child.find(f"{_MC}Choice")
                if choice is not None:
                    self.walk(choice)
            else:
                self.walk(child)

    def _paragraph(self, p: Any) -> None:
        w = self.w
        ppr = p.find(f"{w}pPr")
        sid = None
        if ppr is not None and (ps := ppr.find(f"{w}pStyle")) is not None:
            sid = ps.get(f"{w}val")
        name = self.styles.name(sid)
        listed = numbered(ppr, w)
        para = Para(
            number=len(self.paras) + 1, style=name,
            heading=bool(outline(ppr, w) or self.styles.get(sid, "outline")
                         or re.match(r"(?:heading|title|subtitle)\b", name)),
            numbered=bool(self.styles.get(sid, "numbered")) if listed is None else listed,
            in_table=self.tables > 0, note=self.note, style_id=sid)
        self.paras.append(para)
        self.stack.append(para)
        self.walk(p)
        self.stack.pop()
        para.text = para.shown = "".join(para.pieces)
        for start, end in para.sup:
            para.shown = (para.shown[:start] + para.shown[start:end].translate(_TO_SUPERSCRIPT)
                          + para.shown[end:])

    def _run(self, r: Any) -> None:
        w = self.w
        rpr = r.find(f"{w}rPr")
        rstyle = None
        if rpr is not None and (rs := rpr.find(f"{w}rStyle")) is not None:
            rstyle = rs.get(f"{w}val")
        sup = superscript(rpr, w)
        if sup is None:
            sup = bool(self.styles.get(rstyle, "superscript"))
        hidden = on(rpr.find(f"{w}vanish") if rpr is not None else None, w)
        bold = on(rpr.find(f"{w}b") if rpr is not None else None, w)
        if bold is None:
            bold = bool(self.styles.get(rstyle, "bold") or
                        self.styles.get(self.stack[-1].style_id if self.stack else None, "bold"))
        for c in r:
            tag = c.tag
            if not isinstance(tag, str):
                continue
            if tag == f"{w}t":
                if not hidden:
                    self._text(c.text or "", sup, bold)
            elif tag == f"{w}instrText":
                self._instr(c.text or "")
            elif tag == f"{w}fldChar":
                kind = c.get(f"{w}fldCharType")
                data = [d.text or "" for d in c.iter(f"{w}fldData")]
                if kind == "begin":
                    self._begin(data)
                elif kind == "separate":
                    self._separate()
                elif kind == "end":
                    self._end()
            elif tag == f"{w}fldData":
                if self.open:
                    self.open[-1].data.append(c.text or "")
            elif tag in (f"{w}tab", f"{w}ptab", f"{w}br", f"{w}cr"):
                self._text(" ", False, bold)
            elif tag == f"{w}noBreakHyphen":
                self._text("-", sup, bold)
            elif tag in (f"{w}footnoteReference", f"{w}endnoteReference"):
                if self.stack:
                    para = self.stack[-1]
                    kind = "footnote" if tag.endswith("footnoteReference") else "endnote"
                    self.anchors.append((kind, c.get(f"{w}id") or "", para.number, para.length))
            elif tag in (f"{w}rPr", f"{w}delText", f"{w}delInstrText"):
                continue
            else:
                self.walk(c)  # drawings with text boxes, mc:AlternateContent…

    def _sdt(self, sdt: Any) -> None:
        w = self.w
        tag = sdt.find(f"{w}sdtPr/{w}tag")
        value = (tag.get(f"{w}val") or "") if tag is not None else ""
        content = sdt.find(f"{w}sdtContent")
        if not value.startswith(("MENDELEY_CITATION_v3_", "MENDELEY_BIBLIOGRAPHY")):
            if value.startswith("CitaviPlaceholder"):
                self.unread.append(("Citavi", self._where()[0]))
            if content is not None:
                self.walk(content)
            return
        frame = Field(True, self._where(), self.note, instr=[value], separated=True)
        self.open.append(frame)
        if content is not None:
            self.walk(content)
        self.open.remove(frame)
        self._close(frame)

    def _where(self) -> tuple[int, int]:
        if not self.stack:
            return (self.paras[-1].number if self.paras else 0, 0)
        return self.stack[-1].number, self.stack[-1].length

    def _text(self, text: str, sup: bool, bold: bool) -> None:
        if not text or any(not f.separated for f in self.open) or not self.stack:
            return  # an instruction's text, or text outside any paragraph
        para = self.stack[-1]
        para.add(text, sup, bold)
        for frame in self.open:
            frame.result.setdefault(para.number, []).append(text)

    def _innermost(self) -> Field | None:
        return next((f for f in reversed(self.open) if not f.sdt), None)

    def _begin(self, data: list[str]) -> None:
        self.open.append(Field(False, self._where(), self.note, data=list(data)))

    def _instr(self, text: str) -> None:
        frame = self._innermost()
        if frame is not None and not frame.separated:
            frame.instr.append(text)

    def _separate(self) -> None:
        frame = self._innermost()
        if frame is not None:
            frame.separated = True

    def _end(self) -> None:
        frame = self._innermost()
        if frame is None:
            return  # an end without a begin: Word ignores it
        self.open.remove(frame)
        self._close(frame)

    def _close(self, frame: Field) -> None:
        frame.end = self._where()
        if self.open:
            self.open[-1].children.append(frame)
        else:
            self.fields.append(frame)

    def finish(self) -> None:
        """Fields left open at the end of the part end there."""
        while self.open:
            self._close(self.open.pop())
