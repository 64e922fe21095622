"""Knowing that a child process has written its output file before the process has ended.

pandoc writes its output in one go (open, write, close) and then exits; the exit
takes a further 7-12 ms, while the kernel frees a heap of a few hundred megabytes.
A build that waits for the exit before reading the output spends that time idle,
once per step. Watching for the output's close (Linux's inotify ``IN_CLOSE_WRITE``)
lets the next step begin at once. Nothing is decided on it: the caller still waits
for the exit status, and keeps nothing from a process that failed.

Each watch has an inotify instance to itself while it lasts (a shared one would let
one waiting thread read, and so lose, another's event), taken from a pool and given
back afterwards rather than closed: closing one waits for the kernel's grace period
(10-20 ms), more than the watch saves. Where there is no inotify (or no
``os.pidfd_open``), :meth:`Watch.wait` reports the process's end instead, which is
what waiting for the exit did anyway.
"""

from __future__ import annotations

import contextlib
import functools
import os
import select
import struct
import threading
from collections.abc import Callable
from pathlib import Path

IN_CLOSE_WRITE = 0x00000008  # <sys/inotify.h>: a file opened for writing was closed
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)

_Calls = tuple[Callable[[int], int], Callable[[int, bytes, int], int]]


@functools.cache
def _libc() -> _Calls | None:
    """libc's ``inotify_init1`` and ``inotify_add_watch``, or None where there are none."""
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
    return init, add


_pool: list[int] = []  # inotify instances no watch is using (file descriptors)
_pool_lock = threading.Lock()


def _take() -> int:
    """An inotify instance for one watch (-1 where there is none)."""
    with _pool_lock:
        if _pool:
            return _pool.pop()
    calls = _libc()
    return calls[0](os.O_CLOEXEC | os.O_NONBLOCK) if calls is not None else -1


def _events(fd: int) -> list[tuple[int, int, bytes]]:
    """Every event queued on ``fd`` now: (watch descriptor, mask, file name)."""
    found = []
    while True:
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return found
        offset = 0
        while offset + _EVENT.size <= len(data):
            wd, mask, _, length = _EVENT.unpack_from(data, offset)
            name = data[offset + _EVENT.size:offset + _EVENT.size + length].rstrip(b"\0")
            found.append((wd, mask, name))
            offset += _EVENT.size + length


class Watch:
    """Waits until process ``pid`` has closed ``output`` after writing it, or has ended.

    Create it before the process can write the output (a close that happened before
    is not seen: :meth:`wait` then returns at the exit, later but still correct), and
    :meth:`close` it after the process has ended.
    """

    def __init__(self, output: Path, pid: int) -> None:
        self.name = os.fsencode(output.name)
        self.fd, self.wd, self.pidfd = _take(), -1, -1
        if self.fd < 0:
            return
        calls = _libc()
        assert calls is not None
        self.wd = calls[1](self.fd, os.fsencode(output.parent), IN_CLOSE_WRITE)
        _events(self.fd)  # closes queued before now (an earlier watch's, this folder's) are not ours
        if self.wd >= 0:
            with contextlib.suppress(OSError):  # already reaped, or a kernel without pidfds
                self.pidfd = os.pidfd_open(pid)

    def wait(self) -> bool:
        """Block until the output was written and closed (True) or the process ended (False)."""
        if self.pidfd < 0:
            return False
        poll = select.poll()
        poll.register(self.fd, select.POLLIN)
        poll.register(self.pidfd, select.POLLIN)
        while True:
            ready = {fd for fd, _ in poll.poll()}
            if self.fd in ready and self._closed():
                return True
            if self.pidfd in ready:
                return self._closed()

    def _closed(self) -> bool:
        return any(wd == self.wd and mask & IN_CLOSE_WRITE and name == self.name
                   for wd, mask, name in _events(self.fd))

    def close(self) -> None:
        """Give the inotify instance back to the pool; close the process's descriptor."""
        if self.pidfd >= 0:
            os.close(self.pidfd)
        if self.fd >= 0:
            with _pool_lock:
                _pool.append(self.fd)
        self.fd = self.pidfd = -1
