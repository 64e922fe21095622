"""Manubot's conventions, shared by the audit and the build: a manuscript folder's files,
alias lines and template expressions in the text, ``citekey-aliases``, citation tags,
the standard id of a manual reference, and the short id of a work.

Manubot (``manubot.cite``, ``manubot.process``) is the reference: where it is followed,
the function says so.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.files import read_text
from audit.identifiers import parse_citekey
from audit.locate import blank_code

METADATA = "metadata.yaml"
MANUAL = "manual-references*.json"
TAGS = "citation-tags.tsv"


def content_folder(folder: Path) -> Path | None:
    """The folder holding a Manubot manuscript's Markdown files: ``folder/content``, or
    ``folder`` itself; ``None`` when neither holds any."""
    for candidate in (folder / "content", folder):
        if candidate.is_dir() and any(candidate.glob("*.md")):
            return candidate
    return None


def markdown_files(folder: Path) -> list[Path]:
    """A Manubot manuscript's Markdown files, in file-name order (as Manubot joins them)."""
    content = content_folder(folder)
    return sorted(content.glob("*.md")) if content is not None else []


# Manubot's alias definition, a Markdown link-reference line: [@alias]: prefix:identifier
_ALIAS_LINE = re.compile(r"^ {0,3}\[@([^\]\s]+)\]:[ \t]*(\S+)[ \t]*$", re.M)
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def manubot_text(text: str) -> tuple[str, dict[str, tuple[str, int]]]:
    """``text`` as pandoc is to read it, and the aliases defined: ``{alias: (target, line)}``.

    Alias lines and template expressions outside code are taken out (as Manubot renders a
    template expression before pandoc reads the text), their line breaks kept so that
    every line stays where it was; blanking them with spaces instead would turn what
    follows a template at the start of a line into an indented code block.
    """
    searchable = blank_code(text)
    spans: list[tuple[int, int]] = []
    aliases: dict[str, tuple[str, int]] = {}
    for match in _ALIAS_LINE.finditer(searchable):
        aliases[match.group(1)] = (match.group(2), searchable.count("\n", 0, match.start()) + 1)
        spans.append(match.span())
    spans += [m.span() for m in _TEMPLATE.finditer(searchable)]
    if not spans:
        return text, aliases
    parts, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        parts += [text[last:start], "\n" * text.count("\n", start, end)]
        last = end
    return "".join(parts) + text[last:], aliases


def metadata_aliases(metadata: dict[str, Any]) -> dict[str, str]:
    """Manubot's ``citekey-aliases`` metadata: ``{alias: target}``."""
    named = metadata.get("citekey-aliases")
    return {str(k): str(v) for k, v in named.items()} if isinstance(named, dict) else {}


def alias_lines(text: str) -> list[tuple[str, str, int, int]]:
    """Each alias line outside code: ``(alias, target, start, end)`` (offsets in ``text``)."""
    searchable = blank_code(text)
    return [(m.group(1), m.group(2), m.start(), m.end()) for m in _ALIAS_LINE.finditer(searchable)]


def read_tags(path: Path) -> dict[str, str]:
    """The tags file at ``path`` as ``{tag: key}`` (``tag:x`` cites ``key``)."""
    rows = list(csv.reader(read_text(path).splitlines(), delimiter="\t"))
    if not rows:
        return {}
    header = [h.strip().lower() for h in rows[0]]
    tags: dict[str, str] = {}
    if header[:2] == ["tag", "citation"]:
        for row in rows[1:]:
            if len(row) >= 2:
                tags[row[0].strip()] = row[1].strip()
    elif "input_id" in header and "dealiased_id" in header:
        i, j = header.index("input_id"), header.index("dealiased_id")
        for row in rows[1:]:
            if len(row) > max(i, j) and row[i].startswith("tag:"):
                tags[row[i][4:]] = row[j]
    else:
        raise InputError("tags file must have a header 'tag<TAB>citation'", file=path, line=1)
    return tags


_NOTE_ID = re.compile(r"^\s*standard_id:\s*(\S+)\s*$", re.M)


def standard_id(item: dict[str, Any]) -> str:
    """A manual reference's standard id, as Manubot finds it: its ``standard_citation``, else
    a ``standard_id:`` line of its note, else its ``id`` (a key without a known scheme is
    ``raw:``)."""
    found = item.get("standard_citation")
    if not found and (note := _NOTE_ID.search(str(item.get("note") or ""))):
        found = note.group(1)
    key = str(found or item.get("id") or "")
    parsed = parse_citekey(key)
    if parsed.scheme is None:
        return f"raw:{key}"
    return parsed.standard or key


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def short_id(standard: str) -> str:
    """A work's short id, as Manubot makes it (``shorten_citekey``): its standard id's 6-byte
    BLAKE2b digest in base 62 (``doi:10.1101/142760`` -> ``tJKvnIaZ``)."""
    number = int.from_bytes(hashlib.blake2b(standard.encode(), digest_size=6).digest(), "big")
    digits = ""
    while number:
        number, digit = divmod(number, 62)
        digits = _BASE62[digit] + digits
    return digits or _BASE62[0]
