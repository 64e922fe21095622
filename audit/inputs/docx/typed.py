"""Typed citations (no citation field): numbers in brackets, parentheses or superscript,
pointing at the numbered list after a heading "References", "Bibliography", "Literature
cited" or "Works cited" (or, with no heading, the paragraphs in Word's "Bibliography"
style); keys ``#1``, ``#2``… as for any printed list (``citation-order`` when the list is
not numbered by first citation). Numbered citations with no list to point at are an
``input-error``.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from audit.inputs.docx.paragraphs import Para, Walker
from audit.inputs.docx.places import Places, quote
from audit.inputs.docx.printed import LEADING, printed
from audit.model import Citation, Finding, PrintedReference, Severity

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


def _groups(para: Para, limit: int) -> list[tuple[int, int, list[int]]]:
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


def _reference_list(paras: list[Para]
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
        short_bold = p.bold and len(text.split()) <= 8 and not LEADING.match(text)
        if (p.heading or p.in_table or short_bold or "caption" in p.style or _CAPTION.match(text)
                or (styled and "bibliography" not in p.style)):
            stop = i
            break
        number: int | None = None
        if p.numbered:
            auto += 1
            number = auto
        elif lead := LEADING.match(text):
            number, text = int(lead.group(1) or lead.group(2)), text[lead.end():]
        elif (bare := _BARE.match(text)) and items and items[-1][1] == int(bare.group(1)) - 1:
            number, text = int(bare.group(1)), text[bare.end():]
        if number is None and any(n is not None for _, n, _ in items):
            para, n, before = items[-1]  # a paragraph that continues the entry above
            items[-1] = (para, n, f"{before} {text}")
            continue
        items.append((p.number, number, text))
    return range(heading + styled, stop), items


def citations(path: Path, body: Walker, notes: dict[str, Walker], places: Places
              ) -> tuple[list[Citation], list[PrintedReference], list[Finding]]:
    """The typed citations of the body and the notes in document order, the printed list,
    and the findings on them (``citation-order``, or an ``input-error`` with no list)."""
    found = _reference_list(body.paras)
    region, listed = found if found else (range(0), [])
    numbered = any(n is not None for _, n, _ in listed)
    refs = []
    for i, (para, number, text) in enumerate(listed, 1):
        ref = printed(text if number is None else f"{number}. {text}", i, para, path)
        if ref is not None:
            refs.append(ref if numbered else dataclasses.replace(ref, listed=False))
    if not numbered or not refs:
        return [], refs, [] if found else _no_list(path, body)
    numbers = [r.number for r in refs]
    limit = max(numbers) + max(3, max(numbers) // 10)
    cited: list[tuple[tuple[int, int, int], Citation]] = []
    sources: list[tuple[tuple[str, str] | None, Para]] = [
        (None, p) for i, p in enumerate(body.paras) if i not in region]
    sources += [(p.note, p) for w in notes.values() for p in w.paras]
    for seq, (note, p) in enumerate(sources):
        for start, end, nums in _groups(p, limit):
            place = places.at(note, p.number, start, end, seq)
            cited += [(place.order, Citation(f"#{n}", str(path), place.line, excerpt=place.excerpt))
                      for n in nums]
    cited.sort(key=lambda pair: pair[0])
    out = [c for _, c in cited]
    return out, refs, _order(out, set(numbers))


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


def _no_list(path: Path, body: Walker) -> list[Finding]:
    """Numbered citations with no reference list to point at are not a clean manuscript."""
    seen = [p for p in body.paras if re.search(r"\[\d{1,3}(?:\s*[-–,]\s*\d{1,3})*\]", p.text)]
    if len(seen) < 2:
        return []
    return [Finding("input-error", Severity.ERROR,
                    "the text has numbered citations such as '[1]' but no reference list was "
                    "found (a heading 'References', 'Bibliography', 'Literature cited' or "
                    "'Works cited' followed by the list): the citations were not checked",
                    file=str(path), line=seen[0].number, excerpt=quote(seen[0].text))]
