"""Word manuscripts written from a :class:`~tests.inputs.spec.Spec`, as people have them (for tests).

Each writer takes a spec and a folder and returns the path of a .docx:

- :func:`write_zotero`, :func:`write_mendeley`, :func:`write_endnote`,
  :func:`write_mendeley_cite`: the fields (or content controls) each reference manager's
  Word plugin writes, with its item data, its numbers shown ("[1]", "[2–4]", by first
  citation, as a Vancouver style numbers them) and its bibliography field holding the
  list rendered by pandoc's citeproc in the Vancouver style;
- :func:`write_typed`: no fields, typed numbers in the list's order (brackets,
  parentheses or superscripts) and the list after a "References" heading, numbered as
  text or by Word's own list numbering; converted from Markdown by pandoc.

The packages are minimal but valid OOXML: ``[Content_Types].xml``, ``_rels/.rels``,
``word/document.xml``, ``word/_rels/document.xml.rels``, ``word/styles.xml``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from audit import pandoc
from audit.styles import resolve_style
from tests.inputs.spec import Spec

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ZOTERO_USER = "4061300"
ENDNOTE_DB = "x9w5d0vfh2ss9ke2f0ax5zt5vrs0zdw25xs0"
CSL_SCHEMA = "https://github.com/citation-style-language/schema/raw/master/csl-citation.json"

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG = "http://schemas.openxmlformats.org/package/2006"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/word/document.xml" ContentType="{_WML}.document.main+xml"/>'
    f'<Override PartName="/word/styles.xml" ContentType="{_WML}.styles+xml"/></Types>')
_RELS = (f'{_XML}<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
         f'Type="{_REL}/officeDocument" Target="word/document.xml"/></Relationships>')
_DOC_RELS = (f'{_XML}<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
             f'Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="{W}">
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/>
<w:rPr><w:b/><w:sz w:val="36"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/>
<w:pPr><w:keepNext/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="28"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Bibliography"><w:name w:val="Bibliography"/>
<w:basedOn w:val="Normal"/><w:pPr><w:ind w:left="640" w:hanging="640"/></w:pPr></w:style>
</w:styles>"""


# --------------------------------------------------------------------------- OOXML pieces

def run(text: str, *, sup: bool = False) -> str:
    """A run of text (superscript if ``sup``)."""
    props = '<w:rPr><w:vertAlign w:val="superscript"/></w:rPr>' if sup else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def paragraph(runs: str, style: str | None = None) -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{props}{runs}</w:p>"


def _char(kind: str, data: str | None = None, lock: bool = False) -> str:
    extra = ' w:fldLock="1"' if lock else ""
    if data is None:
        return f'<w:r><w:fldChar w:fldCharType="{kind}"{extra}/></w:r>'
    return (f'<w:r><w:fldChar w:fldCharType="{kind}"{extra}><w:fldData xml:space="preserve">'
            f"{data}</w:fldData></w:fldChar></w:r>")


def _instr(code: str, piece: int = 250) -> str:
    """A field's instruction, split over runs as Word splits long ones."""
    return "".join(f'<w:r><w:instrText xml:space="preserve">{escape(code[i:i + piece])}'
                   "</w:instrText></w:r>" for i in range(0, len(code), piece))


def field(code: str, shown: str, *, lock: bool = False) -> str:
    """A complex field: begin, instruction, separate, the text it shows, end."""
    return (_char("begin", lock=lock) + _instr(code) + _char("separate", lock=lock)
            + run(shown) + _char("end", lock=lock))


def package(folder: Path, name: str, paragraphs: Sequence[str]) -> Path:
    """A .docx holding ``paragraphs`` (``<w:p>`` elements) as its body."""
    folder.mkdir(parents=True, exist_ok=True)
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document '
                f'xmlns:w="{W}"><w:body>{"".join(paragraphs)}<w:sectPr/></w:body></w:document>')
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("word/document.xml", document)
        z.writestr("word/_rels/document.xml.rels", _DOC_RELS)
        z.writestr("word/styles.xml", _STYLES)
    return path


# --------------------------------------------------------------------------- the list

