"""A Word manuscript (.docx): its citations, read from reference managers' fields or typed.

A .docx is a ZIP of XML parts; ``word/document.xml`` holds the text. It is read here
with the one safe parser (:mod:`audit.safexml`), after the archive has been checked
(size and compression ratio of each part read, no encryption, no DTD), never with
entities expanded.

**Fields** (what a reference manager's plugin writes). Simple fields
(``w:fldSimple``) and complex ones (``w:fldChar`` begin … ``w:instrText`` … separate …
result … end, nested, split across runs and paragraphs) are read into one
:class:`_Field` each. A citation field gives one :class:`~audit.model.Citation` per
cited item and, per distinct item, one :class:`~audit.model.Entry` whose CSL data the
audit checks like any bibliography:

- Zotero ``ADDIN ZOTERO_ITEM CSL_CITATION {json}``: key = the item key (``uris``);
- Mendeley Desktop ``ADDIN CSL_CITATION {json}``: key = the document's uuid (``uris``;
  its ``ITEM-1`` ids are numbered afresh in every field, so they name nothing);
- Mendeley Cite: a content control tagged ``MENDELEY_CITATION_v3_<base64 json>``;
- EndNote ``ADDIN EN.CITE <EndNote>…`` (or its base64 ``w:fldData``): key = ``RecNum``,
  the record converted to CSL JSON by :func:`endnote_item`.

The bibliography field (``ZOTERO_BIBL``, ``Mendeley Bibliography``, ``EN.REFLIST``,
``MENDELEY_BIBLIOGRAPHY``) is the list as the document prints it: each printed entry
matched to a cited item is compared with that item's data (``bibliography-mismatch``).

**Typed citations** (no citation field): numbers in brackets, parentheses or
superscript, pointing at the numbered list after a heading "References",
"Bibliography", "Literature cited" or "Works cited"; keys ``#1``, ``#2``… as for any
printed list (``citation-order`` when the list is not numbered by first citation).

Locations: ``line`` is the paragraph (1-based, every ``w:p`` of the body in document
order, tables' included); ``excerpt`` a short quote of the sentence. A citation in a
footnote is placed at the paragraph that holds the footnote's mark.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from audit import safexml
from audit.compare import compare_works, normalize_text, title_similarity, year_of
from audit.errors import InputError
from audit.identifiers import normalize_doi, normalize_pmid
from audit.inputs.reftext import parse_reference_text
from audit.model import (
    Citation,
    Document,
    Entry,
    Finding,
    Manuscript,
    PrintedReference,
    Severity,
    shown,
)

__all__ = ["MAX_PART_BYTES", "MAX_RATIO", "endnote_item", "read"]

MAX_PART_BYTES = 200 * 1024 * 1024  # a part larger than this (uncompressed) is refused
MAX_RATIO = 100  # … and so is one that compresses better than this (a ZIP bomb)
_RATIO_FROM = 1024 * 1024  # small parts may compress well: the ratio counts above 1 MB
EXCERPT = 70  # characters of a quote

_NS_MAIN = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
            "http://purl.oclc.org/ooxml/wordprocessingml/main")  # transitional, strict
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


# ----------------------------------------------------------------------------- package

class _Package:
    """The ZIP archive, each part read through size and ratio checks."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
                NotImplementedError, RuntimeError) as exc:
            raise self.error(f"not a valid .docx: the ZIP archive is corrupt ({exc})") from None
        self.infos = {info.filename: info for info in infos}
        if "EncryptedPackage" in self.infos or any(i.flag_bits & 0x1 for i in infos):
            raise self.error("an encrypted Word file: save it as an unprotected .docx")

    def error(self, message: str) -> InputError:
        return InputError(message, file=self.path)

    def close(self) -> None:
        self.zip.close()

    def read(self, name: str) -> bytes | None:
        """The bytes of part ``name`` (None if absent), never more than the limits allow."""
        info = self.infos.get(name)
        if info is None:
            return None
        if info.file_size > MAX_PART_BYTES:
            raise self.error(f"{name} is {info.file_size // 2**20} MB uncompressed, over the "
                             f"{MAX_PART_BYTES // 2**20} MB a manuscript may hold: refused")
        if info.file_size > _RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise self.error(f"{name} expands {info.file_size // max(info.compress_size, 1)} "
                             f"times when uncompressed (a ZIP bomb?): refused")
        limit = min(MAX_PART_BYTES, max(info.file_size, _RATIO_FROM,
                                        MAX_RATIO * max(info.compress_size, 1)))
        chunks, size = [], 0
        try:
            with self.zip.open(info) as stream:
                while chunk := stream.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        raise self.error(f"{name} holds more than its declared size: refused")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError,
                NotImplementedError, zlib.error) as exc:
            raise self.error(f"not a valid .docx: {name} cannot be read ({exc})") from None
        return b"".join(chunks)

    def xml(self, name: str) -> Any:
        """Part ``name`` parsed (None if absent); no DTD, no entities, a located error."""
        data = self.read(name)
        if data is None:
            return None
        if b"<!DOCTYPE" in data[:65536] or b"<!ENTITY" in data[:65536]:
            raise self.error(f"{name} declares a DTD or entities, which a Word file never "
                             "does: refused")
        try:
            root = etree.fromstring(data, safexml.parser())
        except etree.XMLSyntaxError as exc:
            raise self.error(f"{name} is not well-formed XML (line {exc.lineno}: {exc.msg})"
                             ) from None
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None:
            raise self.error(f"{name} declares a DTD, which a Word file never does: refused")
        return root

    def targets(self, rels: str, base: str) -> dict[str, str]:
        """Relationship type (its last word) -> part name, from the ``.rels`` part ``rels``."""
        root = self.xml(rels)
        out: dict[str, str] = {}
        if root is None:
            return out
        for rel in root.iter(f"{_RELS}Relationship"):
            target, kind = rel.get("Target") or "", (rel.get("Type") or "").rsplit("/", 1)[-1]
            if rel.get("TargetMode") == "External" or not target or kind in out:
                continue
            out[kind] = target.lstrip("/") if target.startswith("/") else base + target
        return out


