"""The bibliography, in any format pandoc reads, as CSL JSON entries.

pandoc converts CSL JSON, CSL YAML, BibTeX and BibLaTeX to CSL JSON for us;
we only locate each entry's line in its file (for findings) and catch what
pandoc silently accepts (duplicate keys).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from audit import pandoc
from audit.errors import InputError
from audit.files import read_text, write_atomic
from audit.locate import declared, front_matter
from audit.model import Entry

FORMATS = {
    ".json": "csljson",
    ".yaml": "markdown",
    ".yml": "markdown",
    ".bib": "biblatex",
    ".bibtex": "bibtex",
}


def declared_paths(markdown: Path) -> list[Path]:
    """The bibliography a manuscript's first YAML block names, read without pandoc.

    Only a hint, to start reading the bibliography early: the audit checks it
    against the metadata pandoc reads.
    """
    try:
        text = markdown.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return declared(front_matter(text).get("bibliography"), markdown.parent)


def _declaration_pattern(fmt: str, key: str) -> re.Pattern[str]:
    k = re.escape(key)
    if fmt == "csljson":
        return re.compile(r'"id"\s*:\s*"' + k + r'"')
    if fmt == "markdown":
        return re.compile(r"^\s*-?\s*id\s*:\s*['\"]?" + k + r"['\"]?\s*$", re.M)
    return re.compile(r"@\w+\s*[{(]\s*" + k + r"\s*,", re.I)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# Every declaration of any key, found in one pass (a search per key is quadratic on big files).
_ANY_DECLARATION = {
    "csljson": re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"'),
    "markdown": re.compile(r"^\s*-?\s*id\s*:\s*['\"]?(.*?)['\"]?\s*$", re.M),
}
_ANY_BIBTEX_DECLARATION = re.compile(r"@\w+\s*[{(]\s*([^\s,{}()]+)\s*,", re.I)


def _declarations(fmt: str, text: str) -> dict[str, list[int]]:
    """Offsets of the declarations of every key in ``text``, in file order (keys as written:
    one with a JSON escape is looked up on its own by :meth:`_Locator.offsets`)."""
    found: dict[str, list[int]] = {}
    for match in _ANY_DECLARATION.get(fmt, _ANY_BIBTEX_DECLARATION).finditer(text):
        found.setdefault(match.group(1), []).append(match.start())
    return found


class _Locator:
    """Line of the n-th declaration of a key: one pass over the text, then lookups."""

    def __init__(self, fmt: str, text: str) -> None:
        self.fmt, self.text = fmt, text
        self.index = _declarations(fmt, text)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def offsets(self, key: str) -> list[int]:
        if key not in self.index:  # a key the one-pass pattern misses: search for it alone
            pattern = _declaration_pattern(self.fmt, key)
            self.index[key] = [m.start() for m in pattern.finditer(self.text)]
        return self.index[key]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)


def _check_syntax(path: Path, fmt: str, text: str) -> list[dict[str, Any]] | None:
    """Precise errors (file and line) for JSON and YAML, before pandoc sees the file.

    CSL JSON's items as written are returned (``None`` for the other formats).
    """
    if fmt == "csljson":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed CSL JSON: {exc.msg} (column {exc.colno})",
                             file=path, line=exc.lineno) from None
        if not isinstance(data, list):
            raise InputError("CSL JSON must be a list of items", file=path, line=1)
        for n, item in enumerate(data):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str | int):
                raise InputError(f"CSL JSON item #{n + 1} has no \"id\"", file=path,
                                 line=_item_line(text, n))
        return data
    elif fmt == "markdown":
        import yaml

        body = text
        if body.lstrip().startswith("---"):
            body = body.split("---", 1)[1]
            body = body.split("\n---", 1)[0] if "\n---" in body else body
        try:
            data = yaml.safe_load(body)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = (mark.line + 1 + (1 if text.lstrip().startswith("---") else 0)) if mark else None
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise InputError(f"malformed CSL YAML: {problem}", file=path, line=line) from None
        if not isinstance(data, dict) or not isinstance(data.get("references"), list):
            raise InputError("CSL YAML must have a top-level 'references:' list", file=path, line=1)
    return None


def _item_line(text: str, index: int) -> int | None:
    starts = [m.start() for m in re.finditer(r"\{", text)]
    return _line_of(text, starts[index]) if index < len(starts) else None


# A CSL JSON file of more items than this is read by several pandocs side by side.
CHUNK_ITEMS = 1000
_CACHE_VERSION = "1"


def cache_dir() -> Path | None:
    """Where pandoc's readings of bibliographies are kept: ``$AUDIT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/manuscript-audit`` (``~/.cache/manuscript-audit``); ``None`` when
    ``AUDIT_CACHE_DIR`` is set empty (no cache)."""
    chosen = os.environ.get("AUDIT_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "manuscript-audit"


class _Cache:
    """pandoc's CSL JSON for a bibliography's exact text, read by this very pandoc.

    Reading an unchanged bibliography again (every audit of a manuscript being edited)
    then skips pandoc: 5,000 entries take it about 2 s. The key is the text, its format
    and pandoc's identity, so any change to either reads the file again; a damaged or
    unwritable cache only means pandoc runs.
    """

    def __init__(self, fmt: str, text: str) -> None:
        folder = cache_dir()
        key = hashlib.sha256("\0".join(
            (_CACHE_VERSION, fmt, pandoc.pandoc_identity(), text)).encode("utf-8")).hexdigest()
        self.path = folder / "bibliography" / f"{key}.json" if folder else None

    def get(self) -> list[dict[str, Any]] | None:
        if self.path is None:
            return None
        try:
            items = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return items if isinstance(items, list) else None

    def put(self, items: list[dict[str, Any]]) -> None:
        if self.path is None:
            return
        with contextlib.suppress(OSError):
            write_atomic(self.path, json.dumps(items, ensure_ascii=False))


def _csljson_chunks(items: list[dict[str, Any]], path: Path, chunk: int) -> list[dict[str, Any]]:
    """pandoc's reading of CSL JSON ``items`` in parts of at least ``chunk`` items, one
    pandoc per core, side by side.

    pandoc reads each CSL JSON item on its own (duplicates kept, in order), so the parts
    joined are what one pandoc gives for the whole file, sooner on more than one core:
    5,000 items take one pandoc about 2 s. More parts than cores would only add start-ups
    (and slow the manuscript's pandoc, which runs meanwhile).
    """
    from concurrent.futures import ThreadPoolExecutor

    n_parts = max(1, min(os.cpu_count() or 1, -(-len(items) // chunk)))
    size = -(-len(items) // n_parts)
    parts = [items[i:i + size] for i in range(0, len(items), size)]

    def one(part: list[dict[str, Any]]) -> list[dict[str, Any]]:
        text = json.dumps(part, ensure_ascii=False)
        out = pandoc.run(["-f", "csljson", "-t", "csljson"], input_text=text, source=str(path))
        converted: list[dict[str, Any]] = json.loads(out.stdout or "[]")
        return converted

    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        return [item for part in pool.map(one, parts) for item in part]


def _read_with_pandoc(path: Path, fmt: str, text: str, fenced: bool) -> list[dict[str, Any]]:
    try:
        if fenced:
            result = pandoc.run(["-f", fmt, "-t", "csljson"], input_text=f"---\n{text}\n...\n",
                                source=str(path))
        else:
            result = pandoc.run(["-f", fmt, "-t", "csljson", str(path)], source=str(path))
    except pandoc.PandocError as exc:
        line = exc.line - 1 if fenced and exc.line and exc.line > 1 else exc.line
        raise InputError(f"cannot read bibliography: {exc.message}", file=path,
                         line=line) from None
    items: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return items


def load(path: Path, chunk: int = CHUNK_ITEMS) -> list[Entry]:
    """Read one bibliography file through pandoc.

    A CSL JSON file of more than ``chunk`` items is read in parts of that many, side by side.
    """
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"unknown bibliography format '{path.suffix}' "
                         f"(use one of {', '.join(sorted(FORMATS))})", file=path)
    text = read_text(path)
    if not text.strip():
        return []
    written = _check_syntax(path, fmt, text)
    # pandoc's Markdown reader sees CSL YAML only inside a '---' metadata block, and a plain
    # 'references:' file (which citeproc reads fine) would silently give no entries at all
    fenced = fmt == "markdown" and not text.lstrip().startswith("---")
    cache = _Cache(fmt, text)
    items = cache.get()
    if items is None:
        if written is not None and len(written) > chunk and (os.cpu_count() or 1) > 1:
            with contextlib.suppress(pandoc.PandocError):  # else the whole file: pandoc's message
                items = _csljson_chunks(written, path, chunk)
        if items is None:
            items = _read_with_pandoc(path, fmt, text, fenced)
        cache.put(items)
    locator = _Locator(fmt, text)
    seen: dict[str, int] = {}
    entries = []
    for item in items:
        key = str(item.get("id", ""))
        # the second, third… entry with the same key gets the line of its own declaration
        n = seen.get(key, 0)
        seen[key] = n + 1
        offsets = locator.offsets(key)
        offset = offsets[n] if n < len(offsets) else (offsets[0] if offsets else None)
        entries.append(Entry(key=key, item=item, file=str(path),
                             line=locator.line(offset) if offset is not None else None))
    return entries


def load_all(paths: list[Path]) -> list[Entry]:
    entries: list[Entry] = []
    for path in paths:
        entries += load(path)
    return entries
