"""The live preview, as a page's script sees it: the HTML served with its panel, rebuilt
when the manuscript changes (``reload``), a failed build keeping the last good HTML and
saying why, the draft's findings, and a clean stop. (In a browser: tests/test_preview_browser.py.)"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from audit.config import Config
from audit.preview import Preview
from tests.conftest import copy_project

WAIT = 120  # seconds: a bound on waiting, not a measurement (the benchmark measures)


@pytest.fixture
def preview(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Preview, str]]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = copy_project(tmp_path / "project")
    running = Preview(Config.load(root), log=lambda _: None)
    url: list[str] = []
    thread = threading.Thread(target=running.serve, kwargs={"port": 0, "ready": url.append},
                              daemon=True)
    thread.start()
    until(lambda: bool(url))
    yield running, url[0]
    running.stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()  # stopped cleanly


def until(ready: Callable[[], bool], timeout: float = WAIT) -> None:
    end = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.05)


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as answer:
        body: bytes = answer.read()
        return body


def state(url: str) -> Any:
    return json.loads(get(url + "state"))


def test_edits_rebuild_and_a_failed_build_keeps_the_last_good_html(
        preview: tuple[Preview, str]) -> None:
    running, url = preview
    page = get(url).decode()
    assert 'id="audit-preview"' in page and "EventSource('/events')" in page
    first = state(url)
    assert first["version"] == 1 and first["build_error"] is None
    manuscript = running.config.manuscript
    manuscript.write_text(manuscript.read_text() + "\nA new last sentence, cited [@tomasian2023].\n")
    until(lambda: state(url)["version"] == 2)
    assert "A new last sentence" in get(url).decode()
    manuscript.write_text(manuscript.read_text() + "\nA key nobody defines [@nosuchkey2000].\n")
    until(lambda: state(url)["build_error"] is not None)
    broken = state(url)
    assert "nosuchkey2000" in str(broken["build_error"]) and broken["version"] == 2
    assert "A new last sentence" in get(url).decode()  # the last good HTML, still served
    until(lambda: any(f["code"] == "undefined-citation" for f in state(url)["findings"]))
    (finding,) = [f for f in state(url)["findings"] if f["code"] == "undefined-citation"]
    assert finding["where"].startswith("manuscript/review.md:")