def compress(numbers: Sequence[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``1–3,5`` (runs of three or more as ranges)."""
    out: list[str] = []
    nums = sorted(set(numbers))
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out += [f"{nums[i]}–{nums[j]}"] if j - i >= 2 else [str(n) for n in nums[i:j + 1]]
        i = j + 1
    return ",".join(out)


def render_list(items: Sequence[dict[str, Any]], folder: Path, style: str = "vancouver") -> list[str]:
    """The references as pandoc's citeproc prints them in ``style``, in the order given,
    each ``"N. text"``."""
    folder.mkdir(parents=True, exist_ok=True)
    refs = folder / "render-references.json"
    refs.write_text(json.dumps(list(items), ensure_ascii=False), "utf-8")
    body = " ".join(f"[@{item['id']}]" for item in items)
    result = pandoc.run(["-f", "markdown", "-t", "plain", "--wrap=none", "--citeproc",
                         "--csl", str(resolve_style(style).path), "--bibliography", str(refs)],
                        input_text=body + "\n")
    blocks = [b.strip() for b in result.stdout.split("\n\n") if b.strip()]
    entries = [b for b in blocks if re.match(r"\d+\. ", b)]
    assert len(entries) == len(items), result.stdout
    return entries


def _numbered(spec: Spec) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Numbers by first citation, and the cited items in that order (a Vancouver list)."""
    order = [k for k in spec.cited() if spec.listed(k)]  # a field carries its item: no other
    return {k: i for i, k in enumerate(order, 1)}, [spec.item(k) for k in order]


def _write_fields(spec: Spec, folder: Path, name: str,
                  cite: Callable[[list[str], str, int], str], bibliography: str) -> Path:
    """The spec with each citation group as the field ``cite(keys, shown, n)`` writes, and the
    bibliography field (instruction ``bibliography``) over the rendered list."""
    numbers, cited = _numbered(spec)
    paragraphs = [paragraph(run(spec.title), "Title")]
    n = 0
    for text in spec.paragraphs:
        runs = []
        for piece in spec.pieces(text):
            keys = [k for k in piece if k in numbers] if isinstance(piece, list) else []
            if isinstance(piece, str):
                runs.append(run(piece))
            elif keys:
                n += 1
                runs.append(cite(keys, f"[{compress([numbers[k] for k in keys])}]", n))
        paragraphs.append(paragraph("".join(runs)))
    paragraphs.append(paragraph(run(spec.heading), "Heading1"))
    entries = [run(number + ".") + "<w:r><w:tab/></w:r>" + run(text)  # "1.", a tab, the text
               for number, text in (e.split(". ", 1) for e in render_list(cited, folder / ".render"))]
    if bibliography == "MENDELEY_BIBLIOGRAPHY":  # a content control around the paragraphs
        paragraphs.append(_control(bibliography, "".join(paragraph(e, "Bibliography")
                                                          for e in entries)))
        return package(folder, name, paragraphs)
    for i, entry in enumerate(entries):
        start = (_char("begin") + _instr(bibliography) + _char("separate")) if i == 0 else ""
        end = _char("end") if i == len(entries) - 1 else ""
        paragraphs.append(paragraph(start + entry + end, "Bibliography"))
    return package(folder, name, paragraphs)


# --------------------------------------------------------------------------- Zotero, Mendeley

def zotero_key(key: str) -> str:
    """The Zotero item key (8 characters) a spec key is given."""
    return base64.b32encode(hashlib.sha1(key.encode()).digest()).decode()[:8]


def mendeley_key(key: str) -> str:
    """The Mendeley document uuid a spec key is given."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mendeley:{key}"))


def _csl_payload(spec: Spec, keys: list[str], shown: str, n: int, manager: str) -> dict[str, Any]:
    items = []
    for i, key in enumerate(keys, 1):
        if manager == "zotero":
            number = [item["id"] for item in spec.items].index(key) + 1
            uri = f"http://zotero.org/users/{ZOTERO_USER}/items/{zotero_key(key)}"
            items.append({"id": number, "uris": [uri], "uri": [uri],
                          "itemData": {**spec.item(key), "id": number}})
        else:  # Mendeley Desktop numbers the items of each field afresh; Mendeley Cite does not
            ident = f"ITEM-{i}" if manager == "mendeley" else mendeley_key(key)
            uri = f"http://www.mendeley.com/documents/?uuid={mendeley_key(key)}"
            items.append({"id": ident, "itemData": {**spec.item(key), "id": ident}, "uris": [uri]})
    if manager == "zotero":
        return {"citationID": f"c{n:07d}", "properties": {"formattedCitation": shown,
                "plainCitation": shown, "noteIndex": 0}, "citationItems": items,
                "schema": CSL_SCHEMA}
    return {"citationItems": items, "mendeley": {"formattedCitation": shown,
            "plainTextFormattedCitation": shown, "previouslyFormattedCitation": shown},
            "properties": {"noteIndex": 0}, "schema": CSL_SCHEMA}


def write_zotero(spec: Spec, folder: Path) -> Path:
    """``zotero.docx``: Zotero's ``ZOTERO_ITEM CSL_CITATION`` fields and ``ZOTERO_BIBL``."""
    def cite(keys: list[str], shown: str, n: int) -> str:
        payload = json.dumps(_csl_payload(spec, keys, shown, n, "zotero"), ensure_ascii=False)
        return field(f" ADDIN ZOTERO_ITEM CSL_CITATION {payload} ", shown)

    return _write_fields(spec, folder, "zotero.docx", cite,
                         ' ADDIN ZOTERO_BIBL {"uncited":[],"omitted":[],"custom":[]} CSL_BIBLIOGRAPHY ')


def write_mendeley(spec: Spec, folder: Path) -> Path:
    """``mendeley.docx``: Mendeley Desktop's ``CSL_CITATION`` fields (locked, as it writes
    them) and its ``Mendeley Bibliography`` field."""
    def cite(keys: list[str], shown: str, n: int) -> str:
        payload = json.dumps(_csl_payload(spec, keys, shown, n, "mendeley"), ensure_ascii=False)
        return field(f"ADDIN CSL_CITATION {payload}", shown, lock=True)

    return _write_fields(spec, folder, "mendeley.docx", cite,
                         "ADDIN Mendeley Bibliography CSL_BIBLIOGRAPHY ")


def write_mendeley_cite(spec: Spec, folder: Path) -> Path:
    """``mendeley-cite.docx``: Mendeley Cite's content controls, each tagged
    ``MENDELEY_CITATION_v3_`` and the citation's JSON in base64, and ``MENDELEY_BIBLIOGRAPHY``."""
    def cite(keys: list[str], shown: str, n: int) -> str:
        payload = json.dumps(_csl_payload(spec, keys, shown, n, "mendeley-cite"))
        tag = base64.b64encode(payload.encode()).decode()
        return _control(f"MENDELEY_CITATION_v3_{tag}", run(shown))

    return _write_fields(spec, folder, "mendeley-cite.docx", cite, "MENDELEY_BIBLIOGRAPHY")


def _control(tag: str, content: str) -> str:
    """A content control (``w:sdt``) tagged ``tag``."""
    return (f'<w:sdt><w:sdtPr><w:tag w:val="{tag}"/></w:sdtPr>'
            f"<w:sdtContent>{content}</w:sdtContent></w:sdt>")


# --------------------------------------------------------------------------- EndNote

_EN_TYPES = {"article-journal": ("Journal Article", 17), "book": ("Book", 6),
             "chapter": ("Book Section", 5), "report": ("Report", 27),
             "webpage": ("Web Page", 12)}


def endnote_number(spec: Spec, key: str) -> str:
    """The EndNote record number (``RecNum``) a spec key is given."""
    return str(100 + [item["id"] for item in spec.items].index(key))


def _styled(text: str) -> str:
    return f'<style face="normal" font="default" size="100%">{escape(text)}</style>'


def endnote_record(spec: Spec, key: str) -> str:
    """An EndNote ``<record>`` for a spec item, as EndNote writes one in a citation."""
    item, number = spec.item(key), endnote_number(spec, key)
    name, code = _EN_TYPES.get(item.get("type", ""), ("Generic", 13))
    names = [a["literal"] + "," if "literal" in a else f"{a['family']}, {a.get('given', '')}"
             for a in item.get("author", [])]  # a corporate author ends with a comma
    authors = "".join(f"<author>{_styled(name)}</author>" for name in names)
    parts = [f"<rec-number>{number}</rec-number><foreign-keys><key app=\"EN\" db-id="
             f"{quoteattr(ENDNOTE_DB)}>{number}</key></foreign-keys>",
             f"<ref-type name={quoteattr(name)}>{code}</ref-type>",
             f"<contributors><authors>{authors}</authors></contributors>",
             f"<titles><title>{_styled(item.get('title', ''))}</title>"]
    journal = item.get("container-title")
    parts.append(f"<secondary-title>{escape(journal)}</secondary-title></titles>" if journal
                 else "</titles>")
    if journal and name == "Journal Article":
        short = item.get("container-title-short")
        parts.append(f"<periodical><full-title>{escape(journal)}</full-title>"
                     + (f"<abbr-1>{escape(short)}</abbr-1>" if short else "") + "</periodical>")
    for csl, tag in (("page", "pages"), ("volume", "volume"), ("issue", "number"),
                     ("publisher", "publisher"), ("publisher-place", "pub-location")):
        if item.get(csl):
            parts.append(f"<{tag}>{escape(str(item[csl]))}</{tag}>")
    year = (item.get("issued") or {}).get("date-parts", [[None]])[0][0]
    if year:
        parts.append(f"<dates><year>{year}</year></dates>")
    if item.get("PMID"):
        parts.append(f"<accession-num>{item['PMID']}</accession-num>")
    if item.get("DOI"):
        parts.append(f"<electronic-resource-num>{escape(item['DOI'])}</electronic-resource-num>")
    if item.get("URL"):
        parts.append(f"<urls><related-urls><url>{escape(item['URL'])}</url></related-urls></urls>")
    return f"<record>{''.join(parts)}</record>"


def write_endnote(spec: Spec, folder: Path) -> Path:
    """``endnote.docx``: EndNote's ``EN.CITE`` fields (every second one, as EndNote does for
    long ones, with its XML in base64 in a nested ``EN.CITE.DATA`` field) and ``EN.REFLIST``."""
    def cite(keys: list[str], shown: str, n: int) -> str:
        cites = []
        for i, key in enumerate(keys):
            item = spec.item(key)
            first = (item.get("author") or [{}])[0]
            year = (item.get("issued") or {}).get("date-parts", [[""]])[0][0]
            display = f"<DisplayText>{escape(shown)}</DisplayText>" if i == 0 else ""
            cites.append(f"<Cite><Author>{escape(first.get('family') or first.get('literal', ''))}"
                         f"</Author><Year>{year}</Year><RecNum>{endnote_number(spec, key)}</RecNum>"
                         f"{display}{endnote_record(spec, key)}</Cite>")
        xml = f"<EndNote>{''.join(cites)}</EndNote>"
        if n % 2:
            return field(f" ADDIN EN.CITE {xml}", shown)
        data = base64.b64encode(xml.encode()).decode()
        return (_char("begin", data) + _instr(" ADDIN EN.CITE ") + _char("begin", data)
                + _instr(" ADDIN EN.CITE.DATA ") + _char("end") + _char("separate")
                + run(shown) + _char("end"))

    return _write_fields(spec, folder, "endnote.docx", cite, " ADDIN EN.REFLIST ")


# --------------------------------------------------------------------------- typed

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|@^~$])")


