"""A live preview: the HTML served on 127.0.0.1, rebuilt when the manuscript changes, the
open page reloaded, and the offline audit's findings for the draft in a panel.

``manuscript-audit preview`` (``nox -s preview``) builds the HTML as ``build html`` does,
serves it, and watches the manuscript's folder, the pandoc defaults and the styles
(:mod:`watchfiles`). On a change it builds the HTML again and tells the open page to
reload (server-sent events, ``/events``); then it audits the draft offline (undefined
citations, uncited entries, malformed DOIs: whatever the lock allows) and the page shows
the findings, each linked to its place in the page. The build is a draft: an undefined
citation does not stop it (pandoc marks the key in the text, where its finding links to).
A build that fails leaves the last good HTML served, with the error shown over it.
Ctrl-C stops it.

The page tells ``/events`` which build it shows (``?version=N``): a page loaded just
before a rebuild finished is reloaded at once, and each connection starts with a
``state`` event, so a page never misses findings published while it was loading.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from audit.config import Config

PANEL = """
<style>
#audit-preview { position: fixed; right: 1rem; bottom: 1rem; max-width: 30rem; max-height: 45vh;
  overflow: auto; background: #fff; border: 1px solid #d9d9e0; border-radius: 8px;
  box-shadow: 0 4px 18px rgba(0,0,0,.12); font: 13px/1.45 system-ui, sans-serif; z-index: 1000; }
#audit-preview header { padding: .5rem .75rem; font-weight: 600; border-bottom: 1px solid #d9d9e0; }
#audit-preview ul { margin: 0; padding: .25rem .75rem .5rem 1.75rem; }
#audit-preview li { margin: .25rem 0; }
#audit-preview .error { color: #b3261e; } #audit-preview .warning { color: #8a5a00; }
#audit-preview .where { color: #5b5b66; }
.audit-preview-here { outline: 3px solid #f2b705; outline-offset: 2px; border-radius: 2px; }
#audit-preview-error { position: fixed; top: 0; left: 0; right: 0; background: #b3261e; color: #fff;
  font: 13px/1.45 ui-monospace, monospace; padding: .75rem 1rem; white-space: pre-wrap; z-index: 1001; }
