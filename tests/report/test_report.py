"""Reports: every format's schema and counts, and the side-by-side view of mismatches."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from audit.model import Finding, Severity, summarize
from audit.report import (
    CODES,
    FORMATS,
    ReportContext,
    format_reference,
    plain_reference,
    render,
    side_by_side,
    summary_line,
)
from audit.styles import resolve_style

PAPER = "manuscript/paper.md"

WRITTEN: dict[str, Any] = {
    "id": "Tomasian2023",
    "type": "article-journal",
    "author": [{"family": "Tomasian", "given": "A"}, {"family": "Jennings", "given": "JW"}],
    "title": "Spine metastases: thermal ablation and augmentation",
    "container-title": "Skeletal Radiology",
    "container-title-short": "Skeletal Radoil",
    "issued": {"date-parts": [[2023]]},
    "volume": "52",
    "page": "1921-1928",
    "DOI": "10.1007/s00256-023-04348-x",
}
REGISTERED: dict[str, Any] = {**WRITTEN, "container-title-short": "Skeletal Radiol"}
del REGISTERED["id"]

REQUIRED_CODES = (
    "undefined-citation", "uncited-reference", "duplicate-key", "duplicate-work",
    "doi-malformed", "doi-missing", "doi-not-found", "doi-suggested",
    "metadata-mismatch", "retracted", "expression-of-concern", "corrected", "unverified",
    "output-missing-link", "output-reference-count", "reference-unparsed", "input-error",
    "pmid-not-found", "pmid-doi-mismatch", "pmcid-mismatch",
)


@pytest.fixture(scope="module")
def style_path() -> Path:
    return resolve_style("skeletal-radiology").path


def make_findings() -> list[Finding]:
    return [
        Finding("undefined-citation", Severity.ERROR, "no entry for @nokey", key="nokey",
                file=PAPER, line=40),
        Finding("metadata-mismatch", Severity.WARNING, "journal differs", key="Tomasian2023",
                file="references.json", line=12, field="container-title-short",
                expected="Skeletal Radiol", found="Skeletal Radoil"),
        Finding("metadata-mismatch", Severity.WARNING, "page differs", key="Tomasian2023",
                file="references.json", line=12, field="page", expected="1921-1928",
                found="1921-8"),
        Finding("doi-missing", Severity.INFO, "no DOI | none registered", key="urch2004",
                file="references.json", line=3),
        Finding("unverified", Severity.UNVERIFIED, "registrar unreachable", key="smith2020"),
        Finding("input-error", Severity.ERROR, "cannot parse <front matter>", file=PAPER),
    ]


def make_context(style_path: Path | None, **overrides: Any) -> ReportContext:
    values: dict[str, Any] = {
        "tool_version": "0.1.0",
        "inputs": [PAPER],
        "suppressed": [(Finding("doi-missing", Severity.INFO, "no DOI", key="anchala2014",
                                file="references.json", line=7), "no DOI at the publisher")],
        "references": {"Tomasian2023": WRITTEN, "urch2004": {"id": "urch2004", "title": "x"}},
        "registered": {"Tomasian2023": REGISTERED},
        "style_path": style_path,
        "fail_on": Severity.WARNING,
        "n_references": 41,
        "n_citations": 120,
    }
    values.update(overrides)
    return ReportContext(**values)


# ---------------------------------------------------------------- codes and formats


def test_codes_registry_covers_the_emitted_codes() -> None:
    for code in REQUIRED_CODES:
        assert CODES[code].strip(), code
    assert all("\n" not in text for text in CODES.values())


def test_unknown_format_is_rejected(style_path: Path) -> None:
    assert FORMATS == ("table", "json", "junit", "sarif", "markdown", "html")
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render([], "xml", context=make_context(style_path))


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_no_findings(fmt: str) -> None:
    out = render([], fmt, context=ReportContext())
    assert out.strip()


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_deterministic(fmt: str, style_path: Path) -> None:
    findings = make_findings()
    first = render(findings, fmt, context=make_context(style_path))
    second = render(list(reversed(findings)), fmt, context=make_context(style_path))
    assert first == second


# ---------------------------------------------------------------- citeproc formatting


def test_format_reference_in_skeletal_radiology(style_path: Path) -> None:
    text = format_reference(WRITTEN, style_path)
    assert text == (
        "Tomasian A, Jennings JW. Spine metastases: thermal ablation and augmentation. "
        "Skeletal Radoil. 2023;52:1921–8. https://doi.org/10.1007/s00256-023-04348-x"
    )
    assert not text.startswith("1.")


def test_format_reference_mixed_case_id_and_no_id(style_path: Path) -> None:
    lower = format_reference({**WRITTEN, "id": "tomasian2023"}, style_path)
    assert format_reference(WRITTEN, style_path) == lower
    assert format_reference(REGISTERED, style_path) == lower.replace("Radoil", "Radiol")


@pytest.mark.parametrize(
    "issued",
    [{"date-parts": [[2016]]}, {"date-parts": [["2016", "3"]]}, {"raw": "2016-03"},
     {"literal": "March 2016"}, "2016", 2016],
)
def test_format_reference_date_shapes(issued: Any, style_path: Path) -> None:
    item = {"id": "x", "type": "article-journal", "author": [{"family": "Doe", "given": "J"}],
            "title": "A title", "container-title": "J Test", "volume": 3, "issued": issued}
    text = format_reference(item, style_path)
    assert "Doe J. A title. J Test. 2016;3" in text


def test_format_reference_tolerates_odd_items(style_path: Path) -> None:
    item = {"type": "article-journal", "author": "Doe J", "title": "T",
            "issued": {"date-parts": [[]]}, "ISSN": ["1234-5678"], "custom": {"a": 1},
            "note": None}
    text = format_reference(item, style_path)
    assert "Doe J" in text and "T." in text


def test_format_reference_falls_back_without_style() -> None:
    text = format_reference(WRITTEN, None)
    assert text == plain_reference(WRITTEN)
    assert text == ("Tomasian A, Jennings JW. Spine metastases: thermal ablation and augmentation."
                    " Skeletal Radoil. 2023;52:1921-1928. doi:10.1007/s00256-023-04348-x")


def test_format_reference_falls_back_on_bad_style(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csl"
    bad.write_text("<not-csl/>", encoding="utf-8")
    item = {"author": [{"family": "Urch", "given": "C"}], "title": "Bone pain",
            "container-title": "Palliat Med", "issued": {"date-parts": [[2004]]},
            "volume": "18", "issue": "3", "page": "267-74"}
    assert format_reference(item, bad) == "Urch C. Bone pain. Palliat Med. 2004;18(3):267-74."
    assert format_reference(item, tmp_path / "missing.csl") == plain_reference(item)


def test_side_by_side_once_per_key_and_needs_both_records(style_path: Path) -> None:
    findings = [*make_findings(),
                Finding("metadata-mismatch", Severity.WARNING, "x", key="urch2004", field="page")]
    pairs = side_by_side(findings, make_context(style_path))
    assert list(pairs) == ["Tomasian2023"]
    assert "Skeletal Radoil" in pairs["Tomasian2023"]["written"]
    assert "Skeletal Radiol." in pairs["Tomasian2023"]["registered"]


# ---------------------------------------------------------------- json


def test_json_schema_counts_and_order(style_path: Path) -> None:
    findings = make_findings()
    data = json.loads(render(findings, "json", context=make_context(style_path)))
    assert set(data) == {"summary", "findings", "suppressed"}
    summary = summarize(findings)
    assert data["summary"]["total"] == summary["total"] == 6
    assert data["summary"]["by_severity"] == summary["by_severity"]
    assert data["summary"]["by_code"] == {"doi-missing": 1, "input-error": 1,
                                          "metadata-mismatch": 2, "undefined-citation": 1,
                                          "unverified": 1}
    assert list(data["summary"]) == sorted(data["summary"])
    assert list(data["summary"]["by_severity"]) == sorted(data["summary"]["by_severity"])

    required = ["code", "severity", "key", "field", "expected", "found", "file", "line",
                "excerpt", "message"]
    for item in data["findings"]:
        assert list(item)[: len(required)] == required
        assert set(item) - set(required) <= {"side_by_side"}
    order = [(f["file"] or "", f["line"] or 0, f["code"], f["key"] or "")
             for f in data["findings"]]
    assert order == sorted(order)
    assert data["findings"][0]["key"] == "smith2020"  # no file sorts first
    assert [f["file"] for f in data["findings"]][-3:] == ["references.json"] * 3

    mismatches = [f for f in data["findings"] if f["code"] == "metadata-mismatch"]
    assert len(mismatches) == 2
    for item in mismatches:
        assert "Skeletal Radoil" in item["side_by_side"]["written"]
        assert "Skeletal Radiol." in item["side_by_side"]["registered"]
    assert all("side_by_side" not in f for f in data["findings"]
               if f["code"] != "metadata-mismatch")

    (suppressed,) = data["suppressed"]
    assert suppressed["reason"] == "no DOI at the publisher"
    assert suppressed["key"] == "anchala2014"
    assert suppressed["severity"] == "info"


# ---------------------------------------------------------------- junit


@pytest.mark.parametrize("fail_on", list(Severity))
def test_junit_failures_match_fail_on(fail_on: Severity, style_path: Path) -> None:
    findings = make_findings()
    xml = render(findings, "junit", context=make_context(style_path, fail_on=fail_on))
    root = etree.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuite"
    assert root.get("name") == "citation-audit"
    expected_failures = sum(f.severity.rank >= fail_on.rank for f in findings)
    assert len(root.findall("testcase/failure")) == expected_failures
    assert int(root.get("failures")) == expected_failures
    cases = root.findall("testcase")
    assert int(root.get("tests")) == len(cases) == len(findings) + 1  # + one suppressed
    assert int(root.get("skipped")) == len(root.findall("testcase/skipped"))
    unverified_skipped = 0 if fail_on.rank <= Severity.UNVERIFIED.rank else 1
    assert int(root.get("skipped")) == unverified_skipped + 1


def test_junit_testcase_details() -> None:
    xml = render(make_findings(), "junit", context=make_context(None, fail_on=Severity.ERROR))
    root = etree.fromstring(xml.encode("utf-8"))
    by_name = {(c.get("classname"), c.get("name")): c for c in root.findall("testcase")}
    assert len(root.findall("testcase[@classname='metadata-mismatch']")) == 2
    failure = by_name[("undefined-citation", "nokey")].find("failure")
    assert failure.get("type") == "undefined-citation"
    assert failure.get("message") == "no entry for @nokey"
    assert "manuscript/paper.md:40" in failure.text
    assert by_name[("input-error", PAPER)].find("failure") is not None  # no key: file name
    outputs = [c.find("system-out").text
               for c in root.findall("testcase[@classname='metadata-mismatch']")]
    assert any("field: container-title-short\nexpected: Skeletal Radiol\nfound: Skeletal Radoil"
               in text for text in outputs)
    assert by_name[("unverified", "smith2020")].find("skipped").get("message") == (
        "registrar unreachable")
    assert by_name[("doi-missing", "anchala2014")].find("skipped").get("message") == (
        "suppressed: no DOI at the publisher")


def test_junit_survives_control_characters() -> None:
    finding = Finding("input-error", Severity.ERROR, "bad byte \x01 here", file="a.md", line=1)
    root = etree.fromstring(render([finding], "junit", context=ReportContext()).encode())
    assert root.get("failures") == "1"


def test_junit_without_findings_has_a_passing_case() -> None:
    root = etree.fromstring(render([], "junit", context=ReportContext()).encode())
    assert (root.get("tests"), root.get("failures")) == ("1", "0")


# ---------------------------------------------------------------- sarif


def test_sarif_rules_levels_and_regions(style_path: Path) -> None:
    findings = make_findings()
    data = json.loads(render(findings, "sarif", context=make_context(style_path)))
    assert data["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert data["version"] == "2.1.0"
    (run,) = data["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "manuscript-audit"
    assert driver["version"] == "0.1.0"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert set(REQUIRED_CODES) <= set(rule_ids)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]]
        assert "Finding codes" in rule["help"]["text"]

    results = run["results"]
    kept = [r for r in results if "suppressions" not in r]
    assert len(kept) == len(findings)
    for result in results:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in kept}
    assert levels == {"undefined-citation": "error", "metadata-mismatch": "warning",
                      "doi-missing": "note", "unverified": "warning", "input-error": "error"}
    unverified = next(r for r in kept if r["ruleId"] == "unverified")
    assert unverified["properties"]["unverified"] is True
    assert "locations" not in unverified  # no file
    assert all("unverified" not in r["properties"] for r in kept if r is not unverified)

    undefined = next(r for r in kept if r["ruleId"] == "undefined-citation")
    location = undefined["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == PAPER
    assert location["region"] == {"startLine": 40}
    assert undefined["message"]["text"] == "no entry for @nokey"
    input_error = next(r for r in kept if r["ruleId"] == "input-error")
    assert "region" not in input_error["locations"][0]["physicalLocation"]  # no line

    (suppressed,) = [r for r in results if "suppressions" in r]
    assert suppressed["suppressions"] == [{"kind": "external",
                                           "justification": "no DOI at the publisher"}]


def test_sarif_rule_for_an_unregistered_code() -> None:
    finding = Finding("brand-new-check", Severity.INFO, "new", key="k")
    data = json.loads(render([finding], "sarif", context=ReportContext()))
    rules = data["runs"][0]["tool"]["driver"]["rules"]
    assert rules[data["runs"][0]["results"][0]["ruleIndex"]]["id"] == "brand-new-check"


# ---------------------------------------------------------------- markdown


def test_markdown_table_escaping_and_details(style_path: Path) -> None:
    md = render(make_findings(), "markdown", context=make_context(style_path))
    lines = md.splitlines()
    assert lines[0].startswith("## ")
    assert "**41 references, 120 citations: 2 errors, 2 warnings, 1 unverified, 1 info " \
           "(1 suppressed)**" in md
    header = lines.index("| Severity | Code | Key | Where | Message |")
    rows = lines[header + 2: header + 2 + 6]
    assert all(row.startswith("| ") and row.endswith(" |") for row in rows)
    # every row has exactly five cells: escaped pipes do not split cells
    for row in rows:
        assert len(re.split(r"(?<!\\)\|", row)) == 7
    assert "no DOI \\| none registered" in md
    assert "cannot parse &lt;front matter&gt;" in md

    assert "<details>" in md and "</details>" in md
    details = md[md.index("<details>"):]
    assert "| As written | As registered |" in details
    pair_row = next(line for line in details.splitlines() if "Tomasian2023" in line)
    written, registered = re.split(r"(?<!\\)\|", pair_row)[1:3]
    assert "Skeletal Radoil" in written and "Skeletal Radiol." not in written
    assert "Skeletal Radiol." in registered and "Radoil" not in registered
    assert "no DOI at the publisher" in md


# ---------------------------------------------------------------- table


def test_table_rows_and_single_summary_line(style_path: Path) -> None:
    out = render(make_findings(), "table", context=make_context(style_path), console_width=160)
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[-1] == ("41 references, 120 citations: 2 errors, 2 warnings, 1 unverified, "
                         "1 info (1 suppressed)")
    assert sum("references," in line for line in lines) == 1
    assert "\x1b[" not in out  # no colours unless asked
    row = next(line for line in lines if "undefined-citation" in line)
    assert re.search(r"error\s+undefined-citation\s+nokey\s+manuscript/paper\.md:40\s+no entry",
                     row)
    assert "As written" in out and "As registered" in out
    assert "Skeletal Radoil" in out and "Skeletal Radiol." in out
    written_line = next(line for line in lines if "Radoil" in line)
    assert written_line.index("Radoil") < written_line.index("Radiol.")  # two columns
    assert "no DOI at the publisher" in out


def test_table_colour_only_when_asked() -> None:
    findings = make_findings()[:1]
    assert "\x1b[" in render(findings, "table", context=ReportContext(), color=True)
    plain = render(findings, "table", context=ReportContext(), color=False)
    assert "\x1b[" not in plain


def test_table_does_not_interpret_rich_markup() -> None:
    finding = Finding("doi-malformed", Severity.WARNING, "DOI [bold]10.1/x[/bold] bad", key="k")
    out = render([finding], "table", context=ReportContext(), console_width=200)
    assert "[bold]10.1/x[/bold]" in out


def test_summary_line_variants() -> None:
    one = [Finding("duplicate-key", Severity.ERROR, "dup", key="a")]
    assert summary_line(one, ReportContext()) == "1 error, 0 warnings, 0 unverified, 0 info"
    ctx = ReportContext(n_references=1, n_citations=2)
    assert summary_line([], ctx) == "1 reference, 2 citations: 0 errors, 0 warnings, " \
                                    "0 unverified, 0 info"


def test_inputs_are_not_mutated(style_path: Path) -> None:
    context = make_context(style_path)
    before = copy.deepcopy((context.references, context.registered))
    for fmt in FORMATS:
        render(make_findings(), fmt, context=context)
    assert (context.references, context.registered) == before


def test_run_together_initials_survive_citeproc(style_path: Path) -> None:
    # citeproc-py reads "JW" as one given name and would print "J": a mismatch in the
    # second initial would vanish from the side-by-side view.
    written = {**WRITTEN, "author": [{"family": "Jennings", "given": "J"}]}
    registered = {**WRITTEN, "author": [{"family": "Jennings", "given": "JW"}]}
    assert format_reference(written, style_path).startswith("Jennings J. Spine")
    assert format_reference(registered, style_path).startswith("Jennings JW. Spine")
