"""Citations against the bibliography: undefined-citation, uncited-reference, duplicate-key,
several-keys."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from audit.identifiers import parse_citekey
from audit.model import Citation, Finding, Inputs, Severity
from audit.works import dealiased, name_of

# Citation key schemes that are their own identifier (Manubot): no bibliography entry needed.
IDENTIFIER_SCHEMES = frozenset({"doi", "pmid", "pmcid", "arxiv", "url", "isbn", "wikidata", "raw"})


class Defined(NamedTuple):
    """Where a key is defined: a bibliography entry, or an entry of the manuscript's own list."""

    file: str | None
    line: int | None
    excerpt: str | None
    listed: bool


def check_citations(inputs: Inputs) -> list[Finding]:
    """undefined-citation, uncited-reference, duplicate-key, several-keys.

    A key is defined by a bibliography entry or an entry of the manuscript's own list, by
    what it names (an identifier key's standard id: ``doi:10.1/x`` is defined by an entry
    keyed ``DOI:10.1/X``), after aliases; an identifier key needs no entry at all.
    """
    findings: list[Finding] = []
    by_key: dict[str, list[Defined]] = defaultdict(list)
    for entry in inputs.entries:
        by_key[entry.key].append(Defined(entry.file, entry.line, entry.excerpt, entry.listed))
    for ref in inputs.printed:
        if ref.listed:  # the manuscript's own reference list: its citations point at it
            by_key[ref.name].append(Defined(ref.file, ref.line, ref.excerpt, True))
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
    defined = {name_of(key) for key in by_key}
    cited: set[str] = set()
    for cit in manuscript.citations:
        key = dealiased(cit.key, inputs.aliases)
        name = name_of(key)
        cited.add(name)
        if name in defined:
            continue
        parsed = parse_citekey(key)
        if key.lower().startswith("tag:") and key == cit.key:
            message = (f"tag '{cit.key[4:]}' is not defined (by an alias line, the "
                       "citekey-aliases metadata or a tags file)")
        elif parsed.scheme in IDENTIFIER_SCHEMES:
            continue  # the key is its own identifier (Manubot style)
        else:
            message = f"citation key '{cit.key}' is not in the bibliography"
        findings.append(Finding("undefined-citation", Severity.ERROR, message, key=cit.key,
                                file=cit.file, line=cit.line, excerpt=cit.excerpt))
    if not manuscript.nocite_all:
        for key, entries in by_key.items():
            e = entries[0]
            if e.listed and name_of(key) not in cited:
                findings.append(Finding("uncited-reference", Severity.WARNING,
                                        f"'{key}' is in the bibliography but never cited",
                                        key=key, file=e.file, line=e.line, excerpt=e.excerpt))
    return findings + check_several_keys(inputs)


def check_several_keys(inputs: Inputs) -> list[Finding]:
    """several-keys: different keys cite one identified work (an alias and its DOI, a DOI
    written in two cases), which Manubot warns about as several input ids reaching one
    standard id. Reported once per work, at its second key's first citation."""
    assert inputs.manuscript is not None
    keys: dict[str, dict[str, Citation]] = defaultdict(dict)
    for cit in inputs.manuscript.citations:
        name = parse_citekey(dealiased(cit.key, inputs.aliases)).standard
        if name is not None:
            keys[name].setdefault(cit.key, cit)
    findings = []
    for name, first in keys.items():
        if len(first) < 2:
            continue
        second = list(first.values())[1]
        findings.append(Finding("several-keys", Severity.WARNING,
                                f"{len(first)} citation keys name {name}: "
                                f"{', '.join(repr(k) for k in first)}", key=second.key,
                                file=second.file, line=second.line, excerpt=second.excerpt,
                                field="id", expected=name))
    return findings
