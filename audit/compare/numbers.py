"""Year, volume, issue and pages: the same numbers written another way, a near miss, or
other numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from audit.compare.text import Difference, as_text, normalize_text

# ------------------------------------------------------------------------- year

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?!\d)")


def _date_year(date: Any) -> int | None:
    if isinstance(date, dict):
        parts = date.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            try:
                return int(str(parts[0][0]).strip())
            except ValueError:
                pass
        for key in ("literal", "raw", "season"):
            if date.get(key):
                return _date_year(str(date[key]))
        return None
    if isinstance(date, int) and not isinstance(date, bool):
        return date
    if isinstance(date, str):
        m = _YEAR.search(date)
        return int(m.group(1)) if m else None
    return None


def year_of(item: Mapping[str, Any]) -> int | None:
    """The year of publication: ``issued`` (date-parts, literal or raw), else a ``year`` key."""
    for key in ("issued", "year"):
        year = _date_year(item.get(key))
        if year is not None:
            return year
    return None


def grade_year(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    f_year = year_of(found)
    e_year = year_of(expected)
    if f_year is None or e_year is None:
        return None
    candidates = {e_year}
    for key in ("published-print", "published-online", "original-date"):
        year = _date_year(expected.get(key))
        if year is not None:
            candidates.add(year)
    if f_year in candidates:
        return None
    off = min(abs(f_year - y) for y in candidates)
    if off == 1:
        return Difference(
            "year", "warning", str(e_year), str(f_year),
            f"{f_year} vs {e_year}: off by one year (online vs print publication?)",
        )  # fmt: skip
    return Difference("year", "error", str(e_year), str(f_year), f"{f_year} vs {e_year}: off by {off} years")



# --------------------------------------------------------------- volume, issue

_LEADING_NUMBER = re.compile(r"\d+")


def _norm_number(value: str) -> str:
    text = normalize_text(value)
    text = re.sub(r"^(?:vol(?:ume)?|no|number|issue)\s+", "", text)
    return " ".join(str(int(t)) if t.isdigit() else t for t in text.split())


def _first_number(value: str) -> str | None:
    m = _LEADING_NUMBER.search(value)
    return str(int(m.group(0))) if m else None


def grade_volume(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    if found.get("volume") == expected.get("volume"):
        return None
    f_vol, e_vol = as_text(found.get("volume")), as_text(expected.get("volume"))
    if not _norm_number(f_vol) or not _norm_number(e_vol) or _norm_number(f_vol) == _norm_number(e_vol):
        return None
    if _first_number(f_vol) is not None and _first_number(f_vol) == _first_number(e_vol):
        return Difference(
            "volume", "warning", e_vol, f_vol,
            f"volume {f_vol!r} vs {e_vol!r}: same number, different qualifier",
        )  # fmt: skip
    return Difference("volume", "error", e_vol, f_vol, f"different volume: {f_vol!r} vs {e_vol!r}")


def _first_pages_agree(found: dict[str, Any], expected: dict[str, Any]) -> bool:
    f_page, e_page = _page_of(found), _page_of(expected)
    if not f_page or not e_page:
        return False
    return expand_page_range(f_page)[0].casefold() == expand_page_range(e_page)[0].casefold()


def grade_issue(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    """Issue numbers: a warning when volume and first page agree, an error otherwise.

    Issue numbers are the least reliable part of a reference (supplements,
    combined issues, continuous pagination, print vs online issues) and the
    volume together with the first page already identifies the article, so a
    different issue there is a typo-level problem.  Without that corroboration
    a different issue may mean a different article, hence an error.
    """
    if found.get("issue") == expected.get("issue"):
        return None
    f_issue, e_issue = as_text(found.get("issue")), as_text(expected.get("issue"))
    if not _norm_number(f_issue) or not _norm_number(e_issue):
        return None
    if _norm_number(f_issue) == _norm_number(e_issue):
        return None
    f_vol, e_vol = as_text(found.get("volume")), as_text(expected.get("volume"))
    corroborated = (
        bool(f_vol and e_vol)
        and _norm_number(f_vol) == _norm_number(e_vol)
        and _first_pages_agree(found, expected)
    )
    if corroborated:
        return Difference(
            "issue", "warning", e_issue, f_issue,
            f"issue {f_issue!r} vs {e_issue!r} (volume and first page agree)",
        )  # fmt: skip
    return Difference(
        "issue", "error", e_issue, f_issue,
        f"different issue: {f_issue!r} vs {e_issue!r} (volume and first page do not both agree)",
    )  # fmt: skip


# ------------------------------------------------------------------------ pages

_PAGE_PART = re.compile(r"^([A-Za-z]*)(\d+)([A-Za-z]*)$")
_DASHES = re.compile(r"\s*(?:[-‐‑‒–—―−]+|\bto\b)\s*")


def _page_of(item: dict[str, Any]) -> str:
    return as_text(item.get("page")) or as_text(item.get("page-first"))


def expand_page_range(s: str) -> tuple[str, str | None]:
    """Split a page range into (first, last), expanding abbreviated last pages.

    A shorter last number borrows the leading digits of the first
    (``1067-75`` → ``('1067', '1075')``, ``1067-107`` → ``('1067', '1107')``)
    and a missing letter prefix is copied (``e597-605`` → ``('e597', 'e605')``,
    ``S347-64`` → ``('S347', 'S364')``).  A single page gives ``(page, None)``;
    only the first range of a list (``1-5, 9``) is used.  Idempotent:
    expanding ``f"{first}-{last}"`` gives the same pair.
    """
    text = as_text(s)
    text = re.sub(r"^(?:pp?\.?\s*|pages?\s+)", "", text, flags=re.IGNORECASE)
    text = re.split(r"[,;]", text, maxsplit=1)[0].strip()
    parts = [p for p in _DASHES.split(text) if p]
    if not parts:
        return "", None
    first = parts[0].replace(" ", "")
    if len(parts) == 1:
        return first, None
    last = parts[-1].replace(" ", "")
    m_first, m_last = _PAGE_PART.match(first), _PAGE_PART.match(last)
    if not (m_first and m_last):
        return first, last
    prefix, digits, _suffix = m_first.groups()
    l_prefix, l_digits, l_suffix = m_last.groups()
    if len(l_digits) < len(digits):
        l_digits = digits[: len(digits) - len(l_digits)] + l_digits
    return first, f"{l_prefix or prefix}{l_digits}{l_suffix}"


def _page_number(page: str) -> str | None:
    m = _PAGE_PART.match(page)
    if not m:
        return None
    return m.group(2).lstrip("0") or "0"


def grade_page(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    if found.get("page") == expected.get("page") and found.get("page-first") == expected.get("page-first"):
        return None
    f_page, e_page = _page_of(found), _page_of(expected)
    if not normalize_text(f_page) or not normalize_text(e_page):
        return None
    f_first, f_last = expand_page_range(f_page)
    e_first, e_last = expand_page_range(e_page)
    if not f_first or not e_first:
        return None

    def span(first: str, last: str | None) -> str:
        return f"{first}–{last}" if last else first

    if f_first.casefold() != e_first.casefold():
        f_number, e_number = _page_number(f_first), _page_number(e_first)
        if f_number is not None and f_number == e_number:
            return Difference(
                "page", "warning", e_page, f_page,
                f"first page {f_first!r} vs {e_first!r}: same number, different prefix",
            )  # fmt: skip
        return Difference(
            "page", "error", e_page, f_page,
            f"different first page: {f_page!r} (= {span(f_first, f_last)}) "
            f"vs {e_page!r} (= {span(e_first, e_last)})",
        )  # fmt: skip
    if f_last is None or e_last is None or f_last.casefold() == e_last.casefold():
        return None
    return Difference(
        "page", "warning", e_page, f_page,
        f"last page differs: {f_page!r} expands to {span(f_first, f_last)}, "
        f"expected {e_page!r} = {span(e_first, e_last)}",
    )  # fmt: skip


