"""The live preview in Debian's chromium (``tests/browser.py``), as an author uses it: the page
reloads itself when the manuscript is saved, the draft's findings appear in the panel and
each links to its place, a failed build shows its error over the last good page, and fixing
it brings the page back.

The README's screenshot (``docs/preview.png``) is made here:
``UPDATE_README_SCREENSHOT=1 pytest tests/test_preview_browser.py`` writes it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.preview import Preview
from tests.conftest import ROOT, WAIT
from tests.screenshots import keep_for_readme

if TYPE_CHECKING:  # imported by pytest as a plugin, first, so that its asserts are rewritten
    from tests.browser import Opener

pytest_plugins = ("tests.browser",)

SCREENSHOT = ROOT / "docs" / "preview.png"
SCREENSHOT_VIEWPORT = {"width": 1200, "height": 760}
SCREENSHOT_MAX_BYTES = 200_000
MS = WAIT * 1000  # playwright waits in milliseconds: a bound, not a measurement


def test_the_open_page_follows_the_manuscript_and_its_findings(
        preview: tuple[Preview, str], browser_page: Opener) -> None:
    running, url = preview
    opened = browser_page(url, viewport=SCREENSHOT_VIEWPORT)
    page = opened.page
    panel = page.locator("#audit-preview")
    panel.locator("header").filter(has_text="Citation audit:").wait_for(timeout=MS)
    page.wait_for_function("!document.querySelector('#audit-preview header')"
                           ".textContent.includes('checking')", timeout=MS)
    manuscript = running.config.manuscript
    good = manuscript.read_text("utf-8")

    # a save: the page reloads by itself and shows the new sentence, and the draft's
    # undefined citation is in the panel, linked to where it is cited
    page.evaluate("window.__not_reloaded = true")
    manuscript.write_text(good + "\nA sentence written just now, citing a key nobody defines "
                          "[@nosuchkey2000].\n", "utf-8")
    page.wait_for_function("!window.__not_reloaded", timeout=MS)
    page.get_by_text("A sentence written just now").wait_for(timeout=MS)
    finding = panel.locator("li", has_text="undefined-citation").filter(has_text="nosuchkey2000")
    finding.wait_for(timeout=MS)
    assert "manuscript/review.md:" in finding.inner_text()
    cited = page.locator('[data-cites~="nosuchkey2000"]')
    assert cited.count() == 1
    page.evaluate("window.scrollTo(0, 0)")
    assert not cited.is_visible() or cited.bounding_box()["y"] > SCREENSHOT_VIEWPORT["height"]
    finding.locator("a").click()
    page.wait_for_function("document.querySelector('[data-cites~=\"nosuchkey2000\"]')"
                           ".classList.contains('audit-preview-here')", timeout=MS)
    box = cited.bounding_box()
    assert box is not None and 0 <= box["y"] <= SCREENSHOT_VIEWPORT["height"]  # scrolled to it
    keep_for_readme(opened.screenshot("readme"), SCREENSHOT, SCREENSHOT_VIEWPORT,
                    SCREENSHOT_MAX_BYTES, "## Commands")

    # a build that fails: the error over the last good page, which stays
    page.evaluate("window.__not_reloaded = true")
    manuscript.write_text(good + "\n![A figure not drawn yet](figures/not-yet.png)\n", "utf-8")
    banner = page.locator("#audit-preview-error")
    banner.wait_for(timeout=MS)
    assert "The build failed" in banner.inner_text() and "not-yet.png" in banner.inner_text()
    assert page.get_by_text("A sentence written just now").count() == 1  # the last good page
    assert page.evaluate("window.__not_reloaded") is True

    # fixed: a new page, no error, the undefined citation gone from the panel
    manuscript.write_text(good, "utf-8")
    page.wait_for_function("!window.__not_reloaded", timeout=MS)
    page.wait_for_function("!document.getElementById('audit-preview-error')", timeout=MS)
    page.wait_for_function("!document.querySelector('#audit-preview').textContent"
                           ".includes('nosuchkey2000')", timeout=MS)
    assert page.get_by_text("A sentence written just now").count() == 0
    # no script error; no request failed but those a reload cuts short (the open event
    # stream, a state fetch in flight)
    assert opened.console_errors == []
    assert [r for r in opened.failed_requests if not r.endswith("net::ERR_ABORTED")] == []
