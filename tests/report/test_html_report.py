"""The HTML report: one self-contained page, findings grouped by work, each mismatch as
written beside as registered with the differences marked, DOIs linked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lxml import html

from audit.model import Finding, Severity
from audit.report import ReportContext, render
from audit.styles import resolve_style
from tests.conftest import ROOT, need_shared

WRITTEN = {"id": "w", "type": "article-journal", "title": "Spine metastases: thermal ablation",
           "author": [{"family": "Tomasian", "given": "A"}], "container-title": "Skeletal Radiology",
           "issued": {"date-parts": [[2021]]}, "volume": "52", "DOI": "10.1007/s00256-023-04348-x"}
REGISTERED = {**WRITTEN, "issued": {"date-parts": [[2023]]}}


def page(findings: list[Finding], **context: object) -> html.HtmlElement:
    text = render(findings, "html", context=ReportContext(tool_version="9.9", **context))  # type: ignore[arg-type]
    assert text.startswith("<!DOCTYPE html>")
    return html.fromstring(text)


def test_summary_grouping_side_by_side_and_links() -> None:
    findings = [
        Finding("metadata-mismatch", Severity.ERROR, "year: 2021 vs 2023", key="w", file="p.md",
                line=3, field="year", expected="2023", found="2021"),
        Finding("doi-not-found", Severity.ERROR, "10.1234/nope is not registered <script>",
                key="x", file="p.md", line=9, field="DOI"),
        Finding("uncited-reference", Severity.WARNING, "'y' is in the bibliography but never cited",
                key="y", file="refs.json", line=20),
        Finding("unverified", Severity.UNVERIFIED, "could not be checked", key="w", field="DOI"),
    ]
    doc = page(findings, references={"w": WRITTEN}, registered={"w": REGISTERED},
               style_path=resolve_style("vancouver").path)
    counts = {li.get("class"): li.text_content() for li in doc.xpath('//ul[@class="summary"]/li')}
    assert counts == {"error": "2 error", "warning": "1 warning", "unverified": "1 unverified",
                      "info": "0 info"}  # read (and copied) as words, not "2error"
    works = [h.get("id") for h in doc.xpath('//section[@class="work"]/h3')]
    assert works == ["work-w", "work-x", "work-y"]  # the worst first, then by key
    (pair,) = doc.xpath('//table[@class="pair"]')
    # the year alone is marked, not the "2021;52." it is printed in
    assert [d.text_content() for d in pair.xpath(".//del")] == ["2021"]  # as written
    assert [i.text_content() for i in pair.xpath(".//ins")] == ["2023"]  # as registered
    assert "Tomasian" not in " ".join(d.text_content() for d in pair.xpath(".//del | .//ins"))
    links = {a.get("href") for a in doc.xpath("//a")}
    assert "https://doi.org/10.1007/s00256-023-04348-x" in links
    assert "https://doi.org/10.1234/nope" in links
    assert not doc.xpath("//script")  # the message's markup is text, never markup
    assert not doc.xpath("//link | //img | //*[@src]")  # self-contained: nothing to fetch


def test_a_changed_phrase_is_one_mark_and_a_doi_org_address_one_link() -> None:
    written = {**WRITTEN, "title": "Thermal ablation of spine metastases"}
    registered = {**WRITTEN, "title": "Cryoablation, a review"}
    findings = [Finding("metadata-mismatch", Severity.ERROR, "title: different title", key="w",
                        field="title", found=written["title"], expected=registered["title"]),
                Finding("doi-suggested", Severity.INFO, "Crossref suggests https://doi.org/10.5555/X.1 "
                        "(or 10.1016/s1470-2045(11)70008-0).", key="v")]
    doc = page(findings, references={"w": written}, registered={"w": registered},
               style_path=resolve_style("vancouver").path)
    (pair,) = doc.xpath('//table[@class="pair"]')
    # the spaces and the comma between the changed words are in the one mark
    assert [d.text_content() for d in pair.xpath(".//del")] == ["Thermal ablation of spine metastases"]
    assert [i.text_content() for i in pair.xpath(".//ins")] == ["Cryoablation, a review"]
    # the whole address is the link; the sentence's bracket and full stop are not in it
    links = [(a.get("href"), a.text_content()) for a in doc.xpath('//section[h3/@id="work-v"]//a')]
    assert links == [("https://doi.org/10.5555/x.1", "https://doi.org/10.5555/X.1"),
                     ("https://doi.org/10.1016/s1470-2045(11)70008-0", "10.1016/s1470-2045(11)70008-0")]
    assert doc.xpath('string(//section[h3/@id="work-v"]//li)').endswith("70008-0).")


def test_the_command_writes_the_page(tmp_path: Path) -> None:
    """The printed reference list's real errors, as a page: every finding shown once."""
    printed = need_shared("references", "reference-list-as-printed.txt")
    args = [sys.executable, "-m", "audit", "--reference-text", str(printed),
            "--lock", str(ROOT / "manuscript" / "references.lock.json")]
    out = tmp_path / "report.html"
    proc = subprocess.run([*args, "--format", "html", "--output", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    doc = html.fromstring(out.read_text())
    report = json.loads(subprocess.run([*args, "--format", "json"], capture_output=True,
                                       text=True, timeout=120).stdout)
    shown = doc.xpath('//section[@class="work"]//ul[@class="findings"]/li')
    assert len(shown) == len(report["findings"]) > 0  # every finding, once
    assert doc.xpath('//table[@class="pair"]')  # its mismatches side by side