</style>
<aside id="audit-preview" aria-live="polite"><header>Citation audit: checking…</header></aside>
<script>
(function () {
  function place(f) {
    if (!f.key) return null;
    var cite = document.querySelector('[data-cites~="' + CSS.escape(f.key) + '"]');
    return cite || document.getElementById('ref-' + f.key);
  }
  function show(state) {
    var panel = document.getElementById('audit-preview');
    var findings = state.findings || [];
    var head = state.audit_error ? 'Citation audit: ' + state.audit_error
      : 'Citation audit: ' + (findings.length ? findings.length + ' finding(s)' : 'no finding');
    panel.innerHTML = '<header></header><ul></ul>';
    panel.querySelector('header').textContent = head;
    var list = panel.querySelector('ul');
    findings.forEach(function (f, i) {
      var li = document.createElement('li');
      li.className = f.severity;
      var text = f.code + ': ' + f.message;
      if (place(f)) {  // a link to where it is in the page: the citation, or the entry
        var link = document.createElement('a');
        link.href = '#'; link.textContent = text;
        link.addEventListener('click', function (event) {
          event.preventDefault();
          var target = place(f);
          if (!target) return;
          document.querySelectorAll('.audit-preview-here').forEach(function (e) {
            e.classList.remove('audit-preview-here'); });
          target.classList.add('audit-preview-here');
          target.scrollIntoView({block: 'center'});
        });
        li.appendChild(link);
      } else {  // not in the page (an entry no one cites is not in the reference list)
        li.appendChild(document.createTextNode(text));
      }
      var where = document.createElement('span');
      where.className = 'where'; where.textContent = ' ' + (f.where || '');
      li.appendChild(where);
      list.appendChild(li);
    });
    var banner = document.getElementById('audit-preview-error');
    if (state.build_error) {
      if (!banner) { banner = document.createElement('div'); banner.id = 'audit-preview-error';
                     document.body.appendChild(banner); }
      banner.textContent = 'The build failed; this is the last good build.\\n' + state.build_error;
    } else if (banner) { banner.remove(); }
  }
  function refresh() { fetch('/state').then(function (r) { return r.json(); }).then(show); }
  var events = new EventSource('/events?version=' + VERSION);
  events.addEventListener('reload', function () { location.reload(); });
  events.addEventListener('state', refresh);
  refresh();
})();
</script>
"""


@dataclass
class State:
    """What the page shows beside the HTML: the build's error, the audit's findings."""

    version: int = 0  # the HTML built so far (a reload is due when it grows)
    build_error: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    audit_error: str | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, **values: Any) -> None:
        with self.changed:
            for name, value in values.items():
                setattr(self, name, value)
            self.changed.notify_all()

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "build_error": self.build_error,
                "findings": self.findings, "audit_error": self.audit_error}


class Preview:
    """The preview of the project described by ``config``: build, audit, serve, watch."""

    def __init__(self, config: Config, log: Callable[[str], None] = print) -> None:
        self.config = config
        self.log = log
        self.state = State()
        self.stop = threading.Event()

    # -- the work on each change

    def rebuild(self) -> None:
        """Build the HTML; tell the page to reload; then audit the draft."""
        from audit.build import BuildError, build

        try:
            build(self.config, ("html",), log=lambda _: None, draft=True)
        except BuildError as exc:
            self.log(f"build failed: {exc}")
            self.state.publish(build_error=str(exc))
        else:
            self.log("rebuilt output/manuscript.html")
            self.state.publish(version=self.state.version + 1, build_error=None)
        self.audit()

    def audit(self) -> None:
        from audit.errors import InputError
        from audit.pipeline import Options, audit
        from audit.report.common import where

        manuscript = self.config.manuscript
        try:
            result = audit(Options(files=[manuscript], project_style=self.config.style))
        except InputError as exc:
            self.state.publish(audit_error=str(exc), findings=[])
            return
        shown = [f for f in result.findings if f.severity.rank >= 2]  # warnings and errors
        root = self.config.root
        self.state.publish(audit_error=None, findings=[
            {"code": f.code, "severity": f.severity.value, "message": f.message, "key": f.key,
             "where": where(dataclasses.replace(f, file=os.path.relpath(f.file, root)) if f.file
                            else f)} for f in shown])

    def watched(self) -> list[Path]:
        config = self.config
        return [p for p in (config.folder, config.defaults, *config.csl_dirs) if p.exists()]

    def watch(self) -> None:
        from watchfiles import watch

        for _ in watch(*self.watched(), stop_event=self.stop, debounce=50, step=20,
                       watch_filter=lambda _, path: not Path(path).name.startswith(".")):
            self.rebuild()

    # -- serving

    def page(self) -> bytes:
        """The HTML with the panel, which names the build it shows (read before the file:
        at worst a page is told to reload once more)."""
        version = self.state.version
        path = self.config.output / "manuscript.html"
        try:
            text = path.read_text("utf-8")
        except OSError:
            why = escape(self.state.build_error or "building…")
            text = ("<!DOCTYPE html><html><head><meta charset=utf-8><title>Preview</title></head>"
                    f"<body><p>No HTML yet: {why}</p></body></html>")
        panel = PANEL.replace("VERSION", str(version))
        at = text.rfind("</body>")
        return (text[:at] + panel + text[at:] if at >= 0 else text + panel).encode("utf-8")

    def events(self, version: int | None = None) -> Iterator[bytes]:
        """Server-sent events: ``reload`` when a new HTML is built (at once if the page shows
        an older ``version`` than the last), ``state`` first and whenever the build's error or
        the audit's findings change."""
        state = self.state

        def now() -> tuple[int, str | None, str | None, str]:
            return state.version, state.build_error, state.audit_error, json.dumps(state.findings)

        def differs(last: tuple[int, str | None, str | None, str]) -> Callable[[], bool]:
            return lambda: self.stop.is_set() or now() != last

        with state.changed:
            seen = now()
        yield b"event: state\ndata: \n\n"  # what changed while the page was loading
        if version is not None and version != seen[0]:
            yield b"event: reload\ndata: \n\n"
        while not self.stop.is_set():
            with state.changed:  # a change made while the last event was sent is not missed
                state.changed.wait_for(differs(seen), timeout=15)
                current = now()
            if self.stop.is_set():
                return
            if current == seen:
                yield b": keep-alive\n\n"
            elif current[0] != seen[0]:
                yield b"event: reload\ndata: \n\n"
                if current[1:] != seen[1:]:  # findings published with the build, told too
                    yield b"event: state\ndata: \n\n"
            else:
                yield b"event: state\ndata: \n\n"
            seen = current

    def serve(self, host: str = "127.0.0.1", port: int = 8000,
              ready: Callable[[str], None] | None = None) -> None:
        """Build, then serve and watch until Ctrl-C (or :attr:`stop` is set)."""
        self.rebuild()
        preview = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                route, _, query = self.path.partition("?")
                if route in ("/", "/index.html"):
                    self._send(preview.page(), "text/html; charset=utf-8")
                elif route == "/state":
                    self._send(json.dumps(preview.state.to_json()).encode(), "application/json")
                elif route == "/events":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-store")
                    self.end_headers()
                    try:
                        shown = parse_qs(query).get("version", [""])[0]
                        version = int(shown) if shown.isdigit() else None
                        for chunk in preview.events(version):
                            self.wfile.write(chunk)
                            self.wfile.flush()
                    except (BrokenPipeError, ConnectionResetError):
                        return
                else:
                    self.send_error(404)

            def _send(self, body: bytes, kind: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        watcher = threading.Thread(target=self.watch, name="preview-watch", daemon=True)
        watcher.start()
        url = f"http://{host}:{server.server_address[1]}/"
        self.log(f"preview at {url} (Ctrl-C stops it)")
        if ready is not None:
            ready(url)
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                   name="preview-serve", daemon=True)
        serving.start()
        try:
            self.stop.wait()
        except KeyboardInterrupt:
            self.log("stopping the preview")
        finally:
            self.stop.set()
            with self.state.changed:
                self.state.changed.notify_all()
            server.shutdown()
            server.server_close()
            watcher.join(timeout=5)
