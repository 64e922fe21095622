"""The audit as one self-contained HTML page, for a person to look at: the summary by
severity, the findings grouped by work, each mismatch as written beside as registered
(formatted in the manuscript's CSL style, the differences marked), links to the DOIs."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from html import escape

from audit.identifiers import doi_url, normalize_doi
from audit.model import Finding, Severity
from audit.report.common import (
    TOOL_NAME,
    ReportContext,
    severity_of,
    sort_findings,
    sort_pairs,
    summary_line,
    where,
)
from audit.report.references import side_by_side

_ORDER = (Severity.ERROR, Severity.WARNING, Severity.UNVERIFIED, Severity.INFO)
# a DOI, with the doi.org address before it when there is one (the whole address is the link)
_DOI_IN_TEXT = re.compile(r"(?:https?://(?:dx\.)?doi\.org/)?\b10\.\d{4,9}/[^\s<>\"']+")
# what differences are marked in: a link or a DOI whole, a word, spaces, one punctuation mark
_TOKEN = re.compile(r"https?://\S+|\b10\.\d{4,9}/\S+|\w+|\s+|[^\w\s]")
_BETWEEN = re.compile(r"[^\w]*")  # spaces and punctuation only

STYLE = """
:root { --ink: #1d1d1f; --muted: #5b5b66; --rule: #d9d9e0; --error: #b3261e;
        --warning: #8a5a00; --unverified: #6b3fa0; --info: #1f4e8c; }
body { max-width: 60rem; margin: 2rem auto 4rem; padding: 0 1.25rem; color: var(--ink);
       font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.inputs, footer { color: var(--muted); font-size: .85rem; }
.summary { display: flex; flex-wrap: wrap; gap: .5rem; margin: 1rem 0; padding: 0; list-style: none; }
.summary li { border: 1px solid var(--rule); border-radius: 6px; padding: .4rem .8rem; }
.summary b { font-size: 1.2rem; margin-right: .3rem; }
.error { color: var(--error); } .warning { color: var(--warning); }
.unverified { color: var(--unverified); } .info { color: var(--info); }
section.work { border-top: 1px solid var(--rule); padding: .5rem 0 1rem; }
section.work h3 { font-size: 1rem; margin: .5rem 0; font-family: ui-monospace, Menlo, monospace; }
ul.findings { padding-left: 1.2rem; } ul.findings li { margin: .35rem 0; }
.code { font-family: ui-monospace, Menlo, monospace; font-size: .85rem; }
.where { color: var(--muted); font-size: .85rem; }
table.pair { width: 100%; border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
table.pair th, table.pair td { border: 1px solid var(--rule); padding: .5rem; vertical-align: top;
                               text-align: left; width: 50%; }
del { background: #fde2e1; text-decoration: line-through; }
ins { background: #dff5e1; text-decoration: none; }
"""


def _severity(finding: Finding) -> str:
    value = severity_of(finding).value
    return f'<span class="severity {value}">{value}</span>'


def _linked(text: str) -> str:
    """``text`` escaped, every DOI in it a link to doi.org (the sentence's punctuation after
    it, and a closing bracket it did not open, left out of the link)."""
    out, last = [], 0
    for match in _DOI_IN_TEXT.finditer(text):
        shown = match.group(0).rstrip(".,;:")
        while shown.endswith((")", "]")) and shown.count(shown[-1]) > shown.count(
                "(" if shown[-1] == ")" else "["):
            shown = shown[:-1].rstrip(".,;:")
        doi = normalize_doi(shown).doi
        if doi is None:
            continue
        out += [escape(text[last:match.start()]),
                f'<a href="{escape(doi_url(doi))}">{escape(shown)}</a>']
        last = match.start() + len(shown)
    return "".join(out) + escape(text[last:])


def _words(*texts: str | None) -> set[str]:
    return {w.casefold() for text in texts if text for w in re.findall(r"\w+", text)}


def _marked(written: str, registered: str, relevant: set[str] | None = None) -> tuple[str, str]:
    """The two texts, word by word (and mark by mark): what only one of them has is marked
    (``del``/``ins``); "2019;32:4137–46." against "2022;32:4137–46." marks the years only.
    Spaces and punctuation alone between two differences are marked with them, so that a
    changed phrase is one mark, not a mark per word. With ``relevant`` (the words of the
    values the findings name), a difference none of whose words is among them is left
    unmarked: "European Radiology" against "Eur Radiol" is the same journal to the audit,
    so it is not marked beside a wrong year."""
    a, b = _TOKEN.findall(written), _TOKEN.findall(registered)
    runs: list[tuple[bool, str, str]] = []  # (differs, as written, as registered)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        one, two = "".join(a[i1:i2]), "".join(b[j1:j2])
        counted = relevant is None or bool(_words(one, two) & relevant)
        runs.append((tag != "equal" and counted, one, two))
    for i in range(1, len(runs) - 1):
        differs, one, two = runs[i]
        if not differs and runs[i - 1][0] and runs[i + 1][0] and _BETWEEN.fullmatch(one) \
                and _BETWEEN.fullmatch(two):
            runs[i] = (True, one, two)
    merged: list[tuple[bool, str, str]] = []
    for run in runs:
        if merged and run[0] and merged[-1][0]:
            merged[-1] = (True, merged[-1][1] + run[1], merged[-1][2] + run[2])
        else:
            merged.append(run)
    left, right = [], []
    for differs, one, two in merged:
        if not differs:
            left.append(_linked(one))
            right.append(_linked(two))
            continue
        if one:
            left.append(f"<del>{escape(one)}</del>")
        if two:
            right.append(f"<ins>{escape(two)}</ins>")
    return "".join(left), "".join(right)


def _finding(f: Finding) -> str:
    place = where(f)
    parts = [_severity(f), f'<span class="code">{escape(f.code)}</span>']
    if f.field:
        parts.append(f'<span class="code">{escape(f.field)}</span>')
    parts.append(_linked(f.message))
    if place:
        parts.append(f'<span class="where">{escape(place)}</span>')
    return "<li>" + " ".join(parts) + "</li>"


def _work(key: str, found: list[Finding], pair: dict[str, str] | None) -> str:
    worst = min(found, key=lambda f: _ORDER.index(severity_of(f)))
    head = f'<h3 id="{escape(_anchor(key))}">{escape(key)} {_severity(worst)}</h3>'
    items = "".join(_finding(f) for f in found)
    table = ""
    if pair is not None:
        named = _words(*(v for f in found if f.code == "metadata-mismatch"
                         for v in (f.expected, f.found)))
        written, registered = _marked(pair["written"], pair["registered"], named)
        table = ('<table class="pair"><tr><th>As written</th><th>As registered</th></tr>'
                 f"<tr><td>{written}</td><td>{registered}</td></tr></table>")
    return f'<section class="work">{head}<ul class="findings">{items}</ul>{table}</section>'


def _anchor(key: str) -> str:
    return "work-" + re.sub(r"[^\w.-]+", "-", key)


def render(findings: list[Finding], context: ReportContext) -> str:
    ordered = sort_findings(findings)
    counts: dict[Severity, int] = {s: 0 for s in _ORDER}
    for f in ordered:
        counts[severity_of(f)] += 1
    by_work: dict[str, list[Finding]] = defaultdict(list)
    for f in ordered:
        by_work[f.key or ""].append(f)
    pairs = side_by_side(findings, context)
    works = sorted((k for k in by_work if k), key=lambda k: (
        min(_ORDER.index(severity_of(f)) for f in by_work[k]), k.lower()))
    body: list[str] = ["<h1>Citation audit</h1>"]
    if context.inputs:
        body.append(f'<p class="inputs">{escape(", ".join(context.inputs))}</p>')
    body.append(f"<p><strong>{escape(summary_line(findings, context))}</strong></p>")
    body.append('<ul class="summary">' + "".join(
        f'<li class="{s.value}"><b>{n}</b> {s.value}</li>' for s, n in counts.items()) + "</ul>")
    if not ordered:
        body.append("<p>No findings.</p>")
    if works:
        body.append("<h2>By work</h2>")
        body += [_work(k, by_work[k], pairs.get(k)) for k in works]
    if by_work.get(""):
        body.append("<h2>Other findings</h2>")
        body.append('<ul class="findings">' + "".join(_finding(f) for f in by_work[""]) + "</ul>")
    if context.suppressed:
        body.append(f"<h2>Suppressed ({len(context.suppressed)})</h2><ul class=\"findings\">")
        body += [f'<li><span class="code">{escape(f.code)}</span> {escape(f.key or "")}: '
                 f"{escape(reason)}</li>" for f, reason in sort_pairs(context.suppressed)]
        body.append("</ul>")
    if context.tool_version:
        body.append(f"<footer>{escape(TOOL_NAME)} {escape(context.tool_version)}</footer>")
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Citation audit</title><style>{STYLE}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")