def write_typed(spec: Spec, folder: Path, *, marks: Sequence[str] = ("brackets",),
                numbering: str = "text") -> Path:
    """``typed.docx``: citation groups typed as the list's numbers (the spec's order, which
    need not be the order of first citation), written in turn as each of ``marks``
    (``brackets`` [1], ``parens`` (1), ``superscript``); the list under the spec's heading,
    numbered as text (``1.`` then a tab, as citeproc prints it) or by Word
    (``numbering="word"``). Text in the spec's paragraphs is kept as typed; the file is
    pandoc's conversion of that Markdown."""
    groups = 0
    body = []
    for text in spec.paragraphs:
        out = []
        for piece in spec.pieces(text):
            if isinstance(piece, str):
                out.append(piece)
                continue
            numbers = compress([spec.number(k) for k in piece])
            mark = marks[groups % len(marks)]
            groups += 1
            out.append({"brackets": f"\\[{numbers}\\]", "parens": f"({numbers})",
                        "superscript": f"^{numbers}^"}[mark])
        body.append("".join(out))
    entries = [_MD_SPECIAL.sub(r"\\\1", e) for e in render_list(list(spec.items), folder / ".render")]
    if numbering == "word":
        listing = "\n".join("1. " + e.split(". ", 1)[1] for e in entries)
    else:
        listing = ('::: {custom-style="Bibliography"}\n'
                   + "\n\n".join(e.replace(". ", "\\. ", 1) for e in entries) + "\n:::")
    markdown = (f"---\ntitle: {json.dumps(spec.title)}\n---\n\n" + "\n\n".join(body)
                + f"\n\n# {spec.heading}\n\n{listing}\n")
    path = folder / "typed.docx"
    pandoc.run(["-f", "markdown", "-t", "docx", "-o", str(path)], input_text=markdown)
    return path
