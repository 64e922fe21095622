"""References formatted by citeproc-py in the manuscript's CSL style, for the side-by-side
view of each ``metadata-mismatch``: the reference as written beside the reference as
registered."""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path
from typing import Any

from audit.model import Finding
from audit.report.common import ReportContext, sort_findings

_ITEM_ID = "item"
_LABEL_RE = re.compile(r"^\s*\[?1\]?\.?\s+")
_YEAR_RE = re.compile(r"\b(\d{4})\b")
_INITIALS_RE = re.compile(r"[A-Z]{2,3}")


@functools.lru_cache(maxsize=8)
def _load_style(path: str, mtime_ns: int) -> Any:
    from citeproc import CitationStylesStyle

    del mtime_ns  # part of the cache key only: a changed file is parsed again
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CitationStylesStyle(path, validate=False)


def _csl_field_sets() -> tuple[frozenset[str], frozenset[str]]:
    from citeproc import DATES, NAMES

    return (frozenset(n.replace("_", "-") for n in NAMES),
            frozenset(d.replace("_", "-") for d in DATES))


def _clean_names(value: Any) -> list[dict[str, str]] | None:
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list):
        return None
    names: list[dict[str, str]] = []
    for name in value:
        if isinstance(name, str) and name.strip():
            names.append({"literal": name.strip()})
        elif isinstance(name, dict):
            clean = {str(k): str(v) for k, v in name.items()
                     if isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip()}
            given = clean.get("given", "")
            if _INITIALS_RE.fullmatch(given):
                # Vancouver initials run together ("JW"): citeproc-py would keep only "J"
                clean["given"] = " ".join(f"{letter}." for letter in given)
            if clean:
                names.append(clean)
    return names or None


def _int_part(part: Any) -> int | None:
    if isinstance(part, int) and not isinstance(part, bool):
        return part
    if isinstance(part, str) and part.strip().isdigit():
        return int(part.strip())
    return None


def _clean_date(value: Any) -> dict[str, Any] | None:
    """A CSL date citeproc-py can use: ``date-parts`` of ints, else a year found in text."""
    if isinstance(value, int | str) and not isinstance(value, bool):
        value = {"raw": str(value)}
    if not isinstance(value, dict):
        return None
    parts_out: list[list[int]] = []
    parts = value.get("date-parts")
    if isinstance(parts, list):
        for date in parts[:2]:
            if not isinstance(date, list):
                date = [date]
            ints: list[int] = []
            for part in date[:3]:
                number = _int_part(part)
                if number is None:
                    break
                ints.append(number)
            if ints:
                parts_out.append(ints)
    if parts_out:
        return {"date-parts": parts_out}
    for text_key in ("literal", "raw"):
        text = value.get(text_key)
        if isinstance(text, str | int) and not isinstance(text, bool):
            match = _YEAR_RE.search(str(text))
            if match:
                return {"date-parts": [[int(match.group(1))]]}
            if str(text).strip():
                return {"literal": str(text).strip()}
    return None


def _clean_item(item: dict[str, Any]) -> dict[str, Any]:
    """A copy of a CSL-JSON item that citeproc-py accepts.

    The id becomes a fixed lower-case token (citeproc-py lower-cases ids, and
    the item is formatted alone); names become lists of name dicts; dates
    become ``date-parts`` of ints; other values become strings.
    """
    name_fields, date_fields = _csl_field_sets()
    clean: dict[str, Any] = {"id": _ITEM_ID}
    item_type = item.get("type")
    clean["type"] = item_type if isinstance(item_type, str) and item_type else "article-journal"
    for key, value in item.items():
        if key in ("id", "type", "key") or value is None or not isinstance(key, str):
            continue
        if key in name_fields:
            names = _clean_names(value)
            if names:
                clean[key] = names
        elif key in date_fields:
            date = _clean_date(value)
            if date:
                clean[key] = date
        elif isinstance(value, bool):
            continue
        elif isinstance(value, str | int | float):
            if str(value).strip():
                clean[key] = str(value)
        elif isinstance(value, list) and value and all(isinstance(v, str | int) for v in value):
            clean[key] = str(value[0])
    return clean


