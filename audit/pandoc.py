"""Running pandoc (from ``pypandoc-binary``, so no system pandoc is needed)."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit import early
from audit.errors import LocatedError


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
        source: str | None = None, env: dict[str, str] | None = None,
        started: Callable[[], None] | None = None) -> PandocRun:
    """Run pandoc with ``args``; raise :class:`PandocError` naming ``source`` on failure.

    ``started`` is called once pandoc's process exists (so that other work can begin
    beside it without delaying its start).
    """
    cmd = [pandoc_path(), *args]
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE if input_text is not None
                          else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, encoding="utf-8", errors="replace") as proc:
        try:
            if started is not None:
                started()
            stdout, stderr = proc.communicate(input_text)
        except BaseException:  # interrupted: leave no pandoc running (as subprocess.run does)
            proc.kill()
            raise
    return _finished(cmd, proc.returncode, stdout, stderr, source)


def adopt(process: early.Early, *, source: str | None = None,
          started: Callable[[], None] | None = None) -> PandocRun:
    """Wait for the AST step the command line started early (see :mod:`audit.early`)."""
    if started is not None:
        started()
    returncode, stderr = early.wait(process)
    return _finished(process.argv, returncode, "", stderr, source)


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
