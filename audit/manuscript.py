"""Stage 1: a Markdown manuscript, read by pandoc, as citations with file and line.

Citations come from pandoc's JSON AST, never from a regular expression: body
text, footnotes, tables and captions count; code does not. The AST carries no
source positions, so each citation is then *located* in the file: the n-th
occurrence of ``@key`` in the AST is matched with the n-th occurrence of
``@key`` in the text outside code.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit import pandoc
from audit.errors import LocatedError


class InputError(LocatedError):
    """Unusable input: the message names the file and, when known, the line."""


@dataclass(frozen=True)
class Citation:
    """One cited key at one place in the manuscript."""

    key: str
    file: str
    line: int | None
    mode: str = "NormalCitation"  # or AuthorInText, SuppressAuthor
    prefix: str = ""
    suffix: str = ""


@dataclass
class Manuscript:
    """What the audit needs from the Markdown files."""

    files: list[Path]
    metadata: dict[str, Any]
    citations: list[Citation] = field(default_factory=list)
    nocite_all: bool = False

    @property
    def cited_keys(self) -> list[str]:
        """Distinct cited keys in order of first citation."""
        return list(dict.fromkeys(c.key for c in self.citations))


def read_text(path: Path) -> str:
    """Read a UTF-8 file, with an :class:`InputError` naming the line on bad bytes."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", file=path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                         "save the file as UTF-8", file=path, line=line) from None


# --- the AST --------------------------------------------------------------

def _walk(node: Any) -> Iterator[dict[str, Any]]:
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


def _stringify(inlines: Any) -> str:
    parts: list[str] = []
    for el in _walk(inlines):
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
    t, c = value["t"], value.get("c")
    if t == "MetaMap":
        return {k: meta_value(v) for k, v in c.items()}
    if t == "MetaList":
        return [meta_value(v) for v in c]
    if t == "MetaBool":
        return bool(c)
    if t == "MetaString":
        return c
    if t in ("MetaInlines", "MetaBlocks"):
        return _stringify(c)
    return c


# pandoc-crossref labels (``@fig:x``, ``@tbl:x``…) look like citations but are cross-references.
CROSSREF_PREFIXES = ("fig:", "tbl:", "eq:", "sec:", "lst:")


_BLOCKS = '"blocks":['
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


def ast_citations(raw: str) -> list[tuple[str, str, str, str]]:
    """(key, mode, prefix, suffix) for every citation in the document body, in order.

    ``raw`` is the AST's JSON text. pandoc writes ``meta`` before ``blocks`` (and a
    ``"blocks":[`` inside a string would be escaped): only the body counts.
    """
    body = raw.rfind(_BLOCKS)
    found = []
    for el, _, _ in ast_elements(raw, "Cite", body if body >= 0 else len(raw)):
        for cit in el["c"][0]:
            if cit["citationId"].startswith(CROSSREF_PREFIXES):
                continue
            found.append((cit["citationId"], cit["citationMode"]["t"],
                          _stringify(cit["citationPrefix"]), _stringify(cit["citationSuffix"])))
    return found


# --- locating citations in the text ----------------------------------------

_FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?\1")
_KEY_CHARS = r"[\w:.#$%&\-+?<>~/]"


def blank_code(text: str) -> str:
    """``text`` with fenced code blocks and code spans blanked out (same length and lines)."""
    lines = text.split("\n")
    fence: str | None = None
    for i, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(2)[0] * len(match.group(2))
            lines[i] = ""
        elif fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) <= set(fence[0]):
                fence = None
            lines[i] = " " * len(line)
    blanked = "\n".join(lines)
    return _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), blanked)


_CITE_AT = re.compile(r"(?<![\w@])@(?:\{([^{}]+)\}|(" + _KEY_CHARS + r"*\w))")


def occurrences(text: str) -> dict[str, list[int]]:
    """Offsets of every ``@key`` (or ``@{key}``) in ``text``, by key, in one pass.

    An ``@`` preceded by a word character (an e-mail address) starts no key.
    """
    found: dict[str, list[int]] = defaultdict(list)
    for hit in _CITE_AT.finditer(text):
        found[hit.group(1) or hit.group(2)].append(hit.start())
    return found