# ----------------------------------------------------------------------------- styles

@dataclass
class _Style:
    name: str
    based_on: str | None
    superscript: bool | None
    bold: bool | None
    outline: bool | None
    numbered: bool | None


def _on(el: Any, w: str) -> bool | None:
    """A toggle property (``w:b``…): None if absent."""
    if el is None:
        return None
    return (el.get(f"{w}val") or "true").lower() not in ("0", "false", "off", "none")


def _vert(rpr: Any, w: str) -> bool | None:
    el = rpr.find(f"{w}vertAlign") if rpr is not None else None
    return None if el is None else el.get(f"{w}val") == "superscript"


def _numbered(ppr: Any, w: str) -> bool | None:
    num = ppr.find(f"{w}numPr") if ppr is not None else None
    if num is None:
        return None
    num_id = num.find(f"{w}numId")
    return num_id is None or num_id.get(f"{w}val") != "0"


def _outline(ppr: Any, w: str) -> bool:
    el = ppr.find(f"{w}outlineLvl") if ppr is not None else None
    return el is not None and (el.get(f"{w}val") or "9").isdigit() and int(el.get(f"{w}val")) < 9


class _Styles:
    def __init__(self, root: Any, w: str):
        self.w = w
        self.by_id: dict[str, _Style] = {}
        for st in root.iter(f"{w}style") if root is not None else ():
            name = st.find(f"{w}name")
            based = st.find(f"{w}basedOn")
            rpr, ppr = st.find(f"{w}rPr"), st.find(f"{w}pPr")
            self.by_id[st.get(f"{w}styleId") or ""] = _Style(
                (name.get(f"{w}val") if name is not None else st.get(f"{w}styleId")) or "",
                based.get(f"{w}val") if based is not None else None,
                _vert(rpr, w), _on(rpr.find(f"{w}b") if rpr is not None else None, w),
                _outline(ppr, w) or None, _numbered(ppr, w))

    def get(self, style_id: str | None, attr: str) -> Any:
        """``attr`` of a style, inherited through ``basedOn``."""
        seen = 0
        while style_id and style_id in self.by_id and seen < 10:
            style = self.by_id[style_id]
            value = getattr(style, attr)
            if value is not None:
                return value
            style_id, seen = style.based_on, seen + 1
        return None

    def name(self, style_id: str | None) -> str:
        style = self.by_id.get(style_id or "")
        return (style.name if style else style_id or "").lower()


# ----------------------------------------------------------------------------- walking

@dataclass
class _Para:
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
class _Field:
    """One field (or a Mendeley Cite content control) and the text it shows."""

    sdt: bool
    start: tuple[int, int]  # (paragraph, offset in its text)
    note: tuple[str, str] | None
    instr: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)  # w:fldData (base64)
    separated: bool = False
    end: tuple[int, int] | None = None
    result: dict[int, list[str]] = field(default_factory=dict)  # paragraph -> text shown
    children: list[_Field] = field(default_factory=list)

    @property
    def code(self) -> str:
        return "".join(self.instr).strip()


class _Walker:
    """Paragraphs and fields of one part, in document order."""

    def __init__(self, w: str, styles: _Styles):
        self.w, self.styles = w, styles
        self.paras: list[_Para] = []
        self.stack: list[_Para] = []
        self.open: list[_Field] = []
        self.fields: list[_Field] = []
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
        numbered = _numbered(ppr, w)
        para = _Para(
            number=len(self.paras) + 1, style=name,
            heading=bool(_outline(ppr, w) or self.styles.get(sid, "outline")
                         or re.match(r"(?:heading|title|subtitle)\b", name)),
            numbered=bool(self.styles.get(sid, "numbered")) if numbered is None else numbered,
            in_table=self.tables > 0, note=self.note)
        para.style_id = sid
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
        sup = _vert(rpr, w)
        if sup is None:
            sup = bool(self.styles.get(rstyle, "superscript"))
        hidden = _on(rpr.find(f"{w}vanish") if rpr is not None else None, w)
        bold = _on(rpr.find(f"{w}b") if rpr is not None else None, w)
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
        frame = _Field(True, self._where(), self.note, instr=[value], separated=True)
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

    def _innermost(self) -> _Field | None:
        return next((f for f in reversed(self.open) if not f.sdt), None)

    def _begin(self, data: list[str]) -> None:
        self.open.append(_Field(False, self._where(), self.note, data=list(data)))

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

    def _close(self, frame: _Field) -> None:
        frame.end = self._where()
        if self.open:
            self.open[-1].children.append(frame)
        else:
            self.fields.append(frame)

    def finish(self) -> None:
        """Fields left open at the end of the part end there."""
        while self.open:
            self._close(self.open.pop())


# ----------------------------------------------------------------------------- quotes

_TO_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SENTENCE = re.compile(r"([.!?][\"”’)\]]?)\s+(?=[A-Z\"“‘(\[])")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def excerpt(text: str, start: int, end: int, width: int = EXCERPT) -> str:
    """The sentence of ``text`` around ``text[start:end]``, whitespace collapsed, cut to
    about ``width`` characters ("…" where cut)."""
    s0 = 0
    for m in _SENTENCE.finditer(text, 0, start):
        s0 = m.end()
    after_end = _SENTENCE.search(text, end)
    s1 = after_end.end(1) if after_end else len(text)
    before, cite, after = _squash(text[s0:start]), _squash(text[start:end]), _squash(text[end:s1])
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


def _quote(text: str, width: int = EXCERPT) -> str:
    """The start of ``text`` (a reference, a paragraph), cut at a word ("…")."""
    text = _squash(text).strip()
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    return (cut[: cut.rfind(" ")] if " " in cut else cut).rstrip(" ,;:") + "…"


# ----------------------------------------------------------------------------- EndNote

