"""duplicate-work: the same DOI or PMID twice, or the same title, year and first author."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rapidfuzz import fuzz

from audit.compare import normalize_text, year_of
from audit.identifiers import normalize_pmid
from audit.model import Finding, Severity, Work
from audit.works import first_family


def check_duplicates(works: list[Work]) -> list[Finding]:
    """duplicate-work: the same DOI or PMID twice, or the same title, year and first author."""
    findings: list[Finding] = []
    bib = [w for w in works if w.origin != "citekey"]
    groups: dict[tuple[str, str], list[Work]] = defaultdict(list)
    for work in bib:
        if work.doi:
            groups[("DOI", work.doi)].append(work)
        pmid = normalize_pmid(str(work.item.get("PMID") or ""))
        if pmid:
            groups[("PMID", pmid)].append(work)
    flagged: set[tuple[str, str]] = set()
    for (kind, value), members in groups.items():
        for dup in members[1:]:
            pair = (members[0].key, dup.key)
            if pair in flagged:
                continue
            flagged.add(pair)
            findings.append(dup.finding("duplicate-work", Severity.ERROR,
                                        f"same {kind} ({value}) as '{members[0].key}'",
                                        field=kind, found=value))
    # Near-identical titles, among works of one year and one first author. Candidates
    # share their first or their last five title words (a typo spares one end), which
    # keeps this linear on bibliographies with tens of thousands of entries.
    blocks: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    titled = [w for w in bib if w.item.get("title")]
    titles = [normalize_text(str(w.item["title"])) for w in titled]
    for n, (work, title) in enumerate(zip(titled, titles, strict=True)):
        words = title.split()
        head = (year_of(work.item), first_family(work.item))
        blocks[(*head, "first", *words[:5])].append(n)
        blocks[(*head, "last", *words[-5:])].append(n)
    for indices in blocks.values():
        for x, i in enumerate(indices):
            for j in indices[x + 1:]:
                a, b = titled[i], titled[j]
                if (a.key, b.key) in flagged or fuzz.ratio(titles[i], titles[j]) < 95:
                    continue
                flagged.add((a.key, b.key))
                findings.append(b.finding(
                    "duplicate-work", Severity.WARNING,
                    f"looks like the same work as '{a.key}' (title, year {year_of(a.item)}, "
                    "first author)", field="title", found=b.item["title"], expected=a.item["title"]))
    return findings
