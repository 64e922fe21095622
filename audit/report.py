"""Reports: the audit's findings as a terminal table, JSON, JUnit XML, SARIF or Markdown.

:func:`render` is the single entry point::

    render(findings, "json", context=ReportContext(tool_version="0.1.0"))

Every format lists the findings in the same order (file, line, code, key).
:data:`CODES` is the single registry of finding codes and their descriptions;
modules that emit a new code add it here.

For each ``metadata-mismatch`` whose key has both a written and a registered
record, the reports show the reference as written beside the reference as
registered, both formatted by citeproc-py in the manuscript's CSL style
(:func:`format_reference`).
"""

from __future__ import annotations

import functools
import io
import json
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Finding, Severity, summarize

__all__ = [
    "CODES",
    "FORMATS",
    "ReportContext",
    "format_reference",
    "plain_reference",
    "render",
    "side_by_side",
    "sort_findings",
    "summary_line",
]

FORMATS: tuple[str, ...] = ("table", "json", "junit", "sarif", "markdown")

#: Where each code is documented (the project's README has one row per code).
README_SECTION = "README.md, section 'Finding codes'"

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "manuscript-audit"
JUNIT_SUITE = "citation-audit"

#: Every finding code, with a one-line description. The single registry.
CODES: dict[str, str] = {
    "undefined-citation": "A citation in the text names a key that is not in the bibliography.",
    "uncited-reference": "A bibliography entry is never cited in the text.",
    "duplicate-key": "Two bibliography entries share one citation key.",
    "duplicate-work": "Two bibliography entries (different keys) describe the same work.",
    "doi-malformed": ("A DOI (or PMID) is not valid (error), or was written in a harmless "
                      "non-canonical form and normalised (info)."),
    "doi-missing": "A reference that should have a DOI has none.",
    "doi-not-found": "The DOI is not registered with any DOI registrar.",
    "doi-suggested": "The registrar has a DOI that matches this reference's metadata.",
    "metadata-mismatch": "A bibliographic field differs from the registrar's record.",
    "retracted": "The cited work has been retracted.",
    "expression-of-concern": "The publisher has issued an expression of concern about the work.",
    "corrected": "The cited work has a published correction (erratum).",
    "pmid-not-found": "PubMed has no record for the PMID.",
    "pmid-doi-mismatch": "PubMed gives the PMID another DOI: the PMID and the DOI name different articles.",
    "pmcid-mismatch": "PubMed links the PMID to another PMCID (error) or to none (warning).",
    "unverified": "The reference could not be checked against the registrar (or PubMed).",
    "output-missing-link": "A citation in a rendered output links to no reference entry.",
    "output-reference-count": "A rendered output lists a different number of references.",
    "reference-unparsed": "A reference could not be parsed into structured metadata.",
    "input-error": "An input file could not be read or parsed.",
}

_UNKNOWN_CODE = "Finding code not described in the registry."

_SEVERITY_STYLE = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.UNVERIFIED: "magenta",
    Severity.INFO: "cyan",
}
_SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.UNVERIFIED: "warning",
    Severity.INFO: "note",
}
_FINDING_FIELDS = ("code", "severity", "key", "field", "expected", "found", "file", "line",
                   "message")


@dataclass
class ReportContext:
    """What a report needs beyond the findings.

    ``references`` maps a key to the CSL item as written in the bibliography,
    ``registered`` a key to the registrar's CSL record; both feed the
    side-by-side view of ``metadata-mismatch`` findings, formatted in the CSL
    style at ``style_path``. ``suppressed`` holds findings accepted by the
    suppressions file, each with its reason. Findings at or above ``fail_on``
    are failures (JUnit).
    """

    tool_version: str = ""
    inputs: list[str] = field(default_factory=list)
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)
    references: dict[str, dict[str, Any]] = field(default_factory=dict)
    registered: dict[str, dict[str, Any]] = field(default_factory=dict)
    style_path: Path | None = None
    fail_on: Severity = Severity.ERROR
    n_references: int | None = None
    n_citations: int | None = None


# --------------------------------------------------------------------------- helpers


def _severity(finding: Finding) -> Severity:
    return Severity(finding.severity)


