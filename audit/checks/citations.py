"""Citations against the bibliography: undefined-citation, uncited-reference, duplicate-key."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from audit.identifiers import parse_citekey
from audit.model import Finding, Inputs, Severity
from audit.works import resolve_tag

# Citation key schemes that are their own identifier (Manubot): no bibliography entry needed.
IDENTIFIER_SCHEMES = frozenset({"doi", "pmid", "pmcid", "arxiv", "url", "isbn", "wikidata", "raw"})


class Defined(NamedTuple):
    """Where a key is defined: a bibliography entry, or an entry of the manuscript's own list."""

    file: str | None
    line: int | None
    excerpt: str | None


def check_citations(inputs: Inputs) -> list[Finding]:
    """undefined-citation, uncited-reference, duplicate-key."""
    findings: list[Finding] = []
    by_key: dict[str, list[Defined]] = defaultdict(list)
    for entry in inputs.entries:
        by_key[entry.key].append(Defined(entry.file, entry.line, entry.excerpt))
    for ref in inputs.printed:
        if ref.listed:  # the manuscript's own reference list: its citations point at it
            by_key[ref.name].append(Defined(ref.file, ref.line, ref.excerpt))
    for key, entries in by_key.items():
        for dup in entries[1:]:
            first = entries[0]
            findings.append(Finding(
                "duplicate-key", Severity.ERROR,
                f"key '{key}' is defined more than once (first at {first.file}:{first.line or '?'})",
                key=key, file=dup.file, line=dup.line, excerpt=dup.excerpt))
    manuscript = inputs.manuscript
    if manuscript is None:
        return findings
    cited: set[str] = set()
    for cit in manuscript.citations:
        key = resolve_tag(cit.key, inputs.tags)
        cited.add(key)
        if key in by_key:
            continue
        parsed = parse_citekey(key)
        if cit.key.lower().startswith("tag:") and key == cit.key:
            message = f"tag '{cit.key[4:]}' is not defined in the tags file"
        elif parsed.scheme in IDENTIFIER_SCHEMES:
            continue  # the key is its own identifier (Manubot style)
        else:
            message = f"citation key '{cit.key}' is not in the bibliography"
        findings.append(Finding("undefined-citation", Severity.ERROR, message, key=cit.key,
                                file=cit.file, line=cit.line, excerpt=cit.excerpt))
    if not manuscript.nocite_all:
        for key, entries in by_key.items():
            if key not in cited:
                e = entries[0]
                findings.append(Finding("uncited-reference", Severity.WARNING,
                                        f"'{key}' is in the bibliography but never cited",
                                        key=key, file=e.file, line=e.line, excerpt=e.excerpt))
    return findings
