"""Checks on the built outputs: every citation links to a reference that exists,
and the reference list has one entry per cited work.

The parsers never expand entities or touch the network (hostile files are safe).
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree, html

from audit import safexml
from audit.errors import InputError
from audit.model import Finding, Severity


def check_html(path: Path, n_cited: int) -> list[Finding]:
    if not path.is_file():
        raise InputError("file not found", file=path)
    parser = html.HTMLParser(no_network=True, remove_comments=True)
    try:
        doc = html.parse(str(path), parser).getroot()
    except (OSError, etree.ParserError) as exc:
        raise InputError(f"cannot read HTML ({exc})", file=path) from None
    if doc is None:
        return [Finding("output-missing-link", Severity.ERROR, "empty HTML file", file=str(path))]
    entries = doc.xpath('//*[@id="refs"]//*[contains(concat(" ", @class, " "), " csl-entry ")]')
    ids = {e.get("id") for e in entries}
    findings = _count(path, len(entries), n_cited)
    for span in doc.xpath('//*[contains(concat(" ", @class, " "), " citation ")]'):
        keys = (span.get("data-cites") or "").split()
        targets = [h[1:] for h in span.xpath(".//a/@href") if h.startswith("#")]
        line = span.sourceline
        if not targets:
            findings.append(Finding("output-missing-link", Severity.ERROR,
                                    f"citation of {', '.join(keys) or '?'} links to no reference",
                                    key=keys[0] if keys else None, file=str(path), line=line))
        for target in targets:
            if target not in ids:
                findings.append(Finding("output-missing-link", Severity.ERROR,
                                        f"citation links to #{target}, which is not in the "
                                        "reference list", key=target.removeprefix("ref-"),
                                        file=str(path), line=line))
    return findings


def check_jats(path: Path, n_cited: int) -> list[Finding]:
    doc = safexml.parse(path)
    refs = doc.xpath("//ref-list/ref")
    ids = {r.get("id") for r in refs}
    findings = _count(path, len(refs), n_cited)
    for xref in doc.xpath('//xref[@ref-type="bibr"]'):
        for rid in (xref.get("rid") or "").split():
            if rid not in ids:
                findings.append(Finding("output-missing-link", Severity.ERROR,
                                        f"<xref rid=\"{rid}\"> points at no <ref>",
                                        key=rid.removeprefix("ref-"), file=str(path),
                                        line=xref.sourceline))
    return findings


def _count(path: Path, n_entries: int, n_cited: int) -> list[Finding]:
    if n_entries == n_cited:
        return []
    return [Finding("output-reference-count", Severity.ERROR,
                    f"{n_entries} references in the output, but {n_cited} works are cited",
                    file=str(path), expected=str(n_cited), found=str(n_entries))]
