"""pandoc: running it (from ``pypandoc-binary``, so no system pandoc is needed) and reading
the JSON AST it writes."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.errors import LocatedError


class PandocError(LocatedError):
    """pandoc failed; ``message`` is pandoc's own explanation."""


@functools.cache
def pandoc_path() -> str:
    """The pandoc binary shipped by pypandoc-binary.

    Found where ``import pypandoc`` would find it, without importing pypandoc (0.1 s,
    a fifth of a small build); pypandoc is asked only when it is installed otherwise.
    """
    for entry in sys.path:
        folder = os.path.join(entry or ".", "pypandoc")
        if os.path.isfile(os.path.join(folder, "__init__.py")):
            bundled = os.path.join(folder, "files", "pandoc")
            if os.path.isfile(bundled):
                return bundled
            break
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
    """Run pandoc with ``args``; its warnings, or :class:`PandocError` naming ``source``."""
    cmd = [pandoc_path(), *args]
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE if input_text is not None
                          else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, encoding="utf-8", errors="replace") as proc:
        try:
            stdout, stderr = proc.communicate(input_text)
        except BaseException:  # interrupted: leave no pandoc running (as subprocess.run does)
            proc.kill()
            raise
    warnings = [w.strip() for w in stderr.splitlines() if w.strip()]
    if proc.returncode != 0:
        message = " ".join(warnings) or f"pandoc exited with status {proc.returncode}"
        match = _LINE.search(message)
        raise PandocError(message, file=source, line=int(match.group(1)) if match else None)
    return PandocRun(args=cmd, stdout=stdout, warnings=warnings)


# --- the JSON AST ----------------------------------------------------------

def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every pandoc element (a dict with ``t``) under ``node``, depth first, in order."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "t" in item:
                yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def stringify(inlines: Any) -> str:
    """The plain text of inline elements."""
    parts: list[str] = []
    for el in walk(inlines):
        t = el["t"]
        if t == "Str":
            parts.append(el["c"])
        elif t in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif t in ("Code", "Math", "RawInline"):
            parts.append(el["c"][-1])
    return "".join(parts)


def meta_value(value: Any) -> Any:
    """Turn pandoc's typed metadata (MetaMap, MetaInlines, …) into plain Python values."""
    if not isinstance(value, dict) or "t" not in value:
        return value
    t = value["t"]
    c: Any = value.get("c")
    if t == "MetaMap":
        return {k: meta_value(v) for k, v in c.items()}
    if t == "MetaList":
        return [meta_value(v) for v in c]
    if t == "MetaBool":
        return bool(c)
    if t == "MetaString":
        return c
    if t in ("MetaInlines", "MetaBlocks"):
        return stringify(c)
    return c


BLOCKS = '"blocks":['
_META = re.compile(r'\{"pandoc-api-version":\[[\d,]*\],"meta":')


def ast_meta(raw: str) -> dict[str, Any]:
    """The ``meta`` object of an AST's JSON text, decoded without the (large) body.

    pandoc writes the API version, then ``meta``, then ``blocks``; anything else is
    decoded whole.
    """
    head = _META.match(raw)
    if head is None:
        return dict(json.loads(raw).get("meta", {}))
    meta, _ = json.JSONDecoder().raw_decode(raw, head.end())
    return dict(meta)


def ast_elements(raw: str, kind: str, start: int = 0
                 ) -> Iterator[tuple[dict[str, Any], int, int]]:
    """(element, start, end) for each ``kind`` element (``Cite``, ``Image``…) in an AST's JSON text.

    Each element is decoded where it starts, so a large AST is never walked in Python.
    """
    if raw.find(f'"{kind}"', start) < 0:  # none at all (the usual case for images): no scan
        return
    decoder = json.JSONDecoder()
    for match in re.compile(r'\{"t":\s*"' + re.escape(kind) + '"').finditer(raw, start):
        element, end = decoder.raw_decode(raw, match.start())
        yield element, match.start(), end
