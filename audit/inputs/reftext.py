"""Parse a pasted, numbered reference list (Vancouver/NLM style) into CSL JSON items.

The work is split in small steps:

* :func:`split_entries` finds the numbered entries (``1.``, ``1``, ``[1]``, ``1)``) and
  joins wrapped lines;
* :func:`_take_identifiers` takes DOI, PMID, PMCID, URL and "Accessed ..." out of the text,
  wherever they are printed;
* :func:`audit.names.parse_authors` reads the author block at the start of an entry;
* :func:`parse_tail` reads journal, date, volume, issue and pages (or a book's
  ``Place: Publisher; Year``) at the end.

Nothing here raises on odd input: what could not be read is listed in ``problems``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from audit.model import PrintedReference
from audit.names import author_list, group_sentence, parse_authors

__all__ = ["parse_reference_text", "parse_tail", "split_entries"]


# --------------------------------------------------------------------------- lines

_CHARMAP = str.maketrans(
    {
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u200b": "",
        "\u00ad": "", "\ufeff": "", "\x00": "", "\x0c": " ", "\t": " ",
        "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    }
)  # fmt: skip
_START = re.compile(
    r"\s*(?:\[(?P<br>\d{1,5})\]\s*|(?P<dl>\d{1,5})[.)](?:\s+|(?=[^\W\d_]))|(?P<bare>\d{1,5})\s+)"
)
_HEADING = re.compile(
    r"(?i)(?:references?(?: list)?|bibliography|literature(?: cited)?|works cited|notes)\s*:?"
)
_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.?"
    r"|Spring|Summer|Fall|Autumn|Winter"
)
_MONTH_START = re.compile(rf"(?:{_MONTH})[\s;,]")
# first parts and second parts of compounds that keep their hyphen at a line break
_COMPOUND_FIRST = frozenset(
    {
        "non", "self", "long", "short", "high", "low", "well", "cross", "follow", "post", "pre",
        "co", "anti", "semi", "single", "double", "multi", "dual", "first", "second", "third",
        "image", "evidence", "time", "end", "large", "small", "open", "full", "half", "real",
        "case", "population", "community", "health", "cost", "age", "sex", "risk", "state",
        "world", "day", "year"
    }
)
_COMPOUND_SECOND = frozenset(
    {
        "guided", "based", "related", "induced", "term", "year", "years", "center", "centre",
        "centred", "centered", "free", "like", "specific", "dependent", "associated", "up",
        "analysis", "level", "dose", "risk", "control", "controlled", "blind", "institutional",
        "national", "sectional"
    }
)


@dataclass
class _Entry:
    number: int
    line: int
    parts: list[str]
    problems: list[str]


def _clean(line: str) -> str:
    return " ".join(unicodedata.normalize("NFC", line).translate(_CHARMAP).split())


def _entry_start(line: str, last: int | None, after_break: bool) -> tuple[int, str] | None:
    """``(number, rest)`` if ``line`` starts a new entry after entry ``last``."""
    m = _START.match(line + " ")  # "12." alone on its line: the text follows on the next
    if not m:
        return None
    rest = line[m.end():]
    if m.group("bare"):
        number = int(m.group("bare"))
        if not rest or not rest[0].isalpha() or _MONTH_START.match(rest):
            return None
        if last is None:
            return (number, rest) if number < 1000 else None
    else:
        number = int(m.group("br") or m.group("dl"))
        if last is None:
            return number, rest
        if after_break and last < number <= last + 10:
            return number, rest
    return (number, rest) if number == last + 1 else None


def _join(a: str, b: str, text: str) -> str:
    """Join a wrapped line ``b`` to ``a``; drop a line-end hyphen only for clear hyphenation."""
    last = a.rsplit(" ", 1)[-1]
    urlish = "/" in last or last.lower().startswith(("http", "www.", "doi", "10."))
    if urlish and a.endswith(("/", "-", "_", "=", "&", "?", "#", "%")):
        return a + b
    if not a.endswith("-") or len(a) < 2:
        return f"{a} {b}"
    frag = re.search(r"([^\W\d_]+)-$", a)
    word = re.match(r"[^\W\d_]+", b)
    if (
        frag
        and word
        and frag.group(1).islower()
        and word.group(0).islower()
        and len(frag.group(1)) > 1
        and frag.group(1).lower() not in _COMPOUND_FIRST
        and word.group(0).lower() not in _COMPOUND_SECOND
        and f"{frag.group(1)}-{word.group(0)}".lower() not in text
    ):
        return a[:-1] + b
    return a + b


def split_entries(text: str) -> list[tuple[int, int, str, list[str]]]:
    """``(number, line, raw, problems)`` for each numbered entry of ``text``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lowered = text.lower()
    entries: list[_Entry] = []
    after_break = True
    for lineno, line in enumerate(lines, 1):
        clean = _clean(line)
        if not clean or _HEADING.fullmatch(clean):
            after_break = True
            continue
        prev = entries[-1] if entries else None
        if prev and not after_break:
            end = prev.parts[-1][-1:]
            after_break = not end or end in ".])>" or end.isdigit()
        start = _entry_start(clean, prev.number if prev else None, after_break)
        if start:
            problems = []
            if prev and start[0] != prev.number + 1:
                problems.append(f"number {start[0]} follows {prev.number}")
            entries.append(_Entry(start[0], lineno, [start[1]], problems))
        elif prev:
            prev.parts.append(clean)
        after_break = False
    out = []
    for e in entries:
        raw = e.parts[0]
        for part in e.parts[1:]:
            raw = _join(raw, part, lowered) if raw else part
        out.append((e.number, e.line, raw, e.problems))
    return out


