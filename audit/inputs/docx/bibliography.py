"""``bibliography-mismatch``: the bibliography the document prints (the reference manager's
bibliography field: ``ZOTERO_BIBL``, ``Mendeley Bibliography``, ``EN.REFLIST``,
``MENDELEY_BIBLIOGRAPHY``) against the manager's data for the cited items.

Each printed entry is matched to a cited item (by DOI, by its title printed, else by a
close title and the first author) and compared with it; a difference the printed text
shows the manager's value for after all (a misreading of the entry) is no finding.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from audit.compare import compare_works, normalize_text, title_similarity, year_of
from audit.identifiers import normalize_doi
from audit.inputs.docx.paragraphs import Field
from audit.inputs.docx.places import quote, squash
from audit.inputs.docx.printed import printed
from audit.model import Entry, Finding, PrintedReference, Severity, shown


def _shown_anyway(diff_field: str, item: dict[str, Any], raw: str, n_printed: int) -> bool:
    """Whether the printed text shows the reference manager's value after all (what looked
    like a difference came from reading the printed entry, not from the entry)."""
    norm, words = f" {normalize_text(raw)} ", set(normalize_text(raw).split())
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


def mismatches(path: Path, frames: list[Field], entries: list[Entry], manager: str
               ) -> list[Finding]:
    """bibliography-mismatch: the printed bibliography (the bibliography fields ``frames``)
    against the cited items' data (``entries``, from ``manager``)."""
    findings: list[Finding] = []
    taken: set[str] = set()
    number = 0
    for frame in frames:
        for para, pieces in sorted(frame.result.items()):
            text = squash("".join(pieces)).strip()
            if not text:
                continue
            number += 1
            ref = printed(text, number, para, path)
            if ref is None:
                continue
            entry = _match(ref, entries, taken)
            if entry is None:
                continue
            taken.add(entry.key)
            found = ref.item
            names = list(found.get("author") or [])
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
                    expected=diff.expected, found=diff.found, excerpt=quote(text)))
    return findings