_EN_TYPES = {
    "journal article": "article-journal", "electronic article": "article-journal",
    "book": "book", "edited book": "book", "electronic book": "book",
    "book section": "chapter", "electronic book section": "chapter",
    "conference proceedings": "paper-conference", "conference paper": "paper-conference",
    "thesis": "thesis", "report": "report", "government document": "report",
    "web page": "webpage", "newspaper article": "article-newspaper",
    "magazine article": "article-magazine", "patent": "patent", "dataset": "dataset",
    "statute": "legislation", "case": "legal_case", "manuscript": "manuscript",
    "unpublished work": "manuscript", "computer program": "software", "map": "map",
    "film or broadcast": "motion_picture", "generic": "document",
}  # fmt: skip
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                       "sep", "oct", "nov", "dec"), 1)}


def _text_of(el: Any) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _en_name(text: str) -> dict[str, str]:
    """EndNote's ``Family, Given`` (a corporate name has no comma, or ends with one)."""
    family, comma, given = text.strip().rstrip(",").partition(",")
    if not comma or not given.strip():
        return {"literal": family.strip()}
    name = {"family": family.strip(), "given": given.strip()}
    suffix = re.match(r"(.*?),\s*(Jr\.?|Sr\.?|II|III|IV)$", name["given"])
    if suffix:
        name["given"], name["suffix"] = suffix.group(1).strip(), suffix.group(2)
    return name


def endnote_item(record: Any) -> dict[str, Any]:
    """An EndNote ``<record>`` as a CSL JSON item (no ``id``)."""
    def text(path: str) -> str:
        return _text_of(record.find(path))

    ref_type = record.find("ref-type")
    kind = _EN_TYPES.get((ref_type.get("name") or "").lower() if ref_type is not None else "",
                         "document")
    item: dict[str, Any] = {"type": kind}
    authors = [_en_name(_text_of(a)) for a in record.iterfind("contributors/authors/author")]
    if authors := [a for a in authors if any(a.values())]:
        item["author"] = authors
    editors = [_en_name(_text_of(a)) for a in record.iterfind("contributors/secondary-authors/author")]
    if editors and kind in ("chapter", "paper-conference"):
        item["editor"] = editors
    if title := text("titles/title"):
        item["title"] = title
    container = text("titles/secondary-title") or text("periodical/full-title")
    if container:
        item["collection-title" if kind == "book" else "container-title"] = container
    if short := text("periodical/abbr-1"):
        item["container-title-short"] = short
    for source, target in (("volume", "volume"), ("number", "issue"), ("pages", "page"),
                           ("edition", "edition"), ("publisher", "publisher"),
                           ("pub-location", "publisher-place"), ("language", "language")):
        if value := text(source):
            item[target] = value
    year = re.search(r"\d{4}", text("dates/year"))
    if year:
        parts = [int(year.group(0))]
        month = re.match(r"[A-Za-z]{3}", text("dates/pub-dates/date"))
        if month and month.group(0).lower() in _MONTHS:
            parts.append(_MONTHS[month.group(0).lower()])
        item["issued"] = {"date-parts": [parts]}
    for candidate in re.split(r"[\r\n;]+|\s{2,}", text("electronic-resource-num")):
        written = re.sub(r"\s*\[(?:doi|pii)\]\s*$", "", candidate.strip(), flags=re.I)
        if written and normalize_doi(written).doi:
            item["DOI"] = written
            break
    if pmid := normalize_pmid(text("accession-num")):
        item["PMID"] = pmid
    if url := text("urls/related-urls/url"):
        item["URL"] = url
    if isbn := text("isbn"):
        item["ISBN" if kind in ("book", "chapter", "report", "thesis") else "ISSN"] = isbn
    return item


# ----------------------------------------------------------------------------- citations

@dataclass
class _Cited:
    key: str
    item: dict[str, Any] | None
    prefix: str = ""
    suffix: str = ""
    mode: str = "NormalCitation"


_MANAGER = {"zotero": "Zotero", "mendeley": "Mendeley", "mendeley-cite": "Mendeley Cite",
            "endnote": "EndNote"}


def _kind(frame: _Field) -> str | None:
    """What a field is: a reference manager's citation, a bibliography, or nothing to us."""
    code = frame.code
    if frame.sdt:
        return "mendeley-cite" if code.startswith("MENDELEY_CITATION_v3_") else "bibliography"
    up = re.sub(r"^ADDIN\s+", "", code.upper())
    if up.startswith(("ZOTERO_BIBL", "MENDELEY BIBLIOGRAPHY", "CSL_BIBLIOGRAPHY", "EN.REFLIST")):
        return "bibliography"
    if up.startswith("ZOTERO_ITEM"):
        return "zotero"
    if up.startswith("CSL_CITATION") or re.match(r"MENDELEY[ _]CITATION", up):
        return "mendeley"
    if up.startswith("EN.CITE") and not up.startswith("EN.CITE.DATA"):
        return "endnote"
    return None


# citation fields of tools whose data the audit does not read
_UNREAD = (("CITATION ", "Word's own citation tool"), ("CITAVIPLACEHOLDER", "Citavi"),
           ("RW.CITE", "RefWorks"), ("PAPERS2_CITATIONS", "Papers"), ("NE.REF", "NoteExpress"),
           ("REFMGR.CITE", "Reference Manager"), ("F1000_CSL_CITATION", "F1000"))


_TEMPORARY = re.compile(r"\{[^{}#]{1,80}?,?\s(?:\d{4}[a-z]?|n\.d\.)\s?#\d+\}")  # {Smith, 2013 #12}


def _unread(frame: _Field) -> str | None:
    up = re.sub(r"^ADDIN\s+", "", frame.code.upper()) if not frame.sdt else ""
    return next((tool for prefix, tool in _UNREAD if up.startswith(prefix)), None)


def _unread_findings(path: Path, places: list[tuple[str, int | None]]) -> list[Finding]:
    """Citations by a tool the audit does not read are not a clean manuscript."""
    findings = []
    for tool in dict.fromkeys(t for t, _ in places):
        lines = [line for t, line in places if t == tool]
        findings.append(Finding(
            "input-error", Severity.ERROR,
            f"{len(lines)} citation(s) inserted by {tool}, which the audit does not read (it "
            "reads Zotero, Mendeley and EndNote fields and typed numbers): they were not checked",
            file=str(path), line=lines[0]))
    return findings


