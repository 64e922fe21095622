"""audit/watch.py: a child's output is known to be written before the child has ended.

Real child processes write real files; the tests check what the build relies on: a
close after writing is reported while the writer still runs, and nothing else is
taken for it (an earlier close, another file, a writer that ends without writing).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from audit import watch
from audit.watch import Watch

pytestmark = pytest.mark.skipif(watch._libc() is None, reason="no inotify on this system")

# waits for a line, writes each file named on its command line, then waits for its stdin to close
WRITER = """
import sys
sys.stdin.readline()
for name in sys.argv[1:]:
    with open(name, "w") as f:
        f.write("written")
sys.stdin.read()
"""


def writer(*files: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, *map(str, files)],
                            stdin=subprocess.PIPE, text=True)


def go(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


def end(proc: subprocess.Popen[str]) -> int:
    assert proc.stdin is not None
    proc.stdin.close()
    return proc.wait(timeout=30)


def test_a_close_after_writing_is_seen_while_the_writer_still_runs(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    proc = writer(out)
    w = Watch(out, proc.pid)
    go(proc)
    assert w.wait() is True
    assert proc.poll() is None  # still running: the close, not the exit, was reported
    assert out.read_text() == "written"
    assert end(proc) == 0
    w.close()


def test_a_writer_that_ends_without_writing_is_reported_as_ended(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    w = Watch(out, proc.pid)
    assert w.wait() is False
    assert proc.wait(timeout=30) == 3
    assert not out.exists()
    w.close()


def test_another_file_closed_in_the_same_folder_is_not_the_output(tmp_path: Path) -> None:
    out, other = tmp_path / "out.txt", tmp_path / "media.svg"
    proc = writer(other)
    w = Watch(out, proc.pid)
    go(proc)
    done = threading.Event()
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: (result.append(w.wait()), done.set()))
    waiter.start()
    assert not done.wait(0.5)  # the other file was written and closed long before this
    assert other.read_text() == "written"
    end(proc)
    waiter.join(timeout=30)
    assert result == [False]  # it ended; the output was never written
    w.close()


def test_a_close_before_the_watch_began_is_not_taken_for_this_writer(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("a previous build's")  # closed after writing, before any watch of it
    first = writer(out)
    Watch(out, first.pid).close()  # an earlier watch of the same file, its close still queued
    go(first)
    end(first)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    w = Watch(out, proc.pid)
    assert w.wait() is False  # the queued closes belonged to others: it waited for the exit
    assert proc.poll() is not None
    w.close()


def test_watches_in_several_threads_each_see_their_own_file(tmp_path: Path) -> None:
    """Watches waiting side by side (the four writers): none may lose another's close."""
    files = [tmp_path / f"out{n}.txt" for n in range(4)]
    proc = writer(*files)
    watches = [Watch(f, proc.pid) for f in files]
    results: dict[int, bool] = {}
    threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, watches[n].wait()))
               for n in range(len(files))]
    for t in threads:
        t.start()
    go(proc)
    for t in threads:
        t.join(timeout=30)
    assert results == dict.fromkeys(range(len(files)), True)
    assert proc.poll() is None
    end(proc)
    for w in watches:
        w.close()
