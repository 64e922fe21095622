"""The live preview's case: from saving an edit to the manuscript to the reloaded page in
chromium showing it, against pandoc's own HTML time.

In a copy of the size's project (``<work>/<size>-preview``, its outputs left behind), the
preview runs as a user starts it, ``python -m audit preview --port 0`` (its first build and
audit are done before it prints its address), and chromium opens the page. Then, in rounds:

    the edit    a paragraph holding a word no other edit used is written into the manuscript
                (the whole file, in place, as an editor saves), replacing the last edit's
    the floor   the manifest's AST step and html step replayed (pandoc's own HTML time), in
                the same project, while the preview is idle

Which goes first alternates from round to round (:func:`~benchmarks.harness.product_first`);
the first round is an untimed warm-up. An edit is timed from just before the write (Python's
clock) to the first frame the page paints after the ``load`` event of the first new document
whose DOM holds the word (the page's clock, ``Date.now()``; both are the system's wall
clock): what a user sees, the page reloaded with the edit in it. The next step waits until
the previous reload has settled: the page loaded, and the preview and its children (the
draft's audit follows the build) idle.

chromium is ``$CHROMIUM``, else ``chromium`` on the PATH (Debian's; playwright never downloads
one). It is driven through Playwright (the project's ``bench`` extra, which ``nox -s bench``
installs) by a child of this interpreter. Without either, the case raises
:class:`BrowserUnavailable` saying what is missing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

from benchmarks.harness import (
    EPOCH,
    ROOT,
    Sample,
    Series,
    Tools,
    combine,
    manifest_steps,
    paired,
    product_first,
    replay,
)

STAGE = "live preview"  # the run's stage at each size: "S: live preview"
SIZES = ("T", "S", "L")  # where it is measured (T: the tests' smoke run only)
WORD = "previewedit"  # each edit's word: WORD + the size + the round, e.g. previewedits03
QUIET_WINDOW, QUIET_CPU = 0.25, 0.05  # settled: the preview's tree used ≤ 0.05 s CPU in 0.25 s
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # nothing leaves the machine (the page is self-contained): no name resolves
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")

# In every document the page loads: its marks, reported to the driver once the first frame
# after ``load`` is painted. Wall clock (Date.now()) for the marks; the navigation entry's
# request and response, on the page's high-resolution clock, only split the span.
MARKS_JS = """
(() => {
  const marks = {};
  document.addEventListener('DOMContentLoaded', () => { marks.dcl = Date.now(); });
  window.addEventListener('load', () => {
    marks.load = Date.now();
    requestAnimationFrame(() => {
      marks.frame = Date.now();
      const nav = performance.getEntriesByType('navigation')[0] || {};
      const origin = performance.timeOrigin;
      const text = document.body ? document.body.textContent : '';
      marks.words = text.match(/WORD[a-z0-9]+/g) || [];
      marks.request = origin + (nav.requestStart || 0);
      marks.response = origin + (nav.responseEnd || 0);
      window.__previewBench(marks);
    });
  });
})();
""".replace("WORD", WORD)


class BrowserUnavailable(Exception):
    """No chromium, or no interpreter with Playwright to drive it: the case is not measured."""


@dataclass
class PreviewResult:
    """One size: each edit's save → reloaded page, and the floor of the same round."""

    size: str
    reload: Series = field(default_factory=Series)  # save → the first frame of the new page
    floor: Series = field(default_factory=Series)  # the AST step + the html step, replayed
    noticed: Series = field(default_factory=Series)  # save → the reload's request sent
    page: Series = field(default_factory=Series)  # the request → the first frame after load
    busy: Series = field(default_factory=Series)  # then, until the preview was idle (the audit)
    loads: list[int] = field(default_factory=list)  # page loads per edit (1: one reload)
    warmups: int = 0
    warmup: list[float] = field(default_factory=list)  # the untimed edits' save → page
    chromium: str = ""
    driver: str = ""  # the interpreter driving chromium

    @property
    def ratios(self) -> list[float]:
        return paired(self.reload, self.floor, "ratio")


# --------------------------------------------------------------------------- what drives it


