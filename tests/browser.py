"""Browser fixtures: Debian's chromium, driven by Playwright (which never downloads a browser).

A test module loads them as a pytest plugin and asks for ``browser_page``, which opens
pages and watches them::

    if TYPE_CHECKING:  # the types only: pytest imports the plugin first, to rewrite its asserts
        from tests.browser import Opener

    pytest_plugins = ("tests.browser",)

    def test_page(browser_page: Opener, built: Path) -> None:
        opened = browser_page(built / "manuscript.html")   # a Path, or a URL: "http://127.0.0.1:…/"
        opened.page.click("text=Introduction")             # opened.page: Playwright's sync Page
        opened.assert_clean()  # no console error, no failed request

``browser_page(target, viewport={"width": …, "height": …}, media="print",
reduced_motion="reduce", wait_until="load")`` returns an :class:`Opened`; the
session's ``browser`` (Playwright's ``Browser``) is a fixture too.

Every page opened is watched from its first request: console errors and uncaught
exceptions (``console_errors``), failed requests and HTTP errors (``failed_requests``),
every URL requested (``requests``). Requests leaving the machine are refused (they
fail, and are listed): only ``file:``, ``data:``, ``blob:`` and 127.0.0.1 / localhost
load. When the test ends, each page it opened is saved as a screenshot (PNG, the
viewport) in the artifacts folder: ``$BROWSER_ARTIFACTS`` if set, else
``browser-artifacts/`` in pytest's temporary folder; the folder is printed at the end
of the session and each file is in the test's ``user_properties`` (JUnit XML).

chromium is ``$CHROMIUM`` if set, else ``chromium`` on the PATH (``/usr/bin/chromium``,
Debian's package, which ``.ci/run`` installs). Without it, or without the ``playwright``
package, the tests that ask for these fixtures are skipped, saying which is missing;
with ``MANUSCRIPT_AUDIT_REQUIRE_BROWSER=1`` (``.ci/run`` sets it: CI always has the
browser) they fail instead.
One browser serves the session (headless, no sandbox, no GPU, no background networking,
component updates, sync or first-run screens, in a fresh profile: Playwright starts it
with a new ``--user-data-dir`` in a temporary folder and deletes it at the end); each
page gets a fresh context of its own (no cookies, storage or cache shared).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
VIEWPORT = {"width": 1280, "height": 800}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
ARTIFACTS_ENV = "BROWSER_ARTIFACTS"
CHROMIUM_ENV = "CHROMIUM"
REQUIRE_ENV = "MANUSCRIPT_AUDIT_REQUIRE_BROWSER"  # "1": no browser fails the tests, not skips them
_ARTIFACTS = pytest.StashKey[Path]()


def chromium_executable() -> str | None:
    """Debian's chromium: ``$CHROMIUM``, else ``chromium`` (or ``chromium-browser``) on the PATH."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_missing(reason: str) -> NoReturn:
    """Skip the test saying what is missing; fail it instead when the browser is required
    (``$MANUSCRIPT_AUDIT_REQUIRE_BROWSER=1``, as in CI)."""
    if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
        pytest.fail(f"{reason} (and {REQUIRE_ENV}={os.environ[REQUIRE_ENV]} requires it)",
                    pytrace=False)
    pytest.skip(reason)