def _item_key(kind: str, entry: dict[str, Any], data: dict[str, Any] | None) -> str:
    uris = entry.get("uris") or entry.get("uri") or []
    uri = str(uris[0] if isinstance(uris, list) and uris else uris or "")
    if kind == "mendeley" and (m := re.search(r"uuid=([0-9A-Fa-f-]{8,})", uri)):
        return m.group(1).lower()
    if kind in ("zotero", "mendeley") and uri.rstrip("/"):
        return uri.rstrip("/").rsplit("/", 1)[-1]
    ident = str(entry.get("id", "")).strip()
    if ident and not (kind == "mendeley" and re.fullmatch(r"ITEM-\d+", ident)):
        return ident
    # no stable id: the item's own data names it
    payload = json.dumps({k: v for k, v in (data or {}).items() if k != "id"}, sort_keys=True)
    return "item-" + hashlib.sha1(payload.encode()).hexdigest()[:10]


def _csl_citation(kind: str, text: str, where: str) -> list[_Cited]:
    """The items of a CSL citation's JSON (Zotero, Mendeley)."""
    up = text.upper()
    start = text.find("{", up.find("CSL_CITATION") if "CSL_CITATION" in up else 0)
    try:
        if start < 0:
            raise json.JSONDecodeError("no JSON object", text, 0)
        data, _ = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise InputError(f"the {_MANAGER[kind]} citation field {where} is not valid JSON "
                         f"({exc.msg}, character {exc.pos})") from None
    items = data.get("citationItems") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InputError(f"the {_MANAGER[kind]} citation field {where} has no list of "
                         "'citationItems'")
    out = []
    for entry in items:
        item = entry.get("itemData")
        item = dict(item) if isinstance(item, dict) else None
        key = _item_key(kind, entry, item)
        locator = str(entry.get("locator") or "").strip()
        suffix = ", ".join(s for s in (locator, str(entry.get("suffix") or "").strip()) if s)
        mode = ("SuppressAuthor" if entry.get("suppress-author") else
                "AuthorInText" if entry.get("author-only") else "NormalCitation")
        out.append(_Cited(key, item, str(entry.get("prefix") or "").strip(), suffix, mode))
    return out


def _b64(data: str) -> bytes:
    text = re.sub(r"\s+", "", data).replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _endnote(frame: _Field, where: str, db_ids: dict[str, str]) -> list[_Cited]:
    """The cited records of an ``EN.CITE`` field (its XML inline, or base64 in fldData)."""
    xml = re.sub(r"(?i)^\s*(?:ADDIN\s+)?EN\.CITE", "", frame.code, count=1).strip()
    raw: bytes
    if xml.startswith("<"):
        raw = xml.encode("utf-8")
    else:
        data = "".join(frame.data) or next(("".join(c.data) for c in frame.children if c.data), "")
        try:
            raw = _b64(data)
        except (binascii.Error, ValueError):
            raise InputError(f"the EndNote citation field {where} has data that is not "
                             "base64") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raw = raw.decode("utf-16").encode("utf-8")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise InputError(f"the EndNote citation field {where} declares a DTD: refused")
    try:
        root = etree.fromstring(raw, safexml.parser())
    except etree.XMLSyntaxError as exc:
        raise InputError(f"the EndNote citation field {where} is not well-formed XML "
                         f"({exc.msg})") from None
    out = []
    for cite in root.iter("Cite"):
        record = cite.find("record")
        number = _text_of(cite.find("RecNum")) or _text_of(
            record.find("rec-number") if record is not None else None)
        if not number:
            continue
        db = record.find("foreign-keys/key") if record is not None else None
        db_id = (db.get("db-id") or "") if db is not None else ""
        key = number
        if db_id and db_ids.setdefault(number, db_id) != db_id:
            key = f"{number}@{db_id}"  # the same number in another EndNote library
        item = endnote_item(record) if record is not None else None
        mode = ("AuthorInText" if cite.get("AuthorYear") == "1" else
                "SuppressAuthor" if cite.get("ExcludeAuth") == "1" else "NormalCitation")
        suffix = ", ".join(s for s in (_text_of(cite.find("Pages")),
                                       _text_of(cite.find("Suffix"))) if s)
        out.append(_Cited(key, item, _text_of(cite.find("Prefix")), suffix, mode))
    return out


def _mendeley_cite(frame: _Field, where: str) -> list[_Cited]:
    try:
        text = _b64(frame.code[len("MENDELEY_CITATION_v3_"):]).decode("utf-8")
    except (binascii.Error, ValueError):
        raise InputError(f"the Mendeley Cite citation {where} has data that is not "
                         "base64 JSON") from None
    return _csl_citation("mendeley-cite", text, where)


# ----------------------------------------------------------------------------- places

@dataclass
class _Place:
    line: int | None
    excerpt: str
    order: tuple[int, int, int]


class _Places:
    """Where a position of the body or of a note is, as a paragraph and a quote."""

    def __init__(self, body: _Walker, notes: dict[str, _Walker]):
        self.body = {p.number: p for p in body.paras}
        self.notes = {k: {p.number: p for p in w.paras} for k, w in notes.items()}
        self.anchors: dict[tuple[str, str], tuple[int, int, int]] = {}
        counts = {"footnote": 0, "endnote": 0}
        for kind, ident, para, offset in body.anchors:
            counts[kind] += 1
            self.anchors.setdefault((kind, ident), (para, offset, counts[kind]))

    def at(self, note: tuple[str, str] | None, para: int, start: int, end: int,
           seq: int) -> _Place:
        if note is None:
            p = self.body.get(para)
            quote = excerpt(p.shown, start, end) if p else ""
            return _Place(para or None, quote, (para, start, seq))
        p = self.notes.get(note[0], {}).get(para)
        anchor = self.anchors.get(note)
        label = f"{note[0]} {anchor[2]}: " if anchor else f"{note[0]}: "
        quote = label + (excerpt(p.shown, start, end, EXCERPT - len(label)) if p else "")
        if anchor is None:
            return _Place(None, quote, (10**9, para, seq))
        return _Place(anchor[0], quote, (anchor[0], anchor[1], seq))

    def of_field(self, frame: _Field, seq: int) -> _Place:
        para, start = frame.start
        end_para, end = frame.end or frame.start
        if end_para != para:
            end = 10**9
        paras = self.notes.get(frame.note[0], {}) if frame.note else self.body
        length = paras[para].length if para in paras else 0
        return self.at(frame.note, para, start, min(end, length), seq)