def _order(f: Finding) -> tuple[str, int, str, str, str]:
    return (f.file or "", f.line or 0, f.code, f.key or "", f.field or "")


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order: by file, line, code, key (missing values first)."""
    return sorted(findings, key=_order)


def _sort_pairs(pairs: Iterable[tuple[Finding, str]]) -> list[tuple[Finding, str]]:
    """Suppressed (finding, reason) pairs in report order."""
    return sorted(pairs, key=lambda pair: _order(pair[0]))


def _where(finding: Finding) -> str:
    if not finding.file:
        return f"line {finding.line}" if finding.line else ""
    return f"{finding.file}:{finding.line}" if finding.line else finding.file


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(findings: list[Finding], context: ReportContext) -> str:
    """The one-line summary, e.g.
    ``41 references, 120 citations: 0 errors, 3 warnings, 0 unverified, 2 info (1 suppressed)``.
    """
    counts = summarize(findings)["by_severity"]
    parts = [
        _plural(counts.get("error", 0), "error"),
        _plural(counts.get("warning", 0), "warning"),
        f"{counts.get('unverified', 0)} unverified",
        f"{counts.get('info', 0)} info",
    ]
    text = ", ".join(parts)
    scope = []
    if context.n_references is not None:
        scope.append(_plural(context.n_references, "reference"))
    if context.n_citations is not None:
        scope.append(_plural(context.n_citations, "citation"))
    if scope:
        text = f"{', '.join(scope)}: {text}"
    if context.suppressed:
        text += f" ({len(context.suppressed)} suppressed)"
    return text


def _finding_json(finding: Finding) -> dict[str, Any]:
    data = {name: getattr(finding, name) for name in _FINDING_FIELDS}
    data["severity"] = _severity(finding).value
    return data


def _sorted_dict(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_dict(value[k]) for k in sorted(value)}
    return value


# --------------------------------------------------------------------------- CSL formatting

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


# --------------------------------------------------------------------------- formats


def _render_json(findings: list[Finding], context: ReportContext) -> str:
    pairs = side_by_side(findings, context)
    items = []
    for finding in sort_findings(findings):
        data = _finding_json(finding)
        if finding.code == "metadata-mismatch" and finding.key in pairs:
            data["side_by_side"] = pairs[finding.key]
        items.append(data)
    suppressed = [
        {**_finding_json(finding), "reason": reason}
        for finding, reason in _sort_pairs(context.suppressed)
    ]
    document = {
        "summary": _sorted_dict(summarize(findings)),
        "findings": items,
        "suppressed": suppressed,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _render_table(findings: list[Finding], context: ReportContext, *,
                  console_width: int | None, color: bool) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=console_width or 120,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )
    ordered = sort_findings(findings)
    if ordered:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
        table.add_column("Severity", no_wrap=True)
        table.add_column("Code", no_wrap=True)
        table.add_column("Key", overflow="fold")
        table.add_column("Where", overflow="fold")
        table.add_column("Message", ratio=1, overflow="fold")
        for finding in ordered:
            severity = _severity(finding)
            table.add_row(
                Text(severity.value, style=_SEVERITY_STYLE[severity]),
                Text(finding.code),
                Text(finding.key or ""),
                Text(_where(finding)),
                Text(finding.message),
            )
        console.print(table)
    else:
        console.print(Text("No findings.", style="green"))

    for key, pair in side_by_side(findings, context).items():
        console.print()
        pair_table = Table(title=Text(f"{key}: as written vs as registered", style="bold"),
                           box=box.SIMPLE_HEAD, show_edge=False, expand=True)
        pair_table.add_column("As written", ratio=1, overflow="fold")
        pair_table.add_column("As registered", ratio=1, overflow="fold")
        pair_table.add_row(Text(pair["written"]), Text(pair["registered"]))
        console.print(pair_table)

    if context.suppressed:
        console.print()
        sup = Table(title=Text("Suppressed", style="dim"), box=box.SIMPLE_HEAD,
                    show_edge=False)
        sup.add_column("Code", no_wrap=True)
        sup.add_column("Key", overflow="fold")
        sup.add_column("Reason", ratio=1, overflow="fold")
        for finding, reason in context.suppressed:
            sup.add_row(Text(finding.code), Text(finding.key or ""), Text(reason))
        console.print(sup)

    console.print()
    worst = max((_severity(f).rank for f in findings), default=-1)
    style = "bold red" if worst >= Severity.ERROR.rank else (
        "yellow" if worst >= Severity.UNVERIFIED.rank else "green")
    console.print(Text(summary_line(findings, context), style=style))
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: Any) -> str:
    return _XML_INVALID.sub("\ufffd", str(value))


def _details(finding: Finding) -> str:
    lines = [
        f"severity: {_severity(finding).value}",
        f"code: {finding.code} ({CODES.get(finding.code, _UNKNOWN_CODE)})",
    ]
    for label, value in (("key", finding.key), ("where", _where(finding)),
                         ("field", finding.field), ("expected", finding.expected),
                         ("found", finding.found)):
        if value:
            lines.append(f"{label}: {value}")
    lines.append(f"message: {finding.message}")
    return "\n".join(lines)


def _render_junit(findings: list[Finding], context: ReportContext) -> str:
    from lxml import etree

    threshold = Severity(context.fail_on).rank
    suite = etree.Element("testsuite", name=JUNIT_SUITE)
    failures = skipped = tests = 0

    def testcase(finding: Finding) -> Any:
        name = finding.key or _where(finding) or finding.code
        case = etree.SubElement(suite, "testcase", classname=finding.code, name=_xml_text(name))
        if finding.file:
            case.set("file", _xml_text(finding.file))
        if finding.line:
            case.set("line", str(finding.line))
        return case

    for finding in sort_findings(findings):
        tests += 1
        case = testcase(finding)
        severity = _severity(finding)
        if severity.rank >= threshold:
            failures += 1
            failure = etree.SubElement(case, "failure", type=finding.code,
                                       message=_xml_text(finding.message))
            failure.text = _xml_text(_details(finding))
        elif severity is Severity.UNVERIFIED:
            skipped += 1
            etree.SubElement(case, "skipped", message=_xml_text(finding.message))
        else:
            out = etree.SubElement(case, "system-out")
            out.text = _xml_text(_details(finding))
    for finding, reason in _sort_pairs(context.suppressed):
        tests += 1
        skipped += 1
        case = testcase(finding)
        etree.SubElement(case, "skipped", message=_xml_text(f"suppressed: {reason}"))
    if tests == 0:
        tests = 1
        etree.SubElement(suite, "testcase", classname=JUNIT_SUITE, name="no findings")
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    data = etree.tostring(suite, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    return data.decode("utf-8")


def _render_sarif(findings: list[Finding], context: ReportContext) -> str:
    codes = list(CODES)
    seen = {f.code for f in findings} | {f.code for f, _ in context.suppressed}
    codes += sorted(seen - set(CODES))
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODES.get(code, _UNKNOWN_CODE)},
            "help": {"text": f"{CODES.get(code, _UNKNOWN_CODE)} See {README_SECTION}."},
        }
        for code in codes
    ]

    def result(finding: Finding, reason: str | None = None) -> dict[str, Any]:
        severity = _severity(finding)
        item: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": _SARIF_LEVEL[severity],
            "message": {"text": finding.message},
        }
        if finding.file:
            physical: dict[str, Any] = {"artifactLocation": {"uri": finding.file}}
            if finding.line and finding.line >= 1:
                physical["region"] = {"startLine": finding.line}
            item["locations"] = [{"physicalLocation": physical}]
        item["partialFingerprints"] = {
            "citationAudit/v1": ":".join((finding.code, finding.key or "", finding.field or "",
                                          finding.file or "")),
        }
        properties: dict[str, Any] = {"severity": severity.value}
        for name in ("key", "field", "expected", "found"):
            value = getattr(finding, name)
            if value is not None:
                properties[name] = value
        if severity is Severity.UNVERIFIED:
            properties["unverified"] = True
        item["properties"] = properties
        if reason is not None:
            item["suppressions"] = [{"kind": "external", "justification": reason}]
        return item

    results = [result(f) for f in sort_findings(findings)]
    results += [result(f, reason) for f, reason in _sort_pairs(context.suppressed)]
    driver: dict[str, Any] = {"name": TOOL_NAME, "rules": rules}
    if context.tool_version:
        driver["version"] = context.tool_version
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _md_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(line.strip() for line in text.splitlines()) or " "


def _render_markdown(findings: list[Finding], context: ReportContext) -> str:
    lines = ["## Citation audit", ""]
    if context.inputs:
        lines += ["Audited: " + ", ".join(f"`{p}`" for p in context.inputs), ""]
    lines += [f"**{summary_line(findings, context)}**", ""]
    ordered = sort_findings(findings)
    if ordered:
        lines += ["| Severity | Code | Key | Where | Message |",
                  "| --- | --- | --- | --- | --- |"]
        for f in ordered:
            lines.append("| " + " | ".join(_md_cell(v) for v in (
                _severity(f).value, f.code, f.key, _where(f), f.message)) + " |")
        lines.append("")
    else:
        lines += ["No findings.", ""]
    pairs = side_by_side(findings, context)
    if pairs:
        lines += ["<details>",
                  f"<summary>References as written and as registered ({len(pairs)})</summary>",
                  "", "| As written | As registered |", "| --- | --- |"]
        for key, pair in pairs.items():
            lines.append(f"| **{_md_cell(key)}**<br>{_md_cell(pair['written'])} "
                         f"| {_md_cell(pair['registered'])} |")
        lines += ["", "</details>", ""]
    if context.suppressed:
        lines += ["<details>", f"<summary>Suppressed findings ({len(context.suppressed)})"
                  "</summary>", "", "| Code | Key | Reason |", "| --- | --- | --- |"]
        for f, reason in _sort_pairs(context.suppressed):
            lines.append(f"| {_md_cell(f.code)} | {_md_cell(f.key)} | {_md_cell(reason)} |")
        lines += ["", "</details>", ""]
    if context.tool_version:
        lines += [f"<sub>{TOOL_NAME} {_md_cell(context.tool_version)}</sub>", ""]
    return "\n".join(lines)


_RENDERERS: dict[str, Callable[[list[Finding], ReportContext], str]] = {
    "json": _render_json,
    "junit": _render_junit,
    "sarif": _render_sarif,
    "markdown": _render_markdown,
}


def render(findings: list[Finding], fmt: str, *, context: ReportContext | None = None,
           console_width: int | None = None, color: bool = False) -> str:
    """The report of ``findings`` in ``fmt`` (one of :data:`FORMATS`) as a string.

    ``findings`` are the kept findings (after suppressions); the suppressed
    ones travel in ``context.suppressed``. ``console_width`` and ``color``
    only affect ``table`` (colour escapes only when ``color`` is true, which
    the CLI sets when stdout is a terminal).
    """
    context = context or ReportContext()
    if fmt == "table":
        return _render_table(findings, context, console_width=console_width, color=color)
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    return renderer(findings, context)
