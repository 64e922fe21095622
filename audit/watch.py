"""Knowing that a child process has written its output file before the process has ended.

pandoc writes its output in one go (open, write, close) and then exits; the exit
takes a further 7-12 ms, while the kernel frees a heap of a few hundred megabytes.
A build that waits for the exit before reading the output spends that time idle,
once per step. Watching for the output's close (Linux's inotify ``IN_CLOSE_WRITE``)
lets the next step begin at once. Nothing is decided on it: the caller still waits
for the exit status, and keeps nothing from a process that failed.

One inotify instance serves the whole process, and stays open: closing one waits
for the kernel's grace period (10-20 ms), more than the watch saves. Where there is
no inotify (or no ``os.pidfd_open``), :meth:`Watch.wait` reports the process's end
instead, which is what waiting for the exit did anyway.
"""

from __future__ import annotations

import functools
import os
import select
import struct
import threading
from collections.abc import Callable
from pathlib import Path

IN_CLOSE_WRITE = 0x00000008  # <sys/inotify.h>: a file opened for writing was closed
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)


class _Inotify:
    """The process's inotify instance: which watched files were closed after writing."""

    def __init__(self, fd: int, add: Callable[[int, bytes, int], int]) -> None:
        self.fd, self._add = fd, add
        self._lock = threading.Lock()
        self._closed: set[tuple[int, bytes]] = set()

    def watch(self, path: Path) -> tuple[int, bytes] | None:
        """Start watching ``path``'s folder; forget the closes of ``path`` seen so far."""
        wd = self._add(self.fd, os.fsencode(path.parent), IN_CLOSE_WRITE)
        if wd < 0:
            return None
        key = (wd, os.fsencode(path.name))
        with self._lock:
            self._drain()  # an earlier close still queued is not this process's
            self._closed.discard(key)
        return key

    def seen(self, key: tuple[int, bytes]) -> bool:
        """Has the file been closed after writing since :meth:`watch`?"""
        with self._lock:
            self._drain()
            return key in self._closed

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return
            offset = 0
            while offset + _EVENT.size <= len(data):
                wd, mask, _, length = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size:offset + _EVENT.size + length].rstrip(b"\0")
                if mask & IN_CLOSE_WRITE:
                    self._closed.add((wd, name))
                offset += _EVENT.size + length


@functools.cache
def _inotify() -> _Inotify | None:
    """The process's inotify instance, or None where there is none."""
    if not hasattr(os, "pidfd_open"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        init, add = libc.inotify_init1, libc.inotify_add_watch
    except (ImportError, OSError, AttributeError):
        return None
    init.argtypes, init.restype = [ctypes.c_int], ctypes.c_int
    add.argtypes, add.restype = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32], ctypes.c_int
    fd = init(os.O_CLOEXEC | os.O_NONBLOCK)
    return _Inotify(fd, add) if fd >= 0 else None


class Watch:
    """Waits until process ``pid`` has closed ``output`` after writing it, or has ended.

    Create it before the process can write the output (a close that happened before
    is not seen: :meth:`wait` then returns at the exit, later but still correct).
    """

    def __init__(self, output: Path, pid: int) -> None:
        self.inotify = _inotify()
        self.key = self.inotify.watch(output) if self.inotify is not None else None
        self.pidfd = -1
        if self.key is not None:
            try:
                self.pidfd = os.pidfd_open(pid)
            except OSError:  # already reaped, or a kernel without pidfds
                self.key = None

    def wait(self) -> bool:
        """Block until the output was written and closed (True) or the process ended (False)."""
        if self.inotify is None or self.key is None:
            return False
        poll = select.poll()
        poll.register(self.inotify.fd, select.POLLIN)
        poll.register(self.pidfd, select.POLLIN)
        while not self.inotify.seen(self.key):
            ready = {fd for fd, _ in poll.poll()}
            if self.pidfd in ready:
                return self.inotify.seen(self.key)
        return True

    def close(self) -> None:
        if self.pidfd >= 0:
            os.close(self.pidfd)
        self.pidfd = -1