# --------------------------------------------------------------------------- identifiers

_DATE = (
    r"\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?,?\s+\d{4}"
    r"|[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{4}\s+[A-Za-z]{3,9}\.?(?:\s+\d{1,2}(?!\d))?"
    r"|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4}|[A-Za-z]{3,9}\.?\s+\d{4}"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_DOI = re.compile(r"(?i)(?:\bdoi\s*:?\s*|\bhttps?://(?:dx\.)?doi\.org/)?\b(10\.\d{4,9}/[^\s\]]+)")
# NLM's Citing Medicine prints them as "PubMed PMID: 123; PubMed Central PMCID: PMC456"
_PMID = re.compile(r"(?i)(?:\bPubMed\s+)?\bPMID\s*:?\s*(\d{1,9})\b")
_PMCID = re.compile(r"(?i)(?:(?:\bPubMed\s+Central\s+)?\bPMCID\s*:?\s*)?\b(PMC\d{3,9})\b")
_URL = re.compile(r"(?i)(?:\b(?:available\s+(?:from|at)|URL)\s*:?\s*)?\b((?:https?://|www\.)[^\s<>\"]+)")
_ACCESSED = re.compile(
    rf"(?i)\[?\b(?:last\s+)?(?:accessed|retrieved|viewed|cited)(?:\s+on)?\s*:?\s*({_DATE})\]?"
)
_EPUB = re.compile(
    r"(?i)\[?\b(?:epub(?:\s+ahead\s+of\s+print)?|published\s+online)\b"
    r"(?:\s*:?\s*(?:\d{4}(?:\s+[A-Za-z]{3,9}\.?(?:\s+\d{1,2})?)?|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}))?\]?"
)
_NOTES = re.compile(
    r"(?:Erratum|Comment|Retraction|Update|Corrected and republished) (?:in|for|of):.*?"
    r"(?=\b(?:PMID|PMCID|doi)\b|$)"
)


def _date_parts(text: str) -> list[int] | None:
    """``[year, month, day]`` (as far as printed) from a printed date, or None."""
    year = re.search(r"\b\d{4}\b", text)
    if not year:
        return None
    parts = [int(year.group(0))]
    nums = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})/(\d{1,2})/\d{4}", text)
    if nums:  # ISO, or day/month/year (the Vancouver and European order)
        month, day = (nums.group(2), nums.group(3)) if nums.group(1) else nums.group(5, 4)
        return [*parts, int(month), int(day)] if 1 <= int(month) <= 12 else parts
    name = re.search(r"[A-Za-z]{3,9}", text)
    month = _MONTHS.get(name.group(0)[:3].lower()) if name else None
    if month:
        parts.append(month)
        day = re.search(r"(?<!\d)(\d{1,2})(?!\d)", text)
        if day and 1 <= int(day.group(1)) <= 31:
            parts.append(int(day.group(1)))
    return parts


def _trim_id(value: str) -> str:
    """Strip the sentence's punctuation from an identifier (keep balanced parentheses)."""
    while value and value[-1] in ".,;:'\"’>":
        value = value[:-1]
    while value.endswith(")") and value.count(")") > value.count("("):
        value = value[:-1].rstrip(".,;:")
    return value


def _take_identifiers(text: str) -> tuple[str, dict[str, Any], bool]:
    """``(rest, fields, internet)``: ``text`` without its identifiers, and the identifiers."""
    found: dict[str, Any] = {}
    text = _NOTES.sub(" ", text)
    for key, pattern in (("DOI", _DOI), ("PMCID", _PMCID), ("PMID", _PMID), ("URL", _URL)):
        m = pattern.search(text)
        if m:
            found[key] = _trim_id(m.group(1))
        text = pattern.sub("\0", text)
    m = _ACCESSED.search(text)
    if m and (parts := _date_parts(m.group(1))):
        found["accessed"] = {"date-parts": [parts]}
    text = _EPUB.sub("\0", _ACCESSED.sub("\0", text))
    internet = "[internet]" in text.lower()
    text = re.sub(r"(?i)\s*\[internet\]", "", text)
    # what was taken out leaves a sentence break (and maybe empty brackets) behind
    text = re.sub(r"[\s.,;:]*\0(?:[\s.,;:]*\0)*[\s.,;:]*", ". ", text)
    text = re.sub(r"\[[\s.,;:]*\]|\([\s.,;:]*\)", " ", text)
    text = re.sub(r"\s+\.", ".", " ".join(text.split()))
    return text.strip(" .,;:"), found, internet