def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$BROWSER_ARTIFACTS``, else ``browser-artifacts/`` in pytest's
    temporary folder (created)."""
    named = os.environ.get(ARTIFACTS_ENV)
    folder = Path(named) if named else tmp_path_factory.getbasetemp() / "browser-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def is_local(url: str) -> bool:
    """A URL a test page may load: a file, inline data, or a server on this machine."""
    parts = urlsplit(url)
    if parts.scheme in ("file", "data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") in LOCAL_HOSTS


@dataclass
class Opened:
    """A page opened by ``browser_page``, and what it did."""

    page: Page
    url: str
    name: str
    folder: Path
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)

    def screenshot(self, label: str = "", *, full_page: bool = False, path: Path | None = None) -> Path:
        """Save the page as it is now (the viewport, or the whole page) as a PNG: ``path``, or
        ``<test>-<label>.png`` in the artifacts folder."""
        if path is None:
            path = self.folder / f"{self.name}{'-' + _safe(label) if label else ''}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)
        self.screenshots.append(path)
        return path

    def assert_clean(self) -> None:
        """No console error or uncaught exception, and no failed request, so far."""
        assert self.console_errors == [], self.console_errors
        assert self.failed_requests == [], self.failed_requests


class Opener(Protocol):
    """``browser_page(target, ...)``: open a file (a path) or a URL in a fresh context."""

    def __call__(self, target: Path | str, *, viewport: dict[str, int] | None = None,
                 media: str | None = None, reduced_motion: str | None = None,
                 wait_until: str = "load") -> Opened: ...


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120] or "page"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """The module's chromium (skips the test when chromium or playwright is missing).

    One per test module, not per session: playwright's sync API keeps an asyncio loop running
    in the main thread while it is started, and other modules' tests call ``asyncio.run``."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        browser_missing("browser tests: the playwright package is not installed (pip install -e '.[test]')")
    executable = chromium_executable()
    if executable is None:
        where = os.environ.get(CHROMIUM_ENV) or "chromium on the PATH"
        browser_missing(f"browser tests: no chromium ({where}; apt-get install chromium, as .ci/run does)")
    # chromium's crash reporter and caches go to a folder of the session's, not to ~/.config
    home = Path(tempfile.mkdtemp(prefix="chromium-home-", dir=tmp_path_factory.getbasetemp()))
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")}
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=list(CHROMIUM_ARGS), env=env)
    except Error as exc:
        playwright.stop()
        pytest.fail(f"browser tests: {executable} did not start: {exc}")
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture
def browser_page(browser: Browser, request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opener]:
    """Opens pages (``browser_page(path_or_url)``), each in a fresh context, watched; saves a
    screenshot of each when the test ends."""
    folder = artifacts_dir(tmp_path_factory)
    module, _, rest = request.node.nodeid.partition("::")
    test = _safe(f"{Path(module).stem}-{rest}")  # test_html-test_the_page...
    contexts: list[BrowserContext] = []
    opened: list[Opened] = []

    def refuse_remote(route: Route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def open_(target: Path | str, *, viewport: dict[str, int] | None = None, media: str | None = None,
              reduced_motion: str | None = None, wait_until: str = "load") -> Opened:
        url = target.resolve().as_uri() if isinstance(target, Path) else target
        options: dict[str, Any] = {"viewport": viewport or VIEWPORT, "device_scale_factor": 1}
        if reduced_motion:
            options["reduced_motion"] = reduced_motion
        context = browser.new_context(**options)
        contexts.append(context)
        context.route("**/*", refuse_remote)
        page = context.new_page()
        name = test if not opened else f"{test}-{len(opened) + 1}"
        seen = Opened(page=page, url=url, name=name, folder=folder)
        opened.append(seen)
        page.on("console", lambda msg: seen.console_errors.append(
            f"console.{msg.type}: {msg.text} ({msg.location.get('url')}:{msg.location.get('lineNumber')})")
            if msg.type == "error" else None)
        page.on("pageerror", lambda exc: seen.console_errors.append(f"uncaught: {exc}"))
        page.on("request", lambda req: seen.requests.append(req.url))
        page.on("requestfailed", lambda req: seen.failed_requests.append(
            f"{req.method} {req.url}: {req.failure}"))
        page.on("response", lambda resp: seen.failed_requests.append(
            f"HTTP {resp.status} {resp.url}") if resp.status >= 400 else None)
        if media:
            page.emulate_media(media=media)  # type: ignore[arg-type]
        page.goto(url, wait_until=wait_until)  # type: ignore[arg-type]
        return seen

    yield open_
    request.config.stash[_ARTIFACTS] = folder
    for seen in opened:
        try:
            path = seen.screenshot()
            request.node.user_properties.append(("screenshot", str(path)))
        except Exception as exc:  # a closed page or a crashed browser: the test says why
            request.node.user_properties.append(("screenshot", f"none: {exc}"))
    for context in contexts:
        context.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Where the screenshots are, at the end of a session that took some."""
    folder = terminalreporter.config.stash.get(_ARTIFACTS, None)
    if folder is not None:
        terminalreporter.write_line(f"browser screenshots: {folder}")


__all__ = ["CHROMIUM_ARGS", "REQUIRE_ENV", "Opened", "Opener", "artifacts_dir", "browser",
           "browser_missing", "browser_page", "chromium_executable", "is_local"]