# ----------------------------------------------------------------------------- fields

def _field_citations(path: Path, fields: list[_Field], places: _Places
                     ) -> tuple[list[Citation], list[Entry], str]:
    citations: list[Citation] = []
    entries: dict[str, Entry] = {}
    managers: list[str] = []
    db_ids: dict[str, str] = {}
    located: list[tuple[_Place, _Field, str]] = []
    for seq, frame in enumerate(fields):
        kind = _kind(frame)
        if kind is not None and kind != "bibliography":
            located.append((places.of_field(frame, seq), frame, kind))
    located.sort(key=lambda x: x[0].order)  # the body's fields and the notes' in document order
    for place, frame, kind in located:
        where = (f"in paragraph {place.line}" if frame.note is None else
                 f"in a {frame.note[0]} (its mark in paragraph {place.line})")
        try:
            if kind == "endnote":
                cited = _endnote(frame, where, db_ids)
            elif kind == "mendeley-cite":
                cited = _mendeley_cite(frame, where)
            else:
                cited = _csl_citation(kind, frame.code, where)
        except InputError as exc:
            raise InputError(exc.message, file=path, line=place.line) from None
        managers.append(_MANAGER[kind])
        for c in cited:
            citations.append(Citation(c.key, str(path), place.line, c.mode, c.prefix, c.suffix,
                                      place.excerpt))
            if c.item is not None and c.key not in entries:
                entries[c.key] = Entry(c.key, {**c.item, "id": c.key}, str(path), place.line,
                                       place.excerpt)
    manager = max(set(managers), key=managers.count) if managers else "the reference manager"
    return citations, list(entries.values()), manager


# ----------------------------------------------------------------------------- printed lists

_LEADING = re.compile(r"\s*(?:\[(\d{1,4})\]|(\d{1,4})[.)])\s*")
_APA = re.compile(r"(?P<authors>.+?)\s*\((?P<year>(?:1[5-9]|20)\d\d)[a-z]?(?:,[^)]*)?\)\.?\s+"
                  r"(?P<rest>.+)")
_APA_NAME = re.compile(r"\s*(?:&\s*|and\s+|\.\.\.\s*|…\s*)?(?P<family>[^,&(]+?),\s*"
                       r"(?P<given>(?:[A-Z][A-Za-z]?\.[\s-]*)+)(?:,|$)")
_APA_TAIL = re.compile(r"(?P<journal>[^,]+?(?:,\s*[^,\d][^,]*?)*),\s*(?P<volume>\d+[A-Za-z]?)"
                       r"(?:\s*\((?P<issue>[^)]{1,20})\))?(?:,\s*(?P<page>[A-Za-z]?\d+[A-Za-z]?"
                       r"(?:\s*[-–]\s*[A-Za-z]?\d+[A-Za-z]?)?))?\.?\s*$")
_DOI_TEXT = re.compile(r"(?i)(?:https?://(?:dx\.)?doi\.org/|\bdoi:\s*)(10\.\d{4,9}/\S+)")
_URL_TEXT = re.compile(r"https?://\S+")


def _author_year(text: str) -> dict[str, Any] | None:
    """An author-date (APA-like) entry, ``Family, I. I., & Other, I. (2016). Title. Journal,
    1(2), 3–4. https://doi.org/…``, as a CSL item; None if it is not one."""
    m = _APA.fullmatch(text.strip())
    if not m:
        return None
    block, names = m.group("authors").strip(), []
    pos = 0
    while pos < len(block):
        name = _APA_NAME.match(block, pos)
        if not name:
            break
        names.append({"family": name.group("family").strip(), "given": name.group("given").strip()})
        pos = name.end()
    et_al = bool(re.fullmatch(r"[\s,]*(?:et al\.?)?[\s.,]*", block[pos:]))
    if not names or not et_al:
        if "," in block or "." in block.rstrip("."):
            return None
        names = [{"literal": block.rstrip(".")}]
    item: dict[str, Any] = {"type": "article-journal", "author": names,
                            "issued": {"date-parts": [[int(m.group("year"))]]}}
    rest = m.group("rest")
    if doi := _DOI_TEXT.search(rest):
        item["DOI"] = doi.group(1).rstrip(".")
    rest = _URL_TEXT.sub("", _DOI_TEXT.sub("", rest)).strip()
    split = re.search(r"(?<=[.?!])\s+(?=\S)", rest)
    title, tail = (rest[: split.start()], rest[split.end():]) if split else (rest, "")
    item["title"] = title.strip().rstrip(".")
    if tail_match := _APA_TAIL.match(tail.strip()):
        item["container-title"] = tail_match.group("journal").strip()
        for key in ("volume", "issue", "page"):
            if value := tail_match.group(key):
                item[key] = re.sub(r"\s*[-–]\s*", "-", value)
    elif tail.strip(" ."):
        item["publisher"] = tail.strip(" .")
        item["type"] = "book"
    return item


def _printed(text: str, number: int, para: int, path: Path) -> PrintedReference | None:
    """One printed entry (``text`` with or without its number) as a listed reference."""
    quote = _quote(text)
    lead = _LEADING.match(text)
    if lead:
        number, text = int(lead.group(1) or lead.group(2)), text[lead.end():]
    text = _squash(text).strip()
    if not text:
        return None
    apa = _author_year(text)
    if apa is not None:
        ref = PrintedReference(number, para, text, {"id": f"ref-{number}", **apa})
    else:
        refs = parse_reference_text(f"{number}. {text}")
        if not refs:
            return None
        ref = refs[0]
    return dataclasses.replace(ref, line=para, file=str(path), listed=True, excerpt=quote)


