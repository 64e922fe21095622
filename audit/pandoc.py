"""Running pandoc (from ``pypandoc-binary``, so no system pandoc is needed)."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.errors import LocatedError


class PandocError(LocatedError):
    """pandoc failed; ``message`` is pandoc's own explanation."""


@functools.cache
def pandoc_path() -> str:
    """The pandoc binary shipped by pypandoc-binary (found without probing ``$PATH``)."""
    import importlib.util

    spec = importlib.util.find_spec("pypandoc")
    if spec and spec.origin:
        bundled = Path(spec.origin).parent / "files" / "pandoc"
        if bundled.is_file():
            return str(bundled)
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
        source: str | None = None, env: dict[str, str] | None = None) -> PandocRun:
    """Run pandoc with ``args``; raise :class:`PandocError` naming ``source`` on failure."""
    cmd = [pandoc_path(), *args]
    proc = subprocess.run(cmd, cwd=cwd, input=input_text, capture_output=True, text=True,
                          env=env, encoding="utf-8", errors="replace")
    warnings = [w.strip() for w in proc.stderr.splitlines() if w.strip()]
    if proc.returncode != 0:
        message = " ".join(warnings) or f"pandoc exited with status {proc.returncode}"
        match = _LINE.search(message)
        raise PandocError(message, file=source, line=int(match.group(1)) if match else None)
    return PandocRun(args=cmd, stdout=proc.stdout, warnings=warnings)


def to_json(path: Path, *, fmt: str = "markdown", extra: list[str] | None = None) -> dict[str, Any]:
    """Read one file with pandoc and return its JSON AST."""
    result = run(["-f", fmt, "-t", "json", *(extra or []), str(path)], source=str(path))
    return json.loads(result.stdout)
