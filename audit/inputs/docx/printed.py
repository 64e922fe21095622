"""One entry of a printed reference list (typed, or shown by a bibliography field) as a
:class:`~audit.model.PrintedReference`: author-date (APA-like) entries read here, numbered
ones (Vancouver…) by :func:`~audit.inputs.reftext.parse_reference_text`."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from audit.inputs.docx.places import quote, squash
from audit.inputs.reftext import parse_reference_text
from audit.model import PrintedReference

LEADING = re.compile(r"\s*(?:\[(\d{1,4})\]|(\d{1,4})[.)])\s*")  # an entry's number: "[1]", "1."
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


def printed(text: str, number: int, para: int, path: Path) -> PrintedReference | None:
    """One printed entry (``text`` with or without its number) as a listed reference."""
    quoted = quote(text)
    lead = LEADING.match(text)
    if lead:
        number, text = int(lead.group(1) or lead.group(2)), text[lead.end():]
    text = squash(text).strip()
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
    return dataclasses.replace(ref, line=para, file=str(path), listed=True, excerpt=quoted)