# ----------------------------------------------------------------------------- bibliography

def _tokens(text: str) -> set[str]:
    return set(normalize_text(text).split())


def _shown_anyway(diff_field: str, item: dict[str, Any], raw: str, n_printed: int) -> bool:
    """Whether the printed text shows the reference manager's value after all (what looked
    like a difference came from reading the printed entry, not from the entry)."""
    norm, words = f" {normalize_text(raw)} ", _tokens(raw)
    if diff_field == "title":
        title = normalize_text(str(item.get("title") or ""))
        return bool(title) and f" {title} " in norm
    if diff_field == "container":
        return any((name := normalize_text(str(item.get(k) or ""))) and f" {name} " in norm
                   for k in ("container-title", "container-title-short"))
    if diff_field == "author":
        names = [a for a in item.get("author") or [] if isinstance(a, dict)]
        return all(_name_shown(a, norm) for a in names[: max(n_printed, 1)])
    if diff_field == "year":
        return str(year_of(item)) in words
    value = str(item.get(diff_field) or "")
    if diff_field == "page":
        value = re.split(r"[-–]", value)[0]
    return bool(value) and normalize_text(value) in words


def _name_shown(name: dict[str, Any], norm: str) -> bool:
    """Whether a CSL name is printed in ``norm`` (normalised text): ``Family AB``,
    ``Family, A. B.``, ``Given Family``…"""
    family = normalize_text(str(name.get("family") or name.get("literal") or ""))
    given = normalize_text(str(name.get("given") or ""))
    if not given:
        return f" {family} " in norm
    initials = "".join(w[0] for w in given.split())
    forms = (f"{family} {initials}", f"{family} {' '.join(initials)}", f"{given} {family}",
             f"{' '.join(initials)} {family}", f"{family} {given}")
    return any(f" {form} " in norm for form in forms)


def _match(ref: PrintedReference, entries: list[Entry], taken: set[str]) -> Entry | None:
    """The cited item a printed entry is: by DOI, else by its title printed, else by a close
    title and the first author."""
    free = [e for e in entries if e.key not in taken] or entries
    doi = normalize_doi(str(ref.item.get("DOI") or "")).doi
    if doi:
        for e in free:
            if normalize_doi(str(e.item.get("DOI") or "")).doi == doi:
                return e
    norm = f" {normalize_text(ref.raw)} "
    titled = [(len(t), e) for e in free
              if len(t := normalize_text(str(e.item.get("title") or ""))) >= 8 and f" {t} " in norm]
    if titled:
        return max(titled, key=lambda pair: pair[0])[1]
    title = str(ref.item.get("title") or "")
    scored = []
    for e in free:
        first = (e.item.get("author") or [{}])[0]
        family = normalize_text(str(first.get("family") or first.get("literal") or "")
                                ) if isinstance(first, dict) else ""
        if title and e.item.get("title") and family and f" {family} " in norm:
            scored.append((title_similarity(title, str(e.item["title"])), e))
    best = max(scored, key=lambda pair: pair[0], default=None)
    return best[1] if best and best[0] >= 0.8 else None


def _bibliography(path: Path, frames: list[_Field], entries: list[Entry], manager: str
                  ) -> list[Finding]:
    """bibliography-mismatch: the printed bibliography against the cited items' data."""
    findings: list[Finding] = []
    taken: set[str] = set()
    number = 0
    for frame in frames:
        for para, pieces in sorted(frame.result.items()):
            text = _squash("".join(pieces)).strip()
            if not text:
                continue
            number += 1
            ref = _printed(text, number, para, path)
            if ref is None:
                continue
            entry = _match(ref, entries, taken)
            if entry is None:
                continue
            taken.add(entry.key)
            found = ref.item
            names = [a for a in found.get("author") or []]
            if ref.et_al:
                found = {**found, "author": [*names, {"literal": "et al."}]}
            for diff in compare_works(found, entry.item):
                if _shown_anyway(diff.field, entry.item, text, len(names) if ref.et_al else 10**6):
                    continue
                findings.append(Finding(
                    "bibliography-mismatch",
                    Severity.ERROR if diff.grade == "error" else Severity.WARNING,
                    f"{diff.field}: the document's bibliography shows {shown(diff.found)}, "
                    f"{manager}'s data for the cited item say {shown(diff.expected)} "
                    f"({diff.detail})",
                    key=entry.key, file=str(path), line=para, field=diff.field,
                    expected=diff.expected, found=diff.found, excerpt=_quote(text)))
    return findings


# ----------------------------------------------------------------------------- typed

_HEADING_TEXT = re.compile(
    r"(?i)(?:\d+(?:\.\d+)*\.?\s+|[IVX]+\.\s+)?(?:references?(?: list| and notes| cited)?|"
    r"bibliography|literature(?: cited)?|works cited|cited literature|notes and references)"
    r"\s*:?")
_CAPTION = re.compile(r"(?i)(?:fig(?:ure)?s?\.?|tables?|supplementary)\s*\S*\d")
_BARE = re.compile(r"\s*(\d{1,4})\s+(?=[^\W\d_])")
_MEMBER = r"\d{1,4}(?:\s*[-–—‑]\s*\d{1,4})?"
_GROUP_BODY = re.compile(rf"\s*{_MEMBER}(?:\s*[,;]\s*{_MEMBER})*\s*")
_GROUP = re.compile(r"\[([^\[\]()]{1,60})\]|\(([^\[\]()]{1,60})\)")
_NOT_CITATION_BEFORE = re.compile(
    r"(?i)\b(?:fig(?:ure)?s?|tables?|eqs?|equations?|appendix|appendices|sections?|steps?|"
    r"chapters?|pp?|pages?|lines?|supplement\w*|phases?|stages?|grades?|types?|class|"
    r"versions?|levels?|days?|weeks?|months?|years?|items?|questions?|groups?|arms?)\.?\s*$")
