"""Running pandoc (from ``pypandoc-binary``, so no system pandoc is needed)."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit import early
from audit.errors import LocatedError
from audit.watch import Watch


class PandocError(LocatedError):
    """pandoc failed; ``message`` is pandoc's own explanation."""


@functools.cache
def pandoc_path() -> str:
    """The pandoc binary shipped by pypandoc-binary (found without probing ``$PATH``)."""
    bundled = early.bundled_pandoc()
    if bundled is not None:
        return bundled
    import pypandoc

    return str(pypandoc.get_pandoc_path())


def file_identity(path: Path) -> str:
    """Where a binary is and which build it is (size, modification time), without running it."""
    st = path.stat()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


@functools.cache
def pandoc_identity() -> str:
    """Which pandoc this is, without running it (see :func:`file_identity`)."""
    return file_identity(Path(pandoc_path()))


@functools.cache
def pandoc_version() -> str:
    out = subprocess.run([pandoc_path(), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


@dataclass(frozen=True)
class PandocRun:
    """One finished pandoc invocation: its command line, output and warnings."""

    args: list[str]
    stdout: str
    warnings: list[str]


_LINE = re.compile(r"line (\d+)")


def run(args: list[str], *, cwd: Path | None = None, input_text: str | None = None,
        source: str | None = None, env: dict[str, str] | None = None) -> PandocRun:
    """Run pandoc with ``args``; raise :class:`PandocError` naming ``source`` on failure."""
    cmd = [pandoc_path(), *args]
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE if input_text is not None
                          else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, encoding="utf-8", errors="replace") as proc:
        try:
            stdout, stderr = proc.communicate(input_text)
        except BaseException:  # interrupted: leave no pandoc running (as subprocess.run does)
            proc.kill()
            raise
    return _finished(cmd, proc.returncode, stdout, stderr, source)


class Running:
    """A pandoc process writing ``output``, its messages going to the file ``log``.

    The log is a file, not a pipe: a long warning list cannot block pandoc, and the
    messages are complete at its exit. :meth:`written` returns as soon as pandoc has
    closed its output (:mod:`audit.watch`), so that the next step can begin while
    pandoc exits; :meth:`result` waits for the exit and reports a failure.

    With ``stdin``, pandoc starts before its input exists and reads it from standard
    input: it spends about 40 ms starting (loading itself, reading its defaults file)
    before it reads any input, and a writer started while the AST step still runs has
    done that by the time the AST is ready. :meth:`feed` then sends it the input file,
    which gives the same output as naming that file on the command line: the JSON
    reader needs no file name, and images are looked up in the resource path, not
    beside the input.
    """

    def __init__(self, args: list[str], *, cwd: Path, env: dict[str, str], log: Path,
                 output: Path, stdin: bool = False) -> None:
        self.args, self.cwd, self.log, self.output = args, cwd, log, output
        self.cmd = [pandoc_path(), *args]
        with open(log, "wb") as stderr:
            self.proc = subprocess.Popen(self.cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                         stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                         stderr=stderr)
        # fed later: watched from then on; otherwise from now (a quicker close is seen as the exit)
        self.watch: Watch | None = None if stdin else Watch(output, self.proc.pid)

    def feed(self, path: Path) -> None:
        """Send the file at ``path`` as the input (then :meth:`written`, :meth:`result`)."""
        assert self.proc.stdin is not None
        self.watch = Watch(self.output, self.proc.pid)  # before pandoc can write anything
        self.cmd = [*self.cmd, str(path)]  # reported as the command line it stands for
        try:
            try:
                with open(path, "rb") as f:
                    shutil.copyfileobj(f, self.proc.stdin, 1 << 20)
                self.proc.stdin.close()
            except BrokenPipeError:  # pandoc stopped early: its own message says why
                pass
        except BaseException:  # interrupted: leave no pandoc running
            self.stop()
            raise

    def written(self) -> bool:
        """Wait until the output is written: True if pandoc may still be exiting, False
        when it has ended (it may have failed: :meth:`result` tells)."""
        try:
            if self.watch is not None and self.watch.wait():
                return True
            self.proc.wait()
        except BaseException:  # interrupted: leave no pandoc running
            self.stop()
            raise
        return False

    def result(self, *, source: str | None = None) -> PandocRun:
        """Wait for pandoc to end; its warnings, or :class:`PandocError` if it failed."""
        try:
            returncode = self.proc.wait()
        except BaseException:  # interrupted: leave no pandoc running
            self.stop()
            raise
        self._closed()
        stderr = self.log.read_text("utf-8", errors="replace")
        self.log.unlink(missing_ok=True)
        return _finished(self.cmd, returncode, "", stderr, source)

    def stop(self) -> None:
        """Stop it without output (the AST step failed, or the step runs otherwise)."""
        self.proc.kill()
        self.proc.wait()
        if self.proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        self._closed()
        self.log.unlink(missing_ok=True)

    def kill(self) -> None:
        """Stop it from another thread: the one waiting for it sees it fail (and cleans up)."""
        self.proc.kill()

    def _closed(self) -> None:
        if self.watch is not None:
            self.watch.close()


class Adopted:
    """The AST step the command line started early (see :mod:`audit.early`), as a :class:`Running`."""

    def __init__(self, process: early.Early, output: Path) -> None:
        self.process = process
        self.watch = Watch(output, process.pid)
        self.ended: tuple[int, str] | None = None

    def written(self) -> bool:
        try:
            closed = self.watch.wait()
        except BaseException:  # interrupted: leave no pandoc running
            self.stop()
            raise
        if not closed:
            self.ended = early.wait(self.process)
        return closed

    def result(self, *, source: str | None = None) -> PandocRun:
        try:
            returncode, stderr = self.ended or early.wait(self.process)
        finally:
            self.watch.close()
        return _finished(self.process.argv, returncode, "", stderr, source)

    def stop(self) -> None:
        early.stop(self.process)
        self.watch.close()


def _finished(cmd: list[str], returncode: int, stdout: str, stderr: str,
              source: str | None) -> PandocRun:
    warnings = [w.strip() for w in stderr.splitlines() if w.strip()]
    if returncode != 0:
        message = " ".join(warnings) or f"pandoc exited with status {returncode}"
        match = _LINE.search(message)
        raise PandocError(message, file=source, line=int(match.group(1)) if match else None)
    return PandocRun(args=cmd, stdout=stdout, warnings=warnings)


def to_json(path: Path, *, fmt: str = "markdown", extra: list[str] | None = None) -> dict[str, Any]:
    """Read one file with pandoc and return its JSON AST."""
    result = run(["-f", fmt, "-t", "json", *(extra or []), str(path)], source=str(path))
    return json.loads(result.stdout)
