"""The live preview, as a page's script sees it: the HTML served with its panel, rebuilt
when the manuscript changes (``reload``), an undefined citation shown in a draft, a failed
build keeping the last good HTML and saying why, the draft's findings, and a clean stop.
The running preview is ``tests/conftest.py``'s ``preview`` fixture. (In a browser:
tests/test_preview_browser.py.)"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from audit.build import BuildError, build
from audit.preview import Preview
from tests.conftest import until


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as answer:
        body: bytes = answer.read()
        return body


def state(url: str) -> Any:
    return json.loads(get(url + "state"))


def next_event(stream: Any) -> str:
    """The name of the next event of a server-sent event stream."""
    while True:
        line = stream.readline().decode()
        assert line, "the stream ended"
        if line.startswith("event: "):
            return str(line[7:].strip())


def test_edits_rebuild_a_draft_and_a_failed_build_keeps_the_last_good_html(
        preview: tuple[Preview, str]) -> None:
    running, url = preview
    page = get(url).decode()
    assert 'id="audit-preview"' in page and "EventSource('/events?version=' + 1)" in page
    first = state(url)
    assert first["version"] == 1 and first["build_error"] is None
    manuscript = running.config.manuscript
    manuscript.write_text(manuscript.read_text() + "\nA new last sentence, cited [@tomasian2023].\n")
    until(lambda: state(url)["version"] == 2)
    assert "A new last sentence" in get(url).decode()
    # an undefined key: the draft is built all the same, the key marked where it is cited
    manuscript.write_text(manuscript.read_text() + "\nA key nobody defines [@nosuchkey2000].\n")
    until(lambda: state(url)["version"] == 3)
    assert state(url)["build_error"] is None
    assert '<span class="citation" data-cites="nosuchkey2000">' in get(url).decode()
    until(lambda: any(f["code"] == "undefined-citation" for f in state(url)["findings"]))
    (finding,) = [f for f in state(url)["findings"] if f["code"] == "undefined-citation"]
    assert finding["where"].startswith("manuscript/review.md:") and finding["key"] == "nosuchkey2000"
    # ... and a build (not a draft) after it reports the key, never taking the draft as up to date
    with pytest.raises(BuildError, match="nosuchkey2000"):
        build(running.config, ("html",), log=lambda _: None)
    # a missing image fails the build: the last good HTML stays, with the error
    text = manuscript.read_text()
    manuscript.write_text(text + "\n![A figure not drawn yet](figures/not-yet.png)\n")
    until(lambda: state(url)["build_error"] is not None)
    broken = state(url)
    assert "image 'figures/not-yet.png' not found" in broken["build_error"] and broken["version"] == 3
    assert 'data-cites="nosuchkey2000"' in get(url).decode()  # the last good HTML, still served
    manuscript.write_text(text)
    until(lambda: state(url)["version"] == 4)
    assert state(url)["build_error"] is None


def test_a_page_is_told_what_changed_while_it_was_loading(preview: tuple[Preview, str]) -> None:
    """Each connection to /events starts with a ``state`` event; a page showing an older
    build than the last is told to reload at once; each change after that is sent, two
    changes in a row included."""
    running, url = preview
    assert state(url)["version"] == 1
    with urllib.request.urlopen(url + "events?version=0", timeout=30) as stream:
        assert [next_event(stream), next_event(stream)] == ["state", "reload"]
    with urllib.request.urlopen(url + "events?version=1", timeout=30) as stream:
        assert next_event(stream) == "state"
        # what a rebuild publishes: the new HTML, then the audit's findings right after it
        running.state.publish(version=2, build_error=None)
        running.state.publish(findings=[{"code": "undefined-citation", "key": "k"}])
        assert next_event(stream) == "reload"
        assert next_event(stream) == "state"