_ENUMERATION_BEFORE = re.compile(r"(?:^|[:;,]|\b(?:and|or))\s*$")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_UNICODE_SUP = re.compile(r"(?<![\d⁰¹²³⁴⁵⁶⁷⁸⁹⁻])[¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹]*"
                          r"(?:\s?[,⁻–-]\s?[¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹]*)*")
# units whose powers are written as superscripts (a single letter is a variable or a unit too)
_UNITS = frozenset({"cm", "mm", "km", "nm", "µm", "μm", "dm", "ft", "kg", "mg", "ml", "dl", "ms",
                    "mol", "min", "sec", "cal", "bar"})
# a locator after the numbers: [8, pp. 188–189], ⁸⁽ᵖᵖ ¹⁸⁸⁻¹⁸⁹⁾
_LOCATOR = re.compile(r"(?i)\s*,?\s*\(?(?:pp?\.?|pages?|ch(?:ap(?:ter)?)?\.?|sect?(?:ion)?\.?|§|"
                      r"fig(?:ure)?\.?|table|eq\.?)\s*\d[\w.\-–—, ]*\)?\s*$")


def _numbers(body: str, limit: int) -> list[int] | None:
    """The numbers of a citation group's text (``1``, ``2–4``, ``1, 3-5``), if every member
    is a number or a range within ``1..limit``; else None."""
    body = _LOCATOR.sub("", body) if _LOCATOR.search(body) else body
    if not _GROUP_BODY.fullmatch(body):
        return None
    out: list[int] = []
    for m in re.finditer(r"(\d+)(?:\s*[-–—‑]\s*(\d+))?", body):
        first, last = m.group(1), m.group(2) or m.group(1)
        if first.startswith("0") or last.startswith("0"):
            return None
        a, b = int(first), int(last)
        if not 1 <= a <= b <= limit or b - a > 50:
            return None
        out += range(a, b + 1)
    return out


def _sup_cites_ok(text: str, start: int) -> bool:
    """A superscript at ``start`` can be a citation: not an exponent (after a digit) and not
    a unit's or a variable's power (``m²``, ``cm³``, ``R²``)."""
    before = text[:start]
    if before[-1:].isdigit():  # an exponent, unless it follows "Table 1", "Figure 2"…
        return bool(re.search(r"(?i)\b(?:tables?|fig(?:ure)?s?\.?|eq(?:uation)?s?\.?)\s*\d+$",
                              before))
    word = re.search(r"([^\W\d_]+)$", before)
    return not (word and (len(word.group(1)) == 1 or word.group(1).lower() in _UNITS))


def _groups(para: _Para, limit: int) -> list[tuple[int, int, list[int]]]:
    """``(start, end, numbers)`` of each typed citation group in a paragraph."""
    text, found = para.text, []
    masked = list(text)
    for start, end in para.sup:
        body = text[start:end].strip(" .,;:[]()")
        if body and _sup_cites_ok(text, start) and (nums := _numbers(body, limit)):
            found.append((start, end, nums))
        masked[start:end] = " " * (end - start)
    plain = "".join(masked)
    for m in _UNICODE_SUP.finditer(plain):
        nums = _numbers(m.group(0).translate(_SUPERSCRIPT_DIGITS), limit)
        if nums and _sup_cites_ok(plain, m.start()):
            found.append((m.start(), m.end(), nums))
    markers: list[tuple[int, int]] = []  # "(1) to assess …, (2) to compare …": an enumeration's numbers
    for m in _GROUP.finditer(plain):
        body = m.group(1) if m.group(1) is not None else m.group(2)
        nums = _numbers(body, limit)
        before = plain[: m.start()]
        if not nums or _NOT_CITATION_BEFORE.search(before):
            continue
        if (m.group(2) is not None and len(nums) == 1 and _ENUMERATION_BEFORE.search(before)
                and re.match(r"\s+[a-z]", plain[m.end():])):
            markers.append((m.start(), nums[0]))
        found.append((m.start(), m.end(), nums))
    numbers = {n for _, n in markers}
    enumeration = {at for at, n in markers if n + 1 in numbers or n - 1 in numbers}
    found = [g for g in found if g[0] not in enumeration]
    found.sort()
    for i in range(len(found) - 1, 0, -1):  # "[1]–[3]": a range written with two brackets
        (s0, e0, a), (s1, e1, b) = found[i - 1], found[i]
        if (len(a) == len(b) == 1 and a[0] < b[0] and text[s0] == text[s1] == "["
                and re.fullmatch(r"\s*[-–—]\s*", text[e0:s1])):
            found[i - 1: i + 1] = [(s0, e1, list(range(a[0], b[0] + 1)))]
    return found


def _reference_list(paras: list[_Para]
                    ) -> tuple[range, list[tuple[int, int | None, str]]] | None:
    """The paragraphs (indices) from the heading to the list's end, and the list's entries:
    ``(paragraph, number or None, text)``. With no heading, the paragraphs in Word's
    "Bibliography" style (where pandoc's citeproc puts the list) are the list."""
    heading = None
    for i, p in enumerate(paras):
        if not p.in_table and _HEADING_TEXT.fullmatch(p.text.strip()):
            heading = i
    styled = heading is None
    if heading is None:
        heading = next((i - 1 for i, p in enumerate(paras)
                        if "bibliography" in p.style and p.text.strip()), None)
        if heading is None:
            return None
    items: list[tuple[int, int | None, str]] = []
    auto, stop = 0, len(paras)
    for i, p in enumerate(paras[heading + 1:], heading + 1):
        text = p.text.strip()
        if not text:
            continue
        short_bold = p.bold and len(text.split()) <= 8 and not _LEADING.match(text)
        if (p.heading or p.in_table or short_bold or "caption" in p.style or _CAPTION.match(text)
                or (styled and "bibliography" not in p.style)):
            stop = i
            break
        number: int | None = None
        if p.numbered:
            auto += 1
            number = auto
        elif lead := _LEADING.match(text):
            number, text = int(lead.group(1) or lead.group(2)), text[lead.end():]
        elif (bare := _BARE.match(text)) and items and items[-1][1] == int(bare.group(1)) - 1:
            number, text = int(bare.group(1)), text[bare.end():]
        if number is None and any(n is not None for _, n, _ in items):
            para, n, before = items[-1]  # a paragraph that continues the entry above
            items[-1] = (para, n, f"{before} {text}")
            continue
        items.append((p.number, number, text))
    return range(heading + styled, stop), items


