"""The audit's HTML report (``--format html``) in Debian's chromium (``tests/browser.py``):
a real audit of the seeded review (``tests/inputs/test_formats.py``: a DOI of another
work, a wrong year, a typo in a title, a retracted work, the same work twice, a key cited
but not listed, a work listed but not cited), offline from its lock, as a person sees it.

The README's screenshot (``docs/audit-report.png``) is made here:
``UPDATE_README_SCREENSHOT=1 pytest tests/report/test_html_report_browser.py`` writes it again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest

from audit.identifiers import doi_url
from tests.conftest import ROOT
from tests.inputs.spec import write_markdown
from tests.inputs.test_formats import seeded
from tests.screenshots import keep_for_readme

if TYPE_CHECKING:  # imported by pytest as a plugin, first, so that its asserts are rewritten
    from tests.browser import Opened, Opener

pytest_plugins = ("tests.browser",)

SCREENSHOT = ROOT / "docs" / "audit-report.png"
SCREENSHOT_VIEWPORT = {"width": 1200, "height": 760}
SCREENSHOT_MAX_BYTES = 200_000


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, str]]:
    """The seeded review audited offline: the HTML report, the JSON report of the same run's
    inputs, and each seeded defect's key by kind."""
    spec, lock, seeds = seeded()
    paper = write_markdown(spec, tmp_path_factory.mktemp("seeded"))
    lock_path = paper.parent / "references.lock.json"
    lock_path.write_text(json.dumps(lock), "utf-8")
    args = [sys.executable, "-m", "audit", paper.name, "--lock", lock_path.name]
    out = paper.parent / "report.html"
    proc = subprocess.run([*args, "--format", "html", "--output", out.name], cwd=paper.parent,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr  # errors found
    as_json = subprocess.run([*args, "--format", "json"], cwd=paper.parent, capture_output=True,
                             text=True, timeout=120)
    return out, json.loads(as_json.stdout), seeds


def open_report(browser_page: Opener, report: Path, **options: Any) -> Opened:
    opened = browser_page(report, **options)
    opened.page.locator("h1").wait_for(state="visible")
    return opened


def work(opened: Opened, key: str) -> Any:
    return opened.page.locator(f"section.work:has(h3[id='work-{key}'])")


def test_the_report_shows_its_findings_by_severity_and_by_work(
        browser_page: Opener, audited: tuple[Path, dict[str, Any], dict[str, str]]) -> None:
    report, data, seeds = audited
    opened = open_report(browser_page, report)
    page = opened.page
    # the summary: one box per severity, the counts the JSON report gives, the worst first
    boxes = page.locator("ul.summary li")
    shown = {boxes.nth(i).get_attribute("class"): boxes.nth(i).inner_text().split()
             for i in range(boxes.count())}
    assert list(shown) == ["error", "warning", "unverified", "info"]
    assert {s: int(n) for s, (n, _) in shown.items()} == data["summary"]["by_severity"]
    assert all(boxes.nth(i).is_visible() for i in range(boxes.count()))
    assert data["summary"]["by_severity"]["error"] >= 6 and data["summary"]["by_severity"]["warning"] >= 2
    # one section per work, holding that work's findings (by code) and no other
    by_key = Counter((f["key"], f["code"]) for f in data["findings"])
    sections = page.locator("section.work")
    seen: Counter[tuple[str, str]] = Counter()
    keys = []
    for i in range(sections.count()):
        section = sections.nth(i)
        key = section.locator("h3").inner_text().split()[0]
        keys.append(key)
        items = section.locator("ul.findings > li")
        for j in range(items.count()):
            seen[(key, items.nth(j).locator(".code").first.inner_text())] += 1
    assert seen == by_key
    assert len(keys) == len(set(keys)) and set(seeds.values()) <= set(keys)
    # the works with an error before those with warnings only
    worst = [sections.nth(i).locator("h3 .severity").inner_text() for i in range(sections.count())]
    assert worst == sorted(worst, key=["error", "warning", "unverified", "info"].index)
    # the place of each finding, as in the other reports
    undefined = work(opened, seeds["undefined"])
    assert "paper.md:" in undefined.locator(".where").inner_text()
    assert "undefined-citation" in undefined.inner_text()
    opened.assert_clean()


def test_each_mismatch_is_side_by_side_with_its_differences_marked(
        browser_page: Opener, audited: tuple[Path, dict[str, Any], dict[str, str]]) -> None:
    report, _, seeds = audited
    opened = open_report(browser_page, report)
    for key, written, registered in ((seeds["wrong-year"], "2019", "2022"),
                                     (seeds["typo"], "Clasification", "Classification")):
        pair = work(opened, key).locator("table.pair")
        assert pair.count() == 1, key
        assert [h.strip() for h in pair.locator("th").all_inner_texts()] == ["As written", "As registered"]
        left, right = pair.locator("td").nth(0), pair.locator("td").nth(1)
        # side by side: one row, the written one on the left
        a, b = left.bounding_box(), right.bounding_box()
        assert a is not None and b is not None
        assert abs(a["y"] - b["y"]) < 1 and a["x"] + a["width"] <= b["x"] + 1, (a, b)
        left.scroll_into_view_if_needed()
        marked_out, marked_in = left.locator("del"), right.locator("ins")
        assert any(written in t for t in marked_out.all_inner_texts()), key
        assert any(registered in t for t in marked_in.all_inner_texts()), key
        assert left.locator("ins").count() == 0 and right.locator("del").count() == 0
        for marks in (marked_out, marked_in):
            for i in range(marks.count()):
                mark = marks.nth(i)
                assert mark.is_visible(), key
                assert mark.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
        # only the differences are marked: the first author is in both, unmarked
        author = left.inner_text().split()[0]
        assert author in right.inner_text()
        assert author not in " ".join(marked_out.all_inner_texts() + marked_in.all_inner_texts())
        struck = left.locator("del").first.evaluate("e => getComputedStyle(e).textDecorationLine")
        assert struck == "line-through"
    # a difference the audit does not count (the journal's name in full against its NLM
    # abbreviation) is not marked beside the one it does (the year)
    pair = work(opened, seeds["wrong-year"]).locator("table.pair")
    left, right = pair.locator("td").nth(0).inner_text(), pair.locator("td").nth(1).inner_text()
    assert "European Radiology" in left and "Eur Radiol" in right
    assert [t.strip(" .;") for t in pair.locator("del").all_inner_texts()] == ["2019"]
    assert [t.strip(" .;") for t in pair.locator("ins").all_inner_texts()] == ["2022"]
    # another work's DOI: the two are different works, the whole of the citation differs
    pair = work(opened, seeds["wrong-doi"]).locator("table.pair")
    assert "McMenomy" in " ".join(pair.locator("del").all_inner_texts())
    assert "Dalton" in " ".join(pair.locator("ins").all_inner_texts())
    opened.assert_clean()


def test_dois_link_to_doi_org_and_the_page_fetches_nothing(
        browser_page: Opener, audited: tuple[Path, dict[str, Any], dict[str, str]]) -> None:
    report, data, seeds = audited
    opened = open_report(browser_page, report)
    page = opened.page
    page.mouse.wheel(0, 20000)
    links: list[dict[str, str]] = page.eval_on_selector_all(
        "a", "links => links.map(a => ({href: a.href, text: a.textContent}))")
    assert links
    for link in links:
        assert link["href"].startswith("https://doi.org/10."), link
        doi = link["text"].removeprefix("https://doi.org/")
        assert unquote(link["href"]).lower() == f"https://doi.org/{doi}".lower(), link
    (retracted,) = [f for f in data["findings"] if f["key"] == seeds["retracted"]]
    doi = retracted["message"].split()[0]
    assert doi_url(doi) in {link["href"] for link in links}
    retraction = work(opened, seeds["retracted"]).locator(f"a[href='{doi_url(doi)}']")
    assert retraction.is_visible()
    assert opened.requests == [opened.url]  # the page itself, and nothing else
    assert page.evaluate("document.styleSheets.length") == 1  # its own, inline
    opened.assert_clean()


def test_the_readme_shows_a_screenshot_of_the_report(
        browser_page: Opener, audited: tuple[Path, dict[str, Any], dict[str, str]]) -> None:
    """The top of the report: the summary, then the first works with their side-by-side
    views. Written to docs/ with UPDATE_README_SCREENSHOT=1."""
    report, _, _ = audited
    opened = open_report(browser_page, report, viewport=SCREENSHOT_VIEWPORT)
    assert opened.page.locator("ul.summary").is_visible()
    assert opened.page.locator("table.pair").first.is_visible()
    shot = opened.screenshot("readme")
    keep_for_readme(shot, SCREENSHOT, SCREENSHOT_VIEWPORT, SCREENSHOT_MAX_BYTES,
                    "### Reports and exit status")
    opened.assert_clean()
