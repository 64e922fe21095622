"""Reference managers' citation fields: what each field is, and its payload as citations
and entries.

A citation field gives one :class:`~audit.model.Citation` per cited item and, per
distinct item, one :class:`~audit.model.Entry` whose CSL data the audit checks like any
bibliography:

- Zotero ``ADDIN ZOTERO_ITEM CSL_CITATION {json}``: key = the item key (``uris``);
- Mendeley Desktop ``ADDIN CSL_CITATION {json}``: key = the document's uuid (``uris``;
  its ``ITEM-1`` ids are numbered afresh in every field, so they name nothing);
- Mendeley Cite: a content control tagged ``MENDELEY_CITATION_v3_<base64 json>``;
- EndNote ``ADDIN EN.CITE <EndNote>…`` (or its base64 ``w:fldData``): key = ``RecNum``,
  the record converted to CSL JSON by :func:`~audit.inputs.docx.endnote.endnote_item`.

A payload that cannot be read is an :class:`~audit.errors.InputError` at the field's
paragraph.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from audit import safexml
from audit.errors import InputError
from audit.inputs.docx.endnote import endnote_item, text_of
from audit.inputs.docx.paragraphs import Field
from audit.inputs.docx.places import Place, Places
from audit.model import Citation, Entry

BIBLIOGRAPHY = "bibliography"

_MANAGER = {"zotero": "Zotero", "mendeley": "Mendeley", "mendeley-cite": "Mendeley Cite",
            "endnote": "EndNote"}


@dataclass
class _Cited:
    key: str
    item: dict[str, Any] | None
    prefix: str = ""
    suffix: str = ""
    mode: str = "NormalCitation"


def kind_of(frame: Field) -> str | None:
    """What a field is: a reference manager's citation (``zotero``, ``mendeley``,
    ``mendeley-cite``, ``endnote``), a bibliography (:data:`BIBLIOGRAPHY`), or nothing to us."""
    code = frame.code
    if frame.sdt:
        return "mendeley-cite" if code.startswith("MENDELEY_CITATION_v3_") else BIBLIOGRAPHY
    up = re.sub(r"^ADDIN\s+", "", code.upper())
    if up.startswith(("ZOTERO_BIBL", "MENDELEY BIBLIOGRAPHY", "CSL_BIBLIOGRAPHY", "EN.REFLIST")):
        return BIBLIOGRAPHY
    if up.startswith("ZOTERO_ITEM"):
        return "zotero"
    if up.startswith("CSL_CITATION") or re.match(r"MENDELEY[ _]CITATION", up):
        return "mendeley"
    if up.startswith("EN.CITE") and not up.startswith("EN.CITE.DATA"):
        return "endnote"
    return None


def is_citation(frame: Field) -> bool:
    """Whether a field is a reference manager's citation."""
    return kind_of(frame) not in (None, BIBLIOGRAPHY)


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


def _endnote(frame: Field, where: str, db_ids: dict[str, str]) -> list[_Cited]:
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
        number = text_of(cite.find("RecNum")) or text_of(
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
        suffix = ", ".join(s for s in (text_of(cite.find("Pages")),
                                       text_of(cite.find("Suffix"))) if s)
        out.append(_Cited(key, item, text_of(cite.find("Prefix")), suffix, mode))
    return out


def _mendeley_cite(frame: Field, where: str) -> list[_Cited]:
    try:
        text = _b64(frame.code[len("MENDELEY_CITATION_v3_"):]).decode("utf-8")
    except (binascii.Error, ValueError):
        raise InputError(f"the Mendeley Cite citation {where} has data that is not "
                         "base64 JSON") from None
    return _csl_citation("mendeley-cite", text, where)


def citations(path: Path, fields: list[Field], places: Places
              ) -> tuple[list[Citation], list[Entry], str]:
    """The citations of the citation fields in document order, an entry per distinct cited
    item, and the name of the reference manager that inserted most of them."""
    found: list[Citation] = []
    entries: dict[str, Entry] = {}
    managers: list[str] = []
    db_ids: dict[str, str] = {}
    located: list[tuple[Place, Field, str]] = []
    for seq, frame in enumerate(fields):
        kind = kind_of(frame)
        if kind is not None and kind != BIBLIOGRAPHY:
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
            found.append(Citation(c.key, str(path), place.line, c.mode, c.prefix, c.suffix,
                                  place.excerpt))
            if c.item is not None and c.key not in entries:
                entries[c.key] = Entry(c.key, {**c.item, "id": c.key}, str(path), place.line,
                                       place.excerpt)
    manager = max(dict.fromkeys(managers), key=managers.count) if managers else "the reference manager"
    return found, list(entries.values()), manager