# --------------------------------------------------------------------------- tail

_YEAR = re.compile(r"(?<![\d.\-/])((?:1[6-9]|20)\d{2})[a-z]?(?![\d)\]/-])")
_MONTH_DAY = re.compile(rf"\s+({_MONTH}(?:\s*[-/]\s*(?:{_MONTH}))?)(?:\s+(\d{{1,2}})(?![\d:]))?")
_VOLUME = re.compile(r"\s*[;,]\s*(\d+[A-Za-z]?(?:\s+Suppl\s*\d*)?|[A-Za-z]\d+)?\s*(?:\(([^()]{1,30})\))?")
_PAGE_ONE = r"[A-Za-z]{0,4}\d+[A-Za-z]{0,2}(?:\s*[-–—‒−]\s*[A-Za-z]{0,4}\d+[A-Za-z]{0,2})?"
_PAGES = re.compile(rf"{_PAGE_ONE}(?:\s*,\s*{_PAGE_ONE})*")
_PP = re.compile(rf"\bpp?\.?\s*({_PAGE_ONE})")
_WEAK_END = re.compile(r"\s*(?:[.;,:]|$)")
_EDITION = re.compile(r"(?i)[.,]?\s*((?:\d+(?:st|nd|rd|th)|[a-z]+)\s+(?:rev\.?\s+)?ed(?:ition)?)\.?$")


@dataclass
class _Tail:
    start: int
    date: list[int]
    volume: str | None = None
    issue: str | None = None
    page: str | None = None
    leftover: str = ""

    @property
    def strong(self) -> bool:
        return bool(self.volume or self.issue or self.page)


def _read_tail(text: str, m: re.Match[str]) -> _Tail | None:
    """Date, volume, issue and pages from the year ``m`` on; None if not a date."""
    tail = _Tail(m.start(), [int(m.group(1))])
    pos = m.end()
    if md := _MONTH_DAY.match(text, pos):
        parts = _date_parts(f"{m.group(1)} {md.group(1)} {md.group(2) or ''}")
        tail.date = parts or tail.date
        pos = md.end()
    vol = _VOLUME.match(text, pos)
    if vol and (vol.group(1) or vol.group(2)):
        tail.volume, tail.issue = vol.group(1), vol.group(2)
        pos = vol.end()
        sep = re.compile(r"\s*:\s*" if not tail.issue else r"\s*:\s*|\s+").match(text, pos)
        page = _PAGES.match(text, sep.end()) if sep else None
        if page:
            tail.page = re.sub(r"\s*[-–—‒−]\s*", "-", page.group(0))
            pos = page.end()
    elif not _WEAK_END.match(text, pos):
        return None
    tail.leftover = text[pos:].strip(" .;,:")
    return tail


def parse_tail(text: str) -> tuple[str, dict[str, Any], list[str]]:
    """``(head, fields, problems)``: the date/volume/pages at the end of ``text`` and the
    journal (or ``Place: Publisher``) printed before it; ``head`` is the text before that."""
    best: _Tail | None = None
    for m in _YEAR.finditer(text):
        tail = _read_tail(text, m)
        if tail and (best is None or tail.strong or not best.strong):
            best = tail
    if best is None:
        return text, {}, []
    out: dict[str, Any] = {"issued": {"date-parts": [best.date]}}
    for key in ("volume", "issue", "page"):
        if value := getattr(best, key):
            out[key] = value
    problems = []
    if best.leftover:
        if not best.page and (pp := _PP.search(best.leftover)):
            out["page"] = re.sub(r"\s*[-–—‒−]\s*", "-", pp.group(1))
        elif not re.fullmatch(r"\[[^\]]*\]|\([^)]*\)", best.leftover):
            problems.append(f"text after the date not parsed: {best.leftover!r}")
    head = text[: best.start].rstrip()
    publisher = head.endswith((";", ","))
    head = head.rstrip(" .,;:")
    cut = max((m.end() for m in re.finditer(r"[.?!]\s+", head)), default=0)
    # "J. Am. Chem. Soc." style: single abbreviated words belong to the journal
    while cut and (prev := re.search(r"(?:^|[.?!]\s+)([A-Z][a-z]{0,5}\.)\s+$", head[:cut])):
        if prev.start(1) == 0:
            break
        cut = prev.start(1)
    container = head[cut:].strip()
    if publisher:
        place, _, name = container.rpartition(":")
        out["publisher"] = name.strip()
        if place.strip():
            out["publisher-place"] = place.strip()
    elif container:
        out["container-title"] = container
    return head[:cut].strip(), out, problems