def locate(text: str, keys_in_order: list[str]) -> list[int | None]:
    """Line number for each citation key in AST order (``None`` where it cannot be found)."""
    searchable = blank_code(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", searchable)]
    found = occurrences(searchable)
    seen: dict[str, int] = defaultdict(int)
    lines: list[int | None] = []
    for key in keys_in_order:
        offsets = found.get(key)
        index = seen[key]
        seen[key] += 1
        lines.append(_line_of(line_starts, offsets[min(index, len(offsets) - 1)]) if offsets else None)
    return lines


def _line_of(line_starts: list[int], offset: int) -> int:
    return bisect.bisect_right(line_starts, offset)


# --- reading ---------------------------------------------------------------

def read_manuscript(files: list[Path]) -> Manuscript:
    """Parse each Markdown file with pandoc; metadata from all files, first one wins."""
    if not files:
        raise InputError("no manuscript files given")
    metadata: dict[str, Any] = {}
    citations: list[Citation] = []
    for path in files:
        text = read_text(path)
        if not text.strip():
            raise InputError("the manuscript file is empty", file=path)
        try:
            result = pandoc.run(["-f", "markdown", "-t", "json"], input_text=text, source=str(path))
        except pandoc.PandocError as exc:
            raise pandoc_input_error(path, text, exc) from None
        duplicate = duplicate_key(path, text, result.warnings)
        if duplicate is not None:
            raise duplicate
        for key, value in ast_meta(result.stdout).items():
            metadata.setdefault(key, meta_value(value))
        cites = ast_citations(result.stdout)
        lines = locate(text, [c[0] for c in cites])
        citations += [Citation(key=k, file=str(path), line=ln, mode=m, prefix=p, suffix=s)
                      for (k, m, p, s), ln in zip(cites, lines, strict=True)]
    nocite = metadata.get("nocite")
    nocite_all = False
    if nocite:
        text = nocite if isinstance(nocite, str) else " ".join(map(str, nocite))
        for key in re.findall(r"@\{?([\w*][\w:.#$%&\-+?<>~/]*)", text):
            if key == "*":
                nocite_all = True
            else:
                citations.append(Citation(key=key, file=str(files[0]), line=None, mode="nocite"))
    return Manuscript(files=list(files), metadata=metadata, citations=citations,
                      nocite_all=nocite_all)


def pandoc_input_error(path: Path | str, text: str, exc: pandoc.PandocError) -> InputError:
    """pandoc's failure to read a manuscript, as an error at the right file and line."""
    return InputError(_explain_pandoc(exc.message), file=path,
                      line=_yaml_line(text, exc.message) or exc.line)


def _explain_pandoc(message: str) -> str:
    if "YAML" in message:
        return "malformed YAML front matter: " + message
    return message


_DUPLICATE_KEY = re.compile(r"YAML warning \(line (\d+) column \d+\): Duplicate key: (\S+)")


def duplicate_key(path: Path, text: str, warnings: list[str]) -> InputError | None:
    """A duplicate key in a YAML metadata block (invalid YAML, which pandoc only warns about,
    keeping the last value silently), as an error at the second occurrence of the key."""
    for warning in warnings:
        match = _DUPLICATE_KEY.search(warning)
        if not match:
            continue
        fence, dotted = int(match.group(1)), match.group(2).lstrip(".")
        name = re.escape(dotted.rsplit(".", 1)[-1])
        pattern = re.compile(r"^\s*(?:-\s+)?(?:" + name + r"|'" + name + r"'|\"" + name + r"\")\s*:")
        lines = text.split("\n")
        hits = []
        for number in range(fence + 1, len(lines) + 1):  # the block's lines after its '---'
            line = lines[number - 1]
            if line.rstrip() in ("---", "..."):
                break
            if pattern.match(line):
                hits.append(number)
        first = f" (first at line {hits[0]})" if len(hits) > 1 else ""
        return InputError(f"malformed YAML front matter: duplicate key '{dotted}'{first}",
                          file=path, line=hits[1] if len(hits) > 1 else fence)
    return None


def _yaml_line(text: str, message: str) -> int | None:
    """pandoc reports YAML errors relative to the metadata block; make the line absolute."""
    block = re.search(r"YAML metadata at \(line (\d+)", message)  # the block's opening '---'
    fence = int(block.group(1)) if block else next(
        (i + 1 for i, line in enumerate(text.split("\n")) if line.strip() == "---"), 1)
    match = re.search(r"YAML parse exception at line (\d+)", message)
    if match:
        return fence + int(match.group(1))
    return _pyyaml_line(text, fence)


def _pyyaml_line(text: str, fence: int) -> int | None:
    """The line PyYAML finds for a YAML error pandoc gives no line for (e.g. an unknown alias)."""
    import yaml

    lines = text.split("\n")[fence:]
    end = next((i for i, line in enumerate(lines) if line.rstrip() in ("---", "...")), len(lines))
    try:
        yaml.safe_load("\n".join(lines[:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return fence + mark.line + 1 if mark is not None else None
    return None