def _typed(path: Path, body: _Walker, notes: dict[str, _Walker], places: _Places
           ) -> tuple[list[Citation], list[PrintedReference], list[Finding]]:
    found = _reference_list(body.paras)
    region, listed = found if found else (range(0), [])
    numbered = any(n is not None for _, n, _ in listed)
    printed = []
    for i, (para, number, text) in enumerate(listed, 1):
        ref = _printed(text if number is None else f"{number}. {text}", i, para, path)
        if ref is not None:
            printed.append(ref if numbered else dataclasses.replace(ref, listed=False))
    if not numbered or not printed:
        return [], printed, [] if found else _no_list(path, body)
    numbers = [r.number for r in printed]
    limit = max(numbers) + max(3, max(numbers) // 10)
    cited: list[tuple[tuple[int, int, int], Citation]] = []
    sources: list[tuple[tuple[str, str] | None, _Para]] = [
        (None, p) for i, p in enumerate(body.paras) if i not in region]
    sources += [(p.note, p) for w in notes.values() for p in w.paras]
    for seq, (note, p) in enumerate(sources):
        for start, end, nums in _groups(p, limit):
            place = places.at(note, p.number, start, end, seq)
            cited += [(place.order, Citation(f"#{n}", str(path), place.line, excerpt=place.excerpt))
                      for n in nums]
    cited.sort(key=lambda pair: pair[0])
    citations = [c for _, c in cited]
    return citations, printed, _order(citations, set(numbers))


def _order(citations: list[Citation], listed: set[int]) -> list[Finding]:
    """citation-order: the first citation of a listed number before that of a lower one."""
    firsts = list(dict.fromkeys(int(c.key[1:]) for c in citations if int(c.key[1:]) in listed))
    pending = set(firsts)
    for number in firsts:
        pending.discard(number)
        lower = [n for n in pending if n < number]
        if lower:
            first = next(c for c in citations if c.key == f"#{number}")
            return [Finding("citation-order", Severity.WARNING,
                            f"reference {number} is cited before reference {min(lower)}; a "
                            "numeric style numbers references by first citation",
                            key=first.key, file=first.file, line=first.line,
                            excerpt=first.excerpt)]
    return []


def _no_list(path: Path, body: _Walker) -> list[Finding]:
    """Numbered citations with no reference list to point at are not a clean manuscript."""
    seen = [p for p in body.paras if re.search(r"\[\d{1,3}(?:\s*[-–,]\s*\d{1,3})*\]", p.text)]
    if len(seen) < 2:
        return []
    return [Finding("input-error", Severity.ERROR,
                    "the text has numbered citations such as '[1]' but no reference list was "
                    "found (a heading 'References', 'Bibliography', 'Literature cited' or "
                    "'Works cited' followed by the list): the citations were not checked",
                    file=str(path), line=seen[0].number, excerpt=_quote(seen[0].text))]


# ----------------------------------------------------------------------------- read

def _walk(pkg: _Package, name: str, w: str, styles: _Styles) -> _Walker | None:
    root = pkg.xml(name)
    if root is None:
        return None
    walker = _Walker(w, styles)
    walker.walk(root)
    walker.finish()
    return walker


def read(paths: list[Path]) -> Document:
    """A Word manuscript (one file) as its citations and the references it carries or prints."""
    path = paths[0]
    pkg = _Package(path)
    try:
        main = pkg.targets("_rels/.rels", "").get("officeDocument", "word/document.xml")
        root = pkg.xml(main)
        if root is None:
            raise pkg.error(f"not a Word document (the archive has no {main})")
        w = next((ns for ns in _NS_MAIN if root.tag == f"{{{ns}}}document"), None)
        if w is None:
            raise pkg.error(f"not a Word document ({main} holds no w:document)")
        w = f"{{{w}}}"
        folder = main.rsplit("/", 1)[0] + "/" if "/" in main else ""
        parts = pkg.targets(f"{folder}_rels/{main.rsplit('/', 1)[-1]}.rels", folder)
        styles = _Styles(pkg.xml(parts.get("styles", f"{folder}styles.xml")), w)
        body = _Walker(w, styles)
        body.walk(root)
        body.finish()
        notes = {kind: walker for kind in ("footnote", "endnote")
                 if (walker := _walk(pkg, parts.get(f"{kind}s", f"{folder}{kind}s.xml"), w,
                                     styles)) is not None}
    finally:
        pkg.close()
    places = _Places(body, notes)
    fields = [*body.fields, *(f for walker in notes.values() for f in walker.fields)]
    document = Document(Manuscript(files=[path], metadata={}))
    unread = [*body.unread, *((tool, places.of_field(f, 0).line) for f in fields
                              if (tool := _unread(f)) is not None)]
    unread += [("EndNote (temporary citations, never formatted)", p.number) for p in body.paras
               if _TEMPORARY.search(p.text)]
    if any(_kind(f) not in (None, "bibliography") for f in fields):
        citations, entries, manager = _field_citations(path, fields, places)
        document.manuscript.citations = citations
        document.entries = entries
        document.findings = _bibliography(
            path, [f for f in body.fields if _kind(f) == "bibliography"], entries, manager)
    else:
        citations, printed, findings = _typed(path, body, notes, places)
        document.manuscript.citations = citations
        document.printed = printed
        document.findings = findings
    document.findings += _unread_findings(path, unread)
    return document