# --------------------------------------------------------------------------- entries


def _title(text: str) -> str:
    text = text.strip()
    return text[:-1].rstrip() if text.endswith(".") else text


def _chapter(head: str, tail: dict[str, Any], item: dict[str, Any]) -> str:
    """Split ``Chapter title. In: Editor A, editors. Book title. 2nd ed`` (edits ``item``);
    return the chapter title, or ``head`` unchanged if it is not a chapter."""
    chapter = re.search(r"(?:^|(?<=[.?!]))\s*In:\s+", head)
    if not chapter:
        return head
    book = head[chapter.end():]
    eds = re.match(r"(.*?),?\s+(?:editors?|eds?)\.?\s+(?=\S)", book)
    if eds:
        item["editor"] = author_list(eds.group(1))[0]
        book = book[eds.end():]
    if "container-title" in tail:  # no "Place: Publisher;": the last part was the book
        book = ". ".join(filter(None, [book, tail.pop("container-title")]))
    if ed := _EDITION.search(book):
        item["edition"] = ed.group(1)
        book = book[: ed.start()]
    item["container-title"] = _title(book)
    item["type"] = "chapter"
    return head[: chapter.start()]


def _kind(item: dict[str, Any], internet: bool) -> str:
    if item.get("type"):
        return str(item["type"])
    if item.get("container-title") and (item.get("volume") or item.get("page")):
        return "article-journal"
    if item.get("URL") or internet:
        return "webpage"
    if "publisher" in item:
        return "report" if re.search(r"(?i)\breport\b", item.get("title", "")) else "book"
    return "article-journal"


def _missing(item: dict[str, Any]) -> list[str]:
    """The problems of a parsed item: what an entry of its type should have and does not."""
    kind = item["type"]
    problems = [] if item.get("title") else ["no title found"]
    if kind != "webpage":
        problems += [] if item.get("author") else ["no authors found"]
        problems += [] if "issued" in item else ["no year found"]
    if kind == "article-journal":
        problems += [] if item.get("container-title") else ["no journal found"]
        if "issued" in item and not (item.get("volume") or item.get("page")):
            problems.append("no volume or pages found")
    return problems


def _parse_entry(number: int, line: int, raw: str, problems: list[str]) -> PrintedReference:
    item: dict[str, Any] = {"id": f"ref-{number}"}
    core, ids, internet = _take_identifiers(raw)
    if not core and not ids:
        item["type"] = "article-journal"
        return PrintedReference(number, line, raw, item, False, (*problems, "empty entry"))
    names, et_al, rest = parse_authors(core)
    while names and (group := group_sentence(rest)):
        names.append({"literal": group[0]})
        rest = group[1]
    head, tail, tail_problems = parse_tail(rest)
    if names and all("literal" in n for n in names) and not head and not et_al:
        # the "group author" was the title of an entry printed without authors
        names, rest = [], core
        head, tail, tail_problems = parse_tail(rest)
    head = _chapter(head, tail, item)
    if "publisher" in tail and "type" not in item and (ed := _EDITION.search(head)):
        item["edition"] = ed.group(1)
        head = head[: ed.start()]
    item.update(tail)
    item.update(ids)
    if title := _title(head):
        item["title"] = title
    item["type"] = _kind(item, internet)
    if item["type"] == "webpage" and not tail:
        # "Site name website. Page title. URL. Accessed ...", or just "Page title. URL ..."
        if len(names) == 1 and names[0].get("literal", "").lower().endswith("website"):
            item["container-title"] = names[0]["literal"]
            names = [{"literal": re.sub(r"(?i)\s*web\s?site$", "", names[0]["literal"])}]
        if not rest and names and all("literal" in n for n in names):
            item["title"], names = ", ".join(n["literal"] for n in names), []
    if names:
        item["author"] = names
    problems = [*problems, *tail_problems, *_missing(item)]
    return PrintedReference(number, line, raw, item, et_al, tuple(problems))


def parse_reference_text(text: str, path: str = "<text>") -> list[PrintedReference]:
    """Parse a pasted numbered reference list; ``[]`` if it has no numbered entries.

    ``path`` names the source in messages; it is not read.
    """
    del path  # only for the caller's messages
    if not isinstance(text, str) or not text.strip():
        return []
    entries = split_entries(text)
    if not any(raw for _, _, raw, _ in entries):
        return []  # only bare numbers: not a reference list
    return [_parse_entry(*entry) for entry in entries]
