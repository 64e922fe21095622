"""Shared test fixtures: where ../shared is, a built copy of the project, and a running preview."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from audit.config import Config
from audit.preview import Preview
from audit.sources.fake import FakeRegistrar

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
JATS_SCHEMA = ROOT / "audit" / "build" / "formats" / "jats-1.3"  # shipped with the package
JATS_DTD = JATS_SCHEMA / "dtd" / "JATS-journalpublishing1-3-mathml3.dtd"
EPOCH = "1700000000"
WAIT = 120  # seconds: a bound on waiting, not a measurement (the benchmarks measure)
# every source's base URL: a test's fake registrar serves them all (none reaches the network)
SOURCE_URLS = ("AUDIT_CROSSREF_URL", "AUDIT_DOI_URL", "AUDIT_PUBMED_URL", "AUDIT_PMC_URL",
               "AUDIT_ARXIV_URL")


def need_shared(*parts: str) -> Path:
    """A path inside ../shared, or skip the test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared beside the repository)")
    return path


def copy_project(dest: Path) -> Path:
    """A copy of what a build reads: the manuscript, pandoc defaults, styles, configuration."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("manuscript", "pandoc", "csl"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name)
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def render(root: Path, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    """Run the build exactly as ``nox -s build`` does (``manuscript-audit build``)."""
    # the schema shipped with the package, unless a test names another
    full_env = {k: v for k, v in os.environ.items() if k != "JATS_SCHEMA_DIR"}
    full_env |= {"SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    return subprocess.run([sys.executable, "-m", "audit", "build", "--root", str(root), *args],
                          cwd=root, env=full_env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session", autouse=True)
def _bibliography_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The audit's bibliography cache in a folder of the test session's own (the commands
    the tests run inherit it), not the user's ~/.cache."""
    os.environ["AUDIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("audit-cache"))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The review, built once for the session into a copy of the project."""
    root = copy_project(tmp_path_factory.mktemp("build-a") / "project")
    proc = render(root)
    assert proc.returncode == 0, proc.stderr
    return root / "output"


def run_audit(args: list[str], server: FakeRegistrar | None = None, cwd: Path | None = None,
              timeout: float = 240, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env or {})}
    url = server.url if server is not None else "http://127.0.0.1:9"  # no server: fails fast
    env |= dict.fromkeys(SOURCE_URLS, url)
    return subprocess.run([sys.executable, "-m", "audit", *args], capture_output=True, text=True,
                          env=env, cwd=cwd or ROOT, timeout=timeout)


def public_records() -> dict[str, dict[str, Any]]:
    """The review's public records (shared/references) as a registrar would serve them (with
    their PMCIDs: the fake's PMC serves those)."""
    records = json.loads(need_shared("references", "public-records.json").read_text())
    served = {}
    for rec in records:
        if not rec.get("DOI"):
            continue  # a registrar only serves what has a DOI
        item = {k: v for k, v in rec.items() if v and k in (
            "type", "title", "author", "container-title", "container-title-short",
            "volume", "issue", "page", "DOI", "PMCID")}
        item["author"] = [a for a in item.get("author", [])
                          if "et al" not in str(a.get("family") or a.get("literal") or "")]
        if rec.get("issued"):
            item["issued"] = {"date-parts": [[rec["issued"]]]}
        served[rec["DOI"].lower()] = item
    return served


def until(ready: Callable[[], bool], timeout: float = WAIT) -> None:
    """Wait until ``ready()``, at most ``timeout`` seconds (then fail)."""
    end = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.05)


@pytest.fixture
def preview(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Preview, str]]:
    """``manuscript-audit preview`` of a copy of the project, running (in a thread, on a free
    port) until the test ends, then stopped as Ctrl-C stops it: the preview and its URL."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
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


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request path it receives (it would
    serve an external entity): a test that something never fetches a DTD asserts it saw none."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the http.server API names it
            seen.append(self.path)
            body = b'<!ENTITY remote "FETCHED-FROM-NETWORK">'
            self.send_response(200)
            self.send_header("Content-Type", "application/xml-dtd")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/evil.dtd", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- a small manuscript citing CSL entries, audited: its findings --------------------------


def manuscript(tmp_path: Path, entries: list[dict[str, Any]], extra: str = "") -> Path:
    """``paper.md`` citing each of ``entries`` (CSL JSON, in ``refs.json``), then ``extra``."""
    (tmp_path / "refs.json").write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    md = tmp_path / "paper.md"
    cites = " ".join(f"[@{item['id']}]" for item in entries)
    md.write_text(f"---\nbibliography: refs.json\n---\n\n{cites} {extra}\n", "utf-8")
    return md


def findings_of(proc: Any) -> list[dict[str, Any]]:
    """The findings of an audit run with ``--format json`` (which must not have crashed)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)["findings"]


def about(findings: list[dict[str, Any]], key: str) -> list[tuple[str, str, str | None]]:
    """(code, severity, field) of each finding about ``key``, sorted."""
    return sorted((f["code"], f["severity"], f["field"]) for f in findings if f["key"] == key)