def find_chromium() -> str | None:
    """Debian's chromium: ``$CHROMIUM``, else ``chromium`` (or ``chromium-browser``) on the PATH."""
    named = os.environ.get("CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@cache
def find_driver() -> str:
    """This interpreter, when it can import Playwright."""
    if importlib.util.find_spec("playwright") is None:
        raise BrowserUnavailable(f"{sys.executable} has no playwright (pip install -e '.[bench]')")
    return sys.executable


def _pump(stream: IO[str], lines: list[str], ready: threading.Event | None = None,
          into: queue.Queue[str] | None = None) -> None:
    for line in stream:
        lines.append(line.rstrip("\n"))
        if into is not None:
            into.put(line)
        if ready is not None and "preview at http" in line:
            ready.set()
    if ready is not None:
        ready.set()
    if into is not None:
        into.put("")


def _group(pgid: int) -> list[list[str]]:
    """The ``/proc/PID/stat`` fields (after the command's name) of each process in a group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            found.append(fields)
    return found


def _stop(proc: subprocess.Popen[str]) -> None:
    """Stop a process this case started (in a session of its own) as Ctrl-C would, then
    whatever is left of the process group it leads."""
    with contextlib.suppress(subprocess.TimeoutExpired, ProcessLookupError):
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGINT)
            proc.wait(timeout=15)
    if proc.poll() is None or _group(proc.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the group it was started in, nothing else
    proc.wait()


class Server:
    """``python -m audit preview --root P --port 0``, until :meth:`close` (Ctrl-C, as a user)."""

    def __init__(self, tools: Tools, project: Path, env: dict[str, str], timeout: float) -> None:
        self.lines: list[str] = []
        ready = threading.Event()
        self.proc = subprocess.Popen(
            [tools.python, "-m", "audit", "preview", "--root", str(project), "--port", "0"],
            cwd=project, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **env},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        assert self.proc.stderr is not None
        threading.Thread(target=_pump, args=(self.proc.stderr, self.lines, ready), daemon=True).start()
        ready.wait(timeout)
        found = [m.group(1) for ln in self.lines if (m := re.search(r"preview at (http://\S+)", ln))]
        if not found:
            self.close()
            raise RuntimeError("the preview did not start:\n" + "\n".join(self.lines[-30:]))
        self.url = found[0]

    def cpu(self) -> float:
        """CPU seconds used so far by the preview and everything it started (its session)."""
        # its group (the session it leads): the preview and its pandocs; each one's own CPU
        # time and its reaped children's
        ticks = sum(int(f) for fields in _group(self.proc.pid) for f in fields[11:15])
        return ticks / os.sysconf("SC_CLK_TCK")

    def settle(self, timeout: float) -> None:
        """Wait until the preview and its children are idle (the rebuild and audit done)."""
        end = time.monotonic() + timeout
        self.check()
        before = self.cpu()
        while time.monotonic() < end:
            time.sleep(QUIET_WINDOW)
            now = self.cpu()
            if now - before <= QUIET_CPU:
                return
            before = now
        raise RuntimeError(f"the preview was still busy after {timeout:.0f} s")

    def check(self) -> None:
        """Raise if the preview has stopped or one of its threads crashed."""
        said = "\n".join(self.lines[-30:])
        if self.proc.poll() is not None or "Traceback (most recent call last)" in said:
            raise RuntimeError(f"the preview failed (exit status {self.proc.poll()}):\n{said}")

    def close(self) -> None:
        _stop(self.proc)


class Driver:
    """The child interpreter driving chromium (``python -m benchmarks.cases.preview``)."""

    def __init__(self, python: str, url: str, manuscript: Path, chromium: str, home: Path,
                 timeout: float) -> None:
        self.timeout = timeout
        self.lines: list[str] = []
        self.answers: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen(
            [python, "-m", "benchmarks.cases.preview", url, str(manuscript), chromium, str(home)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1, start_new_session=True)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        threading.Thread(target=_pump, args=(self.proc.stdout, [], None, self.answers),
                         daemon=True).start()
        threading.Thread(target=_pump, args=(self.proc.stderr, self.lines), daemon=True).start()
        self.hello = self.answer()

    def answer(self) -> dict[str, Any]:
        try:
            line = self.answers.get(timeout=self.timeout + 30)  # the driver's own limit first
        except queue.Empty:
            line = ""
        if not line:
            self.close()
            raise RuntimeError("the browser driver stopped or did not answer:\n"
                               + "\n".join(self.lines[-30:]))
        said: dict[str, Any] = json.loads(line)
        return said

    def edit(self, word: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"word": word, "timeout": self.timeout}) + "\n")
        self.proc.stdin.flush()
        return self.answer()

    def close(self) -> None:
        """End of input: the driver closes chromium and ends (else it is stopped)."""
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=20)
        _stop(self.proc)


# --------------------------------------------------------------------------- the case


def bench_preview(tools: Tools, source: Path, project: Path, edits: int, *, timeout: float = 120.0,
                  env: dict[str, str] | None = None) -> PreviewResult:
    """``edits`` timed rounds (after one untimed) in a copy of ``source`` made at ``project``."""
    chromium = find_chromium()
    if chromium is None:
        where = os.environ.get("CHROMIUM") or "chromium on the PATH"
        raise BrowserUnavailable(f"no chromium ({where}; apt-get install chromium, as .ci/run does)")
    python = find_driver()
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(source, project, ignore=shutil.ignore_patterns("output", ".*"))
    manuscript = project / "manuscript" / "review.md"
    if WORD in manuscript.read_text("utf-8"):
        raise RuntimeError(f"{manuscript} already holds {WORD!r}")
    res = PreviewResult(size=source.name, driver=python, warmups=1)
    home = Path(tempfile.mkdtemp(prefix="chromium-home-", dir=project.parent))
    server = Server(tools, project, env or {}, timeout)
    try:
        driver = Driver(python, server.url, manuscript, chromium, home, timeout)
        try:
            res.chromium = str(driver.hello.get("chromium", "?"))
            server.settle(timeout)
            steps = manifest_steps(project)
            chain = [*steps["ast"], *steps["html"]]
            for round_no in range(edits + res.warmups):
                got: dict[str, Any] = {}

                def edit(n: int = round_no, got: dict[str, Any] = got) -> None:
                    got.update(driver.edit(f"{WORD}{res.size.lower()}{n:02d}"))
                    answered = time.perf_counter()
                    server.settle(timeout)
                    got["busy"] = time.perf_counter() - answered

                def floor(got: dict[str, Any] = got) -> None:
                    got["floor"] = combine([replay(tools, project, s, timeout) for s in chain])

                if round_no < res.warmups:  # the warm-up: one edit, no floor
                    edit()
                    res.warmup.append(_seconds(got))
                    continue
                for fn in (edit, floor) if product_first(round_no, 0) else (floor, edit):
                    fn()
                _keep(res, got)
        finally:
            driver.close()
    finally:
        server.close()
        shutil.rmtree(home, ignore_errors=True)
    return res


def _seconds(got: dict[str, Any]) -> float:
    """Save → the first frame after the load of the first page that showed the edit."""
    mark = got.get("load")
    if not mark:
        raise RuntimeError(f"the page never showed the edit ({got.get('loads')} page loads)")
    return (float(mark["frame"]) - float(got["t0"])) / 1000


def _keep(res: PreviewResult, got: dict[str, Any]) -> None:
    res.reload.add(Sample(_seconds(got), 0.0))
    mark, t0 = got["load"], got["t0"]
    res.noticed.add(Sample((mark["request"] - t0) / 1000, 0.0))
    res.page.add(Sample((mark["frame"] - mark["request"]) / 1000, 0.0))
    res.floor.add(got["floor"])
    res.busy.add(Sample(got["busy"], 0.0))
    res.loads.append(int(got["loads"]) + int(got["extra_before"]))


# --------------------------------------------------------------------------- the driver (child)


def drive(url: str, manuscript: Path, chromium: str, home: Path) -> int:
    """Open ``url`` in chromium; then for each ``{"word": …}`` line on standard input write the
    edit and answer, on standard output, when the page showed it (one JSON line each)."""
    from playwright.sync_api import sync_playwright

    def say(what: dict[str, Any]) -> None:
        print(json.dumps(what), flush=True)

    base = manuscript.read_text("utf-8").rstrip("\n") + "\n"
    loads: list[dict[str, Any]] = []
    env: dict[str, str | float | bool] = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"),
                                          "XDG_CACHE_HOME": str(home / "cache")}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=list(CHROMIUM_ARGS),
                                     env=env)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1)

        def loaded(mark: dict[str, Any]) -> None:
            loads.append(mark)

        context.expose_function("__previewBench", loaded)
        context.add_init_script(MARKS_JS)
        page = context.new_page()
        page.goto(url, wait_until="load")
        while not loads:
            page.wait_for_timeout(20)
        say({"chromium": browser.version})
        answered = 1
        for line in sys.stdin:
            ask = json.loads(line)
            word, start = ask["word"], len(loads)
            t0 = time.time() * 1000
            manuscript.write_text(f"{base}\nAn edit made in the preview: {word}.\n", "utf-8")
            end = time.monotonic() + float(ask["timeout"])
            hit = None
            while hit is None and time.monotonic() < end:
                page.wait_for_timeout(10)
                hit = next((m for m in loads[start:] if word in m["words"]), None)
            say({"t0": t0, "load": hit, "loads": len(loads) - start, "extra_before": start - answered})
            answered = len(loads)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(drive(sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])))