def _format_with_citeproc(item: dict[str, Any], style_path: Path) -> str:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    path = Path(style_path).resolve()
    style = _load_style(str(path), path.stat().st_mtime_ns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = CiteProcJSON([_clean_item(item)])
        bibliography = CitationStylesBibliography(style, source, formatter.plain)
        bibliography.register(Citation([CitationItem(_ITEM_ID)]))
        entries = [str(entry) for entry in bibliography.bibliography()]
    text = " ".join(" ".join(entries).split())
    return _LABEL_RE.sub("", text, count=1).strip()


def _name_text(name: Any) -> str:
    if isinstance(name, str):
        return name.strip()
    if not isinstance(name, dict):
        return ""
    if name.get("literal"):
        return str(name["literal"]).strip()
    family = " ".join(str(name.get(k, "")).strip()
                      for k in ("non-dropping-particle", "family") if name.get(k))
    given = str(name.get("given", "")).strip()
    if given and " " not in given and "." not in given and given.isupper():
        initials = given  # already Vancouver initials ("JW")
    else:
        initials = "".join(part[0] for part in re.split(r"[\s.\-]+", given) if part)
    return " ".join(p for p in (family, initials) if p)


def plain_reference(item: dict[str, Any]) -> str:
    """``Authors. Title. Journal. Year;Vol(Issue):Pages.`` — the fallback format."""
    authors = item.get("author") or []
    if isinstance(authors, str | dict):
        authors = [authors]
    names = [n for n in (_name_text(a) for a in authors if a) if n] if isinstance(
        authors, list) else []
    if len(names) > 6:
        names = [*names[:6], "et al"]
    journal = item.get("container-title-short") or item.get("container-title") or ""
    if isinstance(journal, list):
        journal = journal[0] if journal else ""
    year = ""
    date = _clean_date(item.get("issued"))
    if date and "date-parts" in date:
        year = str(date["date-parts"][0][0])
    elif date and "literal" in date:
        year = str(date["literal"])
    numbers = year
    if item.get("volume"):
        numbers += f";{item['volume']}" if numbers else str(item["volume"])
    if item.get("issue"):
        numbers += f"({item['issue']})"
    if item.get("page"):
        numbers += f":{item['page']}"
    pieces = [", ".join(names), str(item.get("title") or ""), str(journal), numbers]
    text = " ".join(f"{p.strip().rstrip('.')}." for p in pieces if p and p.strip())
    if item.get("DOI"):
        text += f" doi:{item['DOI']}"
    return text or "(empty reference)"


def format_reference(item: dict[str, Any], style_path: Path | None) -> str:
    """One reference formatted by citeproc-py in the CSL style at ``style_path``.

    The leading citation number of numeric styles is dropped. If the style is
    missing or citeproc-py fails on the item, :func:`plain_reference` is used.
    The parsed style is cached (keyed by path and modification time).
    """
    if style_path is not None:
        try:
            text = _format_with_citeproc(item, style_path)
        except Exception:  # citeproc-py raises many kinds on odd input: fall back
            text = ""
        if text:
            return text
    return plain_reference(item)


def side_by_side(findings: list[Finding], context: ReportContext) -> dict[str, dict[str, str]]:
    """For each key with a ``metadata-mismatch`` and both records: written and registered text.

    Keys appear in report order, once each.
    """
    out: dict[str, dict[str, str]] = {}
    for finding in sort_findings(findings):
        key = finding.key
        if (finding.code != "metadata-mismatch" or key is None or key in out
                or key not in context.references or key not in context.registered):
            continue
        out[key] = {
            "written": format_reference(context.references[key], context.style_path),
            "registered": format_reference(context.registered[key], context.style_path),
        }
    return out


