"""EndNote's XML record (``<record>``, as an ``EN.CITE`` field carries it) as CSL JSON."""

from __future__ import annotations

import re
from typing import Any

from audit.identifiers import normalize_doi, normalize_pmid

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


def text_of(el: Any) -> str:
    """An element's text, whitespace collapsed ("" for None)."""
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
        return text_of(record.find(path))

    ref_type = record.find("ref-type")
    kind = _EN_TYPES.get((ref_type.get("name") or "").lower() if ref_type is not None else "",
                         "document")
    item: dict[str, Any] = {"type": kind}
    authors = [_en_name(text_of(a)) for a in record.iterfind("contributors/authors/author")]
    if authors := [a for a in authors if any(a.values())]:
        item["author"] = authors
    editors = [_en_name(text_of(a)) for a in record.iterfind("contributors/secondary-authors/author")]
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
